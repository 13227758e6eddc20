"""The API's JSON shapes (they document themselves in the OpenAPI schema)."""

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)

from media_pipeline.jobs.model import OPTION_NAMES, JobOptions
from media_pipeline.library.edits import MAX_TEXT_CHARS, MAX_TIME_MS, text_problem
from media_pipeline.settings import setting_specs


class ProgressOut(BaseModel):
    percent: float = Field(description="Rough share of the job done, 0..100")
    transcribed_s: float | None = Field(
        None, description="Seconds of speech transcribed so far (while transcribing)")
    speech_s: float | None = Field(None, description="Seconds of speech to transcribe in all")
    duration_s: float | None = Field(None, description="Duration of the media file")


class JobOut(BaseModel):
    id: str = Field(description="Media key (16 hex digits), plus -<8 hex> for non-default options")
    state: str = Field(description="pending, preprocessing, transcribing, refining, exporting, "
                                   "rendering_preview, completed, failed or cancelled")
    progress: ProgressOut
    error: str | None = Field(None, description="Short reason when the job failed")
    export_error: str | None = Field(None, description="Why the latest re-export after an "
                                     "edit failed; the job stays completed and undo works")
    outputs: dict[str, str] = Field(description="Subtitle format → download URL")
    media_key: str
    name: str = Field(description="The file's name, sanitized")
    options: dict[str, Any]
    created_at: float
    updated_at: float
    run_id: str | None = Field(None, description="The job's latest Dagster run")
    runs: int = Field(description="Runs this job has had (processing and re-exports)")


class JobOptionsBase(BaseModel):
    """Options of a new job; each one left out (or null) takes the server's default.

    The defaults shown are the built-in ones; a server may set others
    (``MEDIA_PIPELINE_<NAME>`` variables).
    """

    # A form field "nan" or "inf" would otherwise become a float option (JSON bodies never
    # get that far: api/validation.py refuses NaN and Infinity).
    model_config = ConfigDict(allow_inf_nan=False)

    def to_options(self) -> JobOptions:
        """The options given, as the job service takes them."""
        return JobOptions(**self.model_dump(include=set(OPTION_NAMES), exclude_none=True))


def _job_options_in() -> type[JobOptionsBase]:
    """``JobOptionsBase`` with one optional field per setting an API client may choose (its
    built-in default documented in the JSON schema), and ``lyrics``."""
    options: dict[str, Any] = {
        s.name: (s.type | None, Field(None, description=s.description,
                                      json_schema_extra={"default": s.default}))
        for s in setting_specs() if s.api}
    options["lyrics"] = (str | None, Field(None, description="Reference lyrics (plain text) "
                                                             "for lyrics alignment"))
    return create_model("JobOptionsIn", __base__=JobOptionsBase, __module__=__name__,
                        __doc__=JobOptionsBase.__doc__, **options)


if TYPE_CHECKING:
    JobOptionsIn = JobOptionsBase
else:
    JobOptionsIn = _job_options_in()


class JobFromPath(JobOptionsIn):
    path: str = Field(description="A media file under the server's library root "
                                  "(relative to it, or absolute)")


class SegmentOut(BaseModel):
    id: int
    start_ms: int
    end_ms: int
    text: str = Field(description="Cue text; line breaks as \\n")


class SegmentPatch(BaseModel):
    """A segment edit: what is left out stays. Times are whole milliseconds within the
    media's duration (the endpoint checks that bound); text may hold line breaks (\\n) and
    tabs but no other control character."""

    start_ms: int | None = Field(None, ge=0, le=MAX_TIME_MS)
    end_ms: int | None = Field(None, ge=1, le=MAX_TIME_MS)
    text: str | None = Field(None, min_length=1, max_length=MAX_TEXT_CHARS)

    @field_validator("text")
    @classmethod
    def _no_control_characters(cls, text: str | None) -> str | None:
        problem = text_problem(text) if text is not None else None
        if problem is not None:
            raise ValueError(problem)
        return text


class ErrorOut(BaseModel):
    detail: str


class CleanupChangeOut(BaseModel):
    id: str = Field(description="Stable id of the change (what revert and restore take)")
    kind: str = Field(description="whitespace, quotes, hallucination, repeat or dictionary")
    before: str
    after: str
    start_ms: int
    detail: str = Field(description="The rule: pattern name or dictionary entry")
    state: str = Field(description="applied, reverted, 'to revert on next run', "
                                   "'to restore on next run' or 'revert refused: …'")


ChangeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CleanupSelection(BaseModel):
    ids: list[ChangeId] = Field(default_factory=list, max_length=10_000,
                                description="Change ids")
    all: bool = Field(False, description="Every change (of ``kind`` when given)")
    kind: str | None = Field(None, max_length=32, description="With all: only this kind")
