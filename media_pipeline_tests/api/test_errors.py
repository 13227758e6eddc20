from media_pipeline.api.errors import status_of
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
