"""Branch coverage measured inside the sandbox worker, and what it decides and reports."""

from __future__ import annotations

import textwrap

from semi_core.branches import BranchMap
from semi_core.generate.base import TestInput as Input
from semi_core.inputs.selection import branch_sets, choose_inputs, greedy_cover
from semi_core.sandbox import SandboxPool, Task
from semi_core.validate import ValidationSettings, validate_generation

from . import test_input_selection

pools = test_input_selection.pools  # the sandbox pools, a fixture

SIGN = textwrap.dedent(
    """
    def sign(x):
        if x > 0:
            return 1
        return 0
    """
).lstrip()

LOOPS = textwrap.dedent(
    """
    def walk(xs, n):
        total = 0
        for x in xs:
            total += x
        while n > 3:
            n -= 1
        if total > 10:
            total = 10
        elif total < 0:
            total = 0
        return total + n
    """
).lstrip()


def covered(code: str, entry: str, texts: list[str], pool: SandboxPool) -> set:
    branch_map = BranchMap(code)
    outcomes = pool.run_many(Task(code, entry, args=t, coverage=True) for t in texts)
    assert all(o.ok for o in outcomes)
    return set().union(*(branch_map.covered(o.arcs) for o in outcomes))


def test_the_worker_records_arcs_only_when_the_task_asks(pools):
    pool, _ = pools
    plain, traced = pool.run_many([Task(SIGN, "sign", args="1"), Task(SIGN, "sign", args="1",
                                                                       coverage=True)])  # fmt: skip
    assert plain.arcs is None
    assert (2, 3) in traced.arcs and (3, -1) in traced.arcs and (2, 4) not in traced.arcs
    assert plain.output == traced.output == "1"


def test_both_branches_taken_report_two_of_two_one_branch_one_of_two(pools):
    pool, _ = pools
    assert BranchMap(SIGN).known == 2
    assert len(covered(SIGN, "sign", ["5", "-5"], pool)) == 2
    assert covered(SIGN, "sign", ["5", "7"], pool) == {(2, True)}
    assert covered(SIGN, "sign", ["-5"], pool) == {(2, False)}


def test_loops_and_elif_branches(pools):
    pool, _ = pools
    assert BranchMap(LOOPS).known == 8  # for, while, if, elif
    assert covered(LOOPS, "walk", ["[], 0"], pool) == {(3, False), (5, False), (7, False),
                                                        (9, False)}  # fmt: skip
    everything = covered(LOOPS, "walk", ["[20], 5", "[-5], 0", "[1], 0"], pool)
    assert len(everything) == 8


def test_a_tie_in_kills_goes_to_the_candidate_taking_a_new_branch():
    kills = [{0}, {1}, {1}]
    branches = [{(2, True)}, {(2, True)}, {(2, False)}]
    assert greedy_cover(kills, 2) == [0, 1]  # without coverage: the earlier one
    assert greedy_cover(kills, 2, branches=branches) == [0, 2]
    # places left after the kills go to new branches, not to nothing
    assert greedy_cover([{0}, set(), set()], 3, branches=[set(), {(5, True)}, set()]) == [0, 1]


def test_chosen_inputs_take_the_branches_the_kills_leave(pools):
    pool, short_pool = pools
    candidates = [Input("[], 0", "x"), Input("[20], 5", "x"), Input("[-5], 0", "x")]
    taken = branch_sets(LOOPS, "walk", "function", candidates, pool)
    assert taken[0] == {(3, False), (5, False), (7, False), (9, False)}
    assert (9, True) in taken[2] and (7, True) in taken[1]
    chosen = choose_inputs(LOOPS, "walk", "function", pool=pool, short_pool=short_pool, limit=6)
    assert len(covered(LOOPS, "walk", [c.text for c in chosen], pool)) == 8


def test_the_verdict_reports_branches_covered_of_known(pools):
    pool, _ = pools
    subject = {"original_code": SIGN, "original_entry_point": "sign", "code": SIGN,
               "entry_point": "sign", "kind": "function"}  # fmt: skip
    settings = ValidationSettings(min_usable_tests=1)

    def signals(texts: list[str]) -> dict:
        cases = [{"id": str(i), "position": i, "input": t} for i, t in enumerate(texts)]
        return validate_generation(subject, cases, pool, settings).verdict["signals"]

    both, one = signals(["3", "-3"]), signals(["3", "4"])
    assert (both["branches_covered"], both["branches_known"]) == (2, 2)
    assert (one["branches_covered"], one["branches_known"]) == (1, 2)
    assert both["mutants_killed"] > one["mutants_killed"]
