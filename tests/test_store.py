"""The store: migrations from an empty file and from the previous version, stable ids,
and the one-sentence message when another process holds the database."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from semi_core.store import (
    MIGRATIONS,
    DatabaseLockedError,
    Store,
    content_id,
    migrate,
)

from .conftest import held_by_another_process, run_semi

ENTITY_TABLES = {
    "snippets", "generations", "test_cases", "test_runs", "verdicts", "review_events",
    "runs", "llm_cache",
}  # fmt: skip


def tables(path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as db:
        return {row[0] for row in db.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def test_empty_file_gets_every_migration_in_order(db_path):
    with Store(db_path) as store:
        assert store.migrations() == sorted(m.__name__ for m in MIGRATIONS)
    assert ENTITY_TABLES | {"_migrations"} <= tables(db_path)


def test_migration_names_are_ordered_and_unique():
    names = [m.__name__ for m in MIGRATIONS]
    assert names == sorted(names)
    assert len(set(names)) == len(names)


def test_previous_version_upgrades_in_place_and_keeps_its_data(db_path):
    # A database made by the previous version: every migration but the last.
    with duckdb.connect(str(db_path)) as db:
        migrate(db, MIGRATIONS[:-1])
        db.execute(
            "INSERT INTO snippets (id, source, path, kind, code) "
            "VALUES ('abc', 'old', 'old.py', 'function', 'def f():\n    return 1\n')"
        )
        db.execute(
            "INSERT INTO review_events (generation_id, annotator, action) "
            "VALUES ('g', 'ann', 'accept')"
        )
        db.execute(
            "INSERT INTO test_runs (id, run_id, test_case_id, side, status, output) "
            "VALUES ('t', 'r', 'c', 'original', 'ok', '1')"
        )
    with Store(db_path) as store:
        assert store.migrations() == sorted(m.__name__ for m in MIGRATIONS)
        assert store.snippet("abc")["code"] == "def f():\n    return 1\n"
        assert store.counts().entities["review_events"] == 1
        assert store.counts().entities["test_runs"] == 1


def test_reopening_runs_no_migration_twice(db_path):
    Store(db_path).close()
    with duckdb.connect(str(db_path)) as db:
        assert migrate(db) == []


def test_content_id_is_stable_and_separates_parts():
    assert content_id("a", "b") == content_id("a", "b")
    assert content_id("ab", "") != content_id("a", "b")
    assert len(content_id("x")) == 16


@given(st.lists(st.text(), min_size=1, max_size=4))
def test_content_id_depends_only_on_the_parts(parts):
    assert content_id(*parts) == content_id(*list(parts))


@pytest.fixture
def held_database(db_path):
    with held_by_another_process(db_path) as holder:
        yield holder


def test_held_database_gives_one_clear_sentence(db_path, held_database):
    with pytest.raises(DatabaseLockedError) as caught:
        Store(db_path)
    message = str(caught.value)
    assert str(db_path) in message
    assert f"PID {held_database.pid}" in message
    assert "--db" in message
    assert "\n" not in message


def test_every_command_reports_the_held_database_without_a_traceback(db_path, held_database):
    for args in (["stats"], ["ingest", str(db_path.parent)], ["demo"]):
        result = run_semi(*args, db=db_path)
        assert result.returncode == 1, args
        assert "Traceback" not in result.stderr
        assert f"The database {db_path} is in use by PID {held_database.pid}" in result.stderr
