import json
from pathlib import Path

import pytest

from media_pipeline.cli.main import main
from media_pipeline.errors import ConfigurationError
from media_pipeline.library.db import Library
from media_pipeline.library.dictionary import (
    DictionaryStore,
    dictionary_digest,
    media_dictionary_digest,
)
from media_pipeline.text.dictionary import DictionaryEntry


@pytest.fixture()
def store(tmp_path: Path) -> DictionaryStore:
    return DictionaryStore(Library(tmp_path / "library.duckdb"))


def test_entries_per_library_and_per_media(store: DictionaryStore) -> None:
    store.add(DictionaryEntry("jon", "John"))
    store.add(DictionaryEntry("colour", "color", mode="exact"))
    store.add(DictionaryEntry("jon", "Jonathan", scope="abc123"))
    assert [e.find for e in store.entries("library")] == ["jon", "colour"]
    assert [(e.find, e.replace) for e in store.for_media("abc123")] == [
        ("colour", "color"), ("jon", "Jonathan")]  # the media's own entry wins
    assert [(e.find, e.replace) for e in store.for_media("other")] == [
        ("jon", "John"), ("colour", "color")]
    store.add(DictionaryEntry("jon", "JON", case_sensitive=True))
    assert len(store.entries("library")) == 3  # case-sensitive rule is a different rule
    store.add(DictionaryEntry("jon", "Jon!"))  # same scope and find: replaced
    assert next(e.replace for e in store.entries("library") if not e.case_sensitive) == "Jon!"
    assert store.remove("jon") == 2
    assert store.remove("jon") == 0
    with pytest.raises(ConfigurationError):
        store.remove("")


def test_digest_changes_with_entries_and_is_cached(store: DictionaryStore) -> None:
    library = store.library
    assert media_dictionary_digest(library, "k") == ""  # no database yet
    library.register("k", "n", "p")
    assert media_dictionary_digest(library, "k") == ""
    store.add(DictionaryEntry("a", "b"))
    first = media_dictionary_digest(library, "k")
    assert first and first == media_dictionary_digest(library, "k")
    assert media_dictionary_digest(library, None) == first  # library-wide entries only
    store.add(DictionaryEntry("c", "d", scope="k"))
    second = media_dictionary_digest(library, "k")  # the cache sees the new entry
    assert second not in ("", first)
    assert media_dictionary_digest(library, "other") == first  # k's entry is not other's
    assert media_dictionary_digest(library, None) == first
    assert dictionary_digest(list(reversed(store.entries()))) == second  # order-free


def test_cli_dictionary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path)
    assert main(["dictionary", "--data-dir", data, "add", "teh", "the"]) == 0
    assert main(["dictionary", "--data-dir", data, "add", "Kowloon", "Kowloon",
                 "--media", "k1", "--case-sensitive", "--exact"]) == 0
    capsys.readouterr()
    assert main(["dictionary", "--data-dir", data, "list", "--media", "k1", "--effective",
                 "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["find"], r["scope"], r["mode"]) for r in rows] == [
        ("teh", "library", "word"), ("Kowloon", "k1", "exact")]
    assert main(["dictionary", "--data-dir", data, "remove", "teh"]) == 0
    assert main(["dictionary", "--data-dir", data, "remove", "teh"]) == 1
    assert main(["dictionary", "--data-dir", data, "list"]) == 0
    assert "1 entries" in capsys.readouterr().out
