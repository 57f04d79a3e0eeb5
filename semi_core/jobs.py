"""Background pipeline runs inside a long-lived process (the studio's server).

DuckDB allows one writing process per file, so runs started from the studio are threads
of the server process that owns the database, not separate processes. A `JobRunner`
keeps at most one run going, remembers its latest progress per stage, the newest
finished units and the newest pairs (for the live view), the text of answers still being
streamed by an LLM backend, and cancels the run on request.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
    # The newest pairs, newest first: generation id, snippet, instruction, code, inputs,
    # generation status and error, then the verdict and test tally once validated.
    pairs: list[dict[str, Any]] = field(default_factory=list)
    # Answers being written right now by a streaming backend: snippet name → text so far.
    streams: dict[str, str] = field(default_factory=dict)
    title: str | None = None  # what the run is, when it was started as something named
    backend: str | None = None


STREAM_CHARS = 4000  # keep the tail of a streamed answer: enough to follow, bounded memory


def describe_failure(error: BaseException) -> str:
    """One sentence for people: a settings problem (no endpoint, no key, no model, an
    unknown backend) is said plainly; anything else keeps its type."""
    if isinstance(error, ValueError | OSError):
        return f"The run stopped: {error}"
    return f"The run stopped with an unexpected error: {type(error).__name__}: {error}"


class JobRunner:
    """Runs one pipeline at a time in a background thread."""

    def __init__(self, store: Store, recent_items: int = 20):
        self.store = store
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._status = JobStatus(running=False, run_id=None)
        self._recent: deque[dict[str, Any]] = deque(maxlen=recent_items)
        self._pairs: OrderedDict[str, dict[str, Any]] = OrderedDict()  # newest last
        self._pair_limit = recent_items
        self._streams: dict[str, str] = {}
        self._earlier: dict[str, dict[str, Any]] = {}  # each stage's counts in earlier passes

    def _require_idle(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("a run is already in progress; cancel it or wait for it")

    def require_idle(self) -> None:
        """Raise RuntimeError, as `start` would, when a run is going: for work that
        prepares a run and must not be done when it cannot start."""
        with self._lock:
            self._require_idle()

    def start(
        self,
        settings: PipelineSettings,
        stages: Sequence[str] = ("generate", "validate", "rank"),
        paths: Sequence[str] = (),
        *,
        first_slice: int | None = None,
        title: str | None = None,
    ) -> str:
        """Start a run; raises RuntimeError when one is already going.

        With `first_slice`, the run goes in two passes, each a run of its own in the
        store: the first `first_slice` snippets through every stage, then the rest. The
        first pairs are then validated within seconds instead of after the whole
        generation; the stages' progress counts both passes."""
        with self._lock:
            self._require_idle()
            run_id = uuid.uuid4().hex[:16]
            self._stop.clear()
            self._recent.clear()
            self._pairs.clear()
            self._streams.clear()
            self._status = JobStatus(running=True, run_id=run_id, started_at=time.time(),
                                     title=title, backend=settings.backend)  # fmt: skip
            self._earlier = {}
            self._thread = threading.Thread(
                target=self._run,
                args=(self._passes(settings, tuple(stages), first_slice), tuple(paths), run_id),
                name=f"semi-run-{run_id}",
                daemon=True,
            )
            self._thread.start()
            return run_id

    @staticmethod
    def _passes(
        settings: PipelineSettings, stages: tuple[str, ...], first_slice: int | None
    ) -> list[tuple[PipelineSettings, tuple[str, ...]]]:
        """The settings and stages of each pass: one, or a first slice and the rest (read
        from the paths once, in the first)."""
        if first_slice is None or (settings.limit is not None and settings.limit <= first_slice):
            return [(settings, stages)]
        rest = None if settings.limit is None else settings.limit - first_slice
        later = tuple(stage for stage in stages if stage != "ingest")
        first = replace(settings, limit=first_slice)
        return [(first, stages), (replace(settings, limit=rest), later)]

    def _on_event(self, event: ProgressEvent) -> None:
        with self._lock:
            # A counted stage adds up its passes; an uncounted one (rank) covers every pair.
            earlier = self._earlier.get(event.stage, {}) if event.total is not None else {}
            total = event.total
            if total is not None and earlier.get("total") is not None:
                total += earlier["total"]
            self._status.stages[event.stage] = {
                "done": event.done + earlier.get("done", 0),
                "failed": event.failed + earlier.get("failed", 0),
                "total": total,
                "rate": event.rate,
                "eta_s": event.eta_s,
            }
            if event.item:
                self._recent.appendleft({"stage": event.stage, **event.item})
                self._remember_pair(event.stage, event.item)

    def _remember_pair(self, stage: str, item: dict[str, Any]) -> None:
        """Fold a finished unit into the newest-pairs view (called with the lock held)."""
        generation_id = item.get("generation_id")
        # A repair's items: an answer stored (no "passed"), or the verdict of its new code.
        repaired = stage == "repair" and "passed" in item
        if not generation_id or (stage not in ("generate", "validate") and not repaired):
            return
        pair = self._pairs.pop(generation_id, None)
        if pair is None or repaired:
            pair = pair or {"generation_id": generation_id}
            if stage != "generate":  # generated before this run's window, or repaired: read
                pair.update(self._pair_text(generation_id))
        if stage == "generate":
            self._streams.pop(item.get("snippet") or "", None)
            pair.update(snippet=item.get("snippet"), status=item.get("status"),
                        instruction=item.get("instruction"), code=item.get("code"),
                        inputs=item.get("inputs"), error=item.get("error"))  # fmt: skip
        else:
            pair.update(verdict=item.get("status"), passed=item.get("passed"),
                        usable=item.get("usable"))  # fmt: skip
        self._pairs[generation_id] = pair
        while len(self._pairs) > self._pair_limit:
            self._pairs.popitem(last=False)

    def _pair_text(self, generation_id: str) -> dict[str, Any]:
        row = self.store.pair(generation_id) or {}
        return {"snippet": row.get("name"), "instruction": row.get("instruction"),
                "code": row.get("code"), "status": row.get("status")}  # fmt: skip

    def _on_token(self, snippet: Any, piece: str) -> None:
        """A piece of an answer being streamed (the pipeline's `on_token` hook)."""
        name = getattr(snippet, "name", None) or getattr(snippet, "id", None) or str(snippet)
        with self._lock:
            text = self._streams.get(name, "") + piece
            self._streams[name] = text[-STREAM_CHARS:]

    def _run(self, passes, paths, run_id: str) -> None:
        result, error = None, None
        try:
            for number, (settings, stages) in enumerate(passes):
                if number:  # a later pass: a run of its own, its counts added to the last's
                    run_id = uuid.uuid4().hex[:16]
                    with self._lock:
                        self._status.run_id = run_id
                        self._earlier = {k: dict(v) for k, v in self._status.stages.items()}
                result = run_pipeline(
                    self.store,
                    settings,
                    stages=stages,
                    paths=paths if "ingest" in stages else (),
                    on_event=self._on_event,
                    should_stop=self._stop.is_set,
                    run_id=run_id,
                    on_token=self._on_token,  # LLM answers followed as they stream
                )
                if result.state != "done":
                    break
        except Exception as exc:  # reported in the status; the server must live on
            error = describe_failure(exc)
        with self._lock:
            self._status.running = False
            self._status.result = result
            self._status.error = error
            self._streams.clear()

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
        """A copy of the current (or last) run's state, for the live view."""
        with self._lock:
            return JobStatus(
                running=self._status.running,
                run_id=self._status.run_id,
                stages={k: dict(v) for k, v in self._status.stages.items()},
                recent=list(self._recent),
                result=self._status.result,
                error=self._status.error,
                started_at=self._status.started_at,
                pairs=[dict(pair) for pair in reversed(self._pairs.values())],
                streams=dict(self._streams),
                title=self._status.title,
                backend=self._status.backend,
            )
