"""Test inputs and their types: the input type and its origins, the limits of
synthesis, and a small type tree read from annotations and values.

Imports nothing but the standard library: backends import `TestInput` from here."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------
# test inputs
# ---------------------------------------------------------------------------

# Where a test input came from.
ORIGINS = ("llm", "mutation", "typed", "doctest", "literal", "probe", "example", "annotator")


@dataclass(frozen=True)
class TestInput:
    """One test input: an argument list (`"1, [2, 3], key='x'"`) or a program's stdin."""

    text: str
    origin: str


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


def _interleave(streams: list[list[Any]]) -> list[Any]:
    """Round robin over lists: [a1, b1, a2, b2, b3]."""
    out: list[Any] = []
    for i in range(max((len(s) for s in streams), default=0)):
        out += [s[i] for s in streams if i < len(s)]
    return out
