import pytest
from fastapi import HTTPException

from media_pipeline.api.errors import MAX_DETAIL_CHARS, status_of, validation_message
from media_pipeline.api.validation import MAX_JSON_DEPTH, nesting_depth, parse_json
from media_pipeline.errors import LibraryLockedError, MediaPipelineError, NotMediaError
from media_pipeline.jobs.service import TooManyPendingError
from media_pipeline.library.edits import EditError, NothingToUndoError


def test_every_error_gets_its_status_and_subclasses_come_first() -> None:
    assert status_of(NothingToUndoError("undo"))[0] == 409  # an EditError, but a conflict
    assert status_of(EditError("bad edit"))[0] == 422
    assert status_of(NotMediaError("k", "not media"))[0] == 415
    assert status_of(TooManyPendingError(3, retry_after_s=10)) == (429, {"Retry-After": "10"})
    assert status_of(LibraryLockedError("busy")) == (503, {"Retry-After": "5"})
    assert status_of(MediaPipelineError("something else")) == (500, {})


def test_a_validation_message_names_the_field_not_the_value() -> None:
    huge = "x" * 100_000
    errors = [{"type": "string_too_long", "loc": ("body", "text"), "input": huge,
               "msg": "String should have at most 1000 characters"},
              {"type": "missing", "loc": ("body", huge), "msg": "Field required"}]
    message = validation_message(errors)
    assert message == "text: String should have at most 1000 characters (and 1 more)"
    assert len(validation_message([{"loc": ("body", huge), "msg": huge}])) <= MAX_DETAIL_CHARS
    assert validation_message([]) == "invalid request"


@pytest.mark.parametrize(("body", "code"), [
    (b'{"end_ms": NaN}', 422), (b'{"end_ms": -Infinity}', 422), (b'{"end_ms": 1e999}', 422),
    (b'{"end_ms": ' + b"9" * 5000 + b"}", 422), (b"\xff\xfe\xfd", 422), (b"{", 422),
    (b"[" * 100_000 + b"]" * 100_000, 400), (b"[" * 33 + b"]" * 33, 400),
    (b'{"a":' * 40 + b"1" + b"}" * 40, 400),
])
def test_json_bodies_that_are_not_plain_json_are_a_4xx(body: bytes, code: int) -> None:
    with pytest.raises(HTTPException) as caught:
        parse_json(body)
    assert caught.value.status_code == code
    assert len(str(caught.value.detail)) < 120 and "9999" not in str(caught.value.detail)


def test_plain_json_at_the_depth_limit_parses() -> None:
    assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None
    assert parse_json(b'{"end_ms": 5.0, "text": "ok"}') == {"end_ms": 5.0, "text": "ok"}
    assert nesting_depth({"a": [1, {"b": []}]}) == 4 and nesting_depth(5) == 0
