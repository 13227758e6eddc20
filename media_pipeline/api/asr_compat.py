"""Bazarr's Whisper provider: whisper-asr-webservice's ``POST /asr`` and ``/detect-language``.

Multipart field ``audio_file``; with ``encode=false`` the body is raw s16le 16 kHz mono PCM
without a header (what Bazarr sends): it is wrapped into a WAV before it is stored, so it is
keyed and decoded like any other file. Each request is a job like ``POST /api/jobs`` (see
``sync_jobs``). Accepted and not used: ``initial_prompt`` (the pipeline does not prompt
Whisper) and ``vad_filter`` (the pipeline always transcribes only its speech regions);
``word_timestamps`` adds the words to the ``json`` output (the cues are always timed from
words). ``/detect-language`` runs the job only up to the ``spoken_language`` asset (the
multilingual model's detection over the speech, not just the first 30 s).
"""

import json
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.sync_jobs import (
    JobResult,
    answer,
    completed_job,
    language_of,
    model_for,
    receive_upload,
    segment_json,
    with_upstream,
)
from media_pipeline.api.uploads import discard
from media_pipeline.jobs.model import JobOptions
from media_pipeline.languages import language_name
from media_pipeline.subtitles.export import render

router = APIRouter(tags=["whisper-asr-webservice (Bazarr)"])
State = Annotated[AppState, Depends(get_state)]
ENGINE = "media_pipeline"
FIELD = "audio_file"
DETECTION = with_upstream("spoken_language")
"""What ``/detect-language`` materializes: up to the detected language, no transcript."""


class Task(StrEnum):
    TRANSCRIBE = "transcribe"
    TRANSLATE = "translate"


class Output(StrEnum):
    TXT = "txt"
    VTT = "vtt"
    SRT = "srt"
    TSV = "tsv"
    JSON = "json"


_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD],
    "properties": {FIELD: {"type": "string", "format": "binary"}}}}}}
_ENCODE = Query(description="false: the body is raw s16le 16 kHz mono PCM (no header)")


@router.post("/asr", openapi_extra={"requestBody": _BODY}, response_class=Response)
async def asr(request: Request, state: State, encode: Annotated[bool, _ENCODE] = True,
              task: Task = Task.TRANSCRIBE, language: str | None = None,
              initial_prompt: str | None = None, vad_filter: bool = False,
              word_timestamps: bool = False, output: Output = Output.TXT,
              video_file: str | None = None) -> Response:
    """Transcribe (or translate to English) the upload; the reply is the text as a file.

    ``initial_prompt`` and ``vad_filter`` are accepted and not used; ``video_file`` (sent by
    Bazarr) names the job.
    """
    del initial_prompt, vad_filter  # part of the contract; the pipeline has no use for them
    language = (language or "").strip() or None
    options = JobOptions(language=language,
                         task=Task.TRANSLATE.value if task == Task.TRANSLATE else None,
                         model=model_for(state.settings, language, task.value))
    received = await receive_upload(request, state, FIELD)
    try:
        result = await answer(state, received, options, pcm=not encode)
    finally:
        discard(received.media)
    name = _base_name(video_file) or received.name
    text = asr_output(result, output, task, word_timestamps)
    return Response(text, media_type="text/plain; charset=utf-8", headers={
        "Asr-Engine": ENGINE,
        "Content-Disposition": f'attachment; filename="{quote(name)}.{output.value}"'})


@router.post("/detect-language", openapi_extra={"requestBody": _BODY})
async def detect_language(request: Request, state: State,
                          encode: Annotated[bool, _ENCODE] = True) -> JSONResponse:
    """The spoken language: ``{"detected_language", "language_code", "confidence"}``."""
    options = JobOptions(model=model_for(state.settings, detect=True))
    received = await receive_upload(request, state, FIELD)
    try:
        job = await completed_job(state, received, options, pcm=not encode, only=DETECTION)
    finally:
        discard(received.media)
    code, probability = await run_in_threadpool(language_of, state, job)
    return JSONResponse({"detected_language": language_name(code) if code else "",
                         "language_code": code, "confidence": round(probability or 0.0, 4)})


def _base_name(path: str | None) -> str:
    return (path or "").replace("\\", "/").rsplit("/", 1)[-1].strip()


def asr_output(result: JobResult, output: Output, task: Task, word_timestamps: bool) -> str:
    """The reply of ``/asr`` in ``output``: whisper-asr-webservice's shapes from our cues."""
    cues = result.cues
    if output in (Output.SRT, Output.VTT):
        return render(cues, output.value)
    if output == Output.TXT:
        return "".join(f"{c.text.strip()}\n" for c in cues)
    if output == Output.TSV:
        rows = [f"{c.start_ms}\t{c.end_ms}\t{c.text.strip().replace(chr(9), ' ')}"
                for c in cues]
        return "start\tend\ttext\n" + "".join(f"{row}\n" for row in rows)
    body = {"text": result.text,
            "segments": [segment_json(i, c, result.words_of(c) if word_timestamps else None)
                         for i, c in enumerate(cues)],
            "language": result.language if task == Task.TRANSCRIBE else "en"}
    return json.dumps(body, ensure_ascii=False)

