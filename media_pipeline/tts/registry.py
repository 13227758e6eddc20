"""Providers by name, so a request can name its engine and the manager can size chunks."""

from media_pipeline.tts.errors import ProviderNotFoundError
from media_pipeline.tts.providers.base import ProviderCapabilities, TTSProvider


class ProviderRegistry:
    """A name → provider map with a clear error for unknown names."""

    def __init__(self, providers: list[TTSProvider] | None = None) -> None:
        self._providers: dict[str, TTSProvider] = {}
        for provider in providers or []:
            self.register(provider)

    def register(self, provider: TTSProvider, *, replace: bool = False) -> None:
        """Add ``provider`` under its name; a second one with that name needs ``replace``."""
        if provider.name in self._providers and not replace:
            raise ValueError(f"a TTS provider named {provider.name!r} is already registered")
        self._providers[provider.name] = provider

    def get(self, name: str) -> TTSProvider:
        """The provider called ``name``, or ``ProviderNotFoundError`` listing the known ones."""
        try:
            return self._providers[name]
        except KeyError:
            raise ProviderNotFoundError(name, list(self._providers)) from None

    def names(self) -> list[str]:
        """Registered provider names, sorted."""
        return sorted(self._providers)

    def capabilities(self, name: str) -> ProviderCapabilities:
        """Capabilities of the provider called ``name``."""
        return self.get(name).capabilities

    def __contains__(self, name: object) -> bool:
        return name in self._providers
