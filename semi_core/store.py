"""The DuckDB store: schema, ordered migrations, and every SQL statement of the project.

One `Store` wraps one DuckDB file. DuckDB allows a single read-write process per file,
so opening a file that another process holds raises `DatabaseLockedError` with one
sentence a person can act on, instead of DuckDB's lock traceback.

Threads share the connection through `Store.cursor()`, each with its own cursor, as
DuckDB's Python API requires.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

import duckdb
import pyarrow as pa

DEFAULT_DB = "semi.duckdb"


def default_db_path() -> str:
    """The database file the CLI and the studio use when none is named."""
    return os.environ.get("SEMI_DB") or DEFAULT_DB


def _placeholders(values: Sequence[Any]) -> str:
    """`(?, ?, ...)`, one per value: an IN list for the queries a long run repeats. DuckDB
    keeps memory from each `IN (SELECT unnest(?::VARCHAR[]))` it runs, about a kilobyte a
    query (measured: 40,000 lookups of 4 ids grew the process by 50 MB), and none from
    an IN list of parameters."""
    return f"({', '.join('?' * len(values))})"


def content_id(*parts: str) -> str:
    """A stable id: the first 16 hex digits of the SHA-256 of the parts."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


class QueueFilters(TypedDict, total=False):
    """The review queue's filters, each optional: the current verdict's `statuses`, a
    `difficulty` range, the snippet's `source`, a test-input `origin`, a `failure` (a
    test-run status of the current validation — wrong, error, timeout, ... — or the
    verdict status itself), a text `search` (or a pair id or its prefix),
    `include_decided` (pairs the annotator has already accepted or rejected), and
    `constant_outputs` (only pairs whose usable tests all expect one and the same result:
    the verdict's signal of weak tests)."""

    statuses: Sequence[str] | None
    difficulty: tuple[float, float] | None
    source: str | None
    origin: str | None
    failure: str | None
    search: str | None
    include_decided: bool
    constant_outputs: bool


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


# ---------------------------------------------------------------------------------------
# Migrations: an ordered list of small named functions. Each runs once per database, in a
# transaction, and is recorded in `_migrations`; a database made by an older version
# upgrades in place by running the ones it has not seen.
# ---------------------------------------------------------------------------------------

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_create_snippets(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE snippets (
            id VARCHAR PRIMARY KEY,          -- hash of the code, comments and spacing removed
            source VARCHAR NOT NULL,         -- what was ingested: a folder, file or dataset
            path VARCHAR NOT NULL,           -- the file the code came from
            line INTEGER,                    -- first line (files) or row number (datasets)
            name VARCHAR,                    -- function name, or the file stem of a program
            kind VARCHAR NOT NULL,           -- 'function' | 'program'
            entry_point VARCHAR,             -- function to call; NULL for programs
            language VARCHAR NOT NULL DEFAULT 'python',
            code VARCHAR NOT NULL,
            flags VARCHAR[] NOT NULL DEFAULT [],
            rejection VARCHAR,               -- NULL when usable, else the reason
            rejection_detail VARCHAR,
            metadata JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m002_create_generations(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE generations (
            id VARCHAR PRIMARY KEY,          -- hash of snippet, backend, model and prompt
            snippet_id VARCHAR NOT NULL,
            backend VARCHAR NOT NULL,
            model VARCHAR,
            prompt_hash VARCHAR,
            instruction VARCHAR,
            code VARCHAR,
            entry_point VARCHAR,
            raw_response VARCHAR,
            usage JSON,
            status VARCHAR NOT NULL,         -- 'ok' | 'failed'
            error VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m003_create_test_cases(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE test_cases (
            id VARCHAR PRIMARY KEY,          -- hash of generation and input
            generation_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            input VARCHAR NOT NULL,          -- argument list text, or stdin
            origin VARCHAR NOT NULL,         -- llm | mutation | typed | doctest | literal
            expected VARCHAR,                -- the oracle's output (repr) or exception type
            oracle_status VARCHAR            -- ok | raises | flaky | unusable; NULL until run
        )
        """
    )


@migration
def m004_create_runs(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE runs (
            id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,           -- ingest | generate | validate | rank | pipeline
            params JSON,
            state VARCHAR NOT NULL,          -- running | done | failed | cancelled
            counts JSON,
            progress JSON,
            pid INTEGER,
            started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            ended_at TIMESTAMP
        )
        """
    )


@migration
def m005_create_test_runs_and_verdicts(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE test_runs (
            id VARCHAR PRIMARY KEY,
            run_id VARCHAR NOT NULL,         -- the validation run
            test_case_id VARCHAR NOT NULL,
            side VARCHAR NOT NULL,           -- original | generated
            attempt INTEGER NOT NULL DEFAULT 1,
            status VARCHAR NOT NULL,         -- ok | wrong | error | timeout | memory | ...
            output VARCHAR,
            error VARCHAR,
            stdout VARCHAR,
            duration_ms DOUBLE
        )
        """
    )
    db.execute(
        """
        CREATE TABLE verdicts (
            id VARCHAR PRIMARY KEY,
            generation_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            passed INTEGER NOT NULL,
            usable INTEGER NOT NULL,
            total INTEGER NOT NULL,
            status VARCHAR NOT NULL,
            test_strength DOUBLE,
            signals JSON,
            difficulty DOUBLE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m006_create_review_events(db: duckdb.DuckDBPyConnection) -> None:
    # Append-only: the current decision on a pair is derived from this log.
    db.execute("CREATE SEQUENCE review_event_seq")
    db.execute(
        """
        CREATE TABLE review_events (
            id BIGINT PRIMARY KEY DEFAULT nextval('review_event_seq'),
            generation_id VARCHAR NOT NULL,
            annotator VARCHAR NOT NULL,
            action VARCHAR NOT NULL,         -- accept | reject | skip | undo | edit | note
            note VARCHAR,
            payload JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m007_create_llm_cache(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        """
        CREATE TABLE llm_cache (
            key VARCHAR PRIMARY KEY,         -- hash of model, prompt and parameters
            model VARCHAR,
            request JSON,
            response VARCHAR,
            usage JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m008_index_lookups(db: duckdb.DuckDBPyConnection) -> None:
    db.execute("CREATE INDEX generations_snippet ON generations(snippet_id)")
    db.execute("CREATE INDEX test_cases_generation ON test_cases(generation_id)")
    db.execute("CREATE INDEX verdicts_generation ON verdicts(generation_id)")
    db.execute("CREATE INDEX review_events_generation ON review_events(generation_id)")


@migration
def m009_index_test_runs_by_case(db: duckdb.DuckDBPyConnection) -> None:
    # The review screen reads one pair's test runs; without it that scans every test run.
    db.execute("CREATE INDEX test_runs_case ON test_runs(test_case_id)")


@migration
def m010_create_settings(db: duckdb.DuckDBPyConnection) -> None:
    # Studio settings (prompt template version, endpoint, limits) kept with the data.
    db.execute(
        """
        CREATE TABLE settings (
            key VARCHAR PRIMARY KEY,
            value JSON,
            updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )


@migration
def m011_test_runs_without_primary_key(db: duckdb.DuckDBPyConnection) -> None:
    # DuckDB holds an index in memory as rows are added: the primary key on test_runs,
    # about twenty rows a pair, cost some 45 bytes a row (64 MB at 1.4M rows) and was
    # never looked up. Ids stay unique by construction (a hash of run, test case, side
    # and attempt; `record_validations` drops a run's earlier record of a pair first).
    # DuckDB cannot drop a constraint: the table is rebuilt, its rows and index kept.
    db.execute(
        """
        CREATE TABLE test_runs_new (
            id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,         -- the validation run
            test_case_id VARCHAR NOT NULL,
            side VARCHAR NOT NULL,           -- original | generated
            attempt INTEGER NOT NULL DEFAULT 1,
            status VARCHAR NOT NULL,         -- ok | wrong | error | timeout | memory | ...
            output VARCHAR,
            error VARCHAR,
            stdout VARCHAR,
            duration_ms DOUBLE
        )
        """
    )
    db.execute("INSERT INTO test_runs_new SELECT * FROM test_runs")
    db.execute("DROP TABLE test_runs")
    db.execute("ALTER TABLE test_runs_new RENAME TO test_runs")
    db.execute("CREATE INDEX test_runs_case ON test_runs(test_case_id)")


@migration
def m012_test_runs_found_by_sequence_range(db: duckdb.DuckDBPyConnection) -> None:
    # The index on test_runs(test_case_id) grew in memory with every row a validation
    # stored (DuckDB cannot evict an index), so a long validation's memory grew with the
    # store. Instead each test run gets a number from a sequence, a pair's test runs are
    # numbered together, and its verdict records the first and last number: DuckDB's
    # per-block minimum and maximum (zone maps) then find them without any index. Two
    # writers reserving numbers at once can interleave them: a range narrows the search,
    # the pair's test cases decide.
    db.execute("DROP INDEX test_runs_case")
    (existing,) = db.execute("SELECT count(*) FROM test_runs").fetchone()
    db.execute(f"CREATE SEQUENCE test_run_seq START WITH {int(existing) + 1}")
    db.execute(
        """
        CREATE TABLE test_runs_new (
            id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,         -- the validation run
            test_case_id VARCHAR NOT NULL,
            side VARCHAR NOT NULL,           -- original | generated
            attempt INTEGER NOT NULL DEFAULT 1,
            status VARCHAR NOT NULL,         -- ok | wrong | error | timeout | memory | ...
            output VARCHAR,
            error VARCHAR,
            stdout VARCHAR,
            duration_ms DOUBLE,
            seq BIGINT NOT NULL DEFAULT nextval('test_run_seq')  -- a pair's runs: a range
        )
        """
    )
    # Stored rows are numbered pair by pair, validation run by validation run, and written
    # in that order: a block's minimum and maximum are then close together.
    db.execute(
        "INSERT INTO test_runs_new SELECT t.*, row_number() OVER (ORDER BY c.generation_id, "
        "t.run_id, c.position, t.test_case_id, t.side, t.attempt, t.id) AS seq FROM "
        "test_runs t LEFT JOIN test_cases c ON c.id = t.test_case_id ORDER BY seq"
    )
    db.execute("DROP TABLE test_runs")
    db.execute("ALTER TABLE test_runs_new RENAME TO test_runs")
    db.execute("ALTER TABLE verdicts ADD COLUMN first_test_run BIGINT")
    db.execute("ALTER TABLE verdicts ADD COLUMN last_test_run BIGINT")
    _link_verdicts_to_test_runs(db)


@migration
def m013_test_cases_found_by_sequence_range(db: duckdb.DuckDBPyConnection) -> None:
    # A validation batch read its test cases by generation id and wrote the oracle's
    # answers by test case id: DuckDB scanned the whole table for both (about 60 ms a
    # batch each at 470,000 test cases, growing with the store) and loaded the indexes it
    # touched into memory for good. As test runs got in m012, test cases get a number from
    # a sequence, a generation's numbered together, and the generation records the first
    # and last: zone maps find them without an index, and the answers are written by number.
    (existing,) = db.execute("SELECT count(*) FROM test_cases").fetchone()
    db.execute(f"CREATE SEQUENCE test_case_seq START WITH {int(existing) + 1}")
    db.execute("DROP INDEX test_cases_generation")
    db.execute(
        """
        CREATE TABLE test_cases_new (
            id VARCHAR PRIMARY KEY,          -- hash of generation and input
            generation_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            input VARCHAR NOT NULL,          -- argument list text, or stdin
            origin VARCHAR NOT NULL,         -- llm | mutation | typed | doctest | literal
            expected VARCHAR,                -- the oracle's output (repr) or exception type
            oracle_status VARCHAR,           -- ok | raises | flaky | unusable; NULL until run
            seq BIGINT NOT NULL DEFAULT nextval('test_case_seq')  -- a generation's: a range
        )
        """
    )
    # Numbered in the order a validation run reads generations (oldest first).
    db.execute(
        "INSERT INTO test_cases_new SELECT c.*, row_number() OVER (ORDER BY g.created_at, "
        "c.generation_id, c.position, c.id) AS seq FROM test_cases c "
        "LEFT JOIN generations g ON g.id = c.generation_id ORDER BY seq"
    )
    db.execute("DROP TABLE test_cases")
    db.execute("ALTER TABLE test_cases_new RENAME TO test_cases")
    db.execute("CREATE INDEX test_cases_generation ON test_cases(generation_id)")
    db.execute("ALTER TABLE generations ADD COLUMN first_test_case BIGINT")
    db.execute("ALTER TABLE generations ADD COLUMN last_test_case BIGINT")
    _link_generations_to_test_cases(db)


@migration
def m014_snippets_without_primary_key(db: duckdb.DuckDBPyConnection) -> None:
    # DuckDB holds an index in memory whole once touched, and an ingest touches the
    # primary key on snippets at random (ids are hashes): about 160 bytes a snippet, so
    # an ingest's memory grew with the corpus (160 MB at a million). Ids stay unique by
    # construction: `Store.add_snippets` stores only ids the table does not hold, found
    # by a scan of the id column (milliseconds a batch, in bounded memory).
    db.execute(
        """
        CREATE TABLE snippets_new (
            id VARCHAR NOT NULL,             -- hash of the code, comments and spacing removed
            source VARCHAR NOT NULL,         -- what was ingested: a folder, file or dataset
            path VARCHAR NOT NULL,           -- the file the code came from
            line INTEGER,                    -- first line (files) or row number (datasets)
            name VARCHAR,                    -- function name, or the file stem of a program
            kind VARCHAR NOT NULL,           -- 'function' | 'program'
            entry_point VARCHAR,             -- function to call; NULL for programs
            language VARCHAR NOT NULL DEFAULT 'python',
            code VARCHAR NOT NULL,
            flags VARCHAR[] NOT NULL DEFAULT [],
            rejection VARCHAR,               -- NULL when usable, else the reason
            rejection_detail VARCHAR,
            metadata JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("INSERT INTO snippets_new SELECT * FROM snippets")
    db.execute("DROP TABLE snippets")
    db.execute("ALTER TABLE snippets_new RENAME TO snippets")


@migration
def m015_verdicts_without_indexes(db: duckdb.DuckDBPyConnection) -> None:
    # A validation added every verdict to two indexes (the primary key and the one by
    # generation), both keyed by hashes and held in memory: about 100 bytes a verdict,
    # so a validation's memory grew with the store. A pair's verdicts are few and read
    # one pair at a time, by a scan of the generation column (about 25 ms at a million
    # verdicts); ids stay unique by construction, as for test runs (m011).
    db.execute(
        """
        CREATE TABLE verdicts_new (
            id VARCHAR NOT NULL,             -- hash of generation and validation run
            generation_id VARCHAR NOT NULL,
            run_id VARCHAR NOT NULL,
            passed INTEGER NOT NULL,
            usable INTEGER NOT NULL,
            total INTEGER NOT NULL,
            status VARCHAR NOT NULL,
            test_strength DOUBLE,
            signals JSON,
            difficulty DOUBLE,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            first_test_run BIGINT,           -- the pair's test runs' numbers (m012)
            last_test_run BIGINT
        )
        """
    )
    db.execute("INSERT INTO verdicts_new SELECT * FROM verdicts")
    db.execute("DROP TABLE verdicts")  # and its index by generation
    db.execute("ALTER TABLE verdicts_new RENAME TO verdicts")


@migration
def m016_test_cases_without_indexes(db: duckdb.DuckDBPyConnection) -> None:
    # The generation stage added each of a pair's ten-odd test cases to two indexes (the
    # primary key and the one by generation), held in memory as they grew. Test cases
    # are found by their generation's range of numbers (m013) instead, and their ids
    # stay unique by construction (`Store.add_generation` stores a generation once).
    db.execute(
        """
        CREATE TABLE test_cases_new (
            id VARCHAR NOT NULL,             -- hash of generation and input
            generation_id VARCHAR NOT NULL,
            position INTEGER NOT NULL,
            input VARCHAR NOT NULL,          -- argument list text, or stdin
            origin VARCHAR NOT NULL,         -- llm | mutation | typed | doctest | literal
            expected VARCHAR,                -- the oracle's output (repr) or exception type
            oracle_status VARCHAR,           -- ok | raises | flaky | unusable; NULL until run
            seq BIGINT NOT NULL DEFAULT nextval('test_case_seq')  -- a generation's: a range
        )
        """
    )
    db.execute("INSERT INTO test_cases_new SELECT * FROM test_cases ORDER BY seq")
    db.execute("DROP TABLE test_cases")  # and its index by generation
    db.execute("ALTER TABLE test_cases_new RENAME TO test_cases")


@migration
def m017_generations_mistake(db: duckdb.DuckDBPyConnection) -> None:
    # The mistake a simulated backend put in a generation on purpose, as JSON (kind, line,
    # before, after, description, equivalent): the ground truth of the scoreboard. A
    # column, not the payload of another table, because every pair view reads it.
    db.execute("ALTER TABLE generations ADD COLUMN mistake JSON")


@migration
def m018_generation_attempts(db: duckdb.DuckDBPyConnection) -> None:
    # A pair whose rewrite failed its tests can go back to the model (a repair): each of
    # its answers is kept here, the first one copied in when the first repair is stored,
    # so a pair never repaired costs nothing. The generations row keeps the pair's
    # identity and its current content, that of its latest usable attempt.
    db.execute(
        """
        CREATE TABLE generation_attempts (
            generation_id VARCHAR NOT NULL,
            attempt INTEGER NOT NULL,        -- 1: the first answer; later ones saw failures
            prompt_hash VARCHAR,             -- of the template asked (generation or repair)
            instruction VARCHAR,
            code VARCHAR,
            entry_point VARCHAR,
            raw_response VARCHAR,
            usage JSON,
            status VARCHAR NOT NULL,         -- 'ok' | 'failed' (a failed answer changes nothing)
            error VARCHAR,
            verdict_id VARCHAR,              -- its first validation; NULL until validated
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("ALTER TABLE generations ADD COLUMN attempt INTEGER DEFAULT 1")


# One pair's validation as the store records it: generation id, the oracle's answer per
# test case, the test runs, the verdict.
Validation = tuple[str, Sequence[dict[str, Any]], Sequence[dict[str, Any]], dict[str, Any]]


def _reserve_numbers(db: duckdb.DuckDBPyConnection, sequence: str, count: int) -> list[int]:
    """`count` numbers from `sequence`, ascending, in one statement (rows numbered
    together are found by their range: see m012 and m013)."""
    return sorted(number for (number,) in db.execute(
        f"SELECT nextval('{sequence}') FROM range(?)", [count]
    ).fetchall())  # fmt: skip


def _link_generations_to_test_cases(db: duckdb.DuckDBPyConnection) -> None:
    """Record in each generation without it the range of numbers its test cases hold (for
    rows added other than by `Store.add_generation`, which records it itself)."""
    db.execute(
        """
        UPDATE generations SET first_test_case = c.first_seq, last_test_case = c.last_seq
        FROM (SELECT generation_id, min(seq) AS first_seq, max(seq) AS last_seq
              FROM test_cases GROUP BY generation_id) c
        WHERE generations.first_test_case IS NULL AND generations.id = c.generation_id
        """
    )


def _link_verdicts_to_test_runs(db: duckdb.DuckDBPyConnection) -> None:
    """Record in each verdict without it the range of numbers its test runs hold (for
    rows added other than by `Store.record_validations`, which records it itself)."""
    db.execute(
        """
        UPDATE verdicts SET first_test_run = r.first_seq, last_test_run = r.last_seq
        FROM (SELECT c.generation_id, t.run_id, min(t.seq) AS first_seq,
                     max(t.seq) AS last_seq
              FROM test_runs t JOIN test_cases c ON c.id = t.test_case_id
              GROUP BY ALL) r
        WHERE verdicts.first_test_run IS NULL
          AND verdicts.generation_id = r.generation_id AND verdicts.run_id = r.run_id
        """
    )


def _ensure_migration_table(db: duckdb.DuckDBPyConnection) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _migrations ("
        " name VARCHAR PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )


def applied_migrations(db: duckdb.DuckDBPyConnection) -> list[str]:
    _ensure_migration_table(db)
    return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY name").fetchall()]


def migrate(
    db: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] = MIGRATIONS
) -> list[str]:
    """Apply the migrations this database has not seen; return their names."""
    done = set(applied_migrations(db))
    ran = []
    for step in migrations:
        if step.__name__ in done:
            continue
        db.execute("BEGIN TRANSACTION")
        try:
            step(db)
            db.execute("INSERT INTO _migrations (name) VALUES (?)", [step.__name__])
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        ran.append(step.__name__)
    return ran


# ---------------------------------------------------------------------------------------
# Rows the rest of the engine passes in.
# ---------------------------------------------------------------------------------------

SNIPPET_COLUMNS = (
    "id", "source", "path", "line", "name", "kind", "entry_point", "language", "code",
    "flags", "rejection", "rejection_detail", "metadata",
)  # fmt: skip

_SNIPPET_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("path", pa.string()),
        ("line", pa.int32()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("entry_point", pa.string()),
        ("language", pa.string()),
        ("code", pa.string()),
        ("flags", pa.list_(pa.string())),
        ("rejection", pa.string()),
        ("rejection_detail", pa.string()),
        ("metadata", pa.string()),
    ]
)


@dataclass(frozen=True)
class Counts:
    """What `semi stats` reports: rows per entity, and per status where there is one."""

    entities: dict[str, int]
    by_status: dict[str, dict[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return {"entities": self.entities, "by_status": self.by_status}


# Who a repair's event in the review log names: the model, not a person, so no
# annotator's activity counts it.
REPAIR_ANNOTATOR = "(repair)"

# Decisions that still count: accept, reject, skip and final events that no undo event
# has undone and no later edit or repair of the pair has voided (a decision is on the
# code it saw).
# The current decision of a pair is derived from the review log this way.
_EFFECTIVE_DECISIONS = """
WITH effective AS (
    SELECT * FROM review_events e
    WHERE e.action IN ('accept', 'reject', 'skip') AND NOT EXISTS (
        SELECT 1 FROM review_events u
        WHERE u.action = 'undo' AND (u.payload->>'undoes')::BIGINT = e.id)
    AND NOT EXISTS (
        SELECT 1 FROM review_events x
        WHERE x.action IN ('edit', 'repair') AND x.generation_id = e.generation_id
            AND x.id > e.id))
"""

# The decision rule's settings (kept in the settings table, read by the SQL below): how
# votes decide a pair, and how many votes a majority needs.
DECISION_RULES = ("unanimous", "majority")
DEFAULT_DECISION_RULE = "unanimous"
DEFAULT_MAJORITY_MIN_VOTES = 3

# Each annotator's vote on a pair: their latest accept or reject not undone. Skips are no
# votes, and neither are final decisions (they settle a pair, agreement is measured on
# votes). `finals`: each pair's settled decision, the latest final event not undone.
_VOTES = """,
votes AS (
    SELECT generation_id, annotator, arg_max(action, id) AS vote FROM effective
    WHERE action IN ('accept', 'reject')
        AND NOT coalesce((payload->>'final')::BOOLEAN, false)
    GROUP BY generation_id, annotator),
finals AS (
    SELECT generation_id, arg_max(action, id) AS decision FROM effective
    WHERE (payload->>'final')::BOOLEAN GROUP BY generation_id)
"""

# The decision rule's settings as the rule reads them: a value not understood (a rule
# not named in DECISION_RULES, a minimum that is no whole number of at least 1) counts as
# its default, so a hand-edited setting never stops a query.
_DECISION_RULE = f"""
rule AS (
    SELECT coalesce(any_value(value->>'$') FILTER (WHERE key = 'decision_rule'
            AND value->>'$' IN ({", ".join(f"'{name}'" for name in DECISION_RULES)})),
            '{DEFAULT_DECISION_RULE}') AS rule,
        coalesce(any_value(TRY_CAST(value->>'$' AS INTEGER)) FILTER (
            WHERE key = 'majority_min_votes' AND json_type(value) IN ('BIGINT', 'UBIGINT')
                AND TRY_CAST(value->>'$' AS INTEGER) >= 1),
            {DEFAULT_MAJORITY_MIN_VOTES}) AS min_votes
    FROM settings WHERE key IN ('decision_rule', 'majority_min_votes'))
"""

# The decision rule, stated once: a pair is accepted (or rejected) when it is settled so
# by a final decision, or when every annotator who voted on it agrees; with the setting
# decision_rule = 'majority', also when strictly more than half of at least
# majority_min_votes votes agree. Any other pair with votes is 'disputed', so a dispute
# is never exported as accepted.
_OVERALL_DECISIONS = (
    _VOTES
    + ","
    + _DECISION_RULE
    + """,
tally AS (
    SELECT generation_id, count(*) FILTER (WHERE vote = 'accept') AS accepts,
        count(*) FILTER (WHERE vote = 'reject') AS rejects
    FROM votes GROUP BY generation_id),
overall AS (
    SELECT coalesce(f.generation_id, t.generation_id) AS generation_id,
        CASE WHEN f.decision IS NOT NULL THEN f.decision
            WHEN t.rejects = 0 THEN 'accept'
            WHEN t.accepts = 0 THEN 'reject'
            WHEN r.rule = 'majority' AND t.accepts + t.rejects >= r.min_votes
                AND t.accepts <> t.rejects
                THEN CASE WHEN t.accepts > t.rejects THEN 'accept' ELSE 'reject' END
            ELSE 'disputed' END AS decision
    FROM tally t FULL JOIN finals f ON f.generation_id = t.generation_id CROSS JOIN rule r)
"""
)


# What makes a verdict its pair's current one: it is the latest (a QUALIFY condition).
_IS_CURRENT_VERDICT = (
    "row_number() OVER (PARTITION BY generation_id ORDER BY created_at DESC, id) = 1"
)

# The pairs whose current (latest) verdict is validated, with their snippet's name,
# source and kind: what the studio's rankings and summaries aggregate.
_VALIDATED_PAIRS = f"""
WITH validated AS (
    SELECT v.*, s.name, s.source, s.kind
    FROM (SELECT * FROM verdicts QUALIFY {_IS_CURRENT_VERDICT}) v
    JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id
    WHERE v.status = 'validated')
"""

_SPACE = "' \t\n\r\x0b\x0c'"
_EXCEPTION_NAME = r"'\b([A-Z][A-Za-z]*(?:Error|Exception|Exit|Interrupt))\b'"


def _source_filter(sources: Sequence[str] | None, other_sources: bool) -> tuple[str, list[Any]]:
    """A condition on the snippet `s`: ingested from one of `sources`, or, with
    `other_sources`, from none of them (no condition when `sources` is None)."""
    if sources is None:
        return "", []
    wanted = "<>" if other_sources else "="
    return f"AND coalesce(list_contains(?::VARCHAR[], s.source), false) {wanted} true ", [
        list(sources)
    ]


def _first_line(text: str) -> str:
    return f"left(split_part(regexp_replace(trim({text}, {_SPACE}), '\\r\\n?', chr(10), 'g'), chr(10), 1), 80)"  # noqa: E501


def _failure_detail(text: str) -> str:
    """SQL for a short, groupable description of an error text: the exception type when
    one is named, else the first line, cut to 80 characters."""
    return (
        f"CASE WHEN coalesce(trim({text}, {_SPACE}), '') = '' THEN '(no detail)' "
        f"WHEN regexp_matches({text}, {_EXCEPTION_NAME}) "
        f"THEN regexp_extract({text}, {_EXCEPTION_NAME}, 1) ELSE {_first_line(text)} END"
    )


# The policy's reason for refusing code: the text after the sandbox's preamble.
_REFUSAL = "regexp_replace(coalesce(reason, ''), '(?s)^.*?refused the rewrite:', '')"

# One row per failure: ingest rejections, generation errors, and pairs whose current
# verdict is not validated, typed by the first failing test (or the verdict's reason).
_FAILURES = f"""
WITH current_verdicts AS (SELECT * FROM verdicts QUALIFY {_IS_CURRENT_VERDICT}),
checked AS (
    SELECT g.id AS pair, g.snippet_id AS snippet, s.name, v.status,
        v.signals->>'$.failing[0].status' AS first_status,
        v.signals->>'$.failing[0].reason' AS first_reason,
        (v.signals->>'$.failing[0].position')::INT AS test,
        v.signals->>'$.reason' AS reason
    FROM current_verdicts v JOIN generations g ON g.id = v.generation_id
    JOIN snippets s ON s.id = g.snippet_id WHERE v.status <> 'validated'),
failures AS (
    SELECT 'ingest' AS stage, s.rejection AS kind,
        {_failure_detail("s.rejection_detail")} AS detail,
        NULL::VARCHAR AS pair, s.id AS snippet, s.name, NULL::INT AS test
    FROM snippets s WHERE s.rejection IS NOT NULL
    UNION ALL
    SELECT 'generate', 'generation error', {_failure_detail("g.error")}, g.id, NULL, s.name,
        NULL
    FROM generations g JOIN snippets s ON s.id = g.snippet_id WHERE g.status <> 'ok'
    UNION ALL
    SELECT 'validate',
        CASE WHEN status = 'refused' THEN 'policy refusal'
             WHEN first_status IS NULL THEN status
             WHEN first_status = 'wrong' THEN 'mismatch' ELSE first_status END,
        CASE WHEN status = 'refused' THEN
                 CASE WHEN trim({_REFUSAL}, {_SPACE}) = '' THEN '(no reason)'
                      ELSE {_first_line(_REFUSAL)} END
             WHEN first_status IS NULL THEN {_failure_detail("reason")}
             WHEN first_status = 'wrong' THEN status
             ELSE {_failure_detail("first_reason")} END,
        pair, snippet, name, CASE WHEN first_status IS NULL THEN NULL ELSE test END
    FROM checked)
"""


def _parse_generation_json(row: dict[str, Any]) -> dict[str, Any]:
    """A generations row with its JSON columns (usage, mistake) as Python values."""
    for column in ("usage", "mistake"):
        row[column] = json.loads(row[column]) if row.get(column) else None
    return row


# The stamp of the last change to each database file made by this process (a write
# through any of its Stores, or the file's opening): `Store.data_version`. While a process
# holds a file, DuckDB lets no other process write to it, so no change goes unstamped
# while a Store of this process has it open.
_STAMPS = itertools.count(time.monotonic_ns())  # above any of an earlier import's
_CHANGED: dict[str, int] = {}


class Store:
    """One DuckDB database file, migrated to the current schema on open."""

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
        if not read_only:
            migrate(self._db)
        # Another process may have changed the file while no Store here had it open.
        in_memory = self.path == ":memory:"  # each such Store is a database of its own
        self._file = f":memory:{id(self)}" if in_memory else os.path.realpath(self.path)
        self._stamp_change()

    def _stamp_change(self) -> None:
        _CHANGED[self._file] = next(_STAMPS)  # atomic under the GIL

    # -- connection handling ------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections must not be shared across threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._db.cursor()
            self._local.cursor = cur
        return cur

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
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
        return applied_migrations(self.cursor())

    # -- snippets -------------------------------------------------------------------------

    def existing_snippet_ids(
        self, ids: Iterable[str], cur: duckdb.DuckDBPyConnection | None = None
    ) -> set[str]:
        """Which of `ids` the store holds (a scan of the id column: snippets have no index,
        see m014; the ids asked for are the join's small side)."""
        ids = list(ids)
        if not ids:
            return set()
        rows = (cur or self.cursor()).execute(
            "SELECT id FROM snippets WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        )
        return {row[0] for row in rows.fetchall()}

    # An ingest's ledger: the ids of the snippets it has met so far, so that repeats are
    # counted without holding every id in Python memory. It is a temporary table (one per
    # connection: an ingest keeps to its thread's cursor) of 64-bit numbers, the 16 hex
    # digits of each id: 8 bytes a snippet, spilled to disk by DuckDB when memory is short.

    # DuckDB keeps every block it writes or reads cached until it reaches its memory limit
    # (80% of the machine by default): over a long ingest or validation run the stored
    # rows themselves pile up in memory. During either the limit is lowered, so those
    # blocks are evicted (they are on disk already), and restored after. What DuckDB cannot
    # evict (an index it has touched, the batch in flight) is measured as it goes, and the
    # limit leaves room for twice that: a limit below it fails DuckDB outright. Measured on
    # ingests: 64 MB keeps the peak flat from 50,000 to 200,000 rows, where 256 MB still
    # let it grow by 110 MB.
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

    def start_ingest_ledger(self) -> None:
        self.bound_work_memory()
        self.cursor().execute("CREATE OR REPLACE TEMP TABLE ingest_ledger (id UBIGINT)")

    def ingest_ledger_holds(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` the current ingest has met before."""
        if not ids:
            return set()
        rows = self.cursor().execute(
            "SELECT id FROM (SELECT unnest(?::VARCHAR[]) AS id) "
            "WHERE ('0x' || id)::UBIGINT IN (SELECT id FROM ingest_ledger)",
            [list(ids)],
        )
        return {row[0] for row in rows.fetchall()}

    def add_to_ingest_ledger(self, ids: Iterable[str]) -> None:
        cur = self.cursor()
        cur.execute(
            "INSERT INTO ingest_ledger SELECT ('0x' || unnest(?::VARCHAR[]))::UBIGINT", [list(ids)]
        )
        self.bound_work_memory()  # once a batch: room for the grown ledger

    def end_ingest_ledger(self) -> None:
        self.cursor().execute("DROP TABLE IF EXISTS ingest_ledger")
        self.restore_memory_limit()

    def add_snippets(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert snippet rows whose id is new (the first of repeated ids in `rows`);
        return how many were inserted."""
        if not rows:
            return 0
        first_of_each: dict[str, dict[str, Any]] = {}
        for row in rows:
            first_of_each.setdefault(row["id"], row)
        with self.transaction() as cur:
            held = self.existing_snippet_ids(first_of_each, cur)
            table = pa.Table.from_pylist(
                [
                    {
                        **{column: row.get(column) for column in SNIPPET_COLUMNS},
                        "metadata": json.dumps(row["metadata"]) if row.get("metadata") else None,
                    }
                    for row in first_of_each.values()
                    if row["id"] not in held
                ],
                schema=_SNIPPET_SCHEMA,
            )
            cur.register("incoming_snippets", table)
            try:
                cur.execute(
                    f"INSERT INTO snippets ({', '.join(SNIPPET_COLUMNS)}) "
                    f"SELECT {', '.join(SNIPPET_COLUMNS)} FROM incoming_snippets"
                )
            finally:
                cur.unregister("incoming_snippets")
        return table.num_rows

    def snippet(self, snippet_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM snippets WHERE id = ?", [snippet_id])
        return rows[0] if rows else None

    def snippets(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        usable: bool | None = None,
        search: str | None = None,
    ) -> list[dict[str, Any]]:
        """Snippets, newest first; `usable` filters on rejection; `search` on name/path/code."""
        where, params = ["TRUE"], []
        if usable is True:
            where.append("rejection IS NULL")
        elif usable is False:
            where.append("rejection IS NOT NULL")
        if search:
            where.append("(name ILIKE ? OR path ILIKE ? OR code ILIKE ?)")
            params += [f"%{search}%"] * 3
        params += [limit, offset]
        return self._rows(
            f"SELECT id, name, kind, entry_point, source, path, line, flags, rejection, "
            f"rejection_detail, code, created_at FROM snippets WHERE {' AND '.join(where)} "
            f"ORDER BY created_at DESC, path, line LIMIT ? OFFSET ?",
            params,
        )

    def count_snippets(self) -> int:
        return self.cursor().execute("SELECT count(*) FROM snippets").fetchall()[0][0]

    # -- generations and the LLM cache ---------------------------------------------------

    _TO_GENERATE = (
        "FROM snippets s WHERE s.rejection IS NULL AND NOT EXISTS ("
        "  SELECT 1 FROM generations g WHERE g.snippet_id = s.id AND g.backend = ? "
        "  AND g.model IS NOT DISTINCT FROM ? AND g.prompt_hash = ?) "
    )

    def snippets_to_generate(
        self,
        backend: str,
        model: str | None,
        prompt_hash: str,
        limit: int | None = None,
        after: tuple[str, int, str] | None = None,
        sources: Sequence[str] | None = None,
        other_sources: bool = False,
    ) -> list[dict[str, Any]]:
        """Usable snippets without a generation from this backend, model and prompt, in
        (path, line, id) order. `after` is (path, order_line, id) of the last row of the previous
        page: keyset paging, right while earlier pages are still being generated. `sources`
        keeps only snippets ingested from those paths (as `sources.ingest` names them), or,
        with `other_sources`, only the rest."""
        after_sql = "AND (s.path, coalesce(s.line, 2147483647), s.id) > (?, ?, ?) " if after else ""
        source_sql, source_params = _source_filter(sources, other_sources)
        return self._rows(
            "SELECT s.id, s.name, s.kind, s.entry_point, s.code, s.flags, s.path, s.metadata, "
            "coalesce(s.line, 2147483647) AS order_line "
            f"{self._TO_GENERATE}{source_sql}{after_sql}"
            "ORDER BY s.path, coalesce(s.line, 2147483647), s.id LIMIT ?",
            [backend, model, prompt_hash, *source_params, *(after or ()),
             limit if limit is not None else 2**62],
        )  # fmt: skip

    @staticmethod
    def source_passes(first_sources: Sequence[str]) -> list[dict[str, Any]]:
        """The `sources` / `other_sources` arguments of the reads of pending work that take
        what was ingested from `first_sources` first: one pass over everything when there
        are none, else a pass over those sources, then one over the rest (disjoint, so a
        unit still in flight from the first pass is never read again)."""
        if not first_sources:
            return [{}]
        return [{"sources": first_sources}, {"sources": first_sources, "other_sources": True}]

    def count_snippets_to_generate(self, backend: str, model: str | None, prompt_hash: str) -> int:
        """How many rows `snippets_to_generate` would give (a progress total)."""
        return (
            self.cursor()
            .execute(f"SELECT count(*) {self._TO_GENERATE}", [backend, model, prompt_hash])
            .fetchone()[0]
        )

    def add_generation(self, row: dict[str, Any], inputs: Sequence[tuple[str, str]]) -> None:
        """Store one generation and its test inputs, (text, origin), in one transaction:
        a crash leaves either both or neither. A generation stored before is kept as it
        is (its id is a hash of what made it); an input repeated is stored once."""
        columns = (
            "id", "snippet_id", "backend", "model", "prompt_hash", "instruction", "code",
            "entry_point", "raw_response", "usage", "status", "error", "mistake",
        )  # fmt: skip
        values = [
            json.dumps(row.get(c))
            if c in ("usage", "mistake") and row.get(c) is not None
            else row.get(c)
            for c in columns
        ]
        firsts: dict[str, tuple[int, str]] = {}  # input text: its first position and origin
        for position, (text, origin) in enumerate(inputs):
            firsts.setdefault(text, (position, origin))
        with self.transaction() as cur:
            if cur.execute("SELECT 1 FROM generations WHERE id = ?", [row["id"]]).fetchone():
                return
            # The test cases are numbered together, the generation keeps the range (m013).
            numbers = _reserve_numbers(cur, "test_case_seq", len(firsts))
            cur.execute(
                f"INSERT INTO generations ({', '.join(columns)}, first_test_case, "
                f"last_test_case) VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
                [*values, numbers[0] if numbers else None, numbers[-1] if numbers else None],
            )
            if firsts:  # one statement for all: each statement costs DuckDB milliseconds
                cur.execute(
                    "INSERT INTO test_cases (id, generation_id, position, input, origin, seq) "
                    "VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(firsts)),
                    [value
                     for number, (text, (position, origin)) in zip(numbers, firsts.items(),
                                                                  strict=True)
                     for value in (content_id(row["id"], text), row["id"], position, text,
                                   origin, number)],
                )  # fmt: skip

    def add_test_case(self, generation_id: str, text: str, origin: str) -> dict[str, Any]:
        """Add one test input to a stored generation, after its others; returns the new
        test case. A generation's test cases are found by their range of numbers (m013),
        so all of them are numbered again, together, and the range recorded: one pair's
        new input never makes its range span the test cases stored since."""
        with self.transaction() as cur:
            first, last = cur.execute(
                "SELECT first_test_case, last_test_case FROM generations WHERE id = ?",
                [generation_id],
            ).fetchone() or (None, None)
            cases = [] if first is None else cur.execute(
                "SELECT id, position FROM test_cases WHERE seq BETWEEN ? AND ? "
                "AND generation_id = ? ORDER BY position",
                [first, last, generation_id],
            ).fetchall()  # fmt: skip
            numbers = _reserve_numbers(cur, "test_case_seq", len(cases) + 1)
            if cases:  # one statement, the old range found by zone maps (no index: m016)
                cur.execute(
                    "UPDATE test_cases SET seq = n.seq FROM (SELECT unnest(?::VARCHAR[]) AS id, "
                    "unnest(?::BIGINT[]) AS seq) n WHERE test_cases.seq BETWEEN ? AND ? "
                    "AND test_cases.generation_id = ? AND test_cases.id = n.id",
                    [[case_id for case_id, _ in cases], numbers[:-1], first, last, generation_id],
                )
            position = max((p for _, p in cases), default=-1) + 1
            case = {"id": content_id(generation_id, text), "generation_id": generation_id,
                    "position": position, "input": text, "origin": origin,
                    "seq": numbers[-1]}  # fmt: skip
            cur.execute(
                "INSERT INTO test_cases (id, generation_id, position, input, origin, seq) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [case["id"], generation_id, position, text, origin, case["seq"]],
            )
            cur.execute(
                "UPDATE generations SET first_test_case = ?, last_test_case = ? WHERE id = ?",
                [numbers[0], numbers[-1], generation_id],
            )
        return case

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM generations WHERE id = ?", [generation_id])
        return _parse_generation_json(rows[0]) if rows else None

    def update_generation(self, generation_id: str, instruction: str, code: str) -> None:
        """An annotator's edit of a pair's instruction and code."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE generations SET instruction = ?, code = ? WHERE id = ?",
                [instruction, code, generation_id],
            )

    def cached_response(self, key: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT response, usage FROM llm_cache WHERE key = ?", [key])
        if not rows:
            return None
        usage = json.loads(rows[0]["usage"]) if rows[0]["usage"] else None
        return {"response": rows[0]["response"], "usage": usage}

    def cache_response(
        self, key: str, model: str | None, request: dict[str, Any], response: str, usage: Any
    ) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR IGNORE INTO llm_cache (key, model, request, response, usage) "
                "VALUES (?, ?, ?, ?, ?)",
                [key, model, json.dumps(request), response, json.dumps(usage)],
            )

    # -- validation -------------------------------------------------------------------------

    def generations_to_validate(
        self,
        limit: int | None = None,
        after: tuple[Any, str] | None = None,
        sources: Sequence[str] | None = None,
        other_sources: bool = False,
    ) -> list[dict[str, Any]]:
        """Generations that succeeded and have no verdict yet, with their snippet's code,
        oldest first. `after` is the (created_at, id) of the last row of the previous page:
        keyset paging, so pages stay right while earlier pages are still being validated.
        `sources` and `other_sources` as in `snippets_to_generate`."""
        after_sql = "AND (g.created_at, g.id) > (?, ?) " if after is not None else ""
        source_sql, source_params = _source_filter(sources, other_sources)
        return self._rows(
            "SELECT g.id, g.snippet_id, g.code, g.entry_point, s.code AS original_code, "
            "s.entry_point AS original_entry_point, s.kind, g.first_test_case, "
            "g.last_test_case, g.created_at FROM generations g "
            "JOIN snippets s ON s.id = g.snippet_id WHERE g.status = 'ok' AND NOT EXISTS "
            f"(SELECT 1 FROM verdicts v WHERE v.generation_id = g.id) {source_sql}{after_sql}"
            "ORDER BY g.created_at, g.id LIMIT ?",
            [*source_params, *(after or ()), limit if limit is not None else 2**62],
        )

    def count_generations_to_validate(self) -> int:
        """How many rows `generations_to_validate` would give (a progress total)."""
        return (
            self.cursor()
            .execute(
                "SELECT count(*) FROM generations g WHERE g.status = 'ok' AND NOT EXISTS "
                "(SELECT 1 FROM verdicts v WHERE v.generation_id = g.id)"
            )
            .fetchone()[0]
        )

    def validation_subjects(self, generation_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The same rows as `generations_to_validate`, for chosen generations (revalidation)."""
        if not generation_ids:
            return []
        return self._rows(
            "SELECT g.id, g.snippet_id, g.code, g.entry_point, s.code AS original_code, "
            "s.entry_point AS original_entry_point, s.kind, g.first_test_case, "
            "g.last_test_case FROM generations g "
            f"JOIN snippets s ON s.id = g.snippet_id WHERE g.id IN {_placeholders(generation_ids)} "
            "ORDER BY g.created_at, g.id",
            generation_ids,
        )

    def test_cases(self, generation_id: str) -> list[dict[str, Any]]:
        """A generation's test cases in order, found by its range of numbers (m013)."""
        return self.test_cases_of(self._test_case_ranges([generation_id])).get(generation_id, [])

    def _test_case_ranges(self, generation_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Each generation's id and range of test case numbers, as `test_cases_of` takes."""
        return self._rows(
            "SELECT id, first_test_case, last_test_case FROM generations "
            f"WHERE id IN {_placeholders(generation_ids)}",
            generation_ids,
        )

    # Ranges of test case numbers closer than this are read as one span: reading a few
    # rows of other generations costs less than another query.
    TEST_CASE_GAP = 2048

    def test_cases_of(
        self, generations: Sequence[Mapping[str, Any]]
    ) -> dict[str, list[dict[str, Any]]]:
        """The test cases of many generations: {generation id: cases}. Each generation is
        a row with its `id` and the range of its test cases' numbers (`first_test_case`,
        `last_test_case`, as `generations_to_validate` gives them; none when it has no
        test cases; see m013). Near ranges are read as one span, which zone maps find
        without an index."""
        cases: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in generations}
        ranged = sorted(
            (row["first_test_case"], row["last_test_case"], row["id"])
            for row in generations
            if row.get("first_test_case") is not None
        )
        spans: list[list[int]] = []
        for first, last, _ in ranged:
            if spans and first - spans[-1][1] <= self.TEST_CASE_GAP:
                spans[-1][1] = max(spans[-1][1], last)
            else:
                spans.append([first, last])
        wanted = {generation_id for _, _, generation_id in ranged}
        rows = [
            row
            for first, last in spans
            for row in self._rows(
                "SELECT * FROM test_cases WHERE seq BETWEEN ? AND ?", [first, last]
            )
            if row["generation_id"] in wanted  # a span holds other generations' too
        ]
        for row in sorted(rows, key=lambda row: (row["generation_id"], row["position"])):
            cases[row["generation_id"]].append(row)
        return cases

    def record_validation(
        self,
        run_id: str,
        generation_id: str,
        oracle: Sequence[dict[str, Any]],
        test_runs: Sequence[dict[str, Any]],
        verdict: dict[str, Any],
    ) -> None:
        """Store one generation's validation in one transaction: the oracle's answer per
        test case, every test run, and the verdict. A crash leaves none of it, so a
        resumed run validates the generation again from scratch."""
        self.record_validations(run_id, [(generation_id, oracle, test_runs, verdict)])

    def record_validations(
        self,
        run_id: str,
        validations: Sequence[Validation],
    ) -> None:
        """Store many validations — (generation id, oracle, test runs, verdict) each, as
        `record_validation` takes them — in one transaction: all of them or none. A
        validation made on test cases read before a test was added to its pair is left
        out (see `_on_current_test_cases`)."""
        if len({generation_id for generation_id, *_ in validations}) < len(validations):
            raise StoreError("a pair is recorded twice in one batch of validations")
        with self._write_lock:  # no test is added between the check and the write
            self._record_validations(run_id, self._on_current_test_cases(validations))

    def _on_current_test_cases(
        self,
        validations: Sequence[Validation],
    ) -> list[Validation]:
        """The validations whose oracle answered the pair's test cases as numbered now.
        Adding a test numbers a pair's test cases again: a validation that read them
        before (a run in flight) misses the added test, and its verdict, recorded last,
        would become current and drop it. Its oracle names the numbers it read."""
        read: dict[str, tuple[int, int]] = {}
        for generation_id, oracle, _, _ in validations:
            numbers = [case.get("seq") for case in oracle]
            if numbers and None not in numbers:  # rows without numbers cannot be compared
                read[generation_id] = (min(numbers), max(numbers))
        if not read:
            return list(validations)
        now = {row["id"]: (row["first_test_case"], row["last_test_case"])
               for row in self._test_case_ranges(list(read))}  # fmt: skip
        return [v for v in validations if v[0] not in read or now.get(v[0]) == read[v[0]]]

    def _record_validations(
        self,
        run_id: str,
        validations: Sequence[Validation],
    ) -> None:
        if not validations:
            return
        # Set-based: a few statements over Arrow tables whatever the batch size (row by row,
        # a pair with its dozens of test runs cost about a third of a second).
        oracle_rows = [case for _, oracle, _, _ in validations for case in oracle]
        run_rows = [(generation_id, run) for generation_id, _, runs, _ in validations
                    for run in runs]  # fmt: skip
        oracle_table = pa.table({
            "id": pa.array([case["id"] for case in oracle_rows], pa.string()),
            "seq": pa.array([case.get("seq") for case in oracle_rows], pa.int64()),
            "expected": pa.array([case["expected"] for case in oracle_rows], pa.string()),
            "oracle_status": pa.array([case["oracle_status"] for case in oracle_rows],
                                      pa.string()),
        })  # fmt: skip
        # Each pair's test runs get consecutive numbers, its verdict the first and last
        # (see m012).
        numbers = _reserve_numbers(self.cursor(), "test_run_seq", len(run_rows))
        runs_table = pa.table({
            "seq": pa.array(numbers, pa.int64()),
            "id": pa.array([content_id(run_id, run["test_case_id"], run["side"],
                                       str(run["attempt"])) for _, run in run_rows],
                           pa.string()),
            "test_case_id": pa.array([run["test_case_id"] for _, run in run_rows], pa.string()),
            "side": pa.array([run["side"] for _, run in run_rows], pa.string()),
            "attempt": pa.array([run["attempt"] for _, run in run_rows], pa.int32()),
            "status": pa.array([run["status"] for _, run in run_rows], pa.string()),
            "output": pa.array([run.get("output") for _, run in run_rows], pa.string()),
            "error": pa.array([run.get("error") for _, run in run_rows], pa.string()),
            "stdout": pa.array([run.get("stdout") for _, run in run_rows], pa.string()),
            "duration_ms": pa.array([run.get("duration_ms") for _, run in run_rows],
                                    pa.float64()),
        })  # fmt: skip
        verdicts = [(generation_id, verdict) for generation_id, _, _, verdict in validations]
        ranges, taken = [], 0
        for _, _, runs, _ in validations:
            mine = numbers[taken : taken + len(runs)]
            ranges.append((min(mine), max(mine)) if mine else (None, None))
            taken += len(runs)
        verdicts_table = pa.table({
            "first_test_run": pa.array([first for first, _ in ranges], pa.int64()),
            "last_test_run": pa.array([last for _, last in ranges], pa.int64()),
            "id": pa.array([content_id(g, run_id) for g, _ in verdicts], pa.string()),
            "generation_id": pa.array([g for g, _ in verdicts], pa.string()),
            "passed": pa.array([v["passed"] for _, v in verdicts], pa.int32()),
            "usable": pa.array([v["usable"] for _, v in verdicts], pa.int32()),
            "total": pa.array([v["total"] for _, v in verdicts], pa.int32()),
            "status": pa.array([v["status"] for _, v in verdicts], pa.string()),
            "test_strength": pa.array([v.get("test_strength") for _, v in verdicts],
                                      pa.float64()),
            "signals": pa.array([json.dumps(v.get("signals") or {}) for _, v in verdicts],
                                pa.string()),
            "difficulty": pa.array([v.get("difficulty") for _, v in verdicts], pa.float64()),
        })  # fmt: skip
        with self.transaction() as cur:
            cur.register("oracle_rows", oracle_table)
            cur.register("run_rows", runs_table)
            cur.register("verdict_rows", verdicts_table)
            try:
                # Answers are written by test case number (m013), found by zone maps; by id
                # (a scan of the table: test cases have no index, m016) only for rows
                # given without one.
                numbered = sum(case.get("seq") is not None for case in oracle_rows)
                if numbered:
                    cur.execute(
                        "UPDATE test_cases SET expected = o.expected, oracle_status = "
                        "o.oracle_status FROM oracle_rows o "
                        "WHERE o.seq IS NOT NULL AND test_cases.seq = o.seq"
                    )
                if numbered < len(oracle_rows):
                    cur.execute(
                        "UPDATE test_cases SET expected = o.expected, oracle_status = "
                        "o.oracle_status FROM oracle_rows o "
                        "WHERE o.seq IS NULL AND test_cases.id = o.id"
                    )
                self._drop_earlier_records_of_this_run(cur, run_id)
                # Plain inserts: an upsert costs DuckDB about 15 times as much here, and
                # more as the table grows; earlier rows of this run were just dropped.
                cur.execute(
                    "INSERT INTO test_runs (seq, id, run_id, test_case_id, side, attempt, "
                    "status, output, error, stdout, duration_ms) SELECT seq, id, ?, "
                    "test_case_id, side, attempt, status, output, error, stdout, duration_ms "
                    "FROM run_rows",
                    [run_id],
                )
                # A repaired pair's latest attempt keeps its first verdict (m018): the one
                # usable attempt without a verdict, as a pair is repaired only once its
                # latest attempt has one. The small table alone, no join on generations.
                cur.execute(
                    "UPDATE generation_attempts SET verdict_id = v.id FROM verdict_rows v "
                    "WHERE generation_attempts.generation_id = v.generation_id "
                    "AND generation_attempts.verdict_id IS NULL "
                    "AND generation_attempts.status = 'ok'"
                )
                cur.execute(
                    "INSERT INTO verdicts (id, generation_id, run_id, passed, usable, total, "
                    "status, test_strength, signals, difficulty, first_test_run, "
                    "last_test_run) SELECT id, generation_id, ?, passed, usable, total, "
                    "status, test_strength, signals, difficulty, first_test_run, "
                    "last_test_run FROM verdict_rows",
                    [run_id],
                )
            finally:
                for name in ("oracle_rows", "run_rows", "verdict_rows"):
                    cur.unregister(name)

    def _drop_earlier_records_of_this_run(
        self, cur: duckdb.DuckDBPyConnection, run_id: str
    ) -> None:
        """When a validation run records a pair it had recorded before (a run id reused),
        the new record replaces the old whole: its verdict and every one of its test runs.
        A pair's test runs and verdict are written in one transaction, so a pair without
        a verdict of this run has no test runs of it either: one look at the verdicts."""
        # The run id first: its verdicts sit in few blocks, and the id column (hashes) is
        # compared only there (verdicts have no index: m015).
        again = cur.execute(
            "SELECT generation_id, first_test_run, last_test_run FROM verdicts "
            "WHERE run_id = ? AND id IN (SELECT id FROM verdict_rows)",
            [run_id],
        ).fetchall()
        if not again:
            return
        # Read within this transaction (`cur` is this thread's cursor), all pairs at once.
        cases = self.test_cases_of(self._test_case_ranges([g for g, _, _ in again]))
        for generation_id, first, last in again:
            ids = [case["id"] for case in cases.get(generation_id, [])]
            if first is not None and ids:
                cur.execute(
                    "DELETE FROM test_runs WHERE seq BETWEEN ? AND ? AND run_id = ? AND "
                    "list_contains(?, test_case_id)",
                    [first, last, run_id, ids],
                )
        cur.execute(
            "DELETE FROM verdicts WHERE run_id = ? AND id IN (SELECT id FROM verdict_rows)",
            [run_id],
        )

    def latest_verdict(self, generation_id: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT * FROM verdicts WHERE generation_id = ? ORDER BY created_at DESC, id LIMIT 1",
            [generation_id],
        )
        if rows:
            rows[0]["signals"] = json.loads(rows[0]["signals"]) if rows[0]["signals"] else {}
        return rows[0] if rows else None

    def verdict_history(self, generation_id: str) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT * FROM verdicts WHERE generation_id = ? ORDER BY created_at, id",
            [generation_id],
        )

    def test_runs(self, run_id: str, generation_id: str) -> list[dict[str, Any]]:
        """Every test run of one validation run of a generation, with its test case."""
        # Three lookups joined here: as one statement DuckDB scans every test case, and
        # the pair's own test runs are picked out of its range fastest in Python.
        found = self._rows(
            "SELECT first_test_run, last_test_run FROM verdicts WHERE generation_id = ? "
            "AND run_id = ?",
            [generation_id, run_id],
        )
        if not found or found[0]["first_test_run"] is None:
            return []
        cases = {row["id"]: row for row in self.test_cases(generation_id)}
        runs = self._rows(
            "SELECT test_case_id, side, attempt, status, output, error, stdout, duration_ms "
            "FROM test_runs WHERE seq BETWEEN ? AND ? AND run_id = ?",
            [found[0]["first_test_run"], found[0]["last_test_run"], run_id],
        )
        rows = []
        for run in runs:
            case = cases.get(run.pop("test_case_id"))
            if case is None:  # another pair's, numbered inside this range (see m012)
                continue
            rows.append({key: case[key] for key in ("position", "input", "origin", "expected",
                                                     "oracle_status")} | run)  # fmt: skip
        rows.sort(key=lambda row: (row["position"], row["side"], row["attempt"]))
        return rows

    def current_verdicts(self, statuses: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The latest verdict of every generation (optionally of some statuses)."""
        rows = self._rows(
            "SELECT * FROM (SELECT v.*, row_number() OVER (PARTITION BY generation_id "
            "ORDER BY created_at DESC, id) AS rank_in_history FROM verdicts v) "
            "WHERE rank_in_history = 1 AND (? IS NULL OR status IN (SELECT unnest(?::VARCHAR[])))"
            " ORDER BY generation_id",
            [None if statuses is None else 1, list(statuses or [])],
        )
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def set_difficulty(self, verdict_id: str, signals: dict[str, Any], difficulty: float) -> None:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE verdicts SET signals = ?, difficulty = ? WHERE id = ?",
                [json.dumps(signals), difficulty, verdict_id],
            )

    def set_difficulties(self, rows: Sequence[tuple[str, dict[str, Any], float]]) -> None:
        """Many (verdict_id, signals, difficulty) updates in one statement (ranking)."""
        if not rows:
            return
        table = pa.table({
            "id": pa.array([vid for vid, _, _ in rows], pa.string()),
            "signals": pa.array([json.dumps(signals) for _, signals, _ in rows], pa.string()),
            "difficulty": pa.array([difficulty for _, _, difficulty in rows], pa.float64()),
        })  # fmt: skip
        with self.transaction() as cur:
            cur.register("difficulty_rows", table)
            try:
                cur.execute(
                    "UPDATE verdicts SET signals = d.signals::JSON, difficulty = d.difficulty "
                    "FROM difficulty_rows d WHERE verdicts.id = d.id"
                )
            finally:
                cur.unregister("difficulty_rows")

    # The current verdict of each pair (its latest), when it is `validated`.
    _CURRENT_VALIDATED = (
        f"(SELECT * FROM verdicts QUALIFY {_IS_CURRENT_VERDICT} AND status = 'validated')"
    )

    def ranking_subjects(
        self,
        after: str | None = None,
        limit: int | None = None,
        generation_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Current verdicts that are `validated`, with their pair's instruction and code
        and the snippet's kind: what ranking reads, in one query, in generation id order;
        a page of at most `limit` after the generation id `after` (keyset paging); only
        the pairs `generation_ids` when given."""
        current, params = self._CURRENT_VALIDATED, [after or ""]
        if generation_ids is not None:
            # The pairs' own verdicts first: the current one is picked among a few rows.
            current = (
                f"(SELECT * FROM verdicts WHERE generation_id IN {_placeholders(generation_ids)} "
                f"QUALIFY {_IS_CURRENT_VERDICT} AND status = 'validated')"
            )
            params = [*generation_ids, after or ""]
        rows = self._rows(
            "SELECT v.id AS verdict_id, v.generation_id, v.run_id, v.passed, v.usable, "
            "v.total, v.test_strength, v.signals, v.difficulty, g.instruction, g.code, "
            f"g.entry_point, s.kind FROM {current} v "
            "JOIN generations g ON g.id = v.generation_id "
            "JOIN snippets s ON s.id = g.snippet_id "
            "WHERE v.generation_id > ? ORDER BY v.generation_id"
            + ("" if limit is None else f" LIMIT {int(limit)}"),
            params,
        )
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def place_ranked(self, buckets: Sequence[str]) -> dict[str, int]:
        """Write the bucket and curriculum position of every current `validated` verdict
        that has a difficulty score into its signals' "rank", in one statement: positions
        follow the score (then the generation id); the buckets (`buckets`, easiest first)
        are tertiles of the scores, equal scores sharing one, and fixed thirds of the
        score under three pairs — `rank.assign_buckets`, in SQL. Returns {bucket: n}."""
        placed = (
            "SELECT id, row_number() OVER (ORDER BY difficulty, generation_id) AS position, "
            "CASE WHEN count(*) OVER () < 3 THEN least(2, floor(difficulty * 3))::INTEGER "
            "ELSE least(2, (rank() OVER (ORDER BY difficulty) - 1) * 3 // count(*) OVER ()) "
            f"END AS bucket FROM {self._CURRENT_VALIDATED} WHERE difficulty IS NOT NULL"
        )
        with self.transaction() as cur:
            cur.execute(
                "UPDATE verdicts SET signals = json_merge_patch(signals, json_object('rank', "
                "json_object('bucket', (?::VARCHAR[])[p.bucket + 1], 'curriculum_position', "
                f"p.position))) FROM ({placed}) p WHERE verdicts.id = p.id",
                [list(buckets)],
            )
            counts = cur.execute(
                "SELECT signals->>'$.rank.bucket', count(*) FROM "
                f"{self._CURRENT_VALIDATED} WHERE difficulty IS NOT NULL GROUP BY ALL"
            ).fetchall()
        return {bucket: dict(counts).get(bucket, 0) for bucket in buckets}

    def report_generations(self) -> list[dict[str, Any]]:
        """Per generation, for quality reports: kind, instruction, distinct inputs, their
        origins, and how many test runs of the rewrite ended ok."""
        return self._rows(
            """
            SELECT g.id, s.kind, g.status, g.instruction,
                coalesce(t.distinct_inputs, 0) AS distinct_inputs, t.origins,
                coalesce(r.ok_runs, 0) AS rewrite_ok_runs
            FROM generations g JOIN snippets s ON s.id = g.snippet_id
            LEFT JOIN (SELECT generation_id, count(DISTINCT input) AS distinct_inputs,
                              histogram(origin) AS origins
                       FROM test_cases GROUP BY generation_id) t ON t.generation_id = g.id
            LEFT JOIN (SELECT c.generation_id, count(*) AS ok_runs
                       FROM test_runs x JOIN test_cases c ON c.id = x.test_case_id
                       WHERE x.side = 'generated' AND x.status = 'ok'
                       GROUP BY c.generation_id) r ON r.generation_id = g.id
            ORDER BY g.id
            """
        )

    # -- repair -------------------------------------------------------------------------------

    # A pair may go back to the model: its current verdict failed, its latest answer has
    # been validated, and no annotator edited it (an edit is theirs to keep).
    _REPAIRABLE = f"""
        FROM (SELECT * FROM verdicts QUALIFY {_IS_CURRENT_VERDICT}) v
        JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id
        WHERE g.backend = ? AND g.model IS NOT DISTINCT FROM ? AND g.status = 'ok'
          AND coalesce(g.attempt, 1) = ? AND list_contains(?::VARCHAR[], v.status)
          AND NOT EXISTS (SELECT 1 FROM generation_attempts a WHERE a.generation_id = g.id
                          AND a.status = 'ok' AND a.verdict_id IS NULL)
          AND NOT EXISTS (SELECT 1 FROM review_events e WHERE e.generation_id = g.id
                          AND e.action = 'edit')
    """

    def repair_candidates(
        self,
        backend: str,
        model: str | None,
        attempt: int,
        statuses: Sequence[str],
        limit: int | None = None,
        after: tuple[Any, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Pairs of `backend` and `model` at attempt number `attempt` that may be repaired
        (`_REPAIRABLE`) and whose current verdict's status is one of `statuses`, oldest
        first, keyset-paged by (created_at, id) as `generations_to_validate` is: each with
        its snippet's code and its verdict's id, run and reason."""
        after_sql = "AND (g.created_at, g.id) > (?, ?) " if after is not None else ""
        return self._rows(
            "SELECT g.id, g.snippet_id, g.instruction, g.code, g.entry_point, g.raw_response, "
            "g.created_at, s.code AS original_code, s.kind, s.entry_point AS original_entry_point, "
            "s.name, s.flags, v.id AS verdict_id, v.run_id, v.status AS verdict_status, "
            f"v.signals->>'$.reason' AS reason {self._REPAIRABLE} {after_sql}"
            "ORDER BY g.created_at, g.id LIMIT ?",
            [backend, model, attempt, list(statuses), *(after or ()),
             limit if limit is not None else 2**62],
        )  # fmt: skip

    def unvalidated_attempts(self, backend: str, model: str | None) -> list[str]:
        """Pairs of `backend` and `model` whose latest attempt, a repair, was stored but
        not validated (a run stopped in between): validated before any is repaired again."""
        rows = self.cursor().execute(
            "SELECT g.id FROM generations g JOIN generation_attempts a "
            "ON a.generation_id = g.id WHERE g.backend = ? AND g.model IS NOT DISTINCT FROM ? "
            "AND a.status = 'ok' AND a.verdict_id IS NULL ORDER BY g.created_at, g.id",
            [backend, model],
        )
        return [generation_id for (generation_id,) in rows.fetchall()]

    def add_attempt(
        self, generation_id: str, row: dict[str, Any], previous_verdict_id: str | None
    ) -> int:
        """Store a repair's answer as the pair's next attempt, in one transaction; returns
        its number. The first answer is copied in as attempt 1 at the first repair, with
        `previous_verdict_id`, the verdict the repair was shown. A usable answer becomes
        the pair's content and voids the decisions made before it (a 'repair' event in
        the review log, as an edit does); a failed one is kept and changes nothing else.
        The pair keeps its test cases: they come from the original."""
        columns = ("instruction", "code", "entry_point", "raw_response", "usage", "status",
                   "error")  # fmt: skip
        with self.transaction() as cur:
            (current,) = cur.execute(
                "SELECT coalesce(attempt, 1) FROM generations WHERE id = ?", [generation_id]
            ).fetchone()
            kept = cur.execute(
                "SELECT count(*) FROM generation_attempts WHERE generation_id = ?",
                [generation_id],
            ).fetchone()[0]
            if not kept:
                cur.execute(
                    f"INSERT INTO generation_attempts (generation_id, attempt, prompt_hash, "
                    f"{', '.join(columns)}, verdict_id, created_at) SELECT id, 1, prompt_hash, "
                    f"{', '.join(columns)}, ?, created_at FROM generations WHERE id = ?",
                    [previous_verdict_id, generation_id],
                )
            number = current + 1
            values = [json.dumps(row.get(c)) if c == "usage" and row.get(c) is not None
                      else row.get(c) for c in columns]  # fmt: skip
            cur.execute(
                f"INSERT INTO generation_attempts (generation_id, attempt, prompt_hash, "
                f"{', '.join(columns)}) VALUES (?, ?, ?, {', '.join('?' for _ in columns)})",
                [generation_id, number, row.get("prompt_hash"), *values],
            )
            if row.get("status") != "ok":
                cur.execute("UPDATE generations SET attempt = ? WHERE id = ?",
                            [number, generation_id])  # fmt: skip
                return number
            content = columns[:5]
            cur.execute(
                f"UPDATE generations SET {', '.join(f'{c} = ?' for c in content)}, attempt = ? "
                "WHERE id = ?",
                [*values[:5], number, generation_id],
            )
            cur.execute(
                "INSERT INTO review_events (generation_id, annotator, action, payload) "
                "VALUES (?, ?, 'repair', ?)",
                [generation_id, REPAIR_ANNOTATOR, json.dumps({"attempt": number})],
            )
        return number

    def attempts(self, generation_id: str) -> list[dict[str, Any]]:
        """Every attempt of a pair, first to last, with its verdict's status and tally
        (none when not validated); a pair never repaired has one, its generation."""
        rows = self._rows(
            "SELECT a.*, v.status AS verdict_status, v.passed, v.usable, v.run_id "
            "FROM generation_attempts a LEFT JOIN verdicts v ON v.id = a.verdict_id "
            "AND v.generation_id = a.generation_id WHERE a.generation_id = ? ORDER BY a.attempt",
            [generation_id],
        )
        if not rows:
            pair = self.generation(generation_id)
            if pair is None:
                return []
            verdict = self.latest_verdict(generation_id) or {}
            rows = [{**{k: pair[k] for k in ("instruction", "code", "entry_point",
                                              "raw_response", "usage", "status", "error",
                                              "prompt_hash", "created_at")},
                     "generation_id": generation_id, "attempt": 1,
                     "verdict_id": verdict.get("id"), "verdict_status": verdict.get("status"),
                     "passed": verdict.get("passed"), "usable": verdict.get("usable"),
                     "run_id": verdict.get("run_id")}]  # fmt: skip
            return rows
        for row in rows:
            row["usage"] = json.loads(row["usage"]) if isinstance(row["usage"], str) else None
        return rows

    # -- review -------------------------------------------------------------------------------

    def add_review_event(
        self,
        generation_id: str,
        annotator: str,
        action: str,
        note: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        with self.transaction() as cur:
            rows = cur.execute(
                "INSERT INTO review_events (generation_id, annotator, action, note, payload) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                [generation_id, annotator, action, note, json.dumps(payload) if payload else None],
            ).fetchall()
        return rows[0][0]

    def review_events(self, generation_id: str | None = None) -> list[dict[str, Any]]:
        """The review log of one pair (or of all), oldest first, with what undid what."""
        # One pair's events are read through the index, not a scan of the whole log.
        where, params = "WHERE e.generation_id = ?", [generation_id]
        if not generation_id:
            where, params = "", []
        rows = self._rows(
            "SELECT e.*, u.id AS undone_by FROM review_events e LEFT JOIN review_events u "
            f"ON u.action = 'undo' AND (u.payload->>'undoes')::BIGINT = e.id {where} "
            "ORDER BY e.id",
            params,
        )
        for row in rows:
            row["payload"] = json.loads(row["payload"]) if row["payload"] else None
        return rows

    def last_undoable_event(self, annotator: str) -> dict[str, Any] | None:
        """The annotator's latest decision (accept, reject, skip, final) not undone yet."""
        rows = self._rows(
            f"{_EFFECTIVE_DECISIONS} SELECT * FROM effective WHERE annotator = ? "
            "ORDER BY id DESC LIMIT 1",
            [annotator],
        )
        return rows[0] if rows else None

    def decisions(self, generation_id: str) -> dict[str, str]:
        """Each annotator's current decision on a pair (skips excluded)."""
        rows = self.cursor().execute(
            f"{_EFFECTIVE_DECISIONS} SELECT annotator, arg_max(action, id) FROM effective "
            "WHERE generation_id = ? AND action <> 'skip' GROUP BY annotator ORDER BY annotator",
            [generation_id],
        )
        return dict(rows.fetchall())

    def _queue_sql(
        self,
        annotator: str,
        *,
        limit: int,
        statuses: Sequence[str] | None = None,
        difficulty: tuple[float, float] | None = None,
        source: str | None = None,
        origin: str | None = None,
        failure: str | None = None,
        search: str | None = None,
        include_decided: bool = False,
        constant_outputs: bool = False,
    ) -> tuple[str, list[Any]]:
        """The ordered ids of an annotator's queue (with `total`, the queue's full size) as
        SQL and its bound parameters. Only the tables a filter needs are joined, and the
        current verdict is computed only when a filter reads it: on 100k pairs the
        unfiltered queue reads the generations alone."""
        ctes = [
            f"{_EFFECTIVE_DECISIONS}, mine AS (SELECT generation_id, arg_max(action, id) "
            "AS action FROM effective WHERE annotator = ? GROUP BY generation_id)"
        ]
        params: list[Any] = [annotator]
        joins: list[str] = []
        where = ["g.status = 'ok'"]
        if statuses or difficulty or failure or constant_outputs:
            signals = ", signals" if constant_outputs else ""  # read only when filtered on
            ctes.append(
                f"current AS (SELECT generation_id, status, difficulty, run_id{signals} "
                "FROM verdicts "
                "QUALIFY row_number() OVER (PARTITION BY generation_id "
                "ORDER BY created_at DESC, id) = 1)"
            )
            joins.append("JOIN current v ON v.generation_id = g.id")
        if failure:
            # Pairs whose rewrite failed a test with this status, in a given validation run.
            # The few failing runs first, then only their test cases: a join of the runs
            # with every test case hashes all of them (~3x slower at 100k pairs).
            ctes.append(
                "failed_runs AS MATERIALIZED (SELECT test_case_id, run_id FROM test_runs "
                "WHERE side = 'generated' AND status = ?), "
                "failed_cases AS MATERIALIZED (SELECT id, generation_id FROM test_cases "
                "WHERE id IN (SELECT test_case_id FROM failed_runs)), "
                "failing AS (SELECT DISTINCT t.generation_id, r.run_id FROM failed_runs r "
                "JOIN failed_cases t ON t.id = r.test_case_id)"
            )
            params.append(failure)
            joins.append("LEFT JOIN failing f ON f.generation_id = g.id AND f.run_id = v.run_id")
            where.append("(v.status = ? OR f.generation_id IS NOT NULL)")
        if source or search:
            joins.append("JOIN snippets s ON s.id = g.snippet_id")
        joins.append("LEFT JOIN mine ON mine.generation_id = g.id")
        where_params: list[Any] = []
        if failure:
            where_params.append(failure)
        if statuses:
            where.append("v.status IN (SELECT unnest(?::VARCHAR[]))")
            where_params.append(list(statuses))
        if difficulty:
            where.append("v.difficulty BETWEEN ? AND ?")
            where_params += list(difficulty)
        if source:
            where.append("s.source = ?")
            where_params.append(source)
        if origin:
            where.append("g.id IN (SELECT generation_id FROM test_cases WHERE origin = ?)")
            where_params.append(origin)
        if search:
            # Text in the pair, or the pair's id (whole or its first characters).
            where.append(
                "(g.instruction ILIKE ? OR g.code ILIKE ? OR s.name ILIKE ? "
                "OR starts_with(g.id, ?))"
            )
            where_params += [f"%{search}%"] * 3 + [search.strip().lower()]
        if constant_outputs:
            where.append("coalesce((v.signals->>'constant_outputs')::BOOLEAN, false)")
        if not include_decided:
            where.append("coalesce(mine.action, 'skip') = 'skip'")
        sql = (
            f"WITH {', '.join(c.strip().removeprefix('WITH ') for c in ctes)} "
            "SELECT g.id, g.created_at, mine.action AS my_decision, count(*) OVER () AS total "
            f"FROM generations g {' '.join(joins)} WHERE {' AND '.join(where)} "
            "ORDER BY (mine.action = 'skip') NULLS FIRST, g.created_at, g.id LIMIT ?"
        )
        return sql, params + where_params + [limit]

    def review_queue_ids(
        self, annotator: str, *, limit: int = 1000, **filters: Unpack[QueueFilters]
    ) -> tuple[list[str], int]:
        """The first `limit` pair ids of an annotator's queue (same filters and order as
        `review_queue`) and the queue's full size: what the review screen needs, cheaply."""
        sql, params = self._queue_sql(annotator, limit=limit, **filters)
        rows = self.cursor().execute(sql, params).fetchall()
        return [row[0] for row in rows], (rows[0][3] if rows else 0)

    def review_queue(
        self, annotator: str, *, limit: int = 200, **filters: Unpack[QueueFilters]
    ) -> list[dict[str, Any]]:
        """Pairs for an annotator to review, filtered (`QueueFilters`); undecided first,
        skipped later."""
        sql, params = self._queue_sql(annotator, limit=limit, **filters)
        # The page of ids first, then the columns to show for those rows only.
        return self._rows(
            f"""WITH page AS MATERIALIZED ({sql}),
            shown AS MATERIALIZED (SELECT * FROM verdicts
                WHERE generation_id IN (SELECT id FROM page)
                QUALIFY row_number() OVER (PARTITION BY generation_id
                ORDER BY created_at DESC, id) = 1)
            SELECT p.id, s.name, s.source, g.backend, g.instruction, v.status, v.passed,
                v.usable, v.difficulty, v.test_strength, p.my_decision
            FROM page p JOIN generations g ON g.id = p.id JOIN snippets s ON s.id = g.snippet_id
            LEFT JOIN shown v ON v.generation_id = p.id
            ORDER BY (p.my_decision = 'skip') NULLS FIRST, p.created_at, p.id""",
            params,
        )

    def pair(self, generation_id: str) -> dict[str, Any] | None:
        """A pair with its snippet and current verdict, for the review screen."""
        rows = self._rows(
            "SELECT g.*, s.code AS original_code, s.name, s.kind, s.source, s.path, "
            "s.flags FROM generations g JOIN snippets s ON s.id = g.snippet_id WHERE g.id = ?",
            [generation_id],
        )
        if not rows:
            return None
        pair = _parse_generation_json(rows[0])
        pair["verdict"] = self.latest_verdict(generation_id)
        return pair

    def review_sources(self) -> list[str]:
        """The sources (what was ingested) that have pairs: the review screen's filter."""
        rows = self.cursor().execute(
            "SELECT DISTINCT s.source FROM snippets s WHERE s.id IN "
            "(SELECT snippet_id FROM generations) ORDER BY 1"
        )
        return [row[0] for row in rows.fetchall()]

    def decision_counts(self) -> dict[str, int]:
        """Pairs by their overall decision (see _OVERALL_DECISIONS): accept, reject, or
        disputed when the votes do not decide and no final decision settled it."""
        rows = self.cursor().execute(
            f"{_EFFECTIVE_DECISIONS}{_OVERALL_DECISIONS} "
            "SELECT decision, count(*) FROM overall GROUP BY ALL ORDER BY ALL"
        )
        return dict(rows.fetchall())

    def decision_rule(self) -> tuple[str, int]:
        """The decision rule in force and the votes a majority needs, read from the settings
        as the rule's SQL reads them (see _DECISION_RULE)."""
        sql = f"WITH {_DECISION_RULE} SELECT rule, min_votes FROM rule"
        ((rule, min_votes),) = self.cursor().execute(sql).fetchall()
        return rule, min_votes

    def overall_decisions(self) -> dict[str, str]:
        """Pair id -> its overall decision (accept, reject or disputed), for every pair
        with a vote or a final decision."""
        rows = self.cursor().execute(
            f"{_EFFECTIVE_DECISIONS}{_OVERALL_DECISIONS} "
            "SELECT generation_id, decision FROM overall ORDER BY generation_id"
        )
        return dict(rows.fetchall())

    def simulated_outcomes(self) -> list[dict[str, Any]]:
        """Each generation carrying a known mistake, with the mistake (parsed), its current
        verdict's status (None before validation) and its overall decision (None before
        any vote): what the scoreboard scores."""
        sql = f"""{_EFFECTIVE_DECISIONS}{_OVERALL_DECISIONS},
            current AS (SELECT generation_id, status FROM verdicts QUALIFY {_IS_CURRENT_VERDICT})
            SELECT g.id, g.mistake, c.status, o.decision FROM generations g
            LEFT JOIN current c ON c.generation_id = g.id
            LEFT JOIN overall o ON o.generation_id = g.id
            WHERE g.mistake IS NOT NULL ORDER BY g.created_at, g.id"""
        rows = self.cursor().execute(sql).fetchall()
        return [
            {"id": id_, "mistake": json.loads(mistake), "status": status, "decision": decision}
            for id_, mistake, status, decision in rows
        ]

    # -- export -------------------------------------------------------------------------------

    # Which pairs an export selects, by review status (see semi_core.export): the verdict
    # they need and the overall decision they have (NULL: nobody voted yet).
    EXPORT_STATUSES = {
        "accepted": ("TRUE", "d.decision = 'accept'"),
        "validated": ("v.status = 'validated'", "d.decision IS NULL"),
        "all": ("v.status = 'validated'", "TRUE"),
    }

    def export_rows(
        self,
        status: str,
        *,
        difficulty: tuple[float, float] | None = None,
        sources: Sequence[str] | None = None,
        with_disputed: bool = False,
    ) -> list[dict[str, Any]]:
        """Everything an export writes about the selected pairs, in one query: the pair, its
        snippet, current verdict, overall decision, each annotator's vote, and its usable
        test cases (oracle ok/raises, by position). `status`: a key of EXPORT_STATUSES;
        `with_disputed`: the disputed pairs with the status's verdict too (an export lists
        them as left out)."""
        verdict, decision = self.EXPORT_STATUSES[status]
        if with_disputed:
            decision = f"{decision} OR d.decision = 'disputed'"
        where = ["g.status = 'ok'", verdict, f"({decision})"]
        params: list[Any] = []
        if difficulty:
            where.append("v.difficulty BETWEEN ? AND ?")
            params += list(difficulty)
        if sources:
            where.append("s.source IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(sources))
        # Through Arrow: nested lists of structs convert to Python far faster than with
        # fetchall (100,000 pairs with 5 test cases each: about half the time).
        sql = f"""{_EFFECTIVE_DECISIONS}{_OVERALL_DECISIONS}, current AS (
                SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY generation_id
                ORDER BY created_at DESC, id) AS n FROM verdicts) WHERE n = 1),
            d AS (SELECT o.generation_id, o.decision, x.decisions FROM overall o
                LEFT JOIN (SELECT generation_id, list({{'annotator': annotator,
                'decision': vote}} ORDER BY annotator) AS decisions FROM votes
                GROUP BY generation_id) x ON x.generation_id = o.generation_id),
            t AS (SELECT generation_id, list({{'input': input, 'origin': origin,
                'expected': expected, 'oracle_status': oracle_status}} ORDER BY position)
                AS cases FROM test_cases WHERE oracle_status IN ('ok', 'raises')
                GROUP BY generation_id)
            SELECT g.id, g.instruction, g.code, g.entry_point, g.backend, g.model,
                g.prompt_hash, g.snippet_id, s.source, s.path, s.line, s.name, s.kind,
                v.run_id, v.status AS verdict_status, v.passed, v.usable, v.test_strength,
                v.difficulty, v.signals, d.decision, d.decisions, t.cases
            FROM generations g JOIN snippets s ON s.id = g.snippet_id
            LEFT JOIN current v ON v.generation_id = g.id
            LEFT JOIN d ON d.generation_id = g.id
            LEFT JOIN t ON t.generation_id = g.id
            WHERE {" AND ".join(where)} ORDER BY g.id"""
        rows = self.cursor().sql(sql, params=params).to_arrow_table().to_pylist()
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    def export_sources(self) -> dict[str, int]:
        """Sources of the pairs whose current verdict is validated, with their numbers."""
        rows = self.cursor().execute(
            "SELECT s.source, count(*) FROM (SELECT generation_id, arg_max(status, "
            "(created_at, id)) AS status FROM verdicts GROUP BY ALL) v "
            "JOIN generations g ON g.id = v.generation_id JOIN snippets s ON s.id = g.snippet_id "
            "WHERE v.status = 'validated' GROUP BY ALL ORDER BY ALL"
        )
        return dict(rows.fetchall())

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, run_id: str, kind: str, params: dict[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT INTO runs (id, kind, params, state, pid) VALUES (?, ?, ?, 'running', ?)",
                [run_id, kind, json.dumps(params), os.getpid()],
            )

    def finish_run(self, run_id: str, state: str, counts: dict[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute(
                "UPDATE runs SET state = ?, counts = ?, ended_at = current_timestamp WHERE id = ?",
                [state, json.dumps(counts), run_id],
            )

    def update_run_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Add to or overwrite a run's recorded parameters (what was chosen at its start)."""
        with self.transaction() as cur:
            cur.execute(
                "UPDATE runs SET params = json_merge_patch(params, ?) WHERE id = ?",
                [json.dumps(params), run_id],
            )

    def running_runs(self) -> list[dict[str, Any]]:
        rows = self._rows("SELECT id, pid, counts FROM runs WHERE state = 'running'")
        for row in rows:
            row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        return rows

    def update_run_progress(self, run_id: str, progress: dict[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE runs SET progress = ? WHERE id = ?", [json.dumps(progress), run_id])

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT id, kind, state, params, counts, started_at, ended_at FROM runs "
            "ORDER BY started_at DESC LIMIT ?",
            [limit],
        )
        for row in rows:
            row["params"] = json.loads(row["params"]) if row["params"] else {}
            row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        return rows

    # -- statistics --------------------------------------------------------------------------

    def counts(self) -> Counts:
        cur = self.cursor()
        entities = {
            "snippets": "snippets",
            "generations": "generations",
            "test_cases": "test_cases",
            "test_runs": "test_runs",
            "verdicts": "verdicts",
            "review_events": "review_events",
            "runs": "runs",
            "llm_cache": "llm_cache",
        }
        totals = {
            name: cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for name, table in entities.items()
        }
        by_status = {
            "snippets": dict(
                cur.execute(
                    "SELECT coalesce(rejection, 'usable'), count(*) FROM snippets "
                    "GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "snippet_kinds": dict(
                cur.execute(
                    "SELECT kind, count(*) FROM snippets GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "generations": dict(
                cur.execute(
                    "SELECT status, count(*) FROM generations GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "backends": dict(
                cur.execute(
                    "SELECT backend, count(*) FROM generations GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
            "runs": dict(
                cur.execute("SELECT state, count(*) FROM runs GROUP BY ALL ORDER BY ALL").fetchall()
            ),
            # The current verdict of each pair is its latest one.
            "verdicts": dict(
                cur.execute(
                    "SELECT status, count(*) FROM (SELECT status, row_number() OVER "
                    "(PARTITION BY generation_id ORDER BY created_at DESC, id) AS n "
                    "FROM verdicts) WHERE n = 1 GROUP BY ALL ORDER BY ALL"
                ).fetchall()
            ),
        }
        by_status["decisions"] = self.decision_counts()
        return Counts(entities=totals, by_status=by_status)

    def count_generated_snippets(self) -> int:
        """Usable snippets with at least one generation that succeeded (from any backend,
        model or prompt): the numerator of a rate over usable snippets."""
        sql = (
            "SELECT count(*) FROM snippets s WHERE s.rejection IS NULL AND EXISTS ("
            "SELECT 1 FROM generations g WHERE g.snippet_id = s.id AND g.status = 'ok')"
        )
        ((count,),) = self.cursor().execute(sql).fetchall()
        return count

    def snippet_flag_counts(self) -> dict[str, int]:
        rows = self.cursor().execute(
            "SELECT flag, count(*) FROM (SELECT unnest(flags) AS flag FROM snippets) "
            "GROUP BY ALL ORDER BY 2 DESC"
        )
        return dict(rows.fetchall())

    # -- studio views ------------------------------------------------------------------------

    def pair_overview(self) -> list[dict[str, Any]]:
        """Every generation with its snippet and current verdict (NULLs when not validated):
        what the dashboard, rankings and failure views aggregate."""
        rows = self._rows(
            "SELECT g.id, g.snippet_id, g.status AS generation_status, g.error, g.backend, "
            "s.name, s.source, s.kind, v.status AS verdict_status, v.passed, v.usable, "
            "v.total, v.test_strength, v.difficulty, v.signals, v.run_id "
            "FROM generations g JOIN snippets s ON s.id = g.snippet_id "
            "LEFT JOIN (SELECT * FROM verdicts QUALIFY row_number() OVER (PARTITION BY "
            "generation_id ORDER BY created_at DESC, id) = 1) v ON v.generation_id = g.id "
            "ORDER BY g.id"
        )
        for row in rows:
            row["signals"] = json.loads(row["signals"]) if row["signals"] else {}
        return rows

    # -- studio aggregates (computed here, so pages never load every pair) ----------------

    _SUMMARY_COLUMNS = {"difficulty": "difficulty", "test_strength": "test_strength"}
    _CELL_COLUMNS = {"tests": "usable", "cyclomatic": "(signals->>'$.rank.cyclomatic')::INT"}

    def validated_distributions(
        self, bins: dict[str, int], *, by_bucket: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Over the pairs whose current verdict is validated, for each column in `bins`
        ("difficulty", "test_strength"): count, mean, median, min and max (unmeasured
        values left out), and that many equal-width bins from its min to its max — rows
        {bin, low, high, bucket, pairs}, empty bins left out, the last bin holding the max,
        one value making one bin; per curriculum bucket when `by_bucket` (else bucket is
        None). One statement: the current verdicts are read once."""
        parts = []
        for name, count in bins.items():
            x, n = self._SUMMARY_COLUMNS[name], int(count)  # a number in the SQL text
            bucket = "bucket" if by_bucket else "NULL::VARCHAR"
            parts.append(f"""
                (SELECT {{'count': count({x}), 'mean': avg({x}), 'median': median({x}),
                          'min': min({x}), 'max': max({x})}} FROM validated) AS {name},
                (SELECT list({{'bin': bin, 'low': lo + bin * (hi - lo) / {n},
                               'high': lo + (bin + 1) * (hi - lo) / {n},
                               'bucket': bucket, 'pairs': pairs}} ORDER BY bin, bucket)
                 FROM (SELECT CASE WHEN hi = lo THEN 0 ELSE least(
                              floor(({x} - lo) / (hi - lo) * {n})::INT, {n} - 1) END AS bin,
                              {bucket} AS bucket, any_value(lo) AS lo, any_value(hi) AS hi,
                              count(*) AS pairs
                       FROM validated, (SELECT min({x}) AS lo, max({x}) AS hi FROM validated)
                       WHERE {x} IS NOT NULL GROUP BY ALL)) AS {name}_bins""")
        cur = self.cursor().execute(
            "WITH validated AS MATERIALIZED (SELECT difficulty, test_strength, "
            "coalesce(signals->>'$.rank.bucket', 'unranked') AS bucket FROM verdicts "
            f"QUALIFY {_IS_CURRENT_VERDICT} AND status = 'validated') SELECT " + ", ".join(parts)
        )
        row = dict(zip([d[0] for d in cur.description], cur.fetchone() or (), strict=True))
        return {name: {"summary": row[name], "bins": row[f"{name}_bins"] or []} for name in bins}

    def validated_cells(self, xs: Sequence[str], bins: int) -> dict[str, list[dict[str, Any]]]:
        """Validated pairs counted per value of each x in `xs` ("tests": usable tests, or
        "cyclomatic") and difficulty bin (`bins` equal bins over [0, 1], the last holding
        1) and bucket, with their mean difficulty: a scatter of 100,000 pairs drawn as a
        few hundred cells. Unranked pairs (no difficulty) are left out."""
        bins = int(bins)  # a number in the SQL text
        parts = [
            f"""(SELECT list({{'x': x, 'bin': bin, 'bucket': bucket, 'pairs': pairs,
                              'mean_difficulty': mean_difficulty}} ORDER BY x, bin, bucket)
                 FROM (SELECT {self._CELL_COLUMNS[x]} AS x,
                              least(floor(difficulty * {bins})::INT, {bins} - 1) AS bin,
                              bucket, count(*) AS pairs,
                              round(avg(difficulty), 4) AS mean_difficulty
                       FROM validated GROUP BY ALL)) AS {x}"""
            for x in xs
        ]
        cur = self.cursor().execute(
            "WITH validated AS MATERIALIZED (SELECT usable, difficulty, signals, "
            "coalesce(signals->>'$.rank.bucket', 'unranked') AS bucket FROM verdicts "
            f"QUALIFY {_IS_CURRENT_VERDICT} AND status = 'validated' AND difficulty IS NOT NULL"
            ") SELECT " + ", ".join(parts)
        )
        row = cur.fetchone() or ()
        return {x: list(cells or []) for x, cells in zip(xs, row, strict=True)}

    def source_breakdown(self) -> list[dict[str, Any]]:
        """Per source and bucket: validated pairs and their mean difficulty (unranked = 0)."""
        return self._rows(
            f"""{_VALIDATED_PAIRS}
            SELECT v.source, coalesce(v.signals->>'$.rank.bucket', 'unranked') AS bucket,
                   count(*) AS pairs, round(avg(coalesce(v.difficulty, 0)), 4) AS mean_difficulty
            FROM validated v GROUP BY ALL ORDER BY ALL"""
        )

    def validated_pairs(
        self,
        *,
        buckets: Sequence[str] = (),
        sources: Sequence[str] = (),
        cells: Sequence[tuple[str, Any, int]] = (),
        bins: int = 20,
        ids: Sequence[str] = (),
        limit: int = 1000,
    ) -> tuple[list[dict[str, Any]], int]:
        """Validated pairs in the chosen buckets and sources (both when both given), or in
        the chosen cells ((x, x value, difficulty bin) of `validated_cells` with `bins`),
        or with the given ids; easiest first, at most `limit`, and how many match in all.
        No choice, no pairs."""
        where, params = [], []
        group = []
        if buckets:
            group.append("coalesce(v.signals->>'$.rank.bucket', 'unranked') IN "
                         "(SELECT unnest(?::VARCHAR[]))")  # fmt: skip
            params.append(list(buckets))
        if sources:
            group.append("v.source IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(sources))
        if group:
            where.append("(" + " AND ".join(group) + ")")
        for x, value, bin_ in cells:
            column = {"tests": "v.usable",
                      "cyclomatic": "(v.signals->>'$.rank.cyclomatic')::INT"}[x]  # fmt: skip
            where.append(f"({column} IS NOT DISTINCT FROM ? AND "
                         "least(floor(v.difficulty * ?)::INT, ? - 1) = ?)")  # fmt: skip
            params += [value, bins, bins, bin_]
        if ids:
            where.append("v.generation_id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(ids))
        if not where:
            return [], 0
        rows = self._rows(
            f"""{_VALIDATED_PAIRS}
            SELECT v.generation_id AS pair, v.name, v.source,
                   coalesce(v.signals->>'$.rank.bucket', 'unranked') AS bucket,
                   v.difficulty, v.usable AS tests,
                   (v.signals->>'$.rank.curriculum_position')::INT AS curriculum_position,
                   (v.signals->>'$.rank.cyclomatic')::INT AS cyclomatic,
                   count(*) OVER () AS total
            FROM validated v WHERE {" OR ".join(where)}
            ORDER BY v.difficulty NULLS LAST, v.generation_id LIMIT ?""",
            [*params, limit],
        )
        total = rows[0]["total"] if rows else 0
        for row in rows:
            del row["total"]
        return rows, total

    def failure_groups(self) -> list[dict[str, Any]]:
        """Every failure (ingest rejection, generation error, validation verdict other than
        validated) grouped by stage, kind and detail, largest first, with three examples."""
        return self._rows(
            f"""{_FAILURES}
            SELECT stage, kind, detail, count(*) AS count,
                   list(coalesce(pair, snippet) ORDER BY coalesce(pair, snippet))[1:3]
                       AS examples
            FROM failures GROUP BY stage, kind, detail
            ORDER BY count DESC, stage, kind, detail"""
        )

    def failure_members(
        self, stage: str, kind: str, detail: str, limit: int = 1000
    ) -> tuple[list[dict[str, Any]], int]:
        """The failures of one group (see `failure_groups`), by id, at most `limit`, and
        how many there are in all."""
        rows = self._rows(
            f"""{_FAILURES}
            SELECT *, count(*) OVER () AS total FROM failures
            WHERE stage = ? AND kind = ? AND detail = ?
            ORDER BY coalesce(pair, snippet) LIMIT ?""",
            [stage, kind, detail, limit],
        )
        total = rows[0]["total"] if rows else 0
        for row in rows:
            del row["total"]
        return rows, total

    def first_failing_tests(self) -> list[dict[str, Any]]:
        """For each pair whose current verdict is a mismatch or a rewrite's error, its first
        failing test (the verdict's `failing[0]`): the pair, its snippet's name, kind and
        entry points, the test's position, input and expected text, and the rewrite's and
        the original's first runs on it (status, output, error). By pair id."""
        return self._rows(
            f"""
            WITH current_verdicts AS (
                SELECT generation_id, run_id, status, signals FROM verdicts
                QUALIFY {_IS_CURRENT_VERDICT}),
            picked AS (
                SELECT generation_id, run_id,
                    (signals->>'$.failing[0].position')::INT AS position
                FROM current_verdicts
                WHERE status IN ('mismatch', 'generated_error') AND position IS NOT NULL),
            cases AS MATERIALIZED (
                SELECT c.id, c.generation_id, c.position, c.input, c.expected, p.run_id
                FROM test_cases c JOIN picked p
                  ON p.generation_id = c.generation_id AND p.position = c.position)
            SELECT c.generation_id AS pair, s.name, s.kind, g.entry_point,
                s.entry_point AS original_entry_point, c.position, c.input, c.expected,
                r.status, r.output, r.error, o.output AS original_output
            FROM cases c
            JOIN generations g ON g.id = c.generation_id JOIN snippets s ON s.id = g.snippet_id
            JOIN test_runs r ON r.test_case_id = c.id AND r.run_id = c.run_id
                AND r.side = 'generated' AND r.attempt = 1
            LEFT JOIN test_runs o ON o.test_case_id = c.id AND o.run_id = c.run_id
                AND o.side = 'original' AND o.attempt = 1
            ORDER BY c.generation_id
            """
        )

    def annotator_activity(self) -> list[dict[str, Any]]:
        """Per annotator: review events by action, pairs touched, the latest event's time."""
        return self._rows(
            """SELECT annotator,
                   count(*) FILTER (WHERE action = 'accept') AS accept,
                   count(*) FILTER (WHERE action = 'reject') AS reject,
                   count(*) FILTER (WHERE action = 'skip') AS skip,
                   count(*) FILTER (WHERE action = 'undo') AS undo,
                   count(*) FILTER (WHERE action NOT IN ('accept', 'reject', 'skip', 'undo'))
                       AS other,
                   count(DISTINCT generation_id) AS pairs, arg_max(created_at, id) AS last
            FROM review_events WHERE action <> 'repair'
            GROUP BY annotator ORDER BY annotator"""
        )

    def data_version(self) -> tuple[str, int]:
        """What the studio caches its aggregates under: the stamp of the last change to
        this database file in this process (a committed write through any Store on it, or
        a Store opening it). It changes with every snippet, generation, verdict or review
        event added or changed, so aggregates cached under it are never stale, and it
        costs no query (a scan of the tables' narrow columns took ~30 ms of DuckDB's two
        threads at 100,000 pairs, on each run of a page)."""
        return self._file, _CHANGED[self._file]

    def annotator_decisions(self, generation_id: str | None = None) -> list[dict[str, Any]]:
        """Each annotator's vote per pair (current accept/reject, final decisions left
        out): the votes that agreement between annotators is measured on. With
        `generation_id`, that pair's votes only."""
        where, params = ("WHERE generation_id = ?", [generation_id]) if generation_id else ("", [])
        return self._rows(
            f"{_EFFECTIVE_DECISIONS}{_VOTES} SELECT generation_id, annotator, vote AS decision "
            f"FROM votes {where} ORDER BY generation_id, annotator",
            params,
        )

    def final_decisions(self) -> dict[str, str]:
        """Pair id -> its settled decision (the latest final event not undone)."""
        rows = self.cursor().execute(
            f"{_EFFECTIVE_DECISIONS}{_VOTES} SELECT generation_id, decision FROM finals"
        )
        return dict(rows.fetchall())

    def snippet_generations(self, snippet_id: str) -> list[dict[str, Any]]:
        """A snippet's generations, newest first (the walkthrough picks one)."""
        return self._rows(
            "SELECT id, backend, model, prompt_hash, status, created_at FROM generations "
            "WHERE snippet_id = ? ORDER BY created_at DESC, id",
            [snippet_id],
        )

    def failed_generations(self, limit: int = 10_000) -> list[dict[str, Any]]:
        return self._rows(
            "SELECT g.id, g.error, s.name, s.source FROM generations g JOIN snippets s "
            "ON s.id = g.snippet_id WHERE g.status <> 'ok' ORDER BY g.id LIMIT ?",
            [limit],
        )

    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.cursor().execute("SELECT value FROM settings WHERE key = ?", [key])
        found = rows.fetchall()
        return json.loads(found[0][0]) if found else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO settings (key, value, updated_at) "
                "VALUES (?, ?, current_timestamp)",
                [key, json.dumps(value)],
            )

    def settings(self) -> dict[str, Any]:
        rows = self.cursor().execute("SELECT key, value FROM settings ORDER BY key")
        return {key: json.loads(value) for key, value in rows.fetchall()}

    # -- bulk loading ------------------------------------------------------------------------

    BULK_TABLES = (
        "snippets", "generations", "test_cases", "test_runs", "verdicts", "review_events",
        "runs",
    )  # fmt: skip

    def engine_memory_mb(self) -> dict[str, float]:
        """What DuckDB holds in memory now, by kind (its cache of table blocks, the
        indexes of stored rows, ...), in MB: for benchmarks that report memory."""
        sql = "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0"
        rows = self.cursor().execute(sql).fetchall()
        return {tag.lower(): round(used / 1e6, 1) for tag, used in rows}

    def bulk_insert(self, table: str, rows: pa.Table) -> int:
        """Append an Arrow table's rows to one of `BULK_TABLES` in one statement (fixtures,
        benchmarks, imports: far faster than row-by-row inserts). Columns are matched by
        name; absent ones take their defaults. Verdicts are then linked to their test
        runs' numbers (see m012), generations to their test cases' (m013). Returns the
        number of rows inserted."""
        if table not in self.BULK_TABLES:
            raise StoreError(f"bulk insertion into {table!r} is not supported")
        known = {
            row[0]
            for row in self.cursor()
            .execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table])
            .fetchall()
        }
        unknown = [name for name in rows.column_names if name not in known]
        if unknown:
            raise StoreError(f"{table} has no column(s) {', '.join(unknown)}")
        columns = ", ".join(f'"{name}"' for name in rows.column_names)  # checked above
        with self.transaction() as cur:
            cur.register("incoming_rows", rows)
            try:
                cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming_rows")
            finally:
                cur.unregister("incoming_rows")
            if table in ("test_runs", "verdicts"):
                _link_verdicts_to_test_runs(cur)
            if table in ("test_cases", "generations"):
                _link_generations_to_test_cases(cur)
        return rows.num_rows
