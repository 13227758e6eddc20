// The server's API: JSON calls with the detail of an error, and the shapes the page reads.

export interface Progress { percent: number | null; transcribed_s?: number | null;
  speech_s?: number | null; duration_s?: number | null }
export interface Job { id: string; state: string; progress: Progress; error: string | null;
  export_error?: string | null; outputs: Record<string, string>; name: string;
  media_key?: string; created_at?: number; updated_at?: number }
export interface LibraryEntry { media_key: string; job_id: string | null; name: string;
  duration_s: number | null; language: string | null; model: string | null; status: string;
  error: string | null; updated_at: string | number | null }
export interface SearchHit { key: string; name: string; start_ms: number; end_ms: number;
  text: string }
export interface Segment { id: number; start_ms: number; end_ms: number; text: string }
export interface MediaInfo { duration_s: number | null; has_video: boolean;
  media_type?: string; language?: string | null; model?: string | null; name?: string }
export interface Peaks { sample_rate: number; samples_per_pixel: number; length: number;
  bits: number; channels?: number; data: number[] }
export interface Waveform { peaks: Peaks; speech_regions: { start_ms: number; end_ms: number }[] }
export interface LowWord { text: string; start_ms: number; end_ms: number; p: number }
export interface Confidence { threshold: number; low_words: LowWord[];
  mean_word_probability: number | null; word_count: number }
export interface Check { segment_id: number; rule: string; detail: string }
export interface CleanupChange { id: string; kind: string; before: string; after: string;
  start_ms: number; detail: string; state: string }
export interface Voice { provider: string; voice: string; default?: boolean;
  min_speed?: number; max_speed?: number }
export interface Narration { id: string; status: string; completed_chunks: number;
  total_chunks: number; progress: number; error: string | null;
  outputs?: Record<string, string> }
export interface TimedWord { text: string; start_ms: number; end_ms: number }
export interface NarrationTimings { duration_ms: number;
  timing_data: { timing_type: string; words: TimedWord[]; sentences: TimedWord[] } }

/** An HTTP error with the server's ``detail`` and, for 429, its Retry-After. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly retryAfterS: number | null) {
    super(message);
  }
}

/** Called on a 401 so the page can ask for the token. */
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const body: unknown = await response.json();
    const raw = (body as { detail?: unknown }).detail;
    if (typeof raw === "string") detail = raw;
    else if (Array.isArray(raw) && raw.length) {
      detail = String((raw[0] as { msg?: unknown }).msg ?? JSON.stringify(raw[0]));
    }
  } catch { /* not JSON: keep the status line */ }
  const retry = Number(response.headers.get("Retry-After"));
  if (response.status === 401 && onUnauthorized) onUnauthorized();
  return new ApiError(response.status, detail, Number.isFinite(retry) && retry > 0 ? retry : null);
}

/** A response, or an ApiError for any status >= 400. */
export async function request(method: string, url: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method, credentials: "same-origin", headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(url, init);
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** JSON of a GET. */
export async function getJson<T>(url: string): Promise<T> {
  return (await request("GET", url)).json() as Promise<T>;
}

/** JSON of a call with a JSON body. */
export async function send<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await request(method, url, body ?? {});
  const text = response.status === 204 ? "" : await response.text();
  return (text ? JSON.parse(text) : null) as T;  // 204 No Content: nothing to read
}

/** The segment list and the undo/redo depths its headers carry. */
export interface SegmentList { segments: Segment[]; undoDepth: number; redoDepth: number }

export async function segmentsOf(response: Response): Promise<SegmentList> {
  const segments = await response.json() as Segment[];
  return { segments, undoDepth: Number(response.headers.get("X-Undo-Depth") ?? 0),
    redoDepth: Number(response.headers.get("X-Redo-Depth") ?? 0) };
}

export const jobUrl = (id: string, tail = ""): string =>
  `/api/jobs/${encodeURIComponent(id)}${tail}`;
