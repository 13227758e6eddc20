"""Test fakes: a predictable provider, tone audio, and a local fake speech HTTP server."""

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.providers.base import ProviderCapabilities, SynthesisResult, TimedWord
from media_pipeline.tts.wavio import pcm_to_wav

RATE = 22050
MS_PER_CHAR = 50


def tone_pcm(num_samples: int, rate: int = RATE, freq: float = 440.0) -> bytes:
    """A sine tone at -12 dBFS as s16le bytes."""
    t = np.arange(num_samples) / rate
    return (np.sin(2 * np.pi * freq * t) * 8000).astype("<i2").tobytes()


def tone_wav(duration_ms: int, rate: int = RATE, freq: float = 440.0) -> bytes:
    """A sine tone of exactly ``duration_ms`` (rounded to samples) as WAV bytes."""
    return pcm_to_wav(tone_pcm(round(duration_ms * rate / 1000), rate, freq), rate)


class FakeProvider:
    """Predictable provider: 50 ms of tone per character, words at their character positions.

    ``fail`` maps a 1-based call number to an exception raised on that call.
    """

    def __init__(
        self,
        *,
        max_chunk_chars: int = 40,
        fail: dict[int, BaseException] | None = None,
        words: Callable[[str, int], list[TimedWord] | None] | None = None,
        wav: Callable[[str], bytes] | None = None,
    ) -> None:
        self.calls: list[str] = []
        self._max = max_chunk_chars
        self._fail = fail or {}
        self._words = words
        self._wav = wav

    @property
    def name(self) -> str:
        return "fake"

    @property
    def capabilities(self) -> ProviderCapabilities:
        return ProviderCapabilities(
            max_chunk_chars=self._max,
            supports_word_timings=True,
            supports_speed=True,
            sample_rate=RATE,
            voices=("v1",),
            min_speed=0.5,
            max_speed=2.0,
        )

    def synthesize(self, text: str, voice: str, speed: float) -> SynthesisResult:
        self.calls.append(text)
        error = self._fail.get(len(self.calls))
        if error is not None:
            raise error
        duration_ms = len(text) * MS_PER_CHAR
        wav = self._wav(text) if self._wav is not None else tone_wav(duration_ms)
        if self._words is not None:
            words = self._words(text, duration_ms)
        else:
            words = [
                TimedWord(w.text, w.offset * MS_PER_CHAR, w.end * MS_PER_CHAR, offset=w.offset)
                for w in word_spans(text)
            ]
        return SynthesisResult(wav, RATE, round(duration_ms * RATE / 1000), words)


@dataclass
class Scripted:
    """One canned HTTP answer."""

    status: int = 200
    body: Any = None
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def speech_ok(text: str, duration_ms: int = 400, rate: int = RATE) -> Scripted:
    """A well-formed with-timestamps answer: tone audio, evenly spread character times."""
    pcm = tone_pcm(round(duration_ms * rate / 1000), rate)
    step = duration_ms / 1000 / max(len(text), 1)
    return Scripted(
        body={
            "audio_base64": base64.b64encode(pcm).decode(),
            "alignment": {
                "characters": list(text),
                "character_start_times_seconds": [i * step for i in range(len(text))],
                "character_end_times_seconds": [(i + 1) * step for i in range(len(text))],
            },
        }
    )


class FakeSpeechServer:
    """A threaded local HTTP server answering POSTs from a script, recording each request."""

    def __init__(self) -> None:
        self.script: list[Scripted] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": payload}
                )
                answer = server.script.pop(0) if server.script else Scripted(500, {})
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                data = json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> "FakeSpeechServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
