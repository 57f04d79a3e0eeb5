"""Test inputs chosen by what they catch: a broad pool of candidates, reduced to the few
that tell the original from its mutants.

`synthesize_inputs` (in `semi_core.inputs`) ranks candidates by where they come from and
how varied they are. `choose_inputs` keeps that as the starting point and then:

1. **A broad pool.** The plain synthesis first, then the rest of one three times as
   large, both in the short-timeout pool (the plain one again in the run's pool when
   that leaves places empty: code whose inputs are all slow), then, for functions,
   variants of each argument of those inputs, one argument at a time: for numbers
   zero, a negative, a large value and c − 1, c, c + 1 of the integer constants in the
   code (the boundaries of its comparisons); for containers the empty one, one element
   and a duplicated element; for strings the empty string, whitespace and non-ASCII
   letters. Candidates run twice on the original in the sandbox; those that give one
   result both times, fast, are kept.
2. **Kills.** The original's first-order mutants (`semi_core.mutants`) run on every kept
   candidate in a pool with a short timeout; a mutant that times out is not run again (a
   loop costs one timeout, not one per candidate).
3. **Branches.** The original runs once more on the kept candidates, traced
   (`Task.coverage`, in the sandbox worker): which branches of its `if`, `while` and
   `for` statements each candidate takes (`semi_core.branches`).
4. **Greedy set cover**, as EvalPlus reduces its suites: the candidate that kills the
   most mutants not yet killed; among those that kill as many, the one that takes the
   most branches not yet taken; then the earlier candidate. Once no candidate kills
   another mutant, candidates that take another branch are chosen the same way. This
   goes on until `limit` inputs are chosen or no candidate adds a kill or a branch (at
   most `MAX_RAISING` inputs on which the original raises); the remaining places go to
   the seeds and the plain synthesis in their order, then to the other candidates on
   which the original returns.

Budget per pair: at most `MAX_MUTANT_EXECUTIONS` mutant runs (the pool is cut to fit),
`MAX_CANDIDATES` candidates (three runs of the original each, one of them traced) and
about `MAX_STOPPED_RUNS` runs that time out or crash.

`seeds` (an LLM's own inputs) come first among the candidates and keep their origin when
chosen; they are chosen by what they catch like any other candidate.
Code on which no candidate is kept, or without mutants, keeps the plain synthesis. The
same code, limit and seed give the same inputs, except where a run's time is near the
short timeout (then the load of the machine decides whether a candidate is kept).
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
from collections.abc import Sequence, Set
from typing import Any

from semi_core.branches import BranchMap
from semi_core.inputs.synthesis import synthesize_inputs
from semi_core.inputs.types import TestInput
from semi_core.inputs.values import render_args
from semi_core.mutants import generate_mutants, input_rounds
from semi_core.sandbox import (
    Limits,
    Outcome,
    SandboxPool,
    Task,
    compare_outcomes,
    parse_call_args,
)
from semi_core.sandbox.args import ArgumentError

MUTANT_BUDGET = 40  # mutants that candidates are scored against
MAX_CANDIDATES = 48  # candidates kept after the original ran on them
MAX_MUTANT_EXECUTIONS = 1200  # mutant runs per pair; the pool is cut to fit
POOL_FACTOR = 3  # the broad synthesis: this many times the inputs wanted
MAX_STOPPED_RUNS = 4  # runs that time out or crash, per pair, before the scoring stops
MAX_RAISING = 2  # chosen inputs on which the original raises, at most
LARGE = 10**6
_MAX_CODE_CONSTANTS = 6  # integer constants of the code whose boundaries are tried
_STRINGS = ("", " ", "  a  b ", "é", "ÄÖü ñ")
_MAX_TEXT = 400  # longer argument texts make unreadable tests
_CHUNK = 12  # candidates run on the original at a time
_FINISHED = ("ok", "error")  # outcomes of a run that ended by itself


SHORT_TIMEOUT_S = 0.1  # per run of a candidate or a mutant: a loop costs little


def short_limits(limits: Limits, timeout_s: float = SHORT_TIMEOUT_S) -> Limits:
    """`limits` with a shorter timeout (and grace) for runs that may loop: what the
    `short_pool` of `choose_inputs` is made with."""
    timeout_s = min(timeout_s, limits.timeout_s)
    return dataclasses.replace(limits, timeout_s=timeout_s,
                               kill_grace_s=min(limits.kill_grace_s, 0.2, timeout_s))  # fmt: skip


def choose_inputs(
    code: str,
    entry_point: str | None,
    kind: str,
    *,
    pool: SandboxPool,
    short_pool: SandboxPool,
    limit: int,
    seed: int = 0,
    seeds: Sequence[TestInput] = (),
) -> list[TestInput]:
    """At most `limit` test inputs for the snippet, chosen by the mutants they kill and
    the branches they take (see the module docstring). `short_pool` runs candidates and
    mutants: a pool like `pool` with a short timeout, so that looping mutants are cheap.
    `seeds` (an LLM's inputs) are candidates first (those the original runs on), and the
    plain synthesis starts from them."""
    seeds = list(seeds)

    def synthesized_in(where: SandboxPool) -> list[TestInput]:
        return synthesize_inputs(code, entry_point, kind, pool=where, seeds=seeds,
                                 limit=limit, seed=seed)  # fmt: skip

    mutants = [m.code for m in generate_mutants(code, MUTANT_BUDGET, seed)]
    if limit <= 0 or not mutants:
        return synthesized_in(pool)
    # The plain synthesis runs in the short pool first (a candidate the original loops
    # on costs a short timeout, not the full one); in the run's pool only when that
    # leaves places empty, for code whose inputs are all slow.
    synthesized = synthesized_in(short_pool)
    if len(synthesized) < limit:
        synthesized = synthesized_in(pool)
    # In the short pool: candidates the original loops on cost a short timeout each, and
    # slow ones would be dropped below anyway.
    broad = synthesize_inputs(code, entry_point, kind, pool=short_pool, seeds=seeds,
                              limit=limit * POOL_FACTOR, seed=seed)  # fmt: skip
    candidates = _unique([*synthesized, *broad])
    if kind == "function":
        candidates = _unique([*candidates, *argument_variants(candidates, code)])
    candidates, expected = _kept_candidates(code, entry_point, kind, candidates, short_pool)
    if not candidates:
        return synthesized
    candidates = candidates[: max(1, MAX_MUTANT_EXECUTIONS // len(mutants))]
    expected = expected[: len(candidates)]
    kills = kill_sets(mutants, entry_point, kind, candidates, expected, short_pool)
    branches = branch_sets(code, entry_point, kind, candidates, pool)
    raising = {i for i, outcome in enumerate(expected) if outcome.status != "ok"}
    chosen = [candidates[i] for i in greedy_cover(kills, limit, raising, branches)]
    # The plain synthesis fills the remaining places (including the inputs too slow to
    # score here), then the other candidates that return.
    returning = [c for i, c in enumerate(candidates) if i not in raising]
    for test_input in _unique([*chosen, *synthesized, *returning])[len(chosen) :]:
        if len(chosen) >= limit:
            break
        chosen.append(test_input)
    return chosen


def greedy_cover(
    kills: Sequence[Set[int]],
    limit: int,
    raising: Set[int] = frozenset(),
    branches: Sequence[Set[Any]] | None = None,
) -> list[int]:
    """Indices of at most `limit` candidates, in the order greedy set cover picks them:
    each time the one that kills the most mutants not yet killed; ties go to the one
    that takes the most `branches` not yet taken, then to the lowest index. Once no
    candidate kills another mutant, the one that takes the most new branches, while some
    candidate still takes one. At most `MAX_RAISING` of the `raising` candidates (the
    original raises on them) are taken: tests that all expect an error check little of
    what the code computes."""
    branches = branches if branches is not None else [frozenset()] * len(kills)
    unkilled = set().union(*kills) if kills else set()
    untaken = set().union(*branches) if branches else set()
    chosen: list[int] = []
    while (unkilled or untaken) and len(chosen) < limit:
        open_ = [i for i in range(len(kills)) if i not in chosen]
        if sum(i in raising for i in chosen) >= MAX_RAISING:
            open_ = [i for i in open_ if i not in raising]
        if not open_:
            break
        best = max(open_, key=lambda i: (len(kills[i] & unkilled),
                                         len(branches[i] & untaken), -i))  # fmt: skip
        if not kills[best] & unkilled and not branches[best] & untaken:
            break
        chosen.append(best)
        unkilled -= kills[best]
        untaken -= branches[best]
    return chosen


def branch_sets(
    code: str,
    entry_point: str | None,
    kind: str,
    candidates: Sequence[TestInput],
    pool: SandboxPool,
) -> list[frozenset[tuple[int, bool]]]:
    """Per candidate, the branches of the original it takes (`semi_core.branches`), from
    one traced run each; none for code without branch points (then nothing runs)."""
    branch_map = BranchMap(code)
    if not branch_map.known:
        return [frozenset() for _ in candidates]
    outcomes = pool.run_many(_task(code, entry_point, kind, c.text, coverage=True)
                             for c in candidates)  # fmt: skip
    return [branch_map.covered(o.arcs) for o in outcomes]


def kill_sets(
    mutants: Sequence[str],
    entry_point: str | None,
    kind: str,
    candidates: Sequence[TestInput],
    expected: Sequence[Outcome],
    pool: SandboxPool,
) -> list[set[int]]:
    """Per candidate, the mutants (indices) whose outcome on it differs from the
    original's. Candidates are taken in growing rounds; a mutant that times out, runs out
    of memory or kills its worker is not run in later rounds, and after
    `MAX_STOPPED_RUNS` such runs no more rounds are run (each costs a worker's restart)."""
    kills: list[set[int]] = [set() for _ in candidates]
    stopped: set[int] = set()
    stopped_runs = 0
    for rows in input_rounds(len(candidates)):
        pairs = [(m, i) for m in range(len(mutants)) if m not in stopped for i in rows]
        outcomes = pool.run_many(_task(mutants[m], entry_point, kind, candidates[i].text)
                                 for m, i in pairs)  # fmt: skip
        for (m, i), outcome in zip(pairs, outcomes, strict=True):
            if outcome.status not in _FINISHED:
                stopped.add(m)
                stopped_runs += 1
            if not compare_outcomes(expected[i], outcome)[0]:
                kills[i].add(m)
        if stopped_runs >= MAX_STOPPED_RUNS:
            break
    return kills


def argument_variants(inputs: Sequence[TestInput], code: str) -> list[TestInput]:
    """Inputs that differ from one of `inputs` in one argument (see the module
    docstring), interleaved across the inputs so that a cut keeps variants of each."""
    constants = _code_constants(code)
    streams = []
    for test_input in inputs:
        try:
            args, kwargs = parse_call_args(test_input.text)
        except (ArgumentError, RecursionError, MemoryError):
            continue
        stream = []
        for position, value in enumerate(args):
            for variant in _value_variants(value, constants):
                changed = [*args[:position], variant, *args[position + 1 :]]
                try:
                    text = render_args(changed, kwargs)
                except (ValueError, RecursionError):
                    continue
                if len(text) <= _MAX_TEXT:
                    stream.append(TestInput(text, "mutation"))
        streams.append(stream)
    return [v for group in itertools.zip_longest(*streams) for v in group if v is not None]


def _value_variants(value: Any, constants: list[int]) -> list[Any]:
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        near = [c + d for c in constants for d in (-1, 0, 1)]
        return [0, -1, -value, value + 1, value - 1, LARGE, *near]
    if isinstance(value, float):
        return [0.0, -value, value + 0.5, float(LARGE)]
    if isinstance(value, str):
        return [*_STRINGS, value + " ", value * 2, value.upper()]
    if isinstance(value, (list, tuple)):
        empty, kind = type(value)(), type(value)
        if not value:
            return [empty]
        return [empty, kind(value[:1]), kind([value[0], *value]), kind(value[::-1])]
    if isinstance(value, (dict, set)):
        return [type(value)()]
    return []


def _code_constants(code: str) -> list[int]:
    """The integer constants of the code, most frequent first (a few of them)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return []
    counts: dict[int, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < LARGE:
            counts[node.value] = counts.get(node.value, 0) + 1
    ranked = sorted(counts, key=lambda c: (-counts[c], c))
    return ranked[:_MAX_CODE_CONSTANTS]


def _kept_candidates(
    code: str,
    entry_point: str | None,
    kind: str,
    candidates: list[TestInput],
    pool: SandboxPool,
) -> tuple[list[TestInput], list[Outcome]]:
    """The candidates on which the original gives one result twice within a fifth of the
    pool's timeout (so that a mutant's timeout means a change), with that result. They
    run in chunks, and no chunk follows one after which the original has timed out
    `MAX_STOPPED_RUNS` // 2 times (inputs that make it loop cost a restart each)."""
    fast_ms = pool.limits.timeout_s * 1000 / 5
    fast: list[tuple[TestInput, Outcome]] = []
    stopped_runs = 0
    for start in range(0, min(len(candidates), MAX_CANDIDATES), _CHUNK):
        chunk = candidates[start : min(start + _CHUNK, MAX_CANDIDATES)]
        outcomes = pool.run_many(_task(code, entry_point, kind, c.text) for c in chunk)
        stopped_runs += sum(o.status not in _FINISHED for o in outcomes)
        fast += [(c, o) for c, o in zip(chunk, outcomes, strict=True)
                 if o.status in _FINISHED and o.duration_ms <= fast_ms]  # fmt: skip
        if stopped_runs >= MAX_STOPPED_RUNS // 2:
            break
    again = pool.run_many(_task(code, entry_point, kind, c.text) for c, _ in fast)
    kept = [
        (c, a)
        for (c, a), b in zip(fast, again, strict=True)
        if b.duration_ms <= fast_ms and compare_outcomes(a, b)[0]
    ]
    return [c for c, _ in kept], [a for _, a in kept]


def _unique(inputs: Sequence[TestInput]) -> list[TestInput]:
    seen: set[str] = set()
    out = []
    for test_input in inputs:
        if test_input.text not in seen:
            seen.add(test_input.text)
            out.append(test_input)
    return out


def _task(code: str, entry_point: str | None, kind: str, text: str, coverage: bool = False) -> Task:
    if kind == "program":
        return Task(code=code, mode="program", stdin=text, coverage=coverage)
    return Task(code=code, entry_point=entry_point, mode="function", args=text,
                coverage=coverage)  # fmt: skip
