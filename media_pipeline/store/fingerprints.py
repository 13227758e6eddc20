"""The one table of subtitle assets, and the fingerprints it makes.

Per asset: its code version, its upstream assets, the settings it reads, the other inputs
that change its output, and the job state shown while it runs. The Dagster assets take
their ``code_version`` and ``deps`` from here, the jobs API its states, and
``test_definitions.py`` checks the table against Dagster's own asset graph.

A fingerprint chains through the graph, so changing one setting changes the fingerprint of
the asset that reads it and of everything downstream, and of nothing upstream.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from media_pipeline.settings import PipelineSettings


@dataclass(frozen=True)
class AssetFacts:
    code_version: str
    upstream: tuple[str, ...]
    settings: tuple[str, ...]
    state: str
    """The job state while the asset runs (``jobs.model.JobState`` values)."""
    inputs: tuple[str, ...] = ()
    """Inputs beyond settings (fields of :class:`ExtraInputs`) that enter the fingerprint."""


PRE, TRANSCRIBING, REFINING = "preprocessing", "transcribing", "refining"
EXPORTING, PREVIEW = "exporting", "rendering_preview"
VAD = ("vad_aggressiveness", "vad_frame_ms", "vad_padding_ms", "vad_min_silence_ms",
       "vad_energy_gate_db", "vad_confirm_silero")
LANGUAGE = ("model", "language", "english_model", "multilingual_model", "task")
"""The spoken language's settings: the models it chooses between enter its fingerprint, so a
changed choice changes the transcript's too (model_identity holds their weights' ids)."""
CUES = ("profile", "quote_style", "custom_max_chars_per_line", "custom_max_lines",
        "custom_min_duration_ms", "custom_max_duration_ms", "custom_max_cps",
        "custom_frame_rate", "custom_min_gap_frames", "beat_snap",
        "beat_snap_tolerance_beats", "beat_snap_max_ms")
CORRECTION = ("correction_enabled", "correction_base_url", "correction_model",
              "correction_max_edit_ratio")

# Dict order is topological: every asset comes after its upstream assets.
ASSETS: dict[str, AssetFacts] = {
    "source_media": AssetFacts("1", (), (), PRE),
    "vocals": AssetFacts("1", ("source_media",), ("separation", "audio_track", "audio_language"),
                         PRE, ("separation_model",)),
    "speech_audio": AssetFacts("1", ("vocals",), ("lufs_target",), PRE),
    "speech_regions": AssetFacts("5", ("speech_audio",), VAD, PRE),
    "spoken_language": AssetFacts("2", ("speech_audio", "speech_regions"), LANGUAGE,
                                  TRANSCRIBING, ("model_identity",)),
    "transcript": AssetFacts("5", ("speech_audio", "speech_regions", "spoken_language"),
                             ("model", "language", "beam_size", "compute_type"), TRANSCRIBING,
                             ("model_identity",)),
    "speakers": AssetFacts("1", ("speech_audio", "speech_regions"),
                           ("speakers", "min_speakers", "max_speakers"), TRANSCRIBING),
    "cues": AssetFacts("4", ("transcript", "speakers"), (*CUES, "speaker_dash"), REFINING,
                       ("dictionary", "lyrics", "cleanup_reverts")),
    "corrected_cues": AssetFacts("2", ("cues",), CORRECTION, REFINING),
    "edited_cues": AssetFacts("1", ("corrected_cues",), (), REFINING),
    "subtitles": AssetFacts("3", ("edited_cues",), ("speaker_prefix",), EXPORTING,
                            ("speaker_names",)),
    "confidence_report": AssetFacts("2", ("edited_cues",), ("min_word_probability",),
                                    EXPORTING),
    "waveform": AssetFacts("4", ("speech_audio", "speech_regions", "edited_cues"), (),
                           EXPORTING),
    "preview": AssetFacts("2", ("source_media", "subtitles"), ("preview", "preview_seconds"),
                          PREVIEW),
    "library_entry": AssetFacts("2", ("subtitles", "confidence_report", "waveform", "preview"),
                                (), EXPORTING, ("speaker_names",)),
    "sidecars": AssetFacts("1", ("library_entry",), ("write_beside", "output_dir",
                           "sidecar_formats", "overwrite", "skip_existing"), EXPORTING),
}

CODE_VERSIONS: dict[str, str] = {name: f.code_version for name, f in ASSETS.items()}


@dataclass(frozen=True)
class ExtraInputs:
    """What a media's artifacts depend on besides settings and code ('' when absent)."""

    model_identity: str = ""
    dictionary: str = ""
    """The user dictionary entries that apply to the media."""
    lyrics: str = ""
    separation_model: str = ""
    """The Demucs weights ('missing:…' while absent, so installing them redoes music)."""
    cleanup_reverts: str = ""
    """The cleanup changes the user undid."""
    speaker_names: str = ""
    """The names the user gave the media's speakers (only the exports read them)."""


def descendants(root: str) -> list[str]:
    """``root`` and every asset downstream of it, in graph order."""
    out = [root]
    for asset, facts in ASSETS.items():
        if asset not in out and any(p in out for p in facts.upstream):
            out.append(asset)
    return out


def asset_fingerprints(settings: PipelineSettings, extra: ExtraInputs) -> dict[str, str]:
    """Fingerprint of every asset for these settings (the key is not part of it)."""
    values = asdict(settings)
    inputs = asdict(extra)
    out: dict[str, str] = {}
    for asset, facts in ASSETS.items():
        parts: dict[str, Any] = {
            "asset": asset,
            "code": facts.code_version,
            "settings": {name: values[name] for name in facts.settings},
            "upstream": [out[u] for u in facts.upstream],
        }
        for name in facts.inputs:  # empty inputs stay out: old fingerprints stay valid
            if inputs[name] or name == "model_identity":
                parts[name] = inputs[name]
        blob = json.dumps(parts, sort_keys=True).encode()
        out[asset] = hashlib.sha256(blob).hexdigest()[:12]
    return out
