// What the page knows about jobs: the list from /api/jobs kept current by the event stream,
// and the uploads of this page (which stay on top of the list, newest first).

import { ApiError, getJson, Job } from "./api";
import * as events from "./events";

export const FINISHED = new Set(["completed", "failed", "cancelled"]);

const jobs = new Map<string, Job>();
const pinned: string[] = [];
const listeners = new Set<() => void>();
let loaded = false;

export interface Upload { key: number; name: string; message: string; error: boolean;
  percent: number | null; jobId: string | null }
export const uploads: Upload[] = [];

/** Run ``f`` whenever jobs or uploads change; returns the unsubscribe function. */
export function subscribe(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

export function changed(): void {
  listeners.forEach((f) => f());
}

export function get(id: string): Job | undefined {
  return jobs.get(id);
}

/** Jobs of this page's uploads first (newest first), then the rest by last update. */
export function ordered(): Job[] {
  const top = pinned.map((id) => jobs.get(id)).filter((j): j is Job => j !== undefined);
  const rest = [...jobs.values()].filter((j) => !pinned.includes(j.id))
    .sort((a, b) => (b.updated_at ?? 0) - (a.updated_at ?? 0));
  return [...top, ...rest];
}

export function put(job: Job, pin = false): void {
  jobs.set(job.id, { ...jobs.get(job.id), ...job });
  if (pin) {
    const at = pinned.indexOf(job.id);
    if (at >= 0) pinned.splice(at, 1);
    pinned.unshift(job.id);
  }
  changed();
}

/** Fetch the whole list again (first load, and after the event stream reconnects). */
export async function refresh(): Promise<void> {
  try {
    const list = await getJson<Job[]>("/api/jobs");
    for (const job of list) jobs.set(job.id, { ...jobs.get(job.id), ...job });
    loaded = true;
    changed();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
}

export function ensureLoaded(): void {
  if (!loaded) void refresh();
}

function applyEvent(data: Record<string, unknown>): void {
  const id = typeof data.id === "string" ? data.id : null;
  if (!id) return;
  const known = jobs.get(id);
  if (!known && typeof data.name !== "string") {
    void refresh();  // a job we have not seen: read it whole
    return;
  }
  const merged = { ...known, ...data } as unknown as Job;
  if (data.progress === undefined && known) merged.progress = known.progress;
  merged.updated_at = Date.now() / 1000;
  jobs.set(id, merged);
  changed();
}

for (const type of ["job_created", "job_state", "job_progress", "job_completed", "job_failed",
  "job_cancelled"]) {
  events.on(type, applyEvent);
}
events.onReconnect(() => void refresh());
