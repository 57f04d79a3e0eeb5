"""The mismatch inspector's diff, from recorded reprs alone: the character where two
texts first differ, the path of a container's first differing element, an exception
against a value either way, the arguments after the call, and the one-line summary over
a test table. Properties are checked with hypothesis on generated values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from semi_core.mismatch import (
    MISSING,
    describe,
    first_char,
    mark,
    parse_literal,
    summary,
    value_path,
)
from semi_core.sandbox import compare_values

leaves = st.one_of(
    st.integers(-1000, 1000),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)


def failing(expected, actual, status="wrong", error=None, **extra):
    return {"failing": True, "status": status, "expected": expected, "actual": actual,
            "error": error, "input": extra.pop("input", "x"), **extra}  # fmt: skip


# -- characters ---------------------------------------------------------------------------


@given(st.text(max_size=40), st.text(max_size=40))
def test_the_first_differing_character_is_after_the_common_beginning(a, b):
    position = first_char(a, b)
    if a == b:
        assert position is None
        return
    assert a[:position] == b[:position]
    assert position == min(len(a), len(b)) or a[position] != b[position]


@given(st.text(min_size=1, max_size=200), st.data())
def test_a_mark_is_a_window_of_the_text_around_its_position(text, data):
    position = data.draw(st.integers(0, len(text) - 1))
    marked = mark(text, position, context=10)
    window = marked.before + marked.marked + marked.after
    assert marked.marked == text[position]
    assert window in text and text.index(marked.before + marked.marked) <= position
    assert len(marked.before) <= 10 and len(marked.after) <= 10
    assert marked.line == text[:position].count("\n") + 1


def test_a_long_repr_that_is_no_literal_is_marked_at_its_first_differing_character():
    expected = "<Report " + "a" * 100 + "X" + "b" * 100 + ">"
    actual = "<Report " + "a" * 100 + "Y" + "b" * 100 + ">"
    difference = describe(failing(expected, actual))
    assert difference.signature == "wrong value" and difference.path is None
    assert difference.expected_mark.position == 108 == difference.actual_mark.position
    assert (difference.expected_mark.marked, difference.actual_mark.marked) == ("X", "Y")
    assert "character 109" in difference.sentence
    caret = difference.expected_mark.caret_text().splitlines()
    assert caret[0][caret[1].index("^")] == "X"  # the caret stands under the difference
    assert caret[0].startswith("…") and caret[0].endswith("…")  # a window of a long text


def test_a_program_output_is_marked_at_its_line_and_column():
    difference = describe(failing("1\n22\n3\n", "1\n23\n3\n"), mode="program")
    assert difference.where == "output" and difference.signature == "wrong value"
    assert (difference.expected_mark.line, difference.expected_mark.column) == (2, 2)
    assert "line 2, character 2" in difference.sentence


# -- paths --------------------------------------------------------------------------------


def test_the_path_of_the_first_differing_element_of_nested_containers():
    expected = "[{'name': 'Ann', 'age': 3}, {'name': 'Bo', 'tags': (1, 2)}]"
    actual = "[{'name': 'Ann', 'age': 3}, {'name': 'Bo', 'tags': (1, 5)}]"
    difference = describe(failing(expected, actual))
    assert difference.path == "[1]['tags'][1]"
    assert (difference.expected_part, difference.actual_part) == ("2", "5")
    assert difference.sentence == "at `[1]['tags'][1]`: expected `2`, got `5`"
    assert difference.expected_mark.marked == "2" and difference.actual_mark.marked == "5"


def test_a_missing_item_a_missing_key_and_a_wrong_type_each_have_their_path():
    shorter = describe(failing("[1, 2, 3]", "[1, 2]"))
    assert shorter.path == "[2]" and shorter.actual_part == "nothing"
    missing_key = describe(failing("{'a': 1, 'b': 2}", "{'a': 1}"))
    assert missing_key.path == "['b']" and missing_key.signature == "wrong value"
    typed = describe(failing("[1, [2, 3]]", "[1, (2, 3)]"))
    assert typed.path == "[1]" and typed.signature == "wrong type"
    assert describe(failing("[1]", "None")).signature == "wrong type"
    # equal by the sandbox's rules is not a difference: 2 and 2.0, a float within tolerance
    assert describe(failing("[2, 0.1, 'x']", "[2.0, 0.1000000000001, 'y']")).path == "[2]"


def test_floats_reprs_like_inf_still_parse_as_literals():
    assert parse_literal("[inf, -inf, 1.5]") == [float("inf"), float("-inf"), 1.5]
    assert parse_literal("<object at 0x1>") is MISSING
    assert parse_literal("__import__('os').system('true')") is MISSING  # never run


paths = st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["k", "name"])), max_size=4)


def _build(path, leaf):
    """A value with `leaf` at `path` (ints are list indexes, strings dict keys), other
    slots filled with their index."""
    if not path:
        return leaf
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        return [*range(step), _build(rest, leaf), "tail"]
    return {"a": 0, step: _build(rest, leaf), "z": 1}


@given(paths, st.integers(-50, 50), st.integers(-50, 50))
def test_a_changed_leaf_is_found_at_its_path(path, old, new):
    expected, actual = _build(path, old), _build(path, new)
    found = value_path(expected, actual)
    if old == new:
        assert found is None
        return
    written = "".join(f"[{step!r}]" for step in path)
    assert found == (written, old, new)
    assert describe(failing(repr(expected), repr(actual))).path == (written or None)


@given(values)
def test_a_value_never_differs_from_itself(value):
    assert value_path(value, value) is None


@given(values, values)
def test_a_path_found_between_two_values_leads_to_differing_elements(a, b):
    found = value_path(a, b)
    assert (found is None) == compare_values(a, b)[0]
    if found is not None:
        _, left, right = found
        assert left is MISSING or right is MISSING or not compare_values(left, right)[0]


# -- exceptions and arguments after the call -----------------------------------------------


def test_an_exception_against_a_value_is_said_so_both_ways():
    raised = describe(failing("[1]", None, status="error", error="ValueError: empty (line 3)"))
    assert raised.signature == "unexpected exception"
    assert raised.sentence == "expected a value `[1]`, got ValueError: empty (line 3)"
    returned = describe(failing("raises: ValueError", "3"))
    assert returned.signature == "missing exception"
    assert returned.sentence == "expected ValueError, got `3`"
    other = describe(failing("raises: ValueError", None, error="expected ValueError, got KeyError"))
    assert other.signature == "unexpected exception"
    assert (other.expected, other.actual) == ("raises: ValueError", "raises: KeyError")
    timeout = describe(failing("[1]", None, status="timeout", error="timed out after 2.0 s"))
    assert timeout.signature is None and "a timeout" in timeout.sentence


def test_equal_values_with_different_arguments_after_the_call_point_into_the_arguments():
    row = failing("None", "None", input="[3, 1, 2], key='x'",
                  **{"expected args after": "[1, 2, 3], key='x'",
                     "actual args after": "[3, 2, 1], key='x'"})  # fmt: skip
    difference = describe(row)
    assert difference.where == "arguments after the call"
    assert difference.path == "args[0][0]"
    assert "`args[0][0]`: expected `1`, got `3`" in difference.sentence
    # a rewrite that left its arguments as it got them shows them as the call received them
    untouched = describe(failing("None", "None", input="[3, 1]",
                                 **{"expected args after": "[1, 3]"}))  # fmt: skip
    assert untouched.path == "args[0][0]" and untouched.actual == "[3, 1]"


def test_a_passing_row_has_no_difference():
    assert describe({"failing": False, "status": "ok", "expected": "1", "actual": "1"}) is None
    assert describe({"failing": None, "status": "not_run", "expected": "1", "actual": None}) is None


# -- the summary line -------------------------------------------------------------------------


def test_the_summary_names_the_count_and_the_first_failing_call():
    rows = [
        {"failing": False, "status": "ok", "input": "[1], [2]", "expected": "[1, 2]",
         "actual": "[1, 2]"},
        {"failing": True, "status": "wrong", "input": "[], [1]", "expected": "[1]",
         "actual": "None", "error": "expected [1], got None"},
        {"failing": True, "status": "wrong", "input": "[2], []", "expected": "[2]",
         "actual": "None", "error": "expected [2], got None"},
        {"failing": None, "status": "flaky", "input": "[3], []", "expected": None,
         "actual": None},
    ]  # fmt: skip
    line = summary(rows, "merge")
    assert line == "2 of 3 tests differ; first at `merge([], [1])`: expected `[1]`, got `None`"
    assert summary(rows[:1], "merge") == "All 1 tests that ran agree with the original."
    program = [{"failing": True, "status": "wrong", "input": "3\n", "expected": "6",
                "actual": "7"}]  # fmt: skip
    assert summary(program, None, "program").startswith(
        "1 of 1 test differs; first at `stdin '3\\n'`"
    )
