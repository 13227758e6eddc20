"""Answer an upload in the same request: the compatibility APIs (``/asr``, ``/v1/audio/…``).

The upload becomes a job exactly as ``POST /api/jobs`` makes one (keyed by the content's
hash and the options, so the same bytes with the same options are the same job and are
answered from the library without model work); the request then waits for the job, at most
``RuntimeSettings.sync_api_timeout_s``, and the answer is rendered from the job's artifacts
(the edited cues, the transcript's language, the source's duration).
"""

import asyncio
import math
import os
import tempfile
import time
import wave
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from media_pipeline.api.deps import AppState
from media_pipeline.api.uploads import check_content_length, discard, save_upload
from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.model import Job, JobOptions, JobState
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.stages.transcription import load_transcript_words
from media_pipeline.store.fingerprints import ASSETS
from media_pipeline.subtitles.model import Cue, Word

POLL_S = 0.25
MAX_FORM_FIELDS = 32
PCM_RATE = 16_000
"""Raw PCM (``/asr?encode=false``) is s16le mono at this rate, as Bazarr sends it."""


class SyncTimeoutError(HTTPException):
    """The job did not finish within ``sync_api_timeout_s``; it goes on and can be polled."""

    def __init__(self, job_id: str, timeout_s: float) -> None:
        super().__init__(status.HTTP_504_GATEWAY_TIMEOUT,
                         f"job {job_id} did not finish within {timeout_s:g} s; it goes on: "
                         f"poll /api/jobs/{job_id} (the same request again is answered "
                         "from it once done)", headers={"Location": f"/api/jobs/{job_id}"})
        self.job_id = job_id


class SyncJobFailedError(HTTPException):
    def __init__(self, job: Job) -> None:
        super().__init__(status.HTTP_500_INTERNAL_SERVER_ERROR,
                         f"job {job.id} {job.state.value}: {job.error or 'no result'}",
                         headers={"Location": f"/api/jobs/{job.id}"})


@dataclass(frozen=True)
class Received:
    """A multipart request's fields and its one file, saved to a temporary file."""

    form: FormData
    media: Path
    name: str
    """The client's file name (its last path part), for Content-Disposition and the library."""


async def receive_upload(request: Request, state: AppState, field: str) -> Received:
    """The multipart form of ``request`` with its file (field ``field``) saved; the caller
    discards ``media`` when done. 411 without Content-Length, 413 over the upload limit."""
    limit = state.runtime.max_upload_mb << 20
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"send multipart/form-data with the audio in field '{field}'")
    length = request.headers.get("content-length")
    if length is None:  # a bounded upload needs its size up front
        raise HTTPException(status.HTTP_411_LENGTH_REQUIRED, "send Content-Length")
    check_content_length(length, limit)
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"send the audio in the multipart field '{field}'")
    media = await save_upload(upload, state.runtime.data_dir, limit)
    name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
    return Received(form, media, name)


def wrap_pcm(raw: Path, rate: int = PCM_RATE) -> Path:
    """Raw s16le mono PCM in ``raw`` as a WAV file beside it (``raw`` is removed): a header
    makes it decodable by ffmpeg, and the same samples always give the same bytes (key)."""
    fd, name = tempfile.mkstemp(dir=raw.parent, prefix=".upload-", suffix=".wav")
    out = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh, wave.open(fh, "wb") as wav, raw.open("rb") as src:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            carry = b""
            while chunk := src.read(1 << 20):
                chunk = carry + chunk
                cut = len(chunk) - len(chunk) % 2  # an odd last byte is no sample
                wav.writeframesraw(chunk[:cut])
                carry = chunk[cut:]
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    discard(raw)
    return out


def with_upstream(asset: str) -> list[str]:
    """``asset`` and every asset it is made from, in graph order."""
    needed = {asset}
    for name in reversed(ASSETS):
        if name in needed:
            needed.update(ASSETS[name].upstream)
    return [name for name in ASSETS if name in needed]


async def run_to_completion(state: AppState, media: Path, name: str, options: JobOptions,
                            only: list[str] | None = None) -> Job:
    """Create (or find) the job for ``media`` with ``options`` and wait for its end;
    ``only``: a run of just these assets.

    Raises SyncTimeoutError after ``sync_api_timeout_s`` (the job goes on), and
    SyncJobFailedError when the job failed or was cancelled.
    """
    created = await run_in_threadpool(state.jobs.create, media, name, options, only=only)
    job = created.job
    timeout_s = state.runtime.sync_api_timeout_s
    deadline = time.monotonic() + timeout_s
    while not job.state.finished:
        if time.monotonic() >= deadline:
            raise SyncTimeoutError(job.id, timeout_s)
        await asyncio.sleep(POLL_S)
        job = await run_in_threadpool(state.jobs.require, job.id)
    if job.state != JobState.COMPLETED:
        raise SyncJobFailedError(job)
    return job


@dataclass(frozen=True)
class JobResult:
    """What the compatibility APIs answer with, read from a completed job's artifacts."""

    job: Job
    cues: list[Cue]
    """The edited cues: what the job's subtitle files show."""
    words: list[Word]
    """The transcript's words (Whisper's, before cleanup and edits), on the source timeline."""
    language: str
    language_probability: float | None
    duration_s: float

    def words_of(self, cue: Cue) -> list[Word]:
        """The transcript words that start within ``cue``."""
        return [w for w in self.words if cue.start_ms <= w.start_ms < cue.end_ms]

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.cues).strip()


class MissingResultError(MediaPipelineError):
    """A completed job whose artifacts are no longer stored."""


def _info(state: AppState, job: Job, asset: str) -> dict[str, Any]:
    fp = job.fingerprints.get(asset)
    manifest = state.jobs.storage.artifacts.manifest(job.media_key, asset, fp) if fp else None
    return manifest["info"] if manifest else {}


def language_of(state: AppState, job: Job) -> tuple[str, float | None]:
    """The spoken language of ``job``'s media and its probability: the ``spoken_language``
    asset's detection, else what the transcript says ("" when neither is known)."""
    for asset in ("spoken_language", "transcript"):
        info = _info(state, job, asset)
        if info.get("language"):
            probability = info.get("language_probability")
            return str(info["language"]), float(probability) if probability is not None \
                else None
    return "", None


def job_result(state: AppState, job: Job) -> JobResult:
    """The cues, language and duration of the completed ``job``."""
    store = state.jobs.storage.artifacts
    key = job.media_key
    fp = job.fingerprints.get("edited_cues")
    if not fp or store.manifest(key, "edited_cues", fp) is None:
        raise MissingResultError(f"the cues of job {job.id} are no longer stored")
    cues = read_cues(store.find(key, "edited_cues", fp, "cues"))
    transcript_fp = job.fingerprints.get("transcript")
    words = load_transcript_words(store.find(key, "transcript", transcript_fp, "transcript")
                                  )[0] if transcript_fp else []
    language, probability = language_of(state, job)
    return JobResult(job=job, cues=cues, words=words, language=language,
                     language_probability=probability,
                     duration_s=float(_info(state, job, "source_media").get("duration_s")
                                      or 0.0))


async def completed_job(state: AppState, received: Received, options: JobOptions,
                        pcm: bool = False, only: list[str] | None = None) -> Job:
    """The job for ``received``'s file with ``options``, run to its end (``only``: of just
    these assets); the temporary file is gone afterwards. ``pcm``: the file is raw s16le
    16 kHz mono."""
    media = received.media
    try:
        if pcm:
            media = await run_in_threadpool(wrap_pcm, media)
        return await run_to_completion(state, media, received.name, options, only)
    finally:
        discard(media)


async def answer(state: AppState, received: Received, options: JobOptions,
                 pcm: bool = False) -> JobResult:
    """The whole job for ``received``'s file, run to its end, as a JobResult."""
    job = await completed_job(state, received, options, pcm)
    return await run_in_threadpool(job_result, state, job)


def model_for(defaults: PipelineSettings, language: str | None = None,
              task: str | None = None, detect: bool = False) -> str | None:
    """The model a request must name when the server's default cannot serve it (speech
    that is not English, a translation, or a language detection while the default model is
    English-only): the multilingual model. None: the server's default."""
    if not defaults.model.endswith(".en"):
        return None
    if detect or task == "translate" or (language and language != "en"):
        return defaults.multilingual_model
    return None


def segment_json(index: int, cue: Cue, words: list[Word] | None = None) -> dict[str, Any]:
    """A Whisper-style segment for one cue. There are no tokens; ``avg_logprob`` is the mean
    log probability of its words, ``no_speech_prob`` 0 (the cue lies within speech)."""
    text = cue.text.strip()
    probabilities = [max(w.probability, 1e-6) for w in words or cue.words]
    raw = text.encode()
    segment: dict[str, Any] = {
        "id": index, "seek": 0, "start": cue.start_ms / 1000, "end": cue.end_ms / 1000,
        "text": " " + text, "tokens": [], "temperature": 0.0,
        "avg_logprob": round(sum(map(math.log, probabilities)) / len(probabilities), 4)
        if probabilities else 0.0,
        "compression_ratio": round(len(raw) / len(zlib.compress(raw)), 4) if raw else 0.0,
        "no_speech_prob": 0.0}
    if words is not None:
        segment["words"] = [{"start": w.start_ms / 1000, "end": w.end_ms / 1000,
                             "word": " " + w.text.strip(),
                             "probability": round(w.probability, 4)} for w in words]
    return segment
