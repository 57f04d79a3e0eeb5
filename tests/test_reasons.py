"""Reject reasons and annotation guidelines on a real DuckDB file: a reject's reasons are
checked against the configured list, stored on its event, dropped with its undo, found by
the queue's filter, counted, and written by the `full` export (JSON Lines and Parquet);
guidelines keep every version; the same through the `semi` command in a subprocess."""

from __future__ import annotations

import json

import duckdb
import pytest

from semi_core import guidelines
from semi_core.export import ExportOptions, export
from semi_core.review import ReviewError, decide, undo_last
from semi_core.store import Store
from semi_core.store.schema import MIGRATIONS, migrate

from .conftest import run_semi
from .test_export import add_pair, read_records

FULL_ALL = {"status": "all", "schema": "full", "humaneval": False, "dedup": False}


@pytest.fixture
def three(store):
    return [add_pair(store, name, f"def {name}(x):\n    return x + {i}\n")
            for i, name in enumerate(("alpha", "beta", "gamma"), 1)]  # fmt: skip


def test_a_reject_keeps_its_reasons_in_the_list_order(store, three):
    event = decide(store, three[0], "ada", "reject", reasons=["duplicate", "trivial"])
    [row] = [e for e in store.review_events(three[0]) if e["id"] == event]
    assert row["reasons"] == ["trivial", "duplicate"]  # the configured list's order
    assert guidelines.reason_counts(store) == [
        {"reason": "duplicate", "rejects": 1, "pairs": 1},
        {"reason": "trivial", "rejects": 1, "pairs": 1},
    ]


def test_an_unknown_reason_is_refused_with_the_list_and_nothing_recorded(store, three):
    with pytest.raises(ReviewError) as refused:
        decide(store, three[0], "ada", "reject", reasons=["too long"])
    assert str(refused.value) == (
        "unknown reject reason 'too long'; choose from: instruction wrong or vague, "
        "code not idiomatic, tests too weak, trivial, duplicate, unsafe"
    )
    assert store.review_events() == []


def test_reasons_go_with_a_reject_only(store, three):
    for action in ("accept", "skip"):
        with pytest.raises(ReviewError, match=f"reasons go with a reject only, not with {action}"):
            decide(store, three[0], "ada", action, reasons=["trivial"])
    assert store.review_events() == []
    decide(store, three[0], "ada", "accept")
    assert store.review_events()[-1]["reasons"] == []


def test_only_rejects_that_count_are_counted(store, three):
    decide(store, three[0], "ada", "reject", reasons=["trivial"])
    decide(store, three[1], "ada", "reject", reasons=["trivial", "unsafe"])
    decide(store, three[1], "bob", "reject", reasons=["trivial"])
    decide(store, three[2], "ada", "reject", reasons=["unsafe"])
    undo_last(store, "ada")  # the reject of gamma no longer counts
    decide(store, three[0], "ada", "accept")  # ada changed her mind on alpha
    assert guidelines.reason_counts(store) == [
        {"reason": "trivial", "rejects": 2, "pairs": 1},
        {"reason": "unsafe", "rejects": 1, "pairs": 1},
    ]


def test_the_queue_filter_finds_my_rejects_for_a_reason(store, three):
    decide(store, three[0], "ada", "reject", reasons=["trivial"])
    decide(store, three[1], "ada", "reject", reasons=["unsafe"])
    decide(store, three[2], "bob", "reject", reasons=["trivial"])  # bob's: not ada's filter
    ids, total = store.review_queue_ids("ada", reason="trivial")
    assert (ids, total) == ([three[0]], 1)
    assert store.review_queue_ids("bob", reason="trivial")[0] == [three[2]]
    assert store.review_queue_ids("ada", reason="duplicate") == ([], 0)


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_the_full_export_writes_the_reasons_of_each_counting_reject(store, three, tmp_path,
                                                                    suffix):  # fmt: skip
    decide(store, three[0], "ada", "reject", reasons=["unsafe", "trivial"])
    decide(store, three[0], "bob", "reject")  # a reject without a reason: not listed
    decide(store, three[0], "lin", "reject", final=True, reasons=["duplicate"])
    decide(store, three[1], "ada", "accept")
    out = tmp_path / f"full.{suffix}"
    export(store, out, ExportOptions(**FULL_ALL))
    records = {r["id"]: r["provenance"]["review"] for r in read_records(out)}
    assert records[three[0]] == {
        "decision": "reject",
        "decisions": "ada: reject; bob: reject",
        "reject_reasons": "ada: trivial, unsafe; lin (final): duplicate",
    }
    assert records[three[1]]["reject_reasons"] == ""
    assert records[three[2]] == {"decision": "", "decisions": "", "reject_reasons": ""}


def test_guidelines_keep_every_version_and_show_the_latest(store):
    assert guidelines.latest(store) is None
    first = guidelines.save(store, "# Guidelines\n\nReject trivial pairs.\n", "ada")
    second = guidelines.save(store, "# Guidelines\n\nReject trivial and unsafe pairs.\n", "lin")
    assert (first["version"], second["version"]) == (1, 2)
    assert guidelines.latest(store)["markdown"].endswith("unsafe pairs.\n")
    assert guidelines.version(store, 1)["markdown"] == "# Guidelines\n\nReject trivial pairs.\n"
    assert [(v["version"], v["author"]) for v in guidelines.versions(store)] == [
        (2, "lin"), (1, "ada")]  # fmt: skip
    with pytest.raises(guidelines.GuidelinesError, match="unchanged: the text is version 2's"):
        guidelines.save(store, second["markdown"], "ada")
    with pytest.raises(guidelines.GuidelinesError, match="the guidelines are empty"):
        guidelines.save(store, "  \n", "ada")
    with pytest.raises(guidelines.GuidelinesError, match="no guidelines version 7"):
        guidelines.version(store, 7)


def test_the_reason_list_is_configurable_and_checked(store, three):
    assert guidelines.reasons(store) == list(guidelines.DEFAULT_REASONS)
    decide(store, three[0], "ada", "reject", reasons=["unsafe"])
    assert guidelines.set_reasons(store, [" off  topic ", "", "unsafe"]) == ["off topic", "unsafe"]
    assert guidelines.reasons(store) == ["off topic", "unsafe"]
    for names, problem in (
        ([], "empty"),
        (["a", "a"], "listed twice: a"),
        (["a, b"], "comma or a semicolon"),
        (["x" * 61], "short tag"),
    ):
        with pytest.raises(guidelines.GuidelinesError, match=problem):
            guidelines.set_reasons(store, names)  # fmt: skip
    with pytest.raises(ReviewError, match="unknown reject reason 'trivial'"):
        decide(store, three[1], "ada", "reject", reasons=["trivial"])
    decide(store, three[1], "ada", "reject", reasons=["off topic"])
    # a reason taken off the list stays on the rejects that gave it
    assert {r["reason"] for r in guidelines.reason_counts(store)} == {"unsafe", "off topic"}


def test_an_older_database_gains_reasons_and_guidelines_and_keeps_its_events(db_path):
    with duckdb.connect(str(db_path)) as db:
        migrate(db, [m for m in MIGRATIONS if m.__name__ == "m001_baseline"])
        db.execute("INSERT INTO review_events (generation_id, annotator, action) "
                   "VALUES ('g', 'ada', 'reject')")  # fmt: skip
    with Store(db_path) as store:
        assert any(name.endswith("_guidelines_and_reasons") for name in store.migrations())
        [event] = store.review_events()
        assert (event["action"], event["reasons"]) == ("reject", [])
        assert store.reject_reason_counts() == [] and store.guidelines() is None


def test_reasons_and_guidelines_from_the_command_line(db_path, tmp_path):
    with Store(db_path) as store:
        pair = add_pair(store, "alpha", "def alpha(x):\n    return x + 1\n")
    unknown = run_semi("review", pair, "reject", "--reason", "boring", "--annotator", "ada",
                       db=db_path)  # fmt: skip
    assert unknown.returncode == 1 and "unknown reject reason 'boring'" in unknown.stderr
    on_accept = run_semi("review", pair, "accept", "--reason", "trivial", "--annotator", "ada",
                         db=db_path)  # fmt: skip
    assert on_accept.returncode == 1 and "reasons go with a reject only" in on_accept.stderr
    rejected = run_semi("review", pair, "reject", "--reason", "trivial", "--reason", "duplicate",
                        "--annotator", "ada", db=db_path)  # fmt: skip
    assert rejected.returncode == 0, rejected.stderr
    assert "reject (trivial, duplicate) recorded" in rejected.stdout
    history = run_semi("history", pair, db=db_path).stdout
    assert "ada reject (trivial, duplicate)" in history
    queue = run_semi("queue", "--annotator", "ada", "--reason", "duplicate", "--json", db=db_path)
    assert [row["id"] for row in json.loads(queue.stdout)] == [pair]
    listed = json.loads(run_semi("reasons", "list", "--counts", "--json", db=db_path).stdout)
    assert listed[3] == {"key": 4, "reason": "trivial", "rejects": 1}
    assert run_semi("reasons", "set", "vague", "unsafe", db=db_path).returncode == 0
    listed = json.loads(run_semi("reasons", "list", "--json", db=db_path).stdout)
    assert listed == [{"key": 1, "reason": "vague"}, {"key": 2, "reason": "unsafe"}]
    bad = run_semi("reasons", "set", "a;b", db=db_path)
    assert bad.returncode == 1 and "comma or a semicolon" in bad.stderr

    assert run_semi("guidelines", "show", db=db_path).returncode == 1
    text = tmp_path / "guidelines.md"
    for body in ("# Rules\n\nBe strict.\n", "# Rules\n\nBe strict and kind.\n"):
        text.write_text(body, encoding="utf-8")
        saved = run_semi("guidelines", "set", "--file", str(text), "--author", "lin", db=db_path)
        assert saved.returncode == 0, saved.stderr
    assert "saved guidelines version 2" in saved.stdout
    shown = run_semi("guidelines", "show", db=db_path).stdout
    assert shown.rstrip("\n") == "# Rules\n\nBe strict and kind."
    older = run_semi("guidelines", "show", "--version", "1", db=db_path).stdout
    assert "Be strict.\n" in older
    history = json.loads(run_semi("guidelines", "history", "--json", db=db_path).stdout)
    assert [(h["version"], h["author"]) for h in history] == [(2, "lin"), (1, "lin")]
