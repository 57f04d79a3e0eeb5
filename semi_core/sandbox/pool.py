"""SandboxPool: runs Tasks in long-lived, locked-down worker processes.

Scheduling: tasks with the same code, entry point and mode are grouped and
sent to one worker as a batch (one message, one compilation); batches are
spread over the workers. A worker reports finished tests at least every
100 ms, so the pool always knows roughly where a batch is. When a worker goes
silent past its deadline (timeout + grace) the pool SIGKILLs it; when a worker
dies, the tests it had not reported are run again one at a time on a fresh
worker, so the test that kills a worker is identified exactly and the others
still get their real outcome. The pool itself never raises for a task: every
task gets an Outcome, in order.
"""

from __future__ import annotations

import atexit
import dataclasses
import math
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from . import wire
from .outcome import MODES, STATUSES, Limits, Outcome, Task, _Chunk, _Unit
from .worker import CTL_PID, CTL_REQUEST, CTL_STATUS, FLUSH_S, zygote_command

_PKG_DIR = Path(__file__).resolve().parent.parent  # .../semi_core
_ROOT_DIR = _PKG_DIR.parent
_MAX_ATTEMPTS = 3
_DEPTH = 2  # jobs in flight per worker
_QUEUE_MAX_BYTES = 64 * 1024  # larger jobs are only sent to a worker with nothing queued
_STATUSES = frozenset(STATUSES)
_SETTABLE = frozenset(
    {
        "error",
        "error_type",
        "stdout",
        "stderr",
        "line",
        "comparable",
        "output_digest",
        "mode",
        "arcs",
    }
)
_STARTUP_TIMEOUT_S = 60.0
_new_outcome = object.__new__


class SandboxStartError(RuntimeError):
    pass


@dataclasses.dataclass(eq=False)
class _Worker:
    pid: int
    conn: Connection
    generation: int  # which zygote forked it: pids are only safe to signal while it lives
    tasks: int = 0


@dataclasses.dataclass(eq=False)
class _Running:
    chunk: _Chunk
    job_id: int
    sent: float
    last: float
    got_first: bool = False
    done: set[int] = dataclasses.field(default_factory=set)
    killed_by_pool: bool = False
    allowed: dict[int, str] = dataclasses.field(default_factory=dict)  # index -> mode

    def __post_init__(self) -> None:
        self.allowed = {idx: u.mode for u in self.chunk.units for idx, _ in u.items}


class SandboxPool:
    """A pool of sandbox workers. Use as a context manager or call close()."""

    def __init__(self, limits: Limits | None = None, *, debug: bool | None = None) -> None:
        self.limits = limits or Limits()
        self.debug = bool(os.environ.get("SEMI_SANDBOX_DEBUG")) if debug is None else debug
        self._lock = threading.RLock()
        self._zygote: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._idle: list[_Worker] = []
        # A spare worker, forked ahead of need once workers start being recycled:
        # a recycle then takes a ready worker instead of waiting for a fork.
        self._spare: deque[_Worker] = deque()
        self._spawns_pending = 0  # b"S" requests whose reply is still in the socket
        self._job_ids = 0
        self._generation = 0  # bumped whenever a new zygote starts
        self._closed = False
        self.network_isolated: bool | None = None  # known once the zygote is up
        self.filesystem_read_only: bool | None = None
        self.stats = {"workers_started": 0, "workers_killed": 0, "jobs": 0}
        _LIVE_POOLS.add(self)

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> SandboxPool:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the zygote now (otherwise it starts on first use)."""
        with self._lock:
            self._ensure_zygote()

    def close(self) -> None:
        """Kill all workers and the zygote; idempotent, leaves no zombies."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._collect_spawns()
            for w in [*self._idle, *self._spare]:
                self._retire(w)
            self._idle.clear()
            self._spare.clear()
            self._stop_zygote()
        _LIVE_POOLS.discard(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def _zygote_cfg(self, ctl_fd: int) -> dict[str, Any]:
        return {
            "ctl_fd": ctl_fd,
            "root": str(_ROOT_DIR),
            "pkg": str(_PKG_DIR),
            "limits": dataclasses.asdict(self.limits),
            "debug": self.debug,
        }

    def _ensure_zygote(self) -> None:
        if self._closed:
            raise SandboxStartError("the pool is closed")
        if self._zygote is not None and self._zygote.poll() is None:
            return
        self._stop_zygote()
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ)
        env["PYTHONHASHSEED"] = "0"  # fixed hash seed: set iteration order is reproducible
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        for var in ("PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONBREAKPOINT"):
            env.pop(var, None)
        try:
            proc = subprocess.Popen(
                zygote_command(self._zygote_cfg(child.fileno())),
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=None if self.debug else subprocess.DEVNULL,
                stderr=None if self.debug else subprocess.DEVNULL,
                start_new_session=True,  # no terminal SIGINT; the pool stops it
                env=env,
                cwd="/",
            )
        except OSError as exc:
            parent.close()
            child.close()
            raise SandboxStartError(f"cannot start the sandbox: {exc}") from exc
        child.close()
        parent.settimeout(_STARTUP_TIMEOUT_S)
        try:
            hello = parent.recv(64)
        except OSError:
            hello = b""
        if not hello.startswith(b"ready:"):
            proc.kill()
            proc.wait()
            parent.close()
            raise SandboxStartError("the sandbox zygote did not start")
        parent.settimeout(30.0)
        features = hello[len(b"ready:") :].split(b",")
        self.network_isolated = b"netns" in features
        self.filesystem_read_only = b"rofs" in features
        self._zygote, self._ctl = proc, parent
        self._generation += 1

    def _stop_zygote(self) -> None:
        proc, ctl = self._zygote, self._ctl
        self._zygote = self._ctl = None
        _shutdown_zygote(proc, ctl)
        # its workers die with it (parent-death signal); never signal their pids again
        self._generation += 1
        for w in [*self._idle, *self._spare]:
            _close_quietly(w.conn)
        self._idle.clear()
        self._spare.clear()
        self._spawns_pending = 0  # their replies went with the control socket

    def _spawn(self) -> _Worker:
        """A fresh worker: the spare if one is ready (or being forked), else a new fork.
        Once the pool has started all its workers, every later spawn is a recycle,
        and the next one is requested right away, to fork while this one works."""
        self._ensure_zygote()
        self._collect_spawns()
        if self._spare:
            w = self._spare.popleft()
        else:
            self._ensure_zygote()  # collecting may have found the zygote gone
            self._request_spawn()
            w = self._read_spawn_reply()
        if self.stats["workers_started"] > self.limits.workers and not self._spawns_pending:
            try:
                self._request_spawn()
            except SandboxStartError:
                pass  # no spare this time; the next spawn forks on demand
        return w

    def _request_spawn(self) -> None:
        assert self._ctl is not None
        try:
            self._ctl.send(CTL_REQUEST.pack(b"S", 0))
        except OSError as exc:
            self._stop_zygote()
            raise SandboxStartError(f"the sandbox zygote failed: {exc}") from exc
        self._spawns_pending += 1

    def _collect_spawns(self) -> None:
        """Read the replies to spawn requests still in the control socket (the
        zygote answers in order, so they come before any other reply)."""
        while self._spawns_pending and self._ctl is not None:
            try:
                self._spare.append(self._read_spawn_reply())
            except SandboxStartError:
                pass

    def _read_spawn_reply(self) -> _Worker:
        assert self._ctl is not None
        self._spawns_pending -= 1
        try:
            msg, fds, _flags, _addr = socket.recv_fds(self._ctl, CTL_PID.size, 1)
        except OSError as exc:
            self._stop_zygote()
            raise SandboxStartError(f"the sandbox zygote failed: {exc}") from exc
        if len(msg) == CTL_PID.size and not fds and CTL_PID.unpack(msg)[0] == -1:
            raise SandboxStartError("the system refused to create a worker process")
        if len(msg) != CTL_PID.size or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            self._stop_zygote()
            raise SandboxStartError("the sandbox zygote sent a bad reply")
        (pid,) = CTL_PID.unpack(msg)
        self.stats["workers_started"] += 1
        return _Worker(pid=pid, conn=Connection(fds[0]), generation=self._generation)

    def _retire(self, w: _Worker, *, wait: bool = True) -> int:
        """SIGKILL a worker and have the zygote reap it; returns its wait status.
        With wait=False (a worker recycled after a normal job) the zygote reaps it
        later and nobody waits for the process to be torn down (-1 is returned)."""
        _close_quietly(w.conn)
        self.stats["workers_killed"] += 1
        if w.generation != self._generation or self._ctl is None:
            return -1  # its zygote is gone: the pid may already belong to someone else
        try:
            os.kill(w.pid, signal.SIGKILL)  # not reaped yet, so the pid cannot be reused
        except ProcessLookupError:
            pass
        status = -1
        if not wait:
            try:
                self._ctl.send(CTL_REQUEST.pack(b"K", w.pid))
            except OSError:
                self._stop_zygote()
            return status
        self._collect_spawns()  # replies come in order: spawn replies first
        if self._ctl is None:
            return status
        try:
            self._ctl.send(CTL_REQUEST.pack(b"R", w.pid))
            reply = self._ctl.recv(CTL_STATUS.size)
            _pid, status = CTL_STATUS.unpack(reply)
        except (OSError, ValueError, struct.error):
            self._stop_zygote()
        return status

    def probe(self) -> dict[str, Any]:
        """Ask a worker how it is locked down (uid, rlimits, network namespace, fds).
        For tests and diagnostics; the worker is retired afterwards."""
        with self._lock:
            w = self._idle.pop() if self._idle else self._spawn()
            try:
                w.conn.send_bytes(pickle.dumps(("probe", 0), protocol=wire.PROTOCOL))
                if not w.conn.poll(10):
                    raise SandboxStartError("the worker did not answer")
                msg = wire.loads_untrusted(w.conn.recv_bytes(wire.MAX_MESSAGE_BYTES))
            finally:
                self._retire(w)
            return dict(msg[3])

    # -- running -------------------------------------------------------------
    def run(self, task: Task) -> Outcome:
        return self.run_many([task])[0]

    def run_many(self, tasks: Iterable[Task]) -> list[Outcome]:
        """Run tasks in parallel across workers; outcomes come back in task order."""
        tasks = list(tasks)
        results: list[Outcome | None] = [None] * len(tasks)
        chunks = deque(self._plan(tasks, results))
        with self._lock:
            if chunks:
                self._schedule(chunks, results)
        return [r if r is not None else Outcome("crashed", error="no result") for r in results]

    def _plan(self, tasks: list[Task], results: list[Outcome | None]) -> list[_Chunk]:
        groups: dict[tuple[str, str | None, str, bool], list[tuple[int, str]]] = {}
        # tests of one code usually come together: the last group is reused
        # without looking its key up again
        last: tuple[str, str | None, str, bool] | None = None
        bucket: list[tuple[int, str]] = []
        for i, t in enumerate(tasks):
            problem = _task_problem(t)
            if problem:
                results[i] = Outcome(
                    "invalid",
                    error=problem,
                    error_type="TaskError",
                    mode=getattr(t, "mode", "function"),
                )
                continue
            key = (t.code, t.entry_point, t.mode, t.coverage)
            if key != last:
                last, bucket = key, groups.setdefault(key, [])
            bucket.append((i, (t.args if t.mode == "function" else t.stdin) or ""))
        workers = self.limits.workers
        batch = min(self.limits.max_batch, self.limits.max_tasks_per_worker)
        pieces: list[_Unit] = []
        for (code, entry, mode, coverage), items in groups.items():
            size = batch
            if len(groups) < workers * 2:  # few groups: split them so all workers help
                size = max(1, min(size, math.ceil(len(items) / workers)))
            for k in range(0, len(items), size):
                pieces.append(_Unit(code, entry, mode, items[k : k + size], coverage))
        # pack small pieces of different code into one message (fewer round trips),
        # but keep ~4 messages per worker so the load stays balanced at the end
        total = sum(len(p.items) for p in pieces)
        cap = max(1, min(batch, math.ceil(total / (workers * 4))))
        chunks: list[_Chunk] = []
        current: list[_Unit] = []
        count = 0
        for piece in pieces:
            if current and count + len(piece.items) > cap:
                chunks.append(_Chunk(current))
                current, count = [], 0
            current.append(piece)
            count += len(piece.items)
        if current:
            chunks.append(_Chunk(current))
        return chunks

    def _schedule(self, chunks: deque[_Chunk], results: list[Outcome | None]) -> None:
        lim = self.limits
        # Each active worker has up to _DEPTH jobs in flight: it runs the head
        # and the next one waits in its socket, so the worker never idles while
        # the pool reads results. Deadlines apply to the head only.
        active: dict[_Worker, deque[_Running]] = {}
        encoded: dict[int, tuple[int, bytes]] = {}  # id(chunk) -> (job id, message)
        while chunks or active:
            while chunks and len(active) < lim.workers:
                try:
                    w = self._idle.pop() if self._idle else self._spawn()
                except SandboxStartError as exc:
                    if active:  # the workers we have will take the rest
                        break
                    self._fail_chunk(chunks.popleft(), results, f"sandbox unavailable: {exc}")
                    continue
                active[w] = deque()
            for depth in range(1, _DEPTH + 1):  # round-robin: everyone gets a first job
                for w, queue in list(active.items()):
                    if not chunks or len(queue) >= depth:
                        continue
                    chunk = chunks[0]
                    if id(chunk) not in encoded:  # encode once, even if it has to wait
                        self._job_ids += 1
                        encoded[id(chunk)] = (self._job_ids, self._encode_job(chunk, self._job_ids))
                    job_id, data = encoded[id(chunk)]
                    if queue and len(data) > _QUEUE_MAX_BYTES:
                        # a busy worker reads it only later: a message bigger than the
                        # socket buffer would block us while it blocks sending results
                        continue
                    chunks.popleft()
                    del encoded[id(chunk)]
                    if not self._send_job(w, chunk, queue, job_id, data):
                        chunk.attempts += 1
                        if chunk.attempts > _MAX_ATTEMPTS:
                            self._fail_chunk(chunk, results, "the sandbox worker was unreachable")
                        else:
                            chunks.appendleft(chunk)
                        self._drop_worker(w, active, chunks)
            for w, queue in list(active.items()):
                if not queue:  # nothing to do: back to the idle list
                    del active[w]
                    self._idle.append(w)
            if not active:
                continue
            now = time.monotonic()
            next_deadline = min(self._deadline(q[0]) for q in active.values())
            by_conn = {w.conn: w for w in active}
            ready = wait(list(by_conn), timeout=max(0.0, next_deadline - now))
            for conn in ready:
                w = by_conn[conn]  # type: ignore[index]
                if w in active:
                    self._on_readable(w, active, chunks, results)
            now = time.monotonic()
            for w, queue in list(active.items()):
                if queue and now > self._deadline(queue[0]):
                    queue[0].killed_by_pool = True
                    self._on_death(w, active, chunks, results)

    @staticmethod
    def _encode_job(chunk: _Chunk, job_id: int) -> bytes:
        units = [(u.code, u.entry_point, u.mode, u.items, u.coverage) for u in chunk.units]
        return pickle.dumps((job_id, units, chunk.single), protocol=wire.PROTOCOL)

    def _send_job(
        self, w: _Worker, chunk: _Chunk, queue: deque[_Running], job_id: int, data: bytes
    ) -> bool:
        try:
            w.conn.send_bytes(data)
        except OSError:
            return False
        now = time.monotonic()
        queue.append(_Running(chunk, job_id, now, now))
        self.stats["jobs"] += 1
        return True

    def _drop_worker(
        self,
        w: _Worker,
        active: dict[_Worker, deque[_Running]],
        chunks: deque[_Chunk],
        *,
        wait: bool = True,
    ) -> int:
        """Retire a worker; jobs it had not started go back to the front of the queue."""
        queue = active.pop(w, deque())
        for r in reversed(queue):
            remaining = r.chunk.without(r.done)
            if remaining:
                chunks.appendleft(dataclasses.replace(r.chunk, units=remaining))
        return self._retire(w, wait=wait)

    def _deadline(self, r: _Running) -> float:
        lim = self.limits
        budget = lim.timeout_s + lim.kill_grace_s + FLUSH_S
        if not r.got_first:
            budget += lim.timeout_s  # compilation has its own allowance
        return r.last + budget

    def _on_readable(
        self,
        w: _Worker,
        active: dict[_Worker, deque[_Running]],
        chunks: deque[_Chunk],
        results: list[Outcome | None],
    ) -> None:
        queue = active[w]
        r = queue[0]
        try:
            msg = wire.loads_untrusted(w.conn.recv_bytes(wire.MAX_MESSAGE_BYTES))
            kind, job_id, outs = msg[0], msg[1], msg[2]
            if job_id != r.job_id or kind not in ("r", "d"):
                raise ValueError("message for another job")
            self._store(r, outs, results)
        except _UNREADABLE_MESSAGE:
            self._on_death(w, active, chunks, results)
            return
        now = time.monotonic()
        r.last = now
        r.got_first = True
        if kind == "r":
            return
        recycle = bool(msg[3]) if len(msg) > 3 else True
        queue.popleft()
        w.tasks += len(r.done)
        # every test reported (the usual end of a job): nothing to look for
        remaining = r.chunk.without(r.done) if len(r.done) < len(r.allowed) else []
        if remaining:  # the worker stopped early (timeout/violation/memory)
            chunks.appendleft(dataclasses.replace(r.chunk, units=remaining))
        if recycle or w.tasks >= self.limits.max_tasks_per_worker or self._closed:
            # it will not read the queued job; its exit status tells nothing
            self._drop_worker(w, active, chunks, wait=False)
        elif queue:
            queue[0].last = now  # the next job starts now

    def _store(self, r: _Running, outs: Any, results: list[Outcome | None]) -> None:
        allowed = r.allowed
        done = r.done
        # columns (see worker._new_batch); anything malformed raises one of
        # _UNREADABLE_MESSAGE and the worker is treated as dead
        indices, statuses, outputs, values, args_afters, durations, extras = outs
        if type(extras) is not dict:
            raise TypeError("bad message")
        for idx, status, output, value, args_after, duration in zip(
            indices, statuses, outputs, values, args_afters, durations, strict=True
        ):
            mode = allowed[idx]  # KeyError (caught as a dead worker) for foreign indices
            if status not in _STATUSES:
                raise ValueError("unknown status")
            # Outcome(status, output, value, args_after, duration_ms=..., mode=...)
            # without the call: the generated __init__'s keyword handling cost
            # more than its stores. The same fields in the same order (a test
            # holds this list to the dataclass's fields).
            out = _new_outcome(Outcome)
            out.status = status
            out.output = output
            out.value = value
            out.args_after = args_after
            out.error = ""
            out.error_type = None
            out.stdout = ""
            out.stderr = ""
            out.duration_ms = duration
            out.line = None
            out.comparable = True
            out.output_digest = ""
            out.mode = mode
            out.arcs = None
            if extras:
                extra = extras.get(idx)
                if extra is not None:
                    if type(extra) is not dict:
                        raise TypeError("bad message")
                    for key, val in extra.items():
                        if key in _SETTABLE:
                            setattr(out, key, val)
            results[idx] = out
            done.add(idx)

    def _on_death(
        self,
        w: _Worker,
        active: dict[_Worker, deque[_Running]],
        chunks: deque[_Chunk],
        results: list[Outcome | None],
    ) -> None:
        queue = active[w]
        r = queue[0]
        # the worker may have reported tests just before dying: read them first
        try:
            while w.conn.poll(0):
                msg = wire.loads_untrusted(w.conn.recv_bytes(wire.MAX_MESSAGE_BYTES))
                if msg[1] != r.job_id:
                    break
                self._store(r, msg[2], results)
                if msg[0] == "d":
                    break
        except _UNREADABLE_MESSAGE:
            pass
        elapsed_ms = (time.monotonic() - r.last) * 1000.0
        queue.popleft()
        status = self._drop_worker(w, active, chunks)  # requeues the jobs behind the head
        remaining = r.chunk.without(r.done)
        if not remaining:
            return
        n_left = sum(len(u.items) for u in remaining)
        if r.chunk.single or n_left == 1:
            # one test at a time: the first unreported test is the culprit
            first = remaining[0]
            idx = first.items[0][0]
            results[idx] = _death_outcome(
                status, r.killed_by_pool, self.limits, elapsed_ms, first.mode
            )
            r.done.add(idx)
            remaining = r.chunk.without(r.done)
            if remaining:
                chunks.appendleft(dataclasses.replace(r.chunk, units=remaining, single=True))
            return
        chunk = dataclasses.replace(
            r.chunk, units=remaining, single=True, attempts=r.chunk.attempts + 1
        )
        if chunk.attempts > _MAX_ATTEMPTS:
            self._fail_chunk(chunk, results, "the sandbox worker kept dying")
        else:
            chunks.appendleft(chunk)

    def _fail_chunk(self, chunk: _Chunk, results: list[Outcome | None], why: str) -> None:
        for u in chunk.units:
            for idx, _ in u.items:
                if results[idx] is None:
                    results[idx] = Outcome("crashed", error=why, mode=u.mode)


# What reading a worker's message raises when the worker died mid-send or sent something
# that is not a well-formed result (its code runs untrusted code: never trust the bytes).
_UNREADABLE_MESSAGE = (
    EOFError,
    OSError,
    pickle.UnpicklingError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
)


def _close_quietly(conn: Connection) -> None:
    try:
        conn.close()
    except OSError:
        pass


def _task_problem(t: Any) -> str | None:
    if type(t) is Task and type(t.code) is str:  # fast path for well-formed tasks
        if t.mode == "function":
            if t.entry_point and type(t.entry_point) is str and type(t.args) is str:
                return None
        elif t.mode == "program" and type(t.stdin) is str:
            return None
    if not isinstance(t, Task):
        return "not a Task"
    if not isinstance(t.code, str):
        return "code must be a string"
    if t.mode not in MODES:
        return f"unknown mode {t.mode!r} (expected 'function' or 'program')"
    if t.mode == "function":
        if not t.entry_point or not isinstance(t.entry_point, str):
            return "function mode needs an entry_point"
        if not isinstance(t.args, str):
            return "args must be the text of an argument list"
    elif not isinstance(t.stdin, str):
        return "stdin must be a string"
    return None


def _death_outcome(
    status: int, killed_by_pool: bool, limits: Limits, elapsed_ms: float, mode: str
) -> Outcome:
    sig = os.WTERMSIG(status) if status >= 0 and os.WIFSIGNALED(status) else None
    if killed_by_pool or sig == signal.SIGXCPU:
        how = "CPU limit" if sig == signal.SIGXCPU and not killed_by_pool else "wall clock"
        return Outcome(
            "timeout",
            error=f"timed out after {limits.timeout_s:g} s ({how}; the worker was killed)",
            duration_ms=elapsed_ms,
            mode=mode,
        )
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        what = f"the worker died from signal {name}"
    elif status >= 0 and os.WIFEXITED(status):
        what = f"the worker exited with code {os.WEXITSTATUS(status)}"
    else:
        what = "the worker died"
    return Outcome(
        "crashed", error=what, error_type="WorkerDied", duration_ms=elapsed_ms, mode=mode
    )


def _shutdown_zygote(proc: subprocess.Popen[bytes] | None, ctl: socket.socket | None) -> None:
    if ctl is not None:
        try:
            ctl.send(b"Q" + b"\0" * (CTL_REQUEST.size - 1))
        except OSError:
            pass
        try:
            ctl.close()
        except OSError:
            pass
    if proc is not None:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_LIVE_POOLS: weakref.WeakSet[SandboxPool] = weakref.WeakSet()


@atexit.register
def _close_all_pools() -> None:
    for pool in list(_LIVE_POOLS):
        try:
            pool.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            if sys is not None:
                pass
