// Library page (#/): every media file and job, filters, search, upload and live progress.

import { ApiError, getJson, Job, LibraryEntry, request, SearchHit, jobUrl } from "./api";
import { announce, formatDuration, formatMs, formatWhen, h, setChildren } from "./dom";
import * as jobs from "./jobs";
import { dismiss, uploadFiles } from "./upload";

interface Row { id: string; name: string; state: string; duration_s: number | null;
  language: string | null; model: string | null; updated: string | number | null;
  error: string | null; percent: number | null; cancellable: boolean }

let library: LibraryEntry[] = [];

function rows(): Row[] {
  const byJob = new Map(library.map((e) => [e.job_id ?? e.media_key, e]));
  const out: Row[] = jobs.ordered().map((job) => {
    const entry = byJob.get(job.id);
    byJob.delete(job.id);
    return { id: job.id, name: job.name, state: job.state,
      duration_s: entry?.duration_s ?? job.progress?.duration_s ?? null,
      language: entry?.language ?? null, model: entry?.model ?? null,
      updated: job.updated_at ?? entry?.updated_at ?? null,
      error: job.error ?? entry?.error ?? null,
      percent: job.progress?.percent ?? null, cancellable: !jobs.FINISHED.has(job.state) };
  });
  for (const entry of byJob.values()) {
    out.push({ id: entry.job_id ?? entry.media_key, name: entry.name, state: entry.status,
      duration_s: entry.duration_s, language: entry.language, model: entry.model,
      updated: entry.updated_at, error: entry.error, percent: null, cancellable: false });
  }
  return out;
}

async function loadLibrary(): Promise<void> {
  try {
    library = await getJson<LibraryEntry[]>("/api/library");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    library = [];  // no library route (or an empty data dir): the jobs alone
  }
  jobs.changed();
}

async function cancel(id: string): Promise<void> {
  try {
    const job = await (await request("POST", jobUrl(id, "/cancel"))).json() as Job;
    jobs.put(job);
    announce(`Cancelling ${job.name}`);
  } catch (err) {
    announce(`Cancel failed: ${(err as Error).message}`, "error");
  }
}

function rowElement(row: Row): HTMLTableRowElement {
  const percent = row.percent !== null && !jobs.FINISHED.has(row.state)
    ? h("progress", { max: 100, value: row.percent, "aria-label": `${row.name} progress` })
    : null;
  return h("tr", { "data-testid": "job-row", "data-job-id": row.id, "data-state": row.state },
    h("td", { class: "name", "data-label": "File" },
      h("a", { href: `#/job/${encodeURIComponent(row.id)}`, "data-testid": "open-editor",
        "aria-label": `Open ${row.name} in the editor` }, row.name),
      row.error && row.state === "failed" ? h("div", { class: "row-error" }, row.error) : null),
    h("td", { "data-label": "Duration" }, formatDuration(row.duration_s)),
    h("td", { "data-label": "Language" }, row.language ?? "–"),
    h("td", { "data-label": "Model" }, row.model ?? "–"),
    h("td", { "data-label": "Status" },
      h("span", { class: `state state-${row.state}` }, row.state.replace(/_/g, " ")), percent),
    h("td", { "data-label": "Updated" }, formatWhen(row.updated)),
    h("td", { class: "actions" }, row.cancellable
      ? h("button", { type: "button", onclick: () => void cancel(row.id),
        "aria-label": `Cancel ${row.name}` }, "Cancel") : null));
}

function options(select: HTMLSelectElement, values: string[], label: string): void {
  const chosen = select.value;
  setChildren(select, h("option", { value: "" }, label),
    ...values.map((v) => h("option", { value: v }, v)));
  select.value = values.includes(chosen) ? chosen : "";
}

function uploadList(): HTMLElement {
  return h("ul", { class: "uploads", "aria-label": "Uploads" }, ...jobs.uploads.map((u) =>
    h("li", { class: u.error ? "upload error" : "upload" },
      h("span", { class: "upload-name" }, u.name), " ",
      h("span", { class: "upload-message", role: "status" }, u.message),
      u.percent !== null && !u.error
        ? h("progress", { max: 100, value: u.percent, "aria-label": `${u.name} upload` }) : null,
      u.error ? h("button", { type: "button", onclick: () => dismiss(u.key) }, "Dismiss") : null)));
}

async function search(q: string, out: HTMLElement): Promise<void> {
  if (!q.trim()) {
    setChildren(out);
    return;
  }
  setChildren(out, h("p", { class: "muted" }, "Searching…"));
  try {
    const hits = await getJson<SearchHit[]>(`/api/search?q=${encodeURIComponent(q)}`);
    setChildren(out, hits.length ? h("ol", { class: "hits" }, ...hits.map((hit) => h("li", {},
      h("a", { "data-testid": "search-hit",
        href: `#/job/${encodeURIComponent(hit.key)}?t=${hit.start_ms}` },
        h("span", { class: "hit-name" }, hit.name), " ",
        h("span", { class: "hit-time" }, formatMs(hit.start_ms)), " ",
        h("span", { class: "hit-text" }, hit.text)))))
      : h("p", { class: "muted" }, `No cue says “${q}”.`));
  } catch (err) {
    setChildren(out, h("p", { class: "error" }, `Search failed: ${(err as Error).message}`));
  }
}

/** Make ``wanted`` the children of ``parent``, moving only the nodes that are out of place. */
function placeChildren(parent: HTMLElement, wanted: HTMLElement[]): void {
  wanted.forEach((el, i) => {
    const at = parent.children[i];
    if (at !== el) parent.insertBefore(el, at ?? null);
  });
  while (parent.children.length > wanted.length) parent.lastElementChild?.remove();
}

/** Render the library page into ``root``; returns its cleanup. */
export function libraryPage(root: HTMLElement): () => void {
  const status = h("select", { id: "filter-status" });
  const language = h("select", { id: "filter-language" });
  const tbody = h("tbody");
  const uploadsBox = h("div");
  const hits = h("div", { class: "search-results", "aria-live": "polite" });
  const input = h("input", { type: "search", id: "search", "data-testid": "search-input",
    placeholder: "Words said in any file", autocomplete: "off" });
  const picker = h("input", { type: "file", id: "upload-input", multiple: true,
    "data-testid": "upload-input", accept: "audio/*,video/*" });
  picker.addEventListener("change", () => {
    if (picker.files?.length) uploadFiles(picker.files);
    picker.value = "";
  });
  // A row is rebuilt only when what it shows changed, and the table is left alone when no row
  // did: events arrive all the time, and a row replaced between a press and its release
  // swallows the click (the user's, or a test's).
  const built = new Map<string, { shows: string; row: HTMLElement }>();
  let tableShows: string | null = null;
  const render = (): void => {
    const all = rows();
    options(status, [...new Set(all.map((r) => r.state))].sort(), "Any status");
    options(language, [...new Set(all.map((r) => r.language).filter((l): l is string => !!l))]
      .sort(), "Any language");
    const shown = all.filter((r) => (!status.value || r.state === status.value)
      && (!language.value || r.language === language.value));
    const shows = shown.map((r) => JSON.stringify(r));
    const whole = `${all.length}\n${shows.join("\n")}`;
    if (whole !== tableShows) {
      tableShows = whole;
      // Keep the keyboard's place when rows are rebuilt.
      const active = document.activeElement;
      const focusedRow = tbody.contains(active)
        ? active?.closest("[data-job-id]")?.getAttribute("data-job-id") : null;
      const focusedTag = active?.tagName.toLowerCase() ?? "";
      placeChildren(tbody, shown.length ? shown.map((r, i) => {
        const kept = built.get(r.id);
        if (kept && kept.shows === shows[i]) return kept.row;
        const row = rowElement(r);
        built.set(r.id, { shows: shows[i], row });
        return row;
      }) : [h("tr", {}, h("td", { colspan: 7, class: "muted" },
        all.length ? "No file matches the filters." : "No media yet: add some above."))]);
      if (focusedRow && !tbody.contains(active)) {
        [...tbody.querySelectorAll<HTMLElement>(`tr[data-job-id] ${focusedTag}`)]
          .find((e) => e.closest("tr")?.dataset.jobId === focusedRow)?.focus();
      }
    }
    setChildren(uploadsBox, jobs.uploads.length ? uploadList() : null);
  };
  status.addEventListener("change", render);
  language.addEventListener("change", render);
  setChildren(root,
    h("section", { class: "toolbar", "aria-label": "Add and find" },
      h("div", { class: "upload-box" },
        h("label", { for: "upload-input", class: "button" }, "Add media files…"), picker,
        h("span", { class: "muted" }, " or drop them anywhere on the page")),
      h("form", { class: "search", role: "search", onsubmit: (e: Event) => {
        e.preventDefault();
        void search(input.value, hits);
      } }, h("label", { for: "search" }, "Search subtitles"), input,
      h("button", { type: "submit" }, "Search"))),
    hits, uploadsBox,
    h("section", { "aria-label": "Library" },
      h("div", { class: "filters" },
        h("label", { for: "filter-status" }, "Status"), status,
        h("label", { for: "filter-language" }, "Language"), language),
      h("table", { class: "jobs" },
        h("thead", {}, h("tr", {}, ...["File", "Duration", "Language", "Model", "Status",
          "Updated", ""].map((t) => h("th", { scope: "col" }, t)))), tbody)));
  const stop = jobs.subscribe(render);
  render();
  void jobs.refresh();
  void loadLibrary();
  const stopDone = subscribeCompletions();
  return () => {
    stop();
    stopDone();
  };
}

/** A job that finished changes the library (duration, language, model): read it again. */
function subscribeCompletions(): () => void {
  let last: string | null = null;
  return jobs.subscribe(() => {
    const done = jobs.ordered().filter((j) => jobs.FINISHED.has(j.state)).map((j) => j.id)
      .sort().join();
    if (done === last) return;
    const first = last === null;
    last = done;
    if (!first) void loadLibrary();
  });
}
