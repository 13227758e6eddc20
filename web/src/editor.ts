// Editor page (#/job/<id>?t=<ms>): the media with the current VTT over it, the waveform, and
// the cue list. Every change goes through the segment API, so undo/redo is the server's.

import { ApiError, Check, getJson, jobUrl, request, Segment, segmentsOf, SegmentList } from "./api";
import { committed, cueRow, CueActions, CueExtras, flags, newGeneration } from "./cues";
import { announce, h, setChildren } from "./dom";
import { WaveformView } from "./waveform";

const NUDGE_MS = 100;
const HELP = "Keys: Enter saves a cue (Shift+Enter: line break, Esc: undo typing), " +
  "Ctrl+Enter splits at the caret, Ctrl+M merges with the next; outside a text field: " +
  "Space play/pause, [ ] start −/+100 ms, { } end −/+100 ms, Ctrl+Z undo, Ctrl+Shift+Z redo.";

class Editor {
  segments: Segment[] = [];
  extras: CueExtras = { checks: new Map(), low: [] };
  selected: number | null = null;
  current: number | null = null;
  durationMs = 0;
  language: string | null = null;
  player: HTMLMediaElement | null = null;
  wave: WaveformView | null = null;
  private queue: Promise<void> = Promise.resolve();
  private trackVersion = 0;
  private readonly cleanups: (() => void)[] = [];
  readonly list = h("ol", { class: "cues", "aria-label": "Cues" });
  readonly undoButton = h("button", { type: "button", "data-testid": "undo", disabled: true,
    "aria-keyshortcuts": "Control+Z" }, "↶ Undo");
  readonly redoButton = h("button", { type: "button", "data-testid": "redo", disabled: true,
    "aria-keyshortcuts": "Control+Shift+Z" }, "↷ Redo");

  constructor(readonly root: HTMLElement, readonly id: string, readonly startMs: number | null) {
    this.undoButton.addEventListener("click", () => this.history("undo"));
    this.redoButton.addEventListener("click", () => this.history("redo"));
  }

  actions: CueActions = {
    commit: (id, text) => this.commit(id, text),
    split: (id, at) => this.mutate(`/segments/${id}/split`, { at_char: at, at_ms: null }),
    merge: (id) => this.mutate(`/segments/${id}/merge`, {}),
    seek: (id) => this.seek(id),
    select: (id) => this.select(id),
  };

  onCleanup(f: () => void): void {
    this.cleanups.push(f);
  }

  /** Set when the page moved on: answers that arrive later must not draw over it. */
  destroyed = false;

  destroy(): void {
    this.destroyed = true;
    this.cleanups.forEach((f) => f());
    this.wave?.destroy();
    this.player?.pause();
  }

  /** Run edits one after another, in the order they were made. */
  enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      announce(`Edit failed: ${(err as Error).message}`, "error");
    });
  }

  setDepths(list: Pick<SegmentList, "undoDepth" | "redoDepth">): void {
    this.undoButton.disabled = list.undoDepth <= 0;
    this.redoButton.disabled = list.redoDepth <= 0;
  }

  commit(id: number, text: string): void {
    const before = committed.get(id);
    if (before === undefined || text === before) return;
    if (!text.trim()) {
      announce("A cue needs some text: use Merge to remove one", "error");
      return;
    }
    committed.set(id, text);
    this.enqueue(async () => {
      try {
        await this.patch(id, { text });
        announce("Saved");
      } catch (err) {
        committed.set(id, before);
        throw err;
      }
    });
  }

  async patch(id: number, body: Record<string, unknown>): Promise<void> {
    const response = await request("PATCH", jobUrl(this.id, `/segments/${id}`), body);
    const segment = await response.json() as Segment;
    this.setDepths({ undoDepth: Number(response.headers.get("X-Undo-Depth") ?? 1),
      redoDepth: Number(response.headers.get("X-Redo-Depth") ?? 0) });
    const at = this.segments.findIndex((s) => s.id === id);
    if (at >= 0) this.segments[at] = segment;
    if ("start_ms" in body || "end_ms" in body) this.renderCues();
    else {
      committed.set(id, segment.text);
      this.wave?.setCues(this.segments);
    }
    this.refreshTrack();
    void this.refreshChecks();
  }

  mutate(tail: string, body: unknown): void {
    this.enqueue(async () => this.apply(await request("POST", jobUrl(this.id, tail), body)));
  }

  history(which: "undo" | "redo"): void {
    this.enqueue(async () => {
      try {
        await this.apply(await request("POST", jobUrl(this.id, `/${which}`)));
        announce(which === "undo" ? "Undone" : "Redone");
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) {
          (which === "undo" ? this.undoButton : this.redoButton).disabled = true;
          announce(`Nothing to ${which}`);
          return;
        }
        throw err;
      }
    });
  }

  async apply(response: Response): Promise<void> {
    const list = await segmentsOf(response);
    this.segments = list.segments;
    this.setDepths(list);
    this.renderCues();
    this.refreshTrack();
    void this.refreshChecks();
  }

  retime(id: number, startMs: number, endMs: number): void {
    const s = this.segments.find((x) => x.id === id);
    if (!s) return;
    const start = Math.max(0, Math.round(startMs));
    const end = Math.min(this.durationMs || Infinity, Math.round(endMs));
    if (end <= start) return;
    this.enqueue(() => this.patch(id, { start_ms: start, end_ms: end }));
  }

  nudge(edge: "start" | "end", deltaMs: number): void {
    const s = this.segments.find((x) => x.id === (this.selected ?? this.current));
    if (!s) return;
    if (edge === "start") this.retime(s.id, s.start_ms + deltaMs, s.end_ms);
    else this.retime(s.id, s.start_ms, s.end_ms + deltaMs);
  }

  renderCues(): void {
    const active = document.activeElement;
    const focusedId = active instanceof HTMLTextAreaElement
      ? Number(active.closest("[data-cue-id]")?.getAttribute("data-cue-id")) : null;
    newGeneration();
    setChildren(this.list, this.segments.map((s, i) =>
      cueRow(s, i, i === this.segments.length - 1, this.actions, this.extras)));
    this.wave?.setCues(this.segments);
    this.highlight(true);
    if (focusedId !== null) {
      this.list.querySelector<HTMLTextAreaElement>(
        `[data-cue-id="${focusedId}"] textarea`)?.focus();
    }
  }

  /** Read the profile's checks again (an edit changes them) and redraw the flags in place,
   *  leaving any field being typed in alone. */
  async refreshChecks(): Promise<void> {
    let checks: Check[];
    try {
      checks = await getJson<Check[]>(jobUrl(this.id, "/checks"));
    } catch {
      return;
    }
    this.extras.checks = new Map();
    for (const c of checks) {
      this.extras.checks.set(c.segment_id, [...(this.extras.checks.get(c.segment_id) ?? []), c]);
    }
    for (const s of this.segments) {
      const row = this.list.querySelector(`[data-cue-id="${s.id}"]`);
      if (!row) continue;
      row.querySelector(".flags")?.remove();
      const found = flags(s, this.extras);
      row.classList.toggle("flagged", found !== null);
      if (found) row.querySelector("textarea")?.after(found);
    }
  }

  refreshTrack(): void {
    const player = this.player;
    if (!player) return;
    player.querySelectorAll("track").forEach((t) => t.remove());
    this.trackVersion += 1;
    const track = h("track", { kind: "subtitles", default: true, label: "Subtitles",
      srclang: this.language,
      src: jobUrl(this.id, `/subtitles/vtt?v=${this.trackVersion}-${Date.now()}`) });
    player.append(track);
    track.addEventListener("load", () => { track.track.mode = "showing"; });
    track.track.mode = "showing";
  }

  select(id: number): void {
    this.selected = id;
    this.wave?.select(id);
    this.list.querySelectorAll(".cue.selected").forEach((e) => e.classList.remove("selected"));
    this.list.querySelector(`[data-cue-id="${id}"]`)?.classList.add("selected");
  }

  seek(id: number): void {
    const s = this.segments.find((x) => x.id === id);
    if (!s || !this.player) return;
    this.player.currentTime = s.start_ms / 1000 + 0.001;
    this.select(id);
    this.highlight(false, s.start_ms + 1);
  }

  /** Mark the cue under the playhead (``current``) and keep it in view. */
  highlight(force: boolean, atMs?: number): void {
    const t = atMs ?? (this.player ? this.player.currentTime * 1000 : 0);
    const s = this.segments.find((x) => x.start_ms <= t && t < x.end_ms)
      ?? (atMs !== undefined ? this.segments.find((x) => x.start_ms >= t) : undefined);
    const id = s?.id ?? null;
    if (id === this.current && !force) return;
    this.current = id;
    this.list.querySelectorAll(".cue.current").forEach((e) => {
      e.classList.remove("current");
      e.removeAttribute("aria-current");
    });
    if (id === null) return;
    const row = this.list.querySelector(`[data-cue-id="${id}"]`);
    row?.classList.add("current");
    row?.setAttribute("aria-current", "true");
    const typing = document.activeElement instanceof HTMLTextAreaElement;
    if (row && !typing) row.scrollIntoView({ block: "nearest" });
  }
}

function inTextField(target: EventTarget | null): boolean {
  return target instanceof HTMLTextAreaElement || target instanceof HTMLInputElement
    || target instanceof HTMLSelectElement || (target as HTMLElement | null)?.isContentEditable === true;
}

function keyboard(ed: Editor): (e: KeyboardEvent) => void {
  return (e) => {
    const ctrl = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (ctrl && (key === "z" || key === "y")) {
      const t = e.target;
      // Typing not yet saved: the browser's own undo of the text field.
      if (t instanceof HTMLTextAreaElement && t.value !== committed.get(
        Number(t.closest("[data-cue-id]")?.getAttribute("data-cue-id")))) return;
      if (inTextField(t) && !(t instanceof HTMLTextAreaElement)) return;
      e.preventDefault();
      ed.history(key === "y" || e.shiftKey ? "redo" : "undo");
      return;
    }
    if (ctrl || e.altKey || inTextField(e.target)) return;
    const nudges: Record<string, ["start" | "end", number]> = {
      "[": ["start", -NUDGE_MS], "]": ["start", NUDGE_MS],
      "{": ["end", -NUDGE_MS], "}": ["end", NUDGE_MS] };
    if (e.key in nudges) {
      e.preventDefault();
      ed.nudge(...nudges[e.key]);
    } else if (e.key === " " && !(e.target instanceof HTMLButtonElement)
      && !(e.target instanceof HTMLMediaElement)) {
      e.preventDefault();
      // A play() that a pause() overtakes rejects (AbortError): not an error of the page.
      if (ed.player?.paused) ed.player.play().catch(() => undefined);
      else ed.player?.pause();
    }
  };
}

export { Editor, HELP, keyboard };
