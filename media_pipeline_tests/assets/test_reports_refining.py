"""The refining steps (``refine.py``): cleanup + dictionary, timing, segmentation, correction."""

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from media_pipeline.settings import PipelineSettings, correction_api_key
from media_pipeline.stages import refining as refine
from media_pipeline.stages.cues_file import read_cues, write_cues
from media_pipeline.subtitles.model import Cue, Word
from media_pipeline.subtitles.rules import check_cues
from media_pipeline.text.dictionary import DictionaryEntry


def segment(text: str, start_ms: int, words: list[str] | None = None,
            step_ms: int = 350) -> dict[str, object]:
    toks = words if words is not None else text.split()
    rows = [[t, start_ms + i * step_ms, start_ms + i * step_ms + 300, 0.9]
            for i, t in enumerate(toks)]
    return {"start_ms": start_ms, "end_ms": start_ms + len(toks) * step_ms, "text": text,
            "avg_logprob": -0.2, "no_speech_prob": 0.01, "words": rows}


@pytest.fixture()
def transcript(tmp_path: Path) -> Path:
    segments = [
        segment("L'accident a eu lieu près de Kowlun.", 0, ["L", "'accident", "a", "eu", "lieu",
                                                           "près", "de", "Kowlun."]),
        segment("He said “don’t   go”.", 4000),
        segment("Thanks for watching!", 8000),
        segment("la la la.", 12000), segment("la la la.", 13200), segment("la la la.", 14400),
    ]
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps({"language": "fr", "segments": segments}), encoding="utf-8")
    return path


def test_cues_step_cleans_times_and_segments(transcript: Path, tmp_path: Path) -> None:
    out = tmp_path / "cues"
    dictionary = [DictionaryEntry("Kowlun", "Kowloon")]
    files, info = refine.cues_step(transcript, PipelineSettings(), dictionary, out)
    cues = read_cues(out / files["cues"])
    text = " ".join(c.text for c in cues)
    assert text == ("L'accident a eu lieu près de Kowloon. He said \"don't go\". la la la.")
    assert info["cleanup_by_kind"] == {"quotes": 2, "hallucination": 1, "repeat": 1,
                                       "dictionary": 1}
    assert info["rule_violations"] == {} and info["profile"] == "netflix-en"
    assert not any(check_cues(cues, refine.profile_for(PipelineSettings()).limits).values())
    # Every change is kept and can be undone: back to the words as transcribed.
    saved = json.loads((out / files["cleanup"]).read_text(encoding="utf-8"))
    ids = [c["id"] for c in saved["changes"]]
    assert ids == [c["id"] for c in info["cleanup_examples"]] and len(set(ids)) == 5
    undo_all = tmp_path / "undo_all"
    files, info = refine.cues_step(transcript, PipelineSettings(), dictionary, undo_all,
                                   undo_changes=set(ids))
    original = " ".join(c.text for c in read_cues(undo_all / files["cues"]))
    assert original.startswith("L'accident a eu lieu près de Kowlun.")
    assert "Thanks for watching!" in original and "“don’t go”" in original
    assert info["cleanup_undone"] == 5 and info["cleanup_undo_refused"] == []
    last = saved["changes"][-1]  # the dictionary runs last
    assert last["kind"] == "dictionary"
    undo_one = tmp_path / "undo_one"
    files, info = refine.cues_step(transcript, PipelineSettings(), dictionary, undo_one,
                                   undo_changes={last["id"]})
    text = " ".join(c.text for c in read_cues(undo_one / files["cues"]))
    assert text == "L'accident a eu lieu près de Kowlun. He said \"don't go\". la la la."
    undone = json.loads((undo_one / files["cleanup"]).read_text(encoding="utf-8"))["undone"]
    assert [c["id"] for c in undone] == [last["id"]] and info["cleanup_changes"] == 4


def test_quote_style_follows_the_profile_unless_set(transcript: Path, tmp_path: Path) -> None:
    def cue_text(settings: PipelineSettings) -> str:
        files, _ = refine.cues_step(transcript, settings, [], tmp_path / settings.profile)
        return " ".join(c.text for c in read_cues(tmp_path / settings.profile / files["cues"]))
    assert "“don’t go”" in cue_text(PipelineSettings(profile="bbc"))
    assert "\"don't go\"" in cue_text(PipelineSettings(profile="custom"))
    assert "“don’t go”" in cue_text(PipelineSettings(profile="custom", quote_style="typographic"))


def test_custom_profile_takes_its_numbers_from_settings() -> None:
    profile = refine.profile_for(PipelineSettings(profile="custom", custom_max_chars_per_line=30,
                                                  custom_max_cps=15.0, custom_frame_rate=25.0))
    assert (profile.name, profile.max_chars_per_line, profile.max_cps, profile.min_gap_ms) == (
        "custom", 30, 15.0, 80)


def test_empty_transcript_gives_no_cues(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"segments": []}))
    files, info = refine.cues_step(path, PipelineSettings(), [], tmp_path / "o")
    assert read_cues(tmp_path / "o" / files["cues"]) == [] and info["empty"] is True


# ---------------------------------------------------------------------------- correction

CUES = [Cue(0, 2000, ("I red the book",), (Word("I", 0, 300), Word("red", 300, 800),
                                          Word("the", 800, 1000), Word("book", 1000, 1800))),
        Cue(2100, 3100, ("fine",), (Word("fine", 2100, 2600),))]


class Fake:
    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes]] = []
        self.auth: list[str | None] = []
        self.url = ""


@pytest.fixture()
def api() -> Iterator[Fake]:
    fake = Fake()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fake.auth.append(self.headers.get("Authorization"))
            status, body = fake.replies.pop(0)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    server.shutdown()


def answer(*pairs: tuple[int, str]) -> bytes:
    content = json.dumps({"corrections": [{"id": i, "text": t} for i, t in pairs]})
    return json.dumps({"choices": [{"message": {"content": content}}]}).encode()


def run_correction(tmp_path: Path, settings: PipelineSettings, key: str | None = "k",
                   ) -> tuple[list[Cue], dict[str, object]]:
    src = tmp_path / "in.json"
    write_cues(src, CUES)
    files, info = refine.corrected_cues_step(src, settings, key, "en", tmp_path / "out",
                                             sleep=lambda s: None)
    return read_cues(tmp_path / "out" / files["cues"]), info


def test_correction_is_off_by_default(tmp_path: Path) -> None:
    cues, info = run_correction(tmp_path, PipelineSettings())
    assert cues == CUES and info["correction"] == "off" and "off" in str(info["reason"])


def test_correction_accepts_small_edits_and_never_moves_times(api: Fake, tmp_path: Path) -> None:
    api.replies = [(429, b"{}"), (200, answer((0, "I read the book"), (1, "a much longer and "
                                               "entirely different sentence here")))]
    settings = PipelineSettings(correction_enabled=True, correction_base_url=api.url)
    cues, info = run_correction(tmp_path, settings, "secret-key")
    assert [c.text for c in cues] == ["I read the book", "fine"]
    assert [(c.start_ms, c.end_ms) for c in cues] == [(c.start_ms, c.end_ms) for c in CUES]
    assert [w.start_ms for w in cues[0].words] == [w.start_ms for w in CUES[0].words]
    assert (info["accepted"], info["rejected"], info["requests"]) == (1, 1, 2)
    assert api.auth == ["Bearer secret-key"] * 2
    saved = json.loads((tmp_path / "out" / "correction.json").read_text())
    assert saved["accepted"][0]["after"] == "I read the book"


def test_correction_that_breaks_the_profile_is_refused(api: Fake, tmp_path: Path) -> None:
    api.replies = [(200, answer((1, "fine, fine, fine, fine!")))]  # 23 chars in 1 s
    settings = PipelineSettings(correction_enabled=True, correction_base_url=api.url,
                                correction_max_edit_ratio=5.0)
    cues, info = run_correction(tmp_path, settings)
    assert cues[1].text == "fine" and info["accepted"] == 0 and info["rejected"] == 1


@pytest.mark.parametrize("status, why", [(401, "check the API key"), (500, "HTTP 500")])
def test_correction_failure_keeps_the_text_and_says_why(api: Fake, tmp_path: Path,
                                                        status: int, why: str) -> None:
    api.replies = [(status, b'{"error": "nope"}')]
    settings = PipelineSettings(correction_enabled=True, correction_base_url=api.url)
    cues, info = run_correction(tmp_path, settings, "sk-SECRET")
    assert cues == CUES and why in str(info["error"]) and "SECRET" not in json.dumps(info)
    assert len(api.auth) == 1  # no retry


def test_correction_without_a_key_for_mistral(tmp_path: Path) -> None:
    cues, info = run_correction(tmp_path, PipelineSettings(correction_enabled=True), None)
    assert cues == CUES and "MISTRAL_API_KEY" in str(info["error"])


def test_api_key_comes_from_the_environment_only() -> None:
    assert correction_api_key({"MISTRAL_API_KEY": "m"}) == "m"
    assert correction_api_key({"MISTRAL_API_KEY": "m",
                               "MEDIA_PIPELINE_CORRECTION_API_KEY": "p"}) == "p"
    assert correction_api_key({}) is None
    assert "key" not in " ".join(PipelineSettings.__dataclass_fields__).replace("keep", "")
    assert replace(PipelineSettings(), correction_enabled=True).correction_enabled
