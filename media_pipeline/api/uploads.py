"""Getting a client's file in safely: size limit, a temp name of our own, content probed.

Nothing from the client reaches the file system but the bytes: the temporary file has a
random name in ``<data>/uploads``; once probed as media it moves into the media store under
its content hash, and anything rejected is deleted.
"""

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import HTTPException, status
from starlette.datastructures import UploadFile

CHUNK = 1 << 20
MULTIPART_OVERHEAD = 64 << 10
"""Bytes a multipart body may carry beyond the file's own (boundaries, part headers, fields)."""


def uploads_dir(data_dir: Path) -> Path:
    path = data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def too_large(limit_bytes: int) -> HTTPException:
    return HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                         f"uploads are limited to {limit_bytes // (1 << 20)} MiB")


def check_content_length(header: str | None, limit_bytes: int) -> None:
    """413 before reading a body that says it is too large."""
    if header and header.isdigit() and int(header) > limit_bytes + MULTIPART_OVERHEAD:
        raise too_large(limit_bytes)


async def save_upload(upload: UploadFile, data_dir: Path, limit_bytes: int) -> Path:
    """The upload's bytes in a fresh temporary file (deleted again on any error)."""
    fd, name = tempfile.mkstemp(dir=uploads_dir(data_dir), prefix=".upload-")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in _chunks(upload):
                size += len(chunk)
                if size > limit_bytes:
                    raise too_large(limit_bytes)
                out.write(chunk)
        if size == 0:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the file is empty")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(CHUNK):
        yield chunk


def discard(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def resolve_library_path(text: str, root: Path) -> Path:
    """``text`` as a file under ``root`` (symlinks resolved); 403 outside, 404 missing."""
    root = root.resolve()
    candidate = Path(text)
    try:
        resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "not a usable path") from exc
    if not resolved.is_relative_to(root):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the path is outside the library root")
    if not resolved.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file under the library root")
    return resolved
