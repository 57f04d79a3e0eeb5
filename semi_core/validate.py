"""Validation: the original code is the oracle; the rewrite must behave the same.

For one generation (`validate_generation`, pure with respect to the store):

1. **Oracle.** The original runs on every test input twice (one sandbox batch). Each test
   case gets an ``oracle_status``:

   * ``ok`` — both runs returned (or printed) the same thing; ``expected`` is its repr
     (function mode) or its standard output (program mode);
   * ``raises`` — both runs raised the same exception type; ``expected`` is
     ``"raises: ValueError"``. An exception is an expected outcome: the rewrite must
     raise the same type (messages are not compared);
   * ``flaky`` — the two runs differ (time, addresses, ...): excluded;
   * ``unusable`` — a run timed out, ran out of memory, was stopped by the sandbox
     (violation, crash), the input text is not a valid argument list, or the entry point
     does not exist: excluded.

   ``ok`` and ``raises`` cases are the *usable* tests.

2. **Rewrite.** The generated code runs on the usable inputs (one sandbox batch) and is
   compared with the first oracle run by the sandbox's rules (`compare_outcomes`:
   floats with tolerance, exceptions by type, in-place argument changes count, program
   output modulo trailing whitespace).

3. **Verdict.** ``passed`` / ``usable`` / ``total`` and one status (`VERDICT_STATUSES`):

   * ``validated`` — every usable test passed and there are at least
     ``min_usable_tests`` of them;
   * ``mismatch`` — some usable test gives a different result: another value or output,
     another exception type, or a return where the original raised;
   * ``generated_error`` — the rewrite is missing, does not parse or lacks the entry
     point, or every failing test is the rewrite raising / timing out / running out of
     memory / being stopped where the original returned (no wrong *value* at all);
   * ``too_few_tests`` — there are no test inputs, or every usable test passed but there
     are fewer than ``min_usable_tests``;
   * ``original_unusable`` — the original does not parse, no input is usable, or the
     original raises on every usable input (nothing to learn from: typically inputs of
     the wrong shape, where a rewrite raising the same TypeError would "pass");
   * ``refused`` — the sandbox policy refused the original or the rewrite (at compile
     time, or the original hit a runtime violation on every input); ``refused_side``
     says which.

   The checks run in this order: the original parses; there are inputs; the original is
   not refused; some input is usable and not every one raises; the rewrite parses; then
   the rewrite's failures (refused, then a missing entry point, then any wrong result →
   mismatch, else generated_error); then the number of usable tests. So a failing test
   wins over "too few": two usable tests, one wrong, is a ``mismatch``.

4. **Test strength** (validated pairs, on by default): first-order mutants of the
   original (see `semi_core.mutants`, at most ``mutant_budget``) run on the usable
   inputs; the share killed is ``test_strength``, and a share below
   ``weak_tests_threshold`` sets the ``weak_tests`` flag. Equivalent mutants cannot be
   detected, so the figure is a lower bound. Cost: at most ``mutant_budget`` × usable
   executions per pair, fewer in practice (a killed mutant stops being run); the engines
   run mutants in a second pool with ``mutant_timeout_s`` per test (`mutant_pool_for`),
   because many mutants loop forever and a timeout is what kills them.

Test runs (``side``, ``attempt``, ``status``): the original's two runs are ``original``
1 and 2 with the sandbox's status (``ok``, ``error``, ``timeout``, ``memory``,
``rejected``, ``violation``, ``crashed``, ``invalid``). The rewrite's run is
``generated`` 1 with ``ok`` (matches the oracle, raising the expected type included),
``wrong`` (ran to completion but differs; ``error`` then holds how), ``error`` (raised
where the original returned), ``not_run`` (a revalidation stopped running the rewrite
after its first timeout; the verdict's ``not_run`` counts them), or the sandbox's status
for the rest. A run's ``output`` is the return value's repr, followed by the arguments
after the call when the call changed them in place (`shown_output`, `split_output`); a
test case's ``expected`` is the return value alone.

Verdict signals (JSON): ``total``, ``usable``, ``flaky``, ``unusable``,
``unusable_reasons`` ({status: n}), ``raising`` (usable tests where an exception is
expected), ``constant_outputs`` (at least two usable tests, all expecting one and the
same result, arguments after the call included: weak tests whatever the verdict),
``failing`` ([{position, status, reason}], the first 20), ``failures``
({status: n}), ``reason`` (one sentence for the status), ``min_usable_tests``,
``oracle_ms`` / ``generated_ms`` (summed run time), ``refused_side`` when refused, and for
validated pairs ``test_strength``, ``weak_tests``, ``mutants_tried``, ``mutants_killed``,
``mutant_executions``, ``mutants`` (each change, survivors first), ``kills_by_input``
(per test position, the mutants it killed first: which inputs did the killing), and
``branches_covered`` of ``branches_known`` (the original's branches the usable tests
take, from one more run of the original per test, traced in the sandbox:
`semi_core.branches`; left out for an original too slow to trace within its timeout).

The loop that runs an engine over the store's pairs is `semi_core.engines.driver`.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from semi_core.branches import BranchMap
from semi_core.mutants import StrengthResult, generate_mutants, measure_strength
from semi_core.sandbox import (
    ArgumentError,
    Outcome,
    SandboxPool,
    Task,
    compare_outcomes,
    compare_values,
    parse_call_args,
)

VERDICT_STATUSES = (
    "validated",
    "mismatch",
    "generated_error",
    "too_few_tests",
    "original_unusable",
    "refused",
)
ORACLE_STATUSES = ("ok", "raises", "flaky", "unusable")
NOT_RUN = "not_run"  # a test of the rewrite not run: a revalidation gave up at a timeout
GENERATED_RUN_STATUSES = (
    "ok",
    "wrong",
    "error",
    "timeout",
    "memory",
    "rejected",
    "violation",
    "crashed",
    "invalid",
    NOT_RUN,
)

_USABLE = ("ok", "raises")
_MAX_FAILING_LISTED = 20
_MAX_STORED_CHARS = 20_000  # output / stdout / error kept per test run
_TRACE_SLOWDOWN = 10  # how much slower a traced run may be (`Task.coverage`), at most


@dataclass(frozen=True)
class ValidationSettings:
    """How strict validation is and what it may spend."""

    min_usable_tests: int = 3
    test_strength: bool = True
    mutant_budget: int = 20  # at most this many mutants per validated pair
    weak_tests_threshold: float = 0.5  # strength below this flags the test set as weak
    mutant_seed: int = 0  # which mutants are sampled when there are more than the budget
    # Mutants often loop forever (`i += 1` → `i -= 1`); the engines run them in a second
    # pool with this shorter per-test timeout (None: in the main pool).
    mutant_timeout_s: float | None = 0.25
    # Revalidating one pair while a person waits: the rewrite's tests after its first
    # timeout are not run (a loop would otherwise cost a timeout per test).
    stop_at_first_timeout: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_usable_tests": self.min_usable_tests,
            "test_strength": self.test_strength,
            "mutant_budget": self.mutant_budget,
            "weak_tests_threshold": self.weak_tests_threshold,
            "mutant_seed": self.mutant_seed,
            "mutant_timeout_s": self.mutant_timeout_s,
            "stop_at_first_timeout": self.stop_at_first_timeout,
        }


@dataclass
class ValidationResult:
    """Everything one validation produced, in the shapes `Store.record_validation` takes."""

    oracle: list[dict[str, Any]] = field(default_factory=list)  # {id, seq, expected, oracle_status}
    test_runs: list[dict[str, Any]] = field(default_factory=list)
    verdict: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.verdict["status"]


# ---------------------------------------------------------------------------------------
# One generation
# ---------------------------------------------------------------------------------------


def _mode(subject: dict[str, Any]) -> str:
    return "program" if subject.get("kind") == "program" else "function"


def _task(code: str, entry_point: str | None, mode: str, text: str, coverage: bool = False) -> Task:
    if mode == "program":
        return Task(code=code, mode="program", stdin=text, coverage=coverage)
    return Task(code=code, entry_point=entry_point, mode="function", args=text,
                coverage=coverage)  # fmt: skip


def _parse_problem(code: str | None) -> str | None:
    """Why the code cannot even be parsed, or None. Parsing runs nothing."""
    if not code or not code.strip():
        return "there is no code"
    try:
        ast.parse(code)
    except SyntaxError as error:
        return f"SyntaxError: {error.msg} (line {error.lineno})"
    except (ValueError, RecursionError, MemoryError) as error:
        return f"{type(error).__name__}: the code cannot be parsed"
    return None


def _missing_entry(outcome: Outcome) -> bool:
    # The sandbox reports a missing entry point as a NameError with this wording; it is the
    # code's shape, not behaviour, so it never counts as an expected exception.
    return outcome.error_type == "NameError" and "entry point" in outcome.error


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= _MAX_STORED_CHARS:
        return text
    return text[:_MAX_STORED_CHARS] + f"… [{len(text) - _MAX_STORED_CHARS} more characters]"


# A function's recorded output is its return value's repr, followed, when the call changed
# its arguments in place, by this mark and the arguments after the call: a function that
# returns None and sorts its list shows what it did (see `split_output`).
ARGS_AFTER_MARK = "\n⤷ arguments after the call: "


@functools.lru_cache(maxsize=256)  # a pair's inputs, read for each of its runs
def _arguments(text: str) -> tuple[list[Any], dict[str, Any]] | None:
    """A test input's arguments as the call received them (never changed: cached)."""
    try:
        return parse_call_args(text)
    except ArgumentError:
        return None


def _arguments_text(args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    return ", ".join([*map(repr, args), *(f"{name}={value!r}" for name, value in kwargs.items())])


def shown_output(outcome: Outcome, input_text: str) -> str:
    """What a run returned, as recorded: the return value's repr (function) or standard
    output (program), and the arguments after the call when the call changed them."""
    after = outcome.args_after
    if outcome.mode != "function" or after is None:
        return outcome.output
    before = _arguments(input_text)
    args, kwargs = after
    if before is not None and (
        (list(args), kwargs) == (before[0], before[1])
        or compare_values((list(before[0]), before[1]), (list(args), kwargs))[0]
    ):
        return outcome.output
    return outcome.output + ARGS_AFTER_MARK + _arguments_text(args, kwargs)


def split_output(text: str | None) -> tuple[str | None, str | None]:
    """A recorded output as (return value, arguments after the call or None)."""
    if text is None or ARGS_AFTER_MARK not in text:
        return text, None
    value, _, arguments = text.rpartition(ARGS_AFTER_MARK)
    return value, arguments


def _run_row(
    case: dict[str, Any],
    side: str,
    attempt: int,
    status: str,
    outcome: Outcome,
    error: str | None = None,
) -> dict[str, Any]:
    return {
        "test_case_id": case["id"],
        "side": side,
        "attempt": attempt,
        "status": status,
        "output": _cut(shown_output(outcome, case["input"])) if outcome.status == "ok" else None,
        "error": _cut(error if error is not None else outcome.error) or None,
        "stdout": _cut(outcome.stdout) or None,
        "duration_ms": round(outcome.duration_ms, 3),
    }


def _not_run_row(case_id: str) -> dict[str, Any]:
    return {"test_case_id": case_id, "side": "generated", "attempt": 1, "status": NOT_RUN,
            "output": None, "error": "not run: the rewrite timed out on an earlier test",
            "stdout": None, "duration_ms": 0.0}  # fmt: skip


def _run_rewrite(pool: SandboxPool, tasks: list[Task], stop_at_timeout: bool) -> list[Outcome]:
    """The rewrite's outcomes, in task order. With `stop_at_timeout` the tasks run a
    worker's share at a time and stop after the first timeout: the list is then shorter
    than `tasks`, the rest not run."""
    if not stop_at_timeout:
        return pool.run_many(tasks)
    outcomes: list[Outcome] = []
    step = max(1, pool.limits.workers)
    for start in range(0, len(tasks), step):
        outcomes += pool.run_many(tasks[start : start + step])
        if any(o.status == "timeout" for o in outcomes[start:]):
            break
    return outcomes


def _classify_oracle(first: Outcome, second: Outcome) -> tuple[str, str]:
    """(oracle_status, reason) for one input from the original's two runs."""
    for outcome in (first, second):
        if outcome.status not in ("ok", "error"):
            return "unusable", outcome.status
        if _missing_entry(outcome):
            return "unusable", "missing entry point"
    equal, why = compare_outcomes(first, second)
    if not equal:
        return "flaky", why
    return ("ok" if first.ok else "raises"), ""


def oracle_on(subject: dict[str, Any], text: str, pool: SandboxPool) -> tuple[str, str]:
    """What the original of `subject` (a `validation_subjects` row) does on one input,
    run twice in the sandbox as the oracle runs it: ("ok", "") when it answers the same
    both times; ("raises", the exception as raised), ("flaky", how the runs differ), or
    the sandbox's status for a run that did not answer ("timeout", "memory", ...) with its
    error otherwise."""
    task = _task(subject.get("original_code") or "", subject.get("original_entry_point"),
                 _mode(subject), text)  # fmt: skip
    first, second = pool.run_many([task, task])
    status, reason = _classify_oracle(first, second)
    if status == "unusable":
        failed = next(o for o in (first, second) if o.status != "ok" or _missing_entry(o))
        return failed.status, failed.error or reason
    if status == "raises":
        return status, first.error or first.error_type or ""
    return status, reason


def _expected_text(outcome: Outcome) -> str:
    if outcome.ok:
        return _cut(outcome.output) or ""
    return f"raises: {outcome.error_type}"


def _observed(outcome: Outcome, input_text: str) -> str:
    """What one usable oracle run shows: its recorded output, or the exception raised."""
    return shown_output(outcome, input_text) if outcome.ok else _expected_text(outcome)


def _generated_status(expected: Outcome, actual: Outcome) -> tuple[str, str]:
    """(test run status, how it differs) for the rewrite on one usable input."""
    equal, reason = compare_outcomes(expected, actual)
    if equal:
        return "ok", ""
    if actual.status == "ok":
        return "wrong", reason
    if actual.status == "error":
        if expected.status == "error" and not _missing_entry(actual):
            return "wrong", reason  # a different exception type: behaviour differs
        return "error", actual.error or reason
    return actual.status, actual.error or reason


def _count_text(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counter.most_common())


def validate_generation(
    subject: dict[str, Any],
    test_cases: Sequence[dict[str, Any]],
    pool: SandboxPool,
    settings: ValidationSettings | None = None,
    mutant_pool: SandboxPool | None = None,
) -> ValidationResult:
    """Validate one generation; see the module docstring. `subject` is a row of
    `Store.generations_to_validate` / `validation_subjects`; `test_cases` its test cases
    (dicts with at least ``id``, ``position`` and ``input``). Touches no store.

    `mutant_pool`, when given, runs the mutants: a pool with a short timeout makes the
    many mutants that loop forever cheap. It is used only when every usable oracle run
    took at most a fifth of its timeout, so that a slow original's mutants are not
    "killed" by the short limit; otherwise mutants run in `pool`."""
    settings = settings or ValidationSettings()
    mode = _mode(subject)
    original = subject.get("original_code") or ""
    original_entry = subject.get("original_entry_point")
    generated = subject.get("code")
    generated_entry = subject.get("entry_point") or original_entry
    cases = sorted(test_cases, key=lambda c: c["position"])
    total = len(cases)
    signals: dict[str, Any] = {
        "total": total,
        "min_usable_tests": settings.min_usable_tests,
    }
    result = ValidationResult()

    def finish(status: str, reason: str, passed: int = 0, usable: int = 0) -> ValidationResult:
        signals["reason"] = reason
        result.verdict = {
            "passed": passed,
            "usable": usable,
            "total": total,
            "status": status,
            "test_strength": signals.get("test_strength"),
            "signals": signals,
            "difficulty": None,
        }
        return result

    # -- 1. the oracle ------------------------------------------------------------------
    problem = _parse_problem(original)
    if problem:
        result.oracle = [
            {"id": c["id"], "seq": c.get("seq"), "expected": None, "oracle_status": "unusable"}
            for c in cases
        ]
        signals.update(unusable=total, flaky=0, usable=0, unusable_reasons={"syntax": total})
        return finish("original_unusable", f"the original does not parse: {problem}")
    if not cases:
        signals.update(unusable=0, flaky=0, usable=0)
        # Input synthesis finds nothing for code the sandbox refuses; one run with no
        # input tells a refused original from one that merely lacks tests.
        probe = pool.run_many([_task(original, original_entry, mode, "")])[0]
        if probe.status in ("rejected", "violation"):
            signals["refused_side"] = "original"
            return finish("refused", f"the sandbox refused the original: {probe.error}")
        return finish("too_few_tests", "there are no test inputs")

    runs = pool.run_many(
        _task(original, original_entry, mode, c["input"]) for _attempt in (1, 2) for c in cases
    )
    first, second = runs[:total], runs[total:]
    signals["oracle_ms"] = round(sum(o.duration_ms for o in runs), 3)
    oracle_status: list[str] = []
    unusable_reasons: Counter[str] = Counter()
    for case, a1, a2 in zip(cases, first, second, strict=True):
        status, reason = _classify_oracle(a1, a2)
        oracle_status.append(status)
        if status == "unusable":
            unusable_reasons[reason] += 1
        result.oracle.append(
            {
                "id": case["id"],
                "seq": case.get("seq"),  # the store writes the answer by number
                "expected": _expected_text(a1) if status in _USABLE else None,
                "oracle_status": status,
            }
        )
        result.test_runs.append(_run_row(case, "original", 1, a1.status, a1))
        result.test_runs.append(_run_row(case, "original", 2, a2.status, a2))
    usable = [i for i, s in enumerate(oracle_status) if s in _USABLE]
    raising = sum(1 for s in oracle_status if s == "raises")
    signals.update(
        usable=len(usable),
        flaky=oracle_status.count("flaky"),
        unusable=oracle_status.count("unusable"),
        unusable_reasons=dict(unusable_reasons),
        raising=raising,
        # Tests that all expect one result (arguments after the call included) check
        # little of what the code does: a weak set, whatever the verdict.
        constant_outputs=len(usable) >= 2
        and len({_observed(first[i], cases[i]["input"]) for i in usable}) == 1,
    )
    if any(o.status == "rejected" for o in runs) or (unusable_reasons.get("violation", 0) == total):
        signals["refused_side"] = "original"
        refusal = next((o.error for o in runs if o.status in ("rejected", "violation")), "")
        return finish("refused", f"the sandbox refused the original: {refusal}")
    if not usable:
        detail = _count_text(unusable_reasons + Counter(flaky=oracle_status.count("flaky")))
        return finish("original_unusable", f"no usable test input ({detail})")
    if raising == len(usable):
        return finish(
            "original_unusable",
            f"the original raises on every usable input ({first[usable[0]].error_type})",
            usable=len(usable),
        )

    # -- 2. the rewrite -------------------------------------------------------------------
    problem = _parse_problem(generated)
    if problem:
        return finish("generated_error", f"the rewrite cannot run: {problem}", 0, len(usable))
    assert generated is not None
    tasks = [_task(generated, generated_entry, mode, cases[i]["input"]) for i in usable]
    outcomes = _run_rewrite(pool, tasks, settings.stop_at_first_timeout)
    signals["generated_ms"] = round(sum(o.duration_ms for o in outcomes), 3)
    signals["not_run"] = len(usable) - len(outcomes)
    for i in usable[len(outcomes) :]:
        result.test_runs.append(_not_run_row(cases[i]["id"]))
    failing: list[dict[str, Any]] = []
    failures: Counter[str] = Counter()
    passed = 0
    for i, outcome in zip(usable, outcomes, strict=False):
        status, reason = _generated_status(first[i], outcome)
        row_error = reason if status == "wrong" else None
        result.test_runs.append(_run_row(cases[i], "generated", 1, status, outcome, row_error))
        if status == "ok":
            passed += 1
            continue
        failures[status] += 1
        if len(failing) < _MAX_FAILING_LISTED:
            failing.append(
                {"position": cases[i]["position"], "status": status, "reason": reason[:300]}
            )
    signals["failing"] = failing
    signals["failures"] = dict(failures)

    # -- 3. the verdict -------------------------------------------------------------------
    if failures:
        if failures.get("rejected"):
            signals["refused_side"] = "generated"
            refusal = next(o.error for o in outcomes if o.status == "rejected")
            return finish(
                "refused", f"the sandbox refused the rewrite: {refusal}", passed, len(usable)
            )
        if any(_missing_entry(o) for o in outcomes):
            reason = f"the rewrite does not define {generated_entry!r}"
            return finish("generated_error", reason, passed, len(usable))
        first_fail = failing[0]
        where = f"test {first_fail['position']}: {first_fail['reason']}"
        if failures.get("wrong") or failures.get("invalid"):
            return finish(
                "mismatch", f"{_count_text(failures)}; first at {where}", passed, len(usable)
            )
        skipped = f"; {signals['not_run']} tests not run after it" if signals["not_run"] else ""
        return finish(
            "generated_error",
            f"the rewrite fails: {_count_text(failures)}; first at {where}{skipped}",
            passed,
            len(usable),
        )
    if len(usable) < settings.min_usable_tests:
        return finish(
            "too_few_tests",
            f"{len(usable)} usable tests, {settings.min_usable_tests} needed",
            passed,
            len(usable),
        )

    # -- 4. test strength -----------------------------------------------------------------
    if settings.test_strength and settings.mutant_budget > 0:
        mutants = generate_mutants(original, settings.mutant_budget, settings.mutant_seed)
        slowest_ms = max(max(first[i].duration_ms, second[i].duration_ms) for i in usable)
        fast_enough = (
            mutant_pool is not None and slowest_ms <= mutant_pool.limits.timeout_s * 1000 / 5
        )
        usable_texts = [cases[i]["input"] for i in usable]
        strength = measure_strength(
            mutants,
            original_entry,
            mode,
            usable_texts,
            [first[i] for i in usable],
            mutant_pool if fast_enough and mutant_pool is not None else pool,
        )
        value = strength.strength
        signals.update(
            test_strength=None if value is None else round(value, 4),
            weak_tests=None if value is None else value < settings.weak_tests_threshold,
            mutants_tried=strength.tried,
            mutants_killed=strength.killed,
            mutant_executions=strength.executions,
            mutants=strength.summary(),
            kills_by_input=_kills_by_input(strength, [cases[i]["position"] for i in usable]),
        )
        # Traced runs are several times slower: only an original far from the timeout is
        # traced, so that no traced run costs a timeout.
        if slowest_ms * _TRACE_SLOWDOWN <= pool.limits.timeout_s * 1000 / 2:
            signals.update(_branch_signals(original, original_entry, mode, usable_texts, pool))
    return finish("validated", f"all {len(usable)} usable tests passed", passed, len(usable))


def _kills_by_input(strength: StrengthResult, positions: list[int]) -> list[dict[str, int]]:
    """Which tests did the killing: per test position, the mutants it killed first, for
    the tests that killed any, most first."""
    kills = Counter(positions[r.killed_by] for r in strength.results if r.killed_by is not None)
    return [
        {"position": p, "killed": n}
        for p, n in sorted(kills.items(), key=lambda pn: (-pn[1], pn[0]))
    ]


def _branch_signals(
    code: str, entry_point: str | None, mode: str, texts: Sequence[str], pool: SandboxPool
) -> dict[str, int]:
    """How many of the original's branches (`semi_core.branches`) the tests take, of how
    many it has: one more run of the original per test, traced (tracing slows code down
    several times, so the oracle's own runs are not traced; a traced run that times out
    adds no branch). Code without branch points runs nothing."""
    branch_map = BranchMap(code)
    taken: set[tuple[int, bool]] = set()
    if branch_map.known:
        traced = pool.run_many(_task(code, entry_point, mode, t, coverage=True) for t in texts)
        taken = taken.union(*(branch_map.covered(o.arcs) for o in traced))
    return {"branches_covered": len(taken), "branches_known": branch_map.known}


# ---------------------------------------------------------------------------------------
# A second pool for mutants
# ---------------------------------------------------------------------------------------


@contextmanager
def mutant_pool_for(
    pool: SandboxPool, settings: ValidationSettings
) -> Iterator[SandboxPool | None]:
    """A second pool, like `pool` but with the mutant timeout, for the length of a loop
    (it starts on first use, so a loop without validated pairs never starts it); None
    when test strength is off or the timeout would not be shorter. Pass what it yields
    as `validate_generation(..., mutant_pool=...)`."""
    timeout = settings.mutant_timeout_s
    if not settings.test_strength or timeout is None or timeout >= pool.limits.timeout_s:
        yield None
        return
    # a short grace too: the pool waits timeout + grace before killing a silent worker
    limits = dataclasses.replace(
        pool.limits, timeout_s=timeout, kill_grace_s=min(pool.limits.kill_grace_s, 0.2)
    )
    mutant_pool = SandboxPool(limits)
    try:
        yield mutant_pool
    finally:
        mutant_pool.close()


def verdict_item(subject: dict[str, Any], result: ValidationResult) -> dict[str, Any]:
    """One validated pair as progress events carry it to live views."""
    verdict = result.verdict
    return {"generation_id": subject["id"], "status": verdict["status"],
            "passed": verdict["passed"], "usable": verdict["usable"]}  # fmt: skip
