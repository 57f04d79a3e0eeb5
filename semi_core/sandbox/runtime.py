"""What runs inside a worker: compiling a job, running one test under its timers,
resetting state between tests. It imports the rest of the worker side: the guards
(guards.py), the stdio (streams.py), what the code can reach (allowlist.py) and
value encoding (encoding.py).

This module is imported by the zygote before it forks workers, so everything
here is loaded once ("warm") and shared copy-on-write. It must never be
imported for its side effects in the parent: importing it is harmless, but
`run_job` is meant for a worker process only (it swaps `sys.stdout`, arms
signals and so on).

Security model, in one paragraph: sandboxed code is compiled by `policy.py`,
which rewrites every attribute read into `_getattr_`, every attribute/item
write into `_write_`, iteration into `_getiter_` and refuses names and
constructs that reach interpreter internals. The globals we hand the code
contain only allow-listed builtins and the guards (allowlist.py); modules come from
`__import__` as proxies exposing allow-listed attributes only. Anything the
guards refuse at run time is a *violation*: it raises `SandboxViolation`
(a BaseException) and is recorded, so swallowing it does not help; the test
ends as `violation` whatever the code does next.
"""

from __future__ import annotations

import collections
import collections.abc
import decimal
import gc
import random
import re
import resource
import signal
import sys
import time
import typing
from typing import Any

from .allowlist import GUARDS, SAFE_BUILTINS
from .args import ArgumentError, parse_call_args
from .encoding import encode_value, repr_digest
from .guards import STATE, SandboxTimeout, SandboxViolation, guarded_getattr
from .policy import (
    SANDBOX_FILENAME,
    CompileResult,
    compile_sandboxed,
)
from .streams import _EMPTY_STDIN, _STDERR, _STDOUT, SandboxStdin

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
    # After the first expiry the timer keeps firing at a short interval: code that
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
