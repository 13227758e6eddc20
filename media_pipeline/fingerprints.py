"""What makes an artifact what it is: its code version, the settings it reads, its inputs.

A fingerprint chains through the graph, so changing one setting changes the fingerprint of
the asset that reads it and of everything downstream, and of nothing upstream.
"""

import hashlib
import json
from dataclasses import asdict
from typing import Any

from media_pipeline.settings import PipelineSettings

CODE_VERSIONS: dict[str, str] = {
    "source_media": "1",
    "vocals": "1",
    "speech_audio": "1",
    "speech_regions": "5",
    "transcript": "3",
    "cues": "2",
    "corrected_cues": "2",
    "edited_cues": "1",
    "subtitles": "2",
    "confidence_report": "2",
    "waveform": "3",
    "preview": "2",
    "library_entry": "1",
}

UPSTREAM: dict[str, tuple[str, ...]] = {
    "source_media": (),
    "vocals": ("source_media",),
    "speech_audio": ("vocals",),
    "speech_regions": ("speech_audio",),
    "transcript": ("speech_audio", "speech_regions"),
    "cues": ("transcript",),
    "corrected_cues": ("cues",),
    "edited_cues": ("corrected_cues",),
    "subtitles": ("edited_cues",),
    "confidence_report": ("edited_cues",),
    "waveform": ("speech_audio", "speech_regions", "edited_cues"),
    "preview": ("source_media", "subtitles"),
    "library_entry": ("subtitles", "confidence_report", "waveform", "preview"),
}

SETTINGS_READ: dict[str, tuple[str, ...]] = {
    "source_media": (),
    "vocals": ("separation",),
    "speech_audio": ("lufs_target",),
    "speech_regions": ("vad_aggressiveness", "vad_frame_ms", "vad_padding_ms",
                       "vad_min_silence_ms", "vad_energy_gate_db", "vad_confirm_silero"),
    "transcript": ("model", "language", "beam_size", "compute_type"),
    "cues": ("profile", "quote_style", "custom_max_chars_per_line", "custom_max_lines",
             "custom_min_duration_ms", "custom_max_duration_ms", "custom_max_cps",
             "custom_frame_rate", "custom_min_gap_frames", "beat_snap",
             "beat_snap_tolerance_beats", "beat_snap_max_ms"),
    "corrected_cues": ("correction_enabled", "correction_base_url", "correction_model",
                       "correction_max_edit_ratio"),
    "edited_cues": (),
    "subtitles": (),
    "confidence_report": ("min_word_probability",),
    "waveform": (),
    "preview": ("preview", "preview_seconds"),
    "library_entry": (),
}


def asset_fingerprints(settings: PipelineSettings, model_identity: str,
                       dictionary_digest: str = "", lyrics_digest: str = "",
                       separation_identity: str = "", reverts_digest: str = "",
                       ) -> dict[str, str]:
    """Fingerprint of every asset for these settings (the key is not part of it).

    ``dictionary_digest`` identifies the user dictionary, which the cues read;
    ``lyrics_digest`` the stored lyrics (cues); ``separation_identity`` the Demucs weights
    (vocals; 'missing:…' while absent, so installing them redoes ``auto``/``on`` media);
    ``reverts_digest`` the cleanup changes the user undid (cues).
    """
    values = asdict(settings)
    out: dict[str, str] = {}
    for asset in CODE_VERSIONS:  # dict order is topological
        parts: dict[str, Any] = {
            "asset": asset,
            "code": CODE_VERSIONS[asset],
            "settings": {name: values[name] for name in SETTINGS_READ[asset]},
            "upstream": [out[u] for u in UPSTREAM[asset]],
        }
        if asset == "transcript":
            parts["model_identity"] = model_identity
        if asset == "cues" and dictionary_digest:
            parts["dictionary"] = dictionary_digest
        if asset == "cues" and lyrics_digest:
            parts["lyrics"] = lyrics_digest
        if asset == "cues" and reverts_digest:
            parts["cleanup_reverts"] = reverts_digest
        if asset == "vocals" and separation_identity:
            parts["separation_model"] = separation_identity
        blob = json.dumps(parts, sort_keys=True).encode()
        out[asset] = hashlib.sha256(blob).hexdigest()[:12]
    return out
