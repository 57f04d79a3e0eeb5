"""The simulated backend: the offline pair, with a known rewrite mistake in some of them.

For demonstrations and practice. It writes the offline backend's pair, then, for a share
of the snippets (`mistake_rate`, drawn per snippet id and seed, so reruns are stable),
makes exactly one mistake of the kinds an LLM makes when it rewrites code (`KINDS`):

* ``off_by_one`` — a range or slice end moved by one, ``<`` against ``<=``;
* ``dropped_edge_case`` — an ``if`` that returns or raises for empty input, ``None`` or
  zero is gone;
* ``swapped_operands`` — the operands of a non-commutative operator, or the arguments of
  a call whose order matters, swapped;
* ``return_type`` — list against tuple, a float result truncated to an int, a copy
  sorted instead of the argument (or the reverse);
* ``exception_behaviour`` — a ``raise`` becomes ``return None`` / ``return -1``, or such
  an early return becomes a ``raise``;
* ``lost_ordering`` — ``sorted`` dropped or its ``reverse`` flipped, ``set`` instead of
  ``dict.fromkeys`` to remove duplicates;
* ``division`` — ``//`` against ``/``;
* ``string_handling`` — ``strip``/``lower`` & co. dropped, ``split()`` against
  ``split(" ")``.

Like an LLM, it also proposes test inputs for code on which no synthesized input runs
(for half of such snippets; see `SimulatedBackend._guessed_inputs`), unchecked: so the
demo shows originals that are refused or raise on every input, too.

A mistake is a text edit at the node's position in the offline code, so the layout,
comments and signature stay; the edited code must parse and keep the entry point's
signature, or another site is tried. The kind is chosen among those that apply, seeded
by the snippet id; a snippet where none applies keeps its correct rewrite.

The ground truth goes with the generation (`Generation.mistake`, stored in
`generations.mistake`): kind, line, before → after, and whether the mistake is
`equivalent`. That is decided here, where it costs least: the backend holds a warm pool
and the pair's own inputs, and the answer is stored with the generation, so it is paid
once per mistake and never again by a revalidation or a rerun. The original and the
mistaken code run in the sandbox on the pair's inputs plus `EQUIVALENCE_INPUTS` more
synthesized ones, in a second pool with a short timeout (`EQUIVALENCE_TIMEOUT_S`: a
mistake that loops forever costs little); a mistake under which they never differ
changes nothing observable. The one cost: a mistake that
only makes the code slower past that timeout counts as not equivalent. Code is only
parsed in this process, never run.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import hashlib
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from semi_core.generate.base import (
    SIMULATED_BACKEND,
    Generation,
    SnippetView,
    TestInput,
    register,
)
from semi_core.generate.offline import OfflineBackend
from semi_core.inputs import synthesize_inputs
from semi_core.sandbox import SandboxPool

KINDS = (
    "off_by_one",
    "dropped_edge_case",
    "swapped_operands",
    "return_type",
    "exception_behaviour",
    "lost_ordering",
    "division",
    "string_handling",
)
DEFAULT_MISTAKE_RATE = 0.3
EQUIVALENCE_INPUTS = 150  # synthesized inputs on which original and mistake are compared
# Seconds per test when telling equivalents apart: a mistake that makes code loop forever
# then costs a fraction of the run's timeout per input, not the whole of it.
EQUIVALENCE_TIMEOUT_S = 0.5
GUESSED_INPUTS_SHARE = 0.5  # of the snippets no synthesized input runs on (see below)

_SYMBOLS = {
    ast.Sub: "-", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.LShift: "<<",
    ast.RShift: ">>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}  # fmt: skip
_BOUNDARY = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">"}
# Operands that need parentheses when moved next to another operator.
_LOOSE = (ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda, ast.UnaryOp, ast.NamedExpr)
_CASE_AND_SPACE = ("strip", "lstrip", "rstrip", "lower", "upper", "casefold")
# Calls whose first two arguments mean different things, so swapping them is a mistake.
_ORDERED_CALLS = ("replace", "divmod", "pow", "startswith", "endswith", "insert", "count")


@dataclass(frozen=True)
class Mistake:
    """One injected mistake, the ground truth a pair is scored against. `line` is the first
    changed line of the correct rewrite; `before` and `after` are the changed lines as they
    were and as they are (`after` is empty when lines were removed)."""

    kind: str
    line: int
    before: str
    after: str
    description: str
    equivalent: bool | None = None  # None: not measured (no usable input)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Edit:
    """A text replacement in code: characters [start, end) become `text`."""

    kind: str
    start: int
    end: int
    text: str
    description: str


# ---------------------------------------------------------------------------------------
# Positions: ast gives (line, UTF-8 byte column); edits work on character offsets.
# ---------------------------------------------------------------------------------------


class _Source:
    def __init__(self, code: str):
        self.code = code
        self.lines = code.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        return self.starts[lineno - 1] + len(line.encode()[:col].decode(errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def text(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.code[start:end]

    def between(self, left: ast.AST, right: ast.AST) -> tuple[int, int]:
        return self.span(left)[1], self.span(right)[0]

    def statement_lines(self, node: ast.stmt) -> tuple[int, int] | None:
        """The character range of the whole lines a statement fills, or None when it
        shares a line with other code."""
        first, last = self.lines[node.lineno - 1], self.lines[node.end_lineno - 1]
        start, end = self.span(node)
        if first[: start - self.starts[node.lineno - 1]].strip():
            return None
        if last[end - self.starts[node.end_lineno - 1] :].strip().split("#")[0]:
            return None
        return self.starts[node.lineno - 1], self.starts[node.end_lineno]

    def indent(self, node: ast.stmt) -> str:
        return re.match(r"[ \t]*", self.lines[node.lineno - 1]).group()


def _wrapped(source: _Source, node: ast.expr) -> str:
    text = source.text(node)
    return f"({text})" if isinstance(node, _LOOSE) else text


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _replace(kind: str, source: _Source, node: ast.AST, text: str, why: str = "") -> Edit:
    start, end = source.span(node)
    before = source.code[start:end]
    description = why or f"`{_short(before)}` → `{_short(text)}`"
    return Edit(kind, start, end, text, description)


def _op_edit(
    kind: str, source: _Source, left: ast.AST, right: ast.AST, old: str, new: str, node: ast.AST
) -> Edit | None:
    """Replace the operator token `old` between `left` and `right` by `new`."""
    start, end = source.between(left, right)
    gap = source.code[start:end]
    match = re.search(rf"(?<![<>=!/*]){re.escape(old)}(?![<>=/*])", gap)
    if match is None:
        return None
    whole = source.text(node)
    edited = source.code[: start + match.start()] + new + source.code[start + match.end() :]
    edited_whole = edited[source.span(node)[0] : source.span(node)[1] + len(new) - len(old)]
    return Edit(kind, start + match.start(), start + match.end(), new,
                f"`{_short(whole)}` → `{_short(edited_whole)}`")  # fmt: skip


# ---------------------------------------------------------------------------------------
# The catalogue: where each kind of mistake can be made in a piece of code.
# ---------------------------------------------------------------------------------------


def _is_one(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1 and type(node.value) is int


def _shifted_end(source: _Source, end: ast.expr) -> str:
    """`n - 1` → `n`, `n + 1` → `n`, anything else `x` → `x - 1`."""
    if isinstance(end, ast.BinOp) and isinstance(end.op, ast.Add | ast.Sub) and _is_one(end.right):
        return source.text(end.left)
    if isinstance(end, ast.Constant) and type(end.value) is int:
        return str(end.value - 1 if end.value > 0 else end.value + 1)
    text = _wrapped(source, end) if isinstance(end, ast.IfExp | ast.Lambda) else source.text(end)
    return f"{text} - 1"


def _off_by_one(source: _Source, node: ast.AST) -> Iterator[Edit]:
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _BOUNDARY:
        old = _SYMBOLS[type(node.ops[0])]
        edit = _op_edit("off_by_one", source, node.left, node.comparators[0], old,
                        _BOUNDARY[type(node.ops[0])], node)  # fmt: skip
        if edit:
            yield edit
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and 1 <= len(node.args) <= 3
        and not node.keywords
    ):
        end = node.args[0] if len(node.args) == 1 else node.args[1]
        yield _replace("off_by_one", source, end, _shifted_end(source, end),
                       f"the range ends at `{_short(_shifted_end(source, end))}` "
                       f"instead of `{_short(source.text(end))}`")  # fmt: skip
    if isinstance(node, ast.Slice) and node.upper is not None and node.step is None:
        upper = node.upper
        if isinstance(upper, ast.UnaryOp) or (
            isinstance(upper, ast.Constant) and not isinstance(upper.value, int)
        ):
            return  # negative ends: `[:-1]` shifted reads as noise
        yield _replace("off_by_one", source, upper, _shifted_end(source, upper),
                       f"the slice ends at `{_short(_shifted_end(source, upper))}` "
                       f"instead of `{_short(source.text(upper))}`")  # fmt: skip


def _mentions_edge(test: ast.expr) -> bool:
    """Whether a condition tests for an edge case: emptiness, None, zero or one."""
    for node in ast.walk(test):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return True
        if isinstance(node, ast.Compare):
            for value in [node.left, *node.comparators]:
                if isinstance(value, ast.Constant) and (
                    value.value is None or value.value in (0, 1, "") and value.value is not True
                ):
                    return True
                if isinstance(value, ast.List | ast.Tuple | ast.Dict) and not getattr(
                    value, "elts", getattr(value, "keys", None)
                ):
                    return True
    return isinstance(test, ast.Name | ast.Call)  # `if xs:` / `if len(xs):`


def _dropped_edge_case(
    source: _Source, node: ast.AST, parent_body: list[ast.stmt]
) -> Iterator[Edit]:
    if not (
        isinstance(node, ast.If)
        and not node.orelse
        and isinstance(node.body[-1], ast.Return | ast.Raise)
        and len(parent_body) > 1
        and _mentions_edge(node.test)
    ):
        return
    lines = source.statement_lines(node)
    if lines is None:
        return
    condition = source.lines[node.lineno - 1].strip()
    yield Edit("dropped_edge_case", *lines, "",
               f"the `{_short(condition)}` branch is gone")  # fmt: skip


def _swapped_operands(source: _Source, node: ast.AST, helpers: set[str]) -> Iterator[Edit]:
    if (
        isinstance(node, ast.BinOp)
        and type(node.op) in _SYMBOLS
        and node.lineno == node.end_lineno
        and source.text(node.left) != source.text(node.right)
        and not isinstance(node.left, ast.Constant)  # `1 - n` for `n - 1` reads as a typo
        and not isinstance(node.right, ast.Constant)
        and not (
            isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant | ast.JoinedStr)
        )
    ):
        symbol = _SYMBOLS[type(node.op)]
        text = f"{_wrapped(source, node.right)} {symbol} {_wrapped(source, node.left)}"
        yield _replace("swapped_operands", source, node, text)
    if isinstance(node, ast.Call) and len(node.args) >= 2 and node.lineno == node.end_lineno:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        first, second = node.args[0], node.args[1]
        if (
            (name in _ORDERED_CALLS or (name in helpers and _alike(first, second)))
            and not any(isinstance(a, ast.Starred) for a in (first, second))
            and source.text(first) != source.text(second)
        ):
            start, _ = source.span(first)
            _, end = source.span(second)
            gap = source.code[source.span(first)[1] : source.span(second)[0]]
            text = source.text(second) + gap + source.text(first)
            edit = Edit("swapped_operands", start, end, text,
                        f"`{name}` gets its arguments in the wrong order: "
                        f"`{_short(source.code[start:end])}` → `{_short(text)}`")  # fmt: skip
            yield edit


def _alike(first: ast.expr, second: ast.expr) -> bool:
    """Whether two arguments could be mixed up: two variables, or two constants of a
    type (`f(heap, 0)` → `f(0, heap)` would fail at once, no one writes it)."""
    if isinstance(first, ast.Name) and isinstance(second, ast.Name):
        return True
    return (
        isinstance(first, ast.Constant)
        and isinstance(second, ast.Constant)
        and type(first.value) is type(second.value)
    )


def _parameters(function: ast.FunctionDef | None) -> set[str]:
    if function is None:
        return set()
    args = function.args
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}


def _return_type(source: _Source, node: ast.AST, params: set[str]) -> Iterator[Edit]:
    if isinstance(node, ast.Return) and node.value is not None:
        value = node.value
        if value.lineno != value.end_lineno:
            return
        text = source.text(value)
        if isinstance(value, ast.List) and value.elts:
            inner = text[1:-1].strip()
            tuple_text = f"({inner},)" if len(value.elts) == 1 else f"({inner})"
            why = f"returns a tuple instead of a list: `{_short(tuple_text)}`"
            yield _replace("return_type", source, value, tuple_text, why)
        elif isinstance(value, ast.ListComp):
            yield _replace("return_type", source, value, f"tuple({text[1:-1]})",
                           "returns a tuple instead of a list")  # fmt: skip
        elif isinstance(value, ast.Tuple) and len(value.elts) >= 2:
            inner = text[1:-1] if text.startswith("(") and text.endswith(")") else text
            yield _replace("return_type", source, value, f"[{inner}]",
                           "returns a list instead of a tuple")  # fmt: skip
        elif isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            yield _replace("return_type", source, value, f"int({text})",
                           "truncates the result to an int")  # fmt: skip
    # In place against a new list: `xs.sort()` ↔ `xs = sorted(xs)` on a parameter.
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        call = node.value
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in params
            and func.attr in ("sort", "reverse")
            and not call.args
        ):
            name = func.value.id
            keywords = "".join(f", {source.text(k)}" for k in call.keywords)
            text = f"{name} = sorted({name}{keywords})" if func.attr == "sort" else (
                f"{name} = {name}[::-1]")  # fmt: skip
            yield _replace("return_type", source, node, text,
                           f"makes a new list instead of changing `{name}` in place")  # fmt: skip
    if (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in params
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "sorted"
        and len(node.value.args) == 1
        and isinstance(node.value.args[0], ast.Name)
        and node.value.args[0].id == node.targets[0].id
    ):
        name = node.targets[0].id
        keywords = ", ".join(source.text(k) for k in node.value.keywords)
        yield _replace("return_type", source, node, f"{name}.sort({keywords})",
                       f"sorts the caller's `{name}` in place instead of a copy")  # fmt: skip


def _returns_numbers(function: ast.FunctionDef | None) -> bool:
    if function is None:
        return False
    returns = function.returns
    if isinstance(returns, ast.Name) and returns.id in ("int", "float"):
        return True
    return any(
        isinstance(n, ast.Return) and isinstance(n.value, ast.Constant)
        and type(n.value.value) in (int, float)
        for n in ast.walk(function)
    )  # fmt: skip


def _exception_behaviour(
    source: _Source,
    node: ast.AST,
    parent: ast.AST | None,
    function: ast.FunctionDef | None,
    in_handler: Callable[[ast.AST], bool],
) -> Iterator[Edit]:
    lines = source.statement_lines(node) if isinstance(node, ast.stmt) else None
    if lines is None or function is None:
        return
    indent = source.indent(node)
    if isinstance(node, ast.Raise) and node.exc is not None:
        if in_handler(node):
            return  # a re-raise of a caught error: turning it into a return hides a bug
        value = "-1" if _returns_numbers(function) else "None"
        text = f"{indent}return {value}\n"
        yield Edit("exception_behaviour", *lines, text,
                   f"returns {value} where it should raise "
                   f"`{_short(source.text(node.exc), 40)}`")  # fmt: skip
    if (
        isinstance(node, ast.Return)
        and isinstance(parent, ast.If)
        and (
            node.value is None
            or (isinstance(node.value, ast.Constant) and node.value.value in (None, -1))
            or (isinstance(node.value, ast.UnaryOp) and source.text(node.value) == "-1")
        )
    ):
        text = f'{indent}raise ValueError("invalid input")\n'
        yield Edit("exception_behaviour", *lines, text,
                   f"raises ValueError where it should `{source.text(node)}`")  # fmt: skip


def _lost_ordering(source: _Source, node: ast.AST) -> Iterator[Edit]:
    if not isinstance(node, ast.Call) or node.lineno != node.end_lineno:
        return
    func = node.func
    reverse = next((k for k in node.keywords if k.arg == "reverse"), None)
    is_sort = (isinstance(func, ast.Name) and func.id == "sorted") or (
        isinstance(func, ast.Attribute) and func.attr == "sort"
    )
    if is_sort and reverse is not None and isinstance(reverse.value, ast.Constant):
        flipped = "False" if reverse.value.value else "True"
        yield _replace("lost_ordering", source, reverse.value, flipped,
                       f"sorts with `reverse={flipped}`")  # fmt: skip
    elif isinstance(func, ast.Name) and func.id == "sorted" and len(node.args) == 1:
        argument = source.text(node.args[0])
        yield _replace("lost_ordering", source, node, f"list({argument})",
                       f"does not sort: `list({_short(argument)})`")  # fmt: skip
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "fromkeys"
        and isinstance(func.value, ast.Name)
        and func.value.id == "dict"
        and len(node.args) == 1
    ):
        yield _replace("lost_ordering", source, node, f"set({source.text(node.args[0])})",
                       "removes duplicates with a set, losing the order")  # fmt: skip


def _division(source: _Source, node: ast.AST) -> Iterator[Edit]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv):
        old = _SYMBOLS[type(node.op)]
        new = "//" if old == "/" else "/"
        edit = _op_edit("division", source, node.left, node.right, old, new, node)
        if edit:
            yield edit
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div | ast.FloorDiv):
        old = _SYMBOLS[type(node.op)] + "="
        new = "//=" if old == "/=" else "/="
        edit = _op_edit("division", source, node.target, node.value, old, new, node)
        if edit:
            yield edit


def _string_handling(source: _Source, node: ast.AST) -> Iterator[Edit]:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return
    if node.func.attr in _CASE_AND_SPACE and not node.args and not node.keywords:
        receiver = source.text(node.func.value)
        yield _replace("string_handling", source, node, receiver,
                       f"the `.{node.func.attr}()` is gone: `{_short(receiver)}`")  # fmt: skip
    if node.func.attr == "split" and not node.args and not node.keywords:
        text = source.text(node)
        why = 'splits on single spaces (`split(" ")`) instead of on any whitespace'
        yield _replace("string_handling", source, node, text[:-2] + '(" ")', why)


# ---------------------------------------------------------------------------------------
# Finding the sites, applying one edit, checking the result
# ---------------------------------------------------------------------------------------


def _entry_function(tree: ast.Module, entry_point: str | None) -> ast.FunctionDef | None:
    return next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry_point), None
    )


def _body_nodes(scope: ast.AST) -> Iterator[tuple[ast.AST, ast.AST | None, list[ast.stmt]]]:
    """Every node under `scope` with its parent and the statement list it sits in,
    docstrings left out."""

    def visit(
        node: ast.AST, body: list[ast.stmt]
    ) -> Iterator[tuple[ast.AST, ast.AST | None, list]]:
        for _, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            block = (
                value
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt)
                else body
            )
            for child in children:
                if not isinstance(child, ast.AST):
                    continue
                if (
                    isinstance(child, ast.Expr)
                    and isinstance(child.value, ast.Constant)
                    and isinstance(child.value.value, str)
                ):
                    continue  # a docstring or a bare string: never edited
                if isinstance(child, ast.expr_context | ast.operator | ast.cmpop | ast.unaryop):
                    continue
                yield child, node, block
                yield from visit(child, block)

    yield from visit(scope, getattr(scope, "body", []))


def mistake_sites(code: str, entry_point: str | None) -> dict[str, list[Edit]]:
    """Every place a mistake of each kind can be made: {kind: [Edit, ...]}, kinds with no
    site left out. Function snippets are edited in their entry point only."""
    tree = ast.parse(code)
    source = _Source(code)
    function = _entry_function(tree, entry_point)
    scope: ast.AST = function if function is not None else tree
    params = _parameters(function)
    helpers = {
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name != entry_point
    }
    sites: dict[str, list[Edit]] = {}
    parents: dict[int, ast.AST] = {}  # id(node) -> its parent, filled as nodes are visited

    def in_handler(node: ast.AST) -> bool:
        while id(node) in parents:
            node = parents[id(node)]
            if isinstance(node, ast.ExceptHandler):
                return True
        return False

    finders: list[Callable[[ast.AST, ast.AST | None, list[ast.stmt]], Iterable[Edit]]] = [
        lambda n, p, b: _off_by_one(source, n),
        lambda n, p, b: _dropped_edge_case(source, n, b),
        lambda n, p, b: _swapped_operands(source, n, helpers),
        lambda n, p, b: _return_type(source, n, params),
        lambda n, p, b: _exception_behaviour(source, n, p, function, in_handler),
        lambda n, p, b: _lost_ordering(source, n),
        lambda n, p, b: _division(source, n),
        lambda n, p, b: _string_handling(source, n),
    ]
    for node, parent, body in _body_nodes(scope):
        parents[id(node)] = parent
        if isinstance(node, ast.FunctionDef | ast.Lambda | ast.ClassDef) and node is not scope:
            continue  # nested definitions are still visited below: their bodies count
        for finder in finders:
            for edit in finder(node, parent, body):
                sites.setdefault(edit.kind, []).append(edit)
    return sites


def _signature(tree: ast.Module, entry_point: str | None) -> str | None:
    function = _entry_function(tree, entry_point)
    if function is None:
        return None
    returns = ast.dump(function.returns) if function.returns else ""
    return ast.dump(function.args) + returns


def apply_edit(code: str, edit: Edit, entry_point: str | None) -> tuple[str, Mistake] | None:
    """The code with `edit` made, and the mistake it records; None when the result does not
    parse, changes the entry point's signature, or changes nothing."""
    mistaken = code[: edit.start] + edit.text + code[edit.end :]
    if mistaken == code:
        return None
    try:
        tree = ast.parse(mistaken)
    except (SyntaxError, ValueError):
        return None
    if entry_point and _signature(tree, entry_point) != _signature(ast.parse(code), entry_point):
        return None
    old_lines, new_lines = code.splitlines(), mistaken.splitlines()
    blocks = [b for b in difflib.SequenceMatcher(None, old_lines, new_lines).get_opcodes()
              if b[0] != "equal"]  # fmt: skip
    if not blocks:
        return None
    _, i1, i2, j1, j2 = blocks[0][0], blocks[0][1], blocks[-1][2], blocks[0][3], blocks[-1][4]
    mistake = Mistake(
        kind=edit.kind,
        line=i1 + 1,
        before="\n".join(old_lines[i1:i2]),
        after="\n".join(new_lines[j1:j2]),
        description=edit.description,
    )
    return mistaken, mistake


def _draw(key: str) -> random.Random:
    return random.Random(hashlib.sha256(key.encode()).hexdigest())


def gets_mistake(snippet_id: str, rate: float, seed: int = 0) -> bool:
    """Whether a snippet is among the share `rate` that gets a mistake (stable per id)."""
    return _draw(f"{seed}:{snippet_id}:rate").random() < rate


def inject_mistake(
    code: str, entry_point: str | None, key: str, kinds: Iterable[str] = KINDS
) -> tuple[str, Mistake] | None:
    """One mistake in `code`: a kind drawn among those that apply (seeded by `key`), then a
    site of that kind; None when no kind applies."""
    sites = mistake_sites(code, entry_point)
    rng = _draw(f"{key}:kind")
    applicable = [kind for kind in kinds if sites.get(kind)]
    rng.shuffle(applicable)
    for kind in applicable:
        candidates = list(sites[kind])
        rng.shuffle(candidates)
        for edit in candidates:
            made = apply_edit(code, edit, entry_point)
            if made is not None:
                return made
    return None


def equivalent_on_inputs(
    original: str,
    mistaken: str,
    entry_point: str | None,
    kind: str,
    inputs: list[str],
    pool: SandboxPool,
) -> bool | None:
    """Whether the original and the mistaken code never differ on `inputs`, run in the
    sandbox and compared as validation compares (None: no input is usable)."""
    from semi_core.validate import ValidationSettings, validate_generation

    subject = {"original_code": original, "original_entry_point": entry_point,
               "code": mistaken, "entry_point": entry_point, "kind": kind}  # fmt: skip
    cases = [{"id": str(i), "position": i, "input": text} for i, text in enumerate(inputs)]
    settings = ValidationSettings(min_usable_tests=1, test_strength=False)
    verdict = validate_generation(subject, cases, pool, settings).verdict
    status, refused_side = verdict["status"], verdict["signals"].get("refused_side")
    if status in ("mismatch", "generated_error") or refused_side == "generated":
        return False
    if status in ("validated", "too_few_tests"):
        return True
    return None


@register
class SimulatedBackend(OfflineBackend):
    """The offline pair with a known mistake in a share of the snippets (see above)."""

    name = SIMULATED_BACKEND

    def __init__(
        self,
        pool: SandboxPool,
        inputs_per_pair: int = 10,
        seed: int = 0,
        mistake_rate: float = DEFAULT_MISTAKE_RATE,
    ):
        super().__init__(pool, inputs_per_pair=inputs_per_pair, seed=seed)
        if not 0.0 <= mistake_rate <= 1.0:
            raise ValueError(f"the mistake rate must be between 0 and 1, not {mistake_rate}")
        self.mistake_rate = mistake_rate
        self.model = f"simulated-r{mistake_rate:g}-s{seed}"

    @property
    def equivalence_pool(self) -> SandboxPool:
        """A second pool like the run's, with a short timeout (it starts on first use)."""
        return self.short_pool(EQUIVALENCE_TIMEOUT_S)

    @classmethod
    def from_settings(cls, settings, *, pool: SandboxPool, store=None) -> SimulatedBackend:
        rate = getattr(settings, "mistake_rate", DEFAULT_MISTAKE_RATE)
        return cls(pool, settings.inputs_per_pair, settings.seed, mistake_rate=rate)

    @property
    def prompt_hash(self) -> str:
        rules = Path(__file__).read_bytes() + super().prompt_hash.encode()
        digest = hashlib.sha256(rules + f"{self.mistake_rate}".encode())
        return digest.hexdigest()[:16]

    def _guessed_inputs(self, snippet: SnippetView) -> list[TestInput]:
        """Inputs written without running the original, for code on which no synthesized
        input runs: an LLM proposes inputs for such code too (for half of it here, drawn
        per snippet; the other half gets none, as when an LLM gives no inputs), and
        validation then finds the original refused or raising on all of them."""
        if _draw(f"{self.seed}:{snippet.id}:guess").random() >= GUESSED_INPUTS_SHARE:
            return []
        guessed = synthesize_inputs(
            snippet.code,
            snippet.entry_point,
            snippet.kind,
            pool=None,
            limit=self.inputs_per_pair,
            seed=self.seed,
        )
        return [TestInput(i.text, "llm") for i in guessed]

    def generate_many(self, snippets, concurrency: int = 1, on_token=None):
        # One sandbox pool serves every snippet: one at a time, as the offline backend.
        return super().generate_many(snippets, 1, on_token)

    def generate(self, snippet: SnippetView) -> Generation:
        result = super().generate(snippet)
        if result.status == "ok" and not result.inputs and snippet.kind == "function":
            result.inputs = self._guessed_inputs(snippet)
        if result.status != "ok" or not gets_mistake(snippet.id, self.mistake_rate, self.seed):
            return result
        try:
            made = inject_mistake(result.code, result.entry_point, f"{self.seed}:{snippet.id}")
        except (SyntaxError, ValueError, RecursionError):
            made = None
        if made is None:
            return result
        mistaken, mistake = made
        inputs = [i.text for i in result.inputs]
        extra = synthesize_inputs(snippet.code, snippet.entry_point, snippet.kind,
                                  pool=self.equivalence_pool, limit=EQUIVALENCE_INPUTS,
                                  seed=self.seed + 1)  # fmt: skip
        known = set(inputs)
        inputs += [i.text for i in extra if i.text not in known]
        equivalent = equivalent_on_inputs(
            snippet.code,
            mistaken,
            snippet.entry_point,
            snippet.kind,
            inputs,
            self.equivalence_pool,
        )
        result.code = mistaken
        result.mistake = dataclasses.replace(mistake, equivalent=equivalent).to_dict()
        return result
