"""The public API of input synthesis: synthesize_inputs and examples_for_instruction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from semi_core.inputs.candidates import _origin_rank
from semi_core.inputs.functions import _function_inputs, _seed_inputs
from semi_core.inputs.programs import _program_inputs
from semi_core.inputs.types import TestInput
from semi_core.sandbox import SandboxPool, Task

# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def synthesize_inputs(
    code: str,
    entry_point: str | None,
    kind: str = "function",
    *,
    pool: SandboxPool | None = None,
    seeds: Iterable[TestInput | str] = (),
    limit: int = 20,
    seed: int = 0,
) -> list[TestInput]:
    """Test inputs for a snippet: argument-list texts (function) or stdin texts
    (program), at most `limit`, deduplicated, each with its origin.

    `seeds` (an LLM's inputs, or plain strings meaning origin "llm") come first and are
    mutated. With a `pool`, every candidate is run on the original in the sandbox and
    only inputs on which it runs OK (plus at most two deliberate-error ones) are
    returned; without one, candidates are returned unchecked. Deterministic: the
    same code, seeds and `seed` give the same inputs."""
    if limit <= 0:
        return []
    seed_inputs = _seed_inputs(seeds)
    if kind == "program":
        return _program_inputs(code, pool, seed_inputs, limit, seed)
    if not entry_point:
        raise ValueError("function mode needs an entry point")
    return _function_inputs(code, entry_point, pool, seed_inputs, limit, seed)


def examples_for_instruction(
    code: str,
    entry_point: str | None,
    pool: SandboxPool,
    inputs: Sequence[TestInput],
    k: int = 3,
    *,
    kind: str = "function",
) -> list[tuple[str, str]]:
    """Up to `k` (input text, repr of the original's output) pairs for writing
    "For example, f(1, 2) returns 3" into an instruction: doctest inputs first, then the
    shortest ones, one per distinct output, outputs short enough to read."""
    ranked = sorted(
        inputs,
        key=lambda t: (
            t.origin != "doctest",
            len(t.text) > 60,
            _origin_rank(t.origin) > 1,
            len(t.text),
        ),
    )[: max(k * 4, 12)]
    if not ranked:
        return []
    if kind == "program":
        tasks = [Task(code=code, entry_point=None, mode="program", stdin=t.text) for t in ranked]
    else:
        tasks = [
            Task(code=code, entry_point=entry_point, mode="function", args=t.text) for t in ranked
        ]
    outcomes = pool.run_many(tasks)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for t, o in zip(ranked, outcomes, strict=True):
        if o.status != "ok" or len(o.output) > 80 or o.output in seen:
            continue
        seen.add(o.output)
        out.append((t.text, o.output))
        if len(out) >= k:
            break
    return out
