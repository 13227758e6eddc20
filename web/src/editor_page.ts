// Loads one job into the editor: its state while it runs, then media, waveform and cues.

import { ApiError, Check, Confidence, getJson, Job, jobUrl, MediaInfo, segmentsOf, request,
  Waveform } from "./api";
import { announce, h, setChildren } from "./dom";
import { Editor, HELP, keyboard } from "./editor";
import * as events from "./events";
import * as jobs from "./jobs";
import { cleanup, downloads, preview } from "./panels";
import { WaveformView } from "./waveform";

async function optional<T>(url: string): Promise<T | null> {
  try {
    return await getJson<T>(url);
  } catch (err) {
    if (err instanceof ApiError) return null;
    throw err;
  }
}

function liveState(root: HTMLElement, job: Job): void {
  const percent = job.progress?.percent;
  setChildren(root, h("section", { class: "panel live", "aria-live": "polite",
    "data-testid": "job-row", "data-job-id": job.id, "data-state": job.state },
    h("h1", {}, job.name),
    h("p", {}, "This job is ", h("strong", { "data-testid": "job-state" },
      job.state.replace(/_/g, " ")),
    percent !== null && percent !== undefined ? ` (${Math.round(percent)} %)` : "", "."),
    job.error ? h("p", { class: "error" }, job.error) : null,
    job.state === "failed" || job.state === "cancelled" ? null
      : h("p", { class: "muted" }, "The editor opens by itself when it is done."),
    h("p", {}, h("a", { href: "#/" }, "← Library"))));
}

/** The editor's heading is the job's row (``job-row``): its state follows the events. */
function jobHead(job: Job, info: MediaInfo | null): HTMLElement {
  const badge = h("span", { class: `state state-${job.state}` }, job.state.replace(/_/g, " "));
  const head = h("div", { class: "editor-head", "data-testid": "job-row", "data-job-id": job.id,
    "data-state": job.state }, h("a", { href: "#/" }, "← Library"),
  h("h1", {}, info?.name ?? job.name), badge,
  h("span", { class: "muted" }, [info?.language, info?.model].filter(Boolean).join(" · ")));
  const stop = jobs.subscribe(() => {
    if (!head.isConnected) return void stop();
    const state = jobs.get(job.id)?.state ?? job.state;
    head.dataset.state = state;
    badge.className = `state state-${state}`;
    badge.textContent = state.replace(/_/g, " ");
  });
  return head;
}

function playerFor(id: string, info: MediaInfo | null): HTMLMediaElement {
  const video = info?.has_video ?? true;  // a <video> plays audio too, when we do not know
  const el = h(video ? "video" : "audio", { "data-testid": "player", controls: true,
    preload: "metadata", src: jobUrl(id, "/media"), "aria-label": "Media player",
    class: video ? "player video" : "player audio" });
  return el;
}

async function load(ed: Editor, job: Job): Promise<void> {
  const id = ed.id;
  const [info, segResponse, wave, confidence, checks] = await Promise.all([
    optional<MediaInfo>(jobUrl(id, "/media-info")),
    request("GET", jobUrl(id, "/segments")),
    optional<Waveform>(jobUrl(id, "/waveform")),
    optional<Confidence>(jobUrl(id, "/confidence")),
    optional<Check[]>(jobUrl(id, "/checks")),
  ]);
  const list = await segmentsOf(segResponse);
  if (ed.destroyed) return;
  ed.segments = list.segments;
  ed.setDepths(list);
  ed.extras.low = confidence?.low_words ?? [];
  ed.extras.checks = new Map();
  for (const c of checks ?? []) {
    ed.extras.checks.set(c.segment_id, [...(ed.extras.checks.get(c.segment_id) ?? []), c]);
  }
  const player = playerFor(id, info);
  ed.player = player;
  ed.language = info?.language ?? null;
  const durationS = info?.duration_s ?? (job.progress?.duration_s ?? 0);
  ed.durationMs = Math.round(durationS * 1000);
  const waveBox = h("div", { class: "waveform", "data-testid": "waveform",
    "aria-label": "Waveform: drag a cue's edges to retime it", role: "group" });
  const zoom = h("input", { type: "range", id: "zoom", min: 0, max: 400, value: 0, step: 10 });
  const tools = h("div", { class: "edit-tools" }, ed.undoButton, ed.redoButton,
    h("label", { for: "zoom" }, "Zoom"), zoom);
  const prev = preview(id);
  ed.onCleanup(prev.stop);
  setChildren(ed.root,
    jobHead(job, info),
    h("div", { class: "editor" },
      h("div", { class: "stage" }, player, waveBox, tools, h("p", { class: "help" }, HELP),
        job.export_error ? h("p", { class: "error" }, `Last export: ${job.export_error}`) : null),
      h("div", { class: "cue-pane" }, ed.list)),
    h("div", { class: "panels" }, downloads(job), prev.element, cleanup(id)));
  ed.refreshTrack();
  if (wave && durationS > 0) {
    ed.wave = new WaveformView(waveBox, player, wave, durationS, {
      retime: (sid, start, end) => ed.retime(sid, start, end),
      select: (sid) => ed.select(sid) });
    ed.wave.setLowWords(ed.extras.low);
    zoom.addEventListener("input", () => ed.wave?.zoom(Number(zoom.value)));
  } else {
    setChildren(waveBox, h("p", { class: "muted" }, "No waveform for this job."));
    zoom.disabled = true;
  }
  ed.renderCues();
  player.addEventListener("timeupdate", () => ed.highlight(false));
  player.addEventListener("seeked", () => ed.highlight(false));
  if (ed.startMs !== null) {
    player.currentTime = ed.startMs / 1000;
    ed.highlight(true, ed.startMs);
    if (ed.current !== null) ed.select(ed.current);
  }
}

/** Render the editor for job ``id`` into ``root``; returns its cleanup. */
export function editorPage(root: HTMLElement, id: string, startMs: number | null): () => void {
  const ed = new Editor(root, id, startMs);
  const onKey = keyboard(ed);
  document.addEventListener("keydown", onKey);
  ed.onCleanup(() => document.removeEventListener("keydown", onKey));
  let opened = false;
  let opening = false;
  let seen = "";
  const open = async (): Promise<void> => {
    // One open at a time: a job event arriving while the first is still fetching would
    // build the editor a second time under a user already typing in it.
    if (opening) return;
    opening = true;
    try {
      await openOnce();
    } finally {
      opening = false;
    }
    // It completed while we were fetching an older state: open the editor now.
    if (!opened && !ed.destroyed && seen !== "completed"
      && jobs.get(id)?.state === "completed") void open();
  };
  const openOnce = async (): Promise<void> => {
    let job: Job;
    try {
      job = await getJson<Job>(jobUrl(id));
    } catch (err) {
      if (ed.destroyed) return;
      setChildren(root, h("p", { class: "error" }, `Cannot open ${id}: ${(err as Error).message}`),
        h("p", {}, h("a", { href: "#/" }, "← Library")));
      return;
    }
    if (ed.destroyed) return;
    seen = job.state;
    jobs.put(job);
    if (job.state !== "completed") {
      liveState(root, job);
      return;
    }
    opened = true;
    try {
      await load(ed, job);
    } catch (err) {
      announce(`Could not load the editor: ${(err as Error).message}`, "error");
    }
  };
  setChildren(root, h("p", { class: "muted" }, "Loading…"));
  void open();
  ed.onCleanup(jobs.subscribe(() => {
    const job = jobs.get(id);
    if (!job || opened || opening || job.state === seen) return;
    seen = job.state;
    if (job.state === "completed") void open();
    else liveState(root, job);
  }));
  // A re-export after an edit ended: the VTT (and the download links) changed.
  ed.onCleanup(events.on("job_completed", (data) => {
    if (data.id === id && opened) ed.refreshTrack();
  }));
  return () => ed.destroy();
}
