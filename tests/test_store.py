"""The store: migrations from an empty file and from the previous version, stable ids,
and the one-sentence message when another process holds the database."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from semi_core.store import (
    MIGRATIONS,
    DatabaseLockedError,
    Store,
    StoreError,
    content_id,
    migrate,
    schema,
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


def test_previous_version_upgrades_in_place_and_keeps_its_data(db_path, monkeypatch):
    # A database made by the previous version gets the migrations added since, in place.
    with duckdb.connect(str(db_path)) as db:
        migrate(db)
        db.execute(
            "INSERT INTO snippets (id, source, path, kind, code) "
            "VALUES ('abc', 'old', 'old.py', 'function', 'def f():\n    return 1\n')"
        )
        db.execute(
            "INSERT INTO review_events (generation_id, annotator, action) "
            "VALUES ('g', 'ann', 'accept')"
        )
        db.execute(
            "INSERT INTO verdicts (id, generation_id, run_id, passed, usable, total, status, "
            "first_test_run, last_test_run) VALUES ('v', 'g', 'r', 1, 1, 1, 'validated', 7, 9)"
        )

    def m999_snippets_note(db: duckdb.DuckDBPyConnection) -> None:
        db.execute("ALTER TABLE snippets ADD COLUMN note VARCHAR DEFAULT 'none'")

    monkeypatch.setattr(schema, "MIGRATIONS", [*MIGRATIONS, m999_snippets_note])
    with Store(db_path) as store:
        assert store.migrations() == [m.__name__ for m in MIGRATIONS] + ["m999_snippets_note"]
        assert store.snippet("abc")["code"] == "def f():\n    return 1\n"
        assert store.snippet("abc")["note"] == "none"
        assert store.counts().entities["review_events"] == 1
        verdict = store.latest_verdict("g")
        assert (verdict["id"], verdict["first_test_run"], verdict["last_test_run"]) == ("v", 7, 9)


def old_migration_list(db_path, names: list[str]) -> None:
    """A database as a migration list other than this version's left it: its record of
    migrations, and a table with a row."""
    with duckdb.connect(str(db_path)) as db:
        db.execute("CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP)")
        db.executemany("INSERT INTO _migrations (name) VALUES (?)", [[n] for n in names])
        db.execute("CREATE TABLE snippets (id VARCHAR, code VARCHAR)")
        db.execute("INSERT INTO snippets VALUES ('abc', 'x = 1')")


def test_a_pre_release_database_gets_one_message_and_is_left_as_it_is(db_path):
    # Made by the migrations the baseline replaced (m001_create_snippets ... m018): not
    # upgraded, not rebuilt, and the message says what to do.
    pre_release = ["m001_create_snippets", "m002_create_generations", "m018_generation_attempts"]
    old_migration_list(db_path, pre_release)
    for read_only in (False, True):
        with pytest.raises(StoreError) as caught:
            Store(db_path, read_only=read_only)
        message = str(caught.value)
        assert "\n" not in message
        assert str(db_path) in message and "pre-release version" in message
        assert "export what you need" in message and "start a new file" in message
    with duckdb.connect(str(db_path), read_only=True) as db:
        assert db.execute("SELECT * FROM snippets").fetchall() == [("abc", "x = 1")]
        assert sorted(n for (n,) in db.execute("SELECT name FROM _migrations").fetchall()) == (
            sorted(pre_release)
        )
        assert {t for (t,) in db.execute("SELECT table_name FROM duckdb_tables()").fetchall()} == {
            "_migrations", "snippets"
        }  # fmt: skip
    result = run_semi("stats", db=db_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "pre-release version" in result.stderr


def test_a_database_of_a_newer_version_is_not_opened(db_path):
    old_migration_list(db_path, [m.__name__ for m in MIGRATIONS] + ["m900_from_the_future"])
    with pytest.raises(StoreError, match="newer version .*m900_from_the_future"):
        Store(db_path)


def test_a_range_holding_other_pairs_runs_yields_only_the_pairs_own(store):
    # Two writers reserving numbers at once can interleave them: the range is a filter
    # on the way, the pair's test cases decide.
    store.bulk_insert("generations", pa.table({
        "id": ["a", "b"], "snippet_id": ["s", "s"], "backend": ["t", "t"], "status": ["ok"] * 2,
    }))  # fmt: skip
    for gid in ("a", "b"):
        store.bulk_insert("test_cases", pa.table({
            "id": [f"{gid}0", f"{gid}1"], "generation_id": [gid, gid], "position": [0, 1],
            "input": ["0", "1"], "origin": ["llm", "llm"],
        }))  # fmt: skip
    store.bulk_insert("test_runs", pa.table({
        "id": ["x1", "x2", "x3", "x4"], "run_id": ["r"] * 4,
        "test_case_id": ["a0", "b0", "a1", "b1"], "side": ["generated"] * 4,
        "status": ["ok", "wrong", "ok", "wrong"], "seq": [1, 2, 3, 4],
    }))  # fmt: skip
    store.bulk_insert("verdicts", pa.table({
        "id": ["va", "vb"], "generation_id": ["a", "b"], "run_id": ["r", "r"],
        "passed": [2, 0], "usable": [2, 2], "total": [2, 2],
        "status": ["validated", "mismatch"],
    }))  # fmt: skip
    assert [v["first_test_run"] for v in (store.latest_verdict(g) for g in "ab")] == [1, 2]
    assert [v["last_test_run"] for v in (store.latest_verdict(g) for g in "ab")] == [3, 4]
    statuses = {g: [(r["position"], r["status"]) for r in store.test_runs("r", g)] for g in "ab"}
    assert statuses == {"a": [(0, "ok"), (1, "ok")], "b": [(0, "wrong"), (1, "wrong")]}


def add_pair(store, gid: str, inputs: list[str]) -> None:
    store.add_snippets([{"id": "s" + gid, "source": "tests", "path": "x.py", "line": 1,
                         "name": "f", "kind": "function", "entry_point": "f",
                         "language": "python", "code": "def f(x):\n    return x\n",
                         "flags": []}])  # fmt: skip
    store.add_generation(
        {"id": gid, "snippet_id": "s" + gid, "backend": "test", "status": "ok",
         "code": "def f(x):\n    return x\n", "entry_point": "f"},
        [(text, "llm") for text in inputs],
    )  # fmt: skip


def test_batch_lookups_take_any_number_of_generations(store):
    # The validation loop reads test cases a batch at a time, through the range of
    # numbers each generation keeps: an empty batch, a generation without test
    # cases, a repeated one, and ranges with another generation's cases between them (a
    # span read at once) each give what a lookup one by one would.
    add_pair(store, "a", ["1", "0"])
    add_pair(store, "between", ["5"])
    add_pair(store, "b", ["2"])
    add_pair(store, "none", [])
    assert store.test_cases_of([]) == {}
    assert store.validation_subjects([]) == []
    subjects = {row["id"]: row for row in store.validation_subjects(["a", "b", "none"])}
    assert subjects["a"]["last_test_case"] - subjects["a"]["first_test_case"] == 1
    assert subjects["none"]["first_test_case"] is None
    found = store.test_cases_of([subjects[g] for g in ("a", "none", "b", "a")])
    assert {g: [c["input"] for c in cases] for g, cases in found.items()} == {
        "a": ["1", "0"],
        "none": [],
        "b": ["2"],
    }
    assert store.validation_subjects(["missing"]) == []


def test_generations_add_no_test_case_to_an_index_and_are_stored_once(store):
    # The generation stage adds each pair's test cases with no index to grow in memory:
    # a generation is stored once, each input text once, in the order given.
    # (What that saves shows at thousands of pairs, which `benchmarks/scale.py` measures:
    # DuckDB gives an index memory in blocks of 256 kB.)
    catalog = (
        store.cursor()
        .execute(
            "SELECT (SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'test_cases'), "
            "(SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'test_cases' "
            "AND constraint_type IN ('PRIMARY KEY', 'UNIQUE'))"
        )
        .fetchone()
    )
    assert catalog == (0, 0)
    for n in range(100):
        add_pair(store, f"g{n}", [f"{n}.{k}" for k in range(10)])
    add_pair(store, "dup", ["1", "2", "1", "3"])
    add_pair(store, "dup", ["9"])  # the same generation again: kept as first stored
    assert [(c["position"], c["input"]) for c in store.test_cases("dup")] == [
        (0, "1"), (1, "2"), (3, "3")
    ]  # fmt: skip
    assert store.counts().entities["test_cases"] == 1000 + 3
    assert [c["input"] for c in store.test_cases("g7")] == [f"7.{k}" for k in range(10)]
    assert store.test_cases("missing") == []


def test_oracle_answers_are_written_by_number_or_by_id(store):
    add_pair(store, "a", ["1", "2"])
    [subject] = store.validation_subjects(["a"])
    first, second = store.test_cases_of([subject])["a"]
    store.record_validations("r", [(
        "a",
        [{"id": first["id"], "seq": first["seq"], "expected": "1", "oracle_status": "ok"},
         {"id": second["id"], "expected": None, "oracle_status": "flaky"}],  # no number
        [], {"passed": 0, "usable": 1, "total": 2, "status": "too_few_tests"},
    )])  # fmt: skip
    answers = [(c["expected"], c["oracle_status"]) for c in store.test_cases("a")]
    assert answers == [("1", "ok"), (None, "flaky")]


def test_verdicts_hold_no_index_in_memory_and_stay_one_per_pair_and_run(store):
    # DuckDB keeps in memory every index entry a write adds, which grew a long validation
    # with the store: verdicts have no index, and recording keeps them unique.
    verdict = {"passed": 1, "usable": 1, "total": 1, "status": "validated"}
    indexes_before = store.engine_memory_mb().get("art_index", 0)
    for batch in range(10):
        store.record_validations("r", [(f"g{batch}-{n}", [], [], verdict) for n in range(500)])
    assert store.engine_memory_mb().get("art_index", 0) == indexes_before
    assert store.counts().entities["verdicts"] == 5000
    store.record_validations("r", [("g3-7", [], [], {**verdict, "status": "mismatch"})])
    store.record_validations("r2", [("g3-7", [], [], verdict)])
    assert [(v["run_id"], v["status"]) for v in store.verdict_history("g3-7")] == [
        ("r", "mismatch"),
        ("r2", "validated"),
    ]
    with pytest.raises(StoreError, match="twice"):
        store.record_validations("r3", [("g1-1", [], [], verdict)] * 2)
    assert store.counts().entities["verdicts"] == 5001


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


def test_views_give_the_latest_verdict_and_the_decisions_that_still_count(store):
    # Several verdicts per pair, stored out of time order: each pair's current verdict is
    # its latest, never its first or the last stored.
    for gid in ("a", "b", "c"):
        add_pair(store, gid, ["1"])
    history = [
        ("a3", "a", "2024-01-03", "validated"),
        ("a1", "a", "2024-01-01", "mismatch"),
        ("a2", "a", "2024-01-02", "mismatch"),
        ("b2", "b", "2024-01-02", "mismatch"),
        ("b1", "b", "2024-01-01", "validated"),
        ("c1", "c", "2024-01-01", "validated"),
    ]
    store.bulk_insert("verdicts", pa.table({
        "id": [v for v, *_ in history], "generation_id": [g for _, g, *_ in history],
        "created_at": pa.array([datetime.fromisoformat(t)
                                for _, _, t, _ in history], pa.timestamp("us")),
        "status": [s for *_, s in history], "run_id": ["r"] * 6, "passed": [1] * 6,
        "usable": [1] * 6, "total": [1] * 6,
    }))  # fmt: skip
    current = {"a": "validated", "b": "mismatch", "c": "validated"}
    assert {g: store.latest_verdict(g)["id"] for g in "abc"} == {"a": "a3", "b": "b2", "c": "c1"}
    assert {v["generation_id"]: v["status"] for v in store.current_verdicts()} == current
    assert {r["id"]: r["verdict_status"] for r in store.pair_overview()} == current
    assert store.counts().by_status["verdicts"] == {"mismatch": 1, "validated": 2}
    assert store.export_sources() == {"tests": 2}
    assert [r["generation_id"] for r in store.ranking_subjects(generation_ids=["a", "b"])] == ["a"]
    assert store.review_queue_ids("x", statuses=["mismatch"]) == (["b"], 1)

    # Decisions: one undone, two voided by a later edit, one settled by a final decision.
    event = store.add_review_event
    event("a", "x", "accept", payload={"n": 1})
    event("a", "x", "undo", payload={"undoes": store.last_undoable_event("x")["id"]})
    event("a", "y", "accept")
    event("b", "x", "accept")
    event("b", "y", "reject")
    event("b", "z", "edit")
    event("b", "x", "reject")
    event("c", "x", "accept")
    event("c", "y", "reject")
    event("c", "lead", "accept", payload={"final": True})
    assert {g: store.decisions(g) for g in "abc"} == {
        "a": {"y": "accept"},
        "b": {"x": "reject"},
        "c": {"lead": "accept", "x": "accept", "y": "reject"},
    }
    assert store.overall_decisions() == {"a": "accept", "b": "reject", "c": "accept"}
    assert store.final_decisions() == {"c": "accept"}
    assert [(d["generation_id"], d["annotator"], d["decision"])
            for d in store.annotator_decisions()] == [
        ("a", "y", "accept"), ("b", "x", "reject"), ("c", "x", "accept"), ("c", "y", "reject"),
    ]  # fmt: skip
    assert store.last_undoable_event("x")["generation_id"] == "c"
    assert store.review_queue_ids("x") == (["a"], 1)  # b and c decided by x
    exported = store.export_rows("accepted")
    assert [(r["id"], r["verdict_status"], r["decision"]) for r in exported] == [
        ("a", "validated", "accept"), ("c", "validated", "accept"),
    ]  # fmt: skip
    assert [d["annotator"] for d in exported[1]["decisions"]] == ["x", "y"]
