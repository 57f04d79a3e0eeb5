"""Inputs written in a function's docstring: doctest calls, arrows and 'For x = ...' examples."""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

from semi_core.inputs.analysis import _Param
from semi_core.inputs.values import _canonical, _encode

# ---------------------------------------------------------------------------
# docstring examples
# ---------------------------------------------------------------------------


def _balanced(text: str, start: int) -> int:
    """Index just past the parenthesis that closes the one at `start`, or -1."""
    depth = 0
    quote = ""
    i = start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == "\n" and depth == 0:
            return -1
        i += 1
    return -1


def _literal_prefix(text: str) -> Any:
    """The longest prefix of `text` (up to a bracket-balanced boundary) that is a
    Python literal; raises ValueError when there is none."""
    cuts = [len(text)]
    depth = 0
    quote = ""
    for i, c in enumerate(text):
        if quote:
            if c == quote:
                quote = ""
            continue
        if c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                cuts.append(i)
                break
        elif depth == 0 and c in ", \n;":
            cuts.append(i)
    for cut in sorted(set(cuts), reverse=True):
        piece = text[:cut].strip()
        if not piece or piece.endswith(","):  # "[1, 2]," would read as a tuple
            continue
        try:
            return ast.literal_eval(piece)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    raise ValueError("no literal")


def _docstring_inputs(
    func: ast.FunctionDef, entry: str, params: list[_Param], defined: set[str]
) -> list[str]:
    """Argument lists of the examples written in the docstring."""
    doc = ast.get_docstring(func, clean=True) or ""
    if not doc:
        return []
    # doctest continuation lines: ">>> f([1,\n...      2])"
    doc = re.sub(r"\n\s*\.\.\. ?", " ", doc)
    found: list[str] = []
    positional = [p for p in params if p.kind in ("pos", "posonly")]
    n_required = sum(1 for p in params if p.required)
    n_max = len(positional) if not any(p.kind == "varargs" for p in params) else 99

    def add_call(inner: str) -> None:
        canon = _canonical(inner)
        if canon is not None and canon[0] not in found:
            found.append(canon[0])

    calls_of_entry = 0
    for m in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)\s*\(", doc):
        name = m.group(1)
        end = _balanced(doc, m.end() - 1)
        if end < 0:
            continue
        inner = doc[m.end() : end - 1]
        if name == entry:
            calls_of_entry += 1
            add_call(inner)
        elif name not in defined and not hasattr(builtins, name):
            # HumanEval sometimes names the function differently in its examples
            # (grade_equation for numerical_letter_grade): accept when the arity fits
            canon = _canonical(inner)
            if canon is not None and n_required <= len(canon[1][0]) <= n_max:
                if canon[1][1] == {} and canon[0] not in found and inner.strip():
                    found.append(canon[0])
    if calls_of_entry == 0:
        found += _docstring_assignments(doc, params)
    return found


def _docstring_assignments(doc: str, params: list[_Param]) -> list[str]:
    """`For lst = [1, 2] the output ...`, `Input: arr = [1], k = 2` and `Input: 12`:
    one example per line (a line that sets every required parameter)."""
    names = [p.name for p in params if p.kind in ("pos", "posonly")]
    required = [p.name for p in params if p.required]
    if not required:
        return []
    out: list[str] = []
    for line in doc.splitlines():
        values: dict[str, Any] = {}
        for name in names:
            m = re.search(rf"(?<![\w.]){re.escape(name)}\s*=\s*", line)
            if m is None:
                continue
            try:
                values[name] = _literal_prefix(line[m.end() :])
            except ValueError:
                continue
        if not values and len(required) == 1:
            m = re.match(r"\s*(?:Input|input)\s*:\s*(.+)$", line)
            if m:
                try:
                    values[required[0]] = _literal_prefix(m.group(1))
                except ValueError:
                    pass
        if all(name in values for name in required):
            args = []
            for name in names:
                if name not in values:
                    break
                args.append(values[name])
            text = _encode(args)
            if text is not None and text not in out:
                out.append(text)
    return out
