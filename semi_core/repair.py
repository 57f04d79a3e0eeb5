"""The repair loop: a pair whose rewrite failed its tests goes back to the model.

A pair whose current verdict is `mismatch` or `generated_error` is shown to its backend
again (`Backend.repair`) with the original code, its rewrite and up to three failing
tests; the answer is stored as the pair's next attempt (`Store.add_attempt`) and
validated like any other, on the same tests (they come from the original). With N
attempts, a pair goes back to the model at most N times in all, over rounds: round r
repairs the pairs at their r-th attempt that still fail. Every attempt is kept, and the
pair's verdict is its latest usable attempt's.

Which pairs: those of the backend and model that wrote them, whose latest attempt has
been validated, and that no annotator edited (an edit is the annotator's to keep). So a
rerun with more attempts picks up where an earlier run stopped, and a run stopped between
storing a repair and validating it validates it first the next time.

`repair_pairs` is what `semi run` / `semi generate --repair-attempts N` and the Run page
call (through the pipeline); `attempts` and `attempt_diffs` are what Review shows.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from semi_core.generate.base import Backend, FailingTest, Generation, RepairTask, SnippetView
from semi_core.review import test_table
from semi_core.store import Store

if TYPE_CHECKING:
    from semi_core.engines import ValidationEngine

REPAIRABLE = ("mismatch", "generated_error")  # the verdicts a repair may turn around
PAGE_SIZE = 200  # pairs repaired, then validated, together (as other stages page)


def failing_tests(store: Store, row: dict[str, Any]) -> tuple[FailingTest, ...]:
    """The tests the pair's current verdict (`row`, a `Store.repair_candidates` row)
    failed, in order: the input, the original's output and the rewrite's, or its error."""
    verdict = {"id": row["verdict_id"], "run_id": row["run_id"], "signals": {}}
    failures = []
    for test in test_table(store, row["id"], verdict=verdict):
        if not test["failing"]:
            continue
        expected, actual = test["expected"], test["actual"]
        if test["status"] != "wrong":  # it raised, timed out, ...: what it said
            actual = test["error"] or actual
        if test["expected args after"] != test["actual args after"]:
            expected = f"{expected}; arguments after the call: {test['expected args after']}"
            actual = f"{actual}; arguments after the call: {test['actual args after']}"
        failures.append(FailingTest(test["input"], expected, actual, test["status"]))
    return tuple(failures)


def repair_task(store: Store, row: dict[str, Any]) -> RepairTask:
    """What the model is shown for one repairable pair (a `Store.repair_candidates` row)."""
    snippet = SnippetView(
        id=row["snippet_id"],
        code=row["original_code"],
        kind=row["kind"],
        entry_point=row["original_entry_point"],
        name=row.get("name"),
        flags=tuple(row.get("flags") or ()),
    )
    previous = Generation(row["instruction"], row["code"], row["entry_point"],
                          raw_response=row.get("raw_response") or "")  # fmt: skip
    return RepairTask(row["id"], snippet, previous, failing_tests(store, row),
                      row.get("reason") or row["verdict_status"])  # fmt: skip


def _attempt_row(backend: Backend, answer: Generation) -> dict[str, Any]:
    return {
        "prompt_hash": getattr(backend, "repair_hash", backend.prompt_hash),
        "instruction": answer.instruction,
        "code": answer.code,
        "entry_point": answer.entry_point,
        "raw_response": answer.raw_response,
        "usage": answer.usage,
        "status": answer.status,
        "error": answer.error,
    }


def has_work(store: Store, backend: Backend, attempts: int) -> bool:
    """Whether `repair_pairs` would find anything to do: a repair to validate, or a pair
    to repair (so that no validation engine is started for nothing)."""
    return bool(store.unvalidated_attempts(backend.name, backend.model)) or any(
        store.repair_candidates(backend.name, backend.model, number, REPAIRABLE, 1)
        for number in range(1, attempts + 1)
    )


def repair_pairs(
    store: Store,
    backend: Backend,
    engine: ValidationEngine,
    run_id: str,
    attempts: int,
    *,
    concurrency: int = 1,
    limit: int | None = None,
    on_answer: Callable[[bool, dict[str, Any]], None] | None = None,
    on_validated: Callable[[dict[str, Any]], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Up to `attempts` rounds of repair (see the module docstring), each round's answers
    validated with `engine` as validation run `<run_id>-repair<round>`; at most `limit`
    pairs a round. `on_answer(ok, item)` hears of each answer as it is stored, and
    `on_validated(item)` of each new verdict (as the validate stage's items). Returns
    ``{"requests", "failed", "repaired", "rounds", "statuses", "stopped", "ids"}``:
    `repaired` the pairs a repair turned validated, `statuses` the new verdicts, `ids`
    the pairs validated again."""
    from semi_core.engines import validate_stream
    from semi_core.validate import verdict_item

    if attempts > 0 and not backend.repairs:
        raise ValueError(f"the {backend.name} backend does not repair pairs")
    stop = should_stop or (lambda: False)
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    validated: list[str] = []
    stopped = False

    def validate(ids: Sequence[str], validation_run: str) -> None:
        nonlocal stopped
        if not ids:
            return

        def on_result(subject: dict[str, Any], result: Any) -> None:
            if on_validated is not None:
                on_validated(verdict_item(subject, result))

        pages = [store.validation_subjects(list(ids))]
        result = validate_stream(store, engine, validation_run, pages, on_result, stop)
        for status, n in result["statuses"].items():
            statuses[status] += n
        counts["repaired"] += result["statuses"].get("validated", 0)
        validated.extend(ids)
        stopped = stopped or result["stopped"]

    for number in range(1, attempts + 1):
        if stopped or stop():
            stopped = True
            break
        validation_run = f"{run_id}-repair{number}"
        # A repair stored but never validated (a run stopped in between) comes first.
        validate(store.unvalidated_attempts(backend.name, backend.model), validation_run)
        counts["rounds"] = number
        left, after = limit, None
        while not stopped and (left is None or left > 0):
            size = PAGE_SIZE if left is None else min(PAGE_SIZE, left)
            page = store.repair_candidates(backend.name, backend.model, number, REPAIRABLE,
                                           size, after)  # fmt: skip
            if not page:
                break
            after = (page[-1]["created_at"], page[-1]["id"])
            left = None if left is None else left - len(page)
            rows = {row["id"]: row for row in page}
            tasks = [repair_task(store, row) for row in page]
            usable = []
            for task, answer in backend.repair_many(tasks, concurrency):
                row = rows[task.generation_id]
                attempt = store.add_attempt(task.generation_id, _attempt_row(backend, answer),
                                            row["verdict_id"])  # fmt: skip
                counts["requests"] += 1
                counts["failed"] += answer.status != "ok"
                if answer.status == "ok":
                    usable.append(task.generation_id)
                if on_answer is not None:
                    on_answer(answer.status == "ok",
                              {"generation_id": task.generation_id, "snippet": row.get("name"),
                               "attempt": attempt, "status": answer.status,
                               "error": answer.error, "cached": answer.cached})  # fmt: skip
                if stop():
                    stopped = True
                    break
            if not stopped:
                validate(usable, validation_run)
    return {
        "requests": counts["requests"],
        "failed": counts["failed"],
        "repaired": counts["repaired"],
        "rounds": counts["rounds"],
        "statuses": {status: n for status, n in statuses.items() if n},
        "stopped": stopped,
        "ids": validated,
    }


def attempts(store: Store, generation_id: str) -> list[dict[str, Any]]:
    """A pair's attempts, first to last, each with its verdict (`Store.attempts`)."""
    return store.attempts(generation_id)


def attempt_diffs(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The unified diff of each attempt's code against the previous usable attempt's
    (rows as `attempts` gives them; "" for the first, and for a failed answer)."""
    diffs, previous = [], None
    for row in rows:
        if row["status"] != "ok" or previous is None:
            diffs.append("")
        else:
            before = (previous["code"] or "").splitlines(keepends=True)
            after = (row["code"] or "").splitlines(keepends=True)
            diffs.append("".join(difflib.unified_diff(
                before, after, f"attempt {previous['attempt']}", f"attempt {row['attempt']}"
            )))  # fmt: skip
        if row["status"] == "ok":
            previous = row
    return diffs
