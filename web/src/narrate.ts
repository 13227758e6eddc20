// Narration page (#/narrate): text in, voice and speed, progress per chunk, then the MP3 with
// the word being said highlighted.

import { ApiError, getJson, Narration, NarrationTimings, send, TimedWord, Voice } from "./api";
import { announce, h, setChildren } from "./dom";
import * as events from "./events";

const POLL_MS = 1500;
const narrationUrl = (id: string, tail = ""): string =>
  `/api/narrations/${encodeURIComponent(id)}${tail}`;

async function voiceField(speed: HTMLInputElement): Promise<HTMLElement> {
  try {
    const voices = await getJson<Voice[]>("/api/voices");
    if (!voices.length) throw new Error("no voices");
    const chosen = voices.find((v) => v.default) ?? voices[0];
    if (chosen.min_speed) speed.min = String(chosen.min_speed);
    if (chosen.max_speed) speed.max = String(chosen.max_speed);
    return h("select", { id: "voice", name: "voice" }, ...voices.map((v) =>
      h("option", { value: v.voice, selected: v.default === true },
        `${v.voice} (${v.provider})`)));
  } catch {
    return h("input", { id: "voice", name: "voice", placeholder: "provider's default" });
  }
}

function wordsView(words: TimedWord[]): HTMLElement {
  return h("p", { class: "narration-words", "aria-label": "Narrated text" },
    ...words.flatMap((w, i) => [h("span", { "data-word": i }, w.text), " "]));
}

function follow(audio: HTMLAudioElement, box: HTMLElement, words: TimedWord[]): void {
  let last = -1;
  let frame = 0;
  const update = (): void => {
    const t = audio.currentTime * 1000;
    // The word being said, or the one just said while in the pause after it (no flicker).
    let at = -1;
    while (at + 1 < words.length && words[at + 1].start_ms <= t) at += 1;
    if (at >= 0 && at === words.length - 1 && t >= words[at].end_ms) at = -1;
    if (at !== last) {
      box.querySelector(".word-current")?.classList.remove("word-current");
      if (at >= 0) box.querySelector(`[data-word="${at}"]`)?.classList.add("word-current");
      last = at;
    }
    if (!audio.paused) frame = requestAnimationFrame(update);
  };
  audio.addEventListener("play", () => { cancelAnimationFrame(frame); update(); });
  audio.addEventListener("seeked", update);
  audio.addEventListener("timeupdate", update);
}

async function showResult(out: HTMLElement, id: string): Promise<void> {
  const timings = await getJson<NarrationTimings>(narrationUrl(id, "/metadata"));
  const data = timings.timing_data;
  const words = data.words.length ? data.words : data.sentences;
  const audio = h("audio", { controls: true, src: narrationUrl(id, "/audio"),
    "data-testid": "narration-audio", "aria-label": "Narration" });
  const text = wordsView(words);
  setChildren(out, audio, text, h("p", { class: "downloads" },
    h("a", { href: narrationUrl(id, "/audio"), download: `${id}.mp3`,
      "data-testid": "download-mp3" }, "Download MP3"), " ",
    h("a", { href: narrationUrl(id, "/subtitles/srt"), download: `${id}.srt`,
      "data-testid": "download-narration-srt" }, "Download SRT")));
  follow(audio, text, words);
}

/** Render the narration page; returns its cleanup. */
export function narratePage(root: HTMLElement): () => void {
  const text = h("textarea", { id: "narration-text", rows: 8, required: true,
    "data-testid": "narration-text", placeholder: "Text to read aloud" });
  const speed = h("input", { id: "speed", type: "number", min: 0.5, max: 2, step: 0.05,
    value: 1 });
  const voiceSlot = h("span");
  const progress = h("progress", { max: 1, value: 0, "aria-label": "Chunks done", hidden: true });
  const progressText = h("span", { "data-testid": "narration-progress", role: "status" });
  const out = h("div", { class: "narration-out" });
  let current = "";
  let timer = 0;
  let stopped = false;
  const show = (state: string, done: number, total: number, error: string | null): void => {
    progress.hidden = false;
    progress.max = Math.max(total, 1);
    progress.value = done;
    progressText.textContent = error ? `failed: ${error}`
      : `${state.replace(/_/g, " ")}: ${done} of ${total || "?"} chunks`;
  };
  let finished = false;
  const finish = (id: string): void => {
    if (finished || id !== current) return;
    finished = true;
    window.clearTimeout(timer);
    progress.value = progress.max;
    progressText.textContent = `completed: ${progress.max} of ${progress.max} chunks`;
    showResult(out, id).catch((err: Error) => announce(err.message, "error"));
  };
  const poll = async (id: string): Promise<void> => {
    if (stopped || id !== current || finished) return;
    try {
      const n = await getJson<Narration>(narrationUrl(id));
      show(n.status, n.completed_chunks, n.total_chunks, n.error);
      if (n.status === "completed") finish(id);
      else if (n.status !== "failed") timer = window.setTimeout(() => void poll(id), POLL_MS);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      timer = window.setTimeout(() => void poll(id), POLL_MS);
    }
  };
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const voice = (document.getElementById("voice") as HTMLInputElement | null)?.value || null;
    try {
      const n = await send<Narration>("POST", "/api/narrations",
        { text: text.value, voice, speed: Number(speed.value) || null });
      current = n.id;
      finished = false;
      setChildren(out);
      show(n.status, n.completed_chunks, n.total_chunks, n.error);
      if (n.status === "completed") finish(n.id);
      else void poll(n.id);
    } catch (err) {
      announce(`Narration: ${(err as Error).message}`, "error");
    }
  };
  const offProgress = events.on("narration_progress", (d) => {
    if (d.id === current) show(String(d.state ?? "in progress"), Number(d.chunks_done ?? 0),
      Number(d.chunks_total ?? 0), null);
  });
  const offDone = events.on("narration_completed", (d) => finish(String(d.id)));
  const offFailed = events.on("narration_failed", (d) => {
    if (d.id === current) void poll(current);
  });
  setChildren(root, h("h1", {}, "Narration"),
    h("form", { class: "narrate panel", onsubmit: (e: Event) => void submit(e) },
      h("label", { for: "narration-text" }, "Text"), text,
      h("div", { class: "row" }, h("label", { for: "voice" }, "Voice"), voiceSlot,
        h("label", { for: "speed" }, "Speed"), speed,
        h("button", { type: "submit", "data-testid": "narrate" }, "Narrate")),
      h("div", { class: "row" }, progress, progressText)), out);
  void voiceField(speed).then((field) => setChildren(voiceSlot, field));
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    offProgress();
    offDone();
    offFailed();
  };
}
