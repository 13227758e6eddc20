"""The speakers asset end to end on a real three-speaker corpus file (real tiny.en, real
Dagster and DuckDB): who says each word, the files, search, and a rename that re-exports
without running recognition or diarization again."""

import difflib
import json
import re
from collections import Counter
from pathlib import Path

import dagster as dg
import pysubs2
import pytest

from media_pipeline.batch import FileResult, process_paths
from media_pipeline.cli.main import main
from media_pipeline.jobs.instance import open_instance
from media_pipeline.library.db import Library
from media_pipeline.library.search import search_library
from media_pipeline.settings import PipelineSettings, RuntimeSettings
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.store.paths import DataRoot
from media_pipeline.text.wer import normalized_words

pytestmark = pytest.mark.slow
CLIP = "picovoice_leopard/diarization_test.wav"


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory,
         corpus: Path) -> tuple[RuntimeSettings, FileResult]:
    runtime = RuntimeSettings(data_dir=tmp_path_factory.mktemp("speakers") / "data")
    [result] = process_paths([corpus / CLIP], runtime, PipelineSettings(speaker_prefix=True))
    assert result.status == "completed", result.error
    return runtime, result


def _computed(runtime: RuntimeSettings, asset: str, key: str) -> int:
    """How many materializations of ``asset`` for ``key`` did the work (not cached)."""
    with open_instance(DataRoot.of(runtime).dagster_home, runtime) as instance:
        records = instance.fetch_materializations(dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=100).records
    return sum(1 for r in records if r.asset_materialization is not None
               and not r.asset_materialization.metadata["cached"].value)


def _reference(corpus: Path) -> list[tuple[str, str]]:
    rows = (line.split("\t") for line in
            (corpus / CLIP).with_suffix(".speaker_words.tsv").read_text().splitlines()[2:])
    return [(normalized_words(w)[0], s.strip()) for w, s in rows if normalized_words(w)]


def test_each_recognised_word_is_said_by_the_reference_speaker(
        done: tuple[RuntimeSettings, FileResult], corpus: Path) -> None:
    runtime, result = done
    cues_file = next(DataRoot.of(runtime).artifacts_dir.glob(f"{result.key}/cues-*/cues.json"))
    words = [(normalized_words(w.text), w.speaker) for c in read_cues(cues_file)
             for w in c.words]
    hyp = [(t[0], s) for t, s in words if t]
    assert all(s for _, s in hyp)
    ref = _reference(corpus)
    pairs: Counter[tuple[str, str]] = Counter()
    matcher = difflib.SequenceMatcher(a=[w for w, _ in ref], b=[w for w, _ in hyp],
                                      autojunk=False)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[(ref[block.a + k][1], hyp[block.b + k][1])] += 1
    best: dict[str, str] = {}
    for (r, h), _ in pairs.most_common():
        if r not in best and h not in best.values():
            best[r] = h
    agree = sum(n for (r, h), n in pairs.items() if best.get(r) == h)
    assert sum(pairs.values()) >= 30 and agree / sum(pairs.values()) >= 0.9
    assert len(best) == 3


def test_the_files_and_the_library_name_the_speakers(
        done: tuple[RuntimeSettings, FileResult]) -> None:
    runtime, result = done
    vtt = Path(result.outputs["vtt"]).read_text()
    assert set(re.findall(r"<v ([^>]+)>", vtt)) == {"Speaker 1", "Speaker 2", "Speaker 3"}
    assert re.search(r"^Speaker 2: This is what a crocodile", Path(result.outputs["srt"])
                     .read_text(), re.MULTILINE)
    styles = pysubs2.load(result.outputs["ass"]).styles
    assert {"Speaker 1", "Speaker 2", "Speaker 3"} <= set(styles)
    library = Library(DataRoot.of(runtime).library_path)
    hits = search_library(library, "crocodile", speaker="speaker 2")
    assert [h.speaker for h in hits] == ["Speaker 2"]
    assert search_library(library, "crocodile", speaker="Speaker 3") == []


def test_rename_reaches_the_files_without_recognition(
        done: tuple[RuntimeSettings, FileResult], corpus: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    runtime, result = done
    key = str(result.key)
    before = {a: _computed(runtime, a, key) for a in ("transcript", "speakers", "subtitles")}
    data = ["--data-dir", str(runtime.data_dir)]
    code = main(["speakers", "rename", str(corpus / CLIP), "Speaker 2", "Steve", *data,
                 "--speaker-prefix"])
    assert code == 0
    srt = capsys.readouterr().out.strip().splitlines()[-1].split(": ", 1)[1]
    assert "\nSteve: This is what a crocodile" in Path(srt).read_text()
    after = {a: _computed(runtime, a, key) for a in before}
    assert after == {"transcript": 1, "speakers": 1, "subtitles": 2}, (before, after)
    main(["speakers", "list", str(result.key), "--json", *data])
    listed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {"label": "Speaker 2", "name": "Steve"} in listed
    hits = search_library(Library(DataRoot.of(runtime).library_path), "crocodile", speaker="steve")
    assert len(hits) == 1
