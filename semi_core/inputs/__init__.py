"""Test-input synthesis: argument lists (or stdin texts) to run a snippet on.

Modules: `types` (the input type, limits, type tree), `values` (rendering, seeded
draws), `analysis` (signature and usage), `doctests`, `literals`, `mutation`,
`candidates` (the pot and the final choice), `functions` and `programs` (the rounds
per mode), `synthesis` (the public API) and `selection` (inputs chosen by the
mutants they kill and the branches they take).

Used by every generation backend, and to add to an LLM's own inputs. Sources, each
recorded as the input's origin:

- ``doctest``  calls of the function written in its docstring (``>>> f(1, 2)``,
  ``f("ab") ➞ 1``, ``For lst = [1, 2] the output ...``, ``Input: arr = [3, 1]``);
- ``typed``    values drawn from the parameters' type annotations and defaults
  (a seeded generator shaped like hypothesis' draws: see `_gen` for why not hypothesis);
- ``probe``    types guessed for unannotated parameters from how the body uses them,
  then *tried* in the sandbox: a guess is kept when the original runs without a
  TypeError/AttributeError on it, and values are drawn for the kept guesses;
- ``literal``  constants mined from the code (numbers ±1 around comparisons, strings
  compared against, characters of string constants) and boundary values (0, 1, -1,
  '', [], a large int) put into a working input, one parameter at a time;
  Also, as ``literal``: the code's own boundaries, from a working input: lengths
  around ``len(x) < 3``; split strings with the part count the code unpacks
  (``m, d, y = s.split("-")``), each part set to the numbers it compares against;
  small ints making equalities between parameters true (``a*a + b*b == c*c``,
  found by a search over small ranges with a tiny arithmetic interpreter, never
  ``eval``); a value of one argument put into another (``grid[i][j] == x``);
  strings with counted characters of a tested class (``isdigit`` then ``t > 3``);
- ``mutation`` EvalPlus-style type-aware mutation of working seed inputs;
- seeds keep the origin the caller gave them (``llm`` for plain strings).

Three rounds: seeds, doctests and probes; typed, literal and mutation streams in
turns; then neighbours (boundary variants, constants, mutations) of the inputs whose
outcome is rarest so far: a validator's few "Yes" inputs sit next to its checks.
Selection: the empty input, then the boundary-made inputs, then in turns over the
origins the input whose output is new with the most pieces not seen yet, else the
output chosen least often (as many "Yes" as "No").

The snippet's code never runs in this process: it is only parsed with `ast`; every
execution goes through the sandbox pool, in a few batched `run_many` calls (at most
`MAX_EXECUTIONS` tests per snippet). Inputs on which the original runs OK are kept
first; a few that raise a deliberate error (ValueError, IndexError ...) are kept as
error-case tests; TypeErrors, timeouts and sandbox refusals are dropped. The same
snippet, seeds and seed number always give the same inputs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from semi_core.inputs.synthesis import examples_for_instruction, synthesize_inputs
    from semi_core.inputs.types import MAX_EXECUTIONS, ORIGINS, TestInput
    from semi_core.inputs.values import render_args, render_value

__all__ = [
    "MAX_EXECUTIONS",
    "ORIGINS",
    "TestInput",
    "examples_for_instruction",
    "render_args",
    "render_value",
    "synthesize_inputs",
]

# Names are loaded on first use, so that importing `TestInput` (every backend does)
# does not import the sandbox client and the synthesis rounds.
_HOME = {
    "MAX_EXECUTIONS": "types",
    "ORIGINS": "types",
    "TestInput": "types",
    "render_args": "values",
    "render_value": "values",
    "examples_for_instruction": "synthesis",
    "synthesize_inputs": "synthesis",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
