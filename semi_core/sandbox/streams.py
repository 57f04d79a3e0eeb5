"""The stdio a test sees: capped output sinks and a read-only stdin."""

from __future__ import annotations

import io
from typing import Any

from .guards import STATE, OutputLimitExceeded


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
