"""The local engine, the default: this machine's sandbox workers.

Validating one pair is a chain of sandbox batches (the oracle twice, the rewrite, then
mutants one after another), and `SandboxPool.run_many` holds its pool for a whole batch,
so one pool shared by all pairs leaves its other workers idle for most of a pair. The
engine therefore runs `workers` *single-worker* pools (each with its own mutant pool),
and a driver thread per pool takes pairs in turn: every worker stays busy. The threads
mostly wait on their worker's pipe; validation itself is pure, so which pool ran a pair
does not change its result, and each batch comes back in input order.

A caller's pool (`pool=`) with one worker is used as it is, one pair at a time. A
caller's pool with more workers gives only its limits: the engine starts its own
single-worker pools with them and leaves the caller's pool untouched (idle). Pools start
on first use and free pools are reused last-in first-out, so a run of one pair starts one
pool, not `workers` of them.
"""

from __future__ import annotations

import dataclasses
import queue
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from semi_core.engines.base import Item, ValidationEngine, register
from semi_core.sandbox import Limits, SandboxPool
from semi_core.validate import (
    ValidationResult,
    ValidationSettings,
    mutant_pool_for,
    validate_generation,
)

# (pool, mutant pool): what one driver thread validates a pair with.
_Slot = tuple[SandboxPool, "SandboxPool | None"]
_Done = list[tuple[dict[str, Any], ValidationResult]]


@register
class LocalEngine(ValidationEngine):
    name = "local"
    # A run's first batches are small, so its first pairs show at once; later ones grow
    # with the pace (`validate_stream`). At least two pairs per pool, and two batches in
    # flight, so no pool waits at a batch's end.
    batch_size = 4
    in_flight = 2

    def __init__(
        self,
        settings: ValidationSettings,
        limits: Limits,
        pool: SandboxPool | None = None,
        batch_size: int | None = None,
        pools: int | None = None,
    ) -> None:
        """`pools`: how many single-worker pools to run (default: the workers of `pool`'s
        limits, else of `limits`)."""
        self.settings = settings
        self._resources = ExitStack()
        base = pool.limits if pool is not None else limits
        count = max(1, pools if pools is not None else base.workers)
        self._slots: queue.LifoQueue[_Slot] = queue.LifoQueue()
        if pool is not None and pool.limits.workers == 1 and count == 1:
            # the caller's own pool, as it is (it closes it)
            self._add_slot(pool)
        else:
            single = dataclasses.replace(base, workers=1)
            for _ in range(count):
                self._add_slot(self._resources.enter_context(SandboxPool(single)))
        self.pools = count
        self._size_batches(batch_size, max(self.batch_size, 2 * count))
        self._threads = (
            self._resources.enter_context(
                ThreadPoolExecutor(max_workers=count, thread_name_prefix="validate")
            )
            if count > 1
            else None
        )

    def _add_slot(self, pool: SandboxPool) -> None:
        mutant_pool = self._resources.enter_context(mutant_pool_for(pool, self.settings))
        self._slots.put((pool, mutant_pool))

    @classmethod
    def create(
        cls,
        settings: ValidationSettings,
        limits: Limits,
        *,
        pool: SandboxPool | None = None,
        address: str | None = None,
        **options: Any,
    ) -> LocalEngine:
        return cls(settings, limits, pool, **options)  # an address means nothing here

    def _validate(self, item: Item) -> ValidationResult:
        """One pair on whichever pool is free (there is one per driver thread, so one
        always is)."""
        subject, cases = item
        pool, mutant_pool = self._slots.get()
        try:
            return validate_generation(subject, cases, pool, self.settings, mutant_pool)
        finally:
            self._slots.put((pool, mutant_pool))

    def validate_batches(self, batches: Iterable[list[Item]]) -> Iterator[_Done]:
        if self._threads is None:  # one pool: one pair at a time, no thread needed
            for batch in batches:
                yield [(subject, self._validate((subject, cases))) for subject, cases in batch]
            return
        threads = self._threads
        source = iter(batches)
        queued: deque[list[tuple[dict[str, Any], Future[ValidationResult]]]] = deque()
        try:
            while True:
                # keep `in_flight` batches submitted: the pools never wait for the driver
                while len(queued) < self.in_flight:
                    batch = next(source, None)
                    if batch is None:
                        break
                    queued.append([(item[0], threads.submit(self._validate, item))
                                   for item in batch])  # fmt: skip
                if not queued:
                    return
                # in input order: the store records the same batches in the same order
                yield [(subject, future.result()) for subject, future in queued.popleft()]
        finally:
            # Stopped early (or a pair failed): pairs not started are dropped; those
            # running finish before the pools may close (a pair is seconds at most).
            for batch in queued:
                for _subject, future in batch:
                    future.cancel()
            for batch in queued:
                for _subject, future in batch:
                    if not future.cancelled():
                        future.exception()  # waits; a failure here is already moot

    def close(self) -> None:
        self._resources.close()
