// One EventSource on /api/events for the whole page. The browser reconnects by itself with
// Last-Event-ID and the server's `retry:` delay; when it gives up (the stream closed with an
// error status) we open a new one from the last id we saw (?since=). After any reconnect the
// listeners of "reconnect" refetch what they show, since events may have been dropped.

type Handler = (data: Record<string, unknown>) => void;

const TYPES = ["job_created", "job_state", "job_progress", "job_completed", "job_failed",
  "job_cancelled", "narration_progress", "narration_completed", "narration_failed"];
const FALLBACK_RETRY_MS = 2000;

const handlers = new Map<string, Set<Handler>>();
const reconnectHandlers = new Set<() => void>();
let source: EventSource | null = null;
let lastId = "";
let hadError = false;

/** Listen to one event type; returns the function that stops listening. */
export function on(type: string, handler: Handler): () => void {
  connect();
  const set = handlers.get(type) ?? new Set<Handler>();
  set.add(handler);
  handlers.set(type, set);
  return () => set.delete(handler);
}

/** Called after the stream came back from a break. */
export function onReconnect(handler: () => void): () => void {
  connect();
  reconnectHandlers.add(handler);
  return () => reconnectHandlers.delete(handler);
}

function connect(): void {
  if (source) return;
  const url = lastId ? `/api/events?since=${encodeURIComponent(lastId)}` : "/api/events";
  const es = new EventSource(url, { withCredentials: true });
  source = es;
  es.addEventListener("open", () => {
    if (hadError) reconnectHandlers.forEach((f) => f());
    hadError = false;
  });
  es.addEventListener("error", () => {
    hadError = true;
    if (es.readyState === EventSource.CLOSED) {
      source = null;
      window.setTimeout(connect, FALLBACK_RETRY_MS);
    }
  });
  for (const type of TYPES) {
    es.addEventListener(type, (event) => dispatch(type, event as MessageEvent<string>));
  }
}

function dispatch(type: string, event: MessageEvent<string>): void {
  if (event.lastEventId) lastId = event.lastEventId;
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(event.data) as Record<string, unknown>;
  } catch {
    return;
  }
  handlers.get(type)?.forEach((f) => f(data));
  handlers.get("*")?.forEach((f) => f({ ...data, _type: type }));
}
