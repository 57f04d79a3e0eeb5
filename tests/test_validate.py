"""Validation against a real DuckDB file and real sandbox workers: the oracle, the
comparison in context, every verdict status, revalidation history, test strength."""

from __future__ import annotations

import textwrap

import pytest

from semi_core.engines import driver as driver_module
from semi_core.engines import (
    make_engine,
    pending_pages,
    revalidate,
    select_for_revalidation,
    validate_pending,
)
from semi_core.sandbox import Limits, SandboxPool
from semi_core.store import Store, content_id
from semi_core.validate import VERDICT_STATUSES, ValidationSettings, validate_generation

from .conftest import memory_limit_mib

NO_MUTANTS = ValidationSettings(test_strength=False)


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=0.5, workers=2, max_tasks_per_worker=500)) as p:
        yield p


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def add_pair(
    store: Store,
    original: str,
    generated: str | None,
    inputs: list[str],
    *,
    entry: str | None = "f",
    kind: str = "function",
    name: str = "pair",
) -> str:
    """One snippet, one generation with its test inputs; returns the generation id."""
    original, generated = code(original), code(generated) if generated else generated
    snippet_id = content_id(name, original)
    store.add_snippets(
        [{"id": snippet_id, "source": "tests", "path": f"{name}.py", "line": 1, "name": name,
          "kind": kind, "entry_point": entry if kind == "function" else None,
          "language": "python", "code": original, "flags": []}]
    )  # fmt: skip
    generation_id = content_id(snippet_id, "test-backend")
    store.add_generation(
        {"id": generation_id, "snippet_id": snippet_id, "backend": "test", "model": None,
         "prompt_hash": "p", "instruction": f"Write {entry}.", "code": generated,
         "entry_point": entry, "status": "ok"},
        [(text, "llm") for text in inputs],
    )  # fmt: skip
    return generation_id


def validate_one(store: Store, pool: SandboxPool, generation_id: str, run_id: str = "run1",
                 settings: ValidationSettings = NO_MUTANTS) -> dict:  # fmt: skip
    seen = []
    revalidate(
        store,
        pool,
        [generation_id],
        run_id,
        settings,
        on_result=lambda subject, result: seen.append((subject["id"], result.status)),
    )
    [(subject_id, status)] = seen
    assert subject_id == generation_id
    latest = store.latest_verdict(generation_id)
    assert latest["status"] == status
    return latest


def runs_by_side(store: Store, run_id: str, generation_id: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in store.test_runs(run_id, generation_id):
        out.setdefault(row["side"], []).append(row)
    return out


ABS = """
def f(x):
    if x < 0:
        return -x
    return x
"""


# --- the comparison in context ------------------------------------------------------


def test_matching_rewrite_is_validated_and_every_run_is_stored(store, pool):
    gid = add_pair(store, ABS, "def f(x):\n    return abs(x)\n", ["1", "-2", "0", "5.5", "-7"])
    verdict = validate_one(store, pool, gid)
    assert (verdict["status"], verdict["passed"], verdict["usable"], verdict["total"]) == (
        "validated", 5, 5, 5,
    )  # fmt: skip
    runs = runs_by_side(store, "run1", gid)
    assert len(runs["original"]) == 10  # every input twice
    assert {r["attempt"] for r in runs["original"]} == {1, 2}
    assert [r["status"] for r in runs["generated"]] == ["ok"] * 5
    cases = store.test_cases(gid)
    assert [c["expected"] for c in cases] == ["1", "2", "0", "5.5", "7"]
    assert {c["oracle_status"] for c in cases} == {"ok"}
    assert verdict["signals"]["flaky"] == 0 and verdict["signals"]["unusable"] == 0


def test_wrong_rewrite_is_a_mismatch_with_the_failing_tests_visible(store, pool):
    gid = add_pair(store, ABS, "def f(x):\n    return x\n", ["1", "-2", "0", "-7"])
    verdict = validate_one(store, pool, gid)
    assert verdict["status"] == "mismatch"
    assert (verdict["passed"], verdict["usable"]) == (2, 4)
    failing = verdict["signals"]["failing"]
    assert [f["position"] for f in failing] == [1, 3]
    assert failing[0]["reason"] == "expected 2, got -2"
    generated = {r["position"]: r for r in runs_by_side(store, "run1", gid)["generated"]}
    assert generated[1]["status"] == "wrong" and generated[1]["output"] == "-2"
    assert generated[1]["error"] == "expected 2, got -2"  # how it differs
    assert generated[0]["status"] == "ok"


def test_floats_within_tolerance_and_in_place_mutation_count(store, pool):
    original = """
    def f(xs):
        xs.sort()
        return sum(xs) / 10
    """
    same = "def f(xs):\n    xs.sort()\n    return sum(x / 10 for x in xs)\n"
    forgets_sort = "def f(xs):\n    return sum(xs) / 10\n"
    inputs = ["[3, 1, 2]", "[0.1, 0.2]", "[5]"]
    assert validate_one(store, pool, add_pair(store, original, same, inputs))["status"] == (
        "validated"
    )
    verdict = validate_one(store, pool, add_pair(store, original, forgets_sort, inputs, name="b"))
    assert verdict["status"] == "mismatch"
    assert "arguments after the call differ" in verdict["signals"]["failing"][0]["reason"]


def test_program_mode_compares_standard_output(store, pool):
    original = "n = int(input())\nprint(n * 2)\n"
    inputs = ["1", "2", "3\n", "x"]
    good = add_pair(store, original, "print(2 * int(input()))   \n", inputs, entry=None,
                    kind="program")  # fmt: skip
    bad = add_pair(store, original, "print(int(input()) + 2)\n", inputs, entry=None,
                   kind="program", name="bad")  # fmt: skip
    verdict = validate_one(store, pool, good)
    assert verdict["status"] == "validated"
    assert verdict["signals"]["raising"] == 1  # int('x') raises ValueError on both sides
    assert store.test_cases(good)[0]["expected"] == "2\n"
    assert store.test_cases(good)[3]["expected"] == "raises: ValueError"
    verdict = validate_one(store, pool, bad)
    assert verdict["status"] == "mismatch"
    assert verdict["signals"]["failing"][0]["reason"].startswith("output line 1")


# --- the oracle -----------------------------------------------------------------------


def test_flaky_inputs_are_marked_and_excluded(store, pool):
    # Every test runs in a fresh namespace and `random` is reseeded, but the clock moves:
    # two runs of the original on a negative input never agree.
    original = """
    import time
    def f(x):
        if x < 0:
            return time.perf_counter_ns()
        return x * 2
    """
    gid = add_pair(store, original, "def f(x):\n    return 2 * x\n", ["1", "-1", "2", "3", "-5"])
    verdict = validate_one(store, pool, gid)
    assert verdict["status"] == "validated"
    assert (verdict["usable"], verdict["total"], verdict["signals"]["flaky"]) == (3, 5, 2)
    cases = store.test_cases(gid)
    assert [c["oracle_status"] for c in cases] == ["ok", "flaky", "ok", "ok", "flaky"]
    assert cases[1]["expected"] is None
    generated = runs_by_side(store, "run1", gid)["generated"]
    assert sorted(r["position"] for r in generated) == [0, 2, 3]  # flaky ones not run


def test_oracle_exceptions_are_expected_outcomes(store, pool):
    original = """
    def f(x):
        if x < 0:
            raise ValueError(f"negative: {x}")
        return x + 1
    """
    inputs = ["1", "-1", "2", "-3"]
    same_type = "def f(x):\n    if x < 0:\n        raise ValueError('no')\n    return x + 1\n"
    other_type = "def f(x):\n    if x < 0:\n        raise TypeError('no')\n    return x + 1\n"
    returns = "def f(x):\n    return x + 1\n"
    verdict = validate_one(store, pool, add_pair(store, original, same_type, inputs))
    assert verdict["status"] == "validated"
    assert verdict["signals"]["raising"] == 2
    gid = add_pair(store, original, other_type, inputs, name="other")
    verdict = validate_one(store, pool, gid)
    assert verdict["status"] == "mismatch" and verdict["passed"] == 2
    assert verdict["signals"]["failing"][0]["reason"] == "expected ValueError, got TypeError"
    assert [c["expected"] for c in store.test_cases(gid)][:2] == ["2", "raises: ValueError"]
    verdict = validate_one(store, pool, add_pair(store, original, returns, inputs, name="ret"))
    assert verdict["status"] == "mismatch"
    assert verdict["signals"]["failing"][0]["reason"] == "expected ValueError, got 0"


def test_rewrite_raising_where_the_original_returns_is_a_generated_error(store, pool):
    broken = "def f(x):\n    if x < 0:\n        return -x\n    return x.missing\n"
    verdict = validate_one(store, pool, add_pair(store, ABS, broken, ["1", "-2", "3"]))
    assert verdict["status"] == "generated_error"
    assert verdict["signals"]["failures"] == {"error": 2}
    runs = runs_by_side(store, "run1", verdict["generation_id"])["generated"]
    assert [r["status"] for r in runs] == ["error", "ok", "error"]
    assert "AttributeError" in runs[0]["error"]


@pytest.mark.parametrize(
    "generated, why",
    [
        ("def f(x):\n    return (x\n", "SyntaxError"),
        ("def g(x):\n    return abs(x)\n", "does not define 'f'"),
        (None, "there is no code"),
    ],
)
def test_rewrite_that_cannot_run_is_a_generated_error(store, pool, generated, why):
    verdict = validate_one(store, pool, add_pair(store, ABS, generated, ["1", "-2", "3"]))
    assert verdict["status"] == "generated_error"
    assert why in verdict["signals"]["reason"]


def test_too_few_usable_tests(store, pool):
    rewrite = "def f(x):\n    return abs(x)\n"
    two = add_pair(store, ABS, rewrite, ["1", "-2"])
    verdict = validate_one(store, pool, two)
    assert (verdict["status"], verdict["passed"], verdict["usable"]) == ("too_few_tests", 2, 2)
    assert validate_one(store, pool, two, "run2", ValidationSettings(min_usable_tests=2,
                        test_strength=False))["status"] == "validated"  # fmt: skip
    none = add_pair(store, ABS, rewrite, [], name="none")
    verdict = validate_one(store, pool, none)
    assert verdict["status"] == "too_few_tests" and verdict["total"] == 0


@pytest.mark.parametrize(
    "original",
    [
        "from _heapq import heapify\n\ndef f(x):\n    return x\n",  # refused when compiled
        "import socket\n\ndef f(x):\n    return x\n",  # refused when run
    ],
)
def test_refused_original_without_inputs_is_refused(store, pool, original):
    gid = add_pair(store, original, "def f(x):\n    return x\n", [], name="refused")
    verdict = validate_one(store, pool, gid)
    assert verdict["status"] == "refused" and verdict["total"] == 0
    assert verdict["signals"]["refused_side"] == "original"


def test_original_that_times_out_everywhere_is_unusable(store, pool):
    original = """
    def f(x):
        while x > 0:
            x += 1
        return x
    """
    gid = add_pair(store, original, "def f(x):\n    return x\n", ["1", "2", "3"])
    verdict = validate_one(store, pool, gid)
    assert verdict["status"] == "original_unusable"
    assert verdict["signals"]["unusable_reasons"] == {"timeout": 3}
    assert {c["oracle_status"] for c in store.test_cases(gid)} == {"unusable"}
    runs = runs_by_side(store, "run1", gid)
    assert {r["status"] for r in runs["original"]} == {"timeout"}
    assert "generated" not in runs


def test_original_that_raises_on_every_input_is_unusable(store, pool):
    # e.g. inputs of the wrong shape: a rewrite raising the same TypeError proves nothing
    original = "def f(a, b):\n    return a + b\n"
    verdict = validate_one(store, pool, add_pair(store, original, original, ["1", "2", "3"]))
    assert verdict["status"] == "original_unusable"
    assert "raises on every usable input (TypeError)" in verdict["signals"]["reason"]


def test_some_unusable_inputs_are_excluded_but_the_rest_counts(store, pool):
    original = """
    def f(x):
        while x < 0:
            pass
        return x
    """
    gid = add_pair(store, original, "def f(x):\n    return x\n", ["1", "-1", "2", "3", "(("])
    verdict = validate_one(store, pool, gid)
    assert verdict["status"] == "validated"
    assert verdict["signals"]["unusable_reasons"] == {"timeout": 1, "invalid": 1}
    assert (verdict["usable"], verdict["total"]) == (3, 5)


def test_code_refused_by_the_policy(store, pool):
    refused = "def f(x):\n    return x.__globals__\n"
    verdict = validate_one(store, pool, add_pair(store, refused, ABS, ["1", "2", "3"]))
    assert verdict["status"] == "refused"
    assert verdict["signals"]["refused_side"] == "original"
    verdict = validate_one(store, pool, add_pair(store, ABS, refused, ["1", "2", "3"], name="r"))
    assert verdict["status"] == "refused"
    assert verdict["signals"]["refused_side"] == "generated"
    assert "policy" in verdict["signals"]["reason"]
    # a runtime violation on every input (here: a forbidden import) refuses the original too
    hostile = "import subprocess\ndef f(x):\n    return x\n"
    verdict = validate_one(store, pool, add_pair(store, hostile, ABS, ["1", "2"], name="h"))
    assert verdict["status"] == "refused"
    assert "subprocess" in verdict["signals"]["reason"]


def test_original_that_does_not_parse_is_unusable(pool):
    subject = {"id": "g", "code": "def f(x):\n    return x\n", "entry_point": "f",
               "original_code": "def f(x)\n    return x\n", "original_entry_point": "f",
               "kind": "function"}  # fmt: skip
    cases = [{"id": "c", "position": 0, "input": "1"}]
    result = validate_generation(subject, cases, pool, NO_MUTANTS)
    assert result.status == "original_unusable"
    assert result.oracle == [
        {"id": "c", "seq": None, "expected": None, "oracle_status": "unusable"}
    ]
    assert result.test_runs == []


# --- store loops: pending, resumed, stopped, revalidated ------------------------------------


def test_validate_pending_resumes_and_reports(store, pool):
    rewrite = "def f(x):\n    return abs(x)\n"
    ids = [add_pair(store, ABS, rewrite, ["1", "-2", "3"], name=f"p{i}") for i in range(3)]
    seen = []
    counts = validate_pending(store, pool, "first", NO_MUTANTS, limit=1,
                              on_result=lambda s, r: seen.append((s["id"], r.status)))  # fmt: skip
    assert counts["validated_total"] == 1 and counts["statuses"]["validated"] == 1
    assert len(seen) == 1 and seen[0][1] == "validated"
    counts = validate_pending(store, pool, "second", NO_MUTANTS, should_stop=lambda: True)
    assert counts == {"validated_total": 0, "statuses": dict.fromkeys(VERDICT_STATUSES, 0),
                      "stopped": True}  # fmt: skip
    counts = validate_pending(store, pool, "second", NO_MUTANTS)
    assert counts["validated_total"] == 2 and not counts["stopped"]
    assert validate_pending(store, pool, "third", NO_MUTANTS)["validated_total"] == 0
    assert {v["generation_id"] for v in store.current_verdicts(["validated"])} == set(ids)


def test_revalidation_after_an_edit_keeps_the_history(store, pool):
    gid = add_pair(store, ABS, "def f(x):\n    return x\n", ["1", "-2", "3", "-4"])
    validate_pending(store, pool, "before", NO_MUTANTS)
    assert store.latest_verdict(gid)["status"] == "mismatch"
    assert select_for_revalidation(store, statuses=["mismatch"]) == [gid]

    store.update_generation(
        gid, "Return the absolute value of x.", "def f(x):\n    return abs(x)\n"
    )
    counts = revalidate(store, pool, [gid], "after", NO_MUTANTS)
    assert counts["statuses"]["validated"] == 1 and counts["run_id"] == "after"

    history = store.verdict_history(gid)
    assert [(v["run_id"], v["status"]) for v in history] == [
        ("before", "mismatch"), ("after", "validated"),
    ]  # fmt: skip
    latest = store.latest_verdict(gid)
    assert (latest["run_id"], latest["status"], latest["passed"]) == ("after", "validated", 4)
    assert [v["status"] for v in store.current_verdicts() if v["generation_id"] == gid] == [
        "validated"
    ]
    # the first run's test runs are still there, showing what failed then
    old = runs_by_side(store, "before", gid)["generated"]
    assert [r["status"] for r in old] == ["ok", "wrong", "ok", "wrong"]
    assert [r["status"] for r in runs_by_side(store, "after", gid)["generated"]] == ["ok"] * 4
    assert select_for_revalidation(store, statuses=["mismatch"]) == []
    # a revalidation without a run id gets a fresh one: history grows
    assert revalidate(store, pool, [gid], settings=NO_MUTANTS)["run_id"] not in ("before", "after")
    assert len(store.verdict_history(gid)) == 3


def test_recording_a_pair_again_in_the_same_run_replaces_its_whole_record(store):
    gid = add_pair(store, ABS, ABS, ["-1", "2", "3"])
    cases = store.test_cases(gid)

    def record(statuses: list[str], verdict_status: str) -> None:
        runs = [
            {"test_case_id": case["id"], "side": "generated", "attempt": 1, "status": status}
            for case, status in zip(cases, statuses, strict=False)
        ]
        verdict = {"passed": statuses.count("ok"), "usable": len(statuses),
                   "total": len(cases), "status": verdict_status}  # fmt: skip
        store.record_validations("same", [(gid, [], runs, verdict)])

    record(["wrong", "ok", "wrong"], "mismatch")
    record(["ok"], "too_few_tests")  # the same run id again, with fewer test runs

    assert [(v["run_id"], v["status"]) for v in store.verdict_history(gid)] == [
        ("same", "too_few_tests")
    ]
    assert [(r["position"], r["status"]) for r in store.test_runs("same", gid)] == [(0, "ok")]


# --- test strength ---------------------------------------------------------------------

STEP = """
def f(x):
    if x > 10:
        return x * 2
    return x - 3
"""


def test_strong_tests_kill_most_mutants(store, pool):
    gid = add_pair(store, STEP, "def f(x):\n    return 2 * x if x > 10 else x - 3\n",
                   ["10", "11", "12", "0", "-5"])  # fmt: skip
    verdict = validate_one(store, pool, gid, settings=ValidationSettings())
    signals = verdict["signals"]
    assert verdict["status"] == "validated"
    assert signals["mutants_tried"] >= 6
    assert verdict["test_strength"] == signals["test_strength"] >= 0.85
    assert signals["weak_tests"] is False
    assert all("change" in m and "killed" in m for m in signals["mutants"])


def test_weak_tests_get_low_strength_and_the_flag(store, pool):
    gid = add_pair(store, STEP, "def f(x):\n    return x - 3\n", ["0", "1", "2"])
    verdict = validate_one(store, pool, gid, settings=ValidationSettings())
    signals = verdict["signals"]
    assert verdict["status"] == "validated"  # the rewrite is wrong above 10: no test sees it
    assert verdict["test_strength"] < 0.5
    assert signals["weak_tests"] is True
    assert signals["mutants_killed"] < signals["mutants_tried"]
    survivors = [m["change"] for m in signals["mutants"] if not m["killed"]]
    assert "line 2: > → >=" in survivors
    assert select_for_revalidation(store, weak_tests=True) == [gid]
    assert select_for_revalidation(store, max_test_strength=0.5) == [gid]


def test_mutant_budget_and_switch(store, pool):
    gid = add_pair(store, STEP, STEP, ["10", "11", "12", "0", "-5"])
    verdict = validate_one(store, pool, gid, settings=ValidationSettings(mutant_budget=3))
    assert verdict["signals"]["mutants_tried"] == 3
    verdict = validate_one(store, pool, gid, "off", NO_MUTANTS)
    assert verdict["test_strength"] is None and "mutants_tried" not in verdict["signals"]


def test_looping_mutants_are_killed_in_the_short_timeout_pool(store, pool):
    counting = """
    def f(n):
        i = 0
        while i < n:
            i += 1
        return i * 2
    """
    gid = add_pair(store, counting, "def f(n):\n    return 2 * max(n, 0)\n", ["0", "3", "5"])
    settings = ValidationSettings(mutant_timeout_s=0.1)  # shorter than the pool's 0.5 s
    validate_pending(store, pool, "run1", settings)
    signals = store.latest_verdict(gid)["signals"]
    looping = [m for m in signals["mutants"] if m["change"] == "line 4: += → -="]
    assert looping == [{"index": looping[0]["index"], "operator": "arith", "line": 4,
                        "change": "line 4: += → -=", "killed": True, "killed_by": 1}]  # fmt: skip
    assert signals["test_strength"] >= 0.7


def test_pending_pages_never_repeat_a_pair_still_in_flight(store):
    ids = [add_pair(store, ABS, ABS, ["1"], name=f"p{i}") for i in range(7)]
    # nothing is recorded between pages, as when earlier pages are still being validated
    pages = list(pending_pages(store, page_size=3))
    assert [len(page) for page in pages] == [3, 3, 1]
    seen = [row["id"] for page in pages for row in page]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 7
    assert [len(p) for p in pending_pages(store, limit=4, page_size=3)] == [3, 1]
    assert store.count_generations_to_validate() == 7


def test_a_validation_run_bounds_duckdbs_memory_and_gives_the_limit_back(store, pool):
    # DuckDB caches every block it writes up to its memory limit (most of the machine by
    # default): during a run the limit is lowered so stored test runs are not kept.
    rewrite = "def f(x):\n    return abs(x)\n"
    for i in range(2):
        add_pair(store, ABS, rewrite, ["1", "-2", "3"], name=f"p{i}")
    store.cursor().execute("SET memory_limit = '5GiB'")
    during = []
    validate_pending(
        store, pool, "run1", NO_MUTANTS,
        on_result=lambda *_: during.append(memory_limit_mib(store)),
    )  # fmt: skip
    assert len(during) == 2
    assert all(mib <= store.WORK_CACHE_MB + 200 for mib in during), during
    assert memory_limit_mib(store) == 5120

    # given back too when a run ends in an error
    add_pair(store, ABS, rewrite, ["1"], name="p2")

    def fail(*_):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError):
        validate_pending(store, pool, "run2", NO_MUTANTS, on_result=fail)
    assert memory_limit_mib(store) == 5120


def _recorded_batches(store: Store, monkeypatch) -> list[int]:
    """The size of every batch `store` records from here on."""
    sizes: list[int] = []
    record = store.record_validations

    def spy(run_id, validations):
        sizes.append(len(validations))
        return record(run_id, validations)

    monkeypatch.setattr(store, "record_validations", spy)
    return sizes


def test_batches_grow_while_pairs_come_back_fast_and_keep_a_size_given(store, pool, monkeypatch):
    rewrite = "def f(x):\n    return abs(x)\n"
    for i in range(80):
        add_pair(store, ABS, rewrite, ["1", "-2", "3"], name=f"p{i}")
    sizes = _recorded_batches(store, monkeypatch)
    # Any pace fills a batch meant to last ten minutes: batches grow to the largest.
    monkeypatch.setattr(driver_module, "BATCH_SECONDS", 600.0)
    with make_engine("local", NO_MUTANTS, pool.limits) as engine:
        counts = validate_pending(store, pool, "fast", NO_MUTANTS, limit=60, engine=engine)
        first, largest = engine.batch_size, engine.largest_batch
    assert counts["statuses"]["validated"] == 60 and sum(sizes) == 60
    # the first batches are small (the first pairs show at once), later ones the largest
    assert sizes[0] == first < largest == max(sizes), sizes
    assert len(sizes) < 60 / first

    # A pace too slow for a bigger batch, or a size given to the engine: batches keep it.
    sizes.clear()
    monkeypatch.setattr(driver_module, "BATCH_SECONDS", 1e-6)
    validate_pending(store, pool, "slow", NO_MUTANTS, limit=10)
    assert sizes == [4, 4, 2]
    sizes.clear()
    monkeypatch.setattr(driver_module, "BATCH_SECONDS", 600.0)
    with make_engine("local", NO_MUTANTS, pool.limits, batch_size=3) as engine:
        validate_pending(store, pool, "given", NO_MUTANTS, limit=10, engine=engine)
    assert sizes == [3, 3, 3, 1]
