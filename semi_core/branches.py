"""Branch coverage of a snippet, from the arcs the sandbox records (`Task.coverage`).

A branch point is an `if` / `elif`, `while` or `for` statement whose body starts on a
later line than its header; it has two branches, taken (the body is entered) and not
taken (anything else follows the header, the frame's return included). A branch is
covered when the run made the step that shows it: from a line of the header to the first
line of the body, or from a line of the header to a line outside it and outside the body's
first line. Conditions inside expressions (`a if c else b`, `and` / `or`, the filters of
comprehensions) are not branches here: lines cannot tell their outcomes apart.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

Branch = tuple[int, bool]  # (line of the header, taken)


@dataclass(frozen=True)
class _Point:
    header: range  # the lines of the statement's header (its test or iterable)
    body: int  # the first line of its body


class BranchMap:
    """The branch points of one snippet; maps a run's arcs to the branches it covered."""

    def __init__(self, code: str) -> None:
        self._points: dict[int, _Point] = {}
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return
        for node in ast.walk(tree):
            if isinstance(node, (ast.If, ast.While)):
                if isinstance(node, ast.While) and _always_true(node.test):
                    continue  # `while True:` has no branch that is not taken
                end = node.test.end_lineno or node.lineno
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                end = node.iter.end_lineno or node.lineno
            else:
                continue
            body = node.body[0].lineno
            if body > end:  # a body on the header's line cannot be told apart
                self._points[node.lineno] = _Point(range(node.lineno, end + 1), body)
        self._by_line = {line: start for start, p in self._points.items() for line in p.header}

    @property
    def known(self) -> int:
        """How many branches the snippet has."""
        return 2 * len(self._points)

    def covered(self, arcs: Iterable[tuple[int, int]] | None) -> frozenset[Branch]:
        """The branches one run's arcs (`Outcome.arcs`) cover."""
        found: set[Branch] = set()
        for source, target in arcs or ():
            start = self._by_line.get(source)
            if start is None:
                continue
            point = self._points[start]
            if target == point.body:
                found.add((start, True))
            elif target not in point.header:
                found.add((start, False))
        return frozenset(found)


def _always_true(test: ast.expr) -> bool:
    return isinstance(test, ast.Constant) and bool(test.value)
