"""One thread at a time in `ast.parse`, for the whole process.

CPython keeps a single recursion counter per interpreter for turning a parsed tree into
`ast` objects, so two threads parsing at once can trip its check: `SystemError: AST
constructor recursion depth mismatch` (python/cpython#106905). The local engine validates
on several threads, and the studio runs jobs beside its page threads, all parsing code;
so `ast.parse` (which `ast.literal_eval` calls too) is wrapped in a lock. Parsing is
quick: the lock costs nothing measurable. A forked child gets a fresh lock, never one
held by a thread that does not exist in it."""

from __future__ import annotations

import ast
import os
import threading
from typing import Any

_parse = ast.parse
_lock = threading.Lock()


def _fresh_lock() -> None:
    global _lock
    _lock = threading.Lock()


def parse(*args: Any, **kwargs: Any) -> ast.AST:
    with _lock:
        return _parse(*args, **kwargs)


parse.__doc__ = _parse.__doc__

ast.parse = parse  # type: ignore[assignment]
os.register_at_fork(after_in_child=_fresh_lock)
