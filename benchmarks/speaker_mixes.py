"""Multi-speaker test material for ``benchmarks.speakers``: corpus files with reference
turns and per-speaker text, and conversations mixed from LibriSpeech/LJSpeech speakers.

A mix cuts each speaker's utterances at their pauses (short turns), then interleaves the
speakers' pieces in turn; every third change overlaps the previous piece by 0.3 s. The
reference turns are the pieces' speech spans on the mix's timeline, and each speaker's
text is their utterances' transcripts in order (pieces keep each speaker's word order,
which is all that speaker-attributed WER needs).
"""

import difflib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import CORPUS
from media_pipeline.audio.decode import decode_mono
from media_pipeline.audio.vad import VadOptions, speech_regions
from media_pipeline.audio.wav import write_wav
from media_pipeline.text.wer import normalized_words

RATE = 16_000
Turn = tuple[float, float, str]

MIXES: dict[str, dict[str, list[str]]] = {
    "mix_2_speakers": {"lj": ["ljspeech/LJ001-0001.flac", "ljspeech/LJ001-0003.flac"],
                       "2412": ["librispeech/2412-153948-0000.flac",
                                "librispeech/2412-153948-0001.flac"]},
    "mix_3_speakers": {"1272": ["librispeech/1272-128104-0000.wav"],
                       "61": ["librispeech/61-70968-0000.flac"],
                       "lj": ["ljspeech/LJ001-0004.flac", "ljspeech/LJ001-0006.flac"]},
    "mix_4_speakers": {"austen": ["librispeech/sense_and_sensibility_01_austen_64kb-0870.wav",
                                  "librispeech/sense_and_sensibility_01_austen_64kb-0920.wav"],
                       "2412": ["librispeech/2412-153948-0001.flac"],
                       "lj": ["ljspeech/LJ001-0007.flac"],
                       "1272": ["librispeech/1272-128104-0000.wav"]},
}
PIECES = VadOptions(min_silence_ms=150, padding_ms=100)
OVERLAP_S, GAP_S = 0.3, 0.25


@dataclass
class Case:
    """One file to diarize: its audio, reference turns and each reference speaker's text."""

    name: str
    audio: Path
    turns: list[Turn]
    texts: dict[str, str]
    turns_note: str = "human"
    ordered_text: str | None = None
    """All the reference's words in time order, where the reference has it (for plain WER)."""


def _pieces(samples: np.ndarray) -> list[np.ndarray]:
    """The utterance cut at its pauses; pieces under 1 s join the next one."""
    regions = speech_regions(samples, RATE, PIECES)
    out: list[np.ndarray] = []
    start = regions[0].start_ms if regions else 0
    for i, r in enumerate(regions):
        last = i + 1 == len(regions)
        if last or (r.end_ms - start >= 1000 and regions[i + 1].start_ms > r.end_ms):
            out.append(samples[start * RATE // 1000:r.end_ms * RATE // 1000])
            start = regions[i + 1].start_ms if not last else 0
    return out


def build_mix(name: str, speakers: dict[str, list[str]], out_dir: Path) -> Case:
    """Write the mix ``name`` as a WAV and return it with its reference."""
    queues = {s: [p for f in files for p in _pieces(decode_mono(CORPUS / f))]
              for s, files in speakers.items()}
    texts = {s: " ".join((CORPUS / f).with_suffix(".txt").read_text() for f in files)
             for s, files in speakers.items()}
    placed: list[tuple[float, np.ndarray, str]] = []
    cursor, changes = 0.5, 0
    while any(queues.values()):
        for speaker, queue in queues.items():
            if not queue:
                continue
            piece = queue.pop(0)
            changes += 1
            if placed and changes % 3 == 0:
                cursor -= OVERLAP_S
            placed.append((cursor, piece, speaker))
            cursor += len(piece) / RATE + GAP_S
    mix = np.zeros(int((cursor + 0.5) * RATE), np.float32)
    for start_s, piece, _ in placed:
        a = int(start_s * RATE)
        mix[a:a + len(piece)] += piece
    path = out_dir / f"{name}.wav"
    write_wav(path, mix / max(1.0, float(np.abs(mix).max())), RATE)
    turns = [(s, s + len(p) / RATE, who) for s, p, who in placed]
    return Case(name, path, turns, texts, "constructed")


def corpus_cases(out_dir: Path) -> list[Case]:
    """The corpus's multi-speaker files: Michael's two recordings, the stereo file mixed to
    mono (its channels' speech is each one speaker), and Picovoice's three speakers."""
    cases = [_michael(), _stereo(out_dir)]
    return [*cases, _picovoice()]


def _michael() -> Case:
    rows = [line.split("\t") for line in (CORPUS / "mfa/michaelandsickmichael.segments.tsv")
            .read_text().splitlines()[2:] if line.strip()]
    turns = [(float(a), float(b), s) for a, b, s, _ in rows]
    texts: dict[str, str] = {}
    for _, _, speaker, text in rows:
        texts[speaker] = f"{texts.get(speaker, '')} {text}".strip()
    return Case("mfa/michaelandsickmichael.wav", CORPUS / "mfa/michaelandsickmichael.wav",
                turns, texts, ordered_text=" ".join(row[3] for row in rows))


def _stereo(out_dir: Path) -> Case:
    import soundfile

    both, rate = soundfile.read(CORPUS / "faster-whisper/stereo_diarization.wav",
                                dtype="float32")
    turns: list[Turn] = []
    for channel, side in enumerate(("left", "right")):
        for r in speech_regions(np.ascontiguousarray(both[:, channel]), rate, PIECES):
            turns.append((r.start_ms / 1000, r.end_ms / 1000, side))
    path = out_dir / "stereo_diarization_mono.wav"
    write_wav(path, both.mean(axis=1), rate)
    texts = {side: (CORPUS / f"faster-whisper/stereo_diarization.{side}.txt").read_text()
             for side in ("left", "right")}
    return Case("faster-whisper/stereo_diarization.wav", path, sorted(turns), texts,
                "each channel's speech regions (webrtcvad)")


def _picovoice() -> Case:
    rows = [line.split("\t") for line in (CORPUS / "picovoice_leopard/"
            "diarization_test.speaker_words.tsv").read_text().splitlines()[2:]]
    texts: dict[str, str] = {}
    for word, speaker in rows:
        texts[speaker.strip()] = f"{texts.get(speaker.strip(), '')} {word}".strip()
    return Case("picovoice_leopard/diarization_test.wav",
                CORPUS / "picovoice_leopard/diarization_test.wav", [], texts,
                "reference words (in order, no times) placed at the recognised words' times",
                " ".join(word for word, _ in rows))


def timed_reference(case: Case, recognised: list[tuple[str, float, float]]) -> list[Turn]:
    """Turns for a reference without times: its words aligned to the recognised words
    (difflib), each speaker's run of matched words one turn."""
    rows = (CORPUS / "picovoice_leopard/diarization_test.speaker_words.tsv").read_text()
    ref = [(normalized_words(w)[0], s.strip()) for w, s in
           (line.split("\t") for line in rows.splitlines()[2:]) if normalized_words(w)]
    hyp = [(normalized_words(t)[0], a, b) for t, a, b in recognised if normalized_words(t)]
    matcher = difflib.SequenceMatcher(a=[w for w, _ in ref], b=[w for w, _, _ in hyp],
                                      autojunk=False)
    timed: list[tuple[float, float, str]] = []
    for block in matcher.get_matching_blocks():
        timed += [(hyp[block.b + k][1], hyp[block.b + k][2], ref[block.a + k][1])
                  for k in range(block.size)]
    turns: list[Turn] = []
    for start, end, speaker in timed:
        if turns and turns[-1][2] == speaker:
            turns[-1] = (turns[-1][0], end, speaker)
        else:
            turns.append((start, end, speaker))
    return turns


def describe(case: Case) -> dict[str, object]:
    """What the JSON says of a case's reference."""
    return {"reference_speakers": len(case.texts), "reference_turns": len(case.turns),
            "turns_from": case.turns_note,
            "speech_s": round(sum(b - a for a, b, _ in case.turns), 2)}


def dump(case: Case, path: Path) -> None:
    """Write a case's reference turns as TSV (for ``../shared/acceptance/speakers``)."""
    path.write_text("".join(f"{a:.3f}\t{b:.3f}\t{s}\n" for a, b, s in case.turns))
