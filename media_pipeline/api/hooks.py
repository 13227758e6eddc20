"""``/api/hooks/{jellyfin,emby,plex}``: a media server says an item was added; its file is
queued as a job, exactly as ``POST /api/jobs {"path": …}`` would queue it.

- Jellyfin (webhook plugin, Generic destination): a JSON object with ``NotificationType``
  ``ItemAdded``, ``ItemType`` and ``Path`` (what "Send All Properties" sends, or a template
  with those keys).
- Emby (Webhooks, 4.7.9+): ``Event`` ``library.new`` and ``Item`` with ``Path``, ``Type``,
  ``MediaType``; as the multipart/form field ``data`` or, with "Request content type:
  application/json", as the body.
- Plex (Webhooks, Plex Pass): multipart with the JSON in the field ``payload``, ``event``
  ``library.new``, ``Metadata``. Plex's payload names no file (its ``Metadata`` has the
  ``ratingKey``, not the ``Media``/``Part`` of its own API): a ``Part`` ``file`` is used when
  one is there, else Plex is asked (``plex_url``, ``plex_token``: api/plex_lookup.py) and
  each file of the item is queued; without ``plex_url`` the answer is a 422 saying so.

The server's path goes through ``path_map`` and must then lie in the library root (403
outside, 404 when no such file). Other events, and items that are not audio or video
(series, seasons, albums, photos), are answered 200 with ``"status": "ignored"`` and why.
A library scan sends many notices at once and no server sends one again, so a hook's job is
never refused by MAX_PENDING_MEDIA_JOBS nor counted toward it: the run queue paces them, as
it does inbox files.
"""

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from media_pipeline.api.deps import AppState, get_state
from media_pipeline.api.jobs import library_root
from media_pipeline.api.plex_lookup import PlexLookupError, plex_files
from media_pipeline.api.uploads import resolve_library_path
from media_pipeline.api.validation import parse_json
from media_pipeline.jobs.model import JobOptions
from media_pipeline.store.path_map import PathMap, PathMapError

router = APIRouter(prefix="/api/hooks", tags=["media servers"])
State = Annotated[AppState, Depends(get_state)]
log = logging.getLogger(__name__)

#: Item types that are one audio or video file (Jellyfin's ItemType, Emby's Item.Type).
MEDIA_ITEM_TYPES = frozenset({"movie", "episode", "video", "musicvideo", "trailer", "audio",
                              "audiobook"})
#: Plex's Metadata.type for one playable file.
PLEX_MEDIA_TYPES = frozenset({"movie", "episode", "track", "clip"})
MAX_FORM_FIELDS = 16


@dataclass(frozen=True)
class ItemAdded:
    """What a server says was added: its path for the file (None when it gave none) and,
    from Plex, the item's ``ratingKey`` to ask the server with."""

    path: str | None
    kind: str
    plex_key: str | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


def _get(data: dict[str, Any], name: str) -> Any:
    """``data[name]``, the key's case not minding (templates are typed by hand)."""
    if name in data:
        return data[name]
    lowered = name.lower()
    return next((v for k, v in data.items() if isinstance(k, str) and k.lower() == lowered),
                None)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def jellyfin_item(payload: dict[str, Any]) -> ItemAdded | Ignored:
    """A Jellyfin webhook plugin notification, read."""
    kind = _text(_get(payload, "NotificationType"))
    if kind.lower() != "itemadded":
        return Ignored(f"Jellyfin {kind or 'untyped'} notifications are not acted on "
                       "(only ItemAdded)")
    item_type = _text(_get(payload, "ItemType"))
    if item_type.lower() not in MEDIA_ITEM_TYPES:
        return Ignored(f"a Jellyfin {item_type or 'untyped'} item is not one audio or video "
                       "file")
    return ItemAdded(_text(_get(payload, "Path")) or None, item_type)


def emby_item(payload: dict[str, Any]) -> ItemAdded | Ignored:
    """An Emby webhook notice, read."""
    event = _text(_get(payload, "Event"))
    if event.lower() != "library.new":
        return Ignored(f"Emby {event or 'untyped'} events are not acted on (only library.new)")
    item = _get(payload, "Item")
    item = item if isinstance(item, dict) else {}
    item_type, media_type = _text(_get(item, "Type")), _text(_get(item, "MediaType"))
    if _get(item, "IsFolder") is True or (item_type.lower() not in MEDIA_ITEM_TYPES
                                          and media_type.lower() not in ("audio", "video")):
        return Ignored(f"an Emby {item_type or 'untyped'} item is not one audio or video file")
    return ItemAdded(_text(_get(item, "Path")) or None, item_type or media_type)


def plex_item(payload: dict[str, Any]) -> ItemAdded | Ignored:
    """A Plex webhook payload, read (its file, when a ``Media``/``Part`` names one)."""
    event = _text(payload.get("event"))
    if event != "library.new":
        return Ignored(f"Plex {event or 'untyped'} events are not acted on (only library.new)")
    metadata = payload.get("Metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    item_type = _text(metadata.get("type"))
    if item_type not in PLEX_MEDIA_TYPES:
        return Ignored(f"a Plex {item_type or 'untyped'} item is not one audio or video file")
    for media in _dicts(metadata.get("Media")):
        for part in _dicts(media.get("Part")):
            if file := _text(part.get("file")):
                return ItemAdded(file, item_type)
    key = metadata.get("ratingKey")
    return ItemAdded(None, item_type, str(key).strip() if isinstance(key, str | int) else None)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


NO_PATH = {
    "jellyfin": "Jellyfin sent no Path: tick 'Send All Properties' in the webhook plugin's "
                "destination, or put \"Path\": \"{{Path}}\" in its template",
    "emby": "Emby sent no Item.Path for the new item",
    "plex": "Plex's library.new payload names no file: set MEDIA_PIPELINE_PLEX_URL (e.g. "
            "http://plex:32400) and MEDIA_PIPELINE_PLEX_TOKEN so that Plex is asked for it",
}


async def _payload(request: Request, field: str | None) -> dict[str, Any]:
    """The JSON object of the request: the body, or the form ``field`` holding it."""
    content_type = request.headers.get("content-type", "").lower()
    if field is not None and content_type.startswith(("multipart/form-data",
                                                      "application/x-www-form-urlencoded")):
        form = await request.form(max_files=2, max_fields=MAX_FORM_FIELDS)
        value = form.get(field)
        if isinstance(value, UploadFile):
            raw = await value.read(request.app.state.media_pipeline.runtime.max_json_body_kb
                                   << 10)
        elif isinstance(value, str):
            raw = value.encode()
        else:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"send the notice as JSON in the form field '{field}'")
    else:
        raw = await request.body()
    data = parse_json(raw or b"null")
    if not isinstance(data, dict):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "the notice is not a JSON object")
    return data


def _our_path(state: AppState, server: str, their_path: str) -> str:
    try:
        mapping = PathMap.parse(state.runtime.path_map)
    except PathMapError as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR,
                            f"MEDIA_PIPELINE_PATH_MAP is not valid: {exc}") from None
    ours = mapping.map(their_path)
    if ours is None:
        log.warning("%s hook: no path_map prefix covers %r", server, their_path)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"the {server} path matches no 'their' prefix of "
                            "MEDIA_PIPELINE_PATH_MAP")
    return ours


async def _their_paths(state: AppState, server: str, item: ItemAdded) -> list[str]:
    """The server's paths for the item: the one it sent, else (Plex) the ones Plex lists."""
    if item.path is not None:
        return [item.path]
    runtime = state.runtime
    if server != "plex" or not runtime.plex_url:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, NO_PATH[server])
    if not item.plex_key:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "Plex's library.new payload has no Metadata.ratingKey to ask "
                            "Plex with")
    try:
        return await run_in_threadpool(plex_files, runtime.plex_url, runtime.plex_token,
                                       item.plex_key)
    except PlexLookupError as exc:
        log.warning("plex hook: %s", exc)
        code = (status.HTTP_504_GATEWAY_TIMEOUT if exc.timed_out
                else status.HTTP_502_BAD_GATEWAY)
        raise HTTPException(code, str(exc)) from None


async def _handle(state: AppState, server: str,
                  item: ItemAdded | Ignored) -> JSONResponse:
    if isinstance(item, Ignored):
        return JSONResponse({"status": "ignored", "server": server, "reason": item.reason})
    root = library_root(state)
    paths = [resolve_library_path(_our_path(state, server, theirs), root)
             for theirs in await _their_paths(state, server, item)]
    made = [await run_in_threadpool(state.jobs.create, path, path.name, JobOptions(),
                                    source_path=path, counted=False) for path in paths]
    created = any(m.created for m in made)
    code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return JSONResponse({"status": "queued", "server": server, "created": created,
                         "job": made[0].job.to_json(), "jobs": [m.job.to_json() for m in made]},
                        status_code=code, headers={"Location": f"/api/jobs/{made[0].job.id}"})


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Ignored (another event, or not an audio/video item), or the job "
                         "that already exists for this file"},
    201: {"description": "The file was queued: the new job"},
    403: {"description": "The mapped path is outside the library root"},
    404: {"description": "No such file under the library root"},
    415: {"description": "The file is not audio or video"},
    422: {"description": "Not the server's notice, no path in it (Plex: and no plex_url "
                         "to ask), or no path_map entry for it"},
    502: {"description": "Plex, asked which file the item is, could not be reached, "
                         "refused the token or listed no file"},
    504: {"description": "Plex, asked which file the item is, did not answer in time"},
}


@router.post("/jellyfin", responses=_RESPONSES)
async def jellyfin_hook(request: Request, state: State) -> JSONResponse:
    """Jellyfin webhook plugin (Generic destination, JSON). Send the token as the header
    ``Authorization: Bearer <token>`` (the destination's "Headers")."""
    return await _handle(state, "jellyfin", jellyfin_item(await _payload(request,
                                                                                  None)))


@router.post("/emby", responses=_RESPONSES)
async def emby_hook(request: Request, state: State) -> JSONResponse:
    """Emby webhook (form field ``data``, or a JSON body). Emby sends no custom header: the
    token may come as ``?access_token=`` here."""
    return await _handle(state, "emby", emby_item(await _payload(request, "data")))


@router.post("/plex", responses=_RESPONSES)
async def plex_hook(request: Request, state: State) -> JSONResponse:
    """Plex webhook (multipart field ``payload``). Plex sends no custom header: the token
    may come as ``?access_token=`` here. Plex names no file: set ``MEDIA_PIPELINE_PLEX_URL``
    and ``MEDIA_PIPELINE_PLEX_TOKEN`` so that the server is asked for it."""
    return await _handle(state, "plex", plex_item(await _payload(request,
                                                                          "payload")))
