import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_process_json_contract(tmp_path: Path, corpus: Path) -> None:
    bad = tmp_path / "bad.mp3"
    bad.write_text("not audio")
    cmd = [sys.executable, "-m", "media_pipeline.cli.main", "process",
           str(corpus / "jfk" / "jfk.wav"), str(bad), "--data-dir", str(tmp_path / "d"), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 1  # one input failed
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    contract = {"source", "key", "status", "error", "outputs", "seconds"}
    contract |= {"sidecars"}  # subtitle files beside the media (issue 13)
    contract |= {"language", "language_probability"}  # detected or forced (issue 13)
    assert [set(r) for r in rows] == [contract, contract]
    good, failed = rows
    assert good["status"] == "completed" and good["error"] is None
    assert good["language"] == "en" and good["language_probability"] > 0.5
    assert failed["language"] is None
    assert set(good["outputs"]) == {"srt", "vtt", "ass", "lrc", "elrc", "txt"}
    assert all(Path(p).exists() for p in good["outputs"].values())
    assert len(good["key"]) == 16
    assert failed["status"] == "failed" and "not a media file" in failed["error"]

    # The same good file again: answered from the library, without importing Dagster or a
    # model (the rerun of unchanged files is bounded at 5 % of the first run).
    rerun = ("import sys; from media_pipeline.cli.main import main; code = main(sys.argv[1:]); "
             "print('heavy:', sorted(m for m in ('dagster', 'faster_whisper', 'torch') "
             "if m in sys.modules), file=sys.stderr); raise SystemExit(code)")
    again = subprocess.run([sys.executable, "-c", rerun, *cmd[3:5], *cmd[6:]],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["outputs"] == good["outputs"]
    assert "heavy: []" in again.stderr


def test_unknown_profile_is_a_clear_error(tmp_path: Path, corpus: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "media_pipeline.cli.main", "process",
                          str(corpus / "jfk" / "jfk.wav"), "--profile", "nope",
                          "--data-dir", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "unknown segmentation profile 'nope'" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", [["cleanup", "list", "k"], ["dictionary", "list"],
                                     ["cleanup", "revert", "k", "--all"]])
def test_data_dir_may_come_before_or_after_the_action(command: list[str]) -> None:
    from media_pipeline.cli.main import build_parser

    parser = build_parser()
    name, *rest = command
    assert parser.parse_args([name, "--data-dir", "d1", *rest]).data_dir == "d1"
    assert parser.parse_args([*command, "--data-dir", "d2"]).data_dir == "d2"
    assert parser.parse_args(command).data_dir is None


def test_reading_commands_never_create_a_library(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from media_pipeline.cli.main import main

    for command in (["status"], ["search", "hello"], ["cleanup", "list", "0123456789abcdef"]):
        assert main([*command, "--data-dir", str(tmp_path / "nothing")]) == 2
        assert "no library at" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()
    (tmp_path / "empty").mkdir()
    assert main(["process", str(tmp_path / "empty"), "--data-dir", str(tmp_path / "d")]) == 2
    assert "no audio or video files" in capsys.readouterr().err
