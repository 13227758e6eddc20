"""The console script's exit: main's code, output flushed, no last garbage collection."""

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from media_pipeline.cli import main as cli_main


def test_run_exits_with_mains_code_after_freezing_what_is_left(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def command() -> int:
        print("done")
        return 3

    monkeypatch.setattr(cli_main, "main", command)
    try:
        with pytest.raises(SystemExit) as ended:
            cli_main.run()
        assert ended.value.code == 3
        assert gc.get_freeze_count() > 0  # the interpreter's exit skips these objects
    finally:
        gc.unfreeze()
    assert capsys.readouterr().out == "done\n"


def test_the_installed_command_is_run(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("media-pipeline").read_text()
    assert "import run" in script
    out = subprocess.run([sys.executable, "-m", "media_pipeline.cli.main", "search", "x",
                          "--data-dir", str(tmp_path), "--json"],
                         capture_output=True, text=True, timeout=120)
    # A one-line error and exit code 2, through run() as through the installed command.
    assert out.returncode == 2 and "no library" in out.stderr and "Traceback" not in out.stderr
