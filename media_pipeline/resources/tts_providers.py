"""Which text-to-speech engines a narration can name, built per process (no Dagster).

Built in: ``piper`` (offline default, optional extra ``[piper]``, imported only when used) and
``elevenlabs`` (only when its API key variable is set). Other engines — a test's predictable
provider, a site's own service — are added with :func:`register_provider`.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from media_pipeline.errors import ConfigurationError
from media_pipeline.tts.errors import NarrationInputError, ProviderNotFoundError
from media_pipeline.tts.providers.base import TTSProvider
from media_pipeline.tts.retry import Sleep


@dataclass(frozen=True)
class ProviderConfig:
    """What built-in providers are built from (a plain copy of the narration resource)."""

    elevenlabs_base_url: str = "https://api.elevenlabs.io"
    elevenlabs_api_key: str = ""
    elevenlabs_api_key_env: str = "ELEVENLABS_API_KEY"
    elevenlabs_voices: tuple[str, ...] = ()


ProviderFactory = Callable[[ProviderConfig], TTSProvider]

_lock = threading.Lock()
_factories: dict[str, ProviderFactory] = {}
_piper: list[TTSProvider] = []
_sleep: list[Sleep] = [time.sleep]


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make ``name`` available to narrations in this process (replaces an earlier one)."""
    with _lock:
        _factories[name] = factory


def unregister_provider(name: str) -> None:
    """Forget a provider added with :func:`register_provider`."""
    with _lock:
        _factories.pop(name, None)


def set_sleep(sleep: Sleep) -> Sleep:
    """Use ``sleep`` for retry backoff in this process (tests inject a clock); returns the old."""
    with _lock:
        previous = _sleep[0]
        _sleep[0] = sleep
    return previous


def retry_sleep(seconds: float) -> None:
    """The backoff sleep narrations use (``time.sleep`` unless :func:`set_sleep` changed it)."""
    _sleep[0](seconds)


def _piper_provider() -> TTSProvider:
    """One Piper provider per process, so its phoneme cache and loaded voices are shared."""
    with _lock:
        if not _piper:
            from media_pipeline.tts.providers.piper import PiperProvider

            try:
                _piper.append(PiperProvider())
            except ImportError as exc:  # the [piper] extra is not installed: say how to get it
                raise ConfigurationError(str(exc)) from exc
        return _piper[0]


def build_provider(name: str, config: ProviderConfig) -> TTSProvider:
    """The provider called ``name``; a clear error when it is unknown or not configured."""
    with _lock:
        factory = _factories.get(name)
    if factory is not None:
        return factory(config)
    if name == "piper":
        return _piper_provider()
    if name == "elevenlabs":
        if not config.elevenlabs_api_key:
            raise ConfigurationError(
                f"provider 'elevenlabs' is not configured: set {config.elevenlabs_api_key_env}"
            )
        from media_pipeline.tts.providers.http_speech import ElevenLabsProvider

        return ElevenLabsProvider(
            config.elevenlabs_base_url, config.elevenlabs_api_key,
            voices=config.elevenlabs_voices,
        )
    with _lock:
        known = sorted({"piper", "elevenlabs", *_factories})
    raise ProviderNotFoundError(name, known)


def resolve_voice(provider: TTSProvider, voice: str) -> str:
    """``voice``, or the provider's first voice when empty; an error when there is none."""
    if voice:
        return voice
    voices = provider.capabilities.voices
    if not voices:
        raise NarrationInputError(f"Provider {provider.name} needs a voice id")
    return voices[0]
