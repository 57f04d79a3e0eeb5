"""What runs inside a worker: guards, builtins, module proxies, per-test execution.

This module is imported by the zygote before it forks workers, so everything
here is loaded once ("warm") and shared copy-on-write. It must never be
imported for its side effects in the parent: importing it is harmless, but
`run_job` is meant for a worker process only (it swaps `sys.stdout`, arms
signals and so on).

Security model, in one paragraph: sandboxed code is compiled by `policy.py`,
which rewrites every attribute read into `_getattr_`, every attribute/item
write into `_write_`, iteration into `_getiter_` and refuses names and
constructs that reach interpreter internals. The globals we hand the code
contain only allow-listed builtins and the guards below; modules come from
`__import__` as proxies exposing allow-listed attributes only. Anything the
guards refuse at run time is a *violation*: it raises `SandboxViolation`
(a BaseException) and is recorded, so swallowing it does not help; the test
ends as `violation` whatever the code does next.
"""

from __future__ import annotations

import _string  # C helper behind str.format's field parser
import abc
import array
import ast
import base64
import binascii
import bisect
import builtins
import calendar
import cmath
import collections
import collections.abc
import contextlib
import copy
import dataclasses
import datetime
import decimal
import difflib
import enum
import fractions
import functools
import gc
import graphlib
import hashlib
import heapq
import html
import io
import itertools
import json
import keyword
import math
import numbers
import operator
import pickle
import pprint
import queue
import random
import re
import resource
import signal
import statistics
import string
import struct
import sys
import textwrap
import time
import types
import typing
import unicodedata
import zlib
from collections.abc import Callable
from typing import Any

from .args import ArgumentError, parse_call_args
from .outcome import Obj
from .policy import (
    DENIED_ATTRS,
    MAGIC_METHODS,
    READABLE_DUNDER_ATTRS,
    SANDBOX_FILENAME,
    CompileResult,
    compile_sandboxed,
    is_dunder,
)


def _preload_lazy_imports() -> None:
    # Stdlib functions we expose import these lazily (datetime.strptime ...):
    # load them now, while the zygote can still read files.
    import importlib

    for name in ("_strptime", "encodings.idna", "encodings.utf_8", "unicodedata"):
        importlib.import_module(name)


_preload_lazy_imports()
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
# Streams


class CappedOutput(io.TextIOBase):
    """A text sink with a size cap; exceeding it is a violation (output flood)."""

    def __init__(self, cap: int, name: str) -> None:
        self._parts: list[str] = []
        self._size = 0
        self._cap = cap
        self._label = name

    def reset(self, cap: int) -> CappedOutput:
        self._parts = []
        self._size = 0
        self._cap = cap
        return self

    def write(self, s: Any) -> int:
        if type(s) is not str:
            if not isinstance(s, str):
                raise TypeError(f"write() argument must be str, not {type(s).__name__}")
            s = str(s)
        if s:
            STATE.sinks_written = True
        self._size += len(s)
        if self._size > self._cap:
            if STATE.violation is None:
                STATE.violation = f"{self._label} exceeded {self._cap} characters"
            raise OutputLimitExceeded(STATE.violation)
        self._parts.append(s)
        return len(s)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise io.UnsupportedOperation("the sandbox's streams have no file descriptor")

    @property
    def buffer(self) -> _BytesSink:
        return _BytesSink(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def getvalue(self) -> str:
        return "".join(self._parts)


class _BytesSink:
    """`sys.stdout.buffer` for code that writes bytes."""

    def __init__(self, text: CappedOutput) -> None:
        self._text = text

    def write(self, b: bytes) -> int:
        self._text.write(bytes(b).decode("utf-8", "replace"))
        return len(b)

    def flush(self) -> None:
        return None


class SandboxStdin(io.StringIO):
    """`sys.stdin`: a StringIO with a lazily built `.buffer` for byte readers."""

    _bytes: io.BytesIO | None = None

    @property
    def buffer(self) -> io.BytesIO:
        if self._bytes is None:
            self._bytes = io.BytesIO(self.getvalue()[self.tell() :].encode("utf-8"))
        return self._bytes

    def fileno(self) -> int:
        raise io.UnsupportedOperation("the sandbox's stdin has no file descriptor")


class _EmptyStdin(SandboxStdin):
    """stdin of function-mode tests: empty and read-only, so one object serves all."""

    def write(self, s: Any) -> int:
        raise io.UnsupportedOperation("not writable")

    def writelines(self, lines: Any) -> None:
        raise io.UnsupportedOperation("not writable")

    def truncate(self, size: Any = None) -> int:
        raise io.UnsupportedOperation("not writable")

    @property
    def buffer(self) -> io.BytesIO:
        return io.BytesIO(b"")


_STDOUT = CappedOutput(0, "stdout")
_STDERR = CappedOutput(0, "stderr")
_EMPTY_STDIN = _EmptyStdin("")


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


def _sys_setrecursionlimit(limit: int) -> None:
    if not isinstance(limit, int) or limit < 1:
        raise ValueError("recursion limit must be a positive integer")
    # capped: a huge limit only trades a RecursionError for a crashed worker
    sys.setrecursionlimit(min(limit, STATE.max_recursion) + STATE.recursion_base)


def _sys_getrecursionlimit() -> int:
    return sys.getrecursionlimit() - STATE.recursion_base


def _sys_exit(code: Any = None) -> None:
    raise SystemExit(code)


def _public_attrs(mod: Any, deny: frozenset[str] = frozenset()) -> dict[str, Any]:
    out = {}
    for name in dir(mod):
        if name.startswith("_") or name in deny:
            continue
        value = getattr(mod, name)
        if isinstance(value, types.ModuleType):
            continue  # sub-modules are only reachable when allow-listed themselves
        out[name] = value
    return out


def _only(mod: Any, names: str) -> dict[str, Any]:
    return {n: getattr(mod, n) for n in names.split() if hasattr(mod, n)}


class _GuardedAttrGetter:
    """operator.attrgetter whose lookups go through the attribute guard."""

    def __init__(self, *names: str) -> None:
        for n in names:
            if not isinstance(n, str):
                raise TypeError("attribute name must be a string")
        self._paths = [n.split(".") for n in names]

    def __call__(self, obj: Any) -> Any:
        values = []
        for path in self._paths:
            value = obj
            for part in path:
                value = guarded_getattr(value, part)
            values.append(value)
        return values[0] if len(values) == 1 else tuple(values)


class _GuardedMethodCaller:
    def __init__(self, name: str, /, *args: Any, **kwargs: Any) -> None:
        self._name, self._args, self._kwargs = name, args, kwargs

    def __call__(self, obj: Any) -> Any:
        return guarded_getattr(obj, self._name)(*self._args, **self._kwargs)


class _NoWarnings(contextlib.AbstractContextManager):  # type: ignore[type-arg]
    def __init__(self, *a: Any, **k: Any) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        return None


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _build_modules() -> dict[str, ModuleProxy]:
    m: dict[str, dict[str, Any]] = {}
    for mod in (
        math,
        cmath,
        re,
        itertools,
        functools,
        heapq,
        bisect,
        statistics,
        fractions,
        json,
        copy,
        hashlib,
        textwrap,
        unicodedata,
        array,
        queue,
        abc,
        numbers,
        keyword,
        difflib,
        graphlib,
        base64,
        binascii,
        html,
        struct,
        zlib,
        calendar,
        pprint,
    ):
        m[mod.__name__] = _public_attrs(mod)
    m["collections"] = _public_attrs(collections)
    m["collections.abc"] = _public_attrs(collections.abc)
    m["string"] = _public_attrs(string, frozenset({"Formatter"}))
    m["decimal"] = _public_attrs(
        decimal, frozenset({"DefaultContext", "BasicContext", "ExtendedContext"})
    )
    m["datetime"] = _public_attrs(datetime, frozenset({"datetime_CAPI"}))
    m["random"] = _public_attrs(random, frozenset({"SystemRandom"}))
    m["typing"] = _public_attrs(typing, frozenset({"get_type_hints", "ForwardRef", "io", "re"}))
    m["dataclasses"] = _public_attrs(dataclasses)
    m["enum"] = _public_attrs(
        enum, frozenset({"global_enum", "global_str", "global_enum_repr", "global_flag_repr"})
    )
    operator_attrs = _public_attrs(operator)
    operator_attrs["attrgetter"] = _GuardedAttrGetter
    operator_attrs["methodcaller"] = _GuardedMethodCaller
    m["operator"] = operator_attrs
    m["time"] = _only(
        time,
        "time time_ns perf_counter perf_counter_ns monotonic monotonic_ns "
        "process_time process_time_ns sleep strftime strptime gmtime "
        "localtime mktime ctime asctime struct_time",
    )
    m["io"] = _only(io, "StringIO BytesIO")
    m["contextlib"] = _only(
        contextlib,
        "contextmanager suppress nullcontext ExitStack closing "
        "AbstractContextManager redirect_stdout redirect_stderr",
    )
    m["ast"] = _only(
        ast,
        "literal_eval parse dump unparse walk NodeVisitor NodeTransformer "
        "iter_child_nodes iter_fields",
    )
    m["types"] = _only(types, "SimpleNamespace GeneratorType MappingProxyType NoneType")
    m["warnings"] = {
        "warn": _noop,
        "filterwarnings": _noop,
        "simplefilter": _noop,
        "resetwarnings": _noop,
        "catch_warnings": _NoWarnings,
    }
    import __future__ as future_mod

    m["__future__"] = _public_attrs(future_mod)
    # `import os` is common and often unused; give a husk so the import works
    # and any real use (os.system, os.environ ...) is a violation.
    m["os.path"] = _only(
        __import__("posixpath"), "join basename dirname splitext split normpath sep"
    )
    m["os"] = {"linesep": "\n", "sep": "/", "name": "posix"}
    sys_attrs: dict[str, Any] = {
        "setrecursionlimit": _sys_setrecursionlimit,
        "getrecursionlimit": _sys_getrecursionlimit,
        "exit": _sys_exit,
        "maxsize": sys.maxsize,
        "maxunicode": sys.maxunicode,
        "byteorder": sys.byteorder,
        "float_info": sys.float_info,
        "int_info": sys.int_info,
        "hash_info": sys.hash_info,
        "version": sys.version,
        "version_info": sys.version_info,
        "hexversion": sys.hexversion,
        "platform": sys.platform,
        "getsizeof": sys.getsizeof,
        "intern": sys.intern,
        "argv": ("main.py",),
        "getdefaultencoding": sys.getdefaultencoding,
    }
    for name in ("set_int_max_str_digits", "get_int_max_str_digits"):
        if hasattr(sys, name):
            sys_attrs[name] = getattr(sys, name)
    proxies: dict[str, ModuleProxy] = {}
    for name, attrs in m.items():
        proxies[name] = ModuleProxy(name, attrs)
    proxies["sys"] = SysProxy("sys", sys_attrs)
    # sub-modules hang off their parents
    for name in list(proxies):
        if "." in name:
            parent, child = name.rsplit(".", 1)
            namespace = object.__getattribute__(proxies[parent], "__dict__")
            namespace[child] = proxies[name]
            namespace["__all__"] = sorted(k for k in namespace if k != "__all__")
    return proxies


MODULES = _build_modules()

# Importing these is an attempt at something the sandbox forbids.
HOSTILE_MODULES = frozenset(
    """
    subprocess socket ctypes _ctypes shutil signal threading _thread multiprocessing concurrent
    asyncio pty importlib builtins gc inspect pickle _pickle marshal shelve tempfile pathlib
    glob resource mmap fcntl select selectors code codeop runpy sysconfig site posix nt
    posixpath ntpath faulthandler tracemalloc urllib http ftplib smtplib telnetlib ssl
    webbrowser sqlite3 dbm zipfile tarfile fileinput pdb trace dis platform pwd grp termios tty
    readline atexit imp zipimport pkgutil linecache tokenize _io _posixsubprocess
    _signal socketserver xmlrpc wsgiref logging cffi sys os io types weakref ctypes.util
    """.split()
)


def guarded_import(
    name: str,
    globals: Any = None,
    locals: Any = None,  # noqa: A002
    fromlist: Any = (),
    level: int = 0,
) -> Any:
    if not isinstance(name, str):
        raise TypeError("module name must be a string")
    if level:
        raise ImportError("relative imports are not available in the sandbox")
    if name in MODULES:
        if name == "random":
            STATE.touched_random = True
        elif name in ("decimal", "fractions", "statistics"):
            STATE.touched_decimal = True
        if fromlist or "." not in name:
            return MODULES[name]
        return MODULES[name.split(".")[0]]
    top = name.split(".")[0]
    if top in HOSTILE_MODULES or name in HOSTILE_MODULES or top.startswith("_"):
        raise violation(f"importing {name!r} is not allowed in the sandbox")
    raise ModuleNotFoundError(f"No module named {name!r} (not available in the sandbox)", name=name)


def _guarded_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    if file == 0 and isinstance(mode, str) and "r" in mode:
        return STATE.stdin.buffer if "b" in mode else STATE.stdin
    if file in (1, 2) and isinstance(mode, str) and "w" in mode:
        return STATE.stdout if file == 1 else STATE.stderr
    raise violation(f"file access is not allowed: open({file!r})")


def _forbidden(name: str, why: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise violation(f"{name}() is not allowed: {why}")

    refuse.__name__ = name
    return refuse


def _guarded_type(*args: Any) -> Any:
    if len(args) == 1:
        return type(args[0])
    if len(args) == 3:
        name, bases, ns = args
        for key in ns:
            if (
                isinstance(key, str)
                and is_dunder(key)
                and key not in MAGIC_METHODS
                and key not in ("__slots__", "__module__", "__qualname__", "__doc__")
            ):
                raise violation(f"type(): the special name {key!r} is not allowed")
        return SANDBOX_METACLASS(name, tuple(bases), dict(ns))
    raise TypeError("type() takes 1 or 3 arguments")


def _dynamic_code(source: Any, mode: str, g: Any, loc: Any) -> Any:
    """eval()/exec() of source text: compiled with the same policy, run with
    sandbox globals. Code objects are refused (they never pass the policy)."""
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode("utf-8")
    if not isinstance(source, str):
        raise violation(f"{mode}() only accepts source text in the sandbox")
    result = compile_sandboxed(source.strip() if mode == "eval" else source, mode=mode)
    if result.code is None:
        if result.syntax_error is not None:
            raise SyntaxError(result.errors[0])
        raise violation(f"{mode}() of code the policy refuses: {result.errors[0]}")
    if g is None:
        caller = sys._getframe(2)
        if caller.f_code.co_filename != SANDBOX_FILENAME:
            # e.g. heapq.merge(..., key=eval): the caller's globals would be a
            # library module's, with the real builtins. Refuse.
            raise violation(f"{mode}() may only be called directly by the sandboxed code")
        g = caller.f_globals
        if loc is None:
            loc = caller.f_locals
    elif type(g) is not dict:
        raise TypeError(f"{mode}() globals must be a dict")
    else:
        # never let Python insert the real builtins into a dict the code made
        g["__builtins__"] = dict(SAFE_BUILTINS)
        g.update(GUARDS)
    return builtins.eval(result.code, g, g if loc is None else loc)


def _guarded_eval(source: Any, globals: Any = None, locals: Any = None) -> Any:  # noqa: A002
    return _dynamic_code(source, "eval", globals, locals)


def _guarded_exec(source: Any, globals: Any = None, locals: Any = None) -> None:  # noqa: A002
    _dynamic_code(source, "exec", globals, locals)


def _exit(code: Any = None) -> None:
    raise SystemExit(code)


def _build_builtins() -> dict[str, Any]:
    names = """
    abs all any ascii bin bool bytearray bytes callable chr classmethod complex dict dir divmod
    enumerate filter float format frozenset hash hex id input int isinstance issubclass iter
    len list map max memoryview min next object oct ord pow print property range repr reversed
    round set slice sorted staticmethod str sum super tuple zip aiter anext
    None True False Ellipsis NotImplemented __build_class__
    """.split()
    b: dict[str, Any] = {n: getattr(builtins, n) for n in names if hasattr(builtins, n)}
    for name in dir(builtins):
        value = getattr(builtins, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            b[name] = value
    b.update(
        getattr=guarded_getattr,
        hasattr=guarded_hasattr,
        setattr=guarded_setattr,
        delattr=guarded_delattr,
        vars=guarded_vars,
        type=_guarded_type,
        open=_guarded_open,
        exit=_exit,
        quit=_exit,
        __import__=guarded_import,
        compile=_forbidden("compile", "it would create unchecked code"),
        globals=_forbidden("globals", "it exposes the namespace"),
        locals=_forbidden("locals", "it exposes the namespace"),
        breakpoint=_forbidden("breakpoint", "there is no debugger"),
        help=_forbidden("help", "there is no interactive help"),
        eval=_guarded_eval,
        exec=_guarded_exec,
    )
    return b


SAFE_BUILTINS = _build_builtins()

GUARDS: dict[str, Any] = {
    "_getattr_": guarded_getattr,
    "_getitem_": operator.getitem,
    "_write_": guarded_write,
    "_getiter_": iter,
    "_iter_unpack_sequence_": _iter_unpack_passthrough,
    "_unpack_sequence_": _unpack_passthrough,
    "_apply_": lambda f, *a, **k: f(*a, **k),
    "_inplacevar_": _forbidden("_inplacevar_", "internal"),
    "__metaclass__": SANDBOX_METACLASS,
}


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


# ---------------------------------------------------------------------------
# Running one test

_CACHE: collections.OrderedDict[str, CompileResult] = collections.OrderedDict()
_CACHE_SIZE = 256


def compile_cached(code: str) -> CompileResult:
    hit = _CACHE.get(code)
    if hit is not None:
        _CACHE.move_to_end(code)
        return hit
    result = compile_sandboxed(code)
    _CACHE[code] = result
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result


def _on_alarm(signum: int, frame: Any) -> None:
    st = STATE
    st.timer_at = None  # one-shot: no timer is pending now (until re-armed below)
    if not st.armed:
        return  # between tests: the next _arm starts a timer again
    if not st.timed_out:
        remaining = st.deadline - time.perf_counter()
        if remaining > _ALARM_SLACK_S:
            # set for an earlier test of this job: wait for this test's own deadline
            signal.setitimer(signal.ITIMER_REAL, remaining, 0)
            st.timer_at = st.deadline
            return
        st.timed_out = True
    # After the first expiry the timer fires again every 50 ms: code that
    # swallows the exception keeps being interrupted until the pool's hard kill.
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    st.timer_at = -1.0  # repeating: never "later than a deadline"
    raise SandboxTimeout()


_ALARM_SLACK_S = 0.001  # an alarm this close to the deadline counts as the deadline


def _arm(timeout: float) -> None:
    """Give the current test (or compilation) `timeout` seconds of wall clock.

    One interval timer serves a whole job: it is only (re)started when none is
    pending or the pending one would fire after this deadline. An alarm that
    fires for an earlier test's deadline re-arms itself for the current one
    (see _on_alarm), so each test still gets exactly its own limit, without a
    setitimer system call per test. `armed` goes up last, after the deadline
    is set, so an alarm delivered in between is ignored, never misapplied."""
    st = STATE
    st.deadline = time.perf_counter() + timeout
    st.timed_out = False
    st.armed = True
    pending = st.timer_at
    if pending is None or pending > st.deadline:
        signal.setitimer(signal.ITIMER_REAL, timeout, 0)
        st.timer_at = st.deadline


def _disarm() -> None:
    STATE.armed = False
    STATE.timer_at = None
    signal.setitimer(signal.ITIMER_REAL, 0, 0)


def stop_timer() -> None:
    """Called by the worker after each job (tests only lower the `armed` flag);
    also puts back the sys streams the job's tests replaced with the sinks."""
    _disarm()
    saved = STATE.real_streams
    if saved is not None:
        sys.stdin, sys.stdout, sys.stderr = saved
        STATE.real_streams = None


_CPU_HARD = resource.getrlimit(resource.RLIMIT_CPU)[1]
_CPU_RECHECK_S = 0.5


def _set_cpu_limit(timeout: float) -> None:
    # Backstop for C loops that never return to the interpreter (the wall-clock
    # SIGALRM cannot interrupt them): SIGXCPU's default action kills the worker.
    # The soft limit is set timeout + 1..2 CPU seconds ahead. A worker has one
    # thread, so its CPU time grows no faster than wall time: within half a
    # second (wall) of setting it, more than `timeout` CPU seconds remain and the
    # CPU clock (a system call) need not be read again.
    now = time.perf_counter()
    if now - STATE.cpu_checked_at < _CPU_RECHECK_S:
        return
    STATE.cpu_checked_at = now
    soft = int(time.process_time() + timeout) + 2
    if _CPU_HARD != resource.RLIM_INFINITY:
        soft = min(soft, _CPU_HARD)
    if soft != STATE.cpu_soft:  # same second as the last test: nothing to do
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, _CPU_HARD))
            STATE.cpu_soft = soft
        except (ValueError, OSError):
            pass


_DECIMAL_CONTEXT = decimal.Context()
_INT_DIGITS = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0


def _reset_library_state() -> None:
    """Library state code may change through allowed APIs, reset before each test.
    random/decimal are only reachable by importing them, and every test imports
    afresh, so they are reset when the previous test imported them."""
    if STATE.touched_random:
        random.seed(0)
        STATE.touched_random = False
    if STATE.touched_decimal:
        decimal.setcontext(_DECIMAL_CONTEXT.copy())
        STATE.touched_decimal = False
    if sys.getrecursionlimit() != 1000 + STATE.recursion_base:
        sys.setrecursionlimit(1000 + STATE.recursion_base)
    if _INT_DIGITS and sys.get_int_max_str_digits() != _INT_DIGITS:
        sys.set_int_max_str_digits(_INT_DIGITS)


def _error_line(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SANDBOX_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None and isinstance(exc, SyntaxError) and exc.filename == SANDBOX_FILENAME:
        line = exc.lineno
    return line


def _describe(exc: BaseException) -> tuple[str, str, int | None]:
    etype = type(exc).__name__
    try:
        msg = str(exc)
    except BaseException:  # noqa: BLE001 - a broken __str__ must not break the harness
        msg = "<unprintable message>"
    if len(msg) > 2000:
        msg = msg[:2000] + "…"
    line = _error_line(exc)
    text = f"{etype}: {msg}" if msg else etype
    if line is not None:
        text += f" (line {line})"
    return etype, text, line


_FLAT_TYPES = frozenset({int, float, str, bool, type(None), bytes, complex})


def _flat_budget(value: Any, depth: int, budget: int) -> int:
    """What is left of `budget` (items) after `value`, or -1 when it is not plain
    enough to travel as is: scalars and exact lists, tuples and dicts of them,
    nested a few levels. Anything else (subclasses, sets, objects, cycles, large
    values) is converted by the C pickler in encode_value."""
    t = type(value)
    if t in _FLAT_TYPES:
        return budget
    if depth == 0:
        return -1
    if t is list or t is tuple:
        budget -= len(value)
        if budget < 0:
            return -1
        for item in value:
            if type(item) not in _FLAT_TYPES:
                budget = _flat_budget(item, depth - 1, budget)
                if budget < 0:
                    return -1
        return budget
    if t is dict:
        budget -= 2 * len(value)
        if budget < 0:
            return -1
        for key, item in value.items():
            if type(key) not in _FLAT_TYPES:
                budget = _flat_budget(key, depth - 1, budget)
                if budget < 0:
                    return -1
            if type(item) not in _FLAT_TYPES:
                budget = _flat_budget(item, depth - 1, budget)
                if budget < 0:
                    return -1
        return budget
    return -1


def _fresh_namespace(mode: str, safe_builtins: dict[str, Any] | None) -> dict[str, Any]:
    """The module namespace of one test: guards, builtins, __name__, __file__.
    With a shared builtins dict (one per job), a template is built once and
    copied per test; the template itself is never handed to code."""
    if safe_builtins is not None:
        template = _NS_TEMPLATE.get(mode)
        if template is not None and template["__builtins__"] is safe_builtins:
            return template.copy()
    ns: dict[str, Any] = dict(GUARDS)
    ns["__builtins__"] = safe_builtins if safe_builtins is not None else dict(SAFE_BUILTINS)
    ns["__name__"] = "__main__" if mode == "program" else "__sandbox__"
    ns["__file__"] = SANDBOX_FILENAME
    if safe_builtins is not None:
        _NS_TEMPLATE[mode] = ns
        return ns.copy()
    return ns


_NS_TEMPLATE: dict[str, dict[str, Any]] = {}


def run_test(
    compiled: CompileResult,
    entry: str | None,
    mode: str,
    text: str,
    limits: dict[str, Any],
    safe_builtins: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one test of already-compiled code; returns Outcome fields.

    `safe_builtins` may be shared by the tests of one job: sandboxed code has
    no way to reach the builtins dict (no `__builtins__` name, no globals(), no
    frames, and eval()/exec() put a fresh copy into dicts the code passes)."""
    timeout = limits["timeout_s"]
    st = STATE
    # "function" is the Outcome default mode: not sent
    out: dict[str, Any] = {"status": "ok"} if mode == "function" else {"status": "ok", "mode": mode}
    st.violation = None
    st.violation_line = None
    cap = limits["max_output_bytes"]
    # the two sinks are reused per worker (cheaper than new objects), emptied
    # only when the previous test wrote to them
    if st.sinks_written or st.sinks_cap != cap:
        _STDOUT.reset(cap)
        _STDERR.reset(cap)
        st.sinks_written = False
        st.sinks_cap = cap
    st.stdout, st.stderr = _STDOUT, _STDERR
    st.stdin = SandboxStdin(text) if mode == "program" else _EMPTY_STDIN
    template = _NS_TEMPLATE.get(mode)  # _fresh_namespace's common case, inline
    if template is not None and template["__builtins__"] is safe_builtins:
        ns = template.copy()
    else:
        ns = _fresh_namespace(mode, safe_builtins)
    started = time.perf_counter()
    if started - st.cpu_checked_at >= _CPU_RECHECK_S:  # see _set_cpu_limit
        _set_cpu_limit(timeout)
    try:
        try:
            _reset_library_state()
            # The sinks stay sys.stdout/stderr from a job's first test to its end
            # (stop_timer puts the real streams back): only our harness runs
            # between tests, and it writes nothing. stdin differs per program test.
            if st.real_streams is None:
                st.real_streams = sys.stdin, sys.stdout, sys.stderr
            if sys.stdout is not _STDOUT or sys.stderr is not _STDERR:
                sys.stdout, sys.stderr = _STDOUT, _STDERR
            if sys.stdin is not st.stdin:
                sys.stdin = st.stdin
            _arm(timeout)
            _execute(compiled, entry, mode, text, ns, out, limits)
        finally:
            st.armed = False  # the itimer is re-armed by the next test or stopped per job
    except SandboxTimeout:
        out["status"] = "timeout"
    except SandboxViolation as exc:
        out.update(
            status="violation", error=str(exc), error_type="SandboxViolation", line=_error_line(exc)
        )
    except MemoryError:
        out.update(status="memory", error="memory limit exceeded", error_type="MemoryError")
    except BaseException as exc:  # noqa: BLE001 - harness must report, never die
        etype, msg, line = _describe(exc)
        out.update(status="error", error=msg, error_type=etype, line=line)
    out["duration_ms"] = (time.perf_counter() - started) * 1000.0
    # Decisions that swallowing cannot undo:
    if st.timed_out or out["status"] == "timeout":
        st.timed_out = True
        out.update(status="timeout", error=f"timed out after {timeout:g} s")
        _drop_values(out)
    elif st.violation is not None:
        out.update(
            status="violation",
            error=st.violation,
            error_type="SandboxViolation",
            line=st.violation_line,
        )
        _drop_values(out)
    # empty streams are left out: the Outcome defaults are "" (smaller messages)
    stdout = ""
    if st.sinks_written:
        stdout = _STDOUT.getvalue()
        if stdout:
            out["stdout"] = stdout
        stderr = _STDERR.getvalue()
        if stderr:
            out["stderr"] = stderr
    if mode == "program" and out["status"] == "ok":
        out["output"] = stdout
    st.stdout = st.stderr = st.stdin = None
    ns.clear()
    return out


_MAX_ARCS = 20_000  # arcs recorded per test: a bound on the message, not on the code


def run_test_traced(*args: Any) -> dict[str, Any]:
    """`run_test` (the same arguments), recording the arcs the code under test takes as
    ``arcs``: per frame of the sandboxed code, each (line, next line) and (last line, -1)
    when the frame returns. An exception forgets the frame's last line, so that a raise is
    no step to anywhere."""
    arcs: set[tuple[int, int]] = set()

    def on_call(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != SANDBOX_FILENAME or len(arcs) >= _MAX_ARCS:
            return None
        last = 0

        def on_event(frame: Any, event: str, arg: Any) -> Any:
            nonlocal last
            if event == "line":
                line = frame.f_lineno
                if last:
                    arcs.add((last, line))
                last = line
            elif event == "return":
                if last:
                    arcs.add((last, -1))
            elif event == "exception":
                last = 0
            return on_event

        return on_event

    sys.settrace(on_call)
    try:
        out = run_test(*args)
    finally:
        sys.settrace(None)
    out["arcs"] = arcs
    return out


def _resolve_entry(ns: dict[str, Any], entry: str) -> Any:
    """`f`, or `Solution.twoSum` (the class is instantiated without arguments, as
    LeetCode-style code expects). Returns None when it is not defined."""
    if "." not in entry:
        return ns.get(entry)
    owner_name, _, method = entry.partition(".")
    owner = ns.get(owner_name)
    if owner is None or not method.isidentifier() or method.startswith("_"):
        return None
    if isinstance(owner, type):
        owner = owner()  # the code's own class: runs under the timer like the call
    return guarded_getattr(owner, method, None)


def _drop_values(out: dict[str, Any]) -> None:
    for key in ("value_blob", "value", "args_after"):
        out.pop(key, None)


def _execute(
    compiled: CompileResult,
    entry: str | None,
    mode: str,
    text: str,
    ns: dict[str, Any],
    out: dict[str, Any],
    limits: dict[str, Any],
) -> None:
    if mode == "program":
        try:
            exec(compiled.code, ns)  # noqa: S102 - compiled under the policy
        except SystemExit as exc:  # exit()/sys.exit() end a program normally
            code = exc.code
            if code not in (None, 0):
                out.update(status="error", error_type="SystemExit", error=f"SystemExit: {code!r}")
        return
    try:
        args, kwargs = parse_call_args(text)
    except ArgumentError as exc:
        out.update(status="invalid", error=f"ArgumentError: {exc}", error_type="ArgumentError")
        return
    exec(compiled.code, ns)  # noqa: S102 - compiled under the policy
    if entry and "." not in entry:
        fn = ns.get(entry)  # _resolve_entry's common case, inline
    else:
        fn = _resolve_entry(ns, entry or "")
    if fn is None:
        out.update(
            status="error",
            error_type="NameError",
            error=f"NameError: entry point {entry!r} is not defined",
        )
        return
    if not callable(fn):
        out.update(
            status="error",
            error_type="TypeError",
            error=f"TypeError: entry point {entry!r} is not callable",
        )
        return
    result = fn(*args, **kwargs)
    # The code may have raised the recursion limit; the harness works with the
    # default, so absurdly deep results become opaque here instead of crashing
    # the worker (or, later, the pool's comparison).
    sys.setrecursionlimit(1000 + STATE.recursion_base)
    try:
        shown = repr(result)
    except (SandboxTimeout, SandboxViolation, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001 - a broken __repr__ is the code's error
        etype, msg, line = _describe(exc)
        out.update(
            status="error", error=f"{msg} (in repr of the result)", error_type=etype, line=line
        )
        return
    limit = limits["max_repr_chars"]
    out["output"] = (
        shown if len(shown) <= limit else (shown[:limit] + f"… [{len(shown) - limit} more]")
    )
    # Fast path: flat plain data travels as is (the pool's restricted unpickler
    # accepts it); anything else is converted by the C pickler in encode_value.
    # (the first level of _flat_budget(args, 5, 256), inline: `args` is our own
    # list, only its items can have been changed by the call)
    args_budget = 256 - len(args)
    for arg in args:
        if type(arg) not in _FLAT_TYPES:
            args_budget = _flat_budget(arg, 4, args_budget)
            if args_budget < 0:
                break
    if (
        args_budget >= 0
        and (type(result) in _FLAT_TYPES or _flat_budget(result, 4, 256) >= 0)
        and (not kwargs or _flat_budget(kwargs, 5, 256) >= 0)
    ):
        out["value"] = result
        out["args_after"] = (args, kwargs)
        return
    try:
        out["value_blob"] = encode_value((result, args, kwargs), limits["max_value_bytes"])
    except (SandboxTimeout, SandboxViolation, MemoryError):
        raise
    except BaseException:  # noqa: BLE001 - opaque, too big, cyclic or a broken object
        out["comparable"] = False
        try:
            out["output_digest"] = repr_digest(shown + "|" + repr((args, kwargs)))
        except (SandboxTimeout, SandboxViolation, MemoryError):
            raise
        except BaseException:  # noqa: BLE001
            out["output_digest"] = repr_digest(shown)


def compile_for_job(code: str, timeout: float) -> tuple[CompileResult | None, dict[str, Any]]:
    """Compile under the timer. Returns (result, outcome-if-it-failed)."""
    started = time.perf_counter()
    try:
        try:
            _arm(timeout)
            result = compile_cached(code)
        finally:
            STATE.armed = False  # the timer itself is stopped once per job
    except SandboxTimeout:
        return None, {"status": "timeout", "error": "compilation timed out"}
    except MemoryError:
        return None, {"status": "memory", "error": "memory limit exceeded while compiling"}
    took = (time.perf_counter() - started) * 1000.0
    if result.code is not None:
        return result, {}
    if result.syntax_error is not None:
        exc = result.syntax_error
        return None, {
            "status": "error",
            "error_type": type(exc).__name__,
            "error": f"{type(exc).__name__}: {result.errors[0]}",
            "line": exc.lineno,
            "duration_ms": took,
        }
    first = result.errors[0]
    line = None
    if first.startswith("line "):
        head = first[5:].split(":", 1)[0]
        line = int(head) if head.isdigit() else None
    reason = "; ".join(result.errors[:5])
    if len(result.errors) > 5:
        reason += f"; and {len(result.errors) - 5} more"
    return None, {
        "status": "rejected",
        "error": f"refused by the sandbox policy: {reason}",
        "error_type": "PolicyError",
        "line": line,
        "duration_ms": took,
    }


def cleanup_after_job(timeout: float) -> bool:
    """Drop what a job left in library caches and collect garbage, under the timer
    (finalizers of the code's objects run here, not during someone else's test).
    Returns False when the cleanup itself misbehaved (the worker should go)."""
    try:
        try:
            _arm(timeout)
            re.purge()
            for clear in getattr(typing, "_cleanups", ()):
                clear()
            gc.collect()
        finally:
            _disarm()
    except BaseException:  # noqa: BLE001
        return False
    return STATE.violation is None


def init_worker_state(limits: dict[str, Any]) -> None:
    """Called once in a fresh worker before the first job."""
    STATE.max_recursion = int(limits.get("max_recursion", 200_000))
    signal.signal(signal.SIGALRM, _on_alarm)


def measure_depth() -> int:
    """Frames between the worker's loop and the sandboxed code (for the recursion limit)."""
    frame = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth + 8
