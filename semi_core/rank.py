"""Ranking: difficulty signals for validated pairs, a composite score, a curriculum.

Signals per validated pair (stored under ``signals["rank"]`` of its current verdict):

* ``tests_usable`` / ``tests_passed`` — the paper's signal: how many test cases the pair
  has and passes (for a validated pair they are equal). Our reading of Semi-Instruct: a
  pair whose behaviour is pinned down by more passing tests is a harder pair to learn.
* ``code_lines`` — non-blank, non-comment lines of the rewrite; ``code_nodes`` — its AST
  node count (shown, not scored: it tracks ``code_lines`` closely).
* ``cyclomatic`` — McCabe complexity of the rewrite computed with ``ast``: 1 + the
  decision points of the whole module (``if``/``elif``, ``for``, ``while``, ``except``,
  conditional expressions, each extra operand of ``and``/``or``, comprehension loops and
  filters, ``assert``, ``match`` cases). For one function this is close to radon's; for
  several it is their sum minus the extra 1 each (one pair is one task).
* ``instruction_words`` — length of the instruction in words.
* ``solve_rate`` — optional (off unless a solver is given): a model answers the
  instruction without seeing any code, and the share of the usable tests its answer
  passes (`solve_rate`). Cached per instruction and code: ranking again does not ask again.
* ``test_strength`` — copied from the verdict for selection and display; it measures the
  *test set*, not the task, so it does not enter the score (filter on it instead:
  `curriculum(min_test_strength=...)`).

Composite score, documented formula. Each signal ``x`` is squashed into 0..1 with
``s(x, r) = x / (x + r)`` (0 at 0, ½ at the reference value ``r``, → 1), so the score
does not depend on which other pairs are in the store:

    decisions  = s(cyclomatic - 1, 4)      weight 0.35
    size       = s(code_lines, 12)         weight 0.25
    tests      = s(tests_passed, 8)        weight 0.25
    wording    = s(instruction_words, 40)  weight 0.15

    score = Σ weight·part / Σ weight                      (without a solve rate)
    score = 0.6 · that + 0.4 · (1 − solve_rate)          (with one)

The score is stored as the verdict's ``difficulty``. The **curriculum** orders pairs by
score ascending (easy → hard), ties by generation id. **Buckets**: by tertiles of the
score over the pairs ranked together (the lowest third ``easy``, the middle ``medium``,
the top ``hard``; equal scores always share a bucket); with fewer than three pairs the
fixed thresholds 1/3 and 2/3 on the score are used instead. Tertile buckets are relative:
they are recomputed by every `rank_all`.
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from semi_core.sandbox import Outcome, SandboxPool, Task, compare_values
from semi_core.sandbox.compare import normalize_output
from semi_core.store import Store

BUCKETS = ("easy", "medium", "hard")
Solver = Callable[[str], str]  # instruction -> code (the model never sees the pair's code)


@dataclass(frozen=True)
class RankSettings:
    """Weights and reference values of the composite score (see the module docstring)."""

    weights: tuple[tuple[str, float, float], ...] = (
        # (signal, weight, reference value where its part reaches 0.5)
        ("decisions", 0.35, 4.0),
        ("code_lines", 0.25, 12.0),
        ("tests_passed", 0.25, 8.0),
        ("instruction_words", 0.15, 40.0),
    )
    solve_rate_weight: float = 0.4


# ---------------------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------------------

_DECISIONS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.IfExp, ast.ExceptHandler, ast.Assert)


def cyclomatic_complexity(code: str) -> int:
    """1 + decision points of the module (see the module docstring); 1 if it won't parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 1
    decisions = 0
    for node in ast.walk(tree):
        if isinstance(node, _DECISIONS):
            decisions += 1
        elif isinstance(node, ast.BoolOp):
            decisions += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            decisions += 1 + len(node.ifs)
        elif isinstance(node, ast.match_case):
            decisions += 1
    return 1 + decisions


def code_lines(code: str) -> int:
    """Lines holding code: blank lines, comments and docstring-only lines are not counted."""
    lines: set[int] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return sum(1 for line in code.splitlines() if line.strip())
    skip = (
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    )
    docstring_lines = _docstring_lines(code)
    for token in tokens:
        if token.type in skip:
            continue
        for line in range(token.start[0], token.end[0] + 1):
            if line not in docstring_lines:
                lines.add(line)
    return len(lines)


def _docstring_lines(code: str) -> set[int]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    end = body[0].end_lineno or body[0].lineno
                    lines.update(range(body[0].lineno, end + 1))
    return lines


def ast_nodes(code: str) -> int:
    try:
        return sum(1 for _ in ast.walk(ast.parse(code)))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0


def pair_signals(
    instruction: str | None, code: str | None, passed: int, usable: int
) -> dict[str, Any]:
    """The static difficulty signals of one pair (no execution)."""
    code = code or ""
    return {
        "tests_usable": usable,
        "tests_passed": passed,
        "code_lines": code_lines(code),
        "code_nodes": ast_nodes(code),
        "cyclomatic": cyclomatic_complexity(code),
        "instruction_words": len((instruction or "").split()),
    }


def _squash(x: float, reference: float) -> float:
    x = max(0.0, float(x))
    return x / (x + reference) if reference > 0 else 0.0


def difficulty_score(signals: dict[str, Any], settings: RankSettings | None = None) -> float:
    """The composite score in 0..1 (formula in the module docstring)."""
    settings = settings or RankSettings()
    values = {
        "decisions": max(0, int(signals.get("cyclomatic", 1)) - 1),
        "code_lines": signals.get("code_lines", 0),
        "tests_passed": signals.get("tests_passed", 0),
        "instruction_words": signals.get("instruction_words", 0),
    }
    total_weight = sum(weight for _, weight, _ in settings.weights)
    static = sum(
        weight * _squash(values[name], reference) for name, weight, reference in settings.weights
    ) / (total_weight or 1.0)
    solve = signals.get("solve_rate")
    if solve is None:
        return round(static, 6)
    w = settings.solve_rate_weight
    return round((1 - w) * static + w * (1.0 - float(solve)), 6)


def assign_buckets(scores: dict[str, float]) -> dict[str, str]:
    """Bucket per key: tertiles of the scores (equal scores share a bucket); fixed
    thresholds 1/3 and 2/3 when there are fewer than three scores. The rule in plain
    Python: `rank_all` has the store apply it in SQL, and the tests hold the two equal."""
    n = len(scores)
    if n < 3:
        return {k: BUCKETS[min(2, int(s * 3))] for k, s in scores.items()}
    ordered = sorted(scores.values())
    first_rank: dict[float, int] = {}
    for rank, score in enumerate(ordered):
        first_rank.setdefault(score, rank)
    return {k: BUCKETS[min(2, first_rank[s] * 3 // n)] for k, s in scores.items()}


# ---------------------------------------------------------------------------------------
# Solve rate (optional, needs a model)
# ---------------------------------------------------------------------------------------


def _passes(expected: str | None, oracle_status: str, outcome: Outcome, mode: str) -> bool:
    """Does an outcome match a stored oracle answer (`test_cases.expected`)?"""
    if oracle_status == "raises":
        wanted = (expected or "").removeprefix("raises: ").strip()
        return outcome.status == "error" and outcome.error_type == wanted
    if outcome.status != "ok" or expected is None:
        return False
    if mode == "program":
        return normalize_output(outcome.stdout) == normalize_output(expected)
    # The oracle's repr read back as data gets the sandbox's tolerant comparison (floats,
    # NaN, sets); a repr that is not a literal is compared as text.
    try:
        value = ast.literal_eval(expected)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return outcome.output == expected
    if outcome.comparable:
        return compare_values(value, outcome.value)[0]
    return outcome.output == expected


def solve_rate(
    instruction: str,
    entry_point: str | None,
    kind: str,
    test_cases: Sequence[dict[str, Any]],
    pool: SandboxPool,
    solver: Solver,
) -> float | None:
    """Share of the usable test cases (oracle status ok/raises, with their stored
    ``expected``) that `solver(instruction)`'s code passes in the sandbox. None when there
    is no usable test; 0.0 when the solver fails or returns no code."""
    usable = [c for c in test_cases if c.get("oracle_status") in ("ok", "raises")]
    if not usable:
        return None
    try:
        code = solver(instruction)
    except Exception:  # a model/backend failure counts as not solved, never stops ranking
        return 0.0
    if not code or not code.strip():
        return 0.0
    mode = "program" if kind == "program" else "function"
    tasks = [
        Task(code=code, mode="program", stdin=c["input"])
        if mode == "program"
        else Task(code=code, entry_point=entry_point, mode="function", args=c["input"])
        for c in usable
    ]
    outcomes = pool.run_many(tasks)
    passed = sum(
        _passes(c.get("expected"), c["oracle_status"], o, mode)
        for c, o in zip(usable, outcomes, strict=True)
    )
    return passed / len(usable)


def _solve_key(instruction: str | None, code: str | None) -> str:
    digest = hashlib.sha256(f"{instruction}\x00{code}".encode()).hexdigest()
    return digest[:16]


# ---------------------------------------------------------------------------------------
# Over the store
# ---------------------------------------------------------------------------------------


def rank_all(
    store: Store,
    *,
    pool: SandboxPool | None = None,
    solver: Solver | None = None,
    settings: RankSettings | None = None,
    page_size: int = 1_000,
    generation_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Compute signals, score, bucket and curriculum position for every pair whose
    current verdict is `validated`, and store them (verdict ``difficulty`` and
    ``signals["rank"]``); with `generation_ids`, score those pairs only (after their
    revalidation) and place them among the ranked ones. The solve rate is computed only
    with both `solver` and `pool`. Pairs are scored `page_size` at a time; the buckets
    and positions, which depend on every score, are then placed by the store in one
    statement, so memory does not grow with the number of pairs. Returns
    ``{"ranked": n, "buckets": {bucket: n}, "solve_rates": n asked}``."""
    settings = settings or RankSettings()
    ranked = asked = 0
    after = None
    while page := store.ranking_subjects(after, page_size, generation_ids):
        updates = []
        for row in page:
            signals = pair_signals(row["instruction"], row["code"], row["passed"], row["usable"])
            signals["test_strength"] = row["test_strength"]
            previous = (row["signals"] or {}).get("rank") or {}
            key = _solve_key(row["instruction"], row["code"])
            if previous.get("solve_key") == key and previous.get("solve_rate") is not None:
                signals["solve_rate"], signals["solve_key"] = previous["solve_rate"], key
            elif solver is not None and pool is not None:
                rate = solve_rate(
                    row["instruction"] or "",
                    row["entry_point"],
                    row["kind"],
                    store.test_cases(row["generation_id"]),
                    pool,
                    solver,
                )
                asked += 1
                if rate is not None:
                    signals["solve_rate"], signals["solve_key"] = round(rate, 4), key
            signals["score"] = difficulty_score(signals, settings)
            updates.append((row["verdict_id"], {**row["signals"], "rank": signals},
                            signals["score"]))  # fmt: skip
        store.set_difficulties(updates)
        ranked += len(updates)
        after = page[-1]["generation_id"]
    # Buckets and positions depend on every score: placed again over all ranked pairs.
    buckets = store.place_ranked(BUCKETS) if ranked else dict.fromkeys(BUCKETS, 0)
    return {"ranked": ranked, "buckets": buckets, "solve_rates": asked}


def curriculum(
    store: Store,
    *,
    bucket: str | None = None,
    min_test_strength: float | None = None,
    exclude_weak_tests: bool = False,
) -> list[dict[str, Any]]:
    """Current validated, ranked verdicts in curriculum order (easy → hard), optionally
    one bucket only and/or without weak test sets. Run `rank_all` first."""
    rows = [v for v in store.current_verdicts(["validated"]) if v.get("difficulty") is not None]
    chosen = []
    for row in rows:
        signals = row.get("signals") or {}
        if bucket is not None and (signals.get("rank") or {}).get("bucket") != bucket:
            continue
        if exclude_weak_tests and signals.get("weak_tests"):
            continue
        if min_test_strength is not None and (
            row.get("test_strength") is None or row["test_strength"] < min_test_strength
        ):
            continue
        chosen.append(row)
    return sorted(chosen, key=lambda r: (r["difficulty"], r["generation_id"]))
