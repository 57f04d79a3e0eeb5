"""The zygote and worker processes (child side of the pool).

The pool starts one *zygote* per pool with `python -c` (a fresh, small
interpreter, not a fork of a possibly huge, multi-threaded parent such as a
Streamlit server), with PYTHONHASHSEED fixed. The zygote imports the sandbox
runtime and every allow-listed module once, moves into a fresh network
namespace when the kernel allows it, freezes its heap for the garbage
collector, and then forks workers on request: forking this warm, small
process costs a few milliseconds, so recycling workers is cheap.

Each worker then locks itself down before running anything: parent-death
signal, stdio to /dev/null, fds closed, RLIMIT_CORE/FSIZE = 0, RLIMIT_AS,
RLIMIT_NOFILE small, privileges dropped to nobody when root, RLIMIT_NPROC = 0
(no fork, no threads), and per test RLIMIT_CPU as a backstop for C loops.

Control protocol (pool <-> zygote, SOCK_SEQPACKET): b"S" -> the zygote forks
a worker and answers its pid with one end of a fresh socketpair (SCM_RIGHTS);
b"R"+pid -> the zygote reaps that worker and answers its wait status;
b"K"+pid -> the zygote kills that worker and reaps it later (no answer);
b"Q" or EOF -> the zygote kills its workers, reaps them and exits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import pickle
import re
import signal
import socket
import struct
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from . import wire

CTL_REQUEST = struct.Struct("!cq")
CTL_PID = struct.Struct("!q")
CTL_STATUS = struct.Struct("!qi")
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
NOBODY = 65534
WORKER_FD = 3
# a worker reports finished tests at least this often: each message wakes the
# pool (a cross-CPU wake-up costs tenths of a ms in a VM), so not too often
FLUSH_S = 0.1
FLUSH_BYTES = 8_000_000  # ... and before its pending texts grow past this
STOP_STATUSES = frozenset({"timeout", "memory", "violation", "crashed"})

_libc: Any = None


def _load_libc() -> Any:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        except OSError:
            _libc = False
    return _libc


def _try_unshare_network() -> bool:
    """Move the zygote (and so every worker) into an empty network namespace."""
    libc = _load_libc()
    if not libc:
        return False
    try:
        return libc.unshare(CLONE_NEWNET) == 0
    except (AttributeError, OSError):
        return False


CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18


def _try_read_only_mounts() -> bool:
    """Give the zygote (and so every worker) a private mount namespace in which
    every mount is read-only: even code that got past every other layer could
    not create a file. The host's mounts are untouched (propagation is cut first)."""
    libc = _load_libc()
    if not libc:
        return False
    try:
        libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
        if libc.unshare(CLONE_NEWNS) != 0:
            return False
        if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            return False
        with open("/proc/self/mountinfo", encoding="utf-8") as fh:
            points = {_unescape(line.split()[4]) for line in fh}
        ok = True
        for point in sorted(points, key=len):
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY
            ok &= libc.mount(None, point.encode(), None, flags, None) == 0
        return ok
    except (AttributeError, OSError, IndexError, ValueError):
        return False


def _unescape(field: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def zygote_main(cfg: dict[str, Any]) -> None:
    from . import runtime  # noqa: F401 - the warm-up: loaded once, shared by all workers

    ctl = socket.socket(fileno=cfg["ctl_fd"])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the pool decides when we stop
    _load_libc()
    netns = bool(cfg["limits"].get("network_namespace", True)) and _try_unshare_network()
    rofs = bool(cfg["limits"].get("read_only_filesystem", True)) and _try_read_only_mounts()
    children: set[int] = set()
    reap_later: set[int] = set()  # killed workers nobody waits for (b"K")
    gc.collect()
    gc.freeze()  # keep the warm heap shared copy-on-write in the workers
    ctl.send(b"ready:" + (b"netns" if netns else b"-") + b"," + (b"rofs" if rofs else b"-"))
    try:
        while True:
            try:
                data = ctl.recv(64)
            except InterruptedError:
                continue
            except OSError:
                break
            if not data or data[:1] == b"Q":
                break
            op, pid = CTL_REQUEST.unpack(data[: CTL_REQUEST.size])
            for dead in [p for p in reap_later if _reaped(p)]:
                reap_later.discard(dead)
                children.discard(dead)
            if op == b"K":
                if pid in children:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    reap_later.add(pid)
            elif op == b"S":
                parent_end, child_end = socket.socketpair()
                zygote_pid = os.getpid()
                try:
                    pid = os.fork()
                except OSError:  # EAGAIN/ENOMEM: answer "no worker", stay alive
                    parent_end.close()
                    child_end.close()
                    ctl.send(CTL_PID.pack(-1))
                    continue
                if pid == 0:  # worker
                    try:
                        ctl.close()
                        parent_end.close()
                        worker_main(child_end, cfg, zygote_pid)
                    finally:
                        os._exit(0)
                child_end.close()
                children.add(pid)
                socket.send_fds(ctl, [CTL_PID.pack(pid)], [parent_end.fileno()])
                parent_end.close()
            elif op == b"R":
                status = -1
                if pid in children:
                    reap_later.discard(pid)
                    try:
                        _, status = os.waitpid(pid, 0)
                    except ChildProcessError:
                        status = -1
                    children.discard(pid)
                ctl.send(CTL_STATUS.pack(pid, status))
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        os._exit(0)


def _reaped(pid: int) -> bool:
    """Reap a killed worker if it has exited (never blocks)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def _lock_down(cfg: dict[str, Any], zygote_pid: int) -> None:
    import resource

    limits = cfg["limits"]
    libc = _load_libc()
    if libc:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != zygote_pid:  # the zygote died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    if not cfg.get("debug"):
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    os.close(devnull)
    os.closerange(WORKER_FD + 1, 65536)
    os.chdir("/")
    os.umask(0o777)
    mem = int(limits["memory_mb"]) * 1024 * 1024

    def setlimit(which: int, soft: int, hard: int | None = None) -> None:
        try:
            resource.setrlimit(which, (soft, soft if hard is None else hard))
        except (ValueError, OSError):
            pass

    setlimit(resource.RLIMIT_CORE, 0)
    setlimit(resource.RLIMIT_FSIZE, 0)
    setlimit(resource.RLIMIT_AS, mem)
    setlimit(resource.RLIMIT_NOFILE, 16)
    _, stack_hard = resource.getrlimit(resource.RLIMIT_STACK)
    stack = min(64 * 1024 * 1024, mem // 4)
    if stack_hard == resource.RLIM_INFINITY or stack_hard >= stack:
        setlimit(resource.RLIMIT_STACK, stack, stack_hard)
    if limits.get("drop_privileges", True) and os.geteuid() == 0:
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        except OSError:
            pass
    # after dropping privileges: root ignores RLIMIT_NPROC
    setlimit(resource.RLIMIT_NPROC, 0)


def worker_main(sock: socket.socket, cfg: dict[str, Any], zygote_pid: int) -> None:
    from . import runtime

    fd = sock.detach()
    if fd != WORKER_FD:
        os.dup2(fd, WORKER_FD)
        os.close(fd)
    try:
        _lock_down(cfg, zygote_pid)
        conn = Connection(WORKER_FD)
        limits = cfg["limits"]
        runtime.init_worker_state(limits)
        runtime.STATE.recursion_base = runtime.measure_depth() + 10
        _serve(conn, limits)
    except BaseException:  # noqa: BLE001
        if cfg.get("debug"):
            traceback.print_exc()
    finally:
        os._exit(0)


def _new_batch() -> tuple[Any, ...]:
    """The results of a message, by column: test indices, statuses, outputs,
    values, arguments after the call, durations, and {index: other fields} for
    the few results that have more (errors, stdout ...). Columns rather than a
    tuple per test: half the objects to pickle, unpickle and track in the pool."""
    return ([], [], [], [], [], [], {})


def _add_result(batch: tuple[Any, ...], idx: int, out: dict[str, Any]) -> str:
    """Append one result (the fields run_test returned) to a batch; returns its
    status. The pickled value blob becomes plain data here, so one restricted
    unpickle of the whole message suffices in the pool (the blob holds only
    plain data)."""
    indices, statuses, outputs, values, args_after, durations, extras = batch
    if len(out) == 5 and "args_after" in out:
        # the common case, an ok call with plain data and no output streams:
        # status, output, value, args_after, duration_ms and nothing else
        status = out["status"]
        indices.append(idx)
        statuses.append(status)
        outputs.append(out["output"])
        values.append(out["value"])
        args_after.append(out["args_after"])
        durations.append(out["duration_ms"])
        out.clear()
        return status
    blob = out.pop("value_blob", None)
    if blob is not None:
        value, args, kwargs = pickle.loads(blob)
        out["value"], out["args_after"] = value, (args, kwargs)
    status = out.pop("status")
    indices.append(idx)
    statuses.append(status)
    outputs.append(out.pop("output", ""))
    values.append(out.pop("value", None))
    args_after.append(out.pop("args_after", None))
    durations.append(out.pop("duration_ms", 0.0))
    if out:
        extras[idx] = out
    return status


def _send(conn: Connection, message: tuple[Any, ...]) -> None:
    from . import runtime

    try:
        data = wire.dumps(message)
    except Exception:  # noqa: BLE001 - pickle raises many kinds (AttributeError for local objects ...)
        # a value that cannot travel: keep statuses and texts, drop the values
        kind, job_id, batch, *rest = message
        indices, statuses, outputs, values, args_after, durations, extras = batch
        stripped_extras = {}
        for idx, output in zip(indices, outputs, strict=True):
            extra = dict(extras.get(idx) or {})
            extra["comparable"] = False
            extra.setdefault("output_digest", runtime.repr_digest(output))
            stripped_extras[idx] = extra
        nothing = [None] * len(indices)
        stripped = (indices, statuses, outputs, nothing, nothing, durations, stripped_extras)
        data = wire.dumps((kind, job_id, stripped, *rest))
    conn.send_bytes(data)


def _serve(conn: Connection, limits: dict[str, Any]) -> None:
    import resource

    from . import runtime

    timeout = float(limits["timeout_s"])
    max_tasks = int(limits["max_tasks_per_worker"])
    rss_cap_kb = int(limits["memory_mb"]) * 1024 * 6 // 10
    tasks_run = 0
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        job = pickle.loads(data)  # from the pool: trusted
        if job[0] == "probe":
            _send(conn, ("p", job[1], [], _probe()))
            continue
        job_id, units, single = job
        pending = _new_batch()
        outputs = pending[2]
        size = 0  # rough size of the texts waiting in `pending`
        last_flush = time.monotonic()
        stop = False
        for code, entry, mode, items, coverage in units:
            compiled, failed = runtime.compile_for_job(code, timeout)
            if compiled is None:
                for idx, _ in items:
                    _add_result(pending, idx, dict(failed))
                if failed.get("status") in STOP_STATUSES:
                    stop = True
                    break
                continue
            safe_builtins = dict(runtime.SAFE_BUILTINS)  # one copy per unit
            run = runtime.run_test_traced if coverage else runtime.run_test
            for idx, text in items:
                out = run(compiled, entry, mode, text, limits, safe_builtins)
                status = _add_result(pending, idx, out)
                size += len(outputs[-1])
                if out:  # what _add_result left: the other fields
                    size += len(out.get("stdout", "")) + len(out.get("stderr", ""))
                tasks_run += 1
                if status in STOP_STATUSES:
                    stop = True  # the worker's state is suspect: report and go
                    break
                now = time.monotonic()
                if single or now - last_flush > FLUSH_S or size > FLUSH_BYTES:
                    _send(conn, ("r", job_id, pending))
                    pending = _new_batch()
                    outputs = pending[2]
                    last_flush = now
                    size = 0
            if stop:
                break
        runtime.stop_timer()
        clean = stop or runtime.cleanup_after_job(timeout)
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        recycle = stop or not clean or tasks_run >= max_tasks or rss_kb > rss_cap_kb
        _send(conn, ("d", job_id, pending, recycle))
        if recycle:
            return


def _probe() -> dict[str, Any]:
    """What a worker looks like from inside (used by the tests)."""
    import resource

    names = (
        "RLIMIT_AS",
        "RLIMIT_CPU",
        "RLIMIT_FSIZE",
        "RLIMIT_NOFILE",
        "RLIMIT_NPROC",
        "RLIMIT_CORE",
    )
    info: dict[str, Any] = {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "pid": os.getpid(),
        "cwd": os.getcwd(),
        "rlimits": {n: list(resource.getrlimit(getattr(resource, n))) for n in names},
        "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "hash_abc": hash("abc"),
    }
    try:
        info["netns"] = os.readlink("/proc/self/ns/net")
    except OSError:
        info["netns"] = None
    try:  # can this worker create a file in a world-writable place?
        fd = os.open(f"/tmp/.semi_sandbox_probe_{os.getpid()}", os.O_CREAT | os.O_EXCL, 0)
        os.close(fd)
        os.unlink(f"/tmp/.semi_sandbox_probe_{os.getpid()}")
        info["tmp_writable"] = True
    except OSError:
        info["tmp_writable"] = False
    return info


BOOT = (
    "import json, sys, types\n"
    "cfg = json.loads(sys.argv[1])\n"
    "sys.path.insert(0, cfg['root'])\n"
    # a stub parent package: the zygote must not run semi_core/__init__.py,
    # which may grow imports the sandbox does not need
    "pkg = types.ModuleType('semi_core'); pkg.__path__ = [cfg['pkg']]\n"
    "sys.modules['semi_core'] = pkg\n"
    "from semi_core.sandbox.worker import zygote_main\n"
    "zygote_main(cfg)\n"
)


def zygote_command(cfg: dict[str, Any]) -> list[str]:
    import json

    return [sys.executable, "-B", "-c", BOOT, json.dumps(cfg)]
