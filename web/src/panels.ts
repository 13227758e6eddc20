// The editor's side panels: downloads, the preview render, and cleanup's changes.

import { CleanupChange, getJson, Job, jobUrl, send } from "./api";
import { announce, formatMs, h, setChildren } from "./dom";

const ORDER = ["srt", "vtt", "ass", "lrc", "txt", "json"];

/** One download link per format in the job's outputs (same-origin, with ``download``). */
export function downloads(job: Job): HTMLElement {
  const formats = Object.keys(job.outputs ?? {}).sort((a, b) =>
    (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b));
  const stem = job.name.replace(/\.[^.]+$/, "") || job.id;
  return h("section", { class: "panel", "aria-labelledby": "downloads-title" },
    h("h2", { id: "downloads-title" }, "Download"),
    formats.length ? h("ul", { class: "downloads" }, ...formats.map((fmt) => h("li", {},
      h("a", { href: jobUrl(job.id, `/subtitles/${fmt}`), download: `${stem}.${fmt}`,
        "data-testid": fmt === "srt" ? "download-srt" : `download-${fmt}` }, fmt.toUpperCase()))))
      : h("p", { class: "muted" }, "No subtitle files yet."));
}

/** "Render preview": POST, poll its status, then play it. */
export function preview(id: string): { element: HTMLElement; stop: () => void } {
  const out = h("div", { class: "preview-out", "aria-live": "polite" });
  let timer = 0;
  let stopped = false;
  const show = (state: string, error: string | null): void => {
    if (state === "ready") {
      setChildren(out, h("video", { controls: true, preload: "metadata", class: "preview-video",
        src: jobUrl(id, `/preview?v=${Date.now()}`), "aria-label": "Preview with burnt-in subtitles" }));
    } else if (state === "rendering") setChildren(out, h("p", {}, "Rendering the preview…"));
    else if (state === "failed") setChildren(out, h("p", { class: "error" }, error ?? "failed"));
    else setChildren(out);
  };
  const poll = async (): Promise<void> => {
    if (stopped) return;
    try {
      const status = await getJson<{ state: string; error: string | null }>(
        jobUrl(id, "/preview/status"));
      show(status.state, status.error);
      if (status.state === "rendering") timer = window.setTimeout(() => void poll(), 1500);
    } catch (err) {
      setChildren(out, h("p", { class: "error" }, (err as Error).message));
    }
  };
  const start = async (): Promise<void> => {
    try {
      await send("POST", jobUrl(id, "/preview"));
      show("rendering", null);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => void poll(), 1000);
    } catch (err) {
      announce(`Preview: ${(err as Error).message}`, "error");
    }
  };
  void poll();
  const element = h("section", { class: "panel", "aria-labelledby": "preview-title" },
    h("h2", { id: "preview-title" }, "Preview"),
    h("button", { type: "button", onclick: () => void start() }, "Render preview"), out);
  return { element, stop: () => { stopped = true; window.clearTimeout(timer); } };
}

/** Cleanup's changes with a revert / restore button each. */
export function cleanup(id: string): HTMLElement {
  const box = h("section", { class: "panel", "aria-labelledby": "cleanup-title" });
  const render = (changes: CleanupChange[]): void => {
    setChildren(box, h("h2", { id: "cleanup-title" }, `Cleanup changes (${changes.length})`),
      changes.length ? h("ul", { class: "cleanup" }, ...changes.map((c) => {
        const reverted = c.state.startsWith("reverted") || c.state === "to revert on next run";
        return h("li", {}, h("span", { class: "cleanup-kind" }, c.kind), " ",
          h("span", { class: "cleanup-time" }, formatMs(c.start_ms)), " ",
          h("del", {}, c.before || "∅"), " → ", h("ins", {}, c.after || "∅"), " ",
          h("span", { class: "muted", title: c.detail }, c.state), " ",
          h("button", { type: "button", "aria-label": `${reverted ? "Restore" : "Revert"} ${c.kind} change at ${formatMs(c.start_ms)}`,
            onclick: () => void act(reverted ? "restore" : "revert", c.id) },
          reverted ? "Restore" : "Revert"));
      })) : h("p", { class: "muted" }, "Cleanup changed nothing."));
  };
  const act = async (what: string, change: string): Promise<void> => {
    try {
      render(await send<CleanupChange[]>("POST", jobUrl(id, `/cleanup/${what}`),
        { ids: [change] }));
      announce(`${what === "revert" ? "Reverted" : "Restored"}: a run makes the subtitles again`);
    } catch (err) {
      announce(`Cleanup ${what}: ${(err as Error).message}`, "error");
    }
  };
  getJson<CleanupChange[]>(jobUrl(id, "/cleanup")).then(render, () => setChildren(box));
  return box;
}
