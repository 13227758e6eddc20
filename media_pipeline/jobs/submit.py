"""Submitting runs to the instance's queue (the daemon launches them).

A run must carry the code location it comes from, which only a process that has loaded the
workspace can attach; the Dagster webserver has, so runs are submitted through its public
GraphQL client. The queued run coordinator then applies ``max_concurrent_runs`` and pools.
"""

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from media_pipeline.errors import MediaPipelineError
from media_pipeline.jobs.processes import LOCATION_NAME, REPOSITORY_NAME


class SubmitError(MediaPipelineError):
    """The run could not be submitted (the Dagster webserver is down or refused it)."""


class RunSubmitter(Protocol):
    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        """Queue a run of ``job_name``; returns its run id."""
        ...


@dataclass
class GraphQLSubmitter:
    """Submits through the Dagster webserver at ``host:port``."""

    host: str
    port: int
    location_name: str = LOCATION_NAME
    repository_name: str = REPOSITORY_NAME
    timeout_s: int = 60
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, job_name: str, *, tags: Mapping[str, str],
               run_config: Mapping[str, Any] | None = None,
               asset_selection: Sequence[str] | None = None) -> str:
        from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

        with self._lock:  # the client's transport is not meant for concurrent use
            try:
                client = DagsterGraphQLClient(self.host, port_number=self.port,
                                              timeout=self.timeout_s)
                run_id: str = client.submit_job_execution(
                    job_name, repository_location_name=self.location_name,
                    repository_name=self.repository_name, run_config=dict(run_config or {}),
                    tags=dict(tags), asset_selection=list(asset_selection or []) or None)
            except DagsterGraphQLClientError as exc:
                raise SubmitError(f"the run could not be queued ({_short(exc)})") from exc
            except Exception as exc:  # connection errors from requests/gql
                raise SubmitError("the Dagster webserver is not reachable") from exc
        return run_id


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
