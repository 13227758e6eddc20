"""The lookups every fingerprint reads come from one transaction per change of the library."""

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
