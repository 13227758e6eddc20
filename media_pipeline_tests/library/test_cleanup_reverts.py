from pathlib import Path

from media_pipeline.library.cleanup_reverts import (
    CleanupRevertStore,
    media_reverts_digest,
    reverts_resolver,
)
from media_pipeline.library.db import Library


def test_reverts_are_per_media_and_change_the_digest(tmp_path: Path) -> None:
    store = CleanupRevertStore(Library(tmp_path / "lib.duckdb"))
    assert media_reverts_digest(store.library, "k1") == ""
    assert store.add("k1", ["aaaa", "bbbb", "aaaa"]) == 2
    assert store.add("k1", ["aaaa"]) == 0
    store.add("k2", ["cccc"])
    assert store.ids("k1") == {"aaaa", "bbbb"}
    first = media_reverts_digest(store.library, "k1")
    assert first and media_reverts_digest(store.library, "k3") == ""
    assert reverts_resolver(store.library)("k2") == frozenset({"cccc"})
    assert store.remove("k1", ["bbbb", "zzzz"]) == 1
    assert media_reverts_digest(store.library, "k1") not in ("", first)
    assert store.remove("k1") == 1 and store.ids("k1") == set()
    assert store.ids("k2") == {"cccc"}
