"""Per-chunk retry policy of seed 003: only rate limits are retried, 1 s, 2 s, 4 s apart."""

import logging
import time
from collections.abc import Callable

from media_pipeline.tts.errors import ProviderRateLimitError
from media_pipeline.tts.providers.base import SynthesisResult, TTSProvider

MAX_RETRIES = 3
INITIAL_BACKOFF_SECONDS = 1.0

Sleep = Callable[[float], None]

logger = logging.getLogger(__name__)


def backoff_schedule(
    max_retries: int = MAX_RETRIES, initial_s: float = INITIAL_BACKOFF_SECONDS
) -> list[float]:
    """Seconds slept before each retry: ``[1.0, 2.0, 4.0]`` by default."""
    return [initial_s * 2**attempt for attempt in range(max_retries)]


def synthesize_with_retry(
    provider: TTSProvider,
    text: str,
    voice: str,
    speed: float,
    *,
    sleep: Sleep = time.sleep,
    max_retries: int = MAX_RETRIES,
    initial_backoff_s: float = INITIAL_BACKOFF_SECONDS,
) -> SynthesisResult:
    """Call ``provider.synthesize``, retrying only ``ProviderRateLimitError`` with backoff.

    Every other exception (auth included) propagates at once; after the last retry the
    rate-limit error itself is raised.
    """
    delays = backoff_schedule(max_retries, initial_backoff_s)
    for attempt in range(max_retries + 1):
        try:
            return provider.synthesize(text, voice, speed)
        except ProviderRateLimitError:
            if attempt == max_retries:
                raise
            logger.warning(
                "provider %s rate-limited; retry %d/%d in %.0f s",
                provider.name,
                attempt + 1,
                max_retries,
                delays[attempt],
            )
            sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns or raises
