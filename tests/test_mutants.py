"""First-order mutants: which changes are made, the budget, and killing them in the sandbox."""

from __future__ import annotations

import ast
import textwrap

import pytest

from semi_core.mutants import OPERATOR_CLASSES, _rounds, generate_mutants, measure_strength
from semi_core.sandbox import Limits, SandboxPool, Task

CODE = textwrap.dedent(
    '''
    def f(xs: list[int], k: int = 2) -> int:
        """Sum of the even items above k, and a flag."""
        total = 0
        for x in xs:
            if x % 2 == 0 and x > k:
                total += x * 3
        while total > 100:
            total -= 1
        flag = True if total else not xs
        return [y for y in xs if y < 0], -total, flag
    def h(xs: list[int]) -> list[int]:
        for x in xs:
            if x:
                break
        return xs[1:]
    '''
)


def changes(code: str, **kwargs) -> list[str]:
    return [m.description for m in generate_mutants(code, **kwargs)]


def test_every_operator_class_is_represented():
    mutants = generate_mutants(CODE)
    assert {m.operator for m in mutants} == set(OPERATOR_CLASSES)
    described = changes(CODE)
    for expected in [
        "line 6: % → //", "line 6: == → !=", "line 6: and → or", "line 6: > → >=",
        "line 7: += → -=", "line 7: * → /", "line 7: 3 → 4", "line 6: if condition negated",
        "line 8: while condition negated", "line 10: True → False", "line 10: not x → x",
        "line 11: -x → x", "line 11: comprehension filter negated", "line 11: < → <=",
        "line 7: * → //", "line 7: += → =", "line 11: return x → return None",
        "line 11: return x → return -x", "line 4: assign statement → pass",
        "line 15: break → continue", "line 16: slice lower bound + 1",
        "line 16: return x → return []",
    ]:  # fmt: skip
        assert expected in described


def test_each_mutant_is_one_valid_change_away():
    baseline = ast.unparse(ast.parse(CODE))
    mutants = generate_mutants(CODE)
    sources = [m.code for m in mutants]
    assert len(set(sources)) == len(sources)  # no duplicates
    for m in mutants:
        assert m.code != baseline
        ast.parse(m.code)
        assert '"""Sum of the even items above k, and a flag."""' in m.code  # strings untouched


def test_annotations_defaults_and_main_guard():
    code = textwrap.dedent(
        """
        import sys
        def g(n: int = 4) -> int:
            return n
        if __name__ == "__main__":
            print(g(int(sys.stdin.read())))
        """
    )
    assert changes(code) == [  # the default, the return and the print, not the annotations
        "line 3: 4 → 5",  # or the guard
        "line 4: return x → return -x",
        "line 4: return x → return None",
        "line 6: expr statement → pass",
    ]


def test_budget_is_deterministic_and_spread_over_classes():
    budget = len(OPERATOR_CLASSES)
    first = generate_mutants(CODE, budget=budget)
    assert len(first) == budget
    assert first == generate_mutants(CODE, budget=budget)
    assert {m.operator for m in first} == set(OPERATOR_CLASSES)
    assert [m.line for m in first] == sorted(m.line for m in first)
    assert generate_mutants(CODE, budget=budget, seed=1) != first
    assert len(generate_mutants(CODE, budget=1000)) == len(generate_mutants(CODE))


def test_code_without_sites_or_that_does_not_parse():
    assert generate_mutants("def f(x):\n    pass\n") == []
    assert generate_mutants("def f(x)\n    return x\n") == []
    assert generate_mutants("") == []


@pytest.mark.parametrize(
    ("code", "change", "mutated"),
    [
        ("def f(a, b):\n    return a * b\n", "line 2: * → //", "return a // b"),
        ("def f(a, b):\n    return a // b\n", "line 2: // → *", "return a * b"),
        ("def f(a, b):\n    return a - b\n", "line 2: b → -b", "return a - -b"),
        ("def f(a):\n    return a\n", "line 2: return x → return None", "return None"),
        ("def f(a) -> int:\n    return a\n", "line 2: return x → return -x", "return -a"),
        ("def f(a) -> bool:\n    return a\n", "line 2: return x → return not x", "return not a"),
        ("def f(a) -> str:\n    return a\n", "line 2: return x → return ''", "return ''"),
        (
            "def f(a) -> dict[str, int]:\n    return a\n",
            "line 2: return x → return {}",
            "return {}",
        ),
        ("def f(a):\n    a.append(1)\n    return a\n", "line 2: expr statement → pass", "pass"),
        ("def f(a):\n    b = a\n    return b\n", "line 2: assign statement → pass", "pass"),
        ("def f(a):\n    a *= 3\n    return a\n", "line 2: *= → =", "a = 3"),
        ("def f(a):\n    a -= 3\n    return a\n", "line 2: -= → +=", "a += 3"),
        ("def f(a):\n    for x in a:\n        break\n", "line 3: break → continue", "continue"),
        ("def f(a):\n    for x in a:\n        continue\n", "line 3: continue → break", "break"),
        ("def f(a, i):\n    return a[i:]\n", "line 2: slice lower bound + 1", "a[i + 1:]"),
        ("def f(a, i):\n    return a[i:]\n", "line 2: slice lower bound - 1", "a[i - 1:]"),
        ("def f(a, j):\n    return a[:j]\n", "line 2: slice upper bound + 1", "a[:j + 1]"),
        ("def f(a, j):\n    return a[:j]\n", "line 2: slice upper bound - 1", "a[:j - 1]"),
    ],
)
def test_each_operator_makes_the_documented_change(code, change, mutated):
    by_change = {m.description: m for m in generate_mutants(code)}
    assert change in by_change
    mutant = by_change[change].code
    assert mutated in mutant and mutant != ast.unparse(ast.parse(code))
    ast.parse(mutant)


def test_rounds_grow_geometrically():
    assert [list(r) for r in _rounds(0)] == []
    assert [len(r) for r in _rounds(1)] == [1]
    assert [len(r) for r in _rounds(10)] == [1, 1, 2, 4, 2]
    assert [i for r in _rounds(20) for i in r] == list(range(20))


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(Limits(timeout_s=0.5, workers=2)) as p:
        yield p


def test_strength_counts_kills_including_timeouts(pool):
    code = textwrap.dedent(
        """
        def f(n):
            i = 0
            while i < n:
                i += 1
            return i * 2
        """
    ).lstrip("\n")
    inputs = ["0", "3", "5"]
    expected = pool.run_many(Task(code=code, entry_point="f", args=a) for a in inputs)
    mutants = generate_mutants(code)
    result = measure_strength(mutants, "f", "function", inputs, expected, pool)
    assert result.tried == len(mutants)
    by_change = {r.mutant.description: r for r in result.results}
    looping = by_change["line 4: += → -="]  # n=0 can't see it; n=3 never ends: a timeout
    assert looping.killed and looping.killed_by == 1 and "timeout" in looping.reason
    assert by_change["line 5: * → /"].killed  # 0 * 2 == 0 / 2, but 3 * 2 != 3 / 2
    assert by_change["line 5: * → /"].killed_by == 1
    assert result.strength == result.killed / result.tried
    assert result.executions < result.tried * len(inputs)  # killed mutants stop early
    summary = result.summary()
    assert [s["killed"] for s in summary] == sorted(s["killed"] for s in summary)


def test_strength_of_nothing_is_none(pool):
    result = measure_strength([], "f", "function", [], [], pool)
    assert result.strength is None and result.tried == 0
    with pytest.raises(ValueError):
        measure_strength([], "f", "function", ["1"], [], pool)
