import pytest

from media_pipeline.tts.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    sanitize_message,
)
from media_pipeline.tts.retry import backoff_schedule, synthesize_with_retry
from media_pipeline_tests.tts.fakes import FakeProvider


def test_backoff_schedule_is_the_seeds() -> None:
    assert backoff_schedule() == [1.0, 2.0, 4.0]


def test_rate_limit_then_success(sleeps: list[float]) -> None:
    provider = FakeProvider(fail={1: ProviderRateLimitError(), 2: ProviderRateLimitError()})
    result = synthesize_with_retry(provider, "hi there", "v1", 1.0, sleep=sleeps.append)
    assert result.num_samples > 0
    assert sleeps == [1.0, 2.0]
    assert len(provider.calls) == 3


def test_rate_limit_exhaustion(sleeps: list[float]) -> None:
    provider = FakeProvider(fail={n: ProviderRateLimitError() for n in range(1, 10)})
    with pytest.raises(ProviderRateLimitError):
        synthesize_with_retry(provider, "hi", "v1", 1.0, sleep=sleeps.append)
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(provider.calls) == 4


@pytest.mark.parametrize("error", [ProviderAuthError(), ProviderError("boom"), RuntimeError("x")])
def test_other_errors_are_not_retried(error: Exception, sleeps: list[float]) -> None:
    provider = FakeProvider(fail={1: error})
    with pytest.raises(type(error)):
        synthesize_with_retry(provider, "hi", "v1", 1.0, sleep=sleeps.append)
    assert sleeps == []
    assert len(provider.calls) == 1


def test_sanitize_message_redacts_and_truncates() -> None:
    key = "abc123secretkey"
    text = f"bad key {key}\nBearer xyz.abc token sk-ABCDEFGHIJKLMNOP" + " word" * 100
    clean = sanitize_message(text, (key,))
    assert key not in clean and "xyz.abc" not in clean and "sk-ABCDEFGH" not in clean
    assert "\n" not in clean
    assert len(clean) <= 200
    assert clean.startswith("bad key [redacted] Bearer [redacted]")
