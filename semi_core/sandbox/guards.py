"""Run-time guards: violations, the per-test state, sandbox classes, the attribute
read/write guards, str.format without attribute access, and module proxies."""

from __future__ import annotations

import _string  # C helper behind str.format's field parser
import array
import collections
import collections.abc
import enum
import functools
import string
import sys
import types
from collections.abc import Callable
from typing import Any

from .policy import (
    DENIED_ATTRS,
    MAGIC_METHODS,
    READABLE_DUNDER_ATTRS,
    SANDBOX_FILENAME,
    is_dunder,
)

_MISSING = object()


class SandboxViolation(BaseException):
    """A forbidden operation. BaseException so `except Exception` does not swallow it."""


class OutputLimitExceeded(SandboxViolation):
    pass


class SandboxTimeout(BaseException):
    """Raised by the SIGALRM handler when a test runs past its wall-clock limit."""


class _State:
    """Mutable per-test state of this worker (one test at a time)."""

    armed = False
    timed_out = False
    deadline = 0.0  # perf_counter() at which the armed test times out
    timer_at: float | None = None  # deadline the pending interval timer was set for
    violation: str | None = None
    violation_line: int | None = None
    stdout: Any = None
    stderr: Any = None
    stdin: Any = None
    recursion_base = 0  # harness frames below the sandboxed code
    cpu_soft = -1
    cpu_checked_at = -1e9  # perf_counter() when the CPU limit was last checked
    touched_random = True  # seed before the first test
    touched_decimal = True
    max_recursion = 200_000
    sinks_written = False  # something was written to the output sinks since their reset
    sinks_cap = -1  # the cap the sinks were last reset with
    real_streams: tuple[Any, Any, Any] | None = None  # sys streams while tests swap them


STATE = _State()


def _sandbox_line() -> int | None:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename == SANDBOX_FILENAME:
            return frame.f_lineno
        frame = frame.f_back
    return None


def violation(message: str) -> SandboxViolation:
    """Record a violation (with the sandboxed line) and return the exception to raise."""
    line = _sandbox_line()
    if line is not None:
        message = f"{message} (line {line})"
    if STATE.violation is None:
        STATE.violation = message
        STATE.violation_line = line
    return SandboxViolation(message)


# ---------------------------------------------------------------------------
# Classes created by sandboxed code carry `__sandbox__` (a dunder the policy
# forbids code to name), so guards can tell them from library classes.


def _winner_metaclass(bases: tuple[Any, ...]) -> type:
    meta: type = type
    for base in bases:
        bm = type(base)
        if issubclass(bm, meta):
            meta = bm
        elif not issubclass(meta, bm):
            raise TypeError("metaclass conflict between the bases of this class")
    return meta


class _SandboxMetaclass:
    """`__metaclass__` of RestrictedPython's class rewrite: marks classes as ours."""

    def __prepare__(self, name: str, bases: tuple[Any, ...], **kwds: Any) -> Any:
        meta = kwds.pop("sandbox_metaclass", None) or _winner_metaclass(bases)
        prepare = getattr(meta, "__prepare__", None)
        return prepare(name, bases, **kwds) if prepare else {}

    def __call__(self, name: str, bases: tuple[Any, ...], ns: Any, **kwds: Any) -> type:
        meta = kwds.pop("sandbox_metaclass", None) or _winner_metaclass(bases)
        ns["__sandbox__"] = True
        return meta(name, bases, ns, **kwds)


SANDBOX_METACLASS = _SandboxMetaclass()


def _is_sandbox_type(cls: Any) -> bool:
    try:
        return bool(type.__getattribute__(cls, "__sandbox__")) if isinstance(cls, type) else False
    except AttributeError:
        return False


def is_sandbox_object(obj: Any) -> bool:
    """True for classes, instances and functions created by sandboxed code."""
    t = type(obj)
    if t is types.FunctionType:
        return obj.__code__.co_filename == SANDBOX_FILENAME
    if t is types.MethodType:
        return is_sandbox_object(obj.__func__)
    if isinstance(obj, type):
        return _is_sandbox_type(obj)
    return _is_sandbox_type(t)


# ---------------------------------------------------------------------------
# Attribute guard

_NAMEDTUPLE_PRIVATE = frozenset({"_asdict", "_replace", "_make", "_fields", "_field_defaults"})
_ENUM_PRIVATE = frozenset(
    {
        "_value_",
        "_name_",
        "_missing_",
        "_generate_next_value_",
        "_member_names_",
        "_member_map_",
        "_value2member_map_",
    }
)
_NO_ATTR_TYPES = (types.FrameType, types.CodeType, types.TracebackType)
_NO_ATTR_OBJECTS = (types.ModuleType, *_NO_ATTR_TYPES)
_SPECIAL_NAMES = DENIED_ATTRS | {"obj", "format", "format_map"}


def _check_special_attr(obj: Any, name: str) -> None:
    if is_dunder(name):
        if name not in READABLE_DUNDER_ATTRS:
            raise violation(f'reading the special attribute "{name}" is not allowed')
        if name == "__dict__" and not (
            is_sandbox_object(obj) or isinstance(obj, types.SimpleNamespace)
        ):
            raise violation('"__dict__" may only be read on objects the code created itself')
        return
    # a private name (`_x`, `__x`): fine on the code's own objects and a few
    # documented library APIs (namedtuple._asdict, Enum._value_)
    if is_sandbox_object(obj):
        return
    if name in _NAMEDTUPLE_PRIVATE and (
        isinstance(obj, tuple) or (isinstance(obj, type) and issubclass(obj, tuple))
    ):
        return
    if name in _ENUM_PRIVATE and isinstance(obj, (enum.Enum, enum.EnumMeta)):
        return
    raise violation(f'reading the private attribute "{name}" of a library object is not allowed')


def guarded_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """`_getattr_` and the `getattr` builtin."""
    # Common path: an ordinary name (no "_", no special name) on an object that is
    # not a raw module, frame, code object or traceback.
    if (
        type(name) is str
        and name[:1] != "_"
        and name not in _SPECIAL_NAMES
        and not isinstance(obj, _NO_ATTR_OBJECTS)
    ):
        if default is _MISSING:
            return getattr(obj, name)
        return getattr(obj, name, default)
    return _checked_getattr(obj, name, default)


def _checked_getattr(obj: Any, name: str, default: Any) -> Any:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if name[:1] == "_":
        _check_special_attr(obj, name)
    elif name in DENIED_ATTRS:
        raise violation(f'"{name}" reaches interpreter internals and is not allowed')
    elif name == "obj" and isinstance(obj, AttributeError):
        # AttributeError.obj hands out the object a failed lookup was made on,
        # possibly a library internal (RestrictedPython's CVE-2024-47532)
        raise violation("AttributeError.obj is not accessible in the sandbox")
    elif name == "format" or name == "format_map":
        if isinstance(obj, str):
            return _bound_format(obj, name)
        if obj is str:
            return safe_format if name == "format" else safe_format_map
        if isinstance(obj, string.Formatter) or (
            isinstance(obj, type) and issubclass(obj, string.Formatter)
        ):
            raise violation("string.Formatter is not allowed")
    if isinstance(obj, types.ModuleType):
        raise violation("reading attributes of a raw module object is not allowed")
    if isinstance(obj, _NO_ATTR_TYPES):
        raise violation("frames, code objects and tracebacks are not accessible")
    if default is _MISSING:
        return getattr(obj, name)
    return getattr(obj, name, default)


def guarded_hasattr(obj: Any, name: str) -> bool:
    try:
        guarded_getattr(obj, name)
    except AttributeError:
        return False
    return True


_WRITABLE_FAST = frozenset(
    {
        dict,
        list,
        set,
        bytearray,
        collections.deque,
        collections.defaultdict,
        collections.OrderedDict,
        collections.Counter,
        array.array,
    }
)
_READ_ONLY_TYPES = (
    types.ModuleType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MappingProxyType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    property,
    staticmethod,
    classmethod,
    functools.partial,
)


def guarded_write(obj: Any) -> Any:
    """`_write_`: the target of an attribute/item assignment or deletion."""
    t = type(obj)
    if t in _WRITABLE_FAST:
        return obj
    if isinstance(obj, type):
        if _is_sandbox_type(obj):
            return obj
        raise violation(f"modifying the library class {obj.__name__!r} is not allowed")
    if t is types.FunctionType:
        if obj.__code__.co_filename == SANDBOX_FILENAME:
            return obj
        raise violation("modifying a library function is not allowed")
    if isinstance(obj, _READ_ONLY_TYPES) or t in _PROXY_TYPES:
        raise violation(f"modifying a {t.__name__} object is not allowed")
    # other instances (the code's own, or library objects it created) may change
    return obj


def _check_write_name(name: Any) -> None:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if is_dunder(name) and name not in MAGIC_METHODS:
        raise violation(f'setting the special attribute "{name}" is not allowed')
    if name in DENIED_ATTRS:
        raise violation(f'"{name}" is not allowed')


def guarded_setattr(obj: Any, name: str, value: Any) -> None:
    _check_write_name(name)
    setattr(guarded_write(obj), name, value)


def guarded_delattr(obj: Any, name: str) -> None:
    _check_write_name(name)
    delattr(guarded_write(obj), name)


def guarded_vars(*args: Any) -> dict[str, Any]:
    if not args:
        raise violation("vars() without an argument exposes the namespace and is not allowed")
    return guarded_getattr(args[0], "__dict__")


def _unpack_passthrough(it: Any, spec: Any = None, getiter: Any = None) -> Any:
    # RestrictedPython routes each unpacked element through `_getiter_`; ours
    # is the builtin iter (no per-element rule exists), so native unpacking
    # is equivalent. Kept as a function so the transformer's output still runs.
    return it


def _iter_unpack_passthrough(it: Any, spec: Any = None, getiter: Any = None) -> Any:
    return iter(it)


# ---------------------------------------------------------------------------
# str.format without attribute access through format fields


class _SafeFormatter(string.Formatter):
    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        first, rest = _string.formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = guarded_getattr(obj, key) if is_attr else obj[key]
        return obj, first


_FORMATTER = _SafeFormatter()


def _needs_safe_formatter(fmt: str) -> bool:
    for _literal, field, spec, _conv in _string.formatter_parser(fmt):
        if field and ("." in field or "[" in field):
            return True
        if spec and "{" in spec:
            return True
    return False


def safe_format(fmt: str, *args: Any, **kwargs: Any) -> str:
    if not isinstance(fmt, str):
        raise TypeError("format() needs a string")
    if _needs_safe_formatter(fmt):
        return _FORMATTER.vformat(str(fmt), args, kwargs)
    return str.format(fmt, *args, **kwargs)


def safe_format_map(fmt: str, mapping: Any) -> str:
    if _needs_safe_formatter(fmt):
        return _FORMATTER.vformat(str(fmt), (), mapping)
    return str.format_map(fmt, mapping)


def _bound_format(s: str, name: str) -> Callable[..., str]:
    if name == "format":
        return lambda *a, **k: safe_format(s, *a, **k)
    return lambda mapping: safe_format_map(s, mapping)


# ---------------------------------------------------------------------------
# Module proxies


class ModuleProxy:
    """Exposes allow-listed attributes of a module; nothing else, not even `os`
    through `typing.sys` or `random._os`.

    Allowed attributes live in the instance dict, so reading them costs what a
    real module costs; `__getattr__` only runs for the rest. Sandboxed code can
    reach neither the dict (`__dict__`/`vars` are refused on library objects) nor
    write to the proxy (`_write_` refuses proxies, `__setattr__` raises)."""

    __slots__ = ("_name", "__dict__")

    def __init__(self, name: str, attrs: dict[str, Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "__dict__", dict(attrs))
        self.__dict__["__all__"] = sorted(attrs)  # what `from m import *` binds

    def __getattr__(self, name: str) -> Any:
        mod = object.__getattribute__(self, "_name")
        real = sys.modules.get(mod)
        if real is not None and hasattr(real, name):
            raise violation(f"{mod}.{name} is not available in the sandbox")
        raise AttributeError(f"module {mod!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise violation("modules are read-only in the sandbox")

    def __delattr__(self, name: str) -> None:
        raise violation("modules are read-only in the sandbox")

    def __dir__(self) -> list[str]:
        return sorted(k for k in object.__getattribute__(self, "__dict__") if k != "__all__")

    def __repr__(self) -> str:
        return f"<module {object.__getattribute__(self, '_name')!r} (sandbox)>"


class SysProxy(ModuleProxy):
    """`sys` reduced to the streams, exit, recursion limit and a few constants."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name == "stdin":
            return STATE.stdin
        if name == "stdout":
            return STATE.stdout
        if name == "stderr":
            return STATE.stderr
        return ModuleProxy.__getattr__(self, name)


_PROXY_TYPES = frozenset({ModuleProxy, SysProxy})
