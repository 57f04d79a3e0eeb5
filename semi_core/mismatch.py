"""The mismatch inspector: where a rewrite's output first differs from the oracle's.

A failing test is described from what the store recorded (the reprs in a test table row,
`semi_core.review.test_table`), never by running anything:

* both sides returned a value whose repr is a literal: the values are parsed here (an
  ast walk that accepts literals only, `parse_call_args`: no code runs) and walked
  together to the first differing element, named by its path (``[2]['name']``);
  leaves compare by the sandbox's rules (`compare_values`: floats with tolerance, True
  is not 1), so a path never points at what validation counted as equal;
* a repr that is not a literal (an object, a digest): the first differing character;
* an exception against a value, either way, is said so ("expected a value `[1]`, got
  ValueError: ..." / "expected ValueError, got `3`");
* equal return values with different arguments after the call: the same walk over the
  arguments (``args[0][1]``, ``kwargs['key']``);
* a program: the first differing character of its output, with its line.

Every difference has a *signature* (`SIGNATURES`), the Failures page's groups: a wrong
value, a wrong type (the first differing elements are of different types, ints and
floats counting as one), an unexpected exception (the rewrite raised where the original
returned, or raised another type), a missing exception (the original raised, the rewrite
returned). A test that failed otherwise (a timeout, a refusal) has none.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import asdict, dataclass
from typing import Any

from semi_core.sandbox import ArgumentError, compare_values, parse_call_args
from semi_core.store import Store
from semi_core.validate import NOT_RUN, split_output

SIGNATURES = ("wrong value", "wrong type", "unexpected exception", "missing exception")
RAISES = "raises: "  # how the oracle's expected exception is recorded (validate.py)
CONTEXT = 60  # characters shown on each side of a marked difference
SHORT = 60  # a value quoted in a sentence is cut to this many characters
MISSING = object()  # the side of a path that has no element there
_GOT_TYPE = re.compile(r"got ([A-Za-z_][A-Za-z0-9_.]*)\s*$")


@dataclass(frozen=True)
class Marked:
    """One side's text around its first difference: `before` + `marked` + `after` is a
    window of the text, `marked` the first differing character ('' past the end), at
    `position` in the whole text (line and column from 1)."""

    before: str
    marked: str
    after: str
    position: int
    line: int
    column: int
    cut_before: bool  # the window starts after the text's start
    cut_after: bool

    def caret_text(self) -> str:
        """The window on one line and a caret under the marked character beneath it."""
        lead = "…" if self.cut_before else ""
        tail = "…" if self.cut_after else ""
        window = (lead + self.before + (self.marked or " ") + self.after + tail).replace("\n", "⏎")
        return window + "\n" + " " * (len(lead) + len(self.before)) + "^"


@dataclass(frozen=True)
class Difference:
    """How one failing test differs. `expected` and `actual` are the texts shown side by
    side (a value's repr, "raises: T", an error, or a program's output); `path` the
    first differing element's path when both parsed as literals; `where` what was
    compared ("value", "arguments after the call", "output"); the marks point at the
    first differing character of the compared texts; `sentence` says it in a line."""

    signature: str | None
    where: str
    expected: str
    actual: str
    sentence: str
    path: str | None = None
    expected_part: str | None = None
    actual_part: str | None = None
    expected_mark: Marked | None = None
    actual_mark: Marked | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- values ------------------------------------------------------------------------------


def _call_arguments(text: str | None) -> tuple[list[Any], dict[str, Any]] | None:
    """An argument text parsed into (args, kwargs) when it holds literals only, else None
    (parsing walks the syntax tree: nothing runs)."""
    if text is None:
        return None
    try:
        return parse_call_args(text)
    except (ArgumentError, RecursionError, MemoryError):
        return None


def parse_literal(text: str | None) -> Any:
    """A repr parsed back into its value when it is a literal, else `MISSING`."""
    parsed = _call_arguments(text)
    if parsed is None or len(parsed[0]) != 1 or parsed[1]:
        return MISSING
    return parsed[0][0]


def _equal(expected: Any, actual: Any) -> bool:
    return compare_values(expected, actual)[0]


def value_path(expected: Any, actual: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first element where two values differ: (its path, the expected element, the
    actual one), an element one side lacks given as `MISSING`; None when equal by the
    sandbox's rules. Lists and tuples walk by index, dicts by the expected keys in
    order (then the actual's extra keys); anything else is a leaf."""
    if _equal(expected, actual):
        return None
    sequences = (list, tuple)
    if type(expected) is type(actual) and isinstance(expected, sequences):
        for index in range(max(len(expected), len(actual))):
            e = expected[index] if index < len(expected) else MISSING
            a = actual[index] if index < len(actual) else MISSING
            if e is MISSING or a is MISSING:
                return f"{path}[{index}]", e, a
            found = value_path(e, a, f"{path}[{index}]")
            if found:
                return found
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in [*expected, *(k for k in actual if k not in expected)]:
            e, a = expected.get(key, MISSING), actual.get(key, MISSING)
            if e is MISSING or a is MISSING:
                return f"{path}[{key!r}]", e, a
            found = value_path(e, a, f"{path}[{key!r}]")
            if found:
                return found
    return path, expected, actual


def first_char(expected: str, actual: str) -> int | None:
    """The index of the first character where two texts differ (the shorter one's
    length when it is the other's beginning); None when equal."""
    if expected == actual:
        return None
    limit = min(len(expected), len(actual))
    index = 0
    while index < limit and expected[index] == actual[index]:
        index += 1
    return index


def mark(text: str, position: int, context: int = CONTEXT) -> Marked:
    """`text` around `position`: `context` characters each side of it."""
    start, end = max(0, position - context), min(len(text), position + 1 + context)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return Marked(before=text[start:position], marked=text[position : position + 1],
                  after=text[position + 1 : end], position=position, line=line,
                  column=column, cut_before=start > 0, cut_after=end < len(text))  # fmt: skip


def _marks(expected: str, actual: str) -> tuple[Marked | None, Marked | None]:
    position = first_char(expected, actual)
    if position is None:
        return None, None
    return mark(expected, position), mark(actual, position)


def _short(text: str) -> str:
    text = text.replace("\n", "⏎")
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _quoted(text: str) -> str:
    return f"`{_short(text)}`"


def _part(value: Any) -> str:
    return "nothing" if value is MISSING else repr(value)


def _kind_differs(expected: Any, actual: Any) -> bool:
    """Elements of different types: a wrong type (int and float count as one number)."""
    if expected is MISSING or actual is MISSING:
        return False
    numbers = (int, float)
    if type(expected) in numbers and type(actual) in numbers:
        return False
    return type(expected) is not type(actual)


# -- one failing test ----------------------------------------------------------------------


def _raised(text: str | None) -> str | None:
    """The exception type an expected text names ("raises: ValueError"), or None."""
    if text is not None and text.startswith(RAISES):
        return text[len(RAISES) :]
    return None


def _rewrite_exception(status: str, error: str | None) -> str | None:
    """The exception type the rewrite raised, from its run's status and error text."""
    if not error:
        return None
    if status == "error":
        head = error.split(":", 1)[0].strip()
        return head if head.isidentifier() else None
    if status == "wrong" and error.startswith("expected "):
        found = _GOT_TYPE.search(error.splitlines()[0])
        return found.group(1) if found else None
    return None


def _compared(
    where: str, expected_text: str, actual_text: str, expected: Any, actual: Any, prefix: str = ""
) -> Difference:
    """The difference of two texts, walked as values when both are literals."""
    expected_mark, actual_mark = _marks(expected_text, actual_text)
    if expected is not MISSING and actual is not MISSING:
        found = value_path(expected, actual, prefix)
        if found is not None:
            path, e, a = found
            signature = "wrong type" if _kind_differs(e, a) else "wrong value"
            at = f"at `{path}`: " if path else ""
            if where != "value":
                at = f"{where} {at}" if path else f"{where}: "
            sentence = f"{at}expected {_quoted(_part(e))}, got {_quoted(_part(a))}"
            return Difference(signature, where, expected_text, actual_text, sentence,
                              path or None, _part(e), _part(a), expected_mark,
                              actual_mark)  # fmt: skip
    if expected_mark is not None:
        line = f"line {expected_mark.line}, " if "\n" in expected_text + actual_text else ""
        at = f"{where} differs at {line}character {expected_mark.column}: "
    else:
        at = f"{where}: "
    sentence = f"{at}expected {_quoted(expected_text)}, got {_quoted(actual_text)}"
    return Difference("wrong value", where, expected_text, actual_text, sentence,
                      expected_mark=expected_mark, actual_mark=actual_mark)  # fmt: skip


def _arguments(text: str | None) -> Any:
    """The arguments after a call as one value to walk: {"args": [...], "kwargs": {...}}."""
    parsed = _call_arguments(text)
    return MISSING if parsed is None else {"args": list(parsed[0]), "kwargs": parsed[1]}


def _arguments_path(path: str) -> str:
    # {"args": [..]} walks as ['args'][0]: written args[0], as a reader names it
    for name in ("args", "kwargs"):
        if path.startswith(f"[{name!r}]"):
            return name + path[len(f"[{name!r}]") :]
    return path


_ENDED = {"timeout": "a timeout", "memory": "out of memory", "crashed": "a crash"}


def _without_value(
    expected: str, expected_raise: str | None, status: str, error: str | None
) -> Difference:
    """A failing test where the rewrite returned no value."""
    raised = _rewrite_exception(status, error)
    told = error.splitlines()[0] if error else status
    if raised is not None and expected_raise is not None:
        sentence = f"expected {expected_raise}, got {raised}"
        return Difference("unexpected exception", "value", expected, RAISES + raised, sentence)
    if raised is not None:
        sentence = f"expected a value {_quoted(expected)}, got {_short(told)}"
        return Difference("unexpected exception", "value", expected, told, sentence)
    ended = _ENDED.get(status, f"status {status}")
    return Difference(None, "value", expected, told, f"expected {_quoted(expected)}, got {ended}")


def describe(row: dict[str, Any], mode: str = "function") -> Difference | None:
    """How one test table row (`test_table`) fails: None when it did not fail. `mode` is
    the snippet's kind ("function" or "program")."""
    if not row.get("failing"):
        return None
    status = row.get("status") or ""
    expected, actual, error = row.get("expected"), row.get("actual"), row.get("error")
    expected_raise = _raised(expected)
    if actual is None:  # the rewrite returned nothing: it raised, or did not finish
        return _without_value(expected or "", expected_raise, status, error)
    if expected_raise is not None:
        sentence = f"expected {expected_raise}, got {_quoted(actual)}"
        return Difference("missing exception", "value", expected or "", actual, sentence)
    expected = expected or ""
    if mode == "program":
        return _compared("output", expected, actual, MISSING, MISSING)
    if first_char(expected, actual) is not None:
        return _compared("value", expected, actual, parse_literal(expected), parse_literal(actual))
    # Equal return values: the arguments after the call differ (a side that did not
    # change them shows them as the call received them).
    expected_after = row.get("expected args after") or row.get("input") or ""
    actual_after = row.get("actual args after") or row.get("input") or ""
    found = _compared("arguments after the call", expected_after, actual_after,
                      _arguments(expected_after), _arguments(actual_after))  # fmt: skip
    path = _arguments_path(found.path) if found.path else None
    sentence = found.sentence.replace(f"`{found.path}`", f"`{path}`") if path else found.sentence
    return dataclasses.replace(found, path=path, sentence=sentence)


def call_text(entry_point: str | None, input_text: str, mode: str = "function") -> str:
    """A test as people write it: `name(args)` for a function, its stdin for a program."""
    if mode == "program":
        return f"stdin {input_text!r}"
    return f"{entry_point or 'f'}({input_text})"


def summary(rows: list[dict[str, Any]], entry_point: str | None, mode: str = "function") -> str:
    """One line over a test table: how many tests differ, and the first of them, e.g.
    "3 of 10 tests differ; first at `merge([], [1])`: expected `[1]`, got `None`"."""
    ran = [row for row in rows if row.get("failing") is not None]
    failing = [row for row in ran if row["failing"]]
    not_run = sum(1 for row in rows if row.get("status") == NOT_RUN)
    later = f" ({not_run} not run)" if not_run else ""
    if not failing:
        return f"All {len(ran)} tests that ran agree with the original{later}."
    first = failing[0]
    difference = describe(first, mode)
    told = difference.sentence if difference else first.get("status")
    call = call_text(entry_point, first["input"], mode)
    noun = "test differs" if len(ran) == 1 else "tests differ"
    return (f"{len(failing)} of {len(ran)} {noun}{later}; first at `{_short(call)}`: "
            f"{told}")  # fmt: skip


def differences(
    rows: list[dict[str, Any]], mode: str = "function"
) -> list[tuple[dict[str, Any], Difference]]:
    """Each failing row of a test table with its difference, in the table's order."""
    found = []
    for row in rows:
        difference = describe(row, mode)
        if difference is not None:
            found.append((row, difference))
    return found


# -- over the store: mismatches grouped by signature ---------------------------------------


def _row_of(failure: dict[str, Any]) -> dict[str, Any]:
    """A test table row from a `Store.first_failing_tests` row."""
    actual, actual_after = split_output(failure["output"])
    return {"input": failure["input"], "expected": failure["expected"], "actual": actual,
            "expected args after": split_output(failure["original_output"])[1],
            "actual args after": actual_after, "status": failure["status"],
            "error": failure["error"], "failing": True}  # fmt: skip


def mismatches(store: Store) -> list[dict[str, Any]]:
    """Every pair whose current verdict failed on a value or an exception, classified by
    its first failing test: {pair, name, test, call, signature, sentence}."""
    found = []
    for failure in store.first_failing_tests():
        difference = describe(_row_of(failure), failure["kind"])
        if difference is None or difference.signature is None:
            continue
        entry = failure["entry_point"] or failure["original_entry_point"]
        found.append({"pair": failure["pair"], "name": failure["name"],
                      "signature": difference.signature, "test": failure["position"],
                      "call": _short(call_text(entry, failure["input"], failure["kind"])),
                      "difference": difference.sentence})  # fmt: skip
    return found


def group_by_signature(found: list[dict[str, Any]], examples: int = 3) -> list[dict[str, Any]]:
    """`mismatches` counted by signature (`SIGNATURES` order, empty ones left out), each
    with its first `examples` pair ids."""
    groups = []
    for signature in SIGNATURES:
        members = [m["pair"] for m in found if m["signature"] == signature]
        if members:
            groups.append({"signature": signature, "count": len(members),
                           "examples": members[:examples]})  # fmt: skip
    return groups
