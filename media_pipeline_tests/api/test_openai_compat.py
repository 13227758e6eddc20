"""The OpenAI audio API, with the official ``openai`` package as the client, against a live
server of the real app (fake Whisper: real ffmpeg, VAD, Dagster; see compat_server.py)."""

import itertools
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import httpx
import openai
import pytest

from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline_tests.api.compat_server import TOKEN, LiveServer, live_server, partition_of

SAID = ("and so my fellow americans ask not what your country can do for you ask what you "
        "can do for your country")
FAKE = FakeWhisperResource(transcript=SAID)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("openai") / "data", FAKE) as server:
        yield server


@pytest.fixture(scope="module")
def client(live: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=live.url + "/v1", api_key=TOKEN, max_retries=0, timeout=120)


def _job_ids(live: LiveServer) -> list[str]:
    jobs = httpx.get(live.url + "/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"})
    return [j["id"] for j in jobs.json()]


@pytest.mark.slow  # the module's first run: about 20 s
def test_srt_then_verbose_json_words_from_one_job(live: LiveServer, client: openai.OpenAI,
                                                  corpus: Path) -> None:
    clip = corpus / "jfk" / "jfk.wav"
    srt = client.audio.transcriptions.create(model="whisper-1", file=clip.open("rb"),
                                             response_format="srt")
    assert isinstance(srt, str)
    assert srt.startswith("1\n00:00:") and "-->" in srt
    assert "fellow" in srt.lower()
    [job_id] = _job_ids(live)
    assert live.runs_of(job_id) == 1

    verbose = client.audio.transcriptions.create(
        model="whisper-1", file=clip.open("rb"), response_format="verbose_json",
        timestamp_granularities=["word"])
    assert verbose.language == "english"
    assert verbose.duration == pytest.approx(11.0, abs=0.1)
    assert verbose.text.lower().replace(",", "").startswith("and so my fellow americans")
    words = verbose.words or []
    assert [w.word.lower().strip(",.") for w in words] == SAID.split()
    assert all(0 <= w.start < w.end <= verbose.duration for w in words)
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    assert verbose.segments and verbose.segments[0].start <= words[0].start
    # The same bytes and options: answered from the library, no second run, and the
    # answer is the job's materialized cues (Dagster's lineage of that partition).
    assert _job_ids(live) == [job_id] and live.runs_of(job_id) == 1
    materialized = live.instance.get_materialized_partitions(dg.AssetKey("edited_cues"))
    assert partition_of(job_id) in materialized


def test_json_text_vtt_and_models(live: LiveServer, client: openai.OpenAI,
                                  corpus: Path) -> None:
    clip = corpus / "jfk" / "jfk.wav"
    plain = client.audio.transcriptions.create(model="whisper-1", file=clip.open("rb"))
    assert plain.text.lower().startswith("and so my fellow")
    text = client.audio.transcriptions.create(model="whisper-1", file=clip.open("rb"),
                                              response_format="text")
    assert isinstance(text, str) and text.strip() == plain.text
    vtt = client.audio.transcriptions.create(model="whisper-1", file=clip.open("rb"),
                                             response_format="vtt")
    assert isinstance(vtt, str) and vtt.startswith("WEBVTT")
    names = [m.id for m in client.models.list()]
    assert names[0] == "whisper-1" and {"tiny.en", "base"} <= set(names)


def test_translations_are_the_translate_task(live: LiveServer, client: openai.OpenAI,
                                             corpus: Path) -> None:
    clip = corpus / "jfk" / "jfk.wav"
    verbose = client.audio.translations.create(model="whisper-1", file=clip.open("rb"),
                                               response_format="verbose_json")
    assert verbose.language == "english" and verbose.text.lower().startswith("and so my")
    [job] = [j for j in httpx.get(live.url + "/api/jobs", headers={
        "Authorization": f"Bearer {TOKEN}"}).json() if j["options"].get("task")]
    assert job["options"]["task"] == "translate" and job["state"] == "completed"


def test_errors_have_openai_shape(live: LiveServer, client: openai.OpenAI,
                                  corpus: Path) -> None:
    clip = corpus / "jfk" / "jfk.wav"
    with pytest.raises(openai.BadRequestError) as bad_model:
        client.audio.transcriptions.create(model="no-such-model", file=clip.open("rb"))
    assert bad_model.value.param == "model"
    response = httpx.post(live.url + "/v1/audio/transcriptions",
                          headers={"Authorization": f"Bearer {TOKEN}"},
                          files={"file": ("a.wav", clip.read_bytes())},
                          data={"model": "whisper-1", "response_format": "docx"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == "response_format"
    no_file = httpx.post(live.url + "/v1/audio/transcriptions", files={"x": ("a", b"1")},
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]["message"]


def test_the_token_is_required(live: LiveServer, corpus: Path) -> None:
    anonymous = openai.OpenAI(base_url=live.url + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        anonymous.audio.transcriptions.create(model="whisper-1",
                                              file=(corpus / "jfk" / "jfk.wav").open("rb"))
    assert refused.value.code == "invalid_api_key"
    assert httpx.get(live.url + "/v1/models").status_code == 401


def test_a_job_longer_than_the_wait_is_a_504_and_a_full_queue_a_429(
        live: LiveServer, corpus: Path) -> None:
    clip = corpus / "jfk" / "jfk.flac"  # other bytes: a new job, only queued
    live.submitter.hold = True
    try:
        with live.sync_timeout(0.5):
            response = httpx.post(live.url + "/v1/audio/transcriptions",
                                  headers={"Authorization": f"Bearer {TOKEN}"},
                                  files={"file": ("jfk.flac", clip.read_bytes())},
                                  data={"model": "whisper-1"}, timeout=60)
    finally:
        live.submitter.hold = False
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["code"] == "timeout" and error["type"] == "server_error"
    job_id = response.headers["location"].rsplit("/", 1)[-1]
    assert f"/api/jobs/{job_id}" in error["message"]
    job = httpx.get(live.url + f"/api/jobs/{job_id}",
                    headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert job["state"] == "pending"
    # That waiting job fills the queue (max_pending_media_jobs=1): the next upload, to
    # either API, is refused before its body is read, with Retry-After.
    busy = httpx.post(live.url + "/v1/audio/transcriptions",
                      headers={"Authorization": f"Bearer {TOKEN}"},
                      files={"file": ("a.wav", b"RIFF" + bytes(64))}, data={"model": "whisper-1"})
    assert busy.status_code == 429 and busy.headers["retry-after"]
    assert busy.json()["error"]["type"] == "rate_limit_error"
    bazarr = httpx.post(live.url + "/asr", headers={"Authorization": f"Bearer {TOKEN}"},
                        files={"audio_file": ("a.wav", b"RIFF" + bytes(64))})
    assert bazarr.status_code == 429 and "detail" in bazarr.json()
    for record in live.instance.get_run_records(
            dg.RunsFilter(tags={"media_pipeline/job": job_id})):
        live.instance.delete_run(record.dagster_run.run_id)  # never to run
