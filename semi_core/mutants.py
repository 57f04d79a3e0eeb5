"""Test strength by mutation: how many small changes to the original do the tests notice?

A *first-order mutant* is the original code with exactly one small change. The operators
(one variant per site, so the count stays proportional to the code's size):

* ``arith`` — arithmetic operator swapped, in expressions and augmented assignments:
  ``+ ↔ -``, ``* → /`` and ``* → //``, ``/ → *``, ``// → /`` and ``// → *``,
  ``% → //``, ``** → *``, ``<< ↔ >>``, ``& ↔ |``, ``^ → &``; unary ``-x → x`` and
  ``~x → x``; unary minus added to a name on the right of an arithmetic operator
  (``a - b → a - -b``).
* ``compare`` — comparison boundary or sense flipped: ``< ↔ <=``, ``> ↔ >=``,
  ``== ↔ !=``, ``is ↔ is not``, ``in ↔ not in``.
* ``bool`` — ``and ↔ or``; ``not x → x``.
* ``const`` — a number shifted by one (``n → n + 1``; floats too), ``True ↔ False``.
  Strings are left alone (docstrings, messages, formats: mostly noise).
* ``negate`` — a condition negated: ``if``, ``while``, conditional expressions and
  comprehension filters get ``not (...)``.
* ``return`` — a returned value changed: ``return x → return None``; where the function's
  return annotation names the type, also ``-x`` (``int``, ``float``), ``not x``
  (``bool``) or the empty value (``''``, ``[]``, ``{}``, ``set()``, ``()``).
* ``statement`` — a simple statement (assignment, call, ``raise``, ``assert``, ``del``)
  replaced by ``pass``; an augmented assignment made plain (``x += y → x = y``).
* ``loop`` — ``break ↔ continue``.
* ``slice`` — a slice bound shifted by one either way (``xs[i:j] → xs[i + 1:j]``,
  ``xs[i - 1:j]``, ``xs[i:j + 1]``, ``xs[i:j - 1]``).

Skipped sites: the ``__name__ == "__main__"`` guard (negating it only silences a program,
which any test notices), annotations and decorators.

A mutant is *killed* when some test's outcome differs from the original's under the
sandbox's comparison rules (`compare_outcomes`); a mutant that times out, runs out of
memory or raises where the original returned is therefore killed too. The *test
strength* of a test set is killed / tried.

Limits, documented: **equivalent mutants cannot be detected** (``x * 1 → x / 1`` on
ints compares equal; a shifted constant in dead code changes nothing), so strength is a
lower bound of the share of *non-equivalent* mutants killed, and 1.0 is often out of
reach. When a piece of code has more mutation sites than the budget, a deterministic
sample is taken: the sites are shuffled per operator class with a fixed seed and taken
round-robin across classes, so every kind of change is represented.

Mutants are built with ``ast`` and written back with ``ast.unparse`` (comments and layout
are lost, behaviour is not). Running them costs sandbox executions: see
`measure_strength`, which runs them in rounds over growing slices of the inputs and
stops testing a mutant as soon as it is killed, so a mutant that loops forever costs
about one timeout, not one per input.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from semi_core.sandbox import Outcome, SandboxPool, Task, compare_outcomes

OPERATOR_CLASSES = (
    "arith", "compare", "bool", "const", "negate", "return", "statement", "loop", "slice",
)  # fmt: skip

_ARITH: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div, ast.FloorDiv),
    ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div, ast.Mult),
    ast.Mod: (ast.FloorDiv,),
    ast.Pow: (ast.Mult,),
    ast.LShift: (ast.RShift,),
    ast.RShift: (ast.LShift,),
    ast.BitAnd: (ast.BitOr,),
    ast.BitOr: (ast.BitAnd,),
    ast.BitXor: (ast.BitAnd,),
}
# Operators whose right operand may get a unary minus (numbers, not strings or sets).
_SIGNED = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
# The value a typed return is changed to, by the return annotation's name.
_EMPTY_RETURN = {"str": "''", "list": "[]", "dict": "{}", "set": "set()", "tuple": "()"}
# Simple statements that may be replaced by pass (removing them keeps the code valid).
_REMOVABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Raise, ast.Assert, ast.Delete)
_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_SYMBOL = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
    ast.NotIn: "not in", ast.And: "and", ast.Or: "or",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    """One first-order mutant: the whole mutated source and what was changed."""

    code: str
    operator: str  # one of OPERATOR_CLASSES
    line: int
    description: str  # "line 3: < → <="


@dataclass(frozen=True)
class _Site:
    index: int  # position of the node in ast.walk order (stable for one source)
    operator: str
    line: int
    col: int
    description: str
    apply: Callable[[ast.AST], ast.AST | None]  # mutate in place, or return a replacement


def _is_main_guard(node: ast.Compare) -> bool:
    names = [node.left, *node.comparators]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in names)


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of nodes inside annotations and decorators: changing them changes nothing."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for deco in node.decorator_list:
                mark(deco)
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    mark(a.annotation)
        elif isinstance(node, ast.ClassDef):
            for deco in node.decorator_list:
                mark(deco)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
    return skip


def _negated(test: ast.expr) -> ast.expr:
    return ast.UnaryOp(op=ast.Not(), operand=test)


def _sites_of(index: int, node: ast.AST, returns: dict[int, str]) -> list[_Site]:
    """The mutation sites a node offers (at most a few)."""
    line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
    sites: list[_Site] = []

    def add(operator: str, description: str, apply: Callable[[ast.AST], ast.AST | None]) -> None:
        sites.append(_Site(index, operator, line, col, f"line {line}: {description}", apply))

    if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _ARITH:
        old = type(node.op)
        suffix = "=" if isinstance(node, ast.AugAssign) else ""
        for new in _ARITH[old]:

            def swap_op(n: ast.AST, new: type[ast.operator] = new) -> None:
                n.op = new()  # type: ignore[attr-defined]

            add("arith", f"{_SYMBOL[old]}{suffix} → {_SYMBOL[new]}{suffix}", swap_op)
        if isinstance(node, ast.BinOp) and old in _SIGNED and isinstance(node.right, ast.Name):

            def minus_right(n: ast.AST) -> None:
                n.right = ast.UnaryOp(op=ast.USub(), operand=n.right)  # type: ignore[attr-defined]

            add("arith", f"{node.right.id} → -{node.right.id}", minus_right)
        if isinstance(node, ast.AugAssign):

            def plain(n: ast.AST) -> ast.AST:
                return ast.Assign(targets=[n.target], value=n.value)  # type: ignore[attr-defined]

            add("statement", f"{_SYMBOL[old]}= → =", plain)
    elif isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.Invert)):
            symbol = "-" if isinstance(node.op, ast.USub) else "~"
            add("arith", f"{symbol}x → x", lambda n: n.operand)  # type: ignore[attr-defined]
        elif isinstance(node.op, ast.Not):
            add("bool", "not x → x", lambda n: n.operand)  # type: ignore[attr-defined]
    elif isinstance(node, ast.Compare) and not _is_main_guard(node):
        for k, op in enumerate(node.ops):
            if type(op) not in _COMPARE:
                continue
            new_cmp = _COMPARE[type(op)]

            def swap_cmp(n: ast.AST, k: int = k, new: type[ast.cmpop] = new_cmp) -> None:
                n.ops[k] = new()  # type: ignore[attr-defined]

            add("compare", f"{_SYMBOL[type(op)]} → {_SYMBOL[new_cmp]}", swap_cmp)
    elif isinstance(node, ast.BoolOp):
        new_bool = ast.Or if isinstance(node.op, ast.And) else ast.And
        old_symbol, new_symbol = _SYMBOL[type(node.op)], _SYMBOL[new_bool]

        def swap_bool(n: ast.AST, new: type[ast.boolop] = new_bool) -> None:
            n.op = new()  # type: ignore[attr-defined]

        add("bool", f"{old_symbol} → {new_symbol}", swap_bool)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):

            def flip(n: ast.AST) -> None:
                n.value = not n.value  # type: ignore[attr-defined]

            add("const", f"{value} → {not value}", flip)
        elif isinstance(value, (int, float)):

            def shift(n: ast.AST) -> None:
                n.value = n.value + 1  # type: ignore[attr-defined]

            add("const", f"{value!r} → {value + 1!r}", shift)
    if isinstance(node, (ast.If, ast.While, ast.IfExp)):
        if not (isinstance(node.test, ast.Compare) and _is_main_guard(node.test)):

            def negate(n: ast.AST) -> None:
                n.test = _negated(n.test)  # type: ignore[attr-defined]

            keyword = {ast.If: "if", ast.While: "while", ast.IfExp: "x if c else y"}
            add("negate", f"{keyword[type(node)]} condition negated", negate)
    elif isinstance(node, ast.comprehension):
        for k in range(len(node.ifs)):

            def negate_filter(n: ast.AST, k: int = k) -> None:
                n.ifs[k] = _negated(n.ifs[k])  # type: ignore[attr-defined]

            line = getattr(node.ifs[k], "lineno", line)
            add("negate", "comprehension filter negated", negate_filter)
    elif isinstance(node, ast.Return):
        sites.extend(_return_sites(index, node, line, col, returns))
    elif isinstance(node, (ast.Break, ast.Continue)):
        swapped = ast.Continue if isinstance(node, ast.Break) else ast.Break
        old_word, new_word = type(node).__name__.lower(), swapped.__name__.lower()
        add("loop", f"{old_word} → {new_word}", lambda n, new=swapped: new())
    elif isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            if getattr(node, bound) is None:
                continue
            for sign, op in (("+", ast.Add), ("-", ast.Sub)):

                def shift_bound(n: ast.AST, bound: str = bound, op: type = op) -> None:
                    value = ast.BinOp(left=getattr(n, bound), op=op(), right=ast.Constant(1))
                    setattr(n, bound, value)

                add("slice", f"slice {bound} bound {sign} 1", shift_bound)
    if isinstance(node, _REMOVABLE) and not _is_docstring(node):
        add("statement", f"{type(node).__name__.lower()} statement → pass", lambda n: ast.Pass())
    return sites


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _return_sites(
    index: int, node: ast.Return, line: int, col: int, returns: dict[int, str]
) -> list[_Site]:
    """``return x → return None``, and a typed change where the annotation names the type."""
    if node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None):
        return []
    sites = [_Site(index, "return", line, col, f"line {line}: return x → return None",
                   lambda n: ast.Return(value=ast.Constant(None)))]  # fmt: skip
    typed = returns.get(id(node), "")
    if typed in ("int", "float"):
        change, replace = "return -x", lambda v: ast.UnaryOp(op=ast.USub(), operand=v)
    elif typed == "bool":
        change, replace = "return not x", _negated
    elif typed in _EMPTY_RETURN:
        empty = _EMPTY_RETURN[typed]
        change, replace = f"return {empty}", lambda v, e=empty: ast.parse(e, mode="eval").body
    else:
        return sites

    def typed_return(n: ast.AST) -> ast.AST:
        return ast.Return(value=replace(n.value))  # type: ignore[attr-defined]

    sites.append(_Site(index, "return", line, col, f"line {line}: return x → {change}",
                       typed_return))  # fmt: skip
    return sites


def _return_types(tree: ast.AST) -> dict[int, str]:
    """id of each return statement → the name of its function's return annotation
    (``list[int]`` → ``list``); nested functions have their own."""
    types: dict[int, str] = {}
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        annotation = function.returns
        if isinstance(annotation, ast.Subscript):
            annotation = annotation.value
        name = annotation.id if isinstance(annotation, ast.Name) else ""
        for node in _own_nodes(function):
            if isinstance(node, ast.Return):
                types[id(node)] = name.lower()
    return types


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of a function's body, without those of functions defined inside it."""
    nodes, stack = [], list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        nodes.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return nodes


def _all_sites(tree: ast.AST) -> list[_Site]:
    skip = _skipped_nodes(tree)
    returns = _return_types(tree)
    sites: list[_Site] = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) not in skip:
            sites.extend(_sites_of(index, node, returns))
    return sites


def _apply(code: str, site: _Site) -> str | None:
    """Re-parse the code, apply one site, unparse; None when the result is not valid."""
    tree = ast.parse(code)
    for index, node in enumerate(ast.walk(tree)):
        if index != site.index:
            continue
        replacement = site.apply(node)
        if replacement is not None:  # replace the node in its parent
            if not _replace_child(tree, node, replacement):
                return None
        break
    try:
        source = ast.unparse(ast.fix_missing_locations(tree))
        compile(source, "<mutant>", "exec", dont_inherit=True)  # parse-check, never run here
    except (SyntaxError, ValueError, RecursionError):
        return None
    return source


def _replace_child(tree: ast.AST, old: ast.AST, new: ast.AST) -> bool:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return True
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
                        return True
    return False


def _sample(sites: list[_Site], budget: int | None, seed: int) -> list[_Site]:
    """All sites within budget; else a fixed-seed shuffle per class taken round-robin."""
    if budget is None or len(sites) <= budget:
        return sorted(sites, key=_site_order)
    rng = random.Random(seed)
    groups = [[s for s in sites if s.operator == op] for op in OPERATOR_CLASSES]
    for group in groups:
        rng.shuffle(group)
    chosen: list[_Site] = []
    while len(chosen) < budget:
        for group in groups:
            if group and len(chosen) < budget:
                chosen.append(group.pop())
    return sorted(chosen, key=_site_order)


def _site_order(site: _Site) -> tuple[int, int, int, str]:
    return (site.line, site.col, site.index, site.description)


def generate_mutants(code: str, budget: int | None = None, seed: int = 0) -> list[Mutant]:
    """First-order mutants of `code` (see the module docstring), at most `budget` of them
    when a budget is given. Deterministic for a given code, budget and seed. Code that does
    not parse has no mutants. Nothing is executed here."""
    try:
        tree = ast.parse(code)
        baseline = ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    # Over-sample a little: a few candidates may be dropped as invalid or duplicates.
    candidates = _sample(_all_sites(tree), None if budget is None else budget * 2, seed)
    seen = {baseline}
    built: list[tuple[_Site, Mutant]] = []
    for site in candidates:
        source = _apply(code, site)
        if source is None or source in seen:
            continue
        seen.add(source)
        built.append((site, Mutant(source, site.operator, site.line, site.description)))
    if budget is not None and len(built) > budget:
        keep = {id(site) for site in _sample([site for site, _ in built], budget, seed)}
        built = [(site, mutant) for site, mutant in built if id(site) in keep]
    return [mutant for _, mutant in built]


# ---------------------------------------------------------------------------------------
# Running mutants in the sandbox
# ---------------------------------------------------------------------------------------


@dataclass
class MutantResult:
    """What the tests did to one mutant."""

    mutant: Mutant
    killed: bool
    killed_by: int | None = None  # index into the inputs of the first test that killed it
    reason: str = ""  # how that test told the mutant apart


@dataclass
class StrengthResult:
    """Test strength of one test set against the mutants of one piece of code."""

    results: list[MutantResult] = field(default_factory=list)
    executions: int = 0

    @property
    def tried(self) -> int:
        return len(self.results)

    @property
    def killed(self) -> int:
        return sum(r.killed for r in self.results)

    @property
    def strength(self) -> float | None:
        """killed / tried; None when there was no mutant to try."""
        return self.killed / self.tried if self.tried else None

    def summary(self, limit: int | None = None) -> list[dict[str, Any]]:
        """A compact, JSON-ready list for verdict signals, survivors first (they are what a
        person looks at to strengthen the tests); ``index`` is the mutant's position in
        the list that was measured."""
        ordered = sorted(enumerate(self.results), key=lambda ir: (ir[1].killed, ir[0]))
        return [
            {
                "index": i,
                "operator": r.mutant.operator,
                "line": r.mutant.line,
                "change": r.mutant.description,
                "killed": r.killed,
                "killed_by": r.killed_by,
            }
            for i, r in ordered[:limit]
        ]


def _task(code: str, entry_point: str | None, mode: str, text: str) -> Task:
    if mode == "program":
        return Task(code=code, mode="program", stdin=text)
    return Task(code=code, entry_point=entry_point, mode="function", args=text)


def input_rounds(n: int) -> list[range]:
    """Slices of the inputs tried in turn: 1, 1, 2, 4, 8 … (most mutants die on the first
    inputs; survivors need the rest)."""
    slices, start, size = [], 0, 1
    while start < n:
        slices.append(range(start, min(n, start + size)))
        start += size
        if len(slices) > 1:
            size *= 2
    return slices


_rounds = input_rounds


def measure_strength(
    mutants: Sequence[Mutant],
    entry_point: str | None,
    mode: str,
    inputs: Sequence[str],
    expected: Sequence[Outcome],
    pool: SandboxPool,
) -> StrengthResult:
    """Run each mutant on the inputs and compare with the original's outcomes
    (`expected[i]` for `inputs[i]`); a mutant is killed by the first differing test."""
    if len(inputs) != len(expected):
        raise ValueError("one expected outcome per input is needed")
    results = [MutantResult(m, killed=False) for m in mutants]
    executions = 0
    alive = list(range(len(results)))
    for slice_ in input_rounds(len(inputs)):
        if not alive:
            break
        pairs = [(m, i) for m in alive for i in slice_]
        outcomes = pool.run_many(
            _task(results[m].mutant.code, entry_point, mode, inputs[i]) for m, i in pairs
        )
        executions += len(pairs)
        for (m, i), outcome in zip(pairs, outcomes, strict=True):
            result = results[m]
            if result.killed:
                continue
            equal, reason = compare_outcomes(expected[i], outcome)
            if not equal:
                result.killed, result.killed_by = True, i
                result.reason = reason or outcome.status
        alive = [m for m in alive if not results[m].killed]
    return StrengthResult(results, executions)
