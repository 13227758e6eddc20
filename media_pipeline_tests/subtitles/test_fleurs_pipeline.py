"""FLEURS en/de/fr/es/pt through the whole pipeline with the multilingual ``base`` model:
every export carries exactly the final cue text, parses with pysubs2 and ffmpeg, and every
cue meets the netflix-en rules."""

import html
import re
import subprocess
from pathlib import Path

import pysubs2
import pytest

from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.batch import process_paths
from media_pipeline.library.db import Library
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.store.paths import DataRoot
from media_pipeline.subtitles.rules import check_srt_file
from media_pipeline.text.profiles import get_profile
from media_pipeline_tests.conftest import wer

# The shortest clip of each language keeps the test to a few seconds of audio each.
CLIPS = ("fleurs-en-004", "fleurs-de-005", "fleurs-fr-005", "fleurs-es-006", "fleurs-pt-002")


@pytest.mark.slow
def test_fleurs_languages_export_exact_text(corpus: Path, tmp_path: Path) -> None:
    clips = [corpus / "fleurs" / f"{name}.ogg" for name in CLIPS]
    runtime = runtime_settings_from_env(tmp_path / "data")
    results = process_paths(clips, runtime, PipelineSettings(model="base"))
    assert [r.status for r in results] == ["completed"] * len(clips), [r.error for r in results]
    library = Library(DataRoot.of(runtime).library_path)
    limits = get_profile("netflix-en").limits
    errors = []
    for clip, r in zip(clips, results, strict=True):
        assert r.key is not None
        cue_texts = [text for _, _, text in library.cues(r.key)]
        assert cue_texts, clip.name
        for fmt in ("srt", "vtt", "ass"):
            events = pysubs2.load(r.outputs[fmt], encoding="utf-8").events
            got = [html.unescape(e.plaintext).replace("\n", " ") for e in events]
            assert got == cue_texts, (clip.name, fmt)
            proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i",
                                   r.outputs[fmt], "-f", "srt", "-"], capture_output=True)
            assert proc.returncode == 0 and proc.stdout.count(b" --> ") == len(cue_texts)
        lrc = Path(r.outputs["lrc"]).read_text(encoding="utf-8").splitlines()
        assert [re.sub(r"^\[[\d:.]+\]", "", x) for x in lrc[:-1]] == cue_texts, clip.name
        assert Path(r.outputs["txt"]).read_text(encoding="utf-8").split() == " ".join(
            cue_texts).split()
        count, found = check_srt_file(Path(r.outputs["srt"]), limits)
        assert count == len(cue_texts) and not any(found.values()), (clip.name, found)
        errors.append(wer(clip.with_suffix(".txt").read_text(encoding="utf-8"),
                          " ".join(cue_texts)))
    assert max(errors) < 0.5, errors  # the cues still carry what was said
    assert sum(errors) / len(errors) < 0.3, errors
