import multiprocessing
from pathlib import Path

from media_pipeline.library.db import Library


def _writer(path: str, worker: int, count: int) -> None:
    library = Library(Path(path), lock_timeout_s=60)
    for i in range(count):
        key = f"{worker:02d}{i:014d}"
        library.register(key, f"file{i}.wav", f"/in/{worker}/file{i}.wav")
        library.save_entry(key, duration_s=1.0, language="en", model="tiny.en",
                           fingerprint="f", outputs={"srt": "x"},
                           cues=[(0, 1000, f"cue {worker} {i}")], word_count=2)


def test_concurrent_writers_lose_no_row(tmp_path: Path) -> None:
    path = tmp_path / "library.duckdb"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 15)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    library = Library(path)
    rows = library.rows()
    assert len(rows) == 60
    assert all(r.status == "completed" and r.cue_count == 1 for r in rows)
    assert library.search("cue 3 14") == ["03" + f"{14:014d}"]


def test_every_name_is_kept_and_status_moves(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.duckdb")
    library.register("k1", "a.mp3", "/x/a.mp3")
    library.register("k1", "b.mp3", "/y/b.mp3")
    library.register("k1", "a.mp3", "/x/a.mp3")
    assert library.names("k1") == [("a.mp3", "/x/a.mp3"), ("b.mp3", "/y/b.mp3")]
    library.set_status("k1", "failed", "not a media file")
    row = library.get("k1")
    assert row is not None and row.status == "failed" and row.error == "not a media file"


def test_a_library_made_before_the_language_probability_column_gains_it(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # the media table as the first release made it
    con.execute("CREATE TABLE media (key VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, "
                "error VARCHAR, duration_s DOUBLE, language VARCHAR, model VARCHAR, "
                "fingerprint VARCHAR, outputs VARCHAR, cue_count INTEGER, word_count INTEGER, "
                "search_text VARCHAR, first_seen TIMESTAMP NOT NULL DEFAULT current_timestamp, "
                "updated TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    con.execute("INSERT INTO media (key, status, language) VALUES ('old', 'completed', 'en')")
    con.close()
    library = Library(path)
    old = library.get("old")
    assert old is not None and old.language == "en" and old.language_probability is None
    library.save_entry("new", duration_s=2.0, language="de", model="base", fingerprint="f",
                       outputs={"srt": "x"}, cues=[(0, 900, "hallo")], word_count=1,
                       language_probability=0.97)
    new = library.get("new")
    assert new is not None and (new.language, new.language_probability) == ("de", 0.97)
