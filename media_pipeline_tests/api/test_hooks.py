"""Media servers' "item added" webhooks queue the file under the library root (api/hooks.py).

The real app in this process over a temporary Dagster instance; runs are put in the queue as
the Dagster webserver would (not executed: what a run does is tested elsewhere). Payloads
are shaped as Jellyfin's webhook plugin ("Send All Properties"), Emby's webhooks (form
field ``data``) and Plex's (multipart ``payload`` plus a poster) send them.
"""

import json
import math
import shutil
import subprocess
import time
import wave
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dagster as dg
import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient

from media_pipeline.api import plex_lookup
from media_pipeline.api.app import create_app
from media_pipeline.jobs.service import UNCOUNTED_TAG
from media_pipeline.library.db import Library
from media_pipeline.library.sidecars import SidecarStore
from media_pipeline.partitions import PARTITION_TAG
from media_pipeline.resources.storage import StorageResource
from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings, RuntimeSettings, runtime_settings_from_env
from media_pipeline.store.paths import DataRoot
from media_pipeline_tests.api.test_plex_lookup import (
    PLEX_TOKEN,
    closed_port_url,
    plex_item,
    serving_fake_plex,
    silent_server,
)
from media_pipeline_tests.api.test_requeue import add_run

TOKEN = "hooks-token-5b1e"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAKE = FakeWhisperResource(transcript="ask not what your country can do for you")


class RecordingSubmitter:
    """Queues runs as the webserver would (NOT_STARTED) and remembers their tags."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.tags: list[dict[str, str]] = []

    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        self.tags.append(dict(tags))
        return add_run(self.instance, dg.DagsterRunStatus.NOT_STARTED, tags).run_id


@dataclass
class Hooks:
    client: TestClient
    submitter: RecordingSubmitter
    root: Path
    data_dir: Path

    def sources(self, media_key: str) -> list[str]:
        library = Library(DataRoot(self.data_dir).library_path)
        return [path for _, path in library.names(media_key)]


def small_movie(source: Path, target: Path) -> Path:
    """A real Matroska video (64x64, the clip's audio) made with ffmpeg."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=black:s=64x64:r=5", "-i", str(source), "-shortest", "-c:v",
                    "mpeg4", "-c:a", "aac", str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Iterator[Hooks]:
    base = tmp_path_factory.mktemp("hooks")
    root, data_dir = base / "library", base / "data"
    jfk = corpus / "jfk" / "jfk.wav"
    (root / "music" / "JFK").mkdir(parents=True)
    shutil.copy(jfk, root / "music" / "JFK" / "Inaugural Address.wav")
    small_movie(jfk, root / "television" / "Speeches" / "Season 01" / "Speeches - S01E01.mkv")
    (root / "movies").mkdir()
    shutil.copy(corpus / "jfk" / "jfk.flac", root / "movies" / "Ask Not (1961).flac")
    runtime = RuntimeSettings(
        data_dir=data_dir, api_token=TOKEN, library_root=root, max_pending_media_jobs=50,
        path_map=f"/media={root} ; /media/tv={root}/television;D:\\Plex={root}")
    with dg.instance_for_test() as instance:
        submitter = RecordingSubmitter(instance)
        app = create_app(runtime, PipelineSettings(), submitter=submitter, instance=instance,
                         watch=False)
        app.state.media_pipeline.jobs.storage = StorageResource.at(data_dir, FAKE)
        yield Hooks(TestClient(app, headers=AUTH), submitter, root, data_dir)


def jellyfin(notification: str, item_type: str, path: str | None) -> dict[str, Any]:
    """What the plugin's "Send All Properties" posts for an item notification."""
    body: dict[str, Any] = {
        "ServerId": "0f4b3c0e6a8b4a9e9a4a1c5d1e2f3a4b", "ServerName": "living-room",
        "ServerVersion": "10.10.7", "ServerUrl": "http://jellyfin:8096",
        "NotificationType": notification, "Timestamp": "2026-11-30T03:40:00.0000000+00:00",
        "UtcTimestamp": "2026-11-30T03:40:00.0000000Z", "Name": "Inaugural Address",
        "Overview": "", "Tagline": "", "ItemId": "8e1c0b5a0c1a4b5e8d7f6a5b4c3d2e1f",
        "ItemType": item_type, "RunTimeTicks": 110_000_000, "RunTime": "00:00:11",
        "Year": 1961, "Album": "Speeches", "Artist": "John F. Kennedy",
        "Audio_0_Title": "PCM 16-bit mono", "Audio_0_Codec": "pcm_s16le",
        "Audio_0_Channels": 1, "Audio_0_SampleRate": 16000}
    if path is not None:
        body["Path"] = path
    return body


def emby(event: str, item: dict[str, Any] | None) -> dict[str, str]:
    """Emby's form body: the notice as JSON in the field ``data``."""
    notice: dict[str, Any] = {
        "Title": "New episode on living-room", "Date": "2026-11-30T03:40:00.0000000Z",
        "Event": event, "Severity": "Info",
        "Server": {"Name": "living-room", "Id": "c1d2e3f4", "Version": "4.8.10.0"}}
    if item is not None:
        notice["Item"] = item
    return {"data": json.dumps(notice)}


def emby_episode(path: str) -> dict[str, Any]:
    return {"Name": "The Address", "ServerId": "c1d2e3f4", "Id": "81234",
            "DateCreated": "2026-11-30T03:39:58.0000000Z", "Container": "mkv",
            "Path": path, "FileName": Path(path.replace("\\", "/")).name, "Size": 180_000,
            "IsFolder": False, "Type": "Episode", "MediaType": "Video",
            "SeriesName": "Speeches", "IndexNumber": 1, "ParentIndexNumber": 1}


def plex(event: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """Plex's multipart: ``payload`` (JSON) and, for library.new, a poster."""
    payload = {"event": event, "user": True, "owner": True,
               "Account": {"id": 1, "thumb": "https://plex.tv/users/x/avatar", "title": "me"},
               "Server": {"title": "living-room", "uuid": "0a1b2c3d"},
               "Metadata": metadata}
    return {"data": {"payload": json.dumps(payload)},
            "files": {"thumb": ("thumb.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 2000, "image/jpeg")}}


PLEX_MOVIE = {"librarySectionType": "movie", "ratingKey": "4123", "key": "/library/metadata/4123",
              "guid": "plex://movie/5d776", "librarySectionTitle": "Movies",
              "librarySectionID": 1, "type": "movie", "title": "Ask Not", "year": 1961,
              "addedAt": 1796000000, "updatedAt": 1796000000}


def test_jellyfin_item_added_queues_the_mapped_file(hooks: Hooks) -> None:
    body = jellyfin("ItemAdded", "Audio", "/media/music/JFK/Inaugural Address.wav")
    before = len(hooks.submitter.tags)
    answer = hooks.client.post("/api/hooks/jellyfin", json=body)
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["status"] == "queued" and data["created"] is True
    job = data["job"]
    assert job["state"] == "pending" and job["name"] == "Inaugural Address.wav"
    assert answer.headers["location"] == f"/api/jobs/{job['id']}"
    assert len(hooks.submitter.tags) == before + 1
    assert hooks.submitter.tags[-1][PARTITION_TAG] == job["media_key"]
    wanted = hooks.root / "music" / "JFK" / "Inaugural Address.wav"
    assert str(wanted) in hooks.sources(job["media_key"])
    # the library root is the file's root: output_dir mirrors music/JFK/ below it
    recorded = SidecarStore(Library(DataRoot(hooks.data_dir).library_path)).roots([str(wanted)])
    assert recorded == {str(wanted): str(hooks.root)}
    assert hooks.client.get(f"/api/jobs/{job['id']}").json()["state"] == "pending"

    again = hooks.client.post("/api/hooks/jellyfin", json=body)  # a rescan, the same item
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["job"]["id"] == job["id"]
    assert len(hooks.submitter.tags) == before + 1


@pytest.mark.parametrize(("notification", "item_type", "why"), [
    ("PlaybackStart", "Movie", "PlaybackStart notifications are not acted on"),
    ("UserCreated", "", "UserCreated notifications are not acted on"),
    ("Generic", "", "Generic notifications are not acted on"),
    ("ItemAdded", "Series", "Series item is not one audio or video file"),
    ("ItemAdded", "MusicAlbum", "MusicAlbum item is not one audio or video file"),
])
def test_jellyfin_other_notifications_are_acknowledged_and_ignored(
        hooks: Hooks, notification: str, item_type: str, why: str) -> None:
    before = len(hooks.submitter.tags)
    body = jellyfin(notification, item_type, "/media/music/JFK/Inaugural Address.wav")
    answer = hooks.client.post("/api/hooks/jellyfin", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ignored" and why in answer.json()["reason"]
    assert len(hooks.submitter.tags) == before


def test_jellyfin_as_text_plain_is_read_too(hooks: Hooks) -> None:
    """The plugin's Generic destination sends text/plain unless given a Content-Type."""
    body = json.dumps(jellyfin("PlaybackStop", "Movie", None))
    answer = hooks.client.post("/api/hooks/jellyfin", content=body,
                               headers={"content-type": "text/plain; charset=utf-8"})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"


def test_jellyfin_without_a_path_says_how_to_send_one(hooks: Hooks) -> None:
    answer = hooks.client.post("/api/hooks/jellyfin", json=jellyfin("ItemAdded", "Movie", None))
    assert answer.status_code == 422
    assert "Send All Properties" in answer.json()["detail"]


def test_emby_library_new_in_the_data_field_uses_the_longest_prefix(hooks: Hooks) -> None:
    path = "/media/tv/Speeches/Season 01/Speeches - S01E01.mkv"
    notice = emby("library.new", emby_episode(path))["data"]  # as multipart/form-data
    answer = hooks.client.post("/api/hooks/emby", files={"data": (None, notice)})
    assert answer.request.headers["content-type"].startswith("multipart/form-data")
    assert answer.status_code == 201, answer.text
    job = answer.json()["job"]
    wanted = hooks.root / "television" / "Speeches" / "Season 01" / "Speeches - S01E01.mkv"
    assert str(wanted) in hooks.sources(job["media_key"])
    assert job["name"] == "Speeches - S01E01.mkv"


def test_emby_json_body_and_other_events(hooks: Hooks) -> None:
    test_notice = json.loads(emby("system.notificationtest", None)["data"])
    answer = hooks.client.post("/api/hooks/emby", json=test_notice)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ignored", "server": "emby", "reason":
                             "Emby system.notificationtest events are not acted on "
                             "(only library.new)"}
    series = {"Name": "Speeches", "Id": "81200", "IsFolder": True, "Type": "Series",
              "Path": "/media/tv/Speeches"}
    answer = hooks.client.post("/api/hooks/emby", data=emby("library.new", series))
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    played = hooks.client.post("/api/hooks/emby", data=emby("playback.start", emby_episode(
        "/media/tv/Speeches/Season 01/Speeches - S01E01.mkv")))
    assert played.status_code == 200 and played.json()["status"] == "ignored"


def test_plex_library_new_without_a_file_or_plex_url_is_a_clear_422(hooks: Hooks) -> None:
    answer = hooks.client.post("/api/hooks/plex", **plex("library.new", PLEX_MOVIE))
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "names no file" in detail
    assert "MEDIA_PIPELINE_PLEX_URL" in detail and "MEDIA_PIPELINE_PLEX_TOKEN" in detail


def test_plex_library_new_with_a_part_file_from_a_windows_server(hooks: Hooks) -> None:
    metadata = {**PLEX_MOVIE, "Media": [{"id": 9, "duration": 11000, "Part": [
        {"id": 10, "file": "D:\\Plex\\movies\\Ask Not (1961).flac", "size": 352000}]}]}
    answer = hooks.client.post("/api/hooks/plex", **plex("library.new", metadata))
    assert answer.status_code == 201, answer.text
    job = answer.json()["job"]
    assert str(hooks.root / "movies" / "Ask Not (1961).flac") in hooks.sources(job["media_key"])


@pytest.mark.parametrize("event", ["media.play", "media.scrobble", "admin.database.backup"])
def test_plex_other_events_are_ignored(hooks: Hooks, event: str) -> None:
    answer = hooks.client.post("/api/hooks/plex", **plex(event, PLEX_MOVIE))
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored" and event in answer.json()["reason"]


@pytest.mark.parametrize(("path", "code", "detail"), [
    ("/srv/elsewhere/x.wav", 422, "matches no 'their' prefix of MEDIA_PIPELINE_PATH_MAP"),
    ("/media/../../../etc/passwd", 403, "outside the library root"),
    ("/media/music/JFK/Missing.wav", 404, "no such file under the library root"),
])
def test_paths_that_cannot_be_queued_are_refused_clearly(hooks: Hooks, path: str, code: int,
                                                         detail: str) -> None:
    before = len(hooks.submitter.tags)
    answer = hooks.client.post("/api/hooks/jellyfin", json=jellyfin("ItemAdded", "Movie", path))
    assert answer.status_code == code, answer.text
    assert answer.json()["detail"] == detail or detail in answer.json()["detail"]
    assert len(hooks.submitter.tags) == before


def test_a_file_that_is_not_media_is_415(hooks: Hooks) -> None:
    (hooks.root / "music" / "notes.txt").write_text("not audio")
    answer = hooks.client.post("/api/hooks/jellyfin", json=jellyfin(
        "ItemAdded", "Audio", "/media/music/notes.txt"))
    assert answer.status_code == 415


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'{"a": NaN}'])
def test_a_body_that_is_not_a_notice_is_422(hooks: Hooks, body: bytes) -> None:
    answer = hooks.client.post("/api/hooks/jellyfin", content=body,
                               headers={"content-type": "application/json"})
    assert answer.status_code == 422


def test_the_token_is_required_and_only_emby_and_plex_take_it_in_the_url(hooks: Hooks) -> None:
    bare = TestClient(hooks.client.app)
    ignored = jellyfin("PlaybackStart", "Movie", None)
    assert bare.post("/api/hooks/jellyfin", json=ignored).status_code == 401
    assert bare.post(f"/api/hooks/jellyfin?access_token={TOKEN}",
                     json=ignored).status_code == 401
    assert bare.post("/api/hooks/jellyfin", json=ignored, headers=AUTH).status_code == 200
    assert bare.post("/api/hooks/emby", data=emby("playback.start", None)).status_code == 401
    assert bare.post("/api/hooks/emby?access_token=wrong",
                     data=emby("playback.start", None)).status_code == 401
    assert bare.post(f"/api/hooks/emby?access_token={TOKEN}",
                     data=emby("playback.start", None)).status_code == 200
    assert bare.post(f"/api/hooks/plex?access_token={TOKEN}",
                     **plex("media.play", PLEX_MOVIE)).status_code == 200


def test_a_path_map_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    runtime = RuntimeSettings(data_dir=tmp_path / "data", library_root=tmp_path,
                              path_map="/media")
    with dg.instance_for_test() as instance:
        app = create_app(runtime, PipelineSettings(), instance=instance, watch=False)
        answer = TestClient(app).post("/api/hooks/jellyfin", json=jellyfin(
            "ItemAdded", "Movie", "/media/x.mkv"))
    assert answer.status_code == 500
    assert answer.json()["detail"] == ("MEDIA_PIPELINE_PATH_MAP is not valid: entry 1 is not "
                                       "'their=ours' (both sides paths)")


# ------------------------------------------------------------ Plex asked for the file
def tone_wav(path: Path, hz: float, seconds: float = 1.0) -> Path:
    """A real 16 kHz mono WAV of a sine at ``hz`` (each pitch its own media key)."""
    rate = 16000
    samples = array("h", (int(8000 * math.sin(2 * math.pi * hz * i / rate))
                          for i in range(int(rate * seconds))))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def asking_plex(hooks: Hooks, monkeypatch: pytest.MonkeyPatch, url: str,
                token: str | None) -> None:
    """The served app with ``plex_url``/``plex_token`` set (for this test only)."""
    state = hooks.client.app.state.media_pipeline
    monkeypatch.setattr(state, "runtime", replace(state.runtime, plex_url=url,
                                                  plex_token=token))


def plex_new(rating_key: str) -> dict[str, Any]:
    """What a real Plex posts: library.new with the item's Metadata and no Media."""
    return plex("library.new", {**PLEX_MOVIE, "ratingKey": rating_key,
                                "key": f"/library/metadata/{rating_key}", "title": "Plex Film"})


def test_plex_library_new_asks_plex_for_the_files_and_queues_each(
        hooks: Hooks, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    folder = hooks.root / "movies" / "Plex Film (1961)"
    parts = [tone_wav(folder / f"Plex Film - pt{n}.wav", hz) for n, hz in ((1, 440), (2, 660))]
    before = len(hooks.submitter.tags)
    with serving_fake_plex() as fake:
        fake.items["5001"] = plex_item("5001", [[f"/media/movies/Plex Film (1961)/{p.name}"
                                                 for p in parts]])
        asking_plex(hooks, monkeypatch, fake.url, PLEX_TOKEN)
        answer = hooks.client.post("/api/hooks/plex", **plex_new("5001"))
    assert answer.status_code == 201, answer.text
    data = answer.json()
    assert data["status"] == "queued" and data["created"] is True
    assert [job["name"] for job in data["jobs"]] == ["Plex Film - pt1.wav", "Plex Film - pt2.wav"]
    assert data["job"] == data["jobs"][0]
    for job, part in zip(data["jobs"], parts, strict=True):
        assert str(part) in hooks.sources(job["media_key"])
    assert len(hooks.submitter.tags) == before + 2
    [(path, headers)] = fake.seen
    assert path == "/library/metadata/5001"
    assert headers["X-Plex-Token"] == PLEX_TOKEN and headers["Accept"] == "application/json"
    assert PLEX_TOKEN not in answer.text and PLEX_TOKEN not in caplog.text


def test_plex_refusing_the_token_is_a_clear_502(
        hooks: Hooks, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    before = len(hooks.submitter.tags)
    with serving_fake_plex() as fake:
        fake.items["5001"] = plex_item("5001", [["/media/movies/Ask Not (1961).flac"]])
        asking_plex(hooks, monkeypatch, fake.url, "not-the-plex-token")
        answer = hooks.client.post("/api/hooks/plex", **plex_new("5001"))
    assert answer.status_code == 502
    assert answer.json()["detail"] == (f"Plex at {fake.url} refused the token (HTTP 401): set "
                                       "MEDIA_PIPELINE_PLEX_TOKEN to the server's X-Plex-Token")
    assert "not-the-plex-token" not in answer.text + caplog.text
    assert len(hooks.submitter.tags) == before


def test_plex_down_is_a_fast_502_naming_its_url(hooks: Hooks,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    url = closed_port_url()
    asking_plex(hooks, monkeypatch, url + "/", PLEX_TOKEN)
    started = time.monotonic()
    answer = hooks.client.post("/api/hooks/plex", **plex_new("5001"))
    assert time.monotonic() - started < 2.0
    assert answer.status_code == 502
    detail = answer.json()["detail"]
    assert detail.startswith(f"Plex at {url} cannot be reached (") and PLEX_TOKEN not in detail


def test_plex_silent_is_a_504_after_the_timeout(hooks: Hooks,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plex_lookup, "PLEX_TIMEOUT_S", 0.5)
    with silent_server() as url:
        asking_plex(hooks, monkeypatch, url, PLEX_TOKEN)
        started = time.monotonic()
        answer = hooks.client.post("/api/hooks/plex", **plex_new("5001"))
        assert time.monotonic() - started < 3.0
    assert answer.status_code == 504
    assert answer.json()["detail"] == f"Plex at {url} did not answer within 0.5 s"


def test_plex_without_a_rating_key_is_422(hooks: Hooks, monkeypatch: pytest.MonkeyPatch) -> None:
    asking_plex(hooks, monkeypatch, closed_port_url(), PLEX_TOKEN)
    metadata = {k: v for k, v in PLEX_MOVIE.items() if k != "ratingKey"}
    answer = hooks.client.post("/api/hooks/plex", **plex("library.new", metadata))
    assert answer.status_code == 422 and "ratingKey" in answer.json()["detail"]


def test_plex_settings_come_from_the_environment_and_the_token_is_not_shown() -> None:
    runtime = runtime_settings_from_env("data", env={
        "MEDIA_PIPELINE_PLEX_URL": "http://plex:32400", "MEDIA_PIPELINE_PLEX_TOKEN": PLEX_TOKEN})
    assert (runtime.plex_url, runtime.plex_token) == ("http://plex:32400", PLEX_TOKEN)
    assert PLEX_TOKEN not in repr(runtime)
    assert runtime_settings_from_env("data", env={}).plex_url is None


# ------------------------------------------------------------ back-pressure
def test_a_library_scan_is_never_refused_by_the_pending_limit(tmp_path: Path) -> None:
    """MAX_PENDING_MEDIA_JOBS=1: five notices all queue and do not count against uploads,
    which are still refused once their own limit is reached."""
    root, data_dir = tmp_path / "library", tmp_path / "data"
    for i in range(6):
        tone_wav(root / "music" / f"Tone {i}.wav", 300 + 100 * i)
    uploads = [tone_wav(tmp_path / f"upload {i}.wav", 1500 + 200 * i) for i in range(2)]
    runtime = RuntimeSettings(data_dir=data_dir, api_token=TOKEN, library_root=root,
                              max_pending_media_jobs=1, path_map=f"/media={root}")
    with dg.instance_for_test() as instance:
        submitter = RecordingSubmitter(instance)
        app = create_app(runtime, PipelineSettings(), submitter=submitter, instance=instance,
                         watch=False)
        service = app.state.media_pipeline.jobs
        service.storage = StorageResource.at(data_dir, FAKE)
        client = TestClient(app, headers=AUTH)

        def notice(i: int) -> int:
            body = jellyfin("ItemAdded", "Audio", f"/media/music/Tone {i}.wav")
            return client.post("/api/hooks/jellyfin", json=body).status_code

        assert [notice(i) for i in range(5)] == [201] * 5
        assert len(client.get("/api/jobs").json()) == 5
        assert all(tags.get(UNCOUNTED_TAG) == "1" for tags in submitter.tags)
        assert service.waiting_count() == 0
        assert notice(0) == 200  # a rescan: the same job

        def upload(path: Path) -> Any:
            return client.post("/api/jobs", files={"file": (path.name, path.read_bytes())})

        assert upload(uploads[0]).status_code == 201
        assert service.waiting_count() == 1
        refused = upload(uploads[1])
        assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
        assert notice(5) == 201  # the uploads' limit does not hold a notice back
        assert len(client.get("/api/jobs").json()) == 7
