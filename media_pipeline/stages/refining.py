"""Stage 'refining' without Dagster: transcript → cues → (optionally) corrected cues.

``cues_step``: cleanup (whitespace, quotes, hallucinations, repeats, user dictionary) →
word timing repair inside each Whisper segment → segmentation by the run's profile.
Every cleanup change is kept in ``cleanup.json`` so it can be shown and reverted.

``corrected_cues_step``: optional AI correction of the cue text; timings never move, an
edit that would break the profile's line or reading-speed rules is refused, and on any
failure the cues pass through with the reason in the metadata.
Each step writes its files into ``out_dir`` and returns ``(files, info)`` like ``steps``.
"""

import bisect
import json
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_json_atomic
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.cues_file import StepResult, read_cues, refer, write_cues
from media_pipeline.stages.music import MusicContext, music_cues
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.subtitles.rules import check_cues
from media_pipeline.text.cleanup import CleanupOptions, clean_words, rejoin_split_words
from media_pipeline.text.correction import CorrectionSettings, Edit, correct_cues
from media_pipeline.text.dictionary import DictionaryEntry
from media_pipeline.text.edit_log import Change, revert_each
from media_pipeline.text.linebreak import break_lines
from media_pipeline.text.profiles import CUSTOM_FIELDS, SegmentationProfile, get_profile
from media_pipeline.text.segmentation import retime_cues, segment_words
from media_pipeline.text.speaker_cues import Turn, assign_speakers, dash_pairs, segment_by_speaker
from media_pipeline.text.word_timing import repair_word_times

CHANGES_IN_METADATA = 20


def profile_for(settings: PipelineSettings) -> SegmentationProfile:
    """The run's segmentation profile; ``custom`` takes its numbers from ``custom_*`` settings."""
    if settings.profile != "custom":
        return get_profile(settings.profile)
    return get_profile("custom", **{f: getattr(settings, f"custom_{f}") for f in CUSTOM_FIELDS})


def cleanup_options_for(settings: PipelineSettings, profile: SegmentationProfile) -> CleanupOptions:
    """Cleanup options: the quote style is the setting's, else the profile's."""
    style = settings.quote_style or profile.quote_style
    if style not in ("straight", "typographic", "keep"):
        from media_pipeline.errors import ConfigurationError

        raise ConfigurationError(f"unknown quote style {style!r} (straight, typographic, keep)")
    return CleanupOptions(quote_style=style)  # type: ignore[arg-type]


Segment = tuple[int, int, list[Word]]


def load_segments(transcript_file: Path) -> list[Segment]:
    """(start_ms, end_ms, words) of every transcript segment, words split by Whisper rejoined."""
    data = json.loads(transcript_file.read_text(encoding="utf-8"))
    return [(int(s["start_ms"]), int(s["end_ms"]), rejoin_split_words(
                [Word(t, int(a), int(b), float(p)) for t, a, b, p in s["words"]],
                str(s.get("text", ""))))
            for s in data["segments"]]


def regroup(words: Sequence[Word], segments: Sequence[Segment]) -> list[Segment]:
    """Cleaned words put back in the segment whose start precedes them (empty ones dropped)."""
    segments = sorted(segments, key=lambda seg: seg[0])
    starts = [s for s, _, _ in segments]
    groups: list[list[Word]] = [[] for _ in segments]
    for w in words:
        groups[max(0, bisect.bisect_right(starts, w.start_ms) - 1)].append(w)
    return [(s, e, g) for (s, e, _), g in zip(segments, groups, strict=True) if g]


def repair_timings(segments: Sequence[Segment]) -> tuple[list[Word], int]:
    """Word times repaired segment by segment; also how many words got new times."""
    out: list[Word] = []
    moved = 0
    for start, end, words in segments:
        fixed = repair_word_times(start, max(end, max(w.end_ms for w in words)), words)
        moved += sum(1 for a, b in zip(words, fixed, strict=True)
                     if (a.start_ms, a.end_ms) != (b.start_ms, b.end_ms))
        out.extend(fixed)
    return out, moved


def speaker_cues(words: list[Word], turns: Sequence[Turn], settings: PipelineSettings,
                 profile: SegmentationProfile) -> list[Cue]:
    """Segmentation that gives every word its speaker and never puts two speakers in one
    cue, unless ``speaker_dash`` pairs two short exchanges ("- Line one" / "- Line two")."""
    cues = segment_by_speaker(assign_speakers(words, turns),
                              lambda ws: segment_words(ws, profile),
                              lambda cs: retime_cues(cs, profile))
    if settings.speaker_dash:
        cues = dash_pairs(cues, profile.max_chars_per_line, profile.max_duration_ms)
    return cues


def cues_step(transcript_file: Path, settings: PipelineSettings,
              dictionary: Sequence[DictionaryEntry], out_dir: Path,
              music: MusicContext | None = None,
              undo_changes: Collection[str] = (), turns: Sequence[Turn] = ()) -> StepResult:
    """Cleanup → word timing → segmentation (→ lyrics alignment, beat snap: ``music``);
    writes ``cues.json`` and ``cleanup.json``.

    ``undo_changes``: ids of cleanup changes the user undid; their original words stay.
    ``turns``: the speakers' turns (words take the speaker of theirs; cues split at changes).
    """
    profile = profile_for(settings)
    segments = load_segments(transcript_file)
    words = [w for _, _, ws in segments for w in ws]
    cleaned = clean_words(words, cleanup_options_for(settings, profile), dictionary)
    undone: list[Change] = []
    refused: list[Change] = []
    if undo_changes:
        cleaned, undone, refused = revert_each(
            cleaned, [c for c in cleaned.changes if c.change_id in undo_changes])
    timed, moved = repair_timings(regroup(cleaned.words, segments)) if segments else ([], 0)
    cues = speaker_cues(timed, turns, settings, profile)
    cues, music_info = music_cues(cues, timed, settings, profile, music)
    write_cues(out_dir / "cues.json", cues)
    write_json_atomic(out_dir / "cleanup.json", {
        "words": [[w.text, w.start_ms, w.end_ms, w.probability] for w in cleaned.words],
        "changes": [c.to_record() for c in cleaned.changes],
        "undone": [c.to_dict() for c in undone],
        "undo_refused": [{**c.to_dict(), "reason": "a later change edited the same words"}
                         for c in refused]})
    by_kind: dict[str, int] = {}
    for c in cleaned.changes:
        by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
    broken = {rule: len(v) for rule, v in check_cues(cues, profile.limits).items() if v}
    lateness = [c.start_ms - c.words[0].start_ms for c in cues if c.words]
    info: dict[str, Any] = {
        "cue_count": len(cues), "profile": profile.name, "word_count": len(timed),
        "transcript_words": len(words), "cleanup_changes": len(cleaned.changes),
        "cleanup_by_kind": by_kind, "cleanup_undone": len(undone),
        "cleanup_undo_refused": [c.change_id for c in refused],
        "cleanup_examples": [c.to_dict() for c in cleaned.changes[:CHANGES_IN_METADATA]],
        "dictionary_entries": len(dictionary), "retimed_words": moved,
        "max_cue_delay_ms": max([0, *lateness]), "rule_violations": broken,
        "empty": not cues, "speakers": len({c.speaker for c in cues if c.speaker}),
        **music_info,
    }
    return {"cues": "cues.json", "cleanup": "cleanup.json"}, info


def correction_settings_for(settings: PipelineSettings, language: str | None) -> CorrectionSettings:
    return CorrectionSettings(enabled=settings.correction_enabled,
                              base_url=settings.correction_base_url,
                              model=settings.correction_model,
                              max_edit_ratio=settings.correction_max_edit_ratio,
                              language=language or None)


def corrected_cues_step(cues_file: Path, settings: PipelineSettings, api_key: str | None,
                        language: str | None, out_dir: Path, **client: Any) -> StepResult:
    """AI-corrected cue text (off by default); writes ``cues.json`` and ``correction.json``.

    ``client`` is passed to :func:`correct_cues` (tests give a ``sleep`` that does not wait).
    """
    cues = read_cues(cues_file)
    options = correction_settings_for(settings, language)
    info: dict[str, Any] = {"correction": "on" if options.enabled else "off",
                            "accepted": 0, "rejected": 0, "requests": 0, "error": ""}
    accepted: list[Edit] = []
    rejected: list[Edit] = []
    if not options.enabled:
        info["reason"] = "AI correction is off (set correction_enabled to turn it on)"
    elif not api_key and "api.mistral.ai" in options.base_url:
        info["error"] = ("no API key: set MISTRAL_API_KEY or MEDIA_PIPELINE_CORRECTION_API_KEY; "
                         "the original text is kept")
    elif cues:
        result = correct_cues(cues, options, api_key, **client)
        profile = profile_for(settings)
        cues, accepted, refused = _keep_profile(cues, list(result.cues), list(result.accepted),
                                                profile)
        rejected = list(result.rejected) + refused
        info.update(result.to_metadata())
        info.update(accepted=len(accepted), rejected=len(rejected))
        if result.error:
            info["error"] = result.error + "; the original text of the failed cues is kept"
    cues_name = "cues.json"
    if accepted:
        write_cues(out_dir / cues_name, cues)
    else:  # unchanged: the manifest points at the upstream cues rather than a copy
        cues_name = refer(cues_file, out_dir)
    write_json_atomic(out_dir / "correction.json", {
        "accepted": [e.to_dict() for e in accepted], "rejected": [e.to_dict() for e in rejected]})
    info["edits"] = [e.to_dict() for e in accepted[:CHANGES_IN_METADATA]]
    info["cue_count"] = len(cues)
    return {"cues": cues_name, "correction": "correction.json"}, info


def _keep_profile(original: list[Cue], corrected: list[Cue], accepted: list[Edit],
                  profile: SegmentationProfile) -> tuple[list[Cue], list[Edit], list[Edit]]:
    """Re-break corrected lines; refuse edits that no longer fit lines or reading speed."""
    out = list(original)
    kept: list[Edit] = []
    refused: list[Edit] = []
    for edit in accepted:
        cue = corrected[edit.index]
        lines = break_lines(cue.text.split(), profile.max_chars_per_line, profile.max_lines)
        chars = sum(len(x) for x in lines) if lines else 0
        too_fast = chars * 1000 > profile.max_cps * max(cue.duration_ms, 1)
        if lines is None or too_fast:
            refused.append(replace(edit, reason="the corrected text does not fit the profile"))
            continue
        out[edit.index] = replace(cue, lines=lines)
        kept.append(edit)
    return out, kept, refused
