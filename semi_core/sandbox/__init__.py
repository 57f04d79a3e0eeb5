"""Execution sandbox: run untrusted code on test inputs and compare what happened.

    from semi_core.sandbox import SandboxPool, Limits, Task, Outcome, compare_outcomes

    with SandboxPool(Limits(timeout_s=2.0, memory_mb=512, workers=2)) as pool:
        outcomes = pool.run_many([
            Task(code=src, entry_point="f", args="1, [2, 3], key='x'"),    # function mode
            Task(code=src, mode="program", stdin="3\\n1 2 3\\n"),          # program mode
        ])
        equal, why = compare_outcomes(outcomes[0], other_outcome)

Layers, outermost first:

* **Processes** (pool.py, worker.py). The parent never runs task code. A small
  *zygote* (a fresh interpreter with PYTHONHASHSEED=0 and the runtime preloaded)
  forks long-lived workers. Each worker: parent-death signal, stdio on /dev/null,
  only its socket open, uid/gid nobody when started as root, RLIMIT_AS, RLIMIT_CORE=0,
  RLIMIT_FSIZE=0, RLIMIT_NOFILE=16, RLIMIT_NPROC=0 (no fork, no threads),
  RLIMIT_CPU per test (SIGXCPU's default action is the backstop for C loops), an
  empty network namespace and a private mount namespace with every mount
  read-only, when the kernel allows `unshare` (silently skipped otherwise).
  Workers are recycled after `max_tasks_per_worker` tests and after any
  timeout, memory error or violation. The pool SIGKILLs a worker that stays silent
  past timeout + grace, reruns the tests it had not reported one at a time on a
  fresh worker (so the culprit is identified exactly), and reports `crashed` for a
  worker that dies (SIGKILL, SIGSEGV, exit). Results come back through a
  restricted unpickler (plain data only).
* **Policy** (policy.py): RestrictedPython 9's transformer, subclassed. Ordinary
  constructs it refuses are allowed *through the guards* (`dp[i] += 1`,
  `self.n += 1`, `_private` names, `__repr__` & co., annotations, dataclasses,
  `nonlocal`, `match`, `metaclass=`); frames, code objects, `__globals__`,
  `__subclasses__`, `except*`, async ... are refused with the line and a reason.
* **Runtime** (allowlist.py: everything sandboxed code can reach, in one file;
  guards.py, streams.py, encoding.py; runtime.py runs a test): allow-listed builtins
  (sorted, zip, sum, min, max ...),
  `getattr`/`setattr` and `str.format` through the attribute guard, `eval`/`exec`
  of text compiled with the same policy, modules as read-only proxies exposing
  allow-listed attributes (`typing.sys`, `random._os` and friends are gone), `sys`
  reduced, `os` a husk so `import os` works and `os.system` is a violation.
  A refused operation at run time is a `violation`: it is recorded, so swallowing
  the exception does not change the outcome.

Statuses: ok, error (type, message, line), timeout, memory, rejected (policy, with
reason), violation, crashed (worker died), invalid (the task itself is malformed,
e.g. an argument text that is not a literal). The pool never raises for a task.

Each test runs in a fresh module namespace with random seeded to 0, a fresh
decimal context, the default recursion limit, and its own captured, capped
stdout/stderr. Values come back comparison-ready: plain data as is, library and
user objects as `Obj(type_name, data)`, anything else by a digest of its repr
(see compare.py for the equality rules).

Known limits: the guards are Python-level, the process layers are the safety
net; without root there is no privilege drop and no namespaces (the policy still
blocks sockets and files, RLIMIT_FSIZE/NPROC still apply). File *reads* are
stopped by the policy only (the worker's user may read world-readable files). A swallowed
MemoryError followed by a normal return is `ok`. Deep recursion after
`sys.setrecursionlimit` (capped at 200,000) can crash a worker: `crashed`.
"""

from .args import ArgumentError, parse_call_args
from .compare import compare_outcomes, compare_values
from .outcome import MODES, STATUSES, Limits, Obj, Outcome, Task
from .pool import SandboxPool, SandboxStartError

__all__ = [
    "MODES",
    "STATUSES",
    "ArgumentError",
    "Limits",
    "Obj",
    "Outcome",
    "SandboxPool",
    "SandboxStartError",
    "Task",
    "compare_outcomes",
    "compare_values",
    "parse_call_args",
]
