"""Did two runs behave the same? Structural comparison of Outcomes.

Documented choices:

* Numbers: int == int exactly; as soon as a float is involved, equal when
  `math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)`; NaN equals NaN; complex
  numbers compare part by part. `3 == 3.0` is equal (Python says so), but
  booleans only equal booleans: `True` vs `1` is a behaviour change.
* Containers compare recursively. list vs tuple is a difference (as in Python);
  set vs frozenset is not. Dict keys and set elements are order-free; keys must
  match exactly, set elements exactly or, failing that, one-to-one within the
  float tolerance.
* Library and user objects arrive as `Obj(type_name, data)`: equal when the
  type names and the data are equal. Values that have no plain form
  (`comparable=False`) are compared by the digest of their repr, with memory
  addresses removed.
* Exceptions compare by type only (messages often embed values or wording).
* Function mode also compares the arguments after the call (in-place mutation)
  and ignores stdout; program mode compares stdout modulo trailing whitespace
  (each line right-stripped, trailing empty lines dropped, any newline style).
* timeout / memory / rejected / violation / crashed / invalid are never "equal",
  even to themselves: such a test says nothing about behaviour.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .outcome import Obj, Outcome

REL_TOL = 1e-9
ABS_TOL = 1e-9
_MAX_TOLERANT_SET = 2000
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _strip_addresses(text: str) -> str:
    return _ADDRESS.sub(" at 0x?", text)


def _short(value: Any, limit: int = 60) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(text: str, limit: int = 60) -> str:
    """An output text (already a repr) shortened for a reason sentence."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(value: Any) -> str:
    if isinstance(value, Obj):
        return value.type_name
    return type(value).__name__


def _diff(expected: Any, actual: Any, path: str) -> str:
    where = f"at {path}: " if path else ""
    return f"{where}expected {_short(expected)}, got {_short(actual)}"


def _numbers_equal(a: Any, b: Any) -> bool:
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, complex) or isinstance(b, complex):
        a, b = complex(a), complex(b)
        return _numbers_equal(a.real, b.real) and _numbers_equal(a.imag, b.imag)
    try:
        fa, fb = float(a), float(b)
    except OverflowError:  # huge int vs float: compare exactly
        return a == b
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=ABS_TOL)


_NUMBER = (int, float, complex)


_EXACT = frozenset({int, str, bytes, type(None), bool})


def _first_difference(expected: Any, actual: Any, path: str) -> str | None:
    """None when equal, else a short reason naming where they differ."""
    te = type(expected)
    if te is type(actual):
        if te in _EXACT:  # the common case, without the rules below
            return None if expected == actual else _diff(expected, actual, path)
        if (
            (te is list or te is tuple)
            and expected == actual
            and _EXACT.issuperset(map(type, expected))
            and list(map(type, expected)) == list(map(type, actual))
        ):
            # equal flat sequences with the same exact-typed items (no floats,
            # no bool/int mix): equal under every rule below, checked in C
            return None
    if isinstance(expected, bool) or isinstance(actual, bool):
        if type(expected) is bool and type(actual) is bool and expected == actual:
            return None
        return _diff(expected, actual, path)
    if isinstance(expected, _NUMBER) and isinstance(actual, _NUMBER):
        return None if _numbers_equal(expected, actual) else _diff(expected, actual, path)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if type(expected) is not type(actual):
            return (
                f"{'at ' + path + ': ' if path else ''}expected a {_kind(expected)}, "
                f"got a {_kind(actual)}"
            )
        if len(expected) != len(actual):
            return (
                f"{'at ' + path + ': ' if path else ''}expected {len(expected)} items, "
                f"got {len(actual)}"
            )
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            t = type(e)
            if t is type(a) and t in _EXACT and e == a:
                continue
            reason = _first_difference(e, a, f"{path}[{i}]")
            if reason:
                return reason
        return None
    if isinstance(expected, dict) and isinstance(actual, dict):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing key {_short(missing[0])}")
            if extra:
                parts.append(f"unexpected key {_short(extra[0])}")
            return f"{'at ' + path + ': ' if path else ''}" + ", ".join(parts)
        for k, e in expected.items():
            a = actual[k]
            t = type(e)
            if t is type(a) and t in _EXACT and e == a:
                continue  # equal: no need to build the path text
            reason = _first_difference(e, a, f"{path}[{_short(k, 30)}]")
            if reason:
                return reason
        return None
    if isinstance(expected, (set, frozenset)) and isinstance(actual, (set, frozenset)):
        return _set_difference(expected, actual, path)
    if isinstance(expected, Obj) and isinstance(actual, Obj):
        if expected.type_name != actual.type_name:
            return (
                f"{'at ' + path + ': ' if path else ''}expected a {expected.type_name}, "
                f"got a {actual.type_name}"
            )
        return _first_difference(expected.data, actual.data, path)
    if type(expected) is type(actual) and expected == actual:
        return None
    if _kind(expected) != _kind(actual):
        return (
            f"{'at ' + path + ': ' if path else ''}expected {_kind(expected)} "
            f"{_short(expected)}, got {_kind(actual)} {_short(actual)}"
        )
    return _diff(expected, actual, path)


def _set_difference(expected: Any, actual: Any, path: str) -> str | None:
    if len(expected) != len(actual):
        return (
            f"{'at ' + path + ': ' if path else ''}expected {len(expected)} elements, "
            f"got {len(actual)}"
        )
    if set(expected) == set(actual) and not _has_nan(expected):
        return None
    if len(expected) > _MAX_TOLERANT_SET:
        return _diff(expected, actual, path)
    unmatched = list(actual)
    for e in expected:
        for j, a in enumerate(unmatched):
            if _first_difference(e, a, "") is None:
                del unmatched[j]
                break
        else:
            return f"{'at ' + path + ': ' if path else ''}element {_short(e)} is missing"
    return None


def _has_nan(items: Any) -> bool:
    return any(isinstance(x, float) and math.isnan(x) for x in items)


def compare_values(expected: Any, actual: Any) -> tuple[bool, str]:
    """Structural equality of two comparison-ready values (see module doc)."""
    try:
        reason = _first_difference(expected, actual, "")
    except RecursionError:
        return False, "values are nested too deeply to compare"
    return (reason is None, reason or "")


def normalize_output(text: str) -> str:
    """Program output modulo trailing whitespace."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _describe(o: Outcome) -> str:
    if o.status == "ok":
        return "ok"
    if o.status == "error":
        return o.error_type or "an error"
    return o.status


def compare_outcomes(expected: Outcome, actual: Outcome) -> tuple[bool, str]:
    """(equal?, short human reason when not). `expected` is the reference run."""
    if expected.status != actual.status:
        if expected.status == "ok" and expected.mode == "function":
            return False, f"expected {_clip(expected.output)}, got {_describe(actual)}"
        if actual.status == "ok" and actual.mode == "function":
            return False, f"expected {_describe(expected)}, got {_clip(actual.output)}"
        return False, f"expected {_describe(expected)}, got {_describe(actual)}"
    if expected.status == "error":
        if expected.error_type == actual.error_type:
            return True, ""
        return False, f"expected {_describe(expected)}, got {_describe(actual)}"
    if expected.status != "ok":
        return False, f"both {expected.status}: not comparable"
    if expected.mode == "program" or actual.mode == "program":
        return _compare_program(expected, actual)
    if expected.comparable and actual.comparable:
        equal, reason = compare_values(expected.value, actual.value)
        if not equal:
            return False, reason
        if expected.args_after is not None and actual.args_after is not None:
            equal, reason = compare_values(expected.args_after, actual.args_after)
            if not equal:
                return False, f"arguments after the call differ: {reason}"
        return True, ""
    if expected.output_digest and actual.output_digest:
        if expected.output_digest == actual.output_digest:
            return True, ""
        return False, f"expected {_clip(expected.output)}, got {_clip(actual.output)}"
    if _strip_addresses(expected.output) == _strip_addresses(actual.output):
        return True, ""
    return False, f"expected {_clip(expected.output)}, got {_clip(actual.output)}"


def _compare_program(expected: Outcome, actual: Outcome) -> tuple[bool, str]:
    e, a = normalize_output(expected.stdout), normalize_output(actual.stdout)
    if e == a:
        return True, ""
    e_lines, a_lines = e.split("\n"), a.split("\n")
    for i, (el, al) in enumerate(zip(e_lines, a_lines, strict=False), start=1):
        if el != al:
            return False, f"output line {i}: expected {_short(el)}, got {_short(al)}"
    return False, f"expected {len(e_lines)} output lines, got {len(a_lines)}"
