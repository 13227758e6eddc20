"""The review page in real Chromium (Debian's, driven by Playwright; never a browser download)
against a real `media-pipeline serve` with a token: ask for the token once, upload a corpus
clip and follow it to completed, edit a cue, undo, redo, download the SRT, search and land on
the cue, narrate, and the phone width. Screenshots of each page go to docs/screenshots/.

The tests share one server, browser page and job, in file order.
"""

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from media_pipeline_tests.api.conftest import TOKEN, Server
from media_pipeline_tests.conftest import make_tone_file

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
EDIT = "EDITED IN THE BROWSER"
SHARED: dict[str, Any] = {}

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs /usr/bin/chromium (.ci/run installs Debian's chromium)")
    pytest.skip("no /usr/bin/chromium: apt-get install -y chromium (the tests never download "
                "a browser)", allow_module_level=True)

from playwright.sync_api import Page, Route, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A short preview keeps its render cheap (the clip is 12 s; the default is 30 s).
    srv = Server(tmp_path_factory.mktemp("web") / "data",
                 env={"MEDIA_PIPELINE_PREVIEW_SECONDS": "3"}).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[Page]:
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      accept_downloads=True)
        tab = context.new_page()
        tab.on("pageerror", lambda e: errors.append(str(e)))
        calls: list[str] = []
        tab.on("request", lambda r: calls.append(f"{r.method} {r.url} {r.post_data}")
               if r.method in ("PATCH", "POST") else None)
        SHARED["calls"] = calls
        SHARED["errors"] = errors
        try:
            yield tab
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def no_page_errors() -> Iterator[None]:
    yield
    errors = SHARED.get("errors", [])
    assert not errors, f"errors on the page: {errors[:3]}"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def cue_value(page: Page, index: int = 0) -> str:
    text = page.get_by_test_id("cue-row").nth(index).get_by_test_id("cue-text")
    return str(text.evaluate("e => e.value")).strip()


def wait_until(check: Any, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


def segments(server: Server) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.request(
        "GET", f"/api/jobs/{SHARED['job_id']}/segments").json()
    return found


def test_token_once_then_upload_completes(page: Page, server: Server, corpus: Path,
                                          tmp_path: Path) -> None:
    page.goto(server.url + "/")
    token = page.get_by_label("Token (MEDIA_PIPELINE_API_TOKEN)")
    expect(token).to_be_visible(timeout=15_000)
    token.fill("wrong")
    token.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("not the server's")
    token.fill(TOKEN)
    token.press("Enter")
    expect(token).to_be_hidden()
    clip = tmp_path / "reading.flac"
    shutil.copy(corpus / "librispeech" / "2412-153948-0000.flac", clip)
    busy = {"left": 1}

    def back_pressure(route: Route) -> None:  # the first POST is told to come back in 2 s
        if route.request.method == "POST" and busy["left"]:
            busy["left"] -= 1
            route.fulfill(status=429, headers={"Retry-After": "2"},
                          json={"detail": "too many jobs wait"})
        else:
            route.fallback()

    page.route("**/api/jobs", back_pressure)
    page.get_by_test_id("upload-input").set_input_files(str(clip))
    expect(page.get_by_text("busy, retrying in")).to_be_visible()
    row = page.get_by_test_id("job-row").first
    expect(row).to_contain_text("reading.flac", timeout=60_000)
    seen: set[str] = set()
    deadline = time.monotonic() + 240
    while (state := row.get_attribute("data-state") or "") != "completed":
        seen.add(state)
        assert state not in ("failed", "cancelled") and time.monotonic() < deadline, state
        time.sleep(0.1)
    assert seen & {"pending", "preprocessing", "transcribing", "refining", "exporting"}, seen
    page.unroute("**/api/jobs")
    SHARED["job_id"] = row.get_attribute("data-job-id")
    # The library row (language, model) is read again when the job completes.
    expect(row.locator("td[data-label=Language]")).to_have_text("en")
    shot(page, "library")


def test_preview_renders_and_plays(page: Page, server: Server) -> None:
    # First of the editor's tests: its render does not wait behind the edits' re-exports.
    page.get_by_test_id("job-row").first.get_by_test_id("open-editor").click()
    page.get_by_role("button", name="Render preview").click()
    video = page.locator("video.preview-video")
    expect(video).to_be_attached(timeout=180_000)
    duration_s = video.evaluate("e => new Promise(r => e.readyState >= 1 ? r(e.duration)"
                                " : e.addEventListener('loadedmetadata', () => r(e.duration)))")
    assert 0.5 < duration_s < 10, duration_s
    shot(page, "editor")
    page.goto(server.url + "/#/")


def test_edit_undo_redo_and_download(page: Page, server: Server) -> None:
    job_id = SHARED["job_id"]
    page.get_by_test_id("job-row").first.get_by_test_id("open-editor").click()
    expect(page.get_by_test_id("cue-row").first).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("player")).to_have_attribute("src", f"/api/jobs/{job_id}/media")
    expect(page.get_by_test_id("waveform").locator("div").first).to_be_attached()
    original = cue_value(page)
    text = page.get_by_test_id("cue-row").first.get_by_test_id("cue-text")
    text.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(EDIT)
    page.keyboard.press("Enter")
    wait_until(lambda: EDIT in server.request("GET", f"/api/jobs/{job_id}/subtitles/srt").text,
               "the edit never reached the SRT", 120)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_test_id("download-srt").click()
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert EDIT in body and re.search(r"\d\d:\d\d:\d\d,\d\d\d --> ", body), body
    expect(page.get_by_test_id("redo")).to_be_disabled()
    page.get_by_test_id("undo").click()
    wait_until(lambda: cue_value(page) == original, "undo did not bring the text back")
    assert segments(server)[0]["text"] == original
    expect(page.get_by_test_id("redo")).to_be_enabled()
    page.locator("body").press("Control+Shift+Z")  # the keyboard redo, outside a text field
    wait_until(lambda: cue_value(page) == EDIT, "Ctrl+Shift+Z did not redo the edit")
    assert segments(server)[0]["text"] == EDIT


def test_split_merge_and_nudge(page: Page, server: Server) -> None:
    before = segments(server)
    mark = len(SHARED["calls"])
    rows = page.get_by_test_id("cue-row")
    text = rows.nth(1).get_by_test_id("cue-text")
    words = before[1]["text"].split(" ")
    at = len(words[0]) + 1  # the caret after the first word
    text.click()
    text.evaluate(f"e => e.setSelectionRange({at}, {at})")
    page.keyboard.press("Control+Enter")  # split at the caret
    expect(rows).to_have_count(len(before) + 1, timeout=30_000)
    after = [s["text"] for s in segments(server)]
    assert after[1] == words[0], (after, SHARED["calls"][mark:])
    rows.nth(1).get_by_role("button", name="Merge cue 2 with the next").click()
    expect(rows).to_have_count(len(before), timeout=30_000)
    assert segments(server)[1]["text"].split() == before[1]["text"].split()
    rows.nth(0).locator(".cue-time").click()  # selects the first cue, out of any text field
    page.keyboard.press("]")
    wait_until(lambda: segments(server)[0]["start_ms"] == before[0]["start_ms"] + 100,
               "] did not move the first cue's start by 100 ms", 30)
    start_ms = before[0]["start_ms"] + 100  # the row shows it as m:ss.mmm
    expect(rows.nth(0).locator(".cue-time")).to_contain_text(
        f"{start_ms // 60_000}:{start_ms // 1000 % 60:02d}.{start_ms % 1000:03d} →")


def test_drag_a_cue_edge_on_the_waveform(page: Page, server: Server) -> None:
    last = segments(server)[-1]
    handle = page.get_by_test_id("waveform").locator(
        f'[part~="cue-{last["id"]}"] [part~="region-handle-right"]')
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 40, y, steps=8)
    page.mouse.up()
    wait_until(lambda: segments(server)[-1]["end_ms"] < last["end_ms"] - 200,
               "dragging the cue's end did not retime it", 30)
    assert segments(server)[-1]["start_ms"] == last["start_ms"]


def test_search_lands_on_the_cue(page: Page, server: Server) -> None:
    last = segments(server)[-1]
    word = max(re.findall(r"[A-Za-z']+", last["text"]), key=len)
    page.goto(server.url + "/#/")
    page.get_by_test_id("search-input").fill(word)
    page.keyboard.press("Enter")
    hit = page.get_by_test_id("search-hit").first
    expect(hit).to_contain_text(word, timeout=30_000)
    shot(page, "search")
    # Marks as the confidence report and the profile checks give them (this clip has none).
    low = {"threshold": 0.5, "mean_word_probability": 0.9, "word_count": 20, "low_cues": [],
           "low_words": [{"text": word, "start_ms": last["start_ms"] + 10,
                          "end_ms": last["start_ms"] + 300, "p": 0.31}]}
    page.route("**/confidence", lambda route: route.fulfill(json=low))
    page.route("**/checks", lambda route: route.fulfill(json=[
        {"segment_id": last["id"], "rule": "cps", "detail": "21.0 characters per second"}]))
    hit.click()
    cue = page.locator(f'[data-testid="cue-row"][data-cue-id="{last["id"]}"]')
    expect(cue).to_have_class(re.compile(r"\bcurrent\b"), timeout=30_000)
    assert f"t={last['start_ms']}" in page.url
    at_s = page.get_by_test_id("player").evaluate("e => e.currentTime")
    assert abs(at_s * 1000 - last["start_ms"]) < 300, at_s
    expect(cue.locator(".low-words mark")).to_have_text(f"{word} 31%")
    expect(cue.locator(".flag")).to_contain_text("cps")
    page.unroute("**/confidence")
    page.unroute("**/checks")


def test_narration_plays_with_the_word_highlighted(page: Page, server: Server) -> None:
    page.goto(server.url + "/#/narrate")
    page.get_by_label("Text").fill("The page reads this aloud. Each word lights up in turn.")
    expect(page.locator("#voice")).to_be_attached()
    page.get_by_test_id("narrate").click()
    audio = page.get_by_test_id("narration-audio")
    expect(audio).to_be_attached(timeout=120_000)
    # The audio plays as soon as its chunk is stitched; the job completes after its round-trip
    # check (Whisper listens to it), which on a loaded CI machine took over 5 s more.
    expect(page.get_by_test_id("narration-progress")).to_contain_text("completed: 1 of 1",
                                                                      timeout=60_000)
    mp3 = page.get_by_test_id("download-mp3").get_attribute("href") or ""
    timings = server.request("GET", mp3.replace("/audio", "/metadata")).json()
    word = timings["timing_data"]["words"][2]
    at_s = (word["start_ms"] + word["end_ms"]) / 2000
    audio.evaluate("(e, t) => new Promise(r => { e.addEventListener('seeked', r, {once: true});"
                   " e.currentTime = t; })", at_s)
    expect(page.locator(".word-current")).to_have_text(word["text"])
    assert server.request("GET", mp3).content[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")
    shot(page, "narration")


def test_phone_width(page: Page, server: Server) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/#/")
    expect(page.get_by_test_id("job-row").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "library-phone")
    page.get_by_test_id("job-row").first.get_by_test_id("open-editor").click()
    expect(page.get_by_test_id("cue-row").first).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "editor-phone")


def test_cancel_from_the_page(page: Page, server: Server, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(server.url + "/#/")
    tone = make_tone_file(tmp_path / "tone.wav", 20.0)
    page.get_by_test_id("upload-input").set_input_files(str(tone))
    row = page.get_by_test_id("job-row").first
    expect(row).to_contain_text("tone.wav", timeout=60_000)
    row.get_by_role("button", name="Cancel tone.wav").click()
    expect(row).to_have_attribute("data-state", "cancelled", timeout=120_000)
    row.get_by_test_id("open-editor").click()  # a job that did not complete: its state
    expect(page.get_by_test_id("job-state")).to_have_text("cancelled")
    page.goto(server.url + "/#/")
    expect(page.get_by_test_id("upload-input")).to_be_attached()
    (tmp_path / "notes.txt").write_text("not media", encoding="utf-8")
    page.get_by_test_id("upload-input").set_input_files(str(tmp_path / "notes.txt"))
    expect(page.locator(".upload.error")).to_contain_text("not a media file")
