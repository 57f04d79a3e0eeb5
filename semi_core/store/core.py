"""The store's connection: opening a file (with one sentence when another process holds
it), cursors per thread, transactions, DuckDB's memory limit during long work, and the
stamp of the last change that the studio caches its aggregates under."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from semi_core.store import schema, views

DEFAULT_DB = "semi.duckdb"


def default_db_path() -> str:
    """The database file the CLI and the studio use when none is named."""
    return os.environ.get("SEMI_DB") or DEFAULT_DB


def placeholders(values: Sequence[Any]) -> str:
    """`(?, ?, ...)`, one per value: the IN list of the lookups a long run repeats, as
    DuckDB keeps memory from each `IN (SELECT unnest(?))` it runs and none from this."""
    return f"({', '.join('?' * len(values))})"


def content_id(*parts: str) -> str:
    """A stable id: the first 16 hex digits of the SHA-256 of the parts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


class StoreError(Exception):
    """A store problem with a message meant for people."""


class DatabaseLockedError(StoreError):
    """Another process holds the DuckDB file open for writing."""


_LOCK_PID = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")


def _describe_process(pid: int) -> str:
    """The command line of a process, when the OS tells us; else just its PID."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"PID {pid}"
    command = " ".join(raw.decode(errors="replace").replace("\x00", " ").split())
    if len(command) > 80:
        command = command[:77] + "..."
    return f"PID {pid} ({command})" if command else f"PID {pid}"


def lock_message(path: str, error: Exception) -> str:
    """Turn DuckDB's lock error into one sentence: which file, which process, what to do."""
    match = _LOCK_PID.search(str(error))
    holder = _describe_process(int(match["pid"])) if match else "another process"
    return (
        f"The database {path} is in use by {holder}; stop that process (a running studio "
        f"or semi command) or choose another file with --db or SEMI_DB."
    )


# The stamp of the last change to each database file made by this process (a write
# through any of its Stores, or the file's opening): `Store.data_version`. While a process
# holds a file, DuckDB lets no other process write to it, so no change goes unstamped
# while a Store of this process has it open.
_STAMPS = itertools.count(time.monotonic_ns())  # above any of an earlier import's
_CHANGED: dict[str, int] = {}


class StoreBase:
    """One DuckDB database file, migrated to the current schema on open: the connection
    that the store's query classes (one per domain) share."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False):
        self.path = str(path or default_db_path())
        try:
            self._db = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as error:
            if "lock" in str(error).lower():
                raise DatabaseLockedError(lock_message(self.path, error)) from None
            raise StoreError(f"Cannot open the database {self.path}: {error}") from None
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._memory_limit_before: str | None = None  # while lowered for long work
        try:
            if problem := schema.unsupported_schema(self._db, self.path):
                raise StoreError(problem)
            if not read_only:
                schema.migrate(self._db)
                views.install(self._db)
        except BaseException:
            self._db.close()
            raise
        # Another process may have changed the file while no Store here had it open.
        in_memory = self.path == ":memory:"  # each such Store is a database of its own
        self._file = f":memory:{id(self)}" if in_memory else os.path.realpath(self.path)
        self._stamp_change()

    def _stamp_change(self) -> None:
        _CHANGED[self._file] = next(_STAMPS)  # atomic under the GIL

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections must not be shared across threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._db.cursor()
            self._local.cursor = cur
        return cur

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self.cursor()
        with self._write_lock:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute("COMMIT")
                self._stamp_change()
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.cursor().execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def migrations(self) -> list[str]:
        return schema.applied_migrations(self.cursor())

    def data_version(self) -> tuple[str, int]:
        """What the studio caches its aggregates under: the stamp of the last change to
        this database file in this process (a committed write through any Store on it, or
        a Store opening it). It changes with every write, so aggregates cached under it
        are never stale, and it costs no query."""
        return self._file, _CHANGED[self._file]

    # -- DuckDB's memory during long work -----------------------------------------------

    # DuckDB caches every block it reads or writes up to its memory limit (80% of the
    # machine by default), so over a long ingest or validation the stored rows pile up in
    # memory. The limit is lowered during such work to evict them (they are on disk), with
    # room for twice what DuckDB cannot evict (indexes, the batch in flight): a limit
    # below that fails DuckDB outright.
    WORK_CACHE_MB = 64

    def _lower_memory_limit(self, cur: duckdb.DuckDBPyConnection, limit_mb: int) -> None:
        """Set DuckDB's memory limit for a long piece of work; the first call remembers
        the limit `restore_memory_limit` puts back."""
        if self._memory_limit_before is None:
            self._memory_limit_before = cur.execute(
                "SELECT current_setting('memory_limit')"
            ).fetchall()[0][0]
        cur.execute(f"SET memory_limit = '{int(limit_mb)}MB'")

    def restore_memory_limit(self) -> None:
        if self._memory_limit_before is not None:
            self.cursor().execute("SET memory_limit = ?", [self._memory_limit_before])
            self._memory_limit_before = None

    def bound_work_memory(self) -> None:
        """Keep DuckDB's cache of table blocks near `WORK_CACHE_MB` during an ingest or a
        validation run, beside twice what it holds that cannot be evicted. Called once a
        batch, as that may grow; `restore_memory_limit` ends it."""
        cur = self.cursor()
        (held,) = cur.execute(
            "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
            "WHERE tag <> 'BASE_TABLE'"
        ).fetchall()[0]
        self._lower_memory_limit(cur, self.WORK_CACHE_MB + 2 * int(held) // 10**6)

    def engine_memory_mb(self) -> dict[str, float]:
        """What DuckDB holds in memory now, by kind (its cache of table blocks, the
        indexes of stored rows, ...), in MB: for benchmarks that report memory."""
        sql = "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
        rows = self.cursor().execute(sql).fetchall()
        return {tag.lower(): round(used / 1e6, 1) for tag, used in rows}
