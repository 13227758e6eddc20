"""Bazarr's Whisper provider API (whisper-asr-webservice's /asr and /detect-language), with
urllib multipart as the client, against a live server of the real app (compat_server.py)."""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import httpx
import pytest

from media_pipeline.resources.whisper import FakeWhisperResource
from media_pipeline.settings import PipelineSettings
from media_pipeline_tests.api.compat_server import TOKEN, LiveServer, live_server, pcm_of
from media_pipeline_tests.conftest import wer

SAID = ("and so my fellow americans ask not what your country can do for you ask what you "
        "can do for your country")


def post(url: str, name: str, data: bytes, token: str | None = TOKEN
         ) -> tuple[int, str, Message]:
    """A multipart POST with the file in ``audio_file``, as Bazarr's requests sends it."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio_file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    fake = FakeWhisperResource(transcript=SAID)
    with live_server(tmp_path_factory.mktemp("asr") / "data", fake) as server:
        yield server


@pytest.fixture(scope="module")
def jfk_pcm(corpus: Path) -> bytes:
    return pcm_of(corpus / "jfk" / "jfk.wav")


@pytest.mark.slow  # the module's first run: about 20 s
def test_raw_pcm_srt_as_bazarr_sends_it(live: LiveServer, jfk_pcm: bytes) -> None:
    code, text, headers = post(
        live.url + "/asr?task=transcribe&language=en&output=srt&encode=false"
        "&video_file=/tv/Show/S01E01.mkv", "S01E01.mkv", jfk_pcm)
    assert code == 200, text
    assert text.startswith("1\n00:00:00,") and "-->" in text and "fellow" in text.lower()
    assert headers["Content-Disposition"] == 'attachment; filename="S01E01.mkv.srt"'
    assert headers["Content-Type"].startswith("text/plain")
    jobs = httpx.get(live.url + "/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"}
                     ).json()
    assert len(jobs) == 1 and jobs[0]["state"] == "completed"
    # Wrapped into a WAV before it was stored: decoded (11 s of 16 kHz speech), keyed by hash.
    assert jobs[0]["name"].endswith(".wav")
    assert live.runs_of(jobs[0]["id"]) == 1


def test_every_output_of_one_job(live: LiveServer, jfk_pcm: bytes) -> None:
    base = live.url + "/asr?encode=false&language=en"
    code, tsv, _ = post(base + "&output=tsv", "a.wav", jfk_pcm)
    assert code == 200 and tsv.startswith("start\tend\ttext\n")
    start, end, said = tsv.splitlines()[1].split("\t")
    assert 0 <= int(start) < int(end) and said.startswith("and so my")
    code, txt, headers = post(base + "&output=txt", "a.wav", jfk_pcm)
    assert code == 200 and txt.lower().startswith("and so my fellow")
    assert headers["Content-Disposition"] == 'attachment; filename="a.wav.txt"'
    code, vtt, _ = post(base + "&output=vtt&vad_filter=true&initial_prompt=Kennedy",
                        "a.wav", jfk_pcm)
    assert code == 200 and vtt.startswith("WEBVTT")
    code, raw, _ = post(base + "&output=json&word_timestamps=true", "a.wav", jfk_pcm)
    assert code == 200
    result = json.loads(raw)
    assert result["language"] == "en" and result["text"].lower().startswith("and so my")
    words = [w for s in result["segments"] for w in s["words"]]
    assert [w["word"].strip() for w in words] == SAID.split()
    assert all(s["start"] <= w["start"] < w["end"] <= s["end"] + 0.5
               for s in result["segments"] for w in s["words"])
    jobs = httpx.get(live.url + "/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"}
                     ).json()
    assert len(jobs) == 1 and live.runs_of(jobs[0]["id"]) == 1  # all from the library


def test_detect_language_and_refusals(live: LiveServer, corpus: Path) -> None:
    code, raw, _ = post(live.url + "/detect-language", "jfk.flac",
                        (corpus / "jfk" / "jfk.flac").read_bytes())
    assert code == 200, raw
    assert json.loads(raw) == {"detected_language": "english", "language_code": "en",
                               "confidence": 1.0}
    # Only up to the detected language: no transcript, no subtitles; asked again, no new run.
    [job] = [j for j in httpx.get(live.url + "/api/jobs", headers={
        "Authorization": f"Bearer {TOKEN}"}).json() if j["name"].endswith(".flac")]
    assert job["state"] == "completed" and job["outputs"] == {}
    fingerprints = live.state.jobs.require(job["id"]).fingerprints
    assert "spoken_language" in fingerprints and "transcript" not in fingerprints
    code, again, _ = post(live.url + "/detect-language", "jfk.flac",
                          (corpus / "jfk" / "jfk.flac").read_bytes())
    assert code == 200 and json.loads(again)["language_code"] == "en"
    assert live.runs_of(job["id"]) == 1
    code, raw, _ = post(live.url + "/asr?output=docx", "a.wav", b"x")
    assert code == 422 and "output" in raw
    code, raw, _ = post(live.url + "/asr", "a.txt", b"not media at all")
    assert code == 415, raw
    code, _, headers = post(live.url + "/asr", "a.wav", b"x", token=None)
    assert code == 401 and headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.slow
def test_real_models_detect_german_and_transcribe_english_pcm(tmp_path: Path,
                                                              corpus: Path) -> None:
    """The bundled models: German FLEURS detected as de (multilingual base, the English-only
    default cannot detect), LibriSpeech raw PCM through /asr within WER 0.15."""
    settings = PipelineSettings(model="tiny.en")
    with live_server(tmp_path / "data", None, settings) as server:
        code, raw, _ = post(server.url + "/detect-language?encode=true", "x.ogg",
                            (corpus / "fleurs" / "fleurs-de-000.ogg").read_bytes())
        assert code == 200, raw
        found = json.loads(raw)
        assert found["language_code"] == "de" and found["detected_language"] == "german"
        assert 0.5 < found["confidence"] <= 1.0
        clip = corpus / "librispeech" / "2412-153948-0000"
        code, srt, _ = post(server.url + "/asr?encode=false&output=txt", "ep.mkv",
                            pcm_of(clip.with_suffix(".flac")))
        assert code == 200, srt
        assert wer(clip.with_suffix(".txt").read_text(), srt) <= 0.15
