"""Background pipeline runs inside a long-lived process (the studio's server).

DuckDB allows one writing process per file, so runs started from the studio are threads
of the server process that owns the database, not separate processes. A `JobRunner`
keeps at most one run going, remembers its latest progress per stage and the newest
finished units (for the live view), and cancels it on request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from semi_core.pipeline import PipelineSettings, ProgressEvent, RunResult, run_pipeline
from semi_core.store import Store


@dataclass
class JobStatus:
    """A snapshot of the current (or last) background run, safe to read from any thread."""

    running: bool
    run_id: str | None
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)  # newest first
    result: RunResult | None = None
    error: str | None = None
    started_at: float | None = None


class JobRunner:
    """Runs one pipeline at a time in a background thread."""

    def __init__(self, store: Store, recent_items: int = 20):
        self.store = store
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._status = JobStatus(running=False, run_id=None)
        self._recent: deque[dict[str, Any]] = deque(maxlen=recent_items)

    def start(
        self,
        settings: PipelineSettings,
        stages: Sequence[str] = ("generate", "validate", "rank"),
        paths: Sequence[str] = (),
    ) -> str:
        """Start a run; raises RuntimeError when one is already going."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("a run is already in progress; cancel it or wait for it")
            run_id = uuid.uuid4().hex[:16]
            self._stop.clear()
            self._recent.clear()
            self._status = JobStatus(running=True, run_id=run_id, started_at=time.time())
            self._thread = threading.Thread(
                target=self._run,
                args=(settings, tuple(stages), tuple(paths), run_id),
                name=f"semi-run-{run_id}",
                daemon=True,
            )
            self._thread.start()
            return run_id

    def _on_event(self, event: ProgressEvent) -> None:
        with self._lock:
            self._status.stages[event.stage] = {
                "done": event.done,
                "failed": event.failed,
                "total": event.total,
                "rate": event.rate,
                "eta_s": event.eta_s,
            }
            if event.item:
                self._recent.appendleft({"stage": event.stage, **event.item})

    def _run(self, settings: PipelineSettings, stages, paths, run_id: str) -> None:
        result, error = None, None
        try:
            result = run_pipeline(
                self.store,
                settings,
                stages=stages,
                paths=paths,
                on_event=self._on_event,
                should_stop=self._stop.is_set,
                run_id=run_id,
            )
        except Exception as exc:  # reported in the status; the server must live on
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._status.running = False
            self._status.result = result
            self._status.error = error

    def cancel(self) -> bool:
        """Ask the running job to stop after its current unit; False if none runs."""
        with self._lock:
            running = self._thread is not None and self._thread.is_alive()
        if running:
            self._stop.set()
        return running

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current run to end; True when it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def status(self) -> JobStatus:
        with self._lock:
            return JobStatus(
                running=self._status.running,
                run_id=self._status.run_id,
                stages={k: dict(v) for k, v in self._status.stages.items()},
                recent=list(self._recent),
                result=self._status.result,
                error=self._status.error,
                started_at=self._status.started_at,
            )
