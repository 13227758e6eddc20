"""Steps 'confidence report', 'waveform' and 'preview' without Dagster.

Each writes its files into ``out_dir`` and returns ``(files, info)`` like ``steps``.
"""

import json
from pathlib import Path

from media_pipeline.atomic import write_json_atomic, write_text_atomic
from media_pipeline.audio.wav import read_wav
from media_pipeline.audio.waveform import compute_peaks, render_png
from media_pipeline.stages.cues_file import StepResult, read_cues
from media_pipeline.subtitles.confidence import confidence_report
from media_pipeline.subtitles.render_preview import PreviewOptions, render_preview
from media_pipeline.subtitles.voices import speakers_in


def confidence_step(cues_file: Path, threshold: float, out_dir: Path) -> StepResult:
    """``confidence.json`` (every low word and cue) and ``confidence.md`` (worst cues table)."""
    report = confidence_report(read_cues(cues_file), threshold)
    write_text_atomic(out_dir / "confidence.json", report.to_json() + "\n")
    write_text_atomic(out_dir / "confidence.md", report.to_markdown())
    mean = report.mean_word_probability
    info = {"mean_word_probability": None if mean is None else round(mean, 4),
            "word_count": report.word_count, "threshold": threshold,
            "low_words": len(report.low_words), "low_cues": len(report.low_cues)}
    return {"report": "confidence.json", "markdown": "confidence.md"}, info


def waveform_step(wav: Path, regions_file: Path, cues_file: Path, out_dir: Path) -> StepResult:
    """``waveform.json`` (audiowaveform format) and ``waveform.png``."""
    samples, rate = read_wav(wav)
    peaks = compute_peaks(samples, rate)
    write_json_atomic(out_dir / "waveform.json", peaks.to_json())
    regions = [(int(s), int(e)) for s, e in
               json.loads(regions_file.read_text(encoding="utf-8"))["regions"]]
    cue_list = read_cues(cues_file)
    cues = [(c.start_ms, c.end_ms) for c in cue_list]
    speakers = speakers_in(cue_list)  # more than one: each speaker's turns in a colour
    who = [speakers.index(c.speaker) if c.speaker else -1 for c in cue_list] \
        if len(speakers) > 1 else []
    render_png(peaks, out_dir / "waveform.png", regions, cues, cue_speakers=who)
    info = {"samples_per_pixel": peaks.samples_per_pixel, "length": peaks.length,
            "sample_rate": rate, "regions": len(regions), "cues": len(cues),
            "speakers": len(speakers)}
    return {"peaks": "waveform.json", "png": "waveform.png"}, info


def preview_off_step(out_dir: Path) -> StepResult:
    """A marker saying no preview was asked for."""
    info = {"rendered": False, "reason": "preview is off (set preview to render one)"}
    write_json_atomic(out_dir / "preview.json", info)
    return {"info": "preview.json"}, info


def preview_step(media: Path, has_video: bool, ass_file: Path, seconds: float,
                 out_dir: Path) -> StepResult:
    """``preview.mp4``: the first ``seconds`` with the ASS subtitles burned in."""
    out = render_preview(media, ass_file, out_dir / "preview.mp4", has_video,
                         PreviewOptions(seconds=seconds))
    info = {"rendered": True, "preview_seconds": seconds,
            "picture": "video" if has_video else "waveform", "bytes": out.stat().st_size}
    return {"mp4": "preview.mp4"}, info
