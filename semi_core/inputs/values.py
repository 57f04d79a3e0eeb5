"""Values as argument text, and values drawn from a type with a seeded generator."""

from __future__ import annotations

import math
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from semi_core.inputs.types import _MAX_TEXT, FLOAT, INT, STR, Typ, _hashable
from semi_core.sandbox import parse_call_args
from semi_core.sandbox.args import ArgumentError

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


# ---------------------------------------------------------------------------
# value generation from a type, seeded
# ---------------------------------------------------------------------------
#
# Not hypothesis: its seeded draws depend on the local modules imported and on its
# .hypothesis/ cache, so the app, the CLI and the tests would draw different inputs for
# the same snippet. A seeded `random.Random` over small value pools, shaped like its
# draws (simplest values first, then growing sizes, duplicates, boundaries and the
# code's own constants), is deterministic everywhere and much cheaper.


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
