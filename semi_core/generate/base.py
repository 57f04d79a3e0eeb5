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
from typing import Any, ClassVar

# The backend whose pairs carry known mistakes: labelled as practice wherever a pair is
# shown, and left out of exports unless asked for.
SIMULATED_BACKEND = "simulated"

# Where a test input came from.
ORIGINS = ("llm", "mutation", "typed", "doctest", "literal", "probe", "example", "annotator")


@dataclass(frozen=True)
class TestInput:
    """One test input: an argument list (`"1, [2, 3], key='x'"`) or a program's stdin."""

    text: str
    origin: str


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


class Backend(ABC):
    """Turns snippets into pairs. Implementations must be safe to call from threads."""

    name: ClassVar[str]
    model: str | None = None
    streams: ClassVar[bool] = False  # generate() takes on_token and streams the answer

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

        def safe(snippet: SnippetView) -> tuple[SnippetView, Generation]:
            try:
                if on_token is not None and self.streams:
                    return snippet, self.generate(snippet, on_token=partial(on_token, snippet))
                return snippet, self.generate(snippet)
            except Exception as error:  # a backend bug must cost one snippet, not the run
                return snippet, Generation.failed(f"{type(error).__name__}: {error}")

        if concurrency <= 1:
            yield from map(safe, snippets)
            return
        with ThreadPoolExecutor(max_workers=concurrency) as executor:
            pending = set()
            for snippet in snippets:
                pending.add(executor.submit(safe, snippet))
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
