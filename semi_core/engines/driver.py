"""The driver: runs a validation engine over the store.

One loop, `validate_stream`: subjects are read in bounded pages, validated in batches by
an engine ("local" worker processes, or "ray" actors on a cluster) and each batch is
recorded in one transaction by the driver alone (a crash loses at most the batches in
flight), so a store has one writer whatever the engine. `validate_pending` continues where
the last run stopped; `revalidate` makes a new validation run for chosen pairs (after an
edit or a policy change): earlier verdicts stay in the history and the newest is current.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from semi_core.engines.base import ENGINES, Item, ValidationEngine
from semi_core.sandbox import Limits, SandboxPool
from semi_core.store import Store
from semi_core.validate import VERDICT_STATUSES, ValidationResult, ValidationSettings

ResultCallback = Callable[[dict[str, Any], ValidationResult], None]
EngineChoice = str | ValidationEngine
# How often, at most, a validation run records a batch once its pairs come back fast.
BATCH_SECONDS = 1.0


def _load_engines() -> None:
    """Import the engine modules so that they register themselves (cheap: none of them
    imports its optional dependency at import time)."""
    import semi_core.engines.local  # noqa: F401
    import semi_core.engines.ray_engine  # noqa: F401


def make_engine(
    name: str,
    settings: ValidationSettings,
    limits: Limits,
    *,
    pool: SandboxPool | None = None,
    address: str | None = None,
    **options: Any,
) -> ValidationEngine:
    """The engine registered as `name`, built with `ValidationEngine.create`'s arguments."""
    _load_engines()
    try:
        engine_class = ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(f"unknown validation engine {name!r} (known: {known})") from None
    return engine_class.create(settings, limits, pool=pool, address=address, **options)


@contextmanager
def open_engine(
    engine: EngineChoice,
    settings: ValidationSettings,
    pool: SandboxPool | None = None,
    limits: Limits | None = None,
    address: str | None = None,
) -> Iterator[ValidationEngine]:
    """The engine to validate with: an open `ValidationEngine` as it is (the caller closes
    it), or one built by name for the length of the block. The local engine uses `pool`
    when given; every other pool an engine starts gets `limits` (else `pool`'s)."""
    if isinstance(engine, ValidationEngine):
        yield engine
        return
    limits = limits or (pool.limits if pool is not None else Limits())
    local_pool = pool if engine == "local" else None
    with make_engine(engine, settings, limits, pool=local_pool, address=address) as opened:
        yield opened


def validate_stream(
    store: Store,
    engine: ValidationEngine,
    run_id: str,
    pages: Iterable[list[dict[str, Any]]],
    on_result: ResultCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """The one store loop: subjects come in bounded pages, go to `engine` in batches
    (their test cases read per batch), and each batch that comes back is recorded in one
    transaction (a crash loses at most the batches in flight, which a resumed run
    validates again). Batches start at `engine.batch_size` pairs and are sized to come
    back about every `BATCH_SECONDS`, up to `engine.largest_batch`. `should_stop` is
    asked before each batch is handed out and after each is recorded. Returns
    ``{"validated_total": n, "statuses": {status: n}, "stopped": bool}``."""
    counts: Counter[str] = Counter()
    stopped = False
    size = engine.batch_size

    def batches() -> Iterator[list[Item]]:
        nonlocal stopped
        for page in pages:
            start = 0
            while start < len(page):
                if should_stop is not None and should_stop():
                    stopped = True
                    return
                chunk = page[start : start + size]
                start += len(chunk)
                cases = store.test_cases_of(chunk)
                yield [(subject, cases[subject["id"]]) for subject in chunk]

    results = engine.validate_batches(batches())
    store.bound_work_memory()  # memory that does not grow with the store
    try:
        last = time.monotonic()
        for done in results:
            store.record_validations(
                run_id, [(s["id"], r.oracle, r.test_runs, r.verdict) for s, r in done]
            )
            store.bound_work_memory()
            # A batch's store work costs about the same small or large: batches grow while
            # pairs come back fast, and stay small while slow, so the live view and a
            # cancel still hear back about every BATCH_SECONDS (docs/performance.md).
            now = time.monotonic()
            pairs_per_s = len(done) / max(now - last, 1e-3)
            size = max(engine.batch_size, min(engine.largest_batch,
                                              int(pairs_per_s * BATCH_SECONDS)))  # fmt: skip
            last = now
            for subject, result in done:
                counts[result.status] += 1
                if on_result is not None:
                    on_result(subject, result)
            if should_stop is not None and should_stop():
                stopped = True
                break
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # a generator: let it clean up now, not when collected
            close()
        store.restore_memory_limit()
    return {
        "validated_total": sum(counts.values()),
        "statuses": {status: counts.get(status, 0) for status in VERDICT_STATUSES},
        "stopped": stopped,
    }


def pending_pages(
    store: Store,
    limit: int | None = None,
    page_size: int = 200,
    first_sources: Sequence[str] = (),
) -> Iterator[list[dict[str, Any]]]:
    """Generations without a verdict, `page_size` at a time (keyset paging: a page is
    read while the previous ones may still be in flight), at most `limit` in all; those
    of snippets ingested from `first_sources` first (`Store.source_passes`)."""
    left = limit
    for which in store.source_passes(first_sources):
        after = None
        while left is None or left > 0:
            size = page_size if left is None else min(page_size, left)
            page = store.generations_to_validate(size, after, **which)
            if not page:
                break
            after = (page[-1]["created_at"], page[-1]["id"])
            if left is not None:
                left -= len(page)
            yield page


def validate_pending(
    store: Store,
    pool: SandboxPool | None,
    run_id: str,
    settings: ValidationSettings | None = None,
    limit: int | None = None,
    on_result: ResultCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    page_size: int = 200,
    *,
    engine: EngineChoice = "local",
    address: str | None = None,
    limits: Limits | None = None,
    first_sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Validate generations that have no verdict yet, at most `limit`, recording them as
    they finish; a resumed run continues with what is still pending. `engine` is "local"
    (this machine's workers: `pool`, or a pool with `limits`), "ray" (actors on the Ray
    cluster at `address`, or a local Ray instance; `limits` for each actor's pool), or an
    open `ValidationEngine`. Pairs of snippets ingested from `first_sources` come first.
    Returns ``{"validated_total": n, "statuses": {status: n},
    "stopped": bool}``."""
    settings = settings or ValidationSettings()
    with open_engine(engine, settings, pool, limits, address) as opened:
        pages = pending_pages(store, limit, page_size, first_sources)
        return validate_stream(store, opened, run_id, pages, on_result, should_stop)


def revalidate(
    store: Store,
    pool: SandboxPool | None,
    generation_ids: Sequence[str],
    run_id: str | None = None,
    settings: ValidationSettings | None = None,
    on_result: ResultCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    page_size: int = 200,
    *,
    engine: EngineChoice = "local",
    address: str | None = None,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Validate chosen generations again as a new validation run (`run_id`, a fresh one
    when None): their earlier verdicts and test runs stay in the history, and the new
    verdict becomes current. Reusing an earlier run id replaces that run's verdict. The
    rewrite's tests after its first timeout are not run (status "not_run"). `engine`,
    `address` and `limits` as for `validate_pending`."""
    run_id = run_id or uuid.uuid4().hex[:16]
    settings = dataclasses.replace(settings or ValidationSettings(), stop_at_first_timeout=True)
    ids = list(generation_ids)
    pages = (
        store.validation_subjects(ids[start : start + page_size])
        for start in range(0, len(ids), page_size)
    )
    with open_engine(engine, settings, pool, limits, address) as opened:
        counts = validate_stream(store, opened, run_id, pages, on_result, should_stop)
    return {**counts, "run_id": run_id}


def select_for_revalidation(
    store: Store,
    statuses: Sequence[str] | None = None,
    weak_tests: bool | None = None,
    max_test_strength: float | None = None,
) -> list[str]:
    """Generation ids whose *current* verdict matches the filter (all given conditions):
    a status among `statuses`, the weak-tests flag, a test strength at most the given
    value. For "revalidate every mismatch" or "every pair with weak tests"."""
    ids = []
    for verdict in store.current_verdicts(statuses):
        signals = verdict.get("signals") or {}
        if weak_tests is not None and bool(signals.get("weak_tests")) != weak_tests:
            continue
        if max_test_strength is not None:
            strength = verdict.get("test_strength")
            if strength is None or strength > max_test_strength:
                continue
        ids.append(verdict["generation_id"])
    return ids
