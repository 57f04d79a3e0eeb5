"""The schema: a baseline, then ordered migrations, each a small named function run once
per database, in a transaction, and recorded in `_migrations` (as simonw/llm keeps them).
A schema change is a new function appended to the list; none is ever edited.

Databases made before the first release (by the migrations the baseline replaced) are
not upgraded: opening one says so in one sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_baseline(db: duckdb.DuckDBPyConnection) -> None:
    # Tables the long stages write to hold no index and no primary key where an id is
    # unique by construction: DuckDB keeps an index in memory whole once touched, so
    # memory would grow with the store. Instead, rows read together (a generation's test
    # cases, a pair's test runs of one validation) are numbered together from a sequence
    # and the range recorded with their owner, which DuckDB's zone maps find without an
    # index. Two writers reserving numbers at once can interleave them: a range narrows
    # the search, the owner's ids decide.
    db.execute(
        """
        CREATE TABLE snippets (
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
    db.execute(
        """
        CREATE TABLE generations (
            id VARCHAR PRIMARY KEY,          -- hash of snippet, backend, model and prompt
            snippet_id VARCHAR NOT NULL,
            backend VARCHAR NOT NULL,
            model VARCHAR,
            prompt_hash VARCHAR,
            instruction VARCHAR,             -- the current content: its latest usable attempt
            code VARCHAR,
            entry_point VARCHAR,
            raw_response VARCHAR,
            usage JSON,
            status VARCHAR NOT NULL,         -- 'ok' | 'failed'
            error VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            first_test_case BIGINT,          -- its test cases' numbers: a range
            last_test_case BIGINT,
            mistake JSON,                    -- a simulated backend's planted mistake
            attempt INTEGER DEFAULT 1        -- later attempts are repairs
        )
        """
    )
    db.execute("CREATE INDEX generations_snippet ON generations(snippet_id)")
    db.execute("CREATE SEQUENCE test_case_seq")
    db.execute(
        """
        CREATE TABLE test_cases (
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
    db.execute("CREATE SEQUENCE test_run_seq")
    db.execute(
        """
        CREATE TABLE test_runs (
            id VARCHAR NOT NULL,             -- hash of run, test case, side and attempt
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
    db.execute(
        """
        CREATE TABLE verdicts (
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
            first_test_run BIGINT,           -- the pair's test runs' numbers: a range
            last_test_run BIGINT
        )
        """
    )
    # Append-only: every decision on a pair is derived from this log.
    db.execute("CREATE SEQUENCE review_event_seq")
    db.execute(
        """
        CREATE TABLE review_events (
            id BIGINT PRIMARY KEY DEFAULT nextval('review_event_seq'),
            generation_id VARCHAR NOT NULL,
            annotator VARCHAR NOT NULL,
            action VARCHAR NOT NULL,         -- accept | reject | skip | undo | edit | note | ...
            note VARCHAR,
            payload JSON,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute("CREATE INDEX review_events_generation ON review_events(generation_id)")
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
    # Each answer of a pair that went back to the model (a repair), the first copied in
    # at its first repair, so a pair never repaired costs nothing here.
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


# The migrations the baseline replaced: a database that has any of them was made before
# the first release and is not upgraded.
PRE_RELEASE_MIGRATIONS = frozenset(
    f"m{n:03d}_{name}"
    for n, name in enumerate(
        ("create_snippets", "create_generations", "create_test_cases", "create_runs",
         "create_test_runs_and_verdicts", "create_review_events", "create_llm_cache",
         "index_lookups", "index_test_runs_by_case", "create_settings",
         "test_runs_without_primary_key", "test_runs_found_by_sequence_range",
         "test_cases_found_by_sequence_range", "snippets_without_primary_key",
         "verdicts_without_indexes", "test_cases_without_indexes", "generations_mistake",
         "generation_attempts"),
        start=1,
    )
)  # fmt: skip


def reserve_numbers(db: duckdb.DuckDBPyConnection, sequence: str, count: int) -> list[int]:
    """`count` numbers from `sequence`, ascending, in one statement (rows numbered
    together are found by their range: see `m001_baseline`)."""
    return sorted(number for (number,) in db.execute(
        f"SELECT nextval('{sequence}') FROM range(?)", [count]
    ).fetchall())  # fmt: skip


def link_generations_to_test_cases(db: duckdb.DuckDBPyConnection) -> None:
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


def link_verdicts_to_test_runs(db: duckdb.DuckDBPyConnection) -> None:
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


def unsupported_schema(db: duckdb.DuckDBPyConnection, path: str) -> str | None:
    """Why this code cannot open the database, in one sentence, or None when it can: a
    database made before the first release, or by a newer version (a migration unknown
    here). Reads only: such a file is left as it is."""
    (recorded,) = db.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_migrations'"
    ).fetchone()
    if not recorded:
        return None
    names = {name for (name,) in db.execute("SELECT name FROM _migrations").fetchall()}
    if names & PRE_RELEASE_MIGRATIONS:
        return (
            f"The database {path} was made by a pre-release version of Semi-Instruct Studio "
            "and cannot be upgraded: export what you need from it with that version, then "
            "start a new file (--db or SEMI_DB)."
        )
    if unknown := sorted(names - {step.__name__ for step in MIGRATIONS}):
        return (
            f"The database {path} was made by a newer version of Semi-Instruct Studio "
            f"(migration {unknown[-1]}); open it with that version or a later one."
        )
    return None


def migrate(
    db: duckdb.DuckDBPyConnection, migrations: Sequence[Migration] | None = None
) -> list[str]:
    """Apply the migrations (by default `MIGRATIONS`) this database has not seen; return
    their names."""
    done = set(applied_migrations(db))
    ran = []
    for step in MIGRATIONS if migrations is None else migrations:
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


@migration
def m002_bulk_actions(db: duckdb.DuckDBPyConnection) -> None:
    # A bulk decision is one row here and one ordinary review event per pair carrying its
    # id: the events count as any decision does, and the id lets undo take them back as one.
    db.execute("CREATE SEQUENCE bulk_action_seq")
    db.execute(
        """
        CREATE TABLE bulk_actions (
            id BIGINT PRIMARY KEY DEFAULT nextval('bulk_action_seq'),
            annotator VARCHAR NOT NULL,
            action VARCHAR NOT NULL,         -- accept | reject
            filters JSON,                    -- the review queue's filters it applied
            count INTEGER NOT NULL DEFAULT 0,  -- pairs it decided
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            undone_at TIMESTAMP              -- NULL until undone
        )
        """
    )
    db.execute("ALTER TABLE review_events ADD COLUMN bulk_id BIGINT")


@migration
def m003_audit_and_assignment(db: duckdb.DuckDBPyConnection) -> None:
    # An audit: a stratified random sample of validated pairs, drawn once and kept, so
    # that people's decisions on its pairs measure the precision of the filter.
    db.execute(
        """
        CREATE TABLE audits (
            id VARCHAR PRIMARY KEY,
            stratified_by VARCHAR NOT NULL,  -- bucket | source | backend
            seed BIGINT NOT NULL,
            requested INTEGER NOT NULL,      -- the sample size asked for
            population INTEGER NOT NULL,     -- validated pairs it was drawn from
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    db.execute(
        """
        CREATE TABLE audit_items (
            audit_id VARCHAR NOT NULL,
            generation_id VARCHAR NOT NULL,
            stratum VARCHAR NOT NULL,        -- the pair's bucket, source or backend
            verdict_id VARCHAR               -- the verdict it was drawn on
        )
        """
    )
    # Who holds which pair: a queue lists its annotator's pairs, claimed as it is read.
    # The holder's number and the pair's overlap place are kept with the row, so a queue
    # finds the pairs full for its reader by a filter, without counting holders.
    db.execute(
        """
        CREATE TABLE assignments (
            generation_id VARCHAR NOT NULL,
            annotator VARCHAR NOT NULL,
            slot INTEGER NOT NULL,           -- 0: its first holder, 1: its second, ...
            place DOUBLE NOT NULL,           -- the pair's overlap place, 0..1
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
    # The pairs people decided before assignment existed are held by whoever decided them.
    db.execute(
        f"""
        INSERT INTO assignments (generation_id, annotator, slot, place)
        SELECT generation_id, annotator,
            row_number() OVER (PARTITION BY generation_id ORDER BY min(id)) - 1,
            {overlap_place_sql("generation_id")}
        FROM review_events WHERE action IN ('accept', 'reject', 'skip')
        GROUP BY generation_id, annotator
        """
    )


def overlap_place_sql(pair: str) -> str:
    """SQL of a pair id's place in 0..1, from its MD5: the pair goes to two annotators
    when its place is below the overlap setting (`semi_core.assignment.overlap_place`
    computes the same in Python)."""
    return f"(('0x' || left(md5({pair}), 8))::UBIGINT / 4294967296.0)"


@migration
def m004_guidelines_and_reasons(db: duckdb.DuckDBPyConnection) -> None:
    # A reject's reasons live on its event, so that every view of the log (what counts,
    # what was undone) carries them without a join.
    db.execute("ALTER TABLE review_events ADD COLUMN reasons VARCHAR[] DEFAULT []")
    # Annotation guidelines: every save is a new version, never overwritten, so a decision
    # can be read against the guidelines of its day.
    db.execute(
        """
        CREATE TABLE guidelines (
            version INTEGER PRIMARY KEY,
            markdown VARCHAR NOT NULL,
            author VARCHAR,
            created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
        )
        """
    )
