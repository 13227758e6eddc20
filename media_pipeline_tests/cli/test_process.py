"""``process --write-beside``: real runs (ffmpeg, VAD, Dagster, DuckDB) with the fake
recognizer, through the command line's own code in this process."""

import functools
import json
import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pysubs2
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.batch import Batch
from media_pipeline.cli import process as process_cli
from media_pipeline.cli.main import main
from media_pipeline.resources.whisper import FakeWhisperResource

pytestmark = pytest.mark.slow
SAID = "ask not what your country can do for you"
MINE = "1\n00:00:00,000 --> 00:00:01,000\nmine\n"


@pytest.fixture(autouse=True)
def fake_whisper(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(process_cli, "Batch", functools.partial(
        Batch, whisper=FakeWhisperResource(transcript=SAID)))
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture()
def library(tmp_path: Path, corpus: Path) -> Path:
    """lib/Show/ep1.wav and ep2.wav (two contents), and the user's own ep2.en.srt."""
    show = tmp_path / "lib" / "Show"
    show.mkdir(parents=True)
    for name, start in (("ep1", 0), ("ep2", 4)):
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", str(start),
                        "-t", "3", "-i", str(corpus / "jfk" / "jfk.wav"),
                        str(show / f"{name}.wav")], check=True)
    (show / "ep2.en.srt").write_text(MINE)
    return tmp_path / "lib"


def process(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str,
            ) -> tuple[dict[str, dict[str, object]], str]:
    rc = main(["process", *args, "--data-dir", str(tmp_path / "data"), "--json",
               "--no-progress"])
    out = capsys.readouterr()
    rows = [json.loads(line) for line in out.out.splitlines()]
    assert rc == 0, out
    return {Path(str(r["source"])).name: r for r in rows}, out.err


def mtimes(folder: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_write_beside_keeps_the_users_file_and_reruns_write_nothing(
        tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show = library / "Show"
    rows, err = process(tmp_path, capsys, str(library), "--write-beside")
    ep1 = show / "ep1.en.srt"
    assert rows["ep1.wav"]["sidecars"] == [str(ep1)]
    assert stat.S_IMODE(ep1.stat().st_mode) & 0o044 == 0o044  # group and others may read
    assert "country" in " ".join(e.text for e in pysubs2.load(str(ep1)).events)
    assert (show / "ep2.en.srt").read_text() == MINE and rows["ep2.wav"]["sidecars"] == []
    assert f"left alone: {show / 'ep2.en.srt'}" in err
    before = mtimes(library)

    rows, _ = process(tmp_path, capsys, str(library), "--write-beside")
    assert mtimes(library) == before  # nothing changed: nothing written
    assert rows["ep1.wav"]["sidecars"] == [str(ep1)]

    rows, _ = process(tmp_path, capsys, str(library), "--write-beside", "--overwrite")
    assert "mine" not in (show / "ep2.en.srt").read_text()
    assert rows["ep2.wav"]["sidecars"] == [str(show / "ep2.en.srt")]
    assert ep1.stat().st_mtime_ns == before[str(ep1)]


def test_output_dir_mirrors_the_tree_in_the_detected_language(
        tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "subs"
    rows, _ = process(tmp_path, capsys, str(library), "--write-beside", "--output-dir", str(out),
                      "--sidecar-formats", "srt,vtt", "--model", "base", "--language", "de")
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [
        "Show", "Show/ep1.de.srt", "Show/ep1.de.vtt", "Show/ep2.de.srt", "Show/ep2.de.vtt"]
    assert rows["ep2.wav"]["sidecars"] == [str(out / "Show/ep2.de.srt"),
                                           str(out / "Show/ep2.de.vtt")]
    assert not list((library / "Show").glob("*.de.*"))  # nothing beside the media


def test_skip_existing_leaves_media_with_a_subtitle_in_the_language(
        tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    show = library / "Show"
    (show / "ep1.en.forced.srt").write_text(MINE)  # forced: does not cover the language
    rows, err = process(tmp_path, capsys, str(show / "ep1.wav"), str(show / "ep2.wav"),
                        "--write-beside", "--skip-existing")
    assert rows["ep1.wav"]["sidecars"] == [str(show / "ep1.en.srt")]
    assert rows["ep2.wav"]["sidecars"] == [] and "skipped ep2.wav" in err
    assert not (show / "ep2.en.vtt").exists() and (show / "ep2.en.srt").read_text() == MINE
    # our own ep1.en.srt is no reason to skip ep1 when its subtitles change
    rows, _ = process(tmp_path, capsys, str(show / "ep1.wav"), "--write-beside",
                      "--skip-existing", "--profile", "bbc")
    assert rows["ep1.wav"]["sidecars"] == [str(show / "ep1.en.srt")]


def test_skip_existing_with_a_known_language_runs_nothing_for_a_covered_file(
        tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from media_pipeline.library.db import Library

    show = library / "Show"
    rows, _ = process(tmp_path, capsys, str(library), "--write-beside", "--skip-existing",
                      "--language", "en")
    assert rows["ep1.wav"]["status"] == "completed"
    assert rows["ep2.wav"]["status"] == "skipped" and "en" in str(rows["ep2.wav"]["error"])
    assert (show / "ep2.en.srt").read_text() == MINE
    key = str(rows["ep2.wav"]["key"])
    assert Library(tmp_path / "data" / "library.duckdb").get(key).status == "skipped"
    assert not (tmp_path / "data" / "artifacts" / key).exists()  # no stage ran for it
    (show / "ep2.en.srt").unlink()  # the user's subtitle gone: now it is made
    rows, _ = process(tmp_path, capsys, str(show / "ep2.wav"), "--write-beside",
                      "--skip-existing", "--language", "en")
    assert rows["ep2.wav"]["status"] == "completed" and (show / "ep2.en.srt").exists()


def test_an_unknown_sidecar_format_is_a_usage_error(
        tmp_path: Path, library: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["process", str(library), "--write-beside", "--sidecar-formats", "docx",
                 "--data-dir", str(tmp_path / "data")]) != 0
    assert "docx" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()
