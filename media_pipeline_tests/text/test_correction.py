import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from media_pipeline.errors import ConfigurationError
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.text.correction import (
    CorrectionSettings,
    apply_text,
    correct_cues,
    edit_distance,
    edit_ratio,
    parse_corrections,
)

API_KEY = "sk-test-SECRET-0123456789"


@dataclass
class Reply:
    """One scripted answer of the fake server."""

    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0


@dataclass
class FakeApi:
    """A chat-completions server on 127.0.0.1 that answers from a script, in order."""

    replies: list[Reply]
    requests: list[dict[str, object]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""


def chat(content: str) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"role": "assistant", "content": content}}]}
    ).encode()


def corrections(*pairs: tuple[int, str]) -> bytes:
    return chat(json.dumps({"corrections": [{"id": i, "text": t} for i, t in pairs]}))


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi(replies=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            fake.requests.append({"path": self.path, **json.loads(self.rfile.read(length))})
            fake.headers.append(dict(self.headers))
            reply = fake.replies.pop(0) if fake.replies else Reply(500)
            time.sleep(reply.delay_s)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def cues() -> list[Cue]:
    return [
        Cue(
            1000,
            2500,
            ("I red the book",),
            (
                Word("I", 1000, 1200),
                Word("red", 1200, 1500),
                Word("the", 1500, 1700),
                Word("book", 1700, 2500),
            ),
        ),
        Cue(3000, 5200, ("it was writen by", "a famous auther")),
        Cue(6000, 7000, ("Short one",)),
    ]


def settings(api: FakeApi, **kwargs: object) -> CorrectionSettings:
    return CorrectionSettings(enabled=True, base_url=api.base_url, model="tiny", **kwargs)  # type: ignore[arg-type]


def test_off_by_default_sends_nothing(api: FakeApi) -> None:
    result = correct_cues(cues(), CorrectionSettings(base_url=api.base_url), API_KEY)
    assert result.cues == tuple(cues()) and result.error is None
    assert result.requests == 0 and api.requests == []


def test_accepted_edits_keep_every_timing(api: FakeApi) -> None:
    api.replies = [
        Reply(body=corrections((0, "I read the book"), (1, "it was written by\na famous author")))
    ]
    result = correct_cues(cues(), settings(api), API_KEY)
    assert result.error is None and result.requests == 1
    assert [c.lines for c in result.cues] == [
        ("I read the book",),
        ("it was written by", "a famous author"),
        ("Short one",),
    ]
    for before, after in zip(cues(), result.cues, strict=True):
        assert (after.start_ms, after.end_ms) == (before.start_ms, before.end_ms)
        assert [(w.start_ms, w.end_ms) for w in after.words] == [
            (w.start_ms, w.end_ms) for w in before.words
        ]
    assert [w.text for w in result.cues[0].words] == ["I", "read", "the", "book"]
    assert [e.index for e in result.accepted] == [0, 1]
    # The request: OpenAI-style, bearer key, JSON mode, cue ids and texts.
    sent = api.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["model"] == "tiny"
    assert sent["response_format"] == {"type": "json_object"}
    assert api.headers[0]["Authorization"] == f"Bearer {API_KEY}"
    messages = sent["messages"]
    assert isinstance(messages, list)
    assert json.loads(messages[1]["content"])["cues"][1] == {
        "id": 1,
        "text": "it was writen by\na famous auther",
    }


def test_rate_limit_then_success(api: FakeApi) -> None:
    api.replies = [Reply(429), Reply(429), Reply(body=corrections((2, "Short one.")))]
    slept: list[float] = []
    result = correct_cues(cues(), settings(api), API_KEY, sleep=slept.append)
    assert slept == [1.0, 2.0]
    assert result.error is None and result.requests == 3
    assert result.cues[2].lines == ("Short one.",)


def test_rate_limit_gives_up_after_three_retries(api: FakeApi) -> None:
    api.replies = [Reply(429)] * 5
    slept: list[float] = []
    result = correct_cues(cues(), settings(api), API_KEY, sleep=slept.append)
    assert slept == [1.0, 2.0, 4.0] and len(api.requests) == 4
    assert result.cues == tuple(cues())
    assert result.error == "rate limited by the correction API (HTTP 429) after 3 retries"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_fails_at_once(api: FakeApi, status: int) -> None:
    api.replies = [Reply(status, body=json.dumps({"message": f"bad key {API_KEY}"}).encode())]
    slept: list[float] = []
    result = correct_cues(cues(), settings(api, batch_size=1), API_KEY, sleep=slept.append)
    assert len(api.requests) == 1 and slept == []  # no retry, and later batches not sent
    assert result.cues == tuple(cues()) and result.accepted == ()
    assert result.error is not None and f"HTTP {status}" in result.error
    assert "API key" in result.error and API_KEY not in result.error


def test_other_api_errors_are_not_retried(api: FakeApi) -> None:
    api.replies = [Reply(500, body=b"internal"), Reply(body=corrections((0, "x")))]
    result = correct_cues(cues(), settings(api), API_KEY, sleep=lambda s: None)
    assert len(api.requests) == 1
    assert result.error == "the correction API failed (HTTP 500)"
    assert result.cues == tuple(cues())


def test_malformed_json_makes_no_edits(api: FakeApi) -> None:
    api.replies = [Reply(body=chat("Sure! Here are your corrections: {oops"))]
    result = correct_cues(cues(), settings(api), API_KEY)
    assert result.cues == tuple(cues()) and result.accepted == ()
    assert result.error == "the correction API returned malformed JSON"


def test_malformed_batch_does_not_stop_later_batches(api: FakeApi) -> None:
    api.replies = [
        Reply(body=b"not json at all"),
        Reply(body=corrections((1, "it was written by\na famous author"))),
        Reply(body=corrections()),
    ]
    result = correct_cues(cues(), settings(api, batch_size=1), API_KEY)
    assert len(api.requests) == 3
    assert result.cues[0] == cues()[0]
    assert result.cues[1].lines == ("it was written by", "a famous author")
    assert result.error == "batch 1 of 3: the correction API returned malformed JSON"


def test_timeout_keeps_the_original(api: FakeApi) -> None:
    api.replies = [Reply(body=corrections((0, "I read the book")), delay_s=5.0)]
    started = time.monotonic()
    result = correct_cues(cues(), settings(api, timeout_s=0.2), API_KEY)
    assert time.monotonic() - started < 3.0  # gave up long before the reply (margin for CI)
    assert result.cues == tuple(cues()) and len(api.requests) == 1
    assert result.error == "the correction API did not answer within 0.2 s"


def test_unreachable_server_is_reported_without_details() -> None:
    with httpx.Client() as client:
        result = correct_cues(
            cues(),
            CorrectionSettings(enabled=True, base_url="http://127.0.0.1:9/v1", timeout_s=1),
            API_KEY,
            client=client,
        )
    assert result.error == "could not reach the correction API (ConnectError)"


def test_over_eager_edits_are_rejected(api: FakeApi) -> None:
    api.replies = [
        Reply(
            body=corrections(
                (0, "Honestly, I have never read any book in my whole life"),
                (2, "Short one!"),
                (7, "not ours"),
                (1, "   "),
            )
        )
    ]
    result = correct_cues(cues(), settings(api), API_KEY)
    assert result.error is None
    assert result.cues[0] == cues()[0]
    assert result.cues[2].lines == ("Short one!",)
    reasons = {e.index: e.reason for e in result.rejected}
    assert reasons[0].startswith("edit too large (") and reasons[7] == "unknown cue id"
    assert reasons[1] == "empty text"
    # The bound is configurable.
    api.replies = [Reply(body=corrections((0, "I read the good book")))]
    strict = correct_cues(cues(), settings(api, max_edit_ratio=0.1), API_KEY)
    assert strict.accepted == () and strict.rejected[0].ratio == pytest.approx(6 / 14)


def test_no_key_sends_no_authorization_header(api: FakeApi) -> None:
    api.replies = [Reply(body=corrections())]
    result = correct_cues(cues(), settings(api, json_mode=False), None)
    assert result.error is None and "Authorization" not in api.headers[0]
    assert "response_format" not in api.requests[0]


def test_parse_corrections_accepts_fenced_json_and_string_ids() -> None:
    body = chat('```json\n{"corrections": [{"id": "3", "text": "Hi."}]}\n```')
    assert parse_corrections(body) == [(3, "Hi.")]
    for bad in (chat('{"corrections": {"id": 1}}'), chat('{"fixes": []}'), chat("[]"), b"{}"):
        with pytest.raises(Exception, match="malformed JSON"):
            parse_corrections(bad)


def test_apply_text_rebreaks_lines_and_drops_stale_words() -> None:
    cue = Cue(0, 1000, ("one two", "three four"), (Word("one", 0, 100),))
    changed = apply_text(cue, "one two three four five six")
    assert changed.lines == ("one two three", "four five six")
    assert changed.words == () and (changed.start_ms, changed.end_ms) == (0, 1000)


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert edit_ratio("auther", "author") == pytest.approx(1 / 6)


def test_settings_validation() -> None:
    with pytest.raises(ConfigurationError):
        CorrectionSettings(batch_size=0)
    with pytest.raises(ConfigurationError):
        CorrectionSettings(base_url="api.mistral.ai")
