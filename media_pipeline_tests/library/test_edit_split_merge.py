"""Split and merge of segments: positional ids, times, and one undo step each."""

from pathlib import Path

import pytest

from media_pipeline.library.db import Library
from media_pipeline.library.edits import (
    EditError,
    EditStore,
    Segment,
    edited_cues,
    merge_segments,
    segments_from_cues,
    split_segment,
)
from media_pipeline.library.search import search_library
from media_pipeline.subtitles.model import Cue, Word

ORIGINAL = [Segment(1, 0, 1000, "hello there"), Segment(2, 1200, 2000, "general\nkenobi"),
            Segment(3, 2500, 3000, "end")]


def test_split_cuts_text_and_times_in_proportion_and_renumbers() -> None:
    out = split_segment(ORIGINAL, 1, 5)
    assert out == [Segment(1, 0, 455, "hello"), Segment(2, 455, 1000, "there"),
                   Segment(3, 1200, 2000, "general\nkenobi"), Segment(4, 2500, 3000, "end")]
    at = split_segment(ORIGINAL, 2, 8, at_ms=1300)
    assert at[1:3] == [Segment(2, 1200, 1300, "general"), Segment(3, 1300, 2000, "kenobi")]


@pytest.mark.parametrize(("segment_id", "at_char", "at_ms"), [
    (1, 0, None), (1, 11, None), (1, 99, None), (1, -3, None), (4, 2, None),
    (1, 5, 0), (1, 5, 1000), (1, 5, 5000), (1, 1, None),
])
def test_bad_splits_are_refused(segment_id: int, at_char: int, at_ms: int | None) -> None:
    segments = list(ORIGINAL)
    if (segment_id, at_char) == (1, 1):  # only a space on one side
        segments = [Segment(1, 0, 1000, " hello")]
    with pytest.raises(EditError):
        split_segment(segments, segment_id, at_char, at_ms)


def test_merge_joins_with_the_next_and_refuses_the_last() -> None:
    out = merge_segments(ORIGINAL, 2)
    assert out == [ORIGINAL[0], Segment(2, 1200, 3000, "general kenobi end")]
    with pytest.raises(EditError):
        merge_segments(ORIGINAL, 3)
    with pytest.raises(EditError):
        merge_segments(ORIGINAL, 0)


def test_split_then_merge_are_undo_steps(tmp_path: Path) -> None:
    store = EditStore(Library(tmp_path / "library.duckdb"))
    state = store.change("k", "b", ORIGINAL, lambda s: split_segment(s, 1, 5))
    assert [s.text for s in state.segments] == ["hello", "there", "general\nkenobi", "end"]
    state = store.change("k", "b", ORIGINAL, lambda s: merge_segments(s, 1))
    assert [s.text for s in state.segments] == ["hello there", "general\nkenobi", "end"]
    assert state.undo_depth == 2 and state.segments[0].end_ms == 1000
    assert len(store.undo("k", "b", ORIGINAL).segments) == 4
    assert store.undo("k", "b", ORIGINAL).segments == ORIGINAL
    state = store.redo("k", "b", ORIGINAL)
    assert [s.id for s in state.segments] == [1, 2, 3, 4] and state.redo_depth == 1
    with pytest.raises(EditError):  # a refused change is no step
        store.change("k", "b", ORIGINAL, lambda s: merge_segments(s, 4))
    assert store.state("k", "b", ORIGINAL).undo_depth == 1


def test_cues_after_a_split_keep_their_words() -> None:
    words = (Word("general", 1200, 1500), Word("kenobi", 1500, 2000))
    base = [Cue(0, 1000, ("hello there",)), Cue(1200, 2000, ("general", "kenobi"), words)]
    segments = split_segment([Segment(1, 0, 1000, "hello there"),
                              Segment(2, 1200, 2000, "general\nkenobi")], 1, 5)
    out = edited_cues(base, segments, lambda text: (text,))
    assert [c.lines for c in out] == [("hello",), ("there",), ("general", "kenobi")]
    assert out[2].words == words and out[0].words == ()


def test_search_finds_an_edit_before_its_re_export(tmp_path: Path) -> None:
    library = Library(tmp_path / "library.duckdb")
    library.save_entry("k", duration_s=3.0, language="en", model="tiny.en", fingerprint="f",
                       outputs={}, cues=[(s.start_ms, s.end_ms, " ".join(s.text.split()))
                                         for s in ORIGINAL], word_count=5)
    store = EditStore(library)
    store.change("k", "b", ORIGINAL, lambda s: split_segment(s, 2, 8, at_ms=1600))
    store.edit("k", "b", ORIGINAL, 3, text="obi wan")
    assert library.cues("k") == [(0, 1000, "hello there"), (1200, 1600, "general"),
                                 (1600, 2000, "obi wan"), (2500, 3000, "end")]
    [hit] = search_library(library, "obi WAN")
    assert (hit.start_ms, hit.text) == (1600, "obi wan")
    store.undo("k", "b", ORIGINAL)
    store.undo("k", "b", ORIGINAL)
    assert search_library(library, "obi wan") == []
    assert library.cues("k")[1] == (1200, 2000, "general kenobi")


def test_a_split_cue_keeps_its_speaker_on_both_halves() -> None:
    base = [Cue(0, 1000, ("hello there",), speaker="A"), Cue(1200, 2000, ("general",),
                                                             speaker="B")]
    segments = split_segment(segments_from_cues(base), 1, 5)
    out = edited_cues(base, segments, lambda text: (text,))
    assert [c.speaker for c in out] == ["A", "A", "B"]
