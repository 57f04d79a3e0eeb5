"""Plain data types shared by the pool (parent side) and the workers.

Nothing here imports RestrictedPython or touches processes, so the parent can
use these types without loading the sandbox runtime.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Every status an Outcome can carry. "invalid" is ours on top of the list:
# the *task* was malformed (unparsable argument literal, unknown mode), which is
# not the code's fault and must not be confused with an error raised by the code.
STATUSES = ("ok", "error", "timeout", "memory", "rejected", "violation", "crashed", "invalid")
MODES = ("function", "program")


@dataclass(frozen=True)
class Limits:
    """Resource limits and pool sizing. Defaults suit validation of small programs."""

    timeout_s: float = 2.0  # wall clock per test (compilation has its own equal allowance)
    memory_mb: int = 512  # RLIMIT_AS of each worker
    workers: int = 2
    # recycle a worker after this many tests. A recycle (fork, copy-on-write
    # faults, exit) costs several ms of CPU; every 2,000 tests keeps that to a few
    # µs per test. Memory growth has its own cap (the worker's RSS), checked per job.
    max_tasks_per_worker: int = 2000
    max_output_bytes: int = 1_000_000  # stdout (and separately stderr) per test
    max_repr_chars: int = 10_000  # `output` of function mode is cut here (a digest keeps it exact)
    max_value_bytes: int = 8_000_000  # larger return values are compared through a repr digest
    max_batch: int = 512  # tests sent to a worker in one message (fewer round trips)
    max_recursion: int = 200_000  # cap for sys.setrecursionlimit inside the sandbox
    kill_grace_s: float = 0.5  # extra wall time before the pool SIGKILLs a silent worker
    network_namespace: bool = True  # try unshare(CLONE_NEWNET) in the zygote
    read_only_filesystem: bool = True  # try a private mount namespace with read-only mounts
    drop_privileges: bool = True  # when running as root, workers become nobody:nogroup

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb < 64 or self.workers < 1:
            raise ValueError("timeout_s must be > 0, memory_mb >= 64 and workers >= 1")
        if self.max_tasks_per_worker < 1 or self.max_batch < 1:
            raise ValueError("max_tasks_per_worker and max_batch must be >= 1")


@dataclass(frozen=True, init=False)
class Task:
    """One execution: `function` mode calls `entry_point(<args>)`, `program` mode feeds stdin."""

    code: str
    entry_point: str | None = None
    mode: str = "function"
    args: str = ""  # the text inside a call's parentheses: "1, [2, 3], key='x'"
    stdin: str = ""
    # Record the arcs (line to line) the code runs (`Outcome.arcs`). Off by default:
    # tracing slows the code down several times.
    coverage: bool = False

    def __init__(
        self,
        code: str,
        entry_point: str | None = None,
        mode: str = "function",
        args: str = "",
        stdin: str = "",
        coverage: bool = False,
    ) -> None:
        # Callers make one Task per test (tens of thousands per batch): filling
        # the instance dict at once is ~3x cheaper than the frozen dataclass's
        # generated __init__ (one object.__setattr__ per field). Still frozen.
        self.__dict__.update(
            code=code, entry_point=entry_point, mode=mode, args=args, stdin=stdin, coverage=coverage
        )


class Obj:
    """Comparison-ready stand-in for a value that is not plain data.

    `type_name` is the class name; `data` is plain data describing the value
    (fields of a dataclass or instance, items of a deque, str of a Decimal ...),
    or None when the value has no faithful plain form.
    """

    __slots__ = ("type_name", "data")

    def __init__(self, type_name: str, data: Any = None) -> None:
        self.type_name = type_name
        self.data = data

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt through the restricted unpickler's allow-list (see wire.py).
        return (Obj, (self.type_name, self.data))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Obj) and other.type_name == self.type_name and other.data == self.data
        )

    def __hash__(self) -> int:
        try:
            return hash((self.type_name, self.data))
        except TypeError:
            return hash(self.type_name)

    def __repr__(self) -> str:
        return f"Obj({self.type_name!r}, {self.data!r})"


@dataclass
class Outcome:
    """What happened when one task ran. Never raised, always returned."""

    status: str
    output: str = ""  # repr of the return value (function) or stdout (program)
    value: Any = None  # comparison-ready return value (plain data or Obj); see `comparable`
    args_after: Any = None  # comparison-ready (args, kwargs) after the call
    error: str = ""  # human readable: "ValueError: bad input (line 3)"
    error_type: str | None = None
    stdout: str = ""
    stderr: str = ""
    duration_ms: float = 0.0
    line: int | None = None  # line of the sandboxed code where the error happened
    comparable: bool = True  # False: `value` is not faithful, compare `output_digest` instead
    output_digest: str = ""  # sha256 of the full repr, set when `comparable` is False
    mode: str = "function"
    # With `Task.coverage`: the (from line, to line) steps the code under test took, in
    # each of its frames; a frame's exit is a step to line -1. None otherwise.
    arcs: Any = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json_dict(self) -> dict[str, Any]:
        """The fields of one CLI JSON line (the caller adds `id` and `index`)."""
        return {
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "stdout": self.stdout,
            "duration_ms": round(self.duration_ms, 3),
        }

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Outcome:
        try:
            return cls(**fields)
        except TypeError:  # unknown keys: keep the known ones
            return cls(**{k: v for k, v in fields.items() if k in _OUTCOME_FIELDS})


_OUTCOME_FIELDS = frozenset(f.name for f in dataclasses.fields(Outcome))


@dataclass
class _Unit:
    """Internal: tests of one code string (compiled once in the worker)."""

    code: str
    entry_point: str | None
    mode: str
    items: list[tuple[int, str]]  # (index into run_many's list, args text or stdin)
    coverage: bool = False


@dataclass
class _Chunk:
    """Internal: what one worker gets in one message (one or more units)."""

    units: list[_Unit]
    single: bool = False  # report after every test (used after a worker died mid-batch)
    attempts: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def indices(self) -> list[int]:
        return [idx for u in self.units for idx, _ in u.items]

    def without(self, done: set[int]) -> list[_Unit]:
        units = []
        for u in self.units:
            items = [it for it in u.items if it[0] not in done]
            if items:
                units.append(_Unit(u.code, u.entry_point, u.mode, items, u.coverage))
        return units
