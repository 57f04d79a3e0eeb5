"""The one interface every validation engine implements.

An engine takes batches of work — (subject, test cases) pairs, as the store gives them —
and gives back each batch's `ValidationResult`s. It never touches the store: the caller
records what comes back (one transaction per batch), so a store has one writer whatever
the engine. A new engine is a new module in this package that subclasses
`ValidationEngine`, registers itself with `register`, and is imported in
`driver._load_engines` (a module must not import heavy optional packages at import time:
`ray` is imported only when the Ray engine starts).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from semi_core.sandbox import Limits, SandboxPool
    from semi_core.validate import ValidationResult, ValidationSettings

# One unit of work: a row of `Store.generations_to_validate` and its test cases.
Item = tuple[dict[str, Any], list[dict[str, Any]]]


class EngineError(RuntimeError):
    """An engine cannot start: its package is missing, its cluster cannot be reached."""


class ValidationEngine(ABC):
    """Validates batches of pairs. Use as a context manager (or call `close`)."""

    name: ClassVar[str]
    # Pairs per batch: one store transaction each, and the unit sent to a remote worker.
    # A run's first batches have `batch_size` pairs; later ones grow with the pace, up to
    # `largest_batch` (see `validate_stream`). An engine given `batch_size=` keeps it.
    batch_size: int = 8
    largest_batch: int = 32

    def _size_batches(self, given: int | None, first: int) -> None:
        """`given` pairs per batch, kept all run; without it `first` pairs at first,
        growing with the pace up to `largest_batch` (raised to `first` if below it)."""
        self.batch_size = given or first
        self.largest_batch = given or max(self.largest_batch, self.batch_size)

    @classmethod
    @abstractmethod
    def create(
        cls,
        settings: ValidationSettings,
        limits: Limits,
        *,
        pool: SandboxPool | None = None,
        address: str | None = None,
        **options: Any,
    ) -> ValidationEngine:
        """Build the engine: `limits` for every sandbox pool it starts, `pool` an open
        local pool it may use (and must not close), `address` where a cluster is."""

    @abstractmethod
    def validate_batches(
        self, batches: Iterable[list[Item]]
    ) -> Iterator[list[tuple[dict[str, Any], ValidationResult]]]:
        """Validate each batch, yielding its (subject, result) list as it completes (in any
        order; every item of a batch comes back together). Batches are pulled from
        `batches` only as capacity frees up, so memory stays bounded; when the caller
        stops iterating, work still in flight is dropped."""

    def close(self) -> None:  # noqa: B027 - a hook; an engine may hold nothing
        """Release pools, actors and connections."""

    def __enter__(self) -> ValidationEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ENGINES: dict[str, type[ValidationEngine]] = {}


def register(cls: type[ValidationEngine]) -> type[ValidationEngine]:
    ENGINES[cls.name] = cls
    return cls
