"""Asking Plex which files an item is (api/plex_lookup.py), against a fake Plex: a real HTTP
server on 127.0.0.1 that checks ``X-Plex-Token`` and answers ``/library/metadata/{key}`` in
the shape Plex's JSON has (``MediaContainer.Metadata[].Media[].Part[].file``)."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from media_pipeline.api.plex_lookup import PlexLookupError, files_of, plex_files, shown_url

PLEX_TOKEN = "plex-secret-9f3k2LmQ"


def plex_item(rating_key: str, files: list[list[str]]) -> dict[str, Any]:
    """Plex's answer for one item: one ``Media`` per version, one ``Part`` per file."""
    media = [{"id": 100 + i, "duration": 11000, "container": "wav", "Part": [
        {"id": 200 + 10 * i + j, "key": f"/library/parts/{200 + 10 * i + j}/1796000000/file",
         "duration": 11000, "file": file, "size": 32044, "container": "wav"}
        for j, file in enumerate(version)]} for i, version in enumerate(files)]
    return {"MediaContainer": {
        "size": 1, "allowSync": True, "identifier": "com.plexapp.plugins.library",
        "librarySectionID": 1, "librarySectionTitle": "Movies", "mediaTagPrefix":
        "/system/bundle/media/flags/", "Metadata": [{
            "ratingKey": rating_key, "key": f"/library/metadata/{rating_key}",
            "type": "movie", "title": "Plex Film", "librarySectionID": 1, "Media": media}]}}


@dataclass
class FakePlex:
    """A Plex server with ``items`` (ratingKey → its reply); ``seen``: each request's path
    and headers."""

    items: dict[str, dict[str, Any]]
    token: str = PLEX_TOKEN
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)
    """ratingKey → where a 302 sends the client."""
    url: str = ""


class _Handler(BaseHTTPRequestHandler):
    plex: FakePlex

    def do_GET(self) -> None:
        self.plex.seen.append((self.path, dict(self.headers.items())))
        if self.headers.get("X-Plex-Token") != self.plex.token:
            self._answer(401, b"<html><head><title>Unauthorized</title></head></html>",
                         "text/html")
            return
        key = self.path.removeprefix("/library/metadata/")
        if key in self.plex.moved:
            self.send_response(302)
            self.send_header("Location", self.plex.moved[key])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == key or key not in self.plex.items:
            self._answer(404, b"", "text/html")
            return
        self._answer(200, json.dumps(self.plex.items[key]).encode(), "application/json")

    def _answer(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving_fake_plex() -> Iterator[FakePlex]:
    """A FakePlex answering on 127.0.0.1 (a thread) while the block runs."""
    plex = FakePlex({})
    handler = type("Handler", (_Handler,), {"plex": plex})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    plex.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield plex
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_plex() -> Iterator[FakePlex]:
    with serving_fake_plex() as plex:
        yield plex


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def silent_server() -> Iterator[str]:
    """A URL whose server accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def silent_plex() -> Iterator[str]:
    with silent_server() as url:
        yield url


def test_the_files_of_every_version_and_part_come_back(fake_plex: FakePlex) -> None:
    fake_plex.items["5001"] = plex_item("5001", [["/data/a - pt1.mkv", "/data/a - pt2.mkv"],
                                                 ["/data/a 4k.mkv"]])
    files = plex_files(fake_plex.url + "/", PLEX_TOKEN, "5001")
    assert files == ["/data/a - pt1.mkv", "/data/a - pt2.mkv", "/data/a 4k.mkv"]
    path, headers = fake_plex.seen[-1]
    assert path == "/library/metadata/5001"
    assert headers["X-Plex-Token"] == PLEX_TOKEN and headers["Accept"] == "application/json"


def test_a_wrong_token_is_named_but_never_shown(fake_plex: FakePlex) -> None:
    fake_plex.items["5001"] = plex_item("5001", [["/data/a.mkv"]])
    with pytest.raises(PlexLookupError) as caught:
        plex_files(fake_plex.url, "wrong-token-x", "5001")
    message = str(caught.value)
    assert message == (f"Plex at {fake_plex.url} refused the token (HTTP 401): set "
                       "MEDIA_PIPELINE_PLEX_TOKEN to the server's X-Plex-Token")
    assert not caught.value.timed_out


@pytest.mark.parametrize(("reply", "why"), [
    (None, "has no item 5001"),
    ({"MediaContainer": {"size": 1, "Metadata": [{"ratingKey": "5001", "type": "show"}]}},
     "lists no file for item 5001"),
])
def test_an_item_without_files_is_an_error(fake_plex: FakePlex, reply: dict[str, Any] | None,
                                           why: str) -> None:
    if reply is not None:
        fake_plex.items["5001"] = reply
    with pytest.raises(PlexLookupError, match=why):
        plex_files(fake_plex.url, PLEX_TOKEN, "5001")


def test_a_server_that_is_down_fails_at_once() -> None:
    url = closed_port_url()
    started = time.monotonic()
    with pytest.raises(PlexLookupError) as caught:
        plex_files(url, PLEX_TOKEN, "5001")
    assert time.monotonic() - started < 2.0
    assert str(caught.value).startswith(f"Plex at {url} cannot be reached (")
    assert str(caught.value).endswith("check MEDIA_PIPELINE_PLEX_URL")


def test_a_server_that_never_answers_is_given_up_after_the_timeout(silent_plex: str) -> None:
    started = time.monotonic()
    with pytest.raises(PlexLookupError) as caught:
        plex_files(silent_plex, PLEX_TOKEN, "5001", timeout_s=0.5)
    assert 0.4 < time.monotonic() - started < 3.0
    assert caught.value.timed_out
    assert str(caught.value) == f"Plex at {silent_plex} did not answer within 0.5 s"


def test_a_redirect_is_not_followed_with_the_token(fake_plex: FakePlex) -> None:
    fake_plex.items["5002"] = plex_item("5002", [["/data/b.mkv"]])
    fake_plex.moved["5001"] = fake_plex.url + "/library/metadata/5002"
    with pytest.raises(PlexLookupError, match=r"redirects \(HTTP 302\): set MEDIA_PIPELINE_"):
        plex_files(fake_plex.url, PLEX_TOKEN, "5001")
    assert [path for path, _ in fake_plex.seen] == ["/library/metadata/5001"]


def test_reading_the_reply_and_showing_the_url() -> None:
    reply = plex_item("7", [["/m/x.mkv", "/m/x.mkv"], [" "]])
    assert files_of(reply) == ["/m/x.mkv"]
    assert files_of({"MediaContainer": {"Metadata": "nonsense"}}) == []
    assert files_of([1, 2]) == []
    assert shown_url("http://user:pw@plex:32400/?X-Plex-Token=abc#x") == "http://plex:32400"
    assert shown_url("https://[::1]:32400/plex/") == "https://[::1]:32400/plex"
