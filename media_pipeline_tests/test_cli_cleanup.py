import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "media_pipeline.cli.main", *args],
                          capture_output=True, text=True, timeout=600)


def test_a_reverted_change_leaves_the_subtitles_and_comes_back_on_restore(
        tmp_path: Path, corpus: Path) -> None:
    data = str(tmp_path / "d")
    clip = str(corpus / "jfk" / "jfk.wav")
    assert _cli("dictionary", "--data-dir", data, "add", "Americans", "citizens").returncode == 0
    first = _cli("process", clip, "--data-dir", data, "--json")
    assert first.returncode == 0, first.stderr
    srt = Path(json.loads(first.stdout)["outputs"]["srt"])
    assert "citizens" in srt.read_text() and "Americans" not in srt.read_text()

    listed = _cli("cleanup", "--data-dir", data, "list", clip, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    [change] = [r for r in rows if r["kind"] == "dictionary"]
    assert change["before"].startswith("Americans") and change["after"].startswith("citizens")
    assert change["state"] == "applied"

    reverted = _cli("cleanup", "--data-dir", data, "revert", clip, change["id"])
    assert reverted.returncode == 0, reverted.stderr
    srt_after = Path(reverted.stdout.strip().splitlines()[-1].split(": ", 1)[1])
    assert "Americans" in srt_after.read_text() and "citizens" not in srt_after.read_text()
    states = [json.loads(line) for line in _cli(
        "cleanup", "--data-dir", data, "list", clip, "--json").stdout.splitlines()]
    assert {r["id"]: r["state"] for r in states}[change["id"]] == "reverted"

    # The revert is part of the media's inputs: processing again keeps it and redoes nothing.
    again = json.loads(_cli("process", clip, "--data-dir", data, "--json").stdout)
    assert Path(again["outputs"]["srt"]) == srt_after

    restored = _cli("cleanup", "--data-dir", data, "restore", clip, "--all")
    assert restored.returncode == 0, restored.stderr
    final = json.loads(_cli("process", clip, "--data-dir", data, "--json").stdout)
    assert "citizens" in Path(final["outputs"]["srt"]).read_text()


def test_unknown_change_ids_and_unprocessed_media_are_clear_errors(
        tmp_path: Path, corpus: Path) -> None:
    data = str(tmp_path / "d")
    clip = str(corpus / "jfk" / "jfk.wav")
    none_yet = _cli("cleanup", "--data-dir", data, "list", clip)
    assert none_yet.returncode == 2 and "no library at" in none_yet.stderr
    assert _cli("process", clip, "--data-dir", data).returncode == 0
    wrong = _cli("cleanup", "--data-dir", data, "revert", clip, "deadbeef")
    assert wrong.returncode == 2 and "no change with id deadbeef" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    unknown = _cli("cleanup", "--data-dir", data, "list", "0123456789abcdef")
    assert unknown.returncode == 2 and "neither a file nor a media key" in unknown.stderr
