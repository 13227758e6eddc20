"""The completion webhook: every finished job POSTed as JSON to ``webhook_url``.

The job watcher hands each terminal job event to :meth:`CompletionWebhook.job_finished`,
which only queues it; one background thread delivers. A delivery that fails (connection
refused, timeout, 5xx, 408, 429) is tried again after 1, 2, 4 … s (capped) up to
``attempts`` times in all, and meanwhile the other deliveries go on: a receiver that is
down delays nothing else and loses nothing but its own notices once their attempts are
spent. A 4xx other than 408/429 is final (the receiver refused that body). At a stop the
thread ends within the current POST's timeout; what is still queued is dropped and logged.

The body holds what a receiver needs about the job and nothing else: never the API token,
the job's options (they may hold lyrics), settings or headers.
"""

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from media_pipeline.jobs.model import Job
from media_pipeline.library.db import Library

log = logging.getLogger(__name__)

USER_AGENT = "media_pipeline-webhook/1"
FINAL_STATES = ("completed", "failed", "cancelled")
#: Statuses worth another try: the receiver may be fine again shortly.
RETRY_STATUSES = frozenset({408, 425, 429})


def job_summary(data: dict[str, Any], source_path: str | None = None,
                language: str | None = None) -> dict[str, Any]:
    """The JSON body for a finished job, from its terminal job event (``Job.to_json()``;
    ``export`` true when the run was the re-export after an edit: reason ``edited``)."""
    created = float(data.get("created_at") or 0.0)
    finished = float(data.get("updated_at") or 0.0) or time.time()
    return {
        "event": f"job.{data.get('state')}",
        "job_id": data.get("id"),
        "reason": "edited" if data.get("export") else "processed",
        "state": data.get("state"),
        "media_key": data.get("media_key"),
        "name": data.get("name"),
        "source_path": source_path,
        "language": language,
        "outputs": dict(data.get("outputs") or {}),
        "error": data.get("error"),
        "run_id": data.get("run_id"),
        "created_at": round(created, 3) if created else None,
        "finished_at": round(finished, 3),
        "elapsed_s": round(finished - created, 3) if created else None,
    }


def library_describer(library: Callable[[], Library],
                      get_job: Callable[[str], Job | None] | None = None
                      ) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A ``describe`` for :class:`CompletionWebhook` that adds the job's source path (the
    library's record of where the file was taken from) and its language, and reads the
    outputs of a completed job again when the event had none (the run's status can lag its
    last event, and the outputs are listed only for a completed job)."""
    def describe(event: dict[str, Any]) -> dict[str, Any]:
        key, name = str(event.get("media_key") or ""), event.get("name")
        source = language = None
        try:
            found = library()
            seen = found.names(key)
            paths = [p for n, p in seen if n == name] or [p for _, p in seen]
            source = paths[-1] if paths else None
            row = found.get(key)
            language = row.language if row is not None else None
            if event.get("state") == "completed" and not event.get("outputs") and get_job:
                job = get_job(str(event.get("id")))
                if job is not None and job.run_id == event.get("run_id"):
                    event = {**event, "outputs": job.outputs}
        except Exception as exc:  # the notice goes out without them (a locked library…)
            log.warning("completion webhook: library not readable for %s (%s)", key, exc)
        return job_summary(event, source, language)
    return describe


def safe_target(url: str) -> str:
    """``url`` as it may be logged: scheme, host and port (its path or query may hold a
    receiver's secret)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    attempt: int = field(compare=False)
    event: dict[str, Any] = field(compare=False)
    body: dict[str, Any] | None = field(default=None, compare=False)


@dataclass
class CompletionWebhook:
    """Delivers finished jobs to ``url``; ``describe`` adds what the event lacks (the source
    path and language, from the library) and runs on the sender's thread."""

    url: str
    describe: Callable[[dict[str, Any]], dict[str, Any]] = job_summary
    attempts: int = 6
    first_delay_s: float = 1.0
    max_delay_s: float = 60.0
    timeout_s: float = 10.0
    capacity: int = 1000
    """Deliveries waiting at most; past it the oldest is dropped (and logged)."""
    delivered: int = 0
    given_up: int = 0
    _heap: list[_Delivery] = field(default_factory=list)
    _seq: "itertools.count[int]" = field(default_factory=itertools.count)
    _wake: threading.Condition = field(default_factory=threading.Condition)
    _stopping: bool = False
    _busy: bool = False
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sender thread (a daemon: it never holds the process up)."""
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="completion-webhook",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """End the sender; deliveries still waiting are dropped (counted in the log)."""
        with self._wake:
            self._stopping = True
            left = len(self._heap)
            self._heap.clear()
            self._wake.notify_all()
        if left:
            log.warning("completion webhook: %d notice(s) not delivered at stop", left)
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def job_finished(self, event: dict[str, Any]) -> None:
        """Queue a terminal job event (called by the job watcher; never blocks on I/O)."""
        if event.get("state") not in FINAL_STATES:
            return
        with self._wake:
            if self._stopping:
                return
            if len(self._heap) >= self.capacity:
                dropped = min(self._heap, key=lambda d: d.seq)
                self._heap.remove(dropped)
                heapq.heapify(self._heap)
                log.warning("completion webhook: queue full, dropped the notice for job %s",
                            dropped.event.get("id"))
            heapq.heappush(self._heap, _Delivery(time.monotonic(), next(self._seq), 1, event))
            self._wake.notify()

    def wait_idle(self, timeout_s: float) -> bool:
        """Whether every queued delivery ended (delivered or given up) within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._wake:
                if not self._heap and not self._busy:
                    return True
            time.sleep(0.05)
        return False

    def delay_s(self, attempt: int) -> float:
        """How long to wait after failed attempt number ``attempt`` (1, 2, 4 … capped)."""
        return float(min(self.max_delay_s, self.first_delay_s * 2 ** (attempt - 1)))

    def _next(self) -> _Delivery | None:
        with self._wake:
            while not self._stopping:
                if self._heap:
                    wait = self._heap[0].due - time.monotonic()
                    if wait <= 0:
                        self._busy = True
                        return heapq.heappop(self._heap)
                    self._wake.wait(wait)
                else:
                    self._wake.wait()
            return None

    def _loop(self) -> None:
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False,
                          headers={"User-Agent": USER_AGENT}) as client:
            while (delivery := self._next()) is not None:
                try:
                    self._attempt(client, delivery)
                except Exception:  # a bug in describe must not end the sender
                    log.exception("completion webhook: notice for job %s dropped",
                                  delivery.event.get("id"))
                finally:
                    self._busy = False

    def _attempt(self, client: httpx.Client, delivery: _Delivery) -> None:
        if delivery.body is None:
            delivery.body = self.describe(delivery.event)
        job_id = delivery.event.get("id")
        try:
            code = client.post(self.url, json=delivery.body).status_code
            reason = f"HTTP {code}"
        except httpx.HTTPError as exc:
            code, reason = None, type(exc).__name__
        if code is not None and 200 <= code < 300:
            self.delivered += 1
            return
        final = code is not None and 400 <= code < 500 and code not in RETRY_STATUSES
        if final or delivery.attempt >= self.attempts or self._stopping:
            self.given_up += 1
            log.warning("completion webhook: gave up on job %s after %d attempt(s) to %s (%s)",
                        job_id, delivery.attempt, safe_target(self.url), reason)
            return
        delivery.due = time.monotonic() + self.delay_s(delivery.attempt)
        delivery.attempt += 1
        with self._wake:
            if not self._stopping:
                heapq.heappush(self._heap, delivery)
