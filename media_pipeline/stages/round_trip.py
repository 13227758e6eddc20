"""Listen to a narration with the project's own transcription (faster-whisper over asr/)."""

from pathlib import Path

from media_pipeline.asr.models import is_english_only, load_whisper, resolve_model_dir
from media_pipeline.asr.transcribe import AsrOptions, transcribe_regions
from media_pipeline.audio.decode import SPEECH_RATE, decode_mono
from media_pipeline.audio.vad import SpeechRegion
from media_pipeline.stages.narration import Transcribe


def whisper_transcriber(model: str, cache_dir: Path) -> Transcribe:
    """A function giving the text Whisper hears in an audio file (the model loads once)."""
    model_dir = resolve_model_dir(model, cache_dir)
    options = AsrOptions(english_only=is_english_only(model, model_dir))

    def transcribe(audio: Path) -> str:
        samples = decode_mono(audio, SPEECH_RATE)
        # Synthetic speech has no noise to gate: the whole file is one speech region.
        whole = [SpeechRegion(0, samples.shape[0] * 1000 // SPEECH_RATE)]
        loaded = load_whisper(str(model_dir), "cpu", "int8", 0)
        transcript = transcribe_regions(loaded, samples, SPEECH_RATE, whole, options)
        return " ".join(segment.text for segment in transcript.segments)

    return transcribe
