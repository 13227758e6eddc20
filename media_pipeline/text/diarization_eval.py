"""How well speakers were found: diarization error rate and speaker-attributed WER.

DER follows NIST's md-eval definition: over the scored time (reference boundaries ± the
collar removed), (missed speech + false alarm + speaker confusion) / reference speech,
where each reference speaker is mapped one-to-one to the hypothesis speaker it shares the
most time with (Hungarian assignment), and overlapped speech counts once per speaker.
Time is sampled every ``step_s`` (10 ms). A 0.25 s collar here removes 0.25 s on each side
of each reference boundary (md-eval's ``-c 0.25``; pyannote.metrics calls it collar=0.5).

Speaker-attributed WER is cpWER (CHiME-6): each speaker's words joined, speakers paired
to minimise the total word errors, errors summed over the reference's word count.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from media_pipeline.text.wer import normalized_words, word_edits

Turn = tuple[float, float, str]


@dataclass(frozen=True)
class DerResult:
    """Seconds of each error kind over the scored reference speech."""

    reference_s: float
    missed_s: float
    false_alarm_s: float
    confusion_s: float

    @property
    def der(self) -> float:
        errors = self.missed_s + self.false_alarm_s + self.confusion_s
        return errors / self.reference_s if self.reference_s > 0 else 0.0


def _activity(turns: Sequence[Turn], speakers: list[str], frames: int,
              step_s: float) -> np.ndarray:
    act = np.zeros((len(speakers), frames), dtype=bool)
    for start_s, end_s, speaker in turns:
        a, b = round(start_s / step_s), round(end_s / step_s)
        act[speakers.index(speaker), max(0, a):max(0, min(frames, b))] = True
    return act


def diarization_error(reference: Sequence[Turn], hypothesis: Sequence[Turn],
                      collar_s: float = 0.25, step_s: float = 0.01) -> DerResult:
    """DER components of ``hypothesis`` against ``reference`` (see the module doc)."""
    from scipy.optimize import linear_sum_assignment

    end_s = max([t[1] for t in (*reference, *hypothesis)], default=0.0)
    frames = round(end_s / step_s) + 1
    ref_names = sorted({t[2] for t in reference})
    hyp_names = sorted({t[2] for t in hypothesis})
    ref = _activity(reference, ref_names, frames, step_s)
    hyp = _activity(hypothesis, hyp_names, frames, step_s)
    scored = np.ones(frames, dtype=bool)
    collar = round(collar_s / step_s)
    for start_s, stop_s, _ in reference:
        for edge in (round(start_s / step_s), round(stop_s / step_s)):
            scored[max(0, edge - collar):max(0, edge + collar)] = False
    ref, hyp = ref[:, scored], hyp[:, scored]
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    correct = 0
    if ref_names and hyp_names:
        overlap = ref.astype(np.int64) @ hyp.T.astype(np.int64)
        rows, cols = linear_sum_assignment(-overlap)
        correct = int(overlap[rows, cols].sum())
    missed = np.maximum(0, n_ref - n_hyp).sum()
    false_alarm = np.maximum(0, n_hyp - n_ref).sum()
    confusion = np.minimum(n_ref, n_hyp).sum() - correct
    return DerResult(float(n_ref.sum() * step_s), float(missed * step_s),
                     float(false_alarm * step_s), float(confusion * step_s))


def speaker_attributed_wer(reference: dict[str, str], hypothesis: dict[str, str]) -> float:
    """cpWER: reference and hypothesis text per speaker; unpaired speakers count whole."""
    from scipy.optimize import linear_sum_assignment

    refs = [normalized_words(t) for t in reference.values()]
    hyps = [normalized_words(t) for t in hypothesis.values()]
    size = max(len(refs), len(hyps))
    refs += [[]] * (size - len(refs))
    hyps += [[]] * (size - len(hyps))
    cost = np.array([[word_edits(r, h) for h in hyps] for r in refs], dtype=np.int64)
    rows, cols = linear_sum_assignment(cost)
    total = sum(len(r) for r in refs)
    return float(cost[rows, cols].sum()) / max(1, total)
