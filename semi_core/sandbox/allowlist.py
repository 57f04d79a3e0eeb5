"""Everything sandboxed code can reach: the allow-listed modules (as proxies
exposing allow-listed attributes only), the builtins, and the guards the policy's
rewritten code calls. A security review reads this file."""

from __future__ import annotations

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
import pprint
import queue
import random
import re
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

from .guards import (
    SANDBOX_METACLASS,
    STATE,
    ModuleProxy,
    SysProxy,
    _iter_unpack_passthrough,
    _unpack_passthrough,
    guarded_delattr,
    guarded_getattr,
    guarded_hasattr,
    guarded_setattr,
    guarded_vars,
    guarded_write,
    violation,
)
from .policy import (
    MAGIC_METHODS,
    SANDBOX_FILENAME,
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
