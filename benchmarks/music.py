"""Music: Demucs separation speed, greedy vs DP lyrics alignment, tempo of the corpus song.

* separation real-time factor (seconds of work per second of audio) on this machine, with
  a tiny random HTDemucs saved and loaded like real weights, and with the real ``htdemucs``
  weights when they are in ``data/models/demucs`` or a Demucs cache (else: absent);
* the corpus song (../shared/corpus/lyrics) through ``process --lyrics`` as a user runs it,
  then both aligners on its transcript: median and 90th percentile line-start error against
  the human line times, and the pipeline's own LRC error;
* the tempo librosa finds for the song.

Writes benchmarks/results/music.json.
"""

import csv
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, ROOT, write_result

SONG = CORPUS / "lyrics" / "Fantasma_-_Los_Rombos"


def errors(starts_s: list[float], reference: list[float]) -> dict[str, float]:
    err = sorted(abs(a - b) for a, b in zip(starts_s, reference, strict=True))
    return {"median_s": round(statistics.median(err), 3),
            "p90_s": round(err[int(0.9 * (len(err) - 1))], 3),
            "mean_s": round(statistics.fmean(err), 3)}


def reference_starts() -> list[float]:
    with open(f"{SONG}.lines.csv", encoding="utf-8") as fh:
        return [float(r["start_time"]) for r in csv.DictReader(fh)]


def excerpt(seconds: float, folder: Path) -> Path:
    from media_pipeline.audio.ffmpeg import ffmpeg_exe

    out = folder / "excerpt.flac"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-ss", "15",
                    "-t", str(seconds), "-i", f"{SONG}.mp3", str(out)], check=True)
    return out


def separation(folder: Path, seconds: float) -> dict[str, Any]:
    from media_pipeline.audio import separation as sep

    clip = excerpt(seconds, folder)
    out: dict[str, Any] = {"audio_s": seconds, "segment_s": 30.0}
    sep.save_demucs_model(sep.tiny_htdemucs(), folder / "tiny", "955717e8")
    tiny = sep.resolve_model("htdemucs", folder / "tiny")
    started = time.perf_counter()
    model = sep.load_separator(tiny)
    load_s = time.perf_counter() - started
    result = sep.separate_vocals(model, clip, folder / "tiny.flac")
    out["tiny_htdemucs"] = {"load_s": round(load_s, 3), "seconds": round(result.seconds, 3),
                            "real_time_factor": round(result.real_time_factor, 4)}
    try:
        real = sep.resolve_model("htdemucs", ROOT / "data" / "models" / "demucs")
    except sep.SeparationWeightsMissing as exc:
        out["htdemucs"] = {"absent": True, "put_weights_at": str(exc.expected)}
        return out
    started = time.perf_counter()
    model = sep.load_separator(real)
    load_s = time.perf_counter() - started
    result = sep.separate_vocals(model, clip, folder / "real.flac")
    out["htdemucs"] = {"weights": real.identity, "load_s": round(load_s, 3),
                       "seconds": round(result.seconds, 3),
                       "real_time_factor": round(result.real_time_factor, 4)}
    return out


def alignment(folder: Path) -> dict[str, Any]:
    from media_pipeline.batch import Batch, process_files
    from media_pipeline.settings import pipeline_settings_from_env, runtime_settings_from_env
    from media_pipeline.stages.transcription import load_transcript_words
    from media_pipeline.text.lyrics import align_lyrics

    song = folder / "song.mp3"
    song.write_bytes(Path(f"{SONG}.mp3").read_bytes())
    runtime = runtime_settings_from_env(folder / "data")
    started = time.perf_counter()
    [result] = process_files([song], Batch(runtime), pipeline_settings_from_env(),
                             Path(f"{SONG}.txt"), model_chosen=False)
    seconds = time.perf_counter() - started
    if result.status != "completed":
        return {"error": result.error}
    reference = reference_starts()
    lrc = Path(result.outputs["lrc"]).read_text(encoding="utf-8")
    got = [int(m[0]) * 60 + float(m[1]) for m in
           re.findall(r"^\[(\d+):(\d+(?:\.\d+)?)\](.+)$", lrc, flags=re.M) if m[2].strip()]
    [transcript] = (runtime.artifacts_dir / result.key).glob("transcript-*/transcript.json")
    words, data = load_transcript_words(transcript)
    lyrics = Path(f"{SONG}.txt").read_text(encoding="utf-8")
    out: dict[str, Any] = {"lines": len(reference), "pipeline_seconds": round(seconds, 2),
                           "transcript_language": data.get("language"),
                           "recognised_words": len(words)}
    for method in ("greedy", "dp"):
        timed = align_lyrics(lyrics, words, 166_000, method)
        out[method] = {**errors([x.start_ms / 1000 for x in timed.lines], reference),
                       "anchored_words": timed.anchored_words}
    out["harder_lyrics"] = {
        name: {method: errors_for(align_lyrics(text, words, 166_000, method).lines, refs)
               for method in ("greedy", "dp")}
        for name, (text, refs) in lyric_variants(lyrics, reference).items()}
    out["pipeline_lrc"] = errors(got, reference) if len(got) == len(reference) else {
        "error": f"{len(got)} LRC lines for {len(reference)} lyric lines"}
    return out


def lyric_variants(lyrics: str, reference: list[float],
                   ) -> dict[str, tuple[str, list[float | None]]]:
    """The song's lyrics as users get them wrong, each with the reference start of every
    line (None for a line nobody sings): a chorus written once less than it is sung, and
    a line that is not sung at all."""
    rows = lyrics.splitlines()
    sung = [i for i, row in enumerate(rows) if row.strip()]
    refs: list[float | None] = [None] * len(rows)
    for i, start in zip(sung, reference, strict=True):
        refs[i] = start
    # The first "la tristeza es muy extraña / se alimenta de la belleza" (a later one would
    # be ambiguous: the same two lines are sung again right after).
    chorus = sung[4:6]
    once = [r for i, r in enumerate(rows) if i not in chorus]
    once_refs = [x for i, x in enumerate(refs) if i not in chorus]
    extra_at = sung[8] + 1  # inside the second verse
    extra = [*rows[:extra_at], "una línea que nadie canta aquí", *rows[extra_at:]]
    extra_refs = [*refs[:extra_at], None, *refs[extra_at:]]

    def sung_only(text: list[str], starts: list[float | None]) -> list[float | None]:
        return [x for t, x in zip(text, starts, strict=True) if t.strip()]
    return {"chorus_written_once_less": ("\n".join(once), sung_only(once, once_refs)),
            "a_line_not_sung": ("\n".join(extra), sung_only(extra, extra_refs))}


def errors_for(lines: Any, refs: list[float | None]) -> dict[str, float]:
    """Line-start errors over the lines that have a reference time."""
    pairs = [(x.start_ms / 1000, r) for x, r in zip(lines, refs, strict=True) if r is not None]
    return errors([g for g, _ in pairs], [r for _, r in pairs])


def main() -> int:
    from media_pipeline.audio.beats import beats_of_file

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sep = separation(folder, 30.0)
        print("separation", sep, file=sys.stderr)
        align = alignment(folder)
        print("alignment", align, file=sys.stderr)
    started = time.perf_counter()
    grid = beats_of_file(Path(f"{SONG}.mp3"))
    beats = {**grid.to_dict(), "seconds": round(time.perf_counter() - started, 2)}
    path = write_result("music", {"song": SONG.name, "separation": sep,
                                  "lyrics_alignment": align, "tempo": beats})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
