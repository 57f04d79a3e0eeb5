"""Tests added by annotators: a person's own input for a pair, checked against the oracle.

`add_test` is what Review's "add a test input" box and `semi add-test` call. The input is
a Python literal argument list for a function (`[1, 2], 3` or `xs=[1]`), parsed here by
walking its syntax tree (literals only: nothing runs), or standard input for a program.
The original runs on it in the sandbox, twice, as the oracle does; only when it answers
the same both times is the test stored (origin ``annotator``) and the pair validated
again as a new validation run, so its earlier verdicts stay in its history. A review
event ``add-test`` records who added which input.

Bad input is refused with one sentence (`AddTestError`) before anything is stored: no
such pair, an annotator without a name, arguments for a program or stdin for a function,
text that is not a literal argument list, an input the pair already has, and an input
the original raises on, times out on, or answers differently on two runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from semi_core.sandbox import ArgumentError, SandboxPool, parse_call_args
from semi_core.store import Store
from semi_core.studio_settings import pipeline_settings
from semi_core.validate import oracle_on

if TYPE_CHECKING:
    from semi_core.pipeline import PipelineSettings

ANNOTATOR_ORIGIN = "annotator"
ADD_TEST_ACTION = "add-test"


class AddTestError(ValueError):
    """A test input that cannot be added, with a sentence for people."""


@dataclass(frozen=True)
class AddedTest:
    """What adding a test did: the new test case, what the original and the rewrite gave
    on it, and the pair's verdict before and after (a new validation run)."""

    pair_id: str
    test_case_id: str
    position: int
    input: str
    expected: str | None
    rewrite_status: str | None
    rewrite_output: str | None
    verdict_before: str | None
    verdict: str | None
    passed: int | None
    usable: int | None
    run_id: str
    event_id: int

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def sentence(self) -> str:
        """The result in one line, as the page and the command print it."""
        before = ""
        if self.verdict_before != self.verdict:
            before = f" (was {self.verdict_before or 'not validated'})"
        rewrite = {"ok": "agrees", None: "was not run"}.get(
            self.rewrite_status, f"differs ({self.rewrite_status})"
        )
        expected = (self.expected or "").rstrip("\n").replace("\n", "⏎")
        return (
            f"Test {self.position} added: the original gives {expected}, the rewrite "
            f"{rewrite}; verdict {self.verdict}{before}, {self.passed}/{self.usable} tests "
            "passed."
        )


def _canonical(text: str) -> str:
    """An argument list in one spelling, so that `[1,2]` and `[1, 2]` are one input."""
    args, kwargs = parse_call_args(text)
    return repr((args, sorted(kwargs.items())))


def _checked_input(kind: str, args: str | None, stdin: str | None) -> str:
    """The input text for a pair of this kind, or AddTestError."""
    if kind == "program":
        if args is not None:
            raise AddTestError(
                "this pair is a program that reads standard input: give --stdin, not --args"
            )
        if stdin is None:
            raise AddTestError("give the program's standard input (--stdin)")
        return stdin
    if stdin is not None:
        raise AddTestError("this pair is a function: give its arguments (--args), not --stdin")
    if args is None or not args.strip():
        raise AddTestError("give the function's arguments as a Python literal list, e.g. [1, 2], 3")
    text = args.strip()
    try:
        _canonical(text)
    except ArgumentError as error:
        raise AddTestError(f"not a literal argument list ({error}): use literals only, "
                           "e.g. [1, 2], 3 or xs=[1]") from None  # fmt: skip
    return text


def _same_input(kind: str, first: str, second: str) -> bool:
    if kind == "program":
        return first == second
    try:
        return _canonical(first) == _canonical(second)
    except ArgumentError:
        return first.strip() == second.strip()


def add_test(
    store: Store,
    pair_id: str,
    annotator: str,
    args: str | None = None,
    stdin: str | None = None,
    settings: PipelineSettings | None = None,
    pool: SandboxPool | None = None,
) -> AddedTest:
    """Add an annotator's test input to a pair and validate the pair again (see the module
    docstring). `settings` are the run's (the studio's saved ones by default); `pool`
    runs the original and the revalidation (one is started for the call when None).
    Raises AddTestError, having stored nothing, for bad input."""
    from semi_core.pipeline import run_pipeline

    name = (annotator or "").strip()
    if not name:
        raise AddTestError("an annotator name is needed to add a test")
    subjects = store.validation_subjects([pair_id])
    if not subjects:
        raise AddTestError(f"no pair with id {pair_id!r}")
    subject = subjects[0]
    if not (subject.get("code") or "").strip():
        raise AddTestError("the pair has no generated code to test (its generation failed)")
    kind = "program" if subject.get("kind") == "program" else "function"
    text = _checked_input(kind, args, stdin)
    if any(_same_input(kind, text, case["input"]) for case in store.test_cases(pair_id)):
        raise AddTestError(f"the pair already has the test input {text!r}")
    if settings is None:
        settings = pipeline_settings(store)
    own_pool = pool is None
    pool = pool or SandboxPool(settings.limits())
    try:
        status, reason = oracle_on(subject, text, pool)
        if status != "ok":
            raise AddTestError(_refusal(status, reason))
        before = store.latest_verdict(pair_id)
        case = store.add_test_case(pair_id, text, ANNOTATOR_ORIGIN)
        event_id = store.add_review_event(
            pair_id, name, ADD_TEST_ACTION, payload={"input": text, "test_case_id": case["id"]}
        )
        result = run_pipeline(store, settings, stages=("validate",), generation_ids=[pair_id],
                              pool=pool)  # fmt: skip
    finally:
        if own_pool:
            pool.close()
    verdict = store.latest_verdict(pair_id)
    runs = store.test_runs(verdict["run_id"], pair_id) if verdict else []
    mine = [run for run in runs if run["position"] == case["position"]]
    rewrite = next((run for run in mine if run["side"] == "generated"), None)
    return AddedTest(
        pair_id=pair_id,
        test_case_id=case["id"],
        position=case["position"],
        input=text,
        expected=mine[0]["expected"] if mine else None,
        rewrite_status=rewrite["status"] if rewrite else None,
        rewrite_output=rewrite["output"] if rewrite else None,
        verdict_before=before["status"] if before else None,
        verdict=verdict["status"] if verdict else None,
        passed=verdict["passed"] if verdict else None,
        usable=verdict["usable"] if verdict else None,
        run_id=result.run_id,
        event_id=event_id,
    )


_REFUSALS = {
    "raises": "the original raises {reason} on this input, so it gives no output to test "
    "the rewrite against",
    "flaky": "the original gives different answers on this input on two runs ({reason}), "
    "so it cannot be the oracle for it",
    "timeout": "the original does not finish on this input within the time limit",
    "memory": "the original runs out of memory on this input",
}


def _refusal(status: str, reason: str) -> str:
    template = _REFUSALS.get(status, "the original cannot run on this input ({reason})")
    return template.format(reason=reason)
