import random
from pathlib import Path

import numpy as np

from media_pipeline.audio.decode import decode_mono
from media_pipeline.audio.vad import (
    CutMap,
    SpeechRegion,
    VadOptions,
    cut_speech,
    frame_decisions,
    regions_from_decisions,
    speech_regions,
)
from media_pipeline_tests.conftest import make_tone_file


def test_frame_decisions_match_webrtcvad_expected_file(corpus: Path) -> None:
    pcm = (corpus / "webrtcvad" / "test-audio.raw").read_bytes()
    for line in (corpus / "webrtcvad" / "test-audio.expected.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        mode, expected = line.split("\t")
        got = "".join("1" if d else "0" for d in frame_decisions(pcm, 8000, int(mode), 30))
        assert got == expected.strip(), f"mode {mode}"


def test_regions_bridge_short_pauses_drop_blips_and_pad() -> None:
    opts = VadOptions(frame_ms=30, padding_ms=60, min_silence_ms=200, min_speech_ms=90)
    frames = ([False] * 10 + [True] * 10 + [False] * 3 + [True] * 10 + [False] * 20 + [True]
              + [False] * 20)
    regions = regions_from_decisions(frames, opts, total_ms=len(frames) * 30)
    # the 90 ms pause is bridged, the single 30 ms blip is dropped, padding is applied
    assert regions == [SpeechRegion(300 - 60, 990 + 60)]


def test_cut_map_round_trips_and_is_monotonic() -> None:
    rnd = random.Random(7)
    for _ in range(50):
        t, regions = 0, []
        for _ in range(rnd.randint(1, 8)):
            t += rnd.randint(0, 2000)
            length = rnd.randint(30, 5000)
            regions.append(SpeechRegion(t, t + length))
            t += length + 1
        cut = CutMap.from_regions(regions)
        assert cut.total_ms == sum(r.duration_ms for r in regions)
        previous = -1
        for ms in range(0, cut.total_ms, 37):
            src = cut.to_source_ms(ms)
            assert src >= previous  # never goes back in time
            assert any(r.start_ms <= src <= r.end_ms for r in regions)  # lands inside speech
            previous = src
        for r, (cut_start, src_start, length) in zip(regions, cut.pieces, strict=True):
            assert cut.to_source_ms(cut_start) == r.start_ms == src_start
            assert cut.to_source_ms(cut_start + length, is_end=True) == r.end_ms


def test_cut_speech_length_matches_the_map() -> None:
    samples = np.arange(16000 * 5, dtype=np.float32)
    regions = [SpeechRegion(100, 600), SpeechRegion(2000, 2750)]
    speech = cut_speech(samples, 16000, regions)
    assert speech.shape[0] == CutMap.from_regions(regions).total_ms * 16
    assert speech[0] == samples[1600] and speech[8000] == samples[32000]


def test_speech_is_found_in_speech_and_not_in_noise_or_silence(
        tmp_path: Path, corpus: Path) -> None:
    jfk = decode_mono(corpus / "jfk" / "jfk.flac")
    found = sum(r.duration_ms for r in speech_regions(jfk, 16000))
    assert found > 9000  # JFK talks for most of the 11 s
    for kind in ("noise", "silence"):
        audio = decode_mono(make_tone_file(tmp_path / f"{kind}.wav", 10, kind))
        assert speech_regions(audio, 16000) == [], kind


def test_regions_cover_human_marked_speech_and_skip_long_silences(corpus: Path) -> None:
    audio = decode_mono(corpus / "mfa" / "michaelandsickmichael.wav")
    regions = speech_regions(audio, 16000)
    total_ms = audio.shape[0] // 16
    human = np.zeros(total_ms, dtype=bool)
    for line in (corpus / "mfa" / "michaelandsickmichael.segments.tsv").read_text().splitlines():
        if line[:1].isdigit():
            start_s, end_s = line.split("\t")[:2]
            human[int(float(start_s) * 1000): int(float(end_s) * 1000)] = True
    found = np.zeros(total_ms, dtype=bool)
    for r in regions:
        found[r.start_ms: r.end_ms] = True
    recall = (found & human).sum() / human.sum()
    silence_kept = (found & ~human).sum() / (~human).sum()
    assert len(regions) >= 4
    assert recall >= 0.9  # both speakers, including the hoarse second one
    assert silence_kept <= 0.6


def test_regions_never_end_past_the_last_sample() -> None:
    rate = 16000
    samples = np.zeros(rate * 2 + 10, dtype=np.float32)  # 2000.625 ms
    samples[rate:] = 0.5 * np.sin(np.arange(samples.size - rate) * 0.3)
    opts = VadOptions(energy_gate_db=0)
    decisions = [False] * 33 + [True] * 33
    regions = regions_from_decisions(decisions, opts, total_ms=samples.size * 1000 // rate)
    assert regions and regions[-1].end_ms <= samples.size * 1000 // rate
    for r in speech_regions(samples, rate, opts):
        assert r.end_ms * rate // 1000 <= samples.size


def test_a_word_across_a_seam_stays_in_the_piece_holding_most_of_it() -> None:
    cut = CutMap.from_regions([SpeechRegion(0, 2400), SpeechRegion(3000, 5000)])
    assert cut.main_piece(2200, 3300) == (2400, 4400)  # 200 ms before the seam, 900 after
    assert cut.main_piece(1000, 2500) == (0, 2400)
