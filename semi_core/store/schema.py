"""The schema: ordered migrations, each a small named function run once per database and
recorded in `_migrations`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import duckdb

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
    link_verdicts_to_test_runs(db)


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
    link_generations_to_test_cases(db)


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


def reserve_numbers(db: duckdb.DuckDBPyConnection, sequence: str, count: int) -> list[int]:
    """`count` numbers from `sequence`, ascending, in one statement (rows numbered
    together are found by their range: see m012 and m013)."""
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
