"""``media-pipeline narrate``: the --json contract and exit codes."""

import json
from pathlib import Path

import pytest

from media_pipeline.cli.main import main
from media_pipeline.tts.errors import ProviderAuthError
from media_pipeline_tests.narration.conftest import FIVE_SENTENCES, UseProvider
from media_pipeline_tests.tts.fakes import FakeProvider

Use = UseProvider


def narrate(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
            *extra: str) -> tuple[int, dict[str, object]]:
    text_file = tmp_path / "text.txt"
    text_file.write_text(text, encoding="utf-8")
    code = main(["narrate", "--text-file", str(text_file), "--data-dir", str(tmp_path / "d"),
                 "--provider", "fake", "--no-check", "--no-progress", "--json", *extra])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    out: dict[str, object] = json.loads(lines[0])
    return code, out


def test_narrate_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               use_provider: Use) -> None:
    use_provider(FakeProvider())
    code, out = narrate(tmp_path, capsys, FIVE_SENTENCES, "--voice", "v1", "--speed", "1.25")
    assert code == 0 and out["status"] == "completed" and out["error"] is None
    outputs = out["outputs"]
    assert isinstance(outputs, dict) and {"mp3", "timings", "srt"} <= set(outputs)
    assert all(Path(p).stat().st_size > 0 for p in outputs.values())
    assert outputs["mp3"] == str(tmp_path / "d" / "audio" / f"{out['key']}.mp3")
    code, again = narrate(tmp_path, capsys, FIVE_SENTENCES, "--voice", "v1", "--speed", "1.25")
    assert code == 0 and again["key"] == out["key"]


def test_narrate_reports_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  use_provider: Use) -> None:
    use_provider(FakeProvider(fail={1: ProviderAuthError(provider="fake")}))
    code, out = narrate(tmp_path, capsys, "Some words.")
    assert (code, out["status"], out["error"]) == (1, "failed", "Provider authentication failed")
    code, out = narrate(tmp_path, capsys, "  \n")
    assert (code, out["key"], out["status"], out["error"]) == (2, None, "failed", "Text is empty")
