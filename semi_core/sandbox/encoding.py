"""Turning a test's result into comparison-ready plain data, pickled with an
allow-list of types."""

from __future__ import annotations

import collections
import collections.abc
import dataclasses
import datetime
import decimal
import enum
import fractions
import hashlib
import io
import itertools
import pickle
import re
import types
from typing import Any

from .guards import is_sandbox_object
from .outcome import Obj
from .policy import (
    is_dunder,
)

# ---------------------------------------------------------------------------
# Turning results into comparison-ready plain data


class _Opaque(Exception):
    pass


class _TooBig(Exception):
    pass


_ITERATOR_TYPES = (
    types.GeneratorType,
    map,
    filter,
    zip,
    enumerate,
    reversed,
    itertools.chain,
    itertools.islice,
    itertools.count,
    itertools.cycle,
    itertools.product,
    itertools.permutations,
    itertools.combinations,
    itertools.accumulate,
    itertools.groupby,
    collections.abc.Iterator,
)
_MAX_ITER_ITEMS = 100_000


def _qualname(t: type) -> str:
    return getattr(t, "__qualname__", None) or t.__name__


def _fields(obj: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(obj):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    data = dict(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        for slot in cls.__dict__.get("__slots__", ()) or ():
            if isinstance(slot, str) and slot not in data and hasattr(obj, slot):
                data[slot] = getattr(obj, slot)
    return {k: v for k, v in data.items() if not (isinstance(k, str) and is_dunder(k))}


_PICKLE_GLOBALS = frozenset(
    {Obj, int, float, complex, str, bytes, tuple, list, dict, frozenset, set}
)


class _ValuePickler(pickle.Pickler):
    """Serializes a result as comparison-ready plain data, mostly in C.

    Exact builtin containers and scalars never reach `reducer_override`
    (CPython pickles them natively); everything else is mapped to a plain
    equivalent or an `Obj`, or declared opaque. `fast` mode (no memo) turns a
    cycle into a RecursionError, i.e. opaque, so comparison never loops.
    """

    def reducer_override(self, obj: Any) -> Any:
        t = type(obj)
        if t is complex or (t is type and obj in _PICKLE_GLOBALS):
            return NotImplemented  # the reduce callables below are saved by name
        if isinstance(obj, enum.Enum):
            return Obj, (_qualname(t), obj.name)
        for base in (int, float, str, bytes, tuple, list, dict, frozenset, set):
            if isinstance(obj, base):  # subclasses: namedtuple, defaultdict, Counter ...
                return base, (base(obj),)
        if isinstance(obj, collections.deque):
            return Obj, ("deque", list(obj))
        if isinstance(obj, bytearray):
            return Obj, ("bytearray", bytes(obj))
        if isinstance(obj, decimal.Decimal):
            return Obj, ("Decimal", str(obj))
        if isinstance(obj, fractions.Fraction):
            return Obj, ("Fraction", (obj.numerator, obj.denominator))
        if isinstance(obj, (datetime.date, datetime.time)):
            return Obj, (t.__name__, obj.isoformat())
        if isinstance(obj, datetime.timedelta):
            return Obj, ("timedelta", obj.total_seconds())
        if isinstance(obj, range):
            return Obj, ("range", (obj.start, obj.stop, obj.step))
        if isinstance(
            obj, (collections.abc.KeysView, collections.abc.ItemsView, collections.abc.ValuesView)
        ):
            return Obj, (t.__name__, list(obj))
        if isinstance(obj, BaseException):
            return Obj, (_qualname(t), tuple(obj.args))
        if isinstance(obj, _ITERATOR_TYPES):
            items = list(itertools.islice(obj, _MAX_ITER_ITEMS + 1))  # runs the code's generator
            if len(items) > _MAX_ITER_ITEMS:
                raise _TooBig
            return Obj, ("iterator", items)
        if isinstance(obj, types.SimpleNamespace):
            return Obj, ("SimpleNamespace", _fields(obj))
        if is_sandbox_object(obj) and not isinstance(obj, type) and t is not types.FunctionType:
            return Obj, (_qualname(t), _fields(obj))
        raise _Opaque


def encode_value(value: Any, max_bytes: int) -> bytes:
    """Pickle `value` as plain data (see _ValuePickler); raises _Opaque/_TooBig."""
    buf = io.BytesIO()
    pickler = _ValuePickler(buf, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    if buf.tell() > max_bytes:
        raise _TooBig
    return buf.getvalue()


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def repr_digest(text: str) -> str:
    """Digest of a repr with memory addresses removed (they differ run to run)."""
    return hashlib.sha256(_ADDRESS.sub(" at 0x?", text).encode("utf-8", "replace")).hexdigest()
