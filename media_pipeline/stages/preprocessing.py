"""Stage 'preprocessing' without Dagster: probe, vocals, decode + loudness, speech regions.

Like every stage, each step takes values and paths, writes its files into ``out_dir`` and
returns ``(files, info)``: the names it wrote and a JSON-ready summary for metadata.
"""

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_json_atomic
from media_pipeline.audio.decode import SPEECH_RATE, decode_mono
from media_pipeline.audio.loudness import normalize_loudness
from media_pipeline.audio.probe import StreamInfo, decoded_duration_s, probe_media
from media_pipeline.audio.tracks import ChosenTrack, choose_audio_track
from media_pipeline.audio.vad import CutMap, VadOptions, speech_regions
from media_pipeline.audio.wav import read_wav, write_wav
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.cues_file import StepResult


def probe_step(media_file: Path, out_dir: Path) -> StepResult:
    """``probe.json``: duration, container and streams (not-media raises NotMediaError).

    ``duration_s`` is the decoded audio's length, which the library records, edits are
    bounded by and music detection samples within; ``container_duration_s`` is what the
    headers claim (a forged or broken header can claim years).
    """
    probe = probe_media(media_file)
    default = probe.audio
    default_track = probe.audio_tracks.index(default) if default else 0
    # Nothing decoding here is left to the speech stage to report (its ffmpeg may read what
    # PyAV cannot); the header's claim stands in until then. The default track is measured:
    # the probe does not depend on settings, and a file's tracks last about as long.
    decoded_s = decoded_duration_s(media_file, default_track) or probe.duration_s
    info = {
        "duration_s": round(decoded_s, 3),
        "container_duration_s": round(probe.duration_s, 3),
        "format": probe.format_name,
        "has_video": probe.has_video,
        "audio_codec": default.codec if default else None,
        "streams": [asdict(s) for s in probe.streams],
        "audio_tracks": [_audio_track(n, s) for n, s in enumerate(probe.audio_tracks)],
        "subtitle_tracks": [_subtitle_track(s) for s in probe.subtitle_tracks],
        "media_file": str(media_file),
    }
    write_json_atomic(out_dir / "probe.json", info)
    return {"probe": "probe.json"}, info


def _audio_track(track: int, s: StreamInfo) -> dict[str, Any]:
    return {"track": track, "stream_index": s.index, "language": s.language, "title": s.title,
            "codec": s.codec, "channels": s.channels, "default": s.default,
            "commentary": s.commentary}


def _subtitle_track(s: StreamInfo) -> dict[str, Any]:
    return {"stream_index": s.index, "codec": s.codec, "language": s.language,
            "title": s.title, "default": s.default, "forced": s.forced,
            "hearing_impaired": s.hearing_impaired}


def chosen_track(media_file: Path, settings: PipelineSettings) -> ChosenTrack:
    """The audio track of ``media_file`` that ``audio_track``/``audio_language`` pick (the
    headers are read again: cheap, and right for probes recorded before tracks were)."""
    return choose_audio_track(probe_media(media_file).audio_tracks, settings.audio_track,
                              settings.audio_language)


def vocals_step(media_file: Path, settings: PipelineSettings, models_dir: Path,
                duration_s: float, out_dir: Path,
                should_stop: Callable[[], bool] | None = None) -> StepResult:
    """The audio track to transcribe, and its Demucs vocal stem (``vocals.flac``) when
    separation is on, or ``auto`` and music.

    The track is the one ``audio_track``/``audio_language`` pick, else the container's
    default (AudioTrackError, listing the tracks, when the file has no such track); music
    detection and Demucs read it. ``on`` without weights fails with the path to put them
    at; ``auto`` then falls back to the source audio and says so. ``audio_file`` and
    ``decode_track`` (its audio track; 0 for the stem) are what the next step decodes.
    """
    from media_pipeline.errors import ConfigurationError

    mode = settings.separation
    if mode not in ("off", "on", "auto"):
        raise ConfigurationError(f"unknown separation {mode!r} (off, on, auto)")
    track = chosen_track(media_file, settings)
    info: dict[str, Any] = {"separation": mode, "applied": False, "audio_file": str(media_file),
                            "decode_track": track.track, **track_fields(track)}
    files = {"vocals": "vocals.json"}
    if mode == "auto":
        from media_pipeline.audio.music_detect import detect_music

        decision = detect_music(media_file, duration_s, track.track)
        info.update(is_music=decision.is_music, music_share=round(decision.music_share, 3),
                    music_windows=decision.to_dict()["windows"])
    if mode == "off":
        info["reason"] = "separation is off"
    elif mode == "auto" and not info["is_music"]:
        info["reason"] = "auto: the audio is not music; the source audio is used"
    else:
        info.update(_separate(media_file, track.track, settings, models_dir, out_dir, should_stop))
        if info["applied"]:
            files["stem"] = "vocals.flac"
    write_json_atomic(out_dir / "vocals.json", info)
    return files, info


TRACK_FIELDS = ("audio_track", "audio_stream_index", "audio_language", "audio_title",
                "audio_chosen_by")
"""The info fields that record the chosen audio track (vocals and speech_audio)."""


def track_fields(track: ChosenTrack) -> dict[str, Any]:
    """The chosen audio track as flat info fields (Dagster shows scalars as they are)."""
    values = (track.track, track.stream.index, track.stream.language, track.stream.title,
              track.chosen_by)
    return dict(zip(TRACK_FIELDS, values, strict=True))


def _separate(media_file: Path, track: int, settings: PipelineSettings, models_dir: Path,
              out_dir: Path, should_stop: Callable[[], bool] | None) -> dict[str, Any]:
    """Demucs over audio track ``track``: the info fields of the stem, or of the fallback."""
    from media_pipeline.audio import separation as sep

    mode = settings.separation
    try:
        resolved = sep.resolve_model(settings.separation_model, models_dir)
    except sep.SeparationError as exc:  # no weights (or no demucs)
        if mode == "on":
            raise
        return {"fallback": True, "reason": f"auto: music, but {exc.user_message}; "
                "the source audio is used without separation"}
    result = sep.separate_vocals(
        sep.load_separator(resolved), media_file, out_dir / "vocals.flac",
        segment_s=settings.separation_segment_s, threads=settings.separation_threads,
        should_stop=should_stop, track=track)
    # The stem has one audio stream: the next step decodes its first.
    return {"applied": True, "audio_file": str(result.path), "decode_track": 0,
            "model": resolved.identity, "sample_rate": result.sample_rate,
            "channels": result.channels, "stem_s": round(result.audio_s, 3),
            "seconds": round(result.seconds, 3),
            "real_time_factor": round(result.real_time_factor, 4),
            "reason": f"{mode}: vocals isolated with Demucs {resolved.name}"}


def speech_audio_step(audio_file: Path, lufs_target: float, out_dir: Path,
                      decode_track: int = 0,
                      track: dict[str, Any] | None = None) -> StepResult:
    """``speech.wav``: audio track ``decode_track`` of ``audio_file`` (from 0) at
    16 kHz mono, loudness-normalized; ``track`` (the chosen track's fields) is recorded."""
    samples = decode_mono(audio_file, SPEECH_RATE, decode_track)
    # In place: an hour of audio is 230 MB a copy, and the decoded one is not needed again.
    normalized, loud = normalize_loudness(samples, SPEECH_RATE, lufs_target, in_place=True)
    write_wav(out_dir / "speech.wav", normalized, SPEECH_RATE)
    info = {"duration_s": round(normalized.shape[0] / SPEECH_RATE, 3),
            "input_lufs": _finite(loud.input_lufs), "output_lufs": _finite(loud.output_lufs),
            "gain_db": round(float(loud.gain_db), 2), "peak_limited": loud.peak_limited,
            **(track or {})}
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


def _finite(x: float) -> float | None:
    return round(float(x), 2) if x == x and abs(x) != float("inf") else None
