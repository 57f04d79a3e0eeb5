"""parse_call_args: literals only, never eval; JSON fast path agrees with the exact path."""

from __future__ import annotations

import ast
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semi_core.sandbox import ArgumentError, parse_call_args
from semi_core.sandbox.args import _json_fast_path


def test_positional_and_keywords():
    assert parse_call_args("1, [2, 3], key='x'") == ([1, [2, 3]], {"key": "x"})


def test_empty():
    assert parse_call_args("") == ([], {}) and parse_call_args("  \n") == ([], {})


def test_reprs_of_special_floats():
    args, _ = parse_call_args("inf, -inf, [nan]")
    assert args[0] == math.inf and args[1] == -math.inf and math.isnan(args[2][0])


def test_special_constructors():
    args, _ = parse_call_args("float('inf'), float('nan'), set(), frozenset([1]), (1,), -2, 1+2j")
    assert args[0] == math.inf and math.isnan(args[1])
    assert args[2:] == [set(), frozenset([1]), (1,), -2, 1 + 2j]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "open('x')",
        "x",
        "[1] * 10**9",
        "bytes(10**10)",
        "*xs",
        "**kw",
        "lambda: 0",
        "f()",
        "(1).__class__",
        "'a' if 1 else 'b'",
        "1, (",
    ],
)
def test_refused(text):
    with pytest.raises(ArgumentError):
        parse_call_args(text)


@pytest.mark.parametrize(
    "text", ["true", "null", "NaN", "Infinity", r'"a\/b"', "'a\\nb'", "'it\"s'", "'a' 'b'", "b'x'"]
)
def test_json_fast_path_steps_aside_where_json_and_python_differ(text):
    assert _json_fast_path(text) is None


@pytest.mark.parametrize("text", ["'single'", "['a', 'b c'], {'k': ''}", "'é', 3"])
def test_json_fast_path_takes_single_quoted_strings(text):
    assert repr(_json_fast_path(text)) == repr(ast.literal_eval(f"[{text}]"))


literals = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(literals, max_size=4))
def test_round_trip_of_reprs(values):
    text = ", ".join(repr(v) for v in values)
    assert parse_call_args(text) == (values, {})


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(literals, max_size=4))
def test_json_fast_path_agrees_with_literal_eval(values):
    # repr() is how inputs are written: whatever the fast path accepts, it must
    # read exactly as Python does (types included: repr compares them too)
    text = ", ".join(repr(v) for v in values)
    fast = _json_fast_path(text)
    if fast is not None:
        assert repr(fast) == repr(ast.literal_eval(f"[{text}]"))
