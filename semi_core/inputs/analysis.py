"""Analysis of the code: the function's signature, the types its body's usage
hints at, and typical values to probe a guess with."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from semi_core.inputs.types import (
    _FALLBACK,
    FLOAT,
    INT,
    NONE,
    STR,
    Typ,
    _annotation_type,
    _hashable,
    _type_of_value,
)

# ---------------------------------------------------------------------------
# the function's signature
# ---------------------------------------------------------------------------

_NO_DEFAULT = object()


@dataclass
class _Param:
    name: str
    kind: str  # "pos" (positional or keyword), "posonly", "kwonly", "varargs"
    default: Any = _NO_DEFAULT  # a literal default value, or _NO_DEFAULT
    has_default: bool = False  # also True for non-literal defaults
    annotated: Typ | None = None
    candidates: list[Typ] = field(default_factory=list)  # ranked guesses (probe)
    hinted: set[Typ] = field(default_factory=set)  # the guesses the body's usage backs

    @property
    def required(self) -> bool:
        return not self.has_default and self.kind != "varargs"


def _find_function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def _params(func: ast.FunctionDef) -> list[_Param]:
    a = func.args
    positional = [(p, "posonly") for p in a.posonlyargs] + [(p, "pos") for p in a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(
        a.defaults
    )
    out: list[_Param] = []
    for (arg, kind), default in zip(positional, defaults, strict=True):
        out.append(_make_param(arg, kind, default))
    if a.vararg is not None:
        out.append(_make_param(a.vararg, "varargs", None))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        out.append(_make_param(arg, "kwonly", default))
    return out


def _make_param(arg: ast.arg, kind: str, default: ast.expr | None) -> _Param:
    param = _Param(arg.arg, kind, annotated=_annotation_type(arg.annotation))
    if default is not None:
        param.has_default = True
        try:
            param.default = ast.literal_eval(default)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            param.default = _NO_DEFAULT
    return param


# ---------------------------------------------------------------------------
# usage hints: what the body does with a parameter says what type it has
# ---------------------------------------------------------------------------

_STR_METHODS = frozenset(
    "lower upper split strip lstrip rstrip isdigit isalpha isalnum isspace islower isupper "
    "startswith endswith replace find rfind swapcase title capitalize join splitlines "
    "encode format zfill center ljust rjust isnumeric isdecimal casefold partition "
    "rpartition expandtabs translate istitle isidentifier removeprefix removesuffix".split()
)
_LIST_METHODS = frozenset("append pop sort extend insert remove reverse clear copy".split())
_DICT_METHODS = frozenset("items keys values get setdefault update popitem".split())
_SET_METHODS = frozenset("add discard union intersection difference issubset".split())
_SEQ_FUNCS = frozenset(
    "len sorted reversed enumerate sum max min set list tuple zip any all iter next "
    "frozenset heapify Counter deque".split()
)
_INT_FUNCS = frozenset("range chr bin hex oct factorial isqrt comb perm".split())
_NUM_FUNCS = frozenset("abs round sqrt floor ceil log exp pow sin cos fabs trunc divmod".split())


class _Usage:
    """Scores for the type of one expression (a parameter, or its elements)."""

    def __init__(self) -> None:
        self.scores: dict[Typ, float] = {}
        self.elem: _Usage | None = None  # what the elements look like, when iterated
        self.char = False  # used as one character: `c == "("`, `c in "aeiou"`, `ord(c)`
        self.indices: set[int] = set()  # constant indices: x[0], x[1] (a record?)
        self.index_weight = 0.0  # the part of the "seq" score those indices gave
        self.from_end = False  # x[-1]: counted from the end, so not a fixed-size record

    def add(self, t: Typ, weight: float) -> None:
        self.scores[t] = self.scores.get(t, 0.0) + weight

    def element(self) -> _Usage:
        if self.elem is None:
            self.elem = _Usage()
        return self.elem

    def ranked(self, depth: int = 0) -> list[Typ]:
        """Candidate types, best first; containers get their element type."""
        elem_types = self.elem.ranked(depth + 1) if (self.elem and depth < 2) else []
        elem = elem_types[0] if elem_types else INT
        scores = dict(self.scores)
        if STR in scores and ("seq",) in scores and ("list",) not in scores:
            if not elem_types or elem == STR:
                # a string is a sequence too: `s == ""` and `for c in s` mean one string
                scores[STR] += scores[("seq",)]
        out: list[Typ] = []
        for t, _ in sorted(scores.items(), key=lambda kv: -kv[1]):
            if t == ("seq",):
                record = None
                if self.indices and max(self.indices) < 4 and not self.from_end:
                    record = ("tuple", *([elem] * (max(self.indices) + 1)))
                    if self.scores[t] <= self.index_weight:  # only ever x[0], x[1]
                        out.insert(0, record)
                        record = None
                if elem == STR and self.elem is not None and self.elem.char:
                    out.append(STR)  # iterated character by character
                out += [("list", elem)]
                if not elem_types or elem == STR:
                    out.append(STR)
                if len(elem_types) > 1:
                    out.append(("list", elem_types[1]))
                if record is not None:  # also used as a whole: a list first
                    out.append(record)
            elif t == ("list",):
                out.append(("list", elem))
                if len(elem_types) > 1:
                    out.append(("list", elem_types[1]))
            elif t == ("num",):
                out += [INT, FLOAT]
            else:
                out.append(t)
        seen: list[Typ] = []
        for t in out:
            if t not in seen:
                seen.append(t)
        return seen


def _builds_str(node: ast.expr) -> bool:
    """`str(n)`, `f"..."`, `"a" * k`, `", ".join(xs)`: an expression that makes a string."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("str", "chr", "repr"):
            return True
        return isinstance(func, ast.Attribute) and func.attr in ("join", "format")
    return False


def _const_type(node: ast.expr) -> Typ | None:
    if isinstance(node, ast.Constant):
        v = node.value
        # Numbers and strings only: a bool or None constant says little about a type.
        if isinstance(v, int | float | str) and not isinstance(v, bool):
            return _type_of_value(v)
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _const_type(node.operand)
    return None


class _Analysis:
    """Parent links over the entry function, for reading how names are used."""

    def __init__(self, func: ast.FunctionDef, tree: ast.Module | None = None) -> None:
        self.func = func
        # names bound to literal collections: `planets = ("Mercury", ...)`
        self.collections: dict[str, list[Any]] = {}
        for node in ast.walk(tree or func):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, (ast.List, ast.Tuple, ast.Set))
            ):
                items = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
                if items:
                    self.collections[node.targets[0].id] = items
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(func):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.loads: dict[str, list[ast.Name]] = {}
        for node in ast.walk(func):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                self.loads.setdefault(node.id, []).append(node)
        # `lambda x: x[1]` in f(lst, x): that x is the lambda's own, not the parameter
        self.shadowed: set[int] = set()
        for node in ast.walk(func):
            if isinstance(node, ast.Lambda):
                bound = {a.arg for a in node.args.args}
                self.shadowed |= {
                    id(n) for n in ast.walk(node.body) if isinstance(n, ast.Name) and n.id in bound
                }

    def usage_of_name(self, name: str, depth: int = 0, usage: _Usage | None = None) -> _Usage:
        usage = usage or _Usage()
        for node in self.loads.get(name, ()):
            if depth == 0 and id(node) in self.shadowed:
                continue  # another variable of the same name
            self._context(node, usage, depth)
        for node in ast.walk(self.func):  # x += 1, x -= 'a'
            if (
                isinstance(node, ast.AugAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
            ):
                t = _const_type(node.value)
                if t:
                    usage.add(t, 1.0)
        return usage

    def _iterated_by(self, target: ast.expr, usage: _Usage, depth: int) -> None:
        """`for target in <expr>`: the target's usage describes the elements."""
        if depth >= 2:
            return
        if isinstance(target, ast.Name):
            self.usage_of_name(target.id, depth + 1, usage.element())
        elif isinstance(target, ast.Tuple) and len(target.elts) == 2:
            usage.element().add(("tuple", INT, INT), 0.5)

    def _context(self, node: ast.expr, usage: _Usage, depth: int) -> None:
        p = self.parents.get(node)
        if p is None:
            return
        if isinstance(p, ast.Attribute) and p.value is node:
            if p.attr in _STR_METHODS:
                usage.add(STR, 3.0)
                if p.attr in _CHAR_CLASSES:  # c.isdigit(): often one character
                    usage.char = True
            elif p.attr in _LIST_METHODS:
                usage.add(("list",), 3.0)
            elif p.attr in _DICT_METHODS:
                usage.add(("dict", STR, INT), 3.0)
            elif p.attr in _SET_METHODS:
                usage.add(("set", INT), 2.0)
            elif p.attr in ("count", "index"):
                usage.add(("seq",), 1.5)
            elif p.attr in ("real", "imag", "bit_length", "is_integer"):
                usage.add(("num",), 2.0)
            return
        if isinstance(p, ast.Call) and node in p.args:
            fname = p.func.id if isinstance(p.func, ast.Name) else getattr(p.func, "attr", "")
            if isinstance(p.func, ast.Attribute) and p.func.attr == "join":
                usage.add(("list", STR), 3.0)
            elif fname in _INT_FUNCS:
                usage.add(INT, 3.0)
            elif fname == "ord":
                usage.add(STR, 3.0)
                usage.char = True
            elif fname in _NUM_FUNCS:
                usage.add(("num",), 2.0)
            elif fname in ("zip", "enumerate") and depth < 2:
                # for a, b in zip(xs, ys): a is what xs holds
                usage.add(("seq",), 2.0)
                loop = self.parents.get(p)
                target = getattr(loop, "target", None) if getattr(loop, "iter", None) is p else None
                k = p.args.index(node) + (1 if fname == "enumerate" else 0)
                if isinstance(target, ast.Tuple) and k < len(target.elts):
                    elt = target.elts[k]
                    if isinstance(elt, ast.Name):
                        self.usage_of_name(elt.id, depth + 1, usage.element())
            elif fname in ("max", "min") and len(p.args) >= 2:
                usage.add(("num",), 1.0)  # max(a, b): compared values, not sequences
            elif fname == "sum":
                usage.add(("list",), 2.0)
                usage.element().add(INT, 1.0)
                usage.element().add(FLOAT, 0.5)
            elif fname in _SEQ_FUNCS:
                usage.add(("seq",), 1.5)
                key = next((k.value for k in p.keywords if k.arg == "key"), None)
                if isinstance(key, ast.Lambda) and key.args.args and depth < 2:
                    # sorted(xs, key=lambda x: len(x)): x is what xs holds
                    self.usage_of_name(key.args.args[0].arg, depth + 1, usage.element())
            elif fname == "str":
                usage.add(INT, 1.5)
            elif fname in ("int", "float"):
                usage.add(STR, 1.0)
                usage.add(FLOAT if fname == "int" else INT, 1.0)
            elif fname == "dict":
                usage.add(("dict", STR, INT), 1.0)
            elif fname in ("map", "filter") and p.args.index(node) > 0:
                usage.add(("seq",), 1.5)
            elif fname == "isinstance" and len(p.args) == 2 and p.args[0] is node:
                t = _annotation_type(p.args[1])
                if t:
                    usage.add(t, 3.0)
            return
        if isinstance(p, ast.BinOp):
            other = p.right if p.left is node else p.left
            t = _const_type(other)
            if isinstance(p.op, ast.Mod) and p.left is not node:
                return  # '%s' % x says nothing about x
            if t is None and isinstance(p.op, ast.Add) and _builds_str(other):
                t = STR  # x + str(n), x + f"..." : x is a string too
            if t is not None:
                if isinstance(p.op, ast.Mult) and t == STR:
                    usage.add(INT, 2.0)
                elif isinstance(p.op, ast.Mult) and t == INT:
                    usage.add(("num",), 1.0)
                    usage.add(("seq",), 0.3)
                else:
                    usage.add(t, 2.0)
            elif isinstance(other, ast.List):
                usage.add(("list",), 2.0)
            elif isinstance(
                p.op,
                (
                    ast.Mod,
                    ast.FloorDiv,
                    ast.Pow,
                    ast.BitAnd,
                    ast.BitOr,
                    ast.BitXor,
                    ast.LShift,
                    ast.RShift,
                ),
            ):
                usage.add(INT, 1.5)
            elif isinstance(p.op, (ast.Sub, ast.Div)):
                usage.add(("num",), 1.0)
            return
        if isinstance(p, ast.UnaryOp) and isinstance(p.op, (ast.USub, ast.Invert)):
            usage.add(("num",), 1.5)
            return
        if isinstance(p, ast.Compare):
            operands = [p.left, *p.comparators]
            i = operands.index(node) if node in operands else -1
            for j, op in enumerate(p.ops):
                left, right = operands[j], operands[j + 1]
                if isinstance(op, (ast.In, ast.NotIn)):
                    if right is node:
                        usage.add(("seq",), 1.0)
                        if _const_type(left) == STR:
                            usage.add(STR, 1.5)
                    elif (
                        left is node
                        and isinstance(right, ast.Name)
                        and right.id in self.collections
                    ):
                        items = self.collections[right.id]
                        usage.add(_type_of_value(items[0]), 2.0)
                        if all(isinstance(v, str) and len(v) == 1 for v in items):
                            usage.char = True  # c in VOWELS
                    elif left is node and isinstance(
                        right, (ast.Constant, ast.List, ast.Tuple, ast.Set)
                    ):
                        elems = [right] if isinstance(right, ast.Constant) else right.elts
                        if isinstance(right, ast.Constant) and isinstance(right.value, str):
                            usage.char = True  # c in "aeiou"
                        for e in elems:
                            t = _const_type(e)
                            if t:
                                usage.add(STR if isinstance(right, ast.Constant) else t, 1.5)
                                break
                elif i in (j, j + 1):
                    other = right if left is node else left
                    t = _const_type(other) if other is not node else None
                    if t:
                        usage.add(t, 2.0)
                    if isinstance(other, ast.Constant) and isinstance(other.value, str):
                        usage.char = usage.char or len(other.value) == 1
            return
        if isinstance(p, ast.Subscript) and p.value is node:
            sl = p.slice
            if isinstance(sl, ast.Constant) and isinstance(sl.value, str):
                usage.add(("dict", STR, INT), 3.0)
            elif isinstance(sl, ast.Slice):
                usage.add(("seq",), 1.5)
                self._context(p, usage, depth)  # xs[1:] is used like xs
            else:
                if isinstance(sl, ast.UnaryOp) and isinstance(sl.op, ast.USub):
                    usage.from_end = True
                usage.add(("seq",), 1.5)
                if isinstance(sl, ast.Constant) and type(sl.value) is int and sl.value >= 0:
                    usage.indices.add(sl.value)
                    usage.index_weight += 1.5
                if depth < 2:
                    self._context(p, usage.element(), depth + 1)
            return
        if isinstance(p, ast.For) and p.iter is node:
            usage.add(("seq",), 2.0)
            self._iterated_by(p.target, usage, depth)
            return
        if isinstance(p, ast.comprehension) and p.iter is node:
            usage.add(("seq",), 2.0)
            self._iterated_by(p.target, usage, depth)
            return
        if (
            isinstance(p, ast.Call)
            and isinstance(p.func, ast.Name)
            and p.func.id == "enumerate"
            and p.args
            and p.args[0] is node
        ):
            usage.add(("seq",), 2.0)


def _rank_candidates(param: _Param, analysis: _Analysis, k: int = 6) -> tuple[list[Typ], set[Typ]]:
    """Candidate types of an unannotated parameter, best guess first, and the ones the
    code's usage (or a default) backs."""
    usage = analysis.usage_of_name(param.name)
    if param.kind == "varargs":  # *args: what each element is used as
        hinted = usage.elem.ranked(1) if usage.elem else []
    else:
        hinted = usage.ranked()
    if param.default is not _NO_DEFAULT and param.default is not None:
        hinted.insert(0, _type_of_value(param.default))
    ranked = list(dict.fromkeys(hinted))
    for t in _FALLBACK:
        if t not in ranked:
            ranked.append(t)
    return ranked[:k], set(hinted)


# ---------------------------------------------------------------------------
# typical values for probing a type guess
# ---------------------------------------------------------------------------


def _typical(t: Typ, position: int) -> Any:
    """One ordinary, non-empty value of a type (varied by argument position, so a
    function of two ints is not probed on equal ones)."""
    kind = t[0]
    if kind == "int":
        return (3, 2, 5, 4)[position % 4]
    if kind == "float":
        return (2.5, 1.5, 3.0, 0.5)[position % 4]
    if kind == "str":
        return ("abc", "hello world", "xy", "Hello")[position % 4]
    if kind == "bool":
        return True
    if kind == "none":
        return None
    if kind == "bytes":
        return b"abc"
    if kind == "list":
        elem = t[1]
        if elem == INT:
            return [[3, 1, 2], [2, 5, 4], [1, 4, 3]][position % 3]  # unsorted, with a 1
        if elem[0] == "list" and elem[1] == INT:  # a grid: square, 1..n*n
            return [[1, 2, 3], [4, 5, 6], [7, 8, 9]] if position % 2 == 0 else [[2, 1], [4, 3]]
        return [_typical(elem, position + i) for i in range(3)]
    if kind == "set":
        return {_typical(_hashable(t[1]), position + i) for i in range(3)}
    if kind == "tuple":
        return tuple(_typical(x, position + i) for i, x in enumerate(t[1:]))
    if kind == "tuple...":
        return tuple(_typical(t[1], position + i) for i in range(2))
    if kind == "dict":
        return {
            _typical(_hashable(t[1]), position + i): _typical(t[2], position + i) for i in range(2)
        }
    if kind == "union":
        for x in t[1:]:
            if x != NONE:
                return _typical(x, position)
        return None
    if kind == "literal":
        return t[1]
    return 3


def _holds_str(t: Typ) -> bool:
    return t == STR or (t[0] in ("list", "tuple...", "tuple") and any(_holds_str(x) for x in t[1:]))


def _typical_words(t: Typ, position: int, words: list[str]) -> Any:
    """Like `_typical`, with the code's own strings in the string places."""
    if t == STR:
        return words[position % len(words)]
    if t[0] == "list":
        return [_typical_words(t[1], position + i, words) for i in range(3)]
    if t[0] == "tuple":
        return tuple(_typical_words(x, position + i, words) for i, x in enumerate(t[1:]))
    return _typical(t, position)


# str methods that test a character's class, and a character of each class
_CHAR_CLASSES = {
    "isdigit": "7",
    "isnumeric": "7",
    "isdecimal": "7",
    "isalpha": "k",
    "isupper": "Q",
    "islower": "q",
    "isspace": " ",
    "isalnum": "5",
}
