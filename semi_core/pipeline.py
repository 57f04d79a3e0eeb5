"""Runs the stages of Semi-Instruct over the store: ingest → generate → validate →
repair → rank.

- **Resumable.** Every unit of work (one generation with its inputs, one validation with
  its test runs and verdict) is committed in one transaction, and each stage asks the
  store for the work that is not done yet. A run killed at any moment — even with
  SIGKILL — loses at most the units in flight, and the next run picks up exactly there:
  ids are content hashes, so nothing is stored twice.
- **Cancellable.** `should_stop()` is checked between units (between batches of a few
  pairs in validation); a cancelled run ends cleanly with state `cancelled`.
- **Bounded memory.** Stages stream: validation reads pending pairs a page at a time and
  hands them to its engine (`semi_core.engines`: local workers, or Ray actors past one
  machine) in batches, recording each batch as it comes back.
- **Observable.** `on_event(ProgressEvent)` is called after each unit with the stage's
  counts, rate and time left; the CLI draws a progress bar from it, the studio a live
  panel. Each run is recorded in the store with its parameters, progress and counts.
- **Repair.** With a backend that repairs (`Backend.repairs`), a run that generates sends
  pairs whose verdict is `mismatch` or `generated_error` back to the model, up to
  `repair_attempts` times each (see `semi_core.repair`), after validation; its counts
  then hold the yield with and without repair (`yield`).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from semi_core.generate.base import BACKENDS, Backend, Generation, SnippetView, TestInput
from semi_core.sandbox import Limits, SandboxPool
from semi_core.store import Store, content_id

if TYPE_CHECKING:
    from semi_core.validate import ValidationSettings

STAGES = ("ingest", "generate", "validate", "rank")  # repair follows validate: not chosen
BOUND_MEMORY_EVERY = 200  # generations between renewals of the bound on DuckDB's memory


def _load_backends() -> None:
    """Import the backend modules so that they register themselves."""
    import semi_core.generate.offline  # noqa: F401
    import semi_core.generate.simulated  # noqa: F401

    try:
        import semi_core.generate.openai_backend  # noqa: F401
    except ImportError:  # optional: the openai package may be absent in a slim install
        pass


def backend_names() -> list[str]:
    """The registered backends, in the order they register (offline first): what a user
    may choose from."""
    _load_backends()
    return list(BACKENDS)


@dataclass
class PipelineSettings:
    """Everything a run needs; recorded with the run."""

    backend: str = "offline"
    model: str | None = None
    base_url: str | None = None
    concurrency: int = 4
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 4
    temperature: float = 0.2
    prompt_template: str | None = None  # path of an edited template; None: the packaged one
    inputs_per_pair: int = 10
    limit: int | None = None  # at most this many snippets generated (and pairs validated)
    min_usable_tests: int = 3
    test_strength: bool = True
    mutant_budget: int = 20
    timeout_s: float = 2.0
    memory_mb: int = 512
    workers: int = 2  # sandbox workers (per Ray actor with the ray engine)
    seed: int = 0
    mistake_rate: float = 0.3  # share of snippets the simulated backend puts a mistake in
    engine: str = "local"  # where validation runs: "local" workers or "ray" actors
    ray_address: str | None = None  # a Ray cluster (None: start a local Ray instance)
    # Times a failing pair may go back to the model. None: the backend's default, 1 for
    # a backend that repairs (an LLM), else 0.
    repair_attempts: int | None = None

    def repair_rounds(self, backend: type[Backend] | Backend) -> int:
        """The repair attempts this run makes with `backend` (see `repair_attempts`)."""
        if self.repair_attempts is None:
            return 1 if backend.repairs else 0
        if self.repair_attempts < 0:
            raise ValueError(f"repair attempts must be 0 or more, not {self.repair_attempts}")
        if self.repair_attempts and not backend.repairs:
            raise ValueError(
                f"the {backend.name} backend does not repair pairs: repair attempts need "
                "an LLM backend (openai), or 0"
            )
        return self.repair_attempts

    def limits(self) -> Limits:
        return Limits(timeout_s=self.timeout_s, memory_mb=self.memory_mb, workers=self.workers)

    def validation(self) -> ValidationSettings:
        """The validation settings of this run: every ValidationSettings field that is also
        one of these (same name, same meaning), the rest at their defaults."""
        from semi_core.validate import ValidationSettings

        shared = {f.name for f in fields(ValidationSettings)} & {f.name for f in fields(self)}
        return ValidationSettings(**{name: getattr(self, name) for name in shared})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ProgressEvent:
    """One step of a run, for progress bars and live views."""

    run_id: str
    stage: str
    done: int
    failed: int
    total: int | None
    elapsed_s: float
    item: dict[str, Any] | None = None  # the unit just finished, for live views

    @property
    def rate(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        if self.total is None or not self.rate:
            return None
        return max(self.total - self.done, 0) / self.rate


@dataclass
class RunResult:
    run_id: str
    state: str  # done | cancelled | failed
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


EventCallback = Callable[[ProgressEvent], None]
StopCheck = Callable[[], bool]
TokenCallback = Callable[[SnippetView, str], None]  # a piece of a streamed LLM answer


class Cancelled(Exception):
    """Raised inside a run when `should_stop()` says so."""


class _Stage:
    """Counts and timing of one stage; emits events."""

    def __init__(self, run_id: str, name: str, total: int | None, on_event: EventCallback | None):
        self.run_id, self.name, self.total = run_id, name, total
        self.done = self.failed = 0
        self.started = time.perf_counter()
        self.on_event = on_event
        self.emit()

    def step(self, ok: bool, item: dict[str, Any] | None = None) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        self.emit(item)

    def emit(self, item: dict[str, Any] | None = None) -> None:
        if self.on_event:
            elapsed = time.perf_counter() - self.started
            self.on_event(
                ProgressEvent(self.run_id, self.name, self.done, self.failed, self.total,
                              elapsed, item)
            )  # fmt: skip

    def counts(self) -> dict[str, Any]:
        seconds = round(time.perf_counter() - self.started, 3)
        return {"done": self.done, "failed": self.failed, "seconds": seconds}


def repair_rounds(settings: PipelineSettings) -> int:
    """The repair attempts a run that generates makes with these settings; ValueError
    when they ask a backend that does not repair for some."""
    _load_backends()
    backend = BACKENDS.get(settings.backend)
    return 0 if backend is None else settings.repair_rounds(backend)


def make_backend(settings: PipelineSettings, pool: SandboxPool, store: Store) -> Backend:
    _load_backends()
    try:
        backend_class = BACKENDS[settings.backend]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"unknown backend {settings.backend!r} (known: {known})") from None
    return backend_class.from_settings(settings, pool=pool, store=store)


def generation_row(backend: Backend, snippet: SnippetView, result: Generation) -> dict[str, Any]:
    return {
        "id": content_id(snippet.id, backend.name, backend.model or "", backend.prompt_hash),
        "snippet_id": snippet.id,
        "backend": backend.name,
        "model": backend.model,
        "prompt_hash": backend.prompt_hash,
        "instruction": result.instruction,
        "code": result.code,
        "entry_point": result.entry_point,
        "raw_response": result.raw_response,
        "usage": result.usage,
        "status": result.status,
        "error": result.error,
        "mistake": result.mistake,
    }


def _with_synthesized_inputs(
    snippet: SnippetView,
    result: Generation,
    pool: SandboxPool,
    settings: PipelineSettings,
    short_pool: SandboxPool | None = None,
) -> list[TestInput]:
    """The pair's test inputs. An LLM's inputs (origin "llm", or none at all) are the
    seeds of input selection (`semi_core.inputs.selection.choose_inputs`): they are chosen
    with the other candidates by the mutants they kill and keep their origin when chosen.
    A backend that chose its own inputs is completed by synthesis up to the wanted count.
    `short_pool` runs the mutants (one is started for the call when not given)."""
    if result.status != "ok":
        return result.inputs
    from semi_core.inputs import synthesize_inputs
    from semi_core.inputs.selection import choose_inputs, short_limits

    seeds = list(result.inputs)
    if not seeds or any(i.origin == "llm" for i in seeds):
        own = short_pool is None
        short_pool = short_pool or SandboxPool(short_limits(pool.limits))
        try:
            return choose_inputs(snippet.code, snippet.entry_point, snippet.kind, pool=pool,
                                 short_pool=short_pool, limit=settings.inputs_per_pair,
                                 seed=settings.seed, seeds=seeds)  # fmt: skip
        finally:
            if own:
                short_pool.close()
    if len(seeds) >= settings.inputs_per_pair:
        return seeds
    extra = synthesize_inputs(snippet.code, snippet.entry_point, snippet.kind, pool=pool,
                              seeds=seeds, limit=settings.inputs_per_pair,
                              seed=settings.seed)  # fmt: skip
    seen = {i.text for i in seeds}
    return seeds + [i for i in extra if i.text not in seen]


def generate_stage(
    store: Store,
    backend: Backend,
    pool: SandboxPool,
    settings: PipelineSettings,
    stage: Callable[[str, int | None], _Stage],
    should_stop: StopCheck,
    on_token: TokenCallback | None = None,
    first_sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Generate pairs for pending snippets, those ingested from `first_sources` first: a
    run given paths works on what it just read before the limit is spent elsewhere."""
    key = (backend.name, backend.model, backend.prompt_hash)
    total = store.count_snippets_to_generate(*key)
    progress = stage("generate", total if settings.limit is None else min(total, settings.limit))
    left = [settings.limit]

    def pending(page_size: int, **which: Any) -> Iterator[SnippetView]:
        """Pending snippets, a page at a time (keyset: pages stay right while earlier
        snippets are still in flight), so memory does not grow with the corpus."""
        after = None
        while left[0] is None or left[0] > 0:
            size = page_size if left[0] is None else min(page_size, left[0])
            page = store.snippets_to_generate(*key, size, after, **which)
            if not page:
                return
            after = (page[-1]["path"], page[-1]["order_line"], page[-1]["id"])
            if left[0] is not None:
                left[0] -= len(page)
            yield from (SnippetView.from_row(row) for row in page)

    def snippets(page_size: int = 200) -> Iterator[SnippetView]:
        for which in store.source_passes(first_sources):
            yield from pending(page_size, **which)

    concurrency = settings.concurrency if backend.name != "offline" else 1
    # DuckDB's cache of what the stage writes stays near Store.WORK_CACHE_MB however long
    # it runs; the bound is renewed now and then, as what DuckDB cannot evict may grow.
    store.bound_work_memory()
    from semi_core.inputs.selection import short_limits

    short_pool = SandboxPool(short_limits(pool.limits))  # starts on first use
    try:
        answers = backend.generate_many(snippets(), concurrency, on_token)
        for done, (snippet, result) in enumerate(answers, 1):
            inputs = _with_synthesized_inputs(snippet, result, pool, settings, short_pool)
            row = generation_row(backend, snippet, result)
            store.add_generation(row, [(i.text, i.origin) for i in inputs])
            item = {"generation_id": row["id"], "snippet": snippet.name,
                    "status": result.status, "instruction": result.instruction,
                    "code": result.code, "inputs": len(inputs), "error": result.error,
                    "cached": result.cached}  # fmt: skip
            progress.step(result.status == "ok", item)
            if done % BOUND_MEMORY_EVERY == 0:
                store.bound_work_memory()
            if should_stop():
                raise Cancelled
    finally:
        short_pool.close()
        store.restore_memory_limit()
    return progress.counts()


def validate_stage(
    store: Store,
    pool: SandboxPool | None,
    run_id: str,
    settings: PipelineSettings,
    stage: Callable[[str, int | None], _Stage],
    should_stop: StopCheck,
    generation_ids: Sequence[str] | None = None,
    first_sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Validate pending pairs (or revalidate `generation_ids`) with the settings' engine,
    streaming: pages of pairs are read as the engine asks for them, never all at once.
    Pending pairs of snippets ingested from `first_sources` come first."""
    from semi_core.engines import revalidate, validate_pending
    from semi_core.validate import verdict_item

    if generation_ids is not None:
        total = len(generation_ids)
    else:
        total = store.count_generations_to_validate()
        total = total if settings.limit is None else min(total, settings.limit)
    progress = stage("validate", total)

    def on_result(subject: dict[str, Any], result: Any) -> None:
        progress.step(result.verdict["status"] == "validated", verdict_item(subject, result))

    options: dict[str, Any] = dict(
        on_result=on_result, should_stop=should_stop, engine=settings.engine,
        address=settings.ray_address, limits=settings.limits(),
    )  # fmt: skip
    if generation_ids is not None:
        counts = revalidate(store, pool, generation_ids, run_id, settings.validation(), **options)
    else:
        counts = validate_pending(
            store, pool, run_id, settings.validation(), settings.limit,
            first_sources=first_sources, **options,
        )  # fmt: skip
    if counts["stopped"]:
        raise Cancelled
    statuses = {status: n for status, n in counts["statuses"].items() if n}
    return {**progress.counts(), "statuses": statuses}


def repair_stage(
    store: Store,
    backend: Backend,
    pool: SandboxPool | None,
    run_id: str,
    settings: PipelineSettings,
    stage: Callable[[str, int | None], _Stage],
    should_stop: StopCheck,
) -> dict[str, Any]:
    """Send failing pairs back to the model (`semi_core.repair.repair_pairs`) and validate
    the answers with the settings' engine, one progress step per answer."""
    from semi_core.engines import open_engine
    from semi_core.repair import has_work, repair_pairs

    progress = stage("repair", None)
    rounds = settings.repair_rounds(backend)
    if not has_work(store, backend, rounds):
        return {**progress.counts(), "requests": 0, "repaired": 0, "ids": []}
    validation = settings.validation()
    with open_engine(settings.engine, validation, pool, settings.limits(),
                     settings.ray_address) as engine:  # fmt: skip
        counts = repair_pairs(
            store, backend, engine, run_id, rounds,
            concurrency=settings.concurrency, limit=settings.limit,
            on_answer=progress.step, on_validated=progress.emit, should_stop=should_stop,
        )  # fmt: skip
    if counts.pop("stopped"):
        raise Cancelled
    return {**progress.counts(), **counts}


def run_yield(counts: dict[str, Any]) -> dict[str, int]:
    """A run's yield: pairs validated at their first attempt (this run's validation),
    pairs a repair turned validated, and the two together."""
    first = ((counts.get("validate") or {}).get("statuses") or {}).get("validated", 0)
    repaired = (counts.get("repair") or {}).get("repaired", 0)
    return {"first_attempt": first, "repaired": repaired, "after_repair": first + repaired}


def rank_stage(
    store: Store,
    stage: Callable[[str, int | None], _Stage],
    generation_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    from semi_core.rank import rank_all

    progress = stage("rank", None if generation_ids is None else len(generation_ids))
    ranked = rank_all(store, generation_ids=generation_ids)
    progress.done = ranked.get("ranked", 0) if isinstance(ranked, dict) else int(ranked)
    progress.emit()
    return {**progress.counts(), **(ranked if isinstance(ranked, dict) else {})}


def mark_interrupted_runs(store: Store) -> int:
    """Runs still marked running whose process is gone were killed: say so."""
    count = 0
    for run in store.running_runs():
        if run["pid"] == os.getpid() or _process_alive(run["pid"]):
            continue
        store.finish_run(run["id"], "interrupted", run.get("counts") or {})
        count += 1
    return count


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_pipeline(
    store: Store,
    settings: PipelineSettings | None = None,
    *,
    stages: Sequence[str] = ("generate", "validate", "rank"),
    paths: Sequence[str] = (),
    generation_ids: Sequence[str] | None = None,
    on_event: EventCallback | None = None,
    should_stop: StopCheck | None = None,
    pool: SandboxPool | None = None,
    run_id: str | None = None,
    on_token: TokenCallback | None = None,
) -> RunResult:
    """Run the chosen stages; see the module docstring. `generation_ids` limits the
    validate stage to those pairs and revalidates them (a new validation run), then
    ranks them (every pair, with "rank" among the stages)."""
    settings = settings or PipelineSettings()
    should_stop = should_stop or (lambda: False)
    unknown = set(stages) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; choose from {', '.join(STAGES)}")
    rounds = repair_rounds(settings) if "generate" in stages else 0  # refused now, not later
    run_id = run_id or uuid.uuid4().hex[:16]
    mark_interrupted_runs(store)
    kind = stages[0] if len(stages) == 1 else "pipeline"
    store.start_run(run_id, kind, {**settings.to_dict(), "stages": list(stages),
                                   "paths": list(paths)})  # fmt: skip
    started = time.perf_counter()
    counts: dict[str, Any] = {}

    last_saved = [0.0]
    begun: dict[str, _Stage] = {}  # each stage once started: its counts survive a cancel

    def stage(name: str, total: int | None) -> _Stage:
        def emit(event: ProgressEvent) -> None:
            now = time.monotonic()
            if now - last_saved[0] > 1.0 or event.done == event.total:  # throttled writes
                last_saved[0] = now
                progress = {"stage": event.stage, "done": event.done, "failed": event.failed,
                            "total": event.total}  # fmt: skip
                store.update_run_progress(run_id, progress)
            if on_event:
                on_event(event)

        begun[name] = _Stage(run_id, name, total, emit)
        return begun[name]

    own_pool = pool is None
    backend: Backend | None = None
    state = "done"
    ingested: list[str] = []  # the sources just read: the generate stage starts with them
    try:
        if "ingest" in stages and paths:
            from semi_core.sources import ingest, source_name

            counts["ingest"] = ingest(store, paths).summary()
            ingested = [source_name(path) for path in paths]
        # a remote engine brings its own pools: validation alone needs none here
        needs_pool = "generate" in stages or ("validate" in stages and settings.engine == "local")
        if needs_pool and own_pool:
            pool = SandboxPool(settings.limits())
        if "generate" in stages:
            backend = make_backend(settings, pool, store)
            if backend.model != settings.model:  # the endpoint's first model, when none was named
                store.update_run_params(run_id, {"model": backend.model})
            counts["generate"] = generate_stage(
                store, backend, pool, settings, stage, should_stop, on_token, ingested
            )
        if "validate" in stages:
            counts["validate"] = validate_stage(
                store, pool, run_id, settings, stage, should_stop, generation_ids, ingested
            )
        repaired: list[str] = []
        if backend is not None and rounds:
            counts["repair"] = repair_stage(store, backend, pool, run_id, settings, stage,
                                            should_stop)  # fmt: skip
            repaired = counts["repair"].pop("ids")
            counts["yield"] = run_yield(counts)
        if "rank" in stages:
            counts["rank"] = rank_stage(store, stage)
        elif "validate" in stages and generation_ids is not None:
            # A revalidated pair gets a new verdict: ranked at once, it keeps its difficulty
            # and its place in the curriculum (a pair without one drops out of both).
            counts["rank"] = rank_stage(store, stage, generation_ids)
        elif repaired:  # the same for pairs a repair validated again
            counts["rank"] = rank_stage(store, stage, repaired)
    except (Cancelled, KeyboardInterrupt):
        state = "cancelled"
        for name, progress in begun.items():  # what the stopped stage had done
            counts.setdefault(name, progress.counts())
    except BaseException as error:
        counts["error"] = f"{type(error).__name__}: {error}"
        store.finish_run(run_id, "failed", counts)
        raise
    finally:
        if backend is not None:
            backend.close()
        if own_pool and pool is not None:
            pool.close()
    store.finish_run(run_id, state, counts)
    return RunResult(run_id, state, counts, round(time.perf_counter() - started, 3))
