// The cue list: one row per cue with its times, editable text, the profile's flags and the
// low-confidence words inside it. Rows call back into the editor for every change.

import { Check, LowWord, Segment } from "./api";
import { formatMs, h } from "./dom";

export interface CueActions {
  commit: (id: number, text: string) => void;
  split: (id: number, atChar: number) => void;
  merge: (id: number) => void;
  seek: (id: number) => void;
  select: (id: number) => void;
}

export interface CueExtras { checks: Map<number, Check[]>; low: LowWord[] }

/** The committed text of each cue, to tell an edit in progress from a field left as it was. */
export const committed = new Map<number, string>();
/** Where the caret was in each cue's text when it last moved (split uses it). */
const caret = new Map<number, number>();
/** Bumped when the list is rebuilt: a field of an older list never commits. */
let generation = 0;

/** Start a new list: fields already on the page stop committing. */
export function newGeneration(): void {
  generation += 1;
  committed.clear();
}

function rowsFor(text: string): number {
  return Math.max(1, text.split("\n").length);
}

function textField(s: Segment, index: number, actions: CueActions): HTMLTextAreaElement {
  const area = h("textarea", { "data-testid": "cue-text", rows: rowsFor(s.text),
    "aria-label": `Cue ${index + 1} text`, spellcheck: "true" });
  area.value = s.text;
  const remember = (): void => void caret.set(s.id, area.selectionStart);
  for (const type of ["keyup", "click", "select", "input"]) area.addEventListener(type, remember);
  area.addEventListener("input", () => { area.rows = rowsFor(area.value); });
  area.addEventListener("focus", () => actions.select(s.id));
  // Chrome sends a removed field's blur while the rebuilt list (after a split, merge or
  // undo) is put in: only a field of the current list commits.
  const mine = generation;
  area.addEventListener("blur", () => {
    if (mine === generation && area.isConnected) actions.commit(s.id, area.value);
  });
  area.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      actions.commit(s.id, area.value);
      actions.split(s.id, area.selectionStart);
    } else if (e.key === "Enter" && !e.shiftKey && !e.altKey) {
      e.preventDefault();  // Enter commits; Shift+Enter is a line break
      actions.commit(s.id, area.value);
    } else if (e.key === "Escape") {
      area.value = committed.get(s.id) ?? s.text;
      area.blur();
    } else if (e.key.toLowerCase() === "m" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      actions.commit(s.id, area.value);
      actions.merge(s.id);
    }
  });
  return area;
}

/** The profile's flags of one cue (null when it breaks no rule). */
export function flags(s: Segment, extras: CueExtras): HTMLElement | null {
  const found = extras.checks.get(s.id) ?? [];
  if (!found.length) return null;
  return h("ul", { class: "flags", "aria-label": "Profile checks" }, ...found.map((c) =>
    h("li", { class: "flag", title: c.detail }, h("strong", {}, c.rule), " ", c.detail)));
}

function lowWords(s: Segment, extras: CueExtras): HTMLElement | null {
  const words = extras.low.filter((w) => w.start_ms < s.end_ms && w.end_ms > s.start_ms);
  if (!words.length) return null;
  return h("p", { class: "low-words" }, "Low confidence: ", ...words.map((w) =>
    h("mark", { title: `probability ${Math.round(w.p * 100)}%` },
      `${w.text.trim()} ${Math.round(w.p * 100)}%`)));
}

/** One cue row (``cue-row``) with its text field (``cue-text``). */
export function cueRow(s: Segment, index: number, last: boolean, actions: CueActions,
                       extras: CueExtras): HTMLLIElement {
  committed.set(s.id, s.text);
  const flagged = (extras.checks.get(s.id) ?? []).length > 0;
  const row = h("li", { "data-testid": "cue-row", "data-cue-id": s.id,
    class: flagged ? "cue flagged" : "cue" },
    h("div", { class: "cue-head" },
      h("button", { type: "button", class: "cue-time", onclick: () => actions.seek(s.id),
        "aria-label": `Play from ${formatMs(s.start_ms)}` },
        `${index + 1}  ${formatMs(s.start_ms)} → ${formatMs(s.end_ms)}`),
      h("span", { class: "cue-actions" },
        h("button", { type: "button", onclick: () => actions.split(s.id, caret.get(s.id)
          ?? Math.floor(s.text.length / 2)), "aria-label": `Split cue ${index + 1} at the caret` },
        "Split"),
        last ? null : h("button", { type: "button", onclick: () => actions.merge(s.id),
          "aria-label": `Merge cue ${index + 1} with the next` }, "Merge ↓"))),
    textField(s, index, actions), flags(s, extras), lowWords(s, extras));
  row.addEventListener("click", (e) => {
    if ((e.target as HTMLElement).closest("button")) return;
    actions.seek(s.id);
  });
  return row;
}
