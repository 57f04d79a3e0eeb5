"""Test-input synthesis: argument lists (or stdin texts) to run a snippet on.

Used by every generation backend, and to add to an LLM's own inputs. Sources, each
recorded as the input's origin:

- ``doctest``  calls of the function written in its docstring (``>>> f(1, 2)``,
  ``f("ab") ➞ 1``, ``For lst = [1, 2] the output ...``, ``Input: arr = [3, 1]``);
- ``typed``    values drawn from the parameters' type annotations and defaults
  (a seeded generator shaped like hypothesis' draws: see `_gen` for why not hypothesis);
- ``probe``    types guessed for unannotated parameters from how the body uses them,
  then *tried* in the sandbox: a guess is kept when the original runs without a
  TypeError/AttributeError on it, and values are drawn for the kept guesses;
- ``literal``  constants mined from the code (numbers ±1 around comparisons, strings
  compared against, characters of string constants) and boundary values (0, 1, -1,
  '', [], a large int) put into a working input, one parameter at a time;
  Also, as ``literal``: the code's own boundaries, from a working input: lengths
  around ``len(x) < 3``; split strings with the part count the code unpacks
  (``m, d, y = s.split("-")``), each part set to the numbers it compares against;
  small ints making equalities between parameters true (``a*a + b*b == c*c``,
  found by a search over small ranges with a tiny arithmetic interpreter, never
  ``eval``); a value of one argument put into another (``grid[i][j] == x``);
  strings with counted characters of a tested class (``isdigit`` then ``t > 3``);
- ``mutation`` EvalPlus-style type-aware mutation of working seed inputs;
- seeds keep the origin the caller gave them (``llm`` for plain strings).

Three rounds: seeds, doctests and probes; typed, literal and mutation streams in
turns; then neighbours (boundary variants, constants, mutations) of the inputs whose
outcome is rarest so far: a validator's few "Yes" inputs sit next to its checks.
Selection: the empty input, then the boundary-made inputs, then in turns over the
origins the input whose output is new with the most pieces not seen yet, else the
output chosen least often (as many "Yes" as "No").

The snippet's code never runs in this process: it is only parsed with `ast`; every
execution goes through the sandbox pool, in a few batched `run_many` calls (at most
`MAX_EXECUTIONS` tests per snippet). Inputs on which the original runs OK are kept
first; a few that raise a deliberate error (ValueError, IndexError ...) are kept as
error-case tests; TypeErrors, timeouts and sandbox refusals are dropped. The same
snippet, seeds and seed number always give the same inputs.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import math
import random
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from semi_core.generate.base import TestInput
from semi_core.sandbox import Outcome, SandboxPool, Task, parse_call_args
from semi_core.sandbox.args import ArgumentError

__all__ = [
    "MAX_EXECUTIONS",
    "examples_for_instruction",
    "render_args",
    "render_value",
    "synthesize_inputs",
]

MAX_EXECUTIONS = 60  # sandbox tests per snippet, all rounds together
_ROUND1_MAX = 28  # seeds, doctests, first typed draws and type probes
_ROUND3_MAX = 16  # neighbours of the inputs with the rarest outcomes
_MAX_TEXT = 400  # longer argument texts make unreadable tests; drop them
_MAX_ERRORS = 2  # error-case tests kept at most (fewer for small limits)
_MAX_TIMEOUTS = 2  # per snippet: each costs a whole timeout of a worker

# Errors that say "this input has the wrong type/shape for this code" rather than "the
# code rejects this value on purpose".
_TYPE_ERRORS = frozenset({"TypeError", "AttributeError"})
_BAD_ERRORS = _TYPE_ERRORS | {
    "NameError",
    "UnboundLocalError",
    "ImportError",
    "ModuleNotFoundError",
    "NotImplementedError",
    "RecursionError",
    "MemoryError",
    "SyntaxError",
    "SystemExit",
    "KeyboardInterrupt",
    "TaskError",
}

_ORIGIN_ORDER = ("doctest", "typed", "probe", "literal", "mutation", "example")


# ---------------------------------------------------------------------------
# rendering values as argument text
# ---------------------------------------------------------------------------


def render_value(value: Any) -> str:
    """A Python literal for `value` that `parse_call_args` reads back. Sets are written
    sorted, so the text does not depend on the hash seed."""
    if value is None or isinstance(value, (bool, int, str, bytes)):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "float('-inf')"
        return repr(value)
    if isinstance(value, complex):
        return f"complex({value.real!r}, {value.imag!r})"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        if len(value) == 1:
            return "(" + render_value(value[0]) + ",)"
        return "(" + ", ".join(render_value(v) for v in value) + ")"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{render_value(k)}: {render_value(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, (set, frozenset)):
        items = sorted((render_value(v) for v in value), key=lambda s: (len(s), s))
        if isinstance(value, frozenset):
            return "frozenset([" + ", ".join(items) + "])"
        return "{" + ", ".join(items) + "}" if items else "set()"
    raise ValueError(f"no literal for {type(value).__name__}")


def render_args(args: Sequence[Any], kwargs: dict[str, Any] | None = None) -> str:
    """The text inside a call's parentheses: `1, [2, 3], key='x'`."""
    parts = [render_value(a) for a in args]
    parts += [f"{k}={render_value(v)}" for k, v in (kwargs or {}).items()]
    return ", ".join(parts)


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 from True (all equal in Python)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _canonical(text: str) -> tuple[str, tuple[list[Any], dict[str, Any]]] | None:
    """(canonical text, parsed values) of an argument text, or None when it is not a
    literal argument list. Canonical text makes `1,2` and `1, 2` one input."""
    try:
        args, kwargs = parse_call_args(text)
        canon = render_args(args, kwargs)
    except (ArgumentError, ValueError, RecursionError, MemoryError):
        return None
    return canon, (args, kwargs)


def _encode(args: Sequence[Any], kwargs: dict[str, Any] | None = None) -> str | None:
    """Render values and check they read back the same (drops values with no literal)."""
    try:
        text = render_args(args, kwargs)
    except (ValueError, RecursionError):
        return None
    if len(text) > _MAX_TEXT:
        return None
    try:
        back = parse_call_args(text)
    except (ArgumentError, RecursionError, MemoryError):
        return None
    if not _same(list(args), back[0]) or not _same(dict(kwargs or {}), back[1]):
        return None
    return text


def _stable_int(*parts: object) -> int:
    """A seed that does not depend on PYTHONHASHSEED (str hashes do)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


# ---------------------------------------------------------------------------
# types: a small tree, from annotations, defaults and usage
# ---------------------------------------------------------------------------

# ("int",) ("float",) ("str",) ("bool",) ("none",) ("bytes",) ("any",)
# ("list", T) ("set", T) ("tuple", T1, T2, ...) ("tuple...", T) ("dict", K, V) ("union", T...)
Typ = tuple
INT, FLOAT, STR, BOOL, NONE, BYTES, ANY = (
    ("int",),
    ("float",),
    ("str",),
    ("bool",),
    ("none",),
    ("bytes",),
    ("any",),
)
LIST_INT, LIST_STR, LIST_FLOAT = ("list", INT), ("list", STR), ("list", FLOAT)

# Tried for a parameter nothing tells us about, most common first.
_FALLBACK: tuple[Typ, ...] = (
    INT,
    STR,
    LIST_INT,
    FLOAT,
    LIST_STR,
    ("list", LIST_INT),
    ("dict", STR, INT),
    LIST_FLOAT,
    BOOL,
    ("tuple", INT, INT),
)

_SIMPLE_NAMES = {
    "int": INT,
    "float": FLOAT,
    "complex": FLOAT,
    "str": STR,
    "bool": BOOL,
    "bytes": BYTES,
    "bytearray": BYTES,
    "None": NONE,
    "NoneType": NONE,
    "Any": ANY,
    "object": ANY,
    "list": ("list", ANY),
    "List": ("list", ANY),
    "Sequence": ("list", ANY),
    "MutableSequence": ("list", ANY),
    "Iterable": ("list", ANY),
    "Collection": ("list", ANY),
    "Iterator": ("list", ANY),
    "tuple": ("tuple...", ANY),
    "Tuple": ("tuple...", ANY),
    "dict": ("dict", STR, ANY),
    "Dict": ("dict", STR, ANY),
    "Mapping": ("dict", STR, ANY),
    "MutableMapping": ("dict", STR, ANY),
    "set": ("set", INT),
    "Set": ("set", INT),
    "frozenset": ("set", INT),
    "FrozenSet": ("set", INT),
    "AbstractSet": ("set", INT),
    "Number": FLOAT,
    "Real": FLOAT,
    "Integral": INT,
}
_LIST_NAMES = {"list", "List", "Sequence", "MutableSequence", "Iterable", "Collection", "Iterator"}
_DICT_NAMES = {"dict", "Dict", "Mapping", "MutableMapping", "DefaultDict", "OrderedDict"}
_SET_NAMES = {"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"}


def _annotation_type(node: ast.expr | None) -> Typ | None:
    """The type an annotation names, or None (no annotation, or a class we cannot write
    as a literal: a callable, a user class ...). Read from the AST, never evaluated."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        if node.value is None:
            return NONE
        if isinstance(node.value, str):  # a string annotation: "List[int]"
            try:
                return _annotation_type(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return None
        return None
    if isinstance(node, ast.Attribute):  # typing.List, t.Optional ...
        return _annotation_type(ast.Name(id=node.attr))
    if isinstance(node, ast.Name):
        return _SIMPLE_NAMES.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):  # int | None
        left, right = _annotation_type(node.left), _annotation_type(node.right)
        if left is None or right is None:
            return None
        return ("union", left, right)
    if isinstance(node, ast.Subscript):
        base = node.value
        name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
        inner = node.slice
        elts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if name in _LIST_NAMES:
            elem = _annotation_type(elts[0])
            return ("list", elem) if elem else None
        if name in _SET_NAMES:
            elem = _annotation_type(elts[0])
            return ("set", elem) if elem else None
        if name in _DICT_NAMES and len(elts) == 2:
            key, value = _annotation_type(elts[0]), _annotation_type(elts[1])
            return ("dict", key, value) if key and value else None
        if name in ("tuple", "Tuple"):
            if len(elts) == 2 and isinstance(elts[1], ast.Constant) and elts[1].value is ...:
                elem = _annotation_type(elts[0])
                return ("tuple...", elem) if elem else None
            parts = [_annotation_type(e) for e in elts]
            return ("tuple", *parts) if all(parts) else None
        if name == "Optional":
            elem = _annotation_type(elts[0])
            return ("union", NONE, elem) if elem else None
        if name == "Union":
            parts = [_annotation_type(e) for e in elts]
            return ("union", *parts) if all(parts) else None
        if name == "Literal":
            values = [e.value for e in elts if isinstance(e, ast.Constant)]
            return ("literal", *values) if values else None
        return None
    return None


def _type_of_value(value: Any) -> Typ:
    """The type tree of a default value (or of an example)."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, bytes):
        return BYTES
    if value is None:
        return NONE
    if isinstance(value, (list, tuple, set, frozenset)):
        elem = _type_of_value(next(iter(value))) if value else INT
        if isinstance(value, list):
            return ("list", elem)
        if isinstance(value, tuple):
            return ("tuple...", elem)
        return ("set", elem)
    if isinstance(value, dict):
        if value:
            key, val = next(iter(value.items()))
            return ("dict", _type_of_value(key), _type_of_value(val))
        return ("dict", STR, INT)
    return ANY


def _hashable(t: Typ) -> Typ:
    """Set elements and dict keys must be hashable: lists become tuples."""
    if t[0] == "list":
        return ("tuple...", _hashable(t[1]))
    if t[0] in ("dict", "set", "any"):
        return INT if t[0] != "any" else STR
    if t[0] == "union":
        return ("union", *(_hashable(x) for x in t[1:]))
    return t


# ---------------------------------------------------------------------------
# value generation from a type, seeded
# ---------------------------------------------------------------------------
#
# Why not hypothesis: `@hypothesis.seed` makes a draw repeatable only while the same
# local modules are imported (hypothesis mixes constants it mines from every local
# module in sys.modules into its draws, and caches them in .hypothesis/ under the
# working directory), so the app, the CLI and the tests would draw different inputs
# for the same snippet. It also costs ~1.7 ms per example. A seeded `random.Random`
# over small value pools, shaped like hypothesis' draws (the simplest values first,
# then growing sizes, duplicates, boundaries and the code's own constants), is
# deterministic everywhere and ~100x cheaper.


@dataclass
class _Ctx:
    """What value generation knows about the snippet."""

    chars: str = ""  # characters of the code's string constants (brackets, vowels ...)
    strings: tuple[str, ...] = ()  # the code's short string constants
    ints: tuple[int, ...] = ()  # the code's int constants and their neighbours
    floats: tuple[float, ...] = ()
    seps: tuple[str, ...] = ()  # what the code splits strings on
    parts: tuple[str, ...] = ()  # what goes between those separators
    small: bool = True  # small sizes: first round, or the code is slow on larger ones
    digits: bool = False  # the code turns strings into numbers: strings of digits too


_BASE_ALPHABET = string.ascii_lowercase + "ABCDEF0123 .,!-"
_UNICODE = "éßΩж中😀"
_NICE_FLOATS = (0.5, -0.5, 1.5, 0.1, 2.25, -3.75, 100.0)


def _gen(t: Typ, rng: random.Random, ctx: _Ctx, size: int) -> Any:
    """One value of type `t`; `size` bounds lengths (0 gives the simplest value)."""
    kind = t[0]
    if kind == "int":
        if size == 0:
            return 0
        roll = rng.random()
        if roll < 0.2 and ctx.ints:
            return rng.choice(ctx.ints)
        if roll < 0.6:
            return rng.randint(-3, 12)
        hi = 30 if ctx.small else 1000
        return rng.randint(-hi, hi)
    if kind == "float":
        if size == 0:
            return 0.0
        roll = rng.random()
        if roll < 0.15 and ctx.floats:
            return rng.choice(ctx.floats)
        if roll < 0.4:
            return float(rng.randint(-10, 10))
        if roll < 0.6:
            return rng.choice(_NICE_FLOATS)
        hi = 30 if ctx.small else 1000
        return round(rng.uniform(-hi, hi), 2)
    if kind == "str":
        if size == 0:
            return ""
        if ctx.digits and rng.random() < 0.4:  # int(s): "305", "7"
            return "".join(rng.choice(string.digits) for _ in range(rng.randint(1, size + 2)))
        roll = rng.random()
        if roll < 0.2 and ctx.seps and ctx.parts:  # "three one five", "a.txt", "1/5"
            sep = rng.choice(ctx.seps)
            return sep.join(rng.choice(ctx.parts) for _ in range(rng.randint(1, 5)))
        if 0.2 <= roll < 0.45 and ctx.strings:  # the code's own strings
            return rng.choice(ctx.strings)
        if 0.45 <= roll < 0.7 and ctx.chars:
            # the code's characters alone ("(())"), or mixed with others ("bEd", "xay")
            alphabet = ctx.chars if roll < 0.6 else ctx.chars + "bcdxyzBC a"
        elif roll < 0.95:
            alphabet = _BASE_ALPHABET
        else:
            alphabet = _UNICODE + "ab "
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 2 * size + 2)))
    if kind == "bool":
        return size > 0 and rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, size + 1)))
    if kind == "literal":
        return rng.choice(t[1:])
    if kind == "union":
        options = list(t[1:])
        return _gen(options[0] if size == 0 else rng.choice(options), rng, ctx, size)
    if kind == "tuple":
        return tuple(_gen(x, rng, ctx, size) for x in t[1:])
    if kind == "any":
        return _gen(rng.choice((INT, INT, FLOAT, STR)), rng, ctx, size)
    if kind == "list" and t[1][0] == "list" and size and rng.random() < 0.4:
        n = rng.randint(1, min(size, 4))  # a square grid; of 1..n*n when of ints
        if t[1][1] == INT and rng.random() < 0.5:
            cells = list(range(1, n * n + 1))
            rng.shuffle(cells)
        else:
            cells = [_gen(t[1][1], rng, ctx, max(1, size - 1)) for _ in range(n * n)]
        return [cells[i * n : (i + 1) * n] for i in range(n)]
    if kind in ("list", "set", "tuple...", "dict"):
        n = 0 if size == 0 else rng.randint(0 if size < 3 else 1, size + 1)
        elem = _hashable(t[1]) if kind in ("set", "dict") else t[1]
        if n and rng.random() < 0.25:  # duplicates: a few values repeated
            pool = [_gen(elem, rng, ctx, max(1, size - 1)) for _ in range(2)]
            items = [rng.choice(pool) for _ in range(n)]
        else:
            items = [_gen(elem, rng, ctx, max(1, size - 1)) for _ in range(n)]
        if items and rng.random() < 0.15:
            try:
                items.sort()
            except TypeError:
                pass
        if kind == "list":
            return items
        if kind == "tuple...":
            return tuple(items)
        if kind == "set":
            return set(items)
        return {k: _gen(t[2], rng, ctx, max(1, size - 1)) for k in items}
    return 0


def _draw_values(
    types: dict[str, Typ], varargs: set[str], n: int, seed: int, ctx: _Ctx
) -> list[dict[str, Any]]:
    """`n` value assignments for the parameters: the simplest first, then sizes growing
    like hypothesis' do (1, 2, ... up to 4 on small or 8 values)."""
    rng = random.Random(seed)
    top = 4 if ctx.small else 8
    out: list[dict[str, Any]] = []
    for i in range(n):
        size = min(i, top) if i < top else rng.randint(1, top)
        values: dict[str, Any] = {}
        for name, t in types.items():
            if name in varargs:
                values[name] = [_gen(t, rng, ctx, size) for _ in range(rng.randint(0, 3))]
            else:
                values[name] = _gen(t, rng, ctx, size)
        out.append(values)
    return out


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


def _working_combos(
    probe_cands: list[tuple[_Cand, dict[str, Typ]]], unknown: list[_Param]
) -> list[dict[str, Typ]]:
    """The type guesses the original ran OK on (else raised a deliberate error on),
    those best backed by the code's usage first: `word == "start"` also runs on a list,
    but a str is meant."""

    def evidence(combo: dict[str, Typ]) -> int:
        return sum(combo.get(p.name) in p.hinted for p in unknown)

    good = [combo for cand, combo in probe_cands if cand.ok]
    if not good:
        good = [combo for cand, combo in probe_cands if cand.benign_error][:2]
    unique: list[dict[str, Typ]] = []
    for combo in good:
        if combo not in unique:
            unique.append(combo)
    if not unique:
        return []
    best = max(evidence(c) for c in unique)
    top = [c for c in unique if evidence(c) == best]
    # one consistent type when the code says what it wants (a str is also iterable, a
    # list also compares equal ...); a hedge over a few when nothing says
    return top[:1] if best > 0 else top[:3]


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


# ---------------------------------------------------------------------------
# literal mining
# ---------------------------------------------------------------------------


@dataclass
class _Literals:
    ints: list[int] = field(default_factory=list)  # constants, ±1 around compared ones
    floats: list[float] = field(default_factory=list)
    strs: list[str] = field(default_factory=list)  # short string constants
    chars: str = ""  # their characters
    large_ok: bool = True  # no loop or recursion an input size could make slow
    seps: list[str] = field(default_factory=list)  # what the code splits strings on
    numeric: bool = False  # the code turns strings into numbers: int(s), float(s)
    structured: list[str] = field(default_factory=list)  # "3-11-2000", "a.txt", "1/5"
    arity: dict[str, int] = field(default_factory=dict)  # a, b = s.split("/"): {"/": 2}
    classes: list[str] = field(default_factory=list)  # character tests: isdigit, isupper
    lengths: dict[str, list[int]] = field(default_factory=dict)  # len(x) < 3: {"x": [2, 3, 4]}
    evals: bool = False  # the code evaluates text: eval(...)
    typechecks: bool = False  # isinstance(...): values of other types take other paths


def _mine_literals(tree: ast.Module, func: ast.FunctionDef) -> _Literals:
    """Constants of the function (and the helpers in its snippet): what the code
    compares against is where its behaviour changes."""
    lits = _Literals()
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Module, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    compared: set[int] = set()
    compared_floats: list[float] = []
    split_names: dict[str, str] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                value = _number(operand)
                if isinstance(value, int):
                    compared.add(value)
                elif isinstance(value, float) and value not in compared_floats:
                    compared_floats.append(value)
        if isinstance(node, (ast.While,)):
            lits.large_ok = False
        if isinstance(node, ast.Call):
            fname = node.func.id if isinstance(node.func, ast.Name) else ""
            if fname in ("range", func.name):  # sized loops, recursion
                lits.large_ok = False
            if fname in ("int", "float") and node.args and _number(node.args[0]) is None:
                lits.numeric = True
            sep = _split_separator(node)
            if sep is not None and sep not in lits.seps:
                lits.seps.append(sep)
            if fname == "eval":
                lits.evals = True
            method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if method in _CHAR_CLASSES and method not in lits.classes:
                lits.classes.append(method)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            sep = _split_separator(node.value)
            target = node.targets[0]
            if sep is not None and isinstance(target, ast.Tuple):
                # a, b = s.split("/"): exactly two parts are expected
                lits.arity.setdefault(sep, len(target.elts))
            elif sep is not None and isinstance(target, ast.Name):
                split_names[target.id] = sep  # parts = s.split("."); len(parts) != 2
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "isinstance":
                lits.typechecks = True
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            # len(x) < 3: lengths 2, 3 and 4 are where the behaviour changes
            for sized, other in (
                (node.left, node.comparators[0]),
                (node.comparators[0], node.left),
            ):
                bound = _number(other)
                if (
                    isinstance(bound, int)
                    and 0 <= bound <= 40
                    and isinstance(sized, ast.Call)
                    and isinstance(sized.func, ast.Name)
                    and sized.func.id == "len"
                    and len(sized.args) == 1
                    and isinstance(sized.args[0], ast.Name)
                ):
                    sizes = lits.lengths.setdefault(sized.args[0].id, [])
                    for n in (bound, bound - 1, bound + 1):
                        if n >= 0 and n not in sizes:
                            sizes.append(n)
    ints: list[int] = []
    chars: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        v = node.value
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, int) and abs(v) <= 10**12:
            ints.append(v)
        elif isinstance(v, float) and math.isfinite(v):
            if v not in lits.floats:
                lits.floats.append(v)
        elif isinstance(v, str) and len(v) <= 30:
            if v not in lits.strs:
                lits.strs.append(v)
            for c in v:
                if c not in chars and c.isprintable():
                    chars.append(c)
    for node in ast.walk(tree):  # negative constants are UnaryOp(-, 1)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = _number(node)
            if isinstance(value, int):
                ints.append(value)
    ordered: list[int] = []
    for v in sorted(compared) + ints:
        for w in (v, v - 1, v + 1) if v in compared else (v,):
            if w not in ordered:
                ordered.append(w)
    lits.ints = ordered[:24]
    # strings the code only returns ("Yes", "No") say little about its inputs: last
    returned = {
        n.value.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Return) and isinstance(n.value, ast.Constant)
    }
    lits.strs = sorted(lits.strs, key=lambda v: v in returned)[:16]
    # thresholds on floats: just below and above too (3.7 -> 3.69, 3.71)
    near = [round(f + d, 6) for f in compared_floats[:8] for d in (-0.01, 0.01)]
    lits.floats = list(dict.fromkeys(compared_floats + lits.floats + near))[:24]
    for name, sep in split_names.items():
        if lits.lengths.get(name) and lits.lengths[name][0] > 0:
            lits.arity.setdefault(sep, lits.lengths[name][0])
    if lits.evals:  # text that is evaluated: expression pieces are meaningful strings
        lits.strs += [op for op in ("+", "-", "*", "//", "**") if op not in lits.strs]
    lits.structured = _structured_strings(lits)
    for a, b in ("()", "[]", "{}", "<>"):  # a bracket the code checks has a partner
        if (a in chars) != (b in chars):
            chars.append(b if a in chars else a)
    lits.chars = "".join(chars[:40])
    return lits


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


_WITHOUT_CLASS = {
    "isdigit": "ab-c",
    "isnumeric": "ab-c",
    "isdecimal": "ab-c",
    "isalpha": "4#1 2",
    "isupper": "ab1",
    "islower": "AB1",
    "isspace": "a1b",
    "isalnum": "#- ?",
}


def _classed_strings(lits: _Literals) -> list[str]:
    """Strings with a counted number of characters of each class the code tests for
    (`x.isdigit()` then `t > 3`): a letter, then k characters of the class, for k around
    the small numbers the code compares against."""
    counts = [v for v in lits.ints if 0 <= v <= 6][:6] or [1, 2, 3]
    per_class: list[list[str]] = []
    for method in lits.classes[:3]:
        char = _CHAR_CLASSES[method]
        lead = "b" if char != "k" else "7"  # starts with a character of another class
        per_class.append([lead + char * k for k in counts])
        per_class.append([char * k + lead + "x" for k in counts])
        per_class.append([_WITHOUT_CLASS[method]])  # none of the class at all
    # runs of a character the code looks for: "a  b" and "a   b" for `c == " "`
    for char in [s for s in lits.strs if len(s) == 1][:2]:
        per_class.append(["a" + char * max(1, k) + "b" for k in counts])
    return list(dict.fromkeys(_interleave(per_class)))


def _split_separator(node: ast.Call) -> str | None:
    """`s.split("-")`, `s.split(sep=".")`, `s.partition("/")` -> the separator;
    `s.split()` -> " "."""
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr not in (
        "split",
        "rsplit",
        "partition",
        "rpartition",
    ):
        return None
    args = list(node.args) + [k.value for k in node.keywords if k.arg == "sep"]
    if not args:
        return " " if func.attr in ("split", "rsplit") else None
    first = args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
        return first.value
    return None


def _parts(lits: _Literals) -> list[str]:
    """Pieces to join with the code's separators: its words, else small numbers."""
    words = [s for s in lits.strs if s and s.strip() == s and not any(p in s for p in lits.seps)]
    numbers = [str(v) for v in lits.ints if 0 <= v <= 9999][:12]
    return words[:12] or numbers or ["1", "2", "12"]


def _structured_strings(lits: _Literals) -> list[str]:
    """Strings shaped like what the code splits: parts (its own constants, small
    numbers, words) joined by its separators, e.g. "12-31-2000", "name.txt", "1/5"."""
    out: list[str] = []
    rng = random.Random(_stable_int("structured", lits.seps, lits.strs, lits.ints))
    names = ["example", "a1", "x", "File", *_classed_strings(lits)]
    for sep in lits.seps[:3]:
        words = [s for s in lits.strs if s and sep not in s and s.strip() == s][:10]
        mined = [str(v) for v in lits.ints if 0 <= v <= 9999][:16]
        numbers = mined + [n for n in ("1", "2", "3", "5", "6", "10", "12") if n not in mined]
        arity = lits.arity.get(sep)
        for k in range(24 if arity else 10):
            if arity:  # mostly the count the code unpacks; one fewer or more now and then
                n = arity if k % 6 != 5 else max(1, arity + (1 if k % 12 == 5 else -1))
            else:
                n = (2, 2, 3, 2, 4)[k % 5] if sep != " " else 1 + k % 4
            style = k % 3 if words else 0  # numbers only, words only, a name + words
            if lits.numeric and arity and k % 4:
                style = 0
            if style == 0:
                parts = [rng.choice(numbers) for _ in range(n)]
            elif style == 1:
                parts = [rng.choice(words) for _ in range(n)]
            else:
                parts = [names[k % len(names)] if k >= 8 else rng.choice(names[:4])]
                parts += [rng.choice(words) for _ in range(n - 1)]
            text = sep.join(parts)
            if text not in out:
                out.append(text)
        if len(words) > 2 and not arity:  # all of its words, backwards and shuffled
            shuffled = list(words)
            rng.shuffle(shuffled)
            out[:0] = [sep.join(words[::-1]), sep.join(shuffled)]
    if lits.numeric:
        out += ["0", "10", "-3", "2.5", "-2.5", "14.5", "007"]
    out += [c for c in _classed_strings(lits) if c not in out]
    return out


def _number(node: ast.expr) -> int | float | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    return None


def _literal_variants(value: Any, lits: _Literals) -> list[Any]:
    """Boundary and mined values of the same type as `value`."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        out = [*lits.ints, 0, 1, -1, 2, 100]
        if lits.large_ok:
            out.append(10**9)
        if lits.typechecks:  # isinstance(x, int): the same number as a float, too
            out[1:1] = [float(value), value + 0.5]
        return out
    if isinstance(value, float):
        return [*lits.floats, *(float(i) for i in lits.ints[:6]), 0.0, 1.0, -1.0, 0.5, 1e6]
    if isinstance(value, str):
        # the code's strings and strings shaped like what it splits, in turns
        out = [*_interleave([lits.structured, lits.strs]), "", " "]
        if value:
            out.append(value + value[::-1])  # a palindrome: x[::-1] == x turns true
        if lits.chars:
            out += [lits.chars, lits.chars[::-1], lits.chars[:1] * 3]
        out += [value.upper(), value + value, "a", "A1 b2"]
        return out
    if isinstance(value, list):
        out: list[Any] = [[]]
        if value:
            first = value[0]
            out += [[first], value + value, sorted(value, key=repr)[::-1], [first] * 3]
            out.append(value + value[::-1])  # a palindrome
            try:  # sorted, and sorted with one value twice: order checks turn true
                ordered = sorted(value)
                out += [ordered, sorted([*ordered, ordered[len(ordered) // 2]])]
            except TypeError:
                pass
            if all(type(v) is int for v in value):  # negative, several digits
                out.append([-(abs(v) * 10 + 3) if k % 2 == 0 else v for k, v in enumerate(value)])
            # every constant the code compares against, in one list: many boundaries at once
            if type(first) is float and lits.floats:
                out += [lits.floats[:12], lits.floats[12:24] or lits.floats[::-1]]
            elif type(first) is int and lits.ints:
                out += [lits.ints[:12], lits.ints[::-1][:12]]
            out += [[v] for v in _literal_variants(first, lits)[:6]]
        else:
            out += [[v] for v in _literal_variants(0, lits)[:4]]
        return out
    if isinstance(value, tuple):
        return [tuple(v) for v in _literal_variants(list(value), lits) if len(v) == len(value)]
    if isinstance(value, dict):
        out = [{}]
        if value:
            k, v = next(iter(value.items()))
            out += [{k: w} for w in _literal_variants(v, lits)[:4]]
        return out
    if isinstance(value, (set, frozenset)):
        return [type(value)(), type(value)(list(value)[:1])]
    return []


_ARITH_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b if abs(b) <= 4 else None,
}


def _arith(node: ast.expr, env: dict[str, int]) -> Any:
    """The value of an arithmetic expression over the parameters (`a * a + b * b`),
    computed by this small interpreter, never by Python's `eval`; None for anything
    else (calls, attributes, other names)."""
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _arith(node.operand, env)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH_OPS:
        left, right = _arith(node.left, env), _arith(node.right, env)
        if left is None or right is None:
            return None
        try:
            return _ARITH_OPS[type(node.op)](left, right)
        except (ArithmeticError, ValueError):
            return None
    return None


def _equation_solutions(func: ast.FunctionDef, names: list[str]) -> list[dict[str, int]]:
    """Small ints making the code's equalities between arithmetic of its parameters
    true (`a * a + b * b == c * c` -> a=3, b=4, c=5): a cheap search over small ranges,
    for branches random numbers almost never take."""
    out: list[dict[str, int]] = []
    params = set(names)
    for node in ast.walk(func):
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
            continue
        if not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            continue
        sides = (node.left, node.comparators[0])
        used = sorted({n.id for side in sides for n in ast.walk(side) if isinstance(n, ast.Name)})
        if not used or not set(used) <= params or len(used) > 3:
            continue
        if len(used) < 2 and not any(isinstance(side, ast.BinOp) for side in sides):
            continue  # x == 3 is the literal stream's job
        span = {1: range(-20, 41), 2: range(0, 21), 3: range(1, 14)}[len(used)]
        found: list[dict[str, int]] = []
        for values in _product(span, len(used)):
            env = dict(zip(used, values, strict=True))
            left, right = _arith(sides[0], env), _arith(sides[1], env)
            if left is not None and left == right:
                found.append(env)
        # the most telling first: no zeros, distinct values, small
        found.sort(key=lambda e: (sum(v == 0 for v in e.values()), len(set(e.values())) < len(e),
                                  sum(abs(v) for v in e.values())))  # fmt: skip
        out += [e for e in found[:3] if e not in out]
    return out[:9]


def _product(span: range, n: int) -> Iterable[tuple[int, ...]]:
    if n == 0:
        yield ()
        return
    for head in span:
        for rest in _product(span, n - 1):
            yield (head, *rest)


def _atoms(value: Any, depth: int = 0) -> list[Any]:
    """The numbers and strings inside a container (nested ones too)."""
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return [value]
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)) and depth < 3:
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [a for v in items for a in _atoms(v, depth + 1)]
    return []


def _resized(value: Any, n: int, rng: random.Random, alphabet: str) -> list[Any]:
    """Values like `value` (a str or a list) of length `n`: the value cut or repeated,
    and for strings also two random ones over the code's characters."""
    if isinstance(value, str):
        out = [(value * (n // max(1, len(value)) + 1))[:n] if value else "a" * n]
        out += ["".join(rng.choice(alphabet) for _ in range(n)) for _ in range(2)]
        return out
    if isinstance(value, list):
        return [[value[i % len(value)] for i in range(n)] if value else list(range(1, n + 1))]
    return []


def _boundary_variants(
    args: list[Any], names: list[str], lits: _Literals, rng: random.Random
) -> list[list[Any]]:
    """Inputs on both sides of the code's own boundaries, from one working input:

    - lengths around `len(x) < 3` (2, 3 and 4 characters or items);
    - each part of a split string (`m, d, y = s.split("-")`, parts made numbers) set to
      the numbers the code compares against, one part at a time;
    - a number or string argument set to a value found in another argument
      (`lst[i][j] == x`: x taken from lst), so searches and counts find something."""
    streams: list[list[list[Any]]] = []
    alphabet = (lits.chars or "aeiou") + "bcdxyzBC"
    numbers = [v for v in lits.ints if 0 <= v <= 9999][:12]
    for i, value in enumerate(args):
        out: list[list[Any]] = []
        name = names[i] if i < len(names) else ""
        for n in lits.lengths.get(name, [])[:6]:
            out += [[*args[:i], v, *args[i + 1 :]] for v in _resized(value, n, rng, alphabet)]
        sep = None
        if isinstance(value, str):
            sep = next((s for s in lits.seps if len(value.split(s)) == lits.arity.get(s, -1)), None)
        if sep is not None:
            # parts made numbers: the numbers compared against; else the code's words and
            # strings with counted character classes ("b777" for isdigit and t > 3)
            words = [s for s in lits.strs if s and sep not in s and s.strip() == s]
            pieces = (
                [str(w) for w in numbers]
                if lits.numeric
                else _interleave([words, _classed_strings(lits)])
            )
            if pieces:
                tokens = value.split(sep)
                per_token = []
                for j in range(len(tokens)):
                    per_token.append(
                        [
                            sep.join([*tokens[:j], w, *tokens[j + 1 :]])
                            for w in pieces[:16]
                            if w != tokens[j]
                        ]
                    )
                out += [[*args[:i], v, *args[i + 1 :]] for v in _interleave(per_token)]
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            found = [
                a
                for j, other in enumerate(args)
                if j != i and not isinstance(other, (int, float, str))
                for a in _atoms(other)
                if type(a) is type(value)
            ]
            picks = [found[0], found[-1], found[len(found) // 2]] if found else []
            out += [[*args[:i], a, *args[i + 1 :]] for a in dict.fromkeys(picks)]
        streams.append(out)
    return _interleave(streams)


# ---------------------------------------------------------------------------
# type-aware mutation (as EvalPlus does)
# ---------------------------------------------------------------------------


def _mutate(value: Any, rng: random.Random, lits: _Literals, depth: int = 0) -> Any:
    """One small, type-preserving change of a value."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        choice = rng.randrange(6)
        if choice == 0:
            return value + 1
        if choice == 1:
            return value - 1
        if choice == 2:
            return -value
        if choice == 3 and lits.ints:
            return rng.choice(lits.ints)
        if choice == 4:
            return value * 2 + rng.randrange(3)
        return rng.randint(-10, 20)
    if isinstance(value, float):
        choice = rng.randrange(5)
        if choice == 0:
            return -value
        if choice == 1:
            return round(value + rng.choice((0.5, 1.0, -1.0)), 6)
        if choice == 2:
            return round(value * 2, 6)
        if choice == 3:
            return 0.0
        return round(rng.uniform(-10, 10), 2)
    if isinstance(value, str):
        # the code splits strings: change them a token at a time (also adding tokens)
        sep = next((s for s in lits.seps if s in value), lits.seps[0] if lits.seps else None)
        if sep is not None and rng.random() < 0.7:
            return _mutate_tokens(value, sep, rng, lits)
        pool = lits.chars or string.ascii_letters
        choice = rng.randrange(7)
        if not value or choice == 0:  # insert a character
            pos = rng.randint(0, len(value))
            return value[:pos] + rng.choice(pool + " ") + value[pos:]
        if choice == 1:  # delete one
            pos = rng.randrange(len(value))
            return value[:pos] + value[pos + 1 :]
        if choice == 2:  # replace one
            pos = rng.randrange(len(value))
            return value[:pos] + rng.choice(pool) + value[pos + 1 :]
        if choice == 3:
            return value + value
        if choice == 4:
            return value.swapcase()
        if choice == 5:
            return value[::-1]
        return value[: len(value) // 2]
    if isinstance(value, (list, tuple)):
        items = list(value)
        choice = rng.randrange(6)
        if isinstance(value, tuple) and items:
            choice = 5  # a tuple keeps its length (it is often a record)
        if not items or choice == 0:  # append
            new = _mutate(items[-1], rng, lits, depth + 1) if items else rng.randint(0, 9)
            items.append(new)
        elif choice == 1:  # remove one
            del items[rng.randrange(len(items))]
        elif choice == 2:
            rng.shuffle(items)
        elif choice == 3:  # duplicate one
            items.insert(rng.randrange(len(items) + 1), rng.choice(items))
        elif choice == 4:
            items.reverse()
        else:  # mutate one element
            i = rng.randrange(len(items))
            items[i] = _mutate(items[i], rng, lits, depth + 1) if depth < 3 else items[i]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        d = dict(value)
        if d and rng.random() < 0.4:
            del d[rng.choice(list(d))]
        elif d and rng.random() < 0.6:
            k = rng.choice(list(d))
            d[k] = _mutate(d[k], rng, lits, depth + 1)
        else:
            k = _mutate(next(iter(d)), rng, lits, depth + 1) if d else "k"
            try:
                d[k] = _mutate(next(iter(d.values())), rng, lits, depth + 1) if d else 1
            except TypeError:
                pass
        return d
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=repr)
        if items and rng.random() < 0.5:
            items.pop(rng.randrange(len(items)))
        else:
            items.append(_mutate(items[0], rng, lits, depth + 1) if items else 0)
        try:
            return type(value)(items)
        except TypeError:
            return value
    return value


def _mutate_tokens(value: str, sep: str, rng: random.Random, lits: _Literals) -> str:
    """Change a separated string ("one two", "a.txt") a token at a time."""
    tokens = value.split(sep)
    choice = rng.randrange(4)
    words = [s for s in lits.strs if s and sep not in s] or tokens
    i = rng.randrange(len(tokens))
    if choice == 0 and len(tokens) > 1:
        del tokens[i]
    elif choice == 1:
        tokens.insert(i, rng.choice(tokens + words))
    elif choice == 2:
        tokens[i] = rng.choice(words)
    else:
        rng.shuffle(tokens)
    return sep.join(tokens)


def _mutations(
    bases: list[tuple[list[Any], dict[str, Any]]], rng: random.Random, lits: _Literals, n: int
) -> list[str]:
    out: list[str] = []
    if not bases:
        return out
    for attempt in range(n * 4):
        if len(out) >= n:
            break
        args, kwargs = bases[attempt % len(bases)]
        args = list(args)
        kwargs = dict(kwargs)
        slots = [("a", i) for i in range(len(args))] + [("k", k) for k in kwargs]
        if not slots:
            break
        for _ in range(1 if rng.random() < 0.75 else 2):  # mostly one change at a time
            where, key = rng.choice(slots)
            if where == "a":
                args[key] = _mutate(args[key], rng, lits)
            else:
                kwargs[key] = _mutate(kwargs[key], rng, lits)
        text = _encode(args, kwargs)
        if text is not None and text not in out:
            out.append(text)
    return out


# ---------------------------------------------------------------------------
# candidates and their outcomes
# ---------------------------------------------------------------------------


@dataclass
class _Cand:
    text: str  # canonical text (the dedup key)
    origin: str
    order: int  # position within its origin (earlier is better)
    shown: str = ""  # the text as given (seeds keep their own spelling)
    outcome: Outcome | None = None
    values: tuple[list[Any], dict[str, Any]] | None = None
    offtype: bool = False  # a probe of a type guess that was not chosen: kept last

    @property
    def ok(self) -> bool:
        return self.outcome is not None and self.outcome.status == "ok"

    @property
    def benign_error(self) -> bool:
        """The original raised an error it means to raise (bad value), not a crash of
        the wrong-type kind: a useful error-case test."""
        o = self.outcome
        return (
            o is not None
            and o.status == "error"
            and bool(o.error_type)
            and o.error_type not in _BAD_ERRORS
        )


@dataclass(frozen=True)
class _Size:
    """How demanding an input looks: slow code (loops to n, recursion) times out on big
    numbers, long containers, or negative numbers (`while n != 0: n //= 10`)."""

    big: float = 0.0  # largest magnitude of a number
    neg: bool = False  # has a negative number
    length: int = 0  # longest string or container

    def within(self, env: _Size) -> bool:
        return (
            self.big <= max(env.big, 12)
            and (not self.neg or env.neg)
            and self.length <= max(env.length, 6)
        )

    def join(self, other: _Size) -> _Size:
        return _Size(
            max(self.big, other.big), self.neg or other.neg, max(self.length, other.length)
        )


def _size_of(value: Any, depth: int = 0) -> _Size:
    if isinstance(value, bool) or value is None:
        return _Size()
    if isinstance(value, (int, float)):
        big = abs(value) if math.isfinite(value) else 1e308
        return _Size(big=float(min(big, 1e308)), neg=value < 0)
    if isinstance(value, (str, bytes)):
        return _Size(length=len(value))
    if isinstance(value, complex):
        return _Size(big=abs(value))
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
        size = _Size(length=len(value))
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
        size = _Size(length=len(items))
    else:
        return _Size()
    if depth < 4:
        for item in items:
            size = size.join(_size_of(item, depth + 1))
    return size


def _size_of_stdin(text: str) -> _Size:
    size = _Size(length=text.count("\n"))
    for token in text.split():
        try:
            size = size.join(_size_of(float(token)))
        except (ValueError, OverflowError):
            size = size.join(_Size(length=len(token)))
    return size


class _Pot:
    """Candidates of one snippet: deduplicated, each run at most once.

    Runs are staged so that slow code costs few timeouts: inputs no more demanding than
    ones the original already ran quickly on (or small ones) run together; the others
    run in growing chunks, least demanding first, and the first timeout stops them."""

    def __init__(
        self,
        pool: SandboxPool | None,
        make_task: Callable[[str], Task],
        sizer: Callable[[_Cand], _Size],
    ) -> None:
        self.pool = pool
        self.make_task = make_task
        self.sizer = sizer
        self.cands: dict[str, _Cand] = {}
        self.executions = 0
        self.timeouts = 0
        self.envelope = _Size()
        self.too_slow = False  # a timeout was seen: demanding inputs are not run anymore
        self.aimed: set[str] = set()  # texts made to sit on one of the code's boundaries
        self._counts: dict[str, int] = {}
        self._fast_ms = 0.0
        if pool is not None:
            self._fast_ms = pool.limits.timeout_s * 1000.0 / 10

    def add(
        self,
        text: str,
        origin: str,
        values: tuple[list[Any], dict[str, Any]] | None = None,
        shown: str | None = None,
    ) -> _Cand | None:
        if text in self.cands:
            return None
        order = self._counts.get(origin, 0)
        self._counts[origin] = order + 1
        cand = _Cand(text, origin, order, shown if shown is not None else text, values=values)
        self.cands[text] = cand
        return cand

    def _run(self, todo: list[_Cand]) -> None:
        assert self.pool is not None
        outcomes = self.pool.run_many([self.make_task(c.shown) for c in todo])
        self.executions += len(todo)
        for cand, outcome in zip(todo, outcomes, strict=True):
            cand.outcome = outcome
            if outcome.status == "timeout":
                self.timeouts += 1
                self.too_slow = True
            elif outcome.status in ("ok", "error"):
                if outcome.duration_ms < self._fast_ms:
                    self.envelope = self.envelope.join(self.sizer(cand))
                elif outcome.duration_ms > 2.5 * self._fast_ms:
                    self.too_slow = True  # near the limit: bigger inputs would time out

    def run(self, cands: list[_Cand], trusted: Iterable[_Cand] = ()) -> None:
        """Run the candidates not run yet (`trusted` ones without staging)."""
        todo = [c for c in cands if c.outcome is None]
        if not todo or self.pool is None:
            return
        chunk = self.pool.limits.workers
        trusted_ids = {id(c) for c in trusted}
        if self.too_slow:
            # this code is slow: only inputs no more demanding than ones that ran fast,
            # in small steps (a size envelope cannot tell which input loops: odd-length
            # lists, negative counts ...), giving up after a second timeout
            todo = [c for c in todo if id(c) in trusted_ids or self.sizer(c).within(self.envelope)]
            while todo and self.timeouts < _MAX_TIMEOUTS:
                self._run(todo[:chunk])
                todo = todo[chunk:]
            return
        sizes = {id(c): self.sizer(c) for c in todo}
        first = [c for c in todo if id(c) in trusted_ids or sizes[id(c)].within(self.envelope)]
        risky = [c for c in todo if id(c) not in {id(f) for f in first}]
        if first:
            self._run(first)
        risky.sort(key=lambda c: (sizes[id(c)].neg, sizes[id(c)].big, sizes[id(c)].length))
        step, restarted = chunk, False
        while risky and not self.too_slow:
            now_safe = [c for c in risky if sizes[id(c)].within(self.envelope)]
            rest = [c for c in risky if c not in now_safe]
            batch = now_safe
            if rest and sizes[id(rest[0])].neg and not self.envelope.neg and not restarted:
                # the first negative values are a new kind of risk: start small again;
                # and never mix them into a batch of positive ones
                step, restarted = chunk, True
            head = rest[:step]
            if not restarted and any(sizes[id(c)].neg for c in head):
                head = [c for c in head if not sizes[id(c)].neg] or head[:chunk]
            batch = now_safe + head
            risky = [c for c in rest if c not in head]
            self._run(batch)
            step *= 3
        if risky and self.timeouts < _MAX_TIMEOUTS:
            self.run(risky)

    def ok(self) -> list[_Cand]:
        return [c for c in self.cands.values() if c.ok]


def _select(pot: _Pot, seeds: list[_Cand], limit: int, checked: bool) -> list[TestInput]:
    """Seeds first, then doctests, then a round robin over the other origins, each
    pass preferring inputs whose output was not seen yet (different outputs kill more
    mutants); a few deliberate-error inputs at the end."""
    if not checked:  # no pool: nothing ran, keep everything in origin order
        pool_order = seeds + sorted(
            (c for c in pot.cands.values() if c not in seeds),
            key=lambda c: (_origin_rank(c.origin), c.order),
        )
        return [TestInput(c.shown, c.origin) for c in pool_order[:limit]]
    chosen: list[_Cand] = []
    outputs: set[str] = set()
    max_errors = min(_MAX_ERRORS, max(0, limit // 6))

    seen: dict[str, int] = {}
    pieces: set[str] = set()

    def take(c: _Cand) -> None:
        chosen.append(c)
        if c.outcome is not None:
            outputs.add(c.outcome.output)
            seen[c.outcome.output] = seen.get(c.outcome.output, 0) + 1
            pieces.update(_pieces(c))

    for c in seeds:
        if len(chosen) < limit and c.ok:
            take(c)
    doctests = sorted(
        (c for c in pot.cands.values() if c.origin == "doctest"), key=lambda c: c.order
    )
    for c in doctests:
        if len(chosen) < limit and c.ok:
            take(c)
    # the empty input ('', [], 0): guards like `if s == '': return 0` live there
    for c in sorted(pot.cands.values(), key=lambda c: (_origin_rank(c.origin), c.order)):
        if len(chosen) < min(limit, 2 + len(seeds)) and c.ok and not c.offtype and _empty(c):
            if c not in chosen:
                take(c)
    # inputs made for one of the code's boundaries (3, 4, 5 for a*a + b*b == c*c; a
    # length of 3 for len(s) < 3): the same output can come from another branch
    aimed = [c for c in pot.cands.values() if c.text in pot.aimed and c.ok and not c.offtype]
    for c in aimed[: max(0, limit // 4 - len(seeds))]:
        if c not in chosen:
            take(c)
    # inputs near the time limit are run again and again by validation (and may time
    # out there): used only when nothing else is left
    slow_ms = 2.5 * pot._fast_ms

    def slow(c: _Cand) -> bool:
        return c.outcome is not None and c.outcome.duration_ms > slow_ms

    rest = [
        c
        for c in pot.cands.values()
        if c.ok and c not in chosen and c not in seeds and not c.offtype and not slow(c)
    ]
    queues: dict[str, list[_Cand]] = {}
    for c in sorted(rest, key=lambda c: c.order):
        queues.setdefault(c.origin, []).append(c)
    order = sorted(queues, key=_origin_rank)
    reserve = max_errors if any(c.benign_error for c in pot.cands.values()) else 0
    while len(chosen) < limit - reserve and any(queues.values()):
        # a turn per origin: inputs with an output not seen yet first (a different
        # output is what tells a wrong rewrite apart); a plain turn when none has one
        fresh = False
        for origin in order:
            queue = queues[origin]
            # a new output, the one with the most pieces not seen yet: the letter grades
            # of every threshold at once before one more list of a single grade
            new = [c for c in queue if c.outcome.output not in outputs]
            pick = max(new, key=lambda c: min(6, len(_pieces(c) - pieces)), default=None)
            if pick is not None and len(chosen) < limit - reserve:
                queue.remove(pick)
                take(pick)
                fresh = True
        if fresh:
            continue
        for origin in order:
            if queues[origin] and len(chosen) < limit - reserve:
                # the output chosen least often so far: "Yes" as often as "No"
                queue = queues[origin]
                pick = min(queue, key=lambda c: seen.get(c.outcome.output, 0))
                queue.remove(pick)
                take(pick)
    for c in sorted(pot.cands.values(), key=lambda c: (slow(c), c.order)):
        if len(chosen) < limit - reserve and c.ok and (c.offtype or slow(c)) and c not in chosen:
            take(c)  # other type guesses, then slow inputs
    errors = sorted(
        (c for c in pot.cands.values() if c.benign_error and not c.offtype),
        key=lambda c: (c not in seeds, _origin_rank(c.origin), c.order),
    )
    kinds: set[str] = set()
    for c in errors:  # distinct error types first
        if len(chosen) >= limit or max_errors <= 0:
            break
        error_type = c.outcome.error_type if c.outcome else ""
        if error_type in kinds:
            continue
        kinds.add(error_type or "")
        take(c)
        max_errors -= 1
    for c in errors:
        if len(chosen) >= limit or max_errors <= 0:
            break
        if c not in chosen:
            take(c)
            max_errors -= 1
    return [TestInput(c.shown, c.origin) for c in chosen]


_PIECE = re.compile(r"[^\s,:()\[\]{}]+")


def _pieces(c: _Cand) -> set[str]:
    """The items of an output's text: `['A+', 'B']` -> {"'A+'", "'B'"}."""
    return set(_PIECE.findall(c.outcome.output[:2000])) if c.outcome is not None else set()


def _empty(c: _Cand) -> bool:
    """Every argument is an empty or zero value: '', [], 0, None ... (or there is none)."""
    if c.values is None:
        canon = _canonical(c.text)
        c.values = canon[1] if canon else None
    if c.values is None:
        return False
    args, kwargs = c.values
    values = [*args, *kwargs.values()]
    return all(v is None or (not isinstance(v, bool) and not v) for v in values)


def _origin_rank(origin: str) -> int:
    return _ORIGIN_ORDER.index(origin) if origin in _ORIGIN_ORDER else -1


# ---------------------------------------------------------------------------
# function mode
# ---------------------------------------------------------------------------


def _seed_inputs(seeds: Iterable[TestInput | str]) -> list[TestInput]:
    out = []
    for s in seeds:
        out.append(s if isinstance(s, TestInput) else TestInput(str(s), "llm"))
    return out


def _build_call(params: list[_Param], values: dict[str, Any]) -> str | None:
    """Argument text for values by parameter name (missing optional ones are omitted)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    gap = False
    for p in params:
        if p.kind in ("pos", "posonly"):
            if p.name in values and not gap:
                args.append(values[p.name])
            elif p.name in values and p.kind == "pos":
                kwargs[p.name] = values[p.name]
            elif p.required:
                return None
            else:
                gap = True
        elif p.kind == "varargs":
            if not gap:  # (after a skipped optional parameter, *args cannot be passed)
                args += list(values.get(p.name, ()))
        elif p.kind == "kwonly" and p.name in values:
            kwargs[p.name] = values[p.name]
        elif p.kind == "kwonly" and p.required:
            return None
    return _encode(args, kwargs)


def _draw_calls(
    params: list[_Param], combo: dict[str, Typ], ctx: _Ctx, n: int, seed: int
) -> list[str]:
    varargs = {p.name for p in params if p.kind == "varargs"}
    types = {p.name: combo[p.name] for p in params if p.name in combo}
    out: list[str] = []
    for values in _draw_values(types, varargs, n, seed, ctx):
        text = _build_call(params, values)
        if text is not None and text not in out:
            out.append(text)
    return out


def _hopeless(cands: list[_Cand]) -> bool:
    """Every run failed in a way no input can change: the sandbox refused the code, or
    it needs a module or name that is not there. More inputs would fail the same way."""
    outcomes = [c.outcome for c in cands if c.outcome is not None]
    return bool(outcomes) and all(
        o.status == "rejected"
        or (o.status == "error" and o.error_type in ("ModuleNotFoundError", "ImportError"))
        for o in outcomes
    )


def _interleave(streams: list[list[Any]]) -> list[Any]:
    """Round robin over lists: [a1, b1, a2, b2, b3]."""
    out: list[Any] = []
    for i in range(max((len(s) for s in streams), default=0)):
        out += [s[i] for s in streams if i < len(s)]
    return out


def _size_of_call(cand: _Cand) -> _Size:
    if cand.values is None:
        canon = _canonical(cand.text)
        cand.values = canon[1] if canon else ([], {})
    size = _Size()
    for value in [*cand.values[0], *cand.values[1].values()]:
        size = size.join(_size_of(value))
    return size


def _function_inputs(
    code: str,
    entry: str,
    pool: SandboxPool | None,
    seeds: list[TestInput],
    limit: int,
    seed: int,
) -> list[TestInput]:
    def make_task(text: str) -> Task:
        return Task(code=code, entry_point=entry, mode="function", args=text)

    pot = _Pot(pool, make_task, _size_of_call)
    checked = pool is not None
    seed_cands: list[_Cand] = []
    for s in seeds:
        canon = _canonical(s.text)
        if canon is not None:
            cand = pot.add(canon[0], s.origin, canon[1], shown=s.text)
            if cand is not None:
                seed_cands.append(cand)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    func = _find_function(tree, entry) if tree is not None else None
    if func is None or tree is None:  # nothing to read: the seeds are all there is
        pot.run(seed_cands, trusted=seed_cands)
        return _select(pot, seed_cands, limit, checked)

    rng = random.Random(_stable_int("inputs", seed, entry, code))
    hseed = _stable_int("draw", seed, entry, code)
    params = _params(func)
    analysis = _Analysis(func, tree)
    lits = _mine_literals(tree, func)
    ctx = _Ctx(
        chars=lits.chars,
        strings=tuple(lits.strs + lits.structured),
        ints=tuple(lits.ints[:12]),
        floats=tuple(lits.floats[:6]),
        seps=tuple(lits.seps[:3]),
        parts=tuple(_parts(lits)),
        digits=lits.numeric and not lits.seps,
    )
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}

    # --- round 1: seeds, doctests, typed draws, type probes -----------------------
    round1: list[_Cand] = list(seed_cands)
    for text in _docstring_inputs(func, entry, params, defined)[: max(limit, 12)]:
        cand = pot.add(text, "doctest")
        if cand is not None:
            round1.append(cand)

    if not any(p.required for p in params):
        cand = pot.add("", "typed", ([], {}))  # a call with no arguments
        if cand is not None:
            round1.append(cand)

    # required parameters with no usable annotation get their type probed
    # (*args too: its type is the type of each extra argument)
    filled = [p for p in params if p.required or p.kind == "varargs"]
    unknown = [p for p in filled if p.annotated is None]
    typed_ok = all(p.annotated is not None for p in params if p.required)
    combos: list[tuple[dict[str, Typ], str]] = []  # (types by name, origin)
    if typed_ok:
        combo = {p.name: p.annotated for p in filled if p.annotated}
        combos.append((combo, "typed"))
        for text in _draw_calls(params, combo, ctx, 8, hseed):
            cand = pot.add(text, "typed")
            if cand is not None:
                round1.append(cand)
    probe_cands: list[tuple[_Cand, dict[str, Typ]]] = []
    varargs = {p.name for p in params if p.kind == "varargs"}
    if unknown:
        for p in unknown:
            p.candidates, p.hinted = _rank_candidates(p, analysis)
        base = {p.name: p.annotated for p in filled if p.annotated}
        base.update({p.name: p.candidates[0] for p in unknown})
        trials: list[dict[str, Typ]] = [dict(base)]
        for rank in range(1, 6):  # one parameter off its best guess at a time
            for p in unknown:
                if rank < len(p.candidates):
                    trials.append({**base, p.name: p.candidates[rank]})
        if len(unknown) > 1:  # every parameter the same type: add(x, y), merge(a, b)
            for t in _FALLBACK[:4]:
                trials.append({**base, **{p.name: t for p in unknown}})
        room = max(6, _ROUND1_MAX - len(round1))
        shaped = [s for s in lits.structured if lits.seps and s not in ("0", "10", "-3")]
        for combo in trials:
            if len(probe_cands) >= room:
                break
            attempts = [
                {
                    name: [_typical(t, i), _typical(t, i + 1)]
                    if name in varargs
                    else _typical(t, i)
                    for i, (name, t) in enumerate(combo.items())
                }
            ]
            if shaped and STR in combo.values():  # code that splits strings: "1/5", "a.txt"
                attempts.append(
                    {
                        name: shaped[i % len(shaped)] if t == STR else value
                        for i, ((name, t), value) in enumerate(
                            zip(combo.items(), attempts[0].values(), strict=True)
                        )
                    }
                )
            words = [w for w in lits.strs if w.strip()]
            if lits.numeric and not lits.seps:  # int(c) for c in s: strings of digits
                words = ["1234", "7", "305", "86", *words]
            if words and any(_holds_str(t) for t in combo.values()):
                # the code's own strings where strings go: "+" for code that evals text
                attempts.append(
                    {
                        name: _typical_words(t, i, words) if name not in varargs else value
                        for i, ((name, t), value) in enumerate(
                            zip(combo.items(), attempts[0].values(), strict=True)
                        )
                    }
                )
            for values in attempts:
                text = _build_call(params, values)
                if text is None:
                    continue
                cand = pot.add(text, "probe")
                if cand is None:
                    probe_cands.append((pot.cands[text], combo))
                    continue
                probe_cands.append((cand, combo))
                round1.append(cand)
    trusted = [c for c in round1 if c.origin != "typed"]
    pot.run(round1, trusted=trusted)
    if not checked or _hopeless(round1):
        return _select(pot, seed_cands, limit, checked)

    # slow code (a timeout, or a run near one) keeps the small value sizes of round 1
    ctx.small = pot.too_slow or any(
        c.outcome is not None and c.outcome.duration_ms > pot._fast_ms for c in round1
    )

    # --- which type guesses work ----------------------------------------------------
    if probe_cands:
        chosen = _working_combos(probe_cands, unknown)
        combos += [(combo, "probe") for combo in chosen]
        for cand, combo in probe_cands:
            cand.offtype = combo not in chosen
    # optional parameters with a known type (annotation, literal default or usage)
    optional_types: dict[str, Typ] = {}
    for p in params:
        if p.required or p.kind == "varargs":
            continue
        if p.annotated is not None:
            optional_types[p.name] = p.annotated
        elif p.default is not _NO_DEFAULT and p.default is not None:
            optional_types[p.name] = _type_of_value(p.default)
        elif p.default is None:
            ranked = analysis.usage_of_name(p.name).ranked()
            if ranked and ranked[0][0] in ("int", "float", "str", "bool"):
                optional_types[p.name] = ("union", NONE, ranked[0])

    # --- round 2: expand from what works ----------------------------------------
    budget = MAX_EXECUTIONS - pot.executions  # stream sizes; round 3 keeps its share
    round2: list[_Cand] = []
    bases = [c for c in pot.ok() if not c.offtype]
    if not bases:  # nothing ran OK yet: start from inputs the code rejected on purpose
        bases = [c for c in pot.cands.values() if c.benign_error and not c.offtype][:4]
    bases.sort(key=lambda c: (c not in seed_cands, _origin_rank(c.origin), c.order))
    base_values = []
    for c in bases:
        if c.values is None:
            canon = _canonical(c.text)
            c.values = canon[1] if canon else None
        if c.values is not None:
            base_values.append(c.values)

    quota_typed = max(4, budget * 2 // 5)
    streams_typed: list[list[tuple[str, str]]] = []
    if combos:
        for k, (combo, origin) in enumerate(combos):
            # the best-backed guess (first) gets half the draws
            share = quota_typed // 2 if k == 0 else quota_typed // (2 * max(1, len(combos) - 1))
            full = dict(combo)
            texts = _draw_calls(params, full, ctx, max(3, share) + 4, hseed + 1 + k)
            streams_typed.append([(t, origin) for t in texts])
            if optional_types and k == 0:  # also pass the optional parameters
                full.update(optional_types)
                texts = _draw_calls(params, full, ctx, 6, hseed + 101)
                streams_typed.append([(t, origin) for t in texts])
    typed_texts = _interleave(streams_typed)

    # literal substitution into the first working input, one argument at a time
    per_argument: list[list[str]] = []
    names = [p.name for p in params if p.kind in ("pos", "posonly")]
    boundary: list[str] = []
    solutions = _equation_solutions(func, names)
    for args, kwargs in base_values[:8]:
        found = _boundary_variants(list(args), names, lits, rng)
        for env in solutions:  # a * a + b * b == c * c: 3, 4, 5
            new = list(args)
            for name, number in env.items():
                k = names.index(name)
                if k < len(new) and type(new[k]) in (int, float):
                    new[k] = number
            found.insert(0, new)
        boundary += [t for new in found if (t := _encode(new, kwargs)) is not None]
    boundary = list(dict.fromkeys(boundary))
    per_argument.append(boundary)
    pot.aimed.update(boundary[:24])
    for args, kwargs in base_values[:2]:
        variants = [_literal_variants(value, lits) for value in args]
        for i, options in enumerate(variants):
            texts = []
            for variant in options:
                new = list(args)
                new[i] = variant
                text = _encode(new, kwargs)
                if text is not None:
                    texts.append(text)
            per_argument.append(texts)
        if len(args) > 1:  # every argument mined at once: bf("Earth", "Mars")
            joint = []
            for k in range(8):
                step = (1, 3, 2, 5, 4, 6, 7, 2)[k]  # pairs at varied distances
                new = [opts[(k + i * step) % len(opts)] if opts else a for i, (a, opts) in
                       enumerate(zip(args, variants, strict=True))]  # fmt: skip
                text = _encode(new, kwargs)
                if text is not None:
                    joint.append(text)
            per_argument.append(joint)
    # in turns over the arguments, so one long list does not crowd the others out
    literal_texts = list(dict.fromkeys(_interleave(per_argument)))

    # mutate seeds and doctests (as EvalPlus does); typed/probe ones when there are none
    firsthand = [c.values for c in bases if c in seed_cands or c.origin == "doctest"]
    mutation_bases = [v for v in firsthand if v is not None][:8] or base_values[:3]
    mutation_texts = _mutations(mutation_bases, rng, lits, max(6, budget // 3))

    # fill the budget: typed/probe, literal and mutation in turns
    streams: list[list[tuple[str, str]]] = [
        typed_texts,
        [(t, "literal") for t in literal_texts],
        [(t, "mutation") for t in mutation_texts],
    ]
    positions = [0, 0, 0]

    def fill(batch: list[_Cand], budget: int) -> None:
        """Take from the streams in turns until `batch` holds `budget` candidates."""
        while len(batch) < budget and any(positions[i] < len(s) for i, s in enumerate(streams)):
            for i, stream in enumerate(streams):
                while positions[i] < len(stream):
                    text, origin = stream[positions[i]]
                    positions[i] += 1
                    cand = pot.add(text, origin)
                    if cand is not None:
                        batch.append(cand)
                        break
                if len(batch) >= budget:
                    break

    fill(round2, budget - _ROUND3_MAX)
    pot.run(round2)

    # --- round 3: around the inputs with a rare outcome --------------------------
    # A validator answers "No" to almost everything; its few "Yes" inputs sit next to
    # the boundaries of its checks, so their neighbours are the ones worth running.
    round3: list[_Cand] = []
    for text, origin in _rare_neighbours(pot, names, lits, rng):
        if len(round3) >= MAX_EXECUTIONS - pot.executions:
            break
        cand = pot.add(text, origin)
        if cand is not None:
            round3.append(cand)
    pot.run(round3)
    if pot.executions < MAX_EXECUTIONS:  # what round 3 left unused: more of round 2
        more: list[_Cand] = []
        fill(more, MAX_EXECUTIONS - pot.executions)
        pot.run(more)
    return _select(pot, seed_cands, limit, checked)


def _rare_neighbours(
    pot: _Pot, names: list[str], lits: _Literals, rng: random.Random
) -> list[tuple[str, str]]:
    """Boundary variants and small mutations of the inputs whose outcome (output or
    error type) is the rarest so far, rarest first, in turns over those inputs."""
    runs = [c for c in pot.cands.values() if c.outcome is not None and not c.offtype]
    runs = [c for c in runs if c.ok or c.benign_error]
    if len(runs) < 4:
        return []
    counts: dict[str, int] = {}
    for c in runs:
        counts[_outcome_key(c)] = counts.get(_outcome_key(c), 0) + 1
    rare = sorted(runs, key=lambda c: (counts[_outcome_key(c)], c.order))
    rare = [c for c in rare if counts[_outcome_key(c)] * 4 <= len(runs)][:3]
    streams: list[list[tuple[str, str]]] = []
    for c in rare:
        if c.values is None:
            canon = _canonical(c.text)
            c.values = canon[1] if canon else None
        if c.values is None:
            continue
        args, kwargs = c.values
        out = []
        for new in _boundary_variants(list(args), names, lits, rng):
            text = _encode(new, kwargs)
            if text is not None:
                out.append((text, "literal"))
        per_argument = []  # each argument set to the code's constants, one at a time
        for i, value in enumerate(args):
            options = [[*args[:i], v, *args[i + 1 :]] for v in _literal_variants(value, lits)]
            per_argument.append([(t, "literal") for o in options if (t := _encode(o, kwargs))])
        out = _interleave([out, _interleave(per_argument)])
        out += [(t, "mutation") for t in _mutations([(list(args), dict(kwargs))], rng, lits, 6)]
        streams.append(out)
    return _interleave(streams)


def _outcome_key(c: _Cand) -> str:
    o = c.outcome
    if o is None:
        return ""
    return o.output if o.status == "ok" else f"!{o.error_type}"


# ---------------------------------------------------------------------------
# program mode (stdin)
# ---------------------------------------------------------------------------

_GENERIC_STDIN = (
    "",
    "3\n",
    "5\n1 2 3 4 5\n",
    "hello world\n",
    "3\n1\n2\n3\n",
    "2 3\n",
    "0\n",
    "2\n1 2\n3 4\n",
    "abc\ndef\n",
    "10\n",
    "1.5 2.5\n",
)


@dataclass
class _Read:
    """One read of the program: what it parses the line into."""

    kind: str  # "int", "float", "ints", "floats", "words", "str", "rest"
    repeat: str | None = None  # name of the count variable of an enclosing loop
    assigns: str | None = None  # variable the read's value goes to (for counts)
    rest_kind: str = "str"  # for "rest": what each line looks like


def _read_calls(tree: ast.Module) -> list[_Read]:
    """The program's reads, in source order, with how each line is parsed."""
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    reads: list[tuple[int, int, _Read]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        text = ast.unparse(func)
        is_line = text in ("input", "sys.stdin.readline", "stdin.readline", "readline")
        is_rest = text in ("sys.stdin.read", "sys.stdin.readlines", "stdin.read", "open(0).read")
        if not (is_line or is_rest):
            continue
        kind = "str"
        # climb: int(input()), input().split(), map(int, input().split()), [int(x) for ...]
        cur: ast.AST = node
        split = False
        for _ in range(6):
            p = parents.get(cur)
            if p is None:
                break
            if isinstance(p, ast.Attribute) and p.attr in ("split", "splitlines"):
                split = True
            elif isinstance(p, ast.Call) and isinstance(p.func, ast.Name):
                if p.func.id in ("int", "float") and cur in p.args:
                    kind = p.func.id + ("s" if split else "")
                    break
                if p.func.id == "map" and p.args and isinstance(p.args[0], ast.Name):
                    if p.args[0].id in ("int", "float"):
                        kind = p.args[0].id + "s"
                        break
            elif isinstance(p, (ast.comprehension,)) and split:
                comp = parents.get(p)
                elt = getattr(comp, "elt", None)
                if isinstance(elt, ast.Call) and isinstance(elt.func, ast.Name):
                    if elt.func.id in ("int", "float"):
                        kind = elt.func.id + "s"
                break
            cur = p
        if kind == "str" and split:
            kind = "words"
        if is_rest:
            rest_kind = "ints" if "int(" in ast.unparse(tree) else "str"
            read = _Read("rest", rest_kind=rest_kind)
        else:
            read = _Read(kind)
        # the variable it is assigned to, and an enclosing `for _ in range(n)` loop
        anc = parents.get(node)
        while anc is not None and not isinstance(anc, ast.stmt):
            anc = parents.get(anc)
        if isinstance(anc, ast.Assign) and isinstance(anc.targets[0], ast.Name):
            read.assigns = anc.targets[0].id
        loop = parents.get(anc) if anc is not None else None
        while loop is not None:
            if isinstance(loop, (ast.For, ast.While)):
                if isinstance(loop, ast.For) and isinstance(loop.iter, ast.Call):
                    call = loop.iter
                    if isinstance(call.func, ast.Name) and call.func.id == "range" and call.args:
                        arg = call.args[-1] if len(call.args) == 1 else call.args[1]
                        read.repeat = ast.unparse(arg)
                else:
                    read.repeat = "?"
                break
            loop = parents.get(loop)
        reads.append((node.lineno, node.col_offset, read))
    reads.sort(key=lambda r: (r[0], r[1]))
    return [r for _, _, r in reads]


def _stdin_from_reads(reads: list[_Read], rng: random.Random, lits: _Literals, size: int) -> str:
    """One stdin text following the reads (counts read earlier decide repetitions)."""
    lines: list[str] = []
    env: dict[str, int] = {}
    last_int: int | None = None

    def number(kind: str) -> str:
        pool = [v for v in lits.ints if -(10**6) < v < 10**6]
        if pool and rng.random() < 0.3:
            return str(rng.choice(pool))
        if kind.startswith("float"):
            return str(round(rng.uniform(-size, size), 2))
        return str(rng.randint(-2 if size > 3 else 0, size))

    def word() -> str:
        if lits.strs and rng.random() < 0.3:
            choice = rng.choice(lits.strs)
            if choice.strip() and "\n" not in choice:
                return choice.strip()
        n = rng.randint(1, 6)
        return (
            "".join(rng.choice(lits.chars or string.ascii_lowercase) for _ in range(n)).strip()
            or "a"
        )

    def line_for(read: _Read, count_hint: int | None) -> str:
        kind = read.kind
        if kind in ("int", "float"):
            return number(kind)
        if kind in ("ints", "floats"):
            n = count_hint if count_hint is not None else rng.randint(1, size)
            return " ".join(number(kind) for _ in range(n))
        if kind == "words":
            return " ".join(word() for _ in range(rng.randint(1, 4)))
        return word()

    handled_loops: set[str] = set()
    for i, read in enumerate(reads):
        if read.kind == "rest":
            n = rng.randint(1, size)
            for _ in range(n):
                if read.rest_kind == "ints":
                    lines.append(" ".join(number("int") for _ in range(rng.randint(1, 3))))
                else:
                    lines.append(" ".join(word() for _ in range(rng.randint(1, 3))))
            break
        if read.repeat:
            if read.repeat in handled_loops:
                continue
            group = [r for r in reads[i:] if r.repeat == read.repeat]
            handled_loops.add(read.repeat)
            count = env.get(read.repeat)
            if count is None:
                count = rng.randint(1, size) if read.repeat == "?" else rng.randint(1, 3)
            for _ in range(max(0, min(count, 20))):
                for r in group:
                    lines.append(line_for(r, None))
            continue
        hint = (
            last_int if (read.kind in ("ints", "floats") and last_int and last_int <= 50) else None
        )
        text = line_for(read, hint)
        if read.kind == "int":
            value = int(text)
            if read.assigns and value < 0:  # a count: keep it usable
                value = abs(value)
                text = str(value)
            if read.assigns:
                env[read.assigns] = value
            last_int = value if value > 0 else None
        lines.append(text)
    return "\n".join(lines) + ("\n" if lines else "")


def _mutate_stdin(text: str, rng: random.Random, lits: _Literals) -> str:
    """Change one token (a number ±1, a word edited) or drop/duplicate the last line."""
    lines = text.split("\n")
    tokens = [(i, j) for i, line in enumerate(lines) for j, _ in enumerate(line.split(" ")) if line]
    if not tokens:
        return str(rng.randint(0, 9)) + "\n"
    i, j = rng.choice(tokens)
    parts = lines[i].split(" ")
    token = parts[j]
    try:
        number = int(token)
        parts[j] = str(_mutate(number, rng, lits))
    except ValueError:
        try:
            parts[j] = str(_mutate(float(token), rng, lits))
        except ValueError:
            parts[j] = _mutate(token, rng, lits).replace("\n", " ").strip() or "a"
    lines[i] = " ".join(parts)
    return "\n".join(lines)


def _program_inputs(
    code: str,
    pool: SandboxPool | None,
    seeds: list[TestInput],
    limit: int,
    seed: int,
) -> list[TestInput]:
    def make_task(text: str) -> Task:
        return Task(code=code, entry_point=None, mode="program", stdin=text)

    pot = _Pot(pool, make_task, lambda c: _size_of_stdin(c.text))
    checked = pool is not None
    seed_cands = [c for s in seeds if (c := pot.add(s.text, s.origin)) is not None]
    rng = random.Random(_stable_int("stdin", seed, code))
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    lits = _Literals()
    reads: list[_Read] = []
    if tree is not None:
        lits = _mine_literals(tree, ast.FunctionDef(name="", args=None, body=tree.body))  # type: ignore[arg-type]
        reads = _read_calls(tree)
    round1 = list(seed_cands)
    if reads:
        for size in (1, 2, 3, 4, 5, 3, 6, 8, 2, 10, 4, 7):
            cand = pot.add(_stdin_from_reads(reads, rng, lits, size), "probe")
            if cand is not None:
                round1.append(cand)
    generic = []
    for text in _GENERIC_STDIN:
        if len(round1) >= _ROUND1_MAX:
            break
        cand = pot.add(text, "probe")
        if cand is not None:
            round1.append(cand)
            generic.append(cand)
    pot.run(round1, trusted=seed_cands + generic)
    if not checked:
        return _select(pot, seed_cands, limit, checked)
    # round 2: mutate what works, and mined constants as whole lines
    budget = MAX_EXECUTIONS - pot.executions
    ok = pot.ok()
    round2: list[_Cand] = []
    for attempt in range(budget * 3):
        if len(round2) >= budget or not ok:
            break
        base = ok[attempt % len(ok)]
        if attempt % 4 == 3 and (lits.ints or lits.strs):
            values = [str(v) for v in lits.ints] + [s for s in lits.strs if "\n" not in s]
            base_lines = base.text.split("\n")
            k = rng.randrange(max(1, len(base_lines) - 1))
            base_lines[k] = rng.choice(values)
            text, origin = "\n".join(base_lines), "literal"
        else:
            text, origin = _mutate_stdin(base.text, rng, lits), "mutation"
        cand = pot.add(text, origin)
        if cand is not None:
            round2.append(cand)
    pot.run(round2)
    return _select(pot, seed_cands, limit, checked)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def synthesize_inputs(
    code: str,
    entry_point: str | None,
    kind: str = "function",
    *,
    pool: SandboxPool | None = None,
    seeds: Iterable[TestInput | str] = (),
    limit: int = 20,
    seed: int = 0,
) -> list[TestInput]:
    """Test inputs for a snippet: argument-list texts (function) or stdin texts
    (program), at most `limit`, deduplicated, each with its origin.

    `seeds` (an LLM's inputs, or plain strings meaning origin "llm") come first and are
    mutated. With a `pool`, every candidate is run on the original in the sandbox and
    only inputs on which it runs OK (plus at most two deliberate-error ones) are
    returned; without one, candidates are returned unchecked. Deterministic: the
    same code, seeds and `seed` give the same inputs."""
    if limit <= 0:
        return []
    seed_inputs = _seed_inputs(seeds)
    if kind == "program":
        return _program_inputs(code, pool, seed_inputs, limit, seed)
    if not entry_point:
        raise ValueError("function mode needs an entry point")
    return _function_inputs(code, entry_point, pool, seed_inputs, limit, seed)


def examples_for_instruction(
    code: str,
    entry_point: str | None,
    pool: SandboxPool,
    inputs: Sequence[TestInput],
    k: int = 3,
    *,
    kind: str = "function",
) -> list[tuple[str, str]]:
    """Up to `k` (input text, repr of the original's output) pairs for writing
    "For example, f(1, 2) returns 3" into an instruction: doctest inputs first, then the
    shortest ones, one per distinct output, outputs short enough to read."""
    ranked = sorted(
        inputs,
        key=lambda t: (
            t.origin != "doctest",
            len(t.text) > 60,
            _origin_rank(t.origin) > 1,
            len(t.text),
        ),
    )[: max(k * 4, 12)]
    if not ranked:
        return []
    if kind == "program":
        tasks = [Task(code=code, entry_point=None, mode="program", stdin=t.text) for t in ranked]
    else:
        tasks = [
            Task(code=code, entry_point=entry_point, mode="function", args=t.text) for t in ranked
        ]
    outcomes = pool.run_many(tasks)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for t, o in zip(ranked, outcomes, strict=True):
        if o.status != "ok" or len(o.output) > 80 or o.output in seen:
            continue
        seen.add(o.output)
        out.append((t.text, o.output))
        if len(out) >= k:
            break
    return out
