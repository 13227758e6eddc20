"""Segment edits with undo/redo in the library DuckDB: limits, concurrency, restarts."""

import threading
from pathlib import Path

import pytest

from media_pipeline.library.db import Library
from media_pipeline.library.edits import (
    MAX_TIME_MS,
    MAX_UNDO,
    EditError,
    EditStore,
    NothingToUndoError,
    Segment,
    apply_change,
    edited_cues,
    segments_from_cues,
    text_problem,
)
from media_pipeline.subtitles.model import Cue, Word

ORIGINAL = [Segment(i + 1, i * 1000, i * 1000 + 900, f"line {i}") for i in range(6)]


@pytest.fixture()
def store(tmp_path: Path) -> EditStore:
    return EditStore(Library(tmp_path / "library.duckdb"))


def test_51_edits_keep_50_undo_steps(store: EditStore) -> None:
    for i in range(51):
        state = store.edit("k", "b", ORIGINAL, 1, text=f"edit {i}")
    assert state.undo_depth == MAX_UNDO and state.segments[0].text == "edit 50"
    for _ in range(MAX_UNDO):
        state = store.undo("k", "b", ORIGINAL)
    # The oldest of the 51 steps fell off: back to the first edit, not the original.
    assert state.segments[0].text == "edit 0" and state.redo_depth == MAX_UNDO
    with pytest.raises(NothingToUndoError):
        store.undo("k", "b", ORIGINAL)


def test_a_new_edit_clears_redo(store: EditStore) -> None:
    store.edit("k", "b", ORIGINAL, 2, text="one")
    store.edit("k", "b", ORIGINAL, 2, start_ms=1100, end_ms=1500)
    state = store.undo("k", "b", ORIGINAL)
    assert (state.segments[1].start_ms, state.redo_depth) == (1000, 1)
    assert store.redo("k", "b", ORIGINAL).segments[1].end_ms == 1500
    store.undo("k", "b", ORIGINAL)
    state = store.edit("k", "b", ORIGINAL, 3, text="other")
    assert state.redo_depth == 0
    with pytest.raises(NothingToUndoError):
        store.redo("k", "b", ORIGINAL)


def test_invalid_edits_change_nothing(store: EditStore) -> None:
    for seg_id, changes in [(99, {"text": "x"}), (1, {"text": "  \n "}),
                            (1, {"start_ms": 950}), (1, {"end_ms": -1})]:
        with pytest.raises(EditError):
            store.edit("k", "b", ORIGINAL, seg_id, **changes)
    state = store.state("k", "b", ORIGINAL)
    assert state.segments == ORIGINAL and state.undo_depth == 0 and not state.edited


def test_concurrent_edits_lose_nothing(store: EditStore) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for j in range(4):
                store.edit("k", "b", ORIGINAL, n % 6 + 1, text=f"worker {n} edit {j}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    state = store.state("k", "b", ORIGINAL)
    assert state.undo_depth == 32 and state.version == 32
    for _ in range(32):
        state = store.undo("k", "b", ORIGINAL)
    assert state.segments == ORIGINAL


def test_history_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "library.duckdb"
    EditStore(Library(path)).edit("k", "b", ORIGINAL, 4, text="kept")
    again = EditStore(Library(path))  # a new process would start like this
    state = again.state("k", "b", ORIGINAL)
    assert state.segments[3].text == "kept" and state.undo_depth == 1
    assert again.undo("k", "b", ORIGINAL).segments[3].text == "line 3"
    # Another base (other cues of the same media) has its own history.
    assert again.state("k", "other", ORIGINAL).undo_depth == 0


def test_edited_cues_keep_words_of_untouched_cues_and_relayout_edited_text() -> None:
    words = (Word("hello", 0, 400), Word("there", 400, 900))
    cues = [Cue(0, 900, ("hello there",), words), Cue(1000, 1900, ("second",))]
    segments = segments_from_cues(cues)
    segments[1] = Segment(2, 1000, 1900, "a much longer replacement line")
    out = edited_cues(cues, segments, lambda text: (text[:10], text[10:]))
    assert out[0] == cues[0]
    assert out[1].lines == ("a much lon", "ger replacement line") and out[1].words == ()
    segments[1] = Segment(2, 1000, 1900, "two\nlines")
    assert edited_cues(cues, segments, lambda t: (t,))[1].lines == ("two", "lines")


@pytest.mark.parametrize("changes", [
    {"end_ms": 1e26}, {"end_ms": MAX_TIME_MS + 1}, {"end_ms": float("nan")},
    {"end_ms": float("inf")}, {"start_ms": 1.5}, {"start_ms": True}, {"start_ms": "5"},
    {"text": "nul\x00"}, {"text": "\x1b[31mred"}, {"text": "c1 \x85 next line"},
    {"text": "bell\x07"}, {"text": "lone \ud800 surrogate"}, {"text": "x" * 1001},
])
def test_impossible_times_and_control_characters_are_refused(changes: dict[str, object]
                                                              ) -> None:
    with pytest.raises(EditError) as caught:
        apply_change(ORIGINAL, 1, **changes)  # type: ignore[arg-type]
    message = caught.value.user_message
    assert len(message) < 120 and "1e+26" not in message and "red" not in message


def test_whole_float_times_and_line_breaks_are_accepted() -> None:
    changed = apply_change(ORIGINAL, 1, start_ms=100.0, end_ms=MAX_TIME_MS,
                           text="one\r\ntwo\rthree\u2028four\twith tab")
    assert (changed[0].start_ms, changed[0].end_ms) == (100, MAX_TIME_MS)
    assert changed[0].text == "one\ntwo\nthree\nfour with tab"
    assert text_problem("fine\ntext\t") is None
    assert text_problem("\x00") == ("text holds the control character U+0000; only line "
                                     "breaks and tabs are allowed")


def test_edits_stored_before_validation_still_export() -> None:
    """An edit list written by an older version (huge time, NUL) gives writable cues."""
    base = [Cue(0, 900, ("hello",))]
    stored = [Segment(1, 0, 10**15, "bad\x00text\nsecond")]
    [cue] = edited_cues(base, stored, lambda text: (text,))
    assert cue.end_ms == MAX_TIME_MS and cue.lines == ("bad text", "second")
