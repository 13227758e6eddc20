"""A network provider: an ElevenLabs-style "text-to-speech with timestamps" JSON API.

``POST {base_url}/v1/text-to-speech/{voice}/with-timestamps?output_format=pcm_22050`` with the
key in ``xi-api-key`` returns ``{"audio_base64", "alignment": {"characters",
"character_start_times_seconds", "character_end_times_seconds"}}``. Raw PCM is asked for so the
stitcher sees exact sample counts; the character alignment becomes word timings.
Nothing here reads the environment: the key and settings are passed in
(``resources/tts_providers.build_provider``).
"""

import base64
import binascii
import re
from typing import Any
from urllib.parse import quote

import httpx

from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    sanitize_message,
)
from media_pipeline.tts.providers.base import ProviderCapabilities, SynthesisResult, TimedWord
from media_pipeline.tts.wavio import pcm_to_wav

_PCM_FORMAT = re.compile(r"pcm_(\d+)")


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _provider_detail(response: httpx.Response) -> str:
    """The provider's own short error text, if its body is the usual JSON shape."""
    try:
        body = response.json()
    except ValueError:
        return ""
    detail: Any = body.get("detail", body.get("error", "")) if isinstance(body, dict) else ""
    if isinstance(detail, dict):
        detail = detail.get("message", "")
    return detail if isinstance(detail, str) else ""


class ElevenLabsProvider:
    """Synthesis over HTTP with character timestamps; errors mapped to the seed's table."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        name: str = "elevenlabs",
        model_id: str = "eleven_multilingual_v2",
        output_format: str = "pcm_22050",
        timeout_s: float = 30.0,
        max_chunk_chars: int = 2500,
        voices: tuple[str, ...] = (),
    ) -> None:
        match = _PCM_FORMAT.fullmatch(output_format)
        if match is None:
            raise ValueError("output_format must be a raw PCM format such as 'pcm_22050'")
        self._name = name
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._model_id = model_id
        self._output_format = output_format
        self._sample_rate = int(match.group(1))
        self._max_chunk_chars = max_chunk_chars
        self._voices = voices
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s))

    @property
    def name(self) -> str:
        """Registry name."""
        return self._name

    @property
    def capabilities(self) -> ProviderCapabilities:
        """Limits of the API (speed 0.7–1.2 as ElevenLabs documents it)."""
        return ProviderCapabilities(
            max_chunk_chars=self._max_chunk_chars,
            supports_word_timings=True,
            supports_speed=True,
            sample_rate=self._sample_rate,
            voices=self._voices,
            min_speed=0.7,
            max_speed=1.2,
        )

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def synthesize(self, text: str, voice: str, speed: float) -> SynthesisResult:
        """One POST; 401/403 → auth error, 429 → rate limit, other failures → ``ProviderError``."""
        url = f"{self._base_url}/v1/text-to-speech/{quote(voice, safe='')}/with-timestamps"
        try:
            response = self._client.post(
                url,
                params={"output_format": self._output_format},
                headers={"xi-api-key": self._api_key, "accept": "application/json"},
                json={"text": text, "model_id": self._model_id, "voice_settings": {"speed": speed}},
            )
        except httpx.TimeoutException:
            raise ProviderError("Speech provider timed out", provider=self._name) from None
        except httpx.HTTPError:
            # The exception text may carry the URL or headers: never pass it on.
            raise ProviderError(
                "Could not reach the speech provider", provider=self._name
            ) from None
        self._raise_for_status(response)
        return self._parse(response, text)

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status in (401, 403):
            raise ProviderAuthError(provider=self._name, status=status)
        if status == 429:
            raise ProviderRateLimitError(provider=self._name, retry_after_s=_retry_after(response))
        if status >= 400:
            detail = sanitize_message(_provider_detail(response), (self._api_key,))[:120]
            message = f"Speech provider error (HTTP {status})" + (f": {detail}" if detail else "")
            raise ProviderError(message, provider=self._name, status=status)

    def _parse(self, response: httpx.Response, text: str) -> SynthesisResult:
        try:
            body = response.json()
            pcm = base64.b64decode(body["audio_base64"], validate=True)
            alignment = body.get("alignment")
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ProviderError(
                "Speech provider returned an invalid response", provider=self._name
            ) from None
        if len(pcm) % 2:
            pcm = pcm[:-1]
        num_samples = len(pcm) // 2
        words = self._words(text, alignment) if isinstance(alignment, dict) else None
        return SynthesisResult(
            pcm_to_wav(pcm, self._sample_rate), self._sample_rate, num_samples, words
        )

    @staticmethod
    def _words(text: str, alignment: dict[str, Any]) -> list[TimedWord] | None:
        chars = alignment.get("characters")
        starts = alignment.get("character_start_times_seconds")
        ends = alignment.get("character_end_times_seconds")
        if not (isinstance(chars, list) and isinstance(starts, list) and isinstance(ends, list)):
            return None
        # Character timings are only usable when they index the text we sent.
        if not len(chars) == len(starts) == len(ends) == len(text):
            return None
        words = []
        for span in word_spans(text):
            start_ms = round(float(starts[span.offset]) * 1000)
            end_ms = round(float(ends[span.end - 1]) * 1000)
            words.append(TimedWord(span.text, start_ms, max(start_ms, end_ms), offset=span.offset))
        return words
