"""Candidates and their outcomes: the pot every round adds to, and the selection
of the final inputs from it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from semi_core.inputs.types import _BAD_ERRORS, _MAX_ERRORS, _MAX_TIMEOUTS, _ORIGIN_ORDER, TestInput
from semi_core.inputs.values import _canonical
from semi_core.sandbox import Outcome, SandboxPool, Task


@dataclass
class _Cand:
    text: str  # canonical text (the dedup key)
    origin: str
    order: int  # position within its origin (earlier is better)
    shown: str = ""  # the text as given (seeds keep their own spelling)
    outcome: Outcome | None = None
    values: tuple[list[Any], dict[str, Any]] | None = None
    offtype: bool = False  # a probe of a type guess that was not chosen: kept last

    @property
    def ok(self) -> bool:
        return self.outcome is not None and self.outcome.status == "ok"

    @property
    def benign_error(self) -> bool:
        """The original raised an error it means to raise (bad value), not a crash of
        the wrong-type kind: a useful error-case test."""
        o = self.outcome
        return (
            o is not None
            and o.status == "error"
            and bool(o.error_type)
            and o.error_type not in _BAD_ERRORS
        )


@dataclass(frozen=True)
class _Size:
    """How demanding an input looks: slow code (loops to n, recursion) times out on big
    numbers, long containers, or negative numbers (`while n != 0: n //= 10`)."""

    big: float = 0.0  # largest magnitude of a number
    neg: bool = False  # has a negative number
    length: int = 0  # longest string or container

    def within(self, env: _Size) -> bool:
        return (
            self.big <= max(env.big, 12)
            and (not self.neg or env.neg)
            and self.length <= max(env.length, 6)
        )

    def join(self, other: _Size) -> _Size:
        return _Size(
            max(self.big, other.big), self.neg or other.neg, max(self.length, other.length)
        )


def _size_of(value: Any, depth: int = 0) -> _Size:
    if isinstance(value, bool) or value is None:
        return _Size()
    if isinstance(value, (int, float)):
        big = abs(value) if math.isfinite(value) else 1e308
        return _Size(big=float(min(big, 1e308)), neg=value < 0)
    if isinstance(value, (str, bytes)):
        return _Size(length=len(value))
    if isinstance(value, complex):
        return _Size(big=abs(value))
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
        size = _Size(length=len(value))
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        size = _Size(length=len(items))
    else:
        return _Size()
    if depth < 4:
        for item in items:
            size = size.join(_size_of(item, depth + 1))
    return size


def _size_of_stdin(text: str) -> _Size:
    size = _Size(length=text.count("\n"))
    for token in text.split():
        try:
            size = size.join(_size_of(float(token)))
        except (ValueError, OverflowError):
            size = size.join(_Size(length=len(token)))
    return size


class _Pot:
    """Candidates of one snippet: deduplicated, each run at most once.

    Runs are staged so that slow code costs few timeouts: inputs no more demanding than
    ones the original already ran quickly on (or small ones) run together; the others
    run in growing chunks, least demanding first, and the first timeout stops them."""

    def __init__(
        self,
        pool: SandboxPool | None,
        make_task: Callable[[str], Task],
        sizer: Callable[[_Cand], _Size],
    ) -> None:
        self.pool = pool
        self.make_task = make_task
        self.sizer = sizer
        self.cands: dict[str, _Cand] = {}
        self.executions = 0
        self.timeouts = 0
        self.envelope = _Size()
        self.too_slow = False  # a timeout was seen: demanding inputs are not run anymore
        self.aimed: set[str] = set()  # texts made to sit on one of the code's boundaries
        self._counts: dict[str, int] = {}
        self._fast_ms = 0.0
        if pool is not None:
            self._fast_ms = pool.limits.timeout_s * 1000.0 / 10

    def add(
        self,
        text: str,
        origin: str,
        values: tuple[list[Any], dict[str, Any]] | None = None,
        shown: str | None = None,
    ) -> _Cand | None:
        if text in self.cands:
            return None
        order = self._counts.get(origin, 0)
        self._counts[origin] = order + 1
        cand = _Cand(text, origin, order, shown if shown is not None else text, values=values)
        self.cands[text] = cand
        return cand

    def _run(self, todo: list[_Cand]) -> None:
        assert self.pool is not None
        outcomes = self.pool.run_many([self.make_task(c.shown) for c in todo])
        self.executions += len(todo)
        for cand, outcome in zip(todo, outcomes, strict=True):
            cand.outcome = outcome
            if outcome.status == "timeout":
                self.timeouts += 1
                self.too_slow = True
            elif outcome.status in ("ok", "error"):
                if outcome.duration_ms < self._fast_ms:
                    self.envelope = self.envelope.join(self.sizer(cand))
                elif outcome.duration_ms > 2.5 * self._fast_ms:
                    self.too_slow = True  # near the limit: bigger inputs would time out

    def run(self, cands: list[_Cand], trusted: Iterable[_Cand] = ()) -> None:
        """Run the candidates not run yet (`trusted` ones without staging)."""
        todo = [c for c in cands if c.outcome is None]
        if not todo or self.pool is None:
            return
        chunk = self.pool.limits.workers
        trusted_ids = {id(c) for c in trusted}
        if self.too_slow:
            # this code is slow: only inputs no more demanding than ones that ran fast,
            # in small steps (a size envelope cannot tell which input loops: odd-length
            # lists, negative counts ...), giving up after a second timeout
            todo = [c for c in todo if id(c) in trusted_ids or self.sizer(c).within(self.envelope)]
            while todo and self.timeouts < _MAX_TIMEOUTS:
                self._run(todo[:chunk])
                todo = todo[chunk:]
            return
        sizes = {id(c): self.sizer(c) for c in todo}
        first = [c for c in todo if id(c) in trusted_ids or sizes[id(c)].within(self.envelope)]
        risky = [c for c in todo if id(c) not in {id(f) for f in first}]
        if first:
            self._run(first)
        risky.sort(key=lambda c: (sizes[id(c)].neg, sizes[id(c)].big, sizes[id(c)].length))
        step, restarted = chunk, False
        while risky and not self.too_slow:
            now_safe = [c for c in risky if sizes[id(c)].within(self.envelope)]
            rest = [c for c in risky if c not in now_safe]
            batch = now_safe
            if rest and sizes[id(rest[0])].neg and not self.envelope.neg and not restarted:
                # the first negative values are a new kind of risk: start small again;
                # and never mix them into a batch of positive ones
                step, restarted = chunk, True
            head = rest[:step]
            if not restarted and any(sizes[id(c)].neg for c in head):
                head = [c for c in head if not sizes[id(c)].neg] or head[:chunk]
            batch = now_safe + head
            risky = [c for c in rest if c not in head]
            self._run(batch)
            step *= 3
        if risky and self.timeouts < _MAX_TIMEOUTS:
            self.run(risky)

    def ok(self) -> list[_Cand]:
        return [c for c in self.cands.values() if c.ok]


_KEPT_FAILED = 3


def _select(pot: _Pot, seeds: list[_Cand], limit: int, checked: bool) -> list[TestInput]:
    """Seeds first, then doctests, then a round robin over the other origins, each
    pass preferring inputs whose output was not seen yet (different outputs kill more
    mutants); a few deliberate-error inputs at the end."""
    if not checked:  # no pool: nothing ran, keep everything in origin order
        pool_order = seeds + sorted(
            (c for c in pot.cands.values() if c not in seeds),
            key=lambda c: (_origin_rank(c.origin), c.order),
        )
        return [TestInput(c.shown, c.origin) for c in pool_order[:limit]]
    chosen: list[_Cand] = []
    outputs: set[str] = set()
    max_errors = min(_MAX_ERRORS, max(0, limit // 6))

    seen: dict[str, int] = {}
    pieces: set[str] = set()

    def take(c: _Cand) -> None:
        chosen.append(c)
        if c.outcome is not None:
            outputs.add(c.outcome.output)
            seen[c.outcome.output] = seen.get(c.outcome.output, 0) + 1
            pieces.update(_pieces(c))

    for c in seeds:
        if len(chosen) < limit and c.ok:
            take(c)
    doctests = sorted(
        (c for c in pot.cands.values() if c.origin == "doctest"), key=lambda c: c.order
    )
    for c in doctests:
        if len(chosen) < limit and c.ok:
            take(c)
    # the empty input ('', [], 0): guards like `if s == '': return 0` live there
    for c in sorted(pot.cands.values(), key=lambda c: (_origin_rank(c.origin), c.order)):
        if len(chosen) < min(limit, 2 + len(seeds)) and c.ok and not c.offtype and _empty(c):
            if c not in chosen:
                take(c)
    # inputs made for one of the code's boundaries (3, 4, 5 for a*a + b*b == c*c; a
    # length of 3 for len(s) < 3): the same output can come from another branch
    aimed = [c for c in pot.cands.values() if c.text in pot.aimed and c.ok and not c.offtype]
    for c in aimed[: max(0, limit // 4 - len(seeds))]:
        if c not in chosen:
            take(c)
    # inputs near the time limit are run again and again by validation (and may time
    # out there): used only when nothing else is left
    slow_ms = 2.5 * pot._fast_ms

    def slow(c: _Cand) -> bool:
        return c.outcome is not None and c.outcome.duration_ms > slow_ms

    rest = [
        c
        for c in pot.cands.values()
        if c.ok and c not in chosen and c not in seeds and not c.offtype and not slow(c)
    ]
    queues: dict[str, list[_Cand]] = {}
    for c in sorted(rest, key=lambda c: c.order):
        queues.setdefault(c.origin, []).append(c)
    order = sorted(queues, key=_origin_rank)
    reserve = max_errors if any(c.benign_error for c in pot.cands.values()) else 0
    while len(chosen) < limit - reserve and any(queues.values()):
        # a turn per origin: inputs with an output not seen yet first (a different
        # output is what tells a wrong rewrite apart); a plain turn when none has one
        fresh = False
        for origin in order:
            queue = queues[origin]
            # a new output, the one with the most pieces not seen yet: the letter grades
            # of every threshold at once before one more list of a single grade
            new = [c for c in queue if c.outcome.output not in outputs]
            pick = max(new, key=lambda c: min(6, len(_pieces(c) - pieces)), default=None)
            if pick is not None and len(chosen) < limit - reserve:
                queue.remove(pick)
                take(pick)
                fresh = True
        if fresh:
            continue
        for origin in order:
            if queues[origin] and len(chosen) < limit - reserve:
                # the output chosen least often so far: "Yes" as often as "No"
                queue = queues[origin]
                pick = min(queue, key=lambda c: seen.get(c.outcome.output, 0))
                queue.remove(pick)
                take(pick)
    for c in sorted(pot.cands.values(), key=lambda c: (slow(c), c.order)):
        if len(chosen) < limit - reserve and c.ok and (c.offtype or slow(c)) and c not in chosen:
            take(c)  # other type guesses, then slow inputs
    errors = sorted(
        (c for c in pot.cands.values() if c.benign_error and not c.offtype),
        key=lambda c: (c not in seeds, _origin_rank(c.origin), c.order),
    )
    kinds: set[str] = set()
    for c in errors:  # distinct error types first
        if len(chosen) >= limit or max_errors <= 0:
            break
        error_type = c.outcome.error_type if c.outcome else ""
        if error_type in kinds:
            continue
        kinds.add(error_type or "")
        take(c)
        max_errors -= 1
    for c in errors:
        if len(chosen) >= limit or max_errors <= 0:
            break
        if c not in chosen:
            take(c)
            max_errors -= 1
    if not chosen:
        # Nothing ran because the sandbox stopped the code (refused it, or a module it
        # needs is missing): a few such inputs let validation say so, not "no inputs".
        failed = [c for c in pot.cands.values() if _stopped_by_sandbox(c.outcome)]
        chosen = sorted(failed, key=lambda c: (_origin_rank(c.origin), c.order))[:_KEPT_FAILED]
    return [TestInput(c.shown, c.origin) for c in chosen]


def _refused_or_missing_module(o: Outcome) -> bool:
    """The sandbox refused the code, or a module it imports is not there: no input
    changes that."""
    return o.status == "rejected" or (
        o.status == "error" and o.error_type in ("ModuleNotFoundError", "ImportError")
    )


def _stopped_by_sandbox(o: Outcome | None) -> bool:
    return o is not None and (o.status == "violation" or _refused_or_missing_module(o))


_PIECE = re.compile(r"[^\s,:()\[\]{}]+")


def _pieces(c: _Cand) -> set[str]:
    """The items of an output's text: `['A+', 'B']` -> {"'A+'", "'B'"}."""
    return set(_PIECE.findall(c.outcome.output[:2000])) if c.outcome is not None else set()


def _empty(c: _Cand) -> bool:
    """Every argument is an empty or zero value: '', [], 0, None ... (or there is none)."""
    if c.values is None:
        canon = _canonical(c.text)
        c.values = canon[1] if canon else None
    if c.values is None:
        return False
    args, kwargs = c.values
    values = [*args, *kwargs.values()]
    return all(v is None or (not isinstance(v, bool) and not v) for v in values)


def _origin_rank(origin: str) -> int:
    return _ORIGIN_ORDER.index(origin) if origin in _ORIGIN_ORDER else -1
