"""Tests added by annotators, on a real DuckDB file with real sandbox workers: a pair whose
rewrite was hand-edited to go wrong only on an input no generated test covers validates,
until an annotator adds that input (in process and through the real `semi add-test`
command): then it is a mismatch, as a new validation run with the earlier verdicts kept.
Every kind of bad input is refused with one sentence and changes nothing."""

from __future__ import annotations

import json
import shutil

import pytest

from semi_core import review as review_actions
from semi_core.annotator_tests import AddTestError, add_test
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sandbox import SandboxPool
from semi_core.sources import ingest
from semi_core.store import Store
from semi_core.studio_settings import update
from semi_core.validate import validate_generation
from studio.tables import FAILED

from .conftest import run_semi, write
from .test_app import metrics, open_box, review, server_store, shown_pair, table_with, texts

SETTINGS = PipelineSettings(inputs_per_pair=5, test_strength=False, timeout_s=1.0)
FUNCTION = """
def add_one(value):
    while value == 987654:  # the original never answers on this input
        pass
    return value + 1
"""
PROGRAM = """
import sys
count = int(sys.stdin.readline())
print(count * 2)
"""
HIDDEN = 123457  # the input only the wrong rewrite answers differently
WRONG = f"""
def {{name}}(value):
    while value == 987654:
        pass
    if value == {HIDDEN}:
        return 0
    return value + 1
"""


def pair_of(store: Store, kind: str) -> str:
    # Listed without a queue: reading one would assign the pairs to its reader.
    return next(row["id"] for row in store.pair_overview()
                if store.pair(row["id"])["kind"] == kind)  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A function pair whose rewrite is wrong on HIDDEN alone (and still validated), and
    a program pair, made once."""
    folder = tmp_path_factory.mktemp("annotator")
    write(folder / "src" / "adder.py", FUNCTION)
    write(folder / "src" / "doubler.py", PROGRAM)
    path = folder / "pairs.duckdb"
    with Store(path) as store:
        ingest(store, [str(folder / "src")])
        assert run_pipeline(store, SETTINGS).state == "done"
        pair_id = pair_of(store, "function")
        pair = store.generation(pair_id)
        assert str(HIDDEN) not in [case["input"] for case in store.test_cases(pair_id)]
        review_actions.edit_pair(store, pair_id, "ada", pair["instruction"],
                  WRONG.format(name=pair["entry_point"]))  # fmt: skip
        run_pipeline(store, SETTINGS, stages=("validate",), generation_ids=[pair_id])
        assert store.latest_verdict(pair_id)["status"] == "validated"  # the tests miss it
        update(store, {"timeout_s": 1.0})  # what `semi add-test` runs with
    return path


@pytest.fixture
def pairs(template, tmp_path):
    path = tmp_path / "pairs.duckdb"
    shutil.copy(template, path)
    return path


def footprint(store: Store, pair_id: str) -> tuple:
    """What adding a test would change: test cases, verdicts, review events, runs."""
    return (
        [(c["input"], c["origin"], c["seq"]) for c in store.test_cases(pair_id)],
        [v["id"] for v in store.verdict_history(pair_id)],
        [e["id"] for e in store.review_events(pair_id)],
        [r["id"] for r in store.runs(limit=100)],
    )


def test_an_annotator_test_that_exposes_a_wrong_rewrite_makes_it_a_mismatch(pairs):
    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
        before = store.latest_verdict(pair_id)
        added = add_test(store, pair_id, "ada", args=str(HIDDEN), settings=SETTINGS)
        assert (added.verdict_before, added.verdict) == ("validated", "mismatch")
        assert (added.expected, added.rewrite_status, added.rewrite_output) == (
            str(HIDDEN + 1), "wrong", "0")  # fmt: skip
        history = store.verdict_history(pair_id)
        assert [v["status"] for v in history] == ["validated", "validated", "mismatch"]
        assert history[1]["id"] == before["id"]  # the earlier verdict is kept
        row = next(
            r for r in review_actions.test_table(store, pair_id) if r["input"] == str(HIDDEN)
        )
        assert (row["origin"], row["expected"], row["actual"], row["failing"]) == (
            "annotator", str(HIDDEN + 1), "0", True)  # fmt: skip
        (event,) = [e for e in store.review_events(pair_id) if e["action"] == "add-test"]
        assert event["annotator"] == "ada"
        assert event["payload"] == {"input": str(HIDDEN), "test_case_id": added.test_case_id}
        # the pair's test cases are still found by one tight range of numbers
        numbers = [case["seq"] for case in store.test_cases(pair_id)]
        assert max(numbers) - min(numbers) == len(numbers) - 1


def test_a_validation_read_before_a_test_was_added_does_not_replace_its_verdict(pairs):
    """A validation of the pair in flight while an annotator adds a test (a run, a rerun,
    another annotator's test) read the test cases before they were numbered again: its
    verdict, recorded last, must not become current and drop the annotator's test."""
    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
        subjects = store.validation_subjects([pair_id])
        read_before = store.test_cases_of(subjects)[pair_id]
        added = add_test(store, pair_id, "ada", args=str(HIDDEN), settings=SETTINGS)
        with SandboxPool(SETTINGS.limits()) as pool:
            stale = validate_generation(subjects[0], read_before, pool, SETTINGS.validation())
        store.record_validations(
            "in-flight", [(pair_id, stale.oracle, stale.test_runs, stale.verdict)]
        )
        current = store.latest_verdict(pair_id)
        assert (current["run_id"], current["status"]) == (added.run_id, "mismatch")


def test_an_annotator_test_that_agrees_keeps_the_verdict_and_a_program_takes_stdin(pairs):
    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
        added = add_test(store, pair_id, "ada", args="value=41", settings=SETTINGS)
        assert (added.verdict, added.rewrite_status, added.expected) == ("validated", "ok", "42")
        program = pair_of(store, "program")
        added = add_test(store, program, "bob", stdin="21\n", settings=SETTINGS)
        assert (added.expected, added.rewrite_status) == ("42\n", "ok")
        assert store.test_cases(program)[-1]["origin"] == "annotator"


def test_semi_add_test_turns_the_verdict_into_a_mismatch_and_prints_it(pairs):
    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
    result = run_semi("add-test", pair_id, "--args", str(HIDDEN), "--annotator", "ada",
                      "--json", db=pairs)  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert (printed["verdict_before"], printed["verdict"]) == ("validated", "mismatch")
    assert printed["pair_id"] == pair_id and printed["input"] == str(HIDDEN)
    again = run_semi("add-test", pair_id, "--args", "5555", "--annotator", "ada", db=pairs)
    assert again.returncode == 0, again.stderr
    assert "verdict mismatch" in again.stdout and "the rewrite agrees" in again.stdout
    with Store(pairs) as store:
        statuses = [v["status"] for v in store.verdict_history(pair_id)]
        assert statuses == ["validated", "validated", "mismatch", "mismatch"]
        assert [c["origin"] for c in store.test_cases(pair_id)][-2:] == ["annotator"] * 2


BAD_INPUTS = [
    ("function", {"args": "__import__('os').system('true')"}, "not a literal argument list"),
    ("function", {"args": "[1, 2"}, "not a literal argument list"),
    ("function", {"args": "  "}, "give the function's arguments"),
    ("function", {"args": "'text'"}, "the original raises TypeError"),
    ("function", {"args": "987654"}, "does not finish on this input within the time limit"),
    ("function", {"stdin": "3\n"}, "this pair is a function"),
    ("program", {"args": "3"}, "this pair is a program"),
    ("missing", {"args": "1"}, "no pair with id 'missing'"),
]


@pytest.mark.parametrize(("kind", "given", "sentence"), BAD_INPUTS)
def test_bad_input_gets_one_sentence_and_changes_nothing(pairs, kind, given, sentence):
    with Store(pairs) as store:
        pair_id = pair_of(store, kind) if kind != "missing" else "missing"
        before = footprint(store, pair_id)
        with pytest.raises(AddTestError, match=sentence) as refused:
            add_test(store, pair_id, "ada", settings=SETTINGS, **given)
        assert "\n" not in str(refused.value)
        assert footprint(store, pair_id) == before


def test_a_duplicate_input_is_refused_however_it_is_spaced(pairs):
    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
        existing = store.test_cases(pair_id)[0]["input"]
        respaced = f"  {existing} "
        before = footprint(store, pair_id)
        with pytest.raises(AddTestError, match="already has the test input"):
            add_test(store, pair_id, "ada", args=respaced, settings=SETTINGS)
        assert footprint(store, pair_id) == before


def test_semi_add_test_refuses_bad_input_with_one_line_and_stores_nothing(pairs):
    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
        before = footprint(store, pair_id)
    result = run_semi("add-test", pair_id, "--args", "'text'", "--annotator", "ada", db=pairs)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: the original raises TypeError")
    with Store(pairs) as store:
        assert footprint(store, pair_id) == before


# -- in the studio ---------------------------------------------------------------------------


def open_pair(monkeypatch, db_path, pair_id: str):
    """The Review page showing this pair (found by its id in the search box)."""
    app = review(monkeypatch, db_path)
    open_box(app, "f_open")
    app.text_input(key="f_search").input(pair_id).run()
    open_box(app, "f_open", False)
    assert shown_pair(app) == pair_id
    return app


def open_add_box(monkeypatch, db_path, pair_id: str):
    return open_box(open_pair(monkeypatch, db_path, pair_id), "add_test_open")


def submit(app, pair_id: str, text: str):
    app.text_input(key=f"add_test_{pair_id}").input(text)
    return app.button(key=f"FormSubmitter:add_test_form_{pair_id}-Add the test and revalidate")


def test_review_adds_a_test_that_turns_the_verdict_into_a_mismatch(monkeypatch, pairs):
    store = Store(pairs)
    pair_id = pair_of(store, "function")
    store.close()
    app = open_add_box(monkeypatch, pairs, pair_id)
    assert metrics(app)["Verdict"] == "validated"
    submit(app, pair_id, str(HIDDEN)).click().run()
    assert not app.exception
    assert metrics(app)["Verdict"] == "mismatch" and shown_pair(app) == pair_id
    assert "verdict mismatch (was validated)" in texts(app.success)
    tests = table_with(app, "#", "origin")
    added = tests[tests["input"] == str(HIDDEN)]
    assert list(added["origin"]) == ["annotator"] and list(added["result"]) == [FAILED]
    assert list(added["expected"]) == [str(HIDDEN + 1)] and list(added["actual"]) == ["0"]
    body = "".join(element.proto.body for element in app.get("html"))
    assert f"first at <code>add_one({HIDDEN})</code>" in body
    history = server_store(pairs).verdict_history(pair_id)
    assert [v["status"] for v in history] == ["validated", "validated", "mismatch"]
    (event,) = [e for e in server_store(pairs).review_events(pair_id) if e["action"] == "add-test"]
    assert event["annotator"] == "ada"


def test_review_refuses_a_bad_test_input_with_one_sentence(monkeypatch, pairs):
    store = Store(pairs)
    pair_id = pair_of(store, "function")
    before = footprint(store, pair_id)
    store.close()
    app = open_add_box(monkeypatch, pairs, pair_id)
    submit(app, pair_id, "'text'").click().run()
    assert not app.exception
    assert "the original raises TypeError" in texts(app.error)
    assert metrics(app)["Verdict"] == "validated"
    assert footprint(server_store(pairs), pair_id) == before


# -- in a real browser -------------------------------------------------------------------------


@pytest.fixture
def studio_on_pairs(pairs, tmp_path):
    """A real studio server on a copy of the template, and the function pair's id (read
    before the server takes the file)."""
    from .test_browser import Studio

    with Store(pairs) as store:
        pair_id = pair_of(store, "function")
    running = Studio(pairs, tmp_path)
    yield running, pair_id
    running.stop()


def test_in_the_browser_an_added_test_shows_its_mismatch_marked(studio_on_pairs):
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM, CHROMIUM_ARGS, Tab

    studio, pair_id = studio_on_pairs
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = Tab(browser.new_context(viewport={"width": 1400, "height": 1000}),
                  f"{studio.url}/review?annotator=ada&pair={pair_id}")  # fmt: skip
        assert tab.pair() == pair_id
        page = tab.page
        page.locator("[data-testid='stExpander']", has_text="Add a test input").locator(
            "summary").click()  # fmt: skip
        tab.idle()
        page.get_by_role("textbox", name="Arguments").fill(str(HIDDEN))
        page.get_by_role("button", name="Add the test and revalidate").click()
        page.get_by_text("verdict mismatch (was validated)").wait_for(timeout=60_000)
        tab.idle()
        tab.no_exception()
        assert page.get_by_text(f"1 of 6 tests differ; first at add_one({HIDDEN})").count() == 1
        marks = page.locator(".semi-mismatch mark")  # expected 123458, got 0: from the start
        assert [marks.nth(i).inner_text() for i in range(marks.count())] == ["1", "0"]
        # the added test's row in the tests grid (its cells, as the grid offers them)
        cells = page.locator("[data-testid='stDataFrame'] td", has_text="annotator")
        cells.first.wait_for(state="attached", timeout=30_000)  # once the grid is drawn
        assert cells.count() == 1
        browser.close()
    studio.stop()  # the server owns the file until then
    with Store(studio.db) as store:
        assert [v["status"] for v in store.verdict_history(pair_id)][-1] == "mismatch"
        assert store.test_cases(pair_id)[-1]["origin"] == "annotator"
