"""Ranking: signals, the composite score, buckets and the curriculum, over a real store."""

from __future__ import annotations

import pytest

from semi_core.engines import validate_pending
from semi_core.rank import (
    RankSettings,
    assign_buckets,
    code_lines,
    curriculum,
    cyclomatic_complexity,
    difficulty_score,
    pair_signals,
    rank_all,
    solve_rate,
)
from semi_core.sandbox import Limits, SandboxPool
from semi_core.validate import ValidationSettings
from tests.test_validate import add_pair

NO_MUTANTS = ValidationSettings(test_strength=False)

EASY = "def f(x):\n    return x + 1\n"
MEDIUM = """
def f(x):
    # clamp to zero
    if x < 0:
        return 0
    return x * 2
"""
HARD = """
def f(x):
    '''Collatz steps, capped.'''
    steps = 0
    while x > 1 and steps < 50:
        if x % 2 == 0:
            x //= 2
        else:
            x = 3 * x + 1
        steps += 1
    return [s for s in range(steps) if s % 3 == 0 or s % 5 == 0]
"""
INPUTS = ["1", "2", "3", "7", "10"]


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=1.0, workers=2)) as p:
        yield p


# --- signals and score (no execution) ---------------------------------------------------


def test_cyclomatic_complexity():
    assert cyclomatic_complexity(EASY) == 1
    assert cyclomatic_complexity(MEDIUM) == 2
    # while, `and`, if, comprehension loop, its filter, `or`
    assert cyclomatic_complexity(HARD) == 7
    assert cyclomatic_complexity("def f(:\n") == 1


def test_code_lines_ignore_blanks_comments_and_docstrings():
    assert code_lines(EASY) == 2
    assert code_lines(MEDIUM) == 4
    assert code_lines('def f():\n    """Doc\n    string."""\n\n    return 1  # one\n') == 2


def test_score_grows_with_each_signal_and_stays_in_range():
    base = pair_signals("Add one to x.", EASY, 3, 3)
    score = difficulty_score(base)
    assert 0 < score < 1
    for key, bigger in [("cyclomatic", 6), ("code_lines", 30), ("tests_passed", 20),
                        ("instruction_words", 200)]:  # fmt: skip
        assert difficulty_score({**base, key: bigger}) > score
    assert difficulty_score({}) == 0.0
    huge = {"cyclomatic": 10**6, "code_lines": 10**6, "tests_passed": 10**6,
            "instruction_words": 10**6}  # fmt: skip
    assert 0.99 < difficulty_score(huge) < 1.0
    # a solve rate weighs 0.4: nobody solves it → harder; everybody → easier
    assert difficulty_score({**base, "solve_rate": 0.0}) > score
    assert difficulty_score({**base, "solve_rate": 1.0}) < score
    weighted = RankSettings(weights=(("code_lines", 1.0, 12.0),))
    assert difficulty_score({"code_lines": 12}, weighted) == 0.5


def test_buckets_by_tertiles_with_ties_and_fixed_thresholds_when_few():
    scores = {f"p{i}": s for i, s in enumerate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])}
    assert list(assign_buckets(scores).values()) == ["easy", "easy", "medium", "medium",
                                                     "hard", "hard"]  # fmt: skip
    tied = assign_buckets({"a": 0.2, "b": 0.2, "c": 0.2, "d": 0.9})
    assert tied == {"a": "easy", "b": "easy", "c": "easy", "d": "hard"}
    assert assign_buckets({"a": 0.1, "b": 0.5}) == {"a": "easy", "b": "medium"}
    assert assign_buckets({"a": 0.9}) == {"a": "hard"}
    assert assign_buckets({}) == {}


# --- over the store -----------------------------------------------------------------------


def make_pairs(store, pool) -> dict[str, str]:
    ids = {
        "easy": add_pair(store, EASY, EASY, INPUTS, name="easy"),
        "medium": add_pair(store, MEDIUM, MEDIUM, INPUTS, name="medium"),
        "hard": add_pair(store, HARD, HARD, INPUTS, name="hard"),
        "wrong": add_pair(store, EASY, "def f(x):\n    return x\n", INPUTS, name="wrong"),
    }
    validate_pending(store, pool, "v1", NO_MUTANTS)
    return ids


def test_rank_all_orders_a_curriculum_consistent_with_the_score(store, pool):
    ids = make_pairs(store, pool)
    counts = rank_all(store)
    assert counts == {"ranked": 3, "buckets": {"easy": 1, "medium": 1, "hard": 1},
                      "solve_rates": 0}  # fmt: skip
    ordered = curriculum(store)
    assert [r["generation_id"] for r in ordered] == [ids["easy"], ids["medium"], ids["hard"]]
    scores = [r["difficulty"] for r in ordered]
    assert scores == sorted(scores) and len(set(scores)) == 3
    for position, row in enumerate(ordered, start=1):
        rank = row["signals"]["rank"]
        assert rank["score"] == row["difficulty"]
        assert rank["curriculum_position"] == position
        assert rank["tests_passed"] == rank["tests_usable"] == 5
        assert row["signals"]["usable"] == 5  # validation's signals are kept
    assert [r["signals"]["rank"]["bucket"] for r in ordered] == ["easy", "medium", "hard"]
    assert [r["generation_id"] for r in curriculum(store, bucket="hard")] == [ids["hard"]]
    wrong = store.latest_verdict(ids["wrong"])
    assert wrong["status"] == "mismatch" and wrong["difficulty"] is None
    assert rank_all(store)["ranked"] == 3  # idempotent


def test_ranking_in_pages_places_every_pair_as_the_plain_rule_does(store):
    # Eleven validated pairs, some with equal scores (the same code and tests), ranked
    # two at a time: buckets and positions depend on every score, yet match the rule.
    codes = [EASY, MEDIUM, HARD, EASY, "def f(x):\n    return [x] * 3\n", MEDIUM]
    ids = []
    for n in range(11):
        gid = add_pair(store, codes[n % len(codes)], codes[n % len(codes)], INPUTS[: 3 + n % 3],
                       name=f"pair{n}")  # fmt: skip
        usable = 3 + n % 3
        verdict = {"passed": usable, "usable": usable, "total": usable, "status": "validated"}
        store.record_validations("v1", [(gid, [], [], verdict)])
        ids.append(gid)

    counts = rank_all(store, page_size=2)

    rows = {r["generation_id"]: r for r in store.current_verdicts(["validated"])}
    scores = {gid: rows[gid]["difficulty"] for gid in ids}
    assert len(set(scores.values())) < len(ids)  # ties, as meant
    expected = assign_buckets(scores)
    assert {gid: rows[gid]["signals"]["rank"]["bucket"] for gid in ids} == expected
    assert counts["ranked"] == 11
    assert counts["buckets"] == {b: list(expected.values()).count(b) for b in counts["buckets"]}
    by_position = sorted(ids, key=lambda gid: rows[gid]["signals"]["rank"]["curriculum_position"])
    assert by_position == sorted(ids, key=lambda gid: (scores[gid], gid))
    assert [rows[g]["signals"]["rank"]["curriculum_position"] for g in by_position] == list(
        range(1, 12)
    )


def test_curriculum_filters_on_test_strength(store, pool):
    branchy = (
        "def f(x):\n    if x < 0:\n        return -1\n    if x > 100:\n        return 1\n"
        "    return x * 2\n"
    )
    strong = add_pair(store, branchy, branchy, ["-1", "0", "1", "100", "101"], name="strong")
    weak = add_pair(store, branchy, branchy, ["5", "6", "7"], name="weak")
    validate_pending(store, pool, "v1", ValidationSettings())
    rank_all(store)
    assert {r["generation_id"] for r in curriculum(store)} == {strong, weak}
    assert [r["generation_id"] for r in curriculum(store, exclude_weak_tests=True)] == [strong]
    assert [r["generation_id"] for r in curriculum(store, min_test_strength=0.9)] == [strong]
    assert store.latest_verdict(weak)["signals"]["rank"]["test_strength"] < 0.5


def test_solve_rate_with_a_solver_and_its_cache(store, pool):
    ids = make_pairs(store, pool)
    asked: list[str] = []
    answers = {"Write f.": EASY}

    def solver(instruction: str) -> str:
        asked.append(instruction)
        return answers[instruction]

    counts = rank_all(store, pool=pool, solver=solver)
    assert counts["solve_rates"] == 3 and asked == ["Write f."] * 3  # instruction only
    rates = {gid: store.latest_verdict(gid)["signals"]["rank"]["solve_rate"] for gid in
             (ids["easy"], ids["medium"], ids["hard"])}  # fmt: skip
    assert rates[ids["easy"]] == 1.0
    assert rates[ids["medium"]] == 0.2  # x + 1 == x * 2 only at x = 1
    assert rates[ids["hard"]] == 0.0
    assert rank_all(store, pool=pool, solver=solver)["solve_rates"] == 0  # cached
    assert len(asked) == 3


def test_solve_rate_compares_with_the_stored_oracle(pool):
    cases = [
        {"input": "2", "expected": "4.0", "oracle_status": "ok"},
        {"input": "-1", "expected": "raises: ValueError", "oracle_status": "raises"},
        {"input": "3", "expected": None, "oracle_status": "flaky"},  # not counted
        {"input": "[1, 2]", "expected": "{1, 2}", "oracle_status": "ok"},
    ]
    answer = (
        "def f(x):\n    if isinstance(x, list):\n        return set(x)\n"
        "    if x < 0:\n        raise ValueError(x)\n    return x * 2.0000000000001\n"
    )
    assert solve_rate("Double x.", "f", "function", cases, pool, lambda _: answer) == 1.0
    assert solve_rate("Double x.", "f", "function", cases, pool, lambda _: "") == 0.0

    def broken(_: str) -> str:
        raise RuntimeError("model down")

    assert solve_rate("Double x.", "f", "function", cases, pool, broken) == 0.0
    assert solve_rate("Double x.", "f", "function", cases[2:3], pool, broken) is None
    program = [{"input": "3", "expected": "6\n", "oracle_status": "ok"}]
    solved = solve_rate("Print 2n.", None, "program", program, pool,
                        lambda _: "print(2 * int(input()))")  # fmt: skip
    assert solved == 1.0
