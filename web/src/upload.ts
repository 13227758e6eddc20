// Uploads: each file is one POST /api/jobs (multipart field "file"). A 429 carries Retry-After:
// the upload says "busy, retrying in N s" and tries again by itself; 413/415/422 show the
// server's reason. The job that comes back goes on top of the list.

import { Job } from "./api";
import * as jobs from "./jobs";

let nextKey = 1;

/** Upload each file (one request at a time per file, all files at once). */
export function uploadFiles(files: FileList | File[]): void {
  for (const file of Array.from(files)) {
    const item: jobs.Upload = { key: nextKey++, name: file.name, message: "uploading…",
      error: false, percent: 0, jobId: null };
    jobs.uploads.unshift(item);
    jobs.changed();
    void attempt(file, item);
  }
}

/** Forget an upload that ended in an error. */
export function dismiss(key: number): void {
  const at = jobs.uploads.findIndex((u) => u.key === key);
  if (at >= 0) jobs.uploads.splice(at, 1);
  jobs.changed();
}

interface Reply { status: number; body: unknown; retryAfterS: number | null }

function post(file: File, item: jobs.Upload): Promise<Reply> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.open("POST", "/api/jobs");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      item.percent = Math.round((100 * e.loaded) / e.total);
      jobs.changed();
    });
    xhr.addEventListener("load", () => {
      const retry = Number(xhr.getResponseHeader("Retry-After"));
      resolve({ status: xhr.status, body: xhr.response as unknown,
        retryAfterS: Number.isFinite(retry) && retry > 0 ? retry : null });
    });
    xhr.addEventListener("error", () => resolve({ status: 0, body: null, retryAfterS: null }));
    xhr.send(form);
  });
}

function detailOf(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return detail;
  return status ? `the server answered ${status}` : "the server could not be reached";
}

async function attempt(file: File, item: jobs.Upload): Promise<void> {
  item.message = "uploading…";
  item.error = false;
  jobs.changed();
  const reply = await post(file, item);
  if (reply.status === 200 || reply.status === 201) {
    const job = reply.body as Job;
    item.jobId = job.id;
    dismiss(item.key);
    jobs.put(job, true);
    return;
  }
  if (reply.status === 429 || reply.status === 503) {
    countdown(file, item, reply.retryAfterS ?? 5);
    return;
  }
  item.error = true;
  item.percent = null;
  item.message = reply.status === 401 ? "the server wants its token: reload the page"
    : detailOf(reply.body, reply.status);
  jobs.changed();
}

function countdown(file: File, item: jobs.Upload, seconds: number): void {
  let left = Math.ceil(seconds);
  const tick = (): void => {
    if (left <= 0) {
      void attempt(file, item);
      return;
    }
    item.message = `busy, retrying in ${left} s`;
    item.percent = null;
    jobs.changed();
    left -= 1;
    window.setTimeout(tick, 1000);
  };
  tick();
}
