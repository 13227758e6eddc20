"""Stage 'speakers' without Dagster: who speaks when, from the speech audio and regions.

Writes ``speakers.json`` (``turns``: ``[start_s, end_s, speaker]`` on the source timeline).
With ``speakers=off``, or when the encoder's weights are missing, the file holds no turns
and the info says why: the cues then carry no speakers, and nothing fails.
"""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from media_pipeline.atomic import write_json_atomic
from media_pipeline.audio.speaker_encoder import SpeakerModelMissing, load_encoder
from media_pipeline.audio.speakers import DiarizeOptions, diarize, parse_speakers, wav_reader
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages.cues_file import StepResult

Turn = tuple[float, float, str]


def diarize_options(settings: PipelineSettings) -> DiarizeOptions | None:
    """The clustering options of these settings; None when diarization is off."""
    wanted = parse_speakers(settings.speakers)
    if wanted is False:
        return None
    return DiarizeOptions(speakers=None if wanted is None else int(wanted),
                          min_speakers=max(1, settings.min_speakers),
                          max_speakers=max(1, settings.max_speakers, settings.min_speakers))


def speakers_step(wav: Path, regions_file: Path, settings: PipelineSettings, out_dir: Path,
                  encoder: Callable[[], Any] = load_encoder) -> StepResult:
    """Speaker turns of the speech in ``wav`` (see module doc); ``encoder`` loads the model."""
    options = diarize_options(settings)
    info: dict[str, Any] = {"diarization": "off", "speaker_count": 0, "turn_count": 0,
                            "speakers": [], "windows": 0}
    turns: list[Turn] = []
    if options is None:
        info["reason"] = "speaker diarization is off (speakers=off)"
    else:
        regions = [(int(a), int(b)) for a, b in
                   json.loads(regions_file.read_text(encoding="utf-8"))["regions"]]
        started = time.perf_counter()
        try:
            found, windows = diarize(wav_reader(wav), encoder(), regions, options)
        except SpeakerModelMissing as exc:
            info["reason"] = f"skipped: {exc.user_message}"
        else:
            turns = [(t.start_s, t.end_s, t.speaker) for t in found]
            names = list(dict.fromkeys(t[2] for t in turns))
            info.update(diarization="auto" if options.speakers is None else "fixed",
                        speaker_count=len(names), turn_count=len(turns), speakers=names,
                        windows=windows, seconds=round(time.perf_counter() - started, 3))
    write_json_atomic(out_dir / "speakers.json", {"turns": [list(t) for t in turns]})
    return {"speakers": "speakers.json"}, info


def read_turns(path: Path) -> list[Turn]:
    """The turns a :func:`speakers_step` wrote."""
    rows = json.loads(path.read_text(encoding="utf-8"))["turns"]
    return [(float(a), float(b), str(c)) for a, b, c in rows]
