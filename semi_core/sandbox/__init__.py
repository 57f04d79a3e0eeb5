"""Execution sandbox: run untrusted code on test inputs and compare what happened.

    from semi_core.sandbox import SandboxPool, Limits, Task, Outcome, compare_outcomes

    with SandboxPool(Limits(timeout_s=2.0, workers=2)) as pool:
        outcomes = pool.run_many([Task(code=src, entry_point="f", args="1, [2, 3]")])

The parent never executes task code: see pool.py (processes), worker.py
(zygote and lock-down), policy.py (compile-time policy) and runtime.py
(guards and module proxies). Importing this package is cheap and loads
neither RestrictedPython nor the runtime.
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
