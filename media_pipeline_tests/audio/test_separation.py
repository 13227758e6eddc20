"""Demucs loading from local files only, bounded-block separation, and the vocals step.

A tiny randomly initialised HTDemucs is saved the way Demucs' released weights are stored
(``<sig>-<sha256 prefix>.th``, signature of ``htdemucs``) and loaded by name through the
same code path as real weights.
"""

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from media_pipeline.audio import separation as sep
from media_pipeline.audio.ffmpeg import ffmpeg_exe
from media_pipeline.settings import PipelineSettings
from media_pipeline.stages import preprocessing as steps
from media_pipeline_tests.multitrack_media import build_multitrack

HTDEMUCS_SIG = "955717e8"


@pytest.fixture(scope="module")
def tiny_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demucs")
    sep.save_demucs_model(sep.tiny_htdemucs(), folder, HTDEMUCS_SIG)
    return folder


def test_tiny_model_is_found_by_name_and_checksummed(tiny_repo: Path) -> None:
    resolved = sep.resolve_model("htdemucs", tiny_repo)
    [path] = resolved.files
    assert path.parent == tiny_repo.resolve() and path.name.startswith(f"{HTDEMUCS_SIG}-")
    assert resolved.identity.startswith("htdemucs[955717e8-")
    model = sep.load_separator(resolved)
    assert list(model.sources) == ["drums", "bass", "other", "vocals"]
    assert sep.load_separator(resolved) is model  # loaded once per process


def test_corrupt_weights_fail_the_checksum(tiny_repo: Path, tmp_path: Path) -> None:
    [good] = tiny_repo.glob("*.th")
    bad = tmp_path / good.name
    bad.write_bytes(good.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(Exception, match="checksum"):
        sep.load_separator(sep.resolve_model("htdemucs", tmp_path))


def test_missing_weights_name_the_exact_path(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    with pytest.raises(sep.SeparationWeightsMissing) as info:
        sep.resolve_model("htdemucs", tmp_path / "models")
    expected = (tmp_path / "models" / "955717e8-8726e21a.th").resolve()
    assert info.value.expected == expected
    assert str(expected) in info.value.user_message
    assert sep.separation_identity("auto", "htdemucs", tmp_path / "models") == "missing:htdemucs"
    assert sep.separation_identity("off", "htdemucs", tmp_path / "models") == ""


def test_stem_length_rate_and_channels_on_real_audio(tiny_repo: Path, corpus: Path,
                                                     tmp_path: Path) -> None:
    model = sep.load_separator(sep.resolve_model("htdemucs", tiny_repo))
    source = corpus / "jfk" / "jfk.flac"  # 11.0 s, 44.1 kHz stereo
    # 3-second blocks: the file is separated in four bounded pieces, crossfaded
    result = sep.separate_vocals(model, source, tmp_path / "vocals.flac", segment_s=3.0,
                                 overlap_s=0.5, threads=1)
    info = sf.info(str(result.path))
    assert (info.samplerate, info.channels) == (44100, 2)
    assert info.frames == result.frames == 11 * 44100
    assert result.real_time_factor > 0
    mono = corpus / "jfk" / "jfk.wav"  # 16 kHz mono in: the stem is still 44.1 kHz stereo
    other = sep.separate_vocals(model, mono, tmp_path / "mono.flac", segment_s=20.0)
    assert (other.sample_rate, other.channels, other.frames) == (44100, 2, 11 * 44100)


def settings(mode: str, models: Path) -> PipelineSettings:
    return replace(PipelineSettings(), separation=mode, separation_models_dir=str(models))


def test_vocals_step_modes(tiny_repo: Path, corpus: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    jfk, song = corpus / "jfk" / "jfk.flac", corpus / "lyrics" / "Fantasma_-_Los_Rombos.mp3"
    empty = tmp_path / "no-weights"
    files, info = steps.vocals_step(jfk, settings("off", empty), empty, 11.0, tmp_path / "a")
    assert info["applied"] is False and info["audio_file"] == str(jfk)
    files, info = steps.vocals_step(jfk, settings("auto", empty), empty, 11.0, tmp_path / "b")
    assert info["is_music"] is False and info["applied"] is False
    files, info = steps.vocals_step(song, settings("auto", empty), empty, 166.0, tmp_path / "c")
    assert info["is_music"] is True and info["applied"] is False and info["fallback"] is True
    assert "955717e8-8726e21a.th" in info["reason"]
    with pytest.raises(sep.SeparationWeightsMissing, match="no-weights"):
        steps.vocals_step(jfk, settings("on", empty), empty, 11.0, tmp_path / "d")
    files, info = steps.vocals_step(jfk, settings("on", tiny_repo), tiny_repo, 11.0,
                                    tmp_path / "e")
    assert info["applied"] is True and files["stem"] == "vocals.flac"
    assert Path(info["audio_file"]) == tmp_path / "e" / "vocals.flac"
    assert (info["sample_rate"], info["channels"], info["stem_s"]) == (44100, 2, 11.0)


@pytest.mark.slow
def test_demucs_separates_the_chosen_track(tiny_repo: Path, corpus: Path,
                                           tmp_path: Path) -> None:
    movie = build_multitrack(tmp_path / "movie.mkv", corpus)
    stems = {}
    for track in (0, 1):
        chosen = replace(settings("on", tiny_repo), audio_track=track)
        files, info = steps.vocals_step(movie, chosen, tiny_repo, 8.0, tmp_path / str(track))
        assert info["applied"] is True and (info["audio_track"], info["decode_track"]) == (
            track, 0)  # the stem has one stream
        stems[track], _ = sf.read(tmp_path / str(track) / files["stem"], dtype="float32")
    alone = tmp_path / "german.flac"  # the German track by itself, same samples
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(movie),
                    "-map", "0:a:1", "-c:a", "flac", str(alone)], check=True)
    result = sep.separate_vocals(sep.load_separator(sep.resolve_model("htdemucs", tiny_repo)),
                                 alone, tmp_path / "alone.flac")
    reference, _ = sf.read(result.path, dtype="float32")
    n = min(len(reference), len(stems[1]), len(stems[0]))
    same = np.corrcoef(reference[:n, 0], stems[1][:n, 0])[0, 1]
    other = np.corrcoef(reference[:n, 0], stems[0][:n, 0])[0, 1]
    assert same > 0.99 and abs(other) < 0.5, (same, other)
