"""The local engine: this machine's sandbox pool (and a second pool with a short timeout
for mutants), one batch at a time. What validation always did, and the default."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


@register
class LocalEngine(ValidationEngine):
    name = "local"
    batch_size = 4  # small: the studio's live view and cancel see every few pairs

    def __init__(
        self,
        settings: ValidationSettings,
        limits: Limits,
        pool: SandboxPool | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.settings = settings
        self.batch_size = batch_size or self.batch_size
        self._resources = ExitStack()
        if pool is None:  # our own pool, closed with the engine
            pool = self._resources.enter_context(SandboxPool(limits))
        self.pool = pool
        self.mutant_pool = self._resources.enter_context(mutant_pool_for(pool, settings))

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

    def validate_batches(
        self, batches: Iterable[list[Item]]
    ) -> Iterator[list[tuple[dict[str, Any], ValidationResult]]]:
        for batch in batches:
            yield [
                (subject, validate_generation(subject, cases, self.pool, self.settings,
                                              self.mutant_pool))
                for subject, cases in batch
            ]  # fmt: skip

    def close(self) -> None:
        self._resources.close()
