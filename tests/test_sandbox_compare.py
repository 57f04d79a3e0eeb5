"""compare_values / compare_outcomes: the documented equality choices."""

from __future__ import annotations

import math

import pytest

from semi_core.sandbox import Obj, Outcome, compare_outcomes, compare_values


def ok(value=None, *, output=None, args_after=None, mode="function", stdout=""):
    return Outcome(
        "ok",
        output=repr(value) if output is None else output,
        value=value,
        args_after=args_after,
        mode=mode,
        stdout=stdout,
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (1, 1),
        (3, 3.0),
        (0.1 + 0.2, 0.3),
        (float("nan"), float("nan")),
        (1e300, 1e300 * (1 + 1e-12)),
        ([1, [2.0, {"a": (3,)}]], [1, [2, {"a": (3,)}]]),
        ({1, 2, 3}, {3, 2, 1}),
        ({0.1 + 0.2, 1.0}, {0.3, 1.0}),
        (frozenset([1]), {1}),
        ({"b": 1, "a": 2}, {"a": 2, "b": 1}),
        (Obj("deque", [1, 2]), Obj("deque", [1, 2])),
        (1 + 2j, complex(1, 2 + 1e-12)),
        ([float("nan")], [float("nan")]),
        (10**30, 10**30),
        (b"x", b"x"),
        (None, None),
        ([1, "a", None, True], [1, "a", None, True]),
        ((1, 2), (1, 2)),
        ([1, 2], [1, 2.0]),
    ],
)
def test_equal(a, b):
    assert compare_values(a, b) == (True, "")


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        (3, 4, "expected 3, got 4"),
        (True, 1, "expected True, got 1"),
        ([1, 2], (1, 2), "expected a list, got a tuple"),
        ([1, 2], [1, 2, 3], "expected 2 items, got 3"),
        ({"a": 1}, {"a": 2}, "at ['a']: expected 1, got 2"),
        ({"a": 1}, {"b": 1}, "missing key 'a', unexpected key 'b'"),
        ([[1, 2]], [[1, 3]], "at [0][1]: expected 2, got 3"),
        ({1, 2}, {1, 3}, "element 2 is missing"),
        (Obj("deque", [1]), [1], "expected deque"),
        (Obj("Point", {"x": 1}), Obj("Point", {"x": 2}), "at ['x']: expected 1, got 2"),
        (0.1, 0.1001, "expected 0.1, got 0.1001"),
        ("3", 3, "expected str '3', got int 3"),
        # Python says these lists are equal; bool vs int still differs inside them
        ([1, True], [1, 1], "at [1]: expected True, got 1"),
        ((0, 1), (False, 1), "at [0]: expected 0, got False"),
    ],
)
def test_different(a, b, reason):
    equal, why = compare_values(a, b)
    assert not equal and reason in why


def test_status_mismatch_reasons():
    err = Outcome("error", error="ValueError: x (line 2)", error_type="ValueError")
    assert compare_outcomes(err, ok(3)) == (False, "expected ValueError, got 3")
    assert compare_outcomes(ok(3), err) == (False, "expected 3, got ValueError")
    assert compare_outcomes(ok(3), ok(4)) == (False, "expected 3, got 4")
    assert compare_outcomes(ok(3), Outcome("timeout")) == (False, "expected 3, got timeout")


def test_exceptions_compare_by_type_only():
    a = Outcome("error", error="KeyError: 'a'", error_type="KeyError")
    b = Outcome("error", error="KeyError: 'b' (line 9)", error_type="KeyError")
    c = Outcome("error", error="IndexError: x", error_type="IndexError")
    assert compare_outcomes(a, b) == (True, "")
    assert compare_outcomes(a, c) == (False, "expected KeyError, got IndexError")


def test_non_behaviour_outcomes_never_equal():
    for status in ("timeout", "memory", "rejected", "violation", "crashed", "invalid"):
        equal, why = compare_outcomes(Outcome(status), Outcome(status))
        assert not equal and status in why


def test_in_place_mutation_is_compared():
    a = ok(None, args_after=([[1, 2, 3]], {}))
    b = ok(None, args_after=([[3, 2, 1]], {}))
    equal, why = compare_outcomes(a, b)
    assert not equal and why.startswith("arguments after the call differ")


def test_program_output_modulo_trailing_whitespace():
    a = ok(mode="program", stdout="1 2 \n3\n\n")
    b = ok(mode="program", stdout="1 2\r\n3")
    c = ok(mode="program", stdout="1 2\n4\n")
    assert compare_outcomes(a, b) == (True, "")
    assert compare_outcomes(a, c) == (False, "output line 2: expected '3', got '4'")
    assert not compare_outcomes(a, ok(mode="program", stdout="1 2\n"))[0]


def test_opaque_values_compare_by_digest_or_address_free_repr():
    a = Outcome("ok", output="<f object at 0x7f00>", comparable=False, output_digest="d1")
    b = Outcome("ok", output="<f object at 0x7f99>", comparable=False, output_digest="d1")
    c = Outcome("ok", output="<g object at 0x7f99>", comparable=False, output_digest="d2")
    assert compare_outcomes(a, b)[0] and not compare_outcomes(a, c)[0]
    a2 = Outcome("ok", output="<f object at 0x7f00>", comparable=False)
    assert compare_outcomes(a2, ok(None, output="<f object at 0x1234>"))[0]


def test_nan_inside_sets():
    assert compare_values({float("nan"), 1.0}, {1.0, math.nan})[0]
