"""Dagster wiring of the refining and report assets and the rule checks, without a model.

The upstream artifacts (probe, speech audio, regions) are computed by their real steps and
the transcript is written by hand, so only the assets of this stage run in Dagster.
"""

import json
import subprocess
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from media_pipeline.assets.checks import subtitle_rules
from media_pipeline.assets.edits import edited_cues
from media_pipeline.assets.export import subtitles
from media_pipeline.assets.refining import corrected_cues, cues
from media_pipeline.assets.reports import confidence_report, preview, waveform
from media_pipeline.assets.speakers import speakers
from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.definitions import SUBTITLE_ASSETS, SUBTITLE_CHECKS
from media_pipeline.library.dictionary import DictionaryStore
from media_pipeline.partitions import MEDIA_PARTITIONS_NAME
from media_pipeline.resources.config import PipelineConfig
from media_pipeline.resources.storage import StorageResource
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages import preprocessing as steps
from media_pipeline.stages.cues_file import StepResult
from media_pipeline.store.intake import register_file
from media_pipeline.text.dictionary import DictionaryEntry

TEXT = ("And so, my fellow Americans, ask not what your country can do for you, "
        "ask what you can do for your country.")
WORDS = TEXT.split(" ")


def prepare(tmp_path: Path, settings: PipelineSettings) -> tuple[StorageResource, str]:
    """A video with a tone, registered, with every artifact up to the transcript in place."""
    media = tmp_path / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "color=c=black:s=320x240:r=10",
                    "-f", "lavfi", "-i", "sine=f=300:r=16000", "-t", "8",
                    "-c:v", "mpeg4", "-c:a", "aac", str(media)], check=True)
    storage = StorageResource.at(tmp_path / "data")
    key = register_file(media, storage.data.media_dir, storage.library())
    assert key is not None
    fps = storage.fingerprints(settings)
    store = storage.artifacts

    def commit(asset: str, result: StepResult) -> None:
        store.commit(key, asset, fps[asset], *result)

    commit("source_media", steps.probe_step(storage.data.media_dir / f"{key}.mp4",
                                            store.directory(key, "source_media",
                                                            fps["source_media"])))
    out = store.directory(key, "speech_audio", fps["speech_audio"])
    commit("speech_audio", steps.speech_audio_step(media, -20.0, out))
    out = store.directory(key, "speech_regions", fps["speech_regions"])
    commit("speech_regions", steps.speech_regions_step(out.parent / (
        f"speech_audio-{fps['speech_audio']}") / "speech.wav", settings, out))
    rows = [[w, 500 + i * 330, 800 + i * 330, 0.3 if w == "fellow" else 0.95]
            for i, w in enumerate(WORDS)]
    transcript = {"language": "en", "segments": [
        {"start_ms": 500, "end_ms": 800 + 330 * len(WORDS), "text": " ".join(WORDS),
         "avg_logprob": -0.1, "no_speech_prob": 0.0, "words": rows}]}
    out = store.directory(key, "transcript", fps["transcript"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "transcript.json").write_text(json.dumps(transcript))
    commit("transcript", ({"transcript": "transcript.json"}, {"language": "en"}))
    return storage, key


@pytest.mark.slow
def test_refining_reports_and_checks_in_dagster(tmp_path: Path) -> None:
    # The tone has no voices to tell apart: speakers off, its (empty) turns made in the run.
    settings = PipelineSettings(preview=True, preview_seconds=4.0, speakers="off")
    storage, key = prepare(tmp_path, settings)
    DictionaryStore(storage.library()).add(DictionaryEntry("Americans", "Americans!",
                                                           scope=key))
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, [key])
    result = dg.materialize(
        [*SUBTITLE_ASSETS, *SUBTITLE_CHECKS],
        selection=[speakers, cues, corrected_cues, edited_cues, subtitles, confidence_report,
                   waveform, preview],
        partition_key=key, instance=instance,
        resources={"pipeline": PipelineConfig.from_settings(settings), "storage": storage})
    assert result.success
    meta = {e.asset_key.path[-1]: e.materialization.metadata
            for e in result.get_asset_materialization_events()
            if e.materialization.partition == key}
    assert meta["cues"]["cleanup_changes"].value == 1  # the media's dictionary entry
    assert "Americans!" in meta["cues"]["first_cues"].value
    assert meta["corrected_cues"]["correction"].value == "off"
    assert meta["confidence_report"]["low_words"].value == 1
    assert "| min p |" in meta["confidence_report"]["report"].value
    assert meta["waveform"]["image"].value.startswith("![waveform of")
    png = Path(meta["waveform"]["png"].value)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    peaks = json.loads(Path(meta["waveform"]["peaks"].value).read_text())
    assert peaks["version"] == 2 and peaks["length"] * 2 == len(peaks["data"])
    mp4 = Path(meta["preview"]["path"].value)
    assert mp4.stat().st_size > 1000
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"line_length", "line_count", "duration", "cps", "gap", "overlap"}
    assert all(c.passed for c in checks.values())
    assert checks["cps"].metadata["cues_checked"].value >= 2
    # Subtitle pixels appear while the first cue is shown (the cue starts at 0.5 s).
    raw = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", "1.5", "-i",
                          str(mp4), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, check=True).stdout
    assert (np.frombuffer(raw, np.uint8) > 160).sum() > 100


@pytest.mark.slow
def test_checks_report_offending_cues(tmp_path: Path) -> None:
    settings = PipelineSettings(speakers="off")
    storage, key = prepare(tmp_path, settings)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(MEDIA_PARTITIONS_NAME, [key])
    resources = {"pipeline": PipelineConfig.from_settings(settings), "storage": storage}
    assert dg.materialize([*SUBTITLE_ASSETS],
                          selection=[speakers, cues, corrected_cues, edited_cues, subtitles],
                          partition_key=key, instance=instance, resources=resources).success
    fps = storage.fingerprints(settings)
    manifest = storage.artifacts.manifest(key, "subtitles", fps["subtitles"])
    assert manifest is not None
    srt = storage.artifacts.find(key, "subtitles", fps["subtitles"], "srt")
    srt.write_text("1\n00:00:01,000 --> 00:00:01,300\nfar too quick to be read by anyone\n\n"
                   "2\n00:00:01,310 --> 00:00:03,000\nok\n", encoding="utf-8")
    # Re-running the sealed subtitles does no work; its checks read the tampered file.
    result = dg.materialize([*SUBTITLE_ASSETS, subtitle_rules], selection=[subtitles],
                            partition_key=key, instance=instance, resources=resources)
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["cps"].passed and not checks["duration"].passed
    assert not checks["gap"].passed and checks["overlap"].passed
    offenders = checks["cps"].metadata["offenders"].value
    assert offenders[0]["partition"] == key and offenders[0]["cue"] == 1
