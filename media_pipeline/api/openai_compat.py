"""OpenAI's audio API: ``POST /v1/audio/transcriptions``, ``/v1/audio/translations`` and
``GET /v1/models``, for clients that speak it (the official ``openai`` package among them).

Each request is a job like ``POST /api/jobs`` (see ``sync_jobs``). ``model``: ``whisper-1``
(and OpenAI's newer transcription model names) mean the server's default settings; a Whisper
model name this server has (``tiny.en``, ``base``…) chooses that model. ``prompt`` and
``temperature`` are accepted and not used. Errors under ``/v1`` have OpenAI's shape
``{"error": {"message", "type", "param", "code"}}``.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.errors import capped, status_of, validation_message
from media_pipeline.api.limits import openai_error_body
from media_pipeline.api.sync_jobs import (
    JobResult,
    answer,
    model_for,
    receive_upload,
    segment_json,
)
from media_pipeline.api.uploads import discard
from media_pipeline.asr.models import BUNDLED_BASE, BUNDLED_TINY_EN
from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.model import WHISPER_MODEL_NAMES, JobOptions
from media_pipeline.languages import language_name
from media_pipeline.subtitles.export import render

DEFAULT_MODEL_ALIASES = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")
"""Model names that mean "the server's default settings"."""
RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
GRANULARITIES = ("word", "segment")
OWNER = "media_pipeline"


def openai_error(code: int, message: str, param: str | None = None,
                 headers: dict[str, str] | None = None) -> JSONResponse:
    """OpenAI's error answer for HTTP status ``code`` about form field ``param``."""
    body = openai_error_body(code, capped(message))
    body["error"]["param"] = param
    return JSONResponse(body, status_code=code, headers=headers)


class OpenAIError(HTTPException):
    """A 4xx about one form field (``param``)."""

    def __init__(self, message: str, param: str | None = None, code: int = 400) -> None:
        super().__init__(code, message)
        self.param = param


class OpenAIRoute(APIRoute):
    """Routes whose every error (auth, validation, the pipeline's) has OpenAI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except OpenAIError as exc:
                return openai_error(exc.status_code, str(exc.detail), exc.param)
            except HTTPException as exc:  # OpenAI answers a malformed request with 400
                code = 400 if exc.status_code == 422 else exc.status_code
                return openai_error(code, str(exc.detail), headers=dict(exc.headers or {}))
            except RequestValidationError as exc:
                return openai_error(status.HTTP_400_BAD_REQUEST,
                                    validation_message(exc.errors()))
            except MediaPipelineError as exc:
                code, headers = status_of(exc)
                code = 400 if code == 422 else code
                return openai_error(code, exc.user_message, headers=headers)
        return handle


router = APIRouter(prefix="/v1", tags=["OpenAI audio"], route_class=OpenAIRoute)
State = Annotated[AppState, Depends(get_state)]


def model_names(state: AppState) -> list[str]:
    """The names ``/v1/models`` lists: the default aliases, the bundled models and the
    server's default model."""
    names = [*DEFAULT_MODEL_ALIASES, BUNDLED_TINY_EN, BUNDLED_BASE, state.settings.model]
    return list(dict.fromkeys(names))


@router.get("/models")
def list_models(state: State) -> dict[str, Any]:
    """The models a request may name (OpenAI's list shape)."""
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0,
                                        "owned_by": OWNER} for name in model_names(state)]}


_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "model"],
    "properties": {"file": {"type": "string", "format": "binary"},
                   "model": {"type": "string", "default": "whisper-1"},
                   "language": {"type": "string"}, "prompt": {"type": "string"},
                   "response_format": {"type": "string", "enum": list(RESPONSE_FORMATS)},
                   "temperature": {"type": "number"},
                   "timestamp_granularities[]": {"type": "array", "items": {
                       "type": "string", "enum": list(GRANULARITIES)}}}}}}}


@router.post("/audio/transcriptions", openapi_extra={"requestBody": _BODY},
             response_class=Response)
async def transcriptions(request: Request, state: State) -> Response:
    """Transcribe the upload (OpenAI's form fields; ``prompt`` and ``temperature`` unused)."""
    return await _audio(request, state, "transcribe")


@router.post("/audio/translations", openapi_extra={"requestBody": _BODY},
             response_class=Response)
async def translations(request: Request, state: State) -> Response:
    """English text from speech in any language (Whisper's translate task)."""
    return await _audio(request, state, "translate")


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise OpenAIError(f"'{name}' must be a text field", name)
    return value.strip() if value is not None else None


def _granularities(form: FormData) -> set[str]:
    given = [*form.getlist("timestamp_granularities[]"), *form.getlist("timestamp_granularities")]
    chosen = {str(g).strip() for g in given}
    unknown = chosen - set(GRANULARITIES)
    if unknown:
        raise OpenAIError(f"timestamp_granularities: unknown {sorted(unknown)[0]!r}; use word "
                          "or segment", "timestamp_granularities")
    return chosen


def _model(state: AppState, name: str | None, language: str | None, task: str) -> str | None:
    """The Whisper model ``name`` asks for (None: the server's default)."""
    if not name:
        raise OpenAIError("you must provide a model parameter", "model")
    if name in DEFAULT_MODEL_ALIASES or name == state.settings.model:
        return model_for(state.settings, language, task)
    if name not in WHISPER_MODEL_NAMES:
        raise OpenAIError(f"the model '{name[:64]}' does not exist; see GET /v1/models", "model")
    return name


def _options(state: AppState, form: FormData, task: str) -> tuple[JobOptions, str, set[str]]:
    fmt = _field(form, "response_format") or "json"
    if fmt not in RESPONSE_FORMATS:
        raise OpenAIError(f"response_format must be one of {', '.join(RESPONSE_FORMATS)}",
                          "response_format")
    language = (_field(form, "language") if task == "transcribe" else None) or None
    temperature = _field(form, "temperature")
    if temperature:
        try:
            float(temperature)
        except ValueError:
            raise OpenAIError("temperature must be a number", "temperature") from None
    model = _model(state, _field(form, "model"), language, task)
    options = JobOptions(model=model, language=language,
                         task="translate" if task == "translate" else None)
    return options, fmt, _granularities(form)


async def _audio(request: Request, state: AppState, task: str) -> Response:
    received = await receive_upload(request, state, "file")
    try:
        options, fmt, granularities = _options(state, received.form, task)
        result = await answer(state, received, options)
    finally:
        discard(received.media)
    if fmt in ("srt", "vtt"):
        return Response(render(result.cues, fmt), media_type="text/plain; charset=utf-8")
    if fmt == "text":
        return Response(result.text + "\n", media_type="text/plain; charset=utf-8")
    if fmt == "json":
        return JSONResponse({"text": result.text})
    return JSONResponse(verbose_json(result, task, granularities))


def verbose_json(result: JobResult, task: str, granularities: set[str]) -> dict[str, Any]:
    """OpenAI's ``verbose_json``: times in seconds; segments always, words when asked for."""
    language = "en" if task == "translate" else result.language
    body: dict[str, Any] = {"task": task, "language": language_name(language) if language
                            else "", "duration": round(result.duration_s, 3),
                            "text": result.text}
    body["segments"] = [segment_json(i, c) for i, c in enumerate(result.cues)]
    if "word" in granularities:
        body["words"] = [{"word": w.text.strip(), "start": w.start_ms / 1000,
                          "end": w.end_ms / 1000} for w in result.words]
    return body
