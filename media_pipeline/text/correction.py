"""Optional AI correction of cue text through an OpenAI-compatible chat-completions API.

Cue timings never change. An edit is accepted only within an edit-distance bound, and on
any failure the original text stays and :attr:`CorrectionResult.error` says why, briefly.
Error handling follows seed 003's table: auth errors fail at once, a rate limit is retried
three times after 1, 2 and 4 s, any other API error or timeout fails without retry.
"""

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import httpx

from media_pipeline.errors import ConfigurationError, MediaPipelineError
from media_pipeline.subtitles.model import Cue

MISTRAL_BASE_URL = "https://api.mistral.ai/v1"
DEFAULT_MODEL = "mistral-small-latest"
#: Seconds to wait before each retry after HTTP 429; its length is the number of retries.
RATE_LIMIT_BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0)

SYSTEM_PROMPT = (
    "You correct automatic speech recognition transcripts used as subtitles. "
    "Fix misheard words, spelling, capitalization and punctuation only. Never paraphrase, "
    "translate, summarize, censor, merge or split cues. Keep the line breaks (\\n) of a cue "
    "where you can. Reply with JSON only, in the form "
    '{"corrections": [{"id": <cue id>, "text": "<corrected text>"}]}, '
    "listing only the cues you changed."
)


@dataclass(frozen=True)
class CorrectionSettings:
    """Where and how to ask for corrections. Off unless ``enabled``."""

    enabled: bool = False
    #: Any OpenAI-compatible server: Mistral's, or a local llama.cpp / vLLM server.
    base_url: str = MISTRAL_BASE_URL
    model: str = DEFAULT_MODEL
    #: Largest accepted ratio of character edit distance to the original text's length.
    max_edit_ratio: float = 0.3
    #: Cues per request: small enough for the model's context, few enough requests.
    batch_size: int = 30
    timeout_s: float = 60.0
    #: Language hint for the model (e.g. "en"); None lets it infer.
    language: str | None = None
    temperature: float = 0.0
    #: Send ``response_format: json_object``; turn off for servers that reject it.
    json_mode: bool = True
    backoff_s: tuple[float, ...] = RATE_LIMIT_BACKOFF_S

    def __post_init__(self) -> None:
        if self.max_edit_ratio < 0:
            raise ConfigurationError("max_edit_ratio must not be negative")
        if self.batch_size < 1:
            raise ConfigurationError("batch_size must be at least 1")
        if self.timeout_s <= 0:
            raise ConfigurationError("timeout_s must be positive")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigurationError("base_url must be an http(s) URL")


@dataclass(frozen=True)
class Edit:
    """A proposed correction of cue ``index``; ``reason`` says why it was rejected."""

    index: int
    before: str
    after: str
    ratio: float
    reason: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for metadata."""
        return {
            "index": self.index,
            "before": self.before,
            "after": self.after,
            "ratio": round(self.ratio, 3),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CorrectionResult:
    """Cues after correction (same times), the edits taken and refused, and any failure."""

    cues: tuple[Cue, ...]
    accepted: tuple[Edit, ...]
    rejected: tuple[Edit, ...]
    #: Short, sanitized reason when something failed (never contains the API key).
    error: str | None
    #: HTTP requests made, retries included.
    requests: int = 0

    def to_metadata(self) -> dict[str, object]:
        """Counts and the failure reason, for asset metadata."""
        return {
            "accepted": len(self.accepted),
            "rejected": len(self.rejected),
            "requests": self.requests,
            "error": self.error or "",
        }


class CorrectionFailed(MediaPipelineError):
    """One batch could not be corrected; ``user_message`` is safe to show."""

    def __init__(self, user_message: str, *, stop: bool = True) -> None:
        super().__init__(user_message)
        #: False when only this batch's answer was unusable and later batches may still work.
        self.stop = stop


def correct_cues(
    cues: Sequence[Cue],
    settings: CorrectionSettings,
    api_key: str | None = None,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CorrectionResult:
    """Ask the API for corrections batch by batch; return cues with accepted edits only.

    Batches done before a failure keep their edits; the failed batch and later ones do not.
    """
    if not settings.enabled or not cues:
        return CorrectionResult(tuple(cues), (), (), None, 0)
    session = _Session(settings, api_key, sleep)
    out = list(cues)
    accepted: list[Edit] = []
    rejected: list[Edit] = []
    errors: list[str] = []
    own_client = client is None
    http = client or httpx.Client(timeout=settings.timeout_s)
    try:
        starts = range(0, len(cues), settings.batch_size)
        for number, first in enumerate(starts, start=1):
            batch = {i: cues[i] for i in range(first, min(first + settings.batch_size, len(cues)))}
            try:
                proposals = session.ask(http, batch)
            except CorrectionFailed as exc:
                where = f"batch {number} of {len(starts)}: " if len(starts) > 1 else ""
                errors.append(_sanitize(where + exc.user_message, api_key))
                if exc.stop:
                    break
                continue
            for index, text in proposals:
                edit = _judge(batch, index, text, settings.max_edit_ratio)
                if edit is None:
                    continue
                if edit.reason:
                    rejected.append(edit)
                else:
                    accepted.append(edit)
                    out[index] = apply_text(out[index], text)
    finally:
        if own_client:
            http.close()
    error = "; ".join(errors) if errors else None
    return CorrectionResult(tuple(out), tuple(accepted), tuple(rejected), error, session.requests)


class _Session:
    """Request building and the retry table; counts requests."""

    def __init__(
        self, settings: CorrectionSettings, api_key: str | None, sleep: Callable[[float], None]
    ) -> None:
        self.settings = settings
        self.api_key = api_key
        self.sleep = sleep
        self.requests = 0

    def ask(self, http: httpx.Client, batch: dict[int, Cue]) -> list[tuple[int, str]]:
        """Send one batch; return (cue index, proposed text) pairs or raise CorrectionFailed."""
        s = self.settings
        user = json.dumps(
            {"cues": [{"id": i, "text": "\n".join(c.lines)} for i, c in batch.items()]},
            ensure_ascii=False,
        )
        system = SYSTEM_PROMPT + (f" The language is {s.language}." if s.language else "")
        payload: dict[str, object] = {
            "model": s.model,
            "temperature": s.temperature,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        }
        if s.json_mode:
            payload["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = s.base_url.rstrip("/") + "/chat/completions"
        for attempt in range(len(s.backoff_s) + 1):
            response = self._post(http, url, payload, headers)
            if response.status_code != 429:
                break
            if attempt < len(s.backoff_s):
                self.sleep(s.backoff_s[attempt])
        else:
            raise CorrectionFailed(
                f"rate limited by the correction API (HTTP 429) after {len(s.backoff_s)} retries"
            )
        if response.status_code in (401, 403):
            raise CorrectionFailed(
                f"the correction API refused the request (HTTP {response.status_code}): "
                "check the API key"
            )
        if response.status_code >= 400:
            raise CorrectionFailed(f"the correction API failed (HTTP {response.status_code})")
        return parse_corrections(response.content)

    def _post(
        self, http: httpx.Client, url: str, payload: dict[str, object], headers: dict[str, str]
    ) -> httpx.Response:
        self.requests += 1
        try:
            return http.post(url, json=payload, headers=headers, timeout=self.settings.timeout_s)
        except httpx.TimeoutException:
            raise CorrectionFailed(
                f"the correction API did not answer within {self.settings.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as exc:
            # The exception text can carry URLs or headers: report only its kind.
            raise CorrectionFailed(
                f"could not reach the correction API ({type(exc).__name__})"
            ) from None


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_corrections(body: bytes) -> list[tuple[int, str]]:
    """(id, text) pairs from a chat-completions response body; CorrectionFailed if malformed."""
    malformed = CorrectionFailed("the correction API returned malformed JSON", stop=False)
    try:
        content = json.loads(body)["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise malformed
        fenced = _FENCE.match(content)  # some models wrap JSON in a markdown fence anyway
        data = json.loads(fenced.group(1) if fenced else content)
        items = data["corrections"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise malformed from None
    if not isinstance(items, list):
        raise malformed
    pairs: list[tuple[int, str]] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise malformed
        try:
            pairs.append((int(item["id"]), item["text"]))
        except (KeyError, TypeError, ValueError):
            raise malformed from None
    return pairs


def _judge(batch: dict[int, Cue], index: int, text: str, max_ratio: float) -> Edit | None:
    """An accepted Edit, a rejected one (with reason), or None when nothing changes."""
    if index not in batch:
        return Edit(index, "", text, 1.0, "unknown cue id")
    before = batch[index].text
    after = " ".join(text.split())
    if after == before:
        return None
    ratio = edit_ratio(before, after)
    if not after:
        return Edit(index, before, after, ratio, "empty text")
    if ratio > max_ratio:
        return Edit(index, before, after, ratio, f"edit too large ({ratio:.2f} > {max_ratio:.2f})")
    return Edit(index, before, after, ratio)


def apply_text(cue: Cue, text: str) -> Cue:
    """The cue with new text and the same times; word texts follow when the counts match."""
    proposed = [" ".join(line.split()) for line in text.split("\n") if line.strip()]
    tokens = " ".join(proposed).split()
    if len(proposed) != len(cue.lines):
        proposed = _rebreak(tokens, cue.lines)
    if len(tokens) == len(cue.words):
        words = tuple(replace(w, text=t) for w, t in zip(cue.words, tokens, strict=True))
    else:
        words = ()  # as after a manual edit: the old word times no longer fit the text
    return replace(cue, lines=tuple(proposed), words=words)


def _rebreak(tokens: list[str], old_lines: tuple[str, ...]) -> list[str]:
    """Spread tokens over as many lines as before, keeping each line's share of the text."""
    n = max(1, min(len(old_lines), len(tokens)))
    total_old = sum(len(line) for line in old_lines) or 1
    total_new = len(" ".join(tokens))
    lines: list[str] = []
    rest = list(tokens)
    for k in range(n - 1):
        target = total_new * len(old_lines[k]) / total_old
        take = 1
        while take < len(rest) - (n - 1 - k) and abs(
            len(" ".join(rest[: take + 1])) - target
        ) <= abs(len(" ".join(rest[:take])) - target):
            take += 1
        lines.append(" ".join(rest[:take]))
        rest = rest[take:]
    lines.append(" ".join(rest))
    return [line for line in lines if line]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance in characters."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def edit_ratio(before: str, after: str) -> float:
    """Edit distance relative to the original's length (1.0 or more: rewritten)."""
    return edit_distance(before, after) / max(len(before), 1)


def _sanitize(message: str, api_key: str | None) -> str:
    """One short printable line, with the key masked should it ever appear."""
    if api_key:
        message = message.replace(api_key, "***")
    message = " ".join("".join(ch if ch.isprintable() else " " for ch in message).split())
    return message[:300]
