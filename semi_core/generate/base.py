"""The one interface every generation backend implements.

A backend turns one natural snippet into a pair: an instruction, clean code, the entry
point to call, and test inputs (each with its origin). A new backend is a new module in
this package that subclasses `Backend` and registers itself in `BACKENDS`.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, TypeVar

# Test inputs are made by semi_core.inputs; backends re-export their type from here.
from semi_core.inputs.types import ORIGINS as ORIGINS
from semi_core.inputs.types import TestInput as TestInput

# The backend whose pairs carry known mistakes: labelled as practice wherever a pair is
# shown, and left out of exports unless asked for.
SIMULATED_BACKEND = "simulated"


@dataclass(frozen=True)
class SnippetView:
    """What a backend sees of a snippet."""

    id: str
    code: str
    kind: str  # 'function' | 'program'
    entry_point: str | None
    name: str | None = None
    flags: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SnippetView:
        return cls(
            id=row["id"],
            code=row["code"],
            kind=row["kind"],
            entry_point=row.get("entry_point"),
            name=row.get("name"),
            flags=tuple(row.get("flags") or ()),
        )


@dataclass
class Generation:
    """A backend's answer for one snippet. `status` is 'ok' or 'failed'; a failed answer
    keeps the raw text and the error, never raises."""

    instruction: str | None
    code: str | None
    entry_point: str | None
    inputs: list[TestInput] = field(default_factory=list)
    raw_response: str = ""
    usage: dict[str, Any] | None = None
    status: str = "ok"
    error: str | None = None
    cached: bool = False  # answered from the response cache, no request sent
    # The mistake a simulated backend put in the code on purpose (see simulated.py): the
    # ground truth validation and review are scored against. None: no known mistake.
    mistake: dict[str, Any] | None = None

    @classmethod
    def failed(cls, error: str, raw_response: str = "", usage: dict | None = None) -> Generation:
        return cls(None, None, None, [], raw_response, usage, "failed", error)


@dataclass(frozen=True)
class FailingTest:
    """One test a rewrite failed, as a repair request shows it: the input, the original's
    output (the expected one) and what the rewrite printed, returned or raised."""

    input: str
    expected: str | None
    actual: str | None
    status: str  # wrong | error | timeout | ...


@dataclass(frozen=True)
class RepairTask:
    """What a repair request shows the model: the snippet, the pair's previous answer,
    up to a few failing tests, and the verdict's reason (all there is when no test ran).
    `generation_id` names the pair the answer becomes a new attempt of."""

    generation_id: str
    snippet: SnippetView
    previous: Generation
    failures: tuple[FailingTest, ...]
    reason: str = ""


Item = TypeVar("Item")


class Backend(ABC):
    """Turns snippets into pairs. Implementations must be safe to call from threads."""

    name: ClassVar[str]
    model: str | None = None
    streams: ClassVar[bool] = False  # generate() takes on_token and streams the answer
    repairs: ClassVar[bool] = False  # repair() answers a pair's failing tests

    @property
    def prompt_hash(self) -> str:
        """Identifies what the backend was asked: a new prompt makes new generations."""
        return hashlib.sha256(self.name.encode()).hexdigest()[:16]

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Any, *, pool: Any, store: Any) -> Backend:
        """Build the backend from the pipeline's settings, its sandbox pool and store."""

    @abstractmethod
    def generate(self, snippet: SnippetView) -> Generation: ...

    def generate_many(
        self,
        snippets: Iterable[SnippetView],
        concurrency: int = 1,
        on_token: Callable[[SnippetView, str], None] | None = None,
    ) -> Iterator[tuple[SnippetView, Generation]]:
        """Generate for many snippets with at most `concurrency` in flight, yielding each
        (snippet, generation) as it completes. A backend that raises still yields: the
        exception becomes a failed generation. With `on_token`, a streaming backend passes
        each piece of an answer on as it arrives."""

        def one(snippet: SnippetView) -> Generation:
            if on_token is not None and self.streams:
                return self.generate(snippet, on_token=partial(on_token, snippet))
            return self.generate(snippet)

        return self._many(snippets, one, concurrency)

    def repair(self, task: RepairTask) -> Generation:
        """A new answer for a pair whose rewrite failed its tests (backends with
        `repairs`): the same snippet, shown its previous answer and the failing tests."""
        raise NotImplementedError(f"the {self.name} backend does not repair pairs")

    def repair_many(
        self, tasks: Iterable[RepairTask], concurrency: int = 1
    ) -> Iterator[tuple[RepairTask, Generation]]:
        """`repair` for many tasks, in flight and safe as `generate_many` is."""
        return self._many(tasks, self.repair, concurrency)

    def _many(
        self, items: Iterable[Item], call: Callable[[Item], Generation], concurrency: int
    ) -> Iterator[tuple[Item, Generation]]:
        """`call` on each item with at most `concurrency` in flight, yielding (item,
        answer) as each completes; an exception becomes a failed answer."""

        def safe(item: Item) -> tuple[Item, Generation]:
            try:
                return item, call(item)
            except Exception as error:  # a backend bug must cost one item, not the run
                return item, Generation.failed(f"{type(error).__name__}: {error}")

        if concurrency <= 1:
            yield from map(safe, items)
            return
        with ThreadPoolExecutor(max_workers=concurrency) as executor:
            pending = set()
            for item in items:
                pending.add(executor.submit(safe, item))
                if len(pending) >= concurrency * 2:  # bounded queue: stream, don't hoard
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            for future in as_completed(pending):
                yield future.result()

    def close(self) -> None:  # noqa: B027 - a hook; most backends hold nothing
        """Release what the backend holds (HTTP clients, worker pools)."""


BACKENDS: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    BACKENDS[cls.name] = cls
    return cls
