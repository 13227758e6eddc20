"""Ask a Plex server which files an item is: its ``library.new`` webhook names none.

``GET {plex_url}/library/metadata/{ratingKey}`` with ``X-Plex-Token`` and
``Accept: application/json`` answers ``MediaContainer.Metadata[].Media[].Part[].file``: one
path per part (a film in two files has two parts; several versions are several ``Media``).
The token is a secret: it travels in the header only (never in the URL, so no proxy or
access log sees it), redirects are not followed (they would carry the header to another
host), and no message here names it.
"""

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

PLEX_TIMEOUT_S = 5.0
"""How long one question to Plex may take (connect, then each read) before it is given up."""
MAX_REPLY_BYTES = 8 << 20
"""An item's metadata is a few KiB; a reply this large is not Plex's."""


class PlexLookupError(Exception):
    """Plex could not say which file an item is; ``timed_out`` when it did not answer."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx is raised as an HTTPError


def shown_url(url: str) -> str:
    """``url`` as it may be shown: no user info, query or fragment (a token put there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def files_of(reply: Any) -> list[str]:
    """The ``Part`` files of every item in a ``/library/metadata`` reply, in order."""
    container = reply.get("MediaContainer") if isinstance(reply, dict) else None
    metadata = container.get("Metadata") if isinstance(container, dict) else None
    files: list[str] = []
    for item in _dicts(metadata):
        for media in _dicts(item.get("Media")):
            for part in _dicts(media.get("Part")):
                file = part.get("file")
                if isinstance(file, str) and file.strip() and file.strip() not in files:
                    files.append(file.strip())
    return files


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def plex_files(plex_url: str, token: str | None, rating_key: str,
               timeout_s: float | None = None) -> list[str]:
    """The files of Plex item ``rating_key``; PlexLookupError when Plex cannot be asked, refuses,
    or has no file for it (the message names the server, never the token)."""
    base = plex_url.strip().rstrip("/")
    where = f"Plex at {shown_url(base)}"
    headers = {"Accept": "application/json"}
    if token:
        headers["X-Plex-Token"] = token
    request = urllib.request.Request(f"{base}/library/metadata/{quote(rating_key, safe='')}",
                                     headers=headers)
    opener = urllib.request.build_opener(_NoRedirect)
    timeout = timeout_s or PLEX_TIMEOUT_S
    try:
        with opener.open(request, timeout=timeout) as answer:
            raw = answer.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise PlexLookupError(_refusal(where, exc.code, rating_key)) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
            raise PlexLookupError(f"{where} did not answer within {timeout:g} s",
                                  timed_out=True) from None
        raise PlexLookupError(f"{where} cannot be reached ({_reason(reason)}); check "
                              "MEDIA_PIPELINE_PLEX_URL") from None
    if len(raw) > MAX_REPLY_BYTES:
        raise PlexLookupError(f"{where} answered more than {MAX_REPLY_BYTES >> 20} MiB for "
                              f"item {rating_key}")
    try:
        files = files_of(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        raise PlexLookupError(f"{where} did not answer JSON for item {rating_key}") from None
    if not files:
        raise PlexLookupError(f"{where} lists no file for item {rating_key}")
    return files


def _refusal(where: str, code: int, rating_key: str) -> str:
    if code in (401, 403):
        return (f"{where} refused the token (HTTP {code}): set MEDIA_PIPELINE_PLEX_TOKEN to "
                "the server's X-Plex-Token")
    if code == 404:
        return f"{where} has no item {rating_key}"
    if 300 <= code < 400:
        return f"{where} redirects (HTTP {code}): set MEDIA_PIPELINE_PLEX_URL to the final URL"
    return f"{where} answered HTTP {code} for item {rating_key}"


def _reason(reason: object) -> str:
    """An OS error's words without its errno, else the reason's own words."""
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__
