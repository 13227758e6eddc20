from pathlib import Path

from media_pipeline.library.db import Library
from media_pipeline.library.sidecars import SidecarOutcome, SidecarStore, file_sha256


def test_roots_written_files_and_outcomes_round_trip(tmp_path: Path) -> None:
    store = SidecarStore(Library(tmp_path / "library.duckdb"))
    store.record_roots({"/lib/Show/ep1.mkv": "/lib", "/lib/ep2.mkv": "/lib"})
    store.record_roots({"/lib/Show/ep1.mkv": "/lib/Show"})  # found again under another folder
    assert store.roots(["/lib/Show/ep1.mkv", "/x.mkv"]) == {"/lib/Show/ep1.mkv": "/lib/Show"}
    store.record_written("k", "/lib/Show/ep1.en.srt", "a" * 64)
    assert store.written(["/lib/Show/ep1.en.srt", "/nope"]) == {"/lib/Show/ep1.en.srt": "a" * 64}


def test_current_until_a_file_changes_or_a_source_or_setting_is_new(tmp_path: Path) -> None:
    store = SidecarStore(Library(tmp_path / "library.duckdb"))
    srt = tmp_path / "ep1.en.srt"
    srt.write_text("ours")
    assert store.current("k", "fp1", [])  # nothing to write beside: nothing to run
    assert not store.current("k", "fp1", ["/lib/ep1.mkv"])  # never ran
    store.save_outcomes("k", "fp1", [SidecarOutcome("/lib/ep1.mkv", str(srt), "written", None,
                                                    file_sha256(srt))])
    assert store.current("k", "fp1", ["/lib/ep1.mkv"])
    assert not store.current("k", "fp2", ["/lib/ep1.mkv"])  # other settings or subtitles
    assert not store.current("k", "fp1", ["/lib/ep1.mkv", "/lib/copy.mkv"])  # a new place
    srt.write_text("edited by the user")
    assert not store.current("k", "fp1", ["/lib/ep1.mkv"])
    fingerprint, [outcome] = store.outcomes("k")
    assert fingerprint == "fp1" and outcome.ours and outcome.path == str(srt)
