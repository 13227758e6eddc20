"""Videos with several audio tracks through the assets (fake recognizer: recognition is not
measured here) and through the CLI: the track chosen, recorded, fingerprinted, and a file
without the asked-for track failing alone with one line."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from media_pipeline.batch import process_paths
from media_pipeline.jobs.instance import open_instance
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.multitrack_media import FRENCH, GERMAN, build_multitrack

pytestmark = pytest.mark.slow
GERMAN_FIRST = (replace(GERMAN, default=False), replace(FRENCH, default=True))
LACKS_ENGLISH = ("no audio track in language 'en'; the file has 2 audio tracks: "
                 '0 ger "Deutsch", 1 fre "Français" (default)')


def metadata(instance: dg.DagsterInstance, asset: str, key: str) -> dict[str, Any]:
    """The newest materialization metadata of ``asset`` for ``key``, as plain values."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1)
    materialization = records.records[0].asset_materialization
    assert materialization is not None
    return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}


def test_tracks_are_listed_chosen_and_recorded(tmp_path: Path, corpus: Path) -> None:
    movie = build_multitrack(tmp_path / "in" / "movie.mkv", corpus)
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    whisper = FakeWhisperResource()
    storage = StorageResource.at(runtime.data_dir, whisper)
    instance = open_instance(DataRoot.of(runtime).dagster_home, runtime)
    chosen = []
    for choice in ({}, {"audio_language": "en"}):
        settings = replace(PipelineSettings(), **choice)  # type: ignore[arg-type]
        [done] = process_paths([movie], runtime, settings, whisper=whisper)
        assert done.status == "completed", done.error
        key = done.key or ""
        fps = storage.fingerprints(settings, key)
        info = storage.artifacts.info(key, "speech_audio", fps["speech_audio"])
        chosen.append((info["audio_track"], info["audio_stream_index"],
                       info["audio_language"]))
        shown = metadata(instance, "speech_audio", key)
        assert (shown["audio_track"], shown["audio_language"]) == chosen[-1][::2]
    assert chosen == [(1, 2, "ger"), (0, 1, "eng")]  # default: the flagged track, not the first
    by_choice = [storage.fingerprints(replace(PipelineSettings(), **choice), key)  # type: ignore
                 for choice in ({}, {"audio_language": "en"}, {"audio_track": 1})]
    assert len({fps["vocals"] for fps in by_choice}) == 3  # the settings enter vocals
    assert len({fps["transcript"] for fps in by_choice}) == 3  # and all downstream of it
    assert len({fps["source_media"] for fps in by_choice}) == 1  # the probe reads none
    probe = metadata(instance, "source_media", key)
    assert [t["language"] for t in probe["audio_tracks"]] == ["eng", "ger"]
    assert [(t["codec"], t["language"], t["forced"]) for t in
            probe["subtitle_tracks"]] == [("srt", "eng", True)]


def test_a_file_without_the_language_fails_alone(tmp_path: Path, corpus: Path) -> None:
    good = build_multitrack(tmp_path / "in" / "a.mkv", corpus)
    bad = build_multitrack(tmp_path / "in" / "b.mkv", corpus, GERMAN_FIRST)
    runtime = RuntimeSettings(data_dir=tmp_path / "data")
    settings = replace(PipelineSettings(), audio_language="en")
    results = process_paths([good, bad], runtime, settings, whisper=FakeWhisperResource())
    assert [(r.status, r.error) for r in results] == [("completed", None),
                                                       ("failed", LACKS_ENGLISH)]
    row = DataRoot.of(runtime).library().get(results[1].key or "")
    assert row is not None and (row.status, row.error) == ("failed", LACKS_ENGLISH)


def test_cli_process_picks_by_language_and_fails_one_file_alone(tmp_path: Path,
                                                                corpus: Path) -> None:
    good = build_multitrack(tmp_path / "in" / "a.mkv", corpus)
    bad = build_multitrack(tmp_path / "in" / "b.mkv", corpus, GERMAN_FIRST)
    out = subprocess.run([sys.executable, "-m", "media_pipeline.cli.main", "process",
                          str(good), str(bad), "--audio-language", "eng", "--model", "tiny.en",
                          "--data-dir", str(tmp_path / "d"), "--json"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 1, out.stderr[-2000:]  # one input failed
    first, second = (json.loads(line) for line in out.stdout.splitlines())
    assert first["status"] == "completed", first["error"]
    assert second["status"] == "failed"
    assert second["error"] == LACKS_ENGLISH.replace("'en'", "'eng'")
    assert "Traceback" not in out.stderr
    srt = Path(first["outputs"]["srt"]).read_text(encoding="utf-8").lower()
    assert "-->" in srt and any(w in srt for w in ("king", "lord", "house", "the"))


