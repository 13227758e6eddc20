"""What each subtitle asset does to its artifact directory, without Dagster.

Each step reads its inputs' files, writes its own files into ``out_dir`` and returns
``(files, info)``: the file names it wrote and a JSON-ready summary for metadata.
"""

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from media_pipeline.asr.transcribe import AsrOptions, Transcript, transcribe_regions
from media_pipeline.audio.decode import SPEECH_RATE, decode_mono
from media_pipeline.audio.loudness import normalize_loudness
from media_pipeline.audio.probe import probe_media
from media_pipeline.audio.vad import CutMap, SpeechRegion, VadOptions, speech_regions
from media_pipeline.audio.wav import read_wav, write_wav
from media_pipeline.errors import MediaPipelineError
from media_pipeline.library.db import Library
from media_pipeline.settings import PipelineSettings
from media_pipeline.storage import ArtifactStore, write_json_atomic
from media_pipeline.subtitles.export import write_all
from media_pipeline.subtitles.model import Cue, Word, cues_from_dicts, cues_to_dicts

StepResult = tuple[dict[str, str], dict[str, Any]]


def probe_step(media_file: Path, out_dir: Path) -> StepResult:
    probe = probe_media(media_file)
    info = {
        "duration_s": round(probe.duration_s, 3),
        "format": probe.format_name,
        "has_video": probe.has_video,
        "audio_codec": probe.audio.codec if probe.audio else None,
        "streams": [s.__dict__ for s in probe.streams],
        "media_file": str(media_file),
    }
    write_json_atomic(out_dir / "probe.json", info)
    return {"probe": "probe.json"}, info


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def vocals_step(media_file: Path, settings: PipelineSettings, models_dir: Path,
                duration_s: float, out_dir: Path,
                should_stop: Callable[[], bool] | None = None) -> StepResult:
    """Demucs vocal stem (``vocals.flac``) when separation is on, or ``auto`` and music.

    ``on`` without weights fails with the path to put them at; ``auto`` then falls back to
    the source audio and says so. ``audio_file`` is what the next step decodes.
    """
    from media_pipeline.audio import separation as sep
    from media_pipeline.errors import ConfigurationError

    mode = settings.separation
    if mode not in ("off", "on", "auto"):
        raise ConfigurationError(f"unknown separation {mode!r} (off, on, auto)")
    info: dict[str, Any] = {"separation": mode, "applied": False, "audio_file": str(media_file)}
    files = {"vocals": "vocals.json"}
    if mode == "auto":
        from media_pipeline.audio.music_detect import detect_music

        decision = detect_music(media_file, duration_s)
        info.update(is_music=decision.is_music, music_share=round(decision.music_share, 3),
                    music_windows=decision.to_dict()["windows"])
    if mode == "off":
        info["reason"] = "separation is off"
    elif mode == "auto" and not info["is_music"]:
        info["reason"] = "auto: the audio is not music; the source audio is used"
    else:
        try:
            resolved = sep.resolve_model(settings.separation_model, models_dir)
        except sep.SeparationError as exc:  # no weights (or no demucs)
            if mode == "on":
                raise
            info.update(fallback=True, reason=f"auto: music, but {exc.user_message}; "
                        "the source audio is used without separation")
        else:
            result = sep.separate_vocals(
                sep.load_separator(resolved), media_file, out_dir / "vocals.flac",
                segment_s=settings.separation_segment_s, threads=settings.separation_threads,
                should_stop=should_stop)
            info.update(applied=True, audio_file=str(result.path), model=resolved.identity,
                        sample_rate=result.sample_rate, channels=result.channels,
                        stem_s=round(result.audio_s, 3), seconds=round(result.seconds, 3),
                        real_time_factor=round(result.real_time_factor, 4),
                        reason=f"{mode}: vocals isolated with Demucs {resolved.name}")
            files["stem"] = "vocals.flac"
    write_json_atomic(out_dir / "vocals.json", info)
    return files, info


def speech_audio_step(audio_file: Path, lufs_target: float, out_dir: Path) -> StepResult:
    samples = decode_mono(audio_file, SPEECH_RATE)
    normalized, loud = normalize_loudness(samples, SPEECH_RATE, lufs_target)
    write_wav(out_dir / "speech.wav", normalized, SPEECH_RATE)
    info = {"duration_s": round(samples.shape[0] / SPEECH_RATE, 3),
            "input_lufs": _finite(loud.input_lufs), "output_lufs": _finite(loud.output_lufs),
            "gain_db": round(float(loud.gain_db), 2), "peak_limited": loud.peak_limited}
    return {"wav": "speech.wav"}, info


def speech_regions_step(wav: Path, settings: PipelineSettings, out_dir: Path) -> StepResult:
    samples, rate = read_wav(wav)
    options = VadOptions(aggressiveness=settings.vad_aggressiveness,
                         frame_ms=settings.vad_frame_ms, padding_ms=settings.vad_padding_ms,
                         min_silence_ms=settings.vad_min_silence_ms,
                         energy_gate_db=settings.vad_energy_gate_db,
                         confirm_with_silero=bool(settings.vad_confirm_silero))
    regions = speech_regions(samples, rate, options)
    cut_map = CutMap.from_regions(regions)
    total_s = samples.shape[0] / rate
    write_json_atomic(out_dir / "regions.json", {
        "regions": [[r.start_ms, r.end_ms] for r in regions],
        "cut_map": [list(p) for p in cut_map.pieces]})
    info = {"region_count": len(regions), "speech_s": round(cut_map.total_ms / 1000, 3),
            "speech_ratio": round(cut_map.total_ms / 1000 / total_s, 3) if total_s else 0.0}
    return {"regions": "regions.json"}, info


def load_regions(path: Path) -> list[SpeechRegion]:
    return [SpeechRegion(s, e) for s, e in json.loads(path.read_text())["regions"]]


def transcript_step(wav: Path, regions_file: Path, model: Any, options: AsrOptions,
                    out_dir: Path, on_progress: Callable[[float], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> StepResult:
    samples, rate = read_wav(wav)
    regions = load_regions(regions_file)
    started = time.perf_counter()
    transcript = transcribe_regions(model, samples, rate, regions, options,
                                    on_progress=on_progress, should_stop=should_stop)
    seconds = time.perf_counter() - started
    write_json_atomic(out_dir / "transcript.json", transcript_to_dict(transcript))
    audio_s = samples.shape[0] / rate
    info = {"language": transcript.language,
            "language_probability": round(transcript.language_probability, 3),
            "segments": len(transcript.segments), "word_count": len(transcript.words),
            "dropped_segments": transcript.dropped_segments,
            "speech_s": round(transcript.speech_ms / 1000, 3),
            "seconds": round(seconds, 3),
            "real_time_factor": round(seconds / audio_s, 4) if audio_s else 0.0,
            "empty": not transcript.segments}
    return {"transcript": "transcript.json"}, info


def transcript_to_dict(t: Transcript) -> dict[str, Any]:
    return {
        "language": t.language, "language_probability": t.language_probability,
        "speech_ms": t.speech_ms, "dropped_segments": t.dropped_segments,
        "segments": [{"start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text,
                      "avg_logprob": s.avg_logprob, "no_speech_prob": s.no_speech_prob,
                      "words": [[w.text, w.start_ms, w.end_ms, w.probability] for w in s.words]}
                     for s in t.segments],
    }


def load_transcript_words(path: Path) -> tuple[list[Word], dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    words = [Word(t, int(s), int(e), float(p))
             for seg in data["segments"] for t, s, e, p in seg["words"]]
    return words, data


def write_cues(path: Path, cues: list[Cue]) -> None:
    write_json_atomic(path, {"cues": cues_to_dicts(cues)})


def read_cues(path: Path) -> list[Cue]:
    return cues_from_dicts(json.loads(path.read_text(encoding="utf-8"))["cues"])


def subtitles_step(cues_file: Path, stem: str, out_dir: Path,
                   karaoke: bool = False) -> StepResult:
    cues = read_cues(cues_file)
    paths = write_all(cues, out_dir, safe_stem(stem))
    if karaoke:  # a song with lyrics: an ASS with karaoke word timing too (music.py)
        from media_pipeline.music import write_karaoke

        paths["karaoke"] = write_karaoke(cues, out_dir, safe_stem(stem))
    return ({fmt: p.name for fmt, p in paths.items()},
            {"cue_count": len(cues), "formats": sorted(paths)})


def safe_stem(name: str) -> str:
    """A file-system-safe stem from a user's file name (no separators, no dot files)."""
    stem = re.sub(r"[^\w.\- ]+", "_", Path(name).stem).strip(" .") or "subtitles"
    return stem[:120]


def _finite(x: float) -> float | None:
    return round(float(x), 2) if x == x and abs(x) != float("inf") else None


def library_step(library: Library, store: ArtifactStore, key: str,
                 settings: PipelineSettings, fps: dict[str, str], out_dir: Path) -> StepResult:
    """Save the finished media in the library: outputs, duration, language, cues."""
    def info(asset: str) -> dict[str, Any]:
        manifest = store.manifest(key, asset, fps[asset])
        if manifest is None:
            raise MediaPipelineError(f"{asset} is missing for {key}")
        return manifest

    probe, tr, subs = info("source_media"), info("transcript"), info("subtitles")
    outputs = {fmt: str(store.file(key, "subtitles", fps["subtitles"], name))
               for fmt, name in subs["files"].items()}
    cues = read_cues(store.file(key, "corrected_cues", fps["corrected_cues"], "cues.json"))
    library.save_entry(
        key, duration_s=float(probe["info"]["duration_s"]), language=tr["info"]["language"],
        model=settings.model, fingerprint=fps["library_entry"], outputs=outputs,
        cues=[(c.start_ms, c.end_ms, c.text) for c in cues],
        word_count=int(tr["info"]["word_count"]))
    entry = {"key": key, "outputs": outputs, "fingerprint": fps["library_entry"]}
    write_json_atomic(out_dir / "entry.json", entry)
    return {"entry": "entry.json"}, {"outputs": outputs, "cue_count": len(cues)}
