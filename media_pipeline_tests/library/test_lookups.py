"""The lookups every fingerprint reads come from one transaction per change of the library."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from media_pipeline.library.cleanup_reverts import CleanupRevertStore, cached_reverts
from media_pipeline.library.db import Library
from media_pipeline.library.dictionary import DictionaryStore, cached_entries
from media_pipeline.library.speaker_names import SpeakerNameStore, speaker_names
from media_pipeline.text.dictionary import DictionaryEntry


def test_three_lookups_one_read_until_a_write(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    library = Library(tmp_path / "library.duckdb")
    DictionaryStore(library).add(DictionaryEntry(find="colour", replace="color"))
    CleanupRevertStore(library).add("k1", ["c1"])
    SpeakerNameStore(library).set("k1", {"Speaker 1": "Ada"})
    reads: list[Any] = []
    real = library.transaction

    def counted(work: Any, schema: str = "") -> Any:
        reads.append(work)
        return real(work, schema)
    monkeypatch.setattr(library, "transaction", counted)
    assert [e.find for e in cached_entries(library)] == ["colour"]
    assert cached_reverts(library) == {"k1": {"c1"}}
    assert speaker_names(library, "k1") == {"Speaker 1": "Ada"}
    assert len(reads) == 1
    monkeypatch.setattr(library, "transaction", real)
    SpeakerNameStore(library).set("k1", {"Speaker 1": "Grace"})
    monkeypatch.setattr(library, "transaction", counted)
    assert speaker_names(library, "k1") == {"Speaker 1": "Grace"}
    assert cached_reverts(library) == {"k1": {"c1"}} and len(reads) == 2


def test_a_held_connection_serves_the_block_and_lets_go_after(tmp_path: Path) -> None:
    import duckdb

    from media_pipeline.library import db

    library = Library(tmp_path / "library.duckdb")
    library.register("k1", "a.wav", "/a.wav")
    opened: list[str] = []
    real = duckdb.connect

    def counted(path: str, *a: Any, **k: Any) -> Any:
        opened.append(path)
        return real(path, *a, **k)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(duckdb, "connect", counted)
        with db.holding(library.path):
            for n in range(5):
                library.set_status("k1", "failed", f"try {n}")
            assert library.get("k1") is not None
        assert len(opened) == 1
        with pytest.raises(RuntimeError), db.holding(library.path):
            library.transaction(lambda con: (con.execute(
                "UPDATE media SET error = 'lost' WHERE key = 'k1'"), _boom()))
    row = library.get("k1")
    assert row is not None and row.error == "try 4"  # the failed transaction rolled back
    # Released: another process can open the file at once.
    subprocess.run([sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
                    str(library.path)], check=True, timeout=60)


def _boom() -> None:
    raise RuntimeError("boom")
