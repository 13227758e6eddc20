"""The provider interface: what a text-to-speech engine must offer and what it returns.

All times are integer milliseconds; word timings in a ``SynthesisResult`` are relative to the
start of that chunk's audio, and ``offset`` fields are character offsets into the chunk text.
"""

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class TimedWord:
    """One spoken word: its text as written, when it is heard, where it is in the text."""

    text: str
    start_ms: int
    end_ms: int
    offset: int | None = None
    """Character offset of the word in the chunk (provider results) or narration text."""


@dataclass(frozen=True)
class TimedSentence:
    """One sentence of the input text and when it is heard."""

    text: str
    start_ms: int
    end_ms: int
    offset: int
    """Character offset of the sentence in the narration text."""


@dataclass(frozen=True)
class ProviderCapabilities:
    """What a provider can do; the chunker and manager size their work from it."""

    max_chunk_chars: int
    """Longest text one ``synthesize`` call accepts."""
    supports_word_timings: bool
    """True when results carry ``words``."""
    supports_speed: bool
    """True when ``speed`` changes the audio (else only 1.0 is accepted)."""
    sample_rate: int
    """Sample rate (Hz) of the audio it returns."""
    voices: tuple[str, ...] = ()
    """Voice names it accepts; empty means any voice id is passed through unchecked."""
    min_speed: float = 1.0
    max_speed: float = 1.0


@dataclass(frozen=True)
class SynthesisResult:
    """Audio of one chunk as a mono 16-bit WAV file in memory, plus optional word timings."""

    wav_bytes: bytes
    sample_rate: int
    num_samples: int
    words: list[TimedWord] | None = field(default=None)
    """Word timings relative to the chunk start; None when the provider gives none."""

    @property
    def duration_ms(self) -> int:
        """Length of the chunk audio in whole milliseconds (rounded)."""
        return round(self.num_samples * 1000 / self.sample_rate)


@runtime_checkable
class TTSProvider(Protocol):
    """A text-to-speech engine: a stable name, its capabilities, and one synthesis call."""

    @property
    def name(self) -> str:
        """Registry name, e.g. ``"piper"``."""
        ...

    @property
    def capabilities(self) -> ProviderCapabilities:
        """Limits and features; cheap to read (no model load, no network)."""
        ...

    def synthesize(self, text: str, voice: str, speed: float) -> SynthesisResult:
        """Speak ``text`` (at most ``max_chunk_chars``) or raise a ``ProviderError``."""
        ...
