"""What the browser's editor reads of a job: its media, waveform, confidence and rule checks.

Each reads the job's sealed artifacts (the fingerprints of its latest successful runs);
one the job has not made yet is a :class:`JobConflictError` naming the job's state.
"""

import json
import mimetypes
from pathlib import Path
from typing import Any

from media_pipeline.jobs.model import Job
from media_pipeline.jobs.service import JobConflictError, JobService
from media_pipeline.library.edits import edited_cues
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.stages.refining import profile_for
from media_pipeline.subtitles.rules import check_cues
from media_pipeline.text.linebreak import break_lines

#: A video container's type when the file holds only sound.
AUDIO_IN_VIDEO = {"mp4": "audio/mp4", "quicktime": "audio/mp4", "x-matroska": "audio/x-matroska",
                  "webm": "audio/webm", "ogg": "audio/ogg", "mpeg": "audio/mpeg"}
#: The rule names of ``subtitles/rules.py`` as the page names them (duration and gaps split
#: by which limit the cue misses; an overlap is a gap below the minimum).
RULE_NAMES = {"line_length": "max_chars_per_line", "line_count": "max_lines",
              "cps": "max_cps", "gap": "min_gap", "overlap": "min_gap"}


def artifact(service: JobService, job: Job, asset: str, name: str) -> Path:
    """The file ``name`` of the job's sealed ``asset`` (JobConflictError when absent)."""
    fp = job.fingerprints.get(asset)
    store = service.storage.artifacts
    manifest = store.manifest(job.media_key, asset, fp) if fp else None
    if manifest is None or name not in manifest["files"]:
        state = job.state.value
        raise JobConflictError(f"job {job.id} is {state}; it has no {asset} yet" if
                               not job.state.finished else
                               f"job {job.id} ({state}) has no {asset} stored")
    return store.find(job.media_key, asset, fp or "", name)


def media(service: JobService, job: Job) -> tuple[Path, str, dict[str, Any]]:
    """The stored source media, its Content-Type and its probe (``source_media`` info)."""
    fp = job.fingerprints.get("source_media")
    manifest = service.storage.artifacts.manifest(job.media_key, "source_media",
                                                  fp) if fp else None
    info: dict[str, Any] = manifest["info"] if manifest else {}
    path = service.data.media_file(job.media_key)
    if path is None and info.get("media_file") and Path(info["media_file"]).is_file():
        path = Path(info["media_file"])
    if path is None:
        raise JobConflictError(f"job {job.id} is {job.state.value}; its media is not stored"
                               if manifest is None else f"the media of job {job.id} is gone")
    return path, media_type(path, bool(info.get("has_video"))), info


def media_type(path: Path, has_video: bool) -> str:
    """The Content-Type of a media file: by its name; a video container without a picture
    is served as audio (``<audio>`` plays it), an audio name keeps its type."""
    guessed = mimetypes.guess_type(path.name)[0] or ""
    kind, _, sub = guessed.partition("/")
    if kind == "audio" or (kind == "video" and has_video):
        return guessed
    if has_video:
        return f"video/{path.suffix.lstrip('.').lower() or 'mp4'}"
    return AUDIO_IN_VIDEO.get(sub, f"audio/{sub or path.suffix.lstrip('.').lower() or 'mpeg'}")


def media_info(service: JobService, job: Job) -> dict[str, Any]:
    """Duration, picture, Content-Type, language and model of the job's media."""
    path, content_type, info = media(service, job)
    row = service.library.get(job.media_key)
    language = row.language if row is not None else None
    settings = job.settings or service.defaults
    duration = info.get("duration_s", row.duration_s if row is not None else None)
    return {"duration_s": duration, "has_video": bool(info.get("has_video")),
            "media_type": content_type, "language": language or settings.language or None,
            "model": (row.model if row is not None else None) or settings.model,
            "name": job.name or path.name}


def waveform(service: JobService, job: Job) -> dict[str, Any]:
    """The peaks (audiowaveform JSON, as stored) and the speech regions in ms."""
    peaks = json.loads(artifact(service, job, "waveform", "peaks").read_text("utf-8"))
    regions_file = artifact(service, job, "speech_regions", "regions")
    regions = json.loads(regions_file.read_text("utf-8"))["regions"]
    return {"peaks": peaks,
            "speech_regions": [{"start_ms": int(s), "end_ms": int(e)} for s, e in regions]}


def confidence(service: JobService, job: Job) -> dict[str, Any]:
    """The confidence report of the job's last export (``confidence.json``)."""
    report: dict[str, Any] = json.loads(
        artifact(service, job, "confidence_report", "report").read_text("utf-8"))
    return report


def checks(service: JobService, job: Job) -> list[dict[str, Any]]:
    """Each current (edited) segment that breaks a rule of the job's profile, in order.

    The segments are laid out into lines as the export will (``assets/edits.py``), then
    checked by ``subtitles/rules.check_cues``, the rules of the ``subtitles`` asset checks.
    """
    segments = service.segments(job).segments
    base = read_cues(artifact(service, job, "corrected_cues", "cues"))
    profile = profile_for(job.settings or service.defaults)

    def layout(text: str) -> tuple[str, ...]:
        return break_lines(text.split(), profile.max_chars_per_line, profile.max_lines) or (text,)

    out: list[tuple[int, str, str]] = []
    for rule, violations in check_cues(edited_cues(base, segments, layout),
                                       profile.limits).items():
        for v in violations:
            name = RULE_NAMES.get(rule) or ("min_duration" if v.value < v.limit
                                            else "max_duration")
            out.append((v.index + 1, name, _detail(rule, v.value, v.limit)))
    return [{"segment_id": i, "rule": name, "detail": detail}
            for i, name, detail in sorted(out)]


def _detail(rule: str, value: float, limit: float) -> str:
    """One line a reader understands: what was measured against what is allowed."""
    if rule == "line_length":
        return f"a line has {value:g} characters; at most {limit:g}"
    if rule == "line_count":
        return f"{value:g} lines; at most {limit:g}"
    if rule == "cps":
        return f"{value:.1f} characters per second; at most {limit:g}"
    if rule == "overlap":
        return f"overlaps the next cue by {value:g} ms"
    if rule == "gap":
        return f"{value:g} ms before the next cue; at least {limit:g} ms"
    word = "at least" if value < limit else "at most"
    return f"shown {value:g} ms; {word} {limit:g} ms"
