"""A function that changes its argument and returns None (bisect.insort_right) shows
what it did to the argument, expected beside actual; a pair whose tests all expect one
and the same result is flagged `constant_outputs` and can be filtered for in Review."""

from __future__ import annotations

import pytest

from semi_core import review
from semi_core.sandbox import Limits, SandboxPool
from semi_core.store import Store

from .test_app import review as review_page
from .test_app import shown_pair, table_with, texts
from .test_validate import add_pair, validate_one

INSORT = """
def f(items, x):
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if x < items[mid]:
            hi = mid
        else:
            lo = mid + 1
    items.insert(lo, x)
"""
INSORT_REWRITE = "def f(items, x):\n    items.append(x)\n    items.sort()\n"
APPENDS_ONLY = "def f(items, x):\n    items.append(x)\n"
INPUTS = ["[1, 3, 5], 4", "[], 1", "[2, 2], 2", "[9], 0"]
ALWAYS_TRUE = "def f(x):\n    return True\n"


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=2.0, workers=2)) as opened:
        yield opened


def test_the_test_table_shows_the_argument_after_the_call_expected_beside_actual(store, pool):
    pair = add_pair(store, INSORT, INSORT_REWRITE, INPUTS)
    verdict = validate_one(store, pool, pair)
    assert verdict["status"] == "validated"
    rows = review.test_table(store, pair)
    assert [row["expected"] for row in rows] == ["None"] * 4
    assert [row["expected args after"] for row in rows] == [
        "[1, 3, 4, 5], 4", "[1], 1", "[2, 2, 2], 2", "[0, 9], 0"]  # fmt: skip
    assert [row["actual args after"] for row in rows] == [
        row["expected args after"] for row in rows
    ]
    assert verdict["signals"]["constant_outputs"] is False  # the arguments differ


def test_a_rewrite_that_leaves_the_argument_wrong_fails_where_it_shows(store, pool):
    pair = add_pair(store, INSORT, APPENDS_ONLY, INPUTS)
    assert validate_one(store, pool, pair)["status"] == "mismatch"
    first = review.test_table(store, pair)[0]
    assert first["failing"] and first["status"] == "wrong"
    assert (first["expected"], first["actual"]) == ("None", "None")
    assert (first["expected args after"], first["actual args after"]) == (
        "[1, 3, 4, 5], 4", "[1, 3, 5, 4], 4")  # fmt: skip


def test_arguments_a_call_leaves_alone_are_not_repeated(store, pool):
    pair = add_pair(store, "def f(x):\n    return x + 1\n", "def f(x):\n    return 1 + x\n",
                    ["1", "2", "3"])  # fmt: skip
    assert validate_one(store, pool, pair)["status"] == "validated"
    rows = review.test_table(store, pair)
    assert [row["actual"] for row in rows] == ["2", "3", "4"]
    assert {row["expected args after"] for row in rows} == {None}
    assert {row["actual args after"] for row in rows} == {None}


def test_tests_that_all_expect_one_value_are_flagged_and_filtered(store, pool):
    constant = add_pair(store, ALWAYS_TRUE, ALWAYS_TRUE, ["1", "2", "'a'"], name="always")
    varied = add_pair(store, INSORT, INSORT_REWRITE, INPUTS, name="insort")
    assert validate_one(store, pool, constant)["signals"]["constant_outputs"] is True
    assert validate_one(store, pool, varied)["signals"]["constant_outputs"] is False
    ids, total = store.review_queue_ids("ann", constant_outputs=True)
    assert (ids, total) == ([constant], 1)
    assert set(store.review_queue_ids("ann")[0]) == {constant, varied}


def test_review_shows_the_arguments_after_the_call_and_flags_constant_tests(
    monkeypatch, db_path, pool
):
    with Store(db_path) as store:
        insort = add_pair(store, INSORT, INSORT_REWRITE, INPUTS, name="insort")
        constant = add_pair(store, ALWAYS_TRUE, ALWAYS_TRUE, ["1", "2", "'a'"], name="always")
        validate_one(store, pool, insort)
        validate_one(store, pool, constant)
    app = review_page(monkeypatch, db_path)
    assert shown_pair(app) == insort  # the queue's first
    shown = table_with(app, "expected", "actual", "expected args after", "actual args after")
    assert shown["expected args after"].tolist() == shown["actual args after"].tolist() == [
        "[1, 3, 4, 5], 4", "[1], 1", "[2, 2, 2], 2", "[0, 9], 0"]  # fmt: skip
    assert "expect one and the same" not in texts(app.warning)

    app.session_state["f_open"] = True  # the filters' box, opened
    app.run()
    app.checkbox(key="f_constant").check().run()
    assert not app.exception
    assert shown_pair(app) == constant
    assert "3 tests expect one and the same result" in texts(app.warning)
    assert "expected args after" not in table_with(app, "expected", "actual").columns


def test_an_edit_that_changes_only_what_the_call_does_to_its_argument_lists_the_test(store, pool):
    pair = add_pair(store, INSORT, APPENDS_ONLY, INPUTS)
    assert validate_one(store, pool, pair)["status"] == "mismatch"
    before = review.test_table(store, pair)
    review.edit_pair(store, pair, "ada", "Insert x.", "def f(items, x):\n    items.insert(0, x)\n")
    assert validate_one(store, pool, pair, run_id="run2")["status"] == "mismatch"
    changed = review.changed_tests(before, review.test_table(store, pair))
    # Each test stays "wrong" and returns None, but the list is left otherwise than before.
    assert {row["input"] for row in changed} == {"[1, 3, 5], 4", "[9], 0"}
