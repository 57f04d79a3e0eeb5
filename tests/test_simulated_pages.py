"""The simulated backend in the studio: a first start on an empty database runs the demo
through it in the background, its progress on Overview; simulated pairs are labelled;
Review keeps a pair's injected mistake hidden until the annotator has decided, then
reveals it; the scoreboard on Overview and Failures counts the mistakes by kind, each
slipped pair one click from Review. Fixtures come from the real `semi` command."""

from __future__ import annotations

import shutil
import time

import pytest

from semi_core import demo
from semi_core.jobs import JobRunner
from semi_core.scoreboard import scoreboard
from semi_core.store import Store

from .conftest import run_semi, write
from .test_add_test import open_pair
from .test_app import (
    metrics,
    open_box,
    pairs_db,  # noqa: F401 - a fixture: offline pairs only
    pairs_template,  # noqa: F401 - the fixture pairs_db is made from
    server_store,
    shown_pair,
    start_app,
    table_with,
    texts,
)

LIMIT = 12  # simulated pairs, every one given a mistake: some caught, some slipped


@pytest.fixture(scope="module")
def simulated_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("simulated") / "simulated.duckdb"
    assert run_semi("demo", db=path).returncode == 0
    # Three tests a pair: few enough that some mistake slips past them.
    made = run_semi("run", "--backend", "simulated", "--mistake-rate", "1", "--limit", str(LIMIT),
                    "--no-test-strength", "--inputs-per-pair", "3", db=path)  # fmt: skip
    assert made.returncode == 0, made.stderr
    with Store(path) as store:
        board = scoreboard(store)
        assert board.counts["caught_by_validation"] and board.slipped_ids
    return path


@pytest.fixture
def simulated_db(simulated_template, tmp_path):
    path = tmp_path / "simulated.duckdb"
    shutil.copy(simulated_template, path)
    return path


def runner(db_path):
    from studio.shared import _job_runner

    return _job_runner(str(db_path))


def board_of(db_path) -> dict:
    return scoreboard(runner(db_path).store).to_dict()


def caught_pair(db_path) -> tuple[str, dict]:
    """A pair whose mistake validation caught, with its mistake."""
    store = runner(db_path).store
    for row in store.simulated_outcomes():
        if row["status"] == "mismatch":
            return row["id"], row["mistake"]
    raise AssertionError("no caught mistake in the fixture")


def page_links(app) -> list[str]:
    """The pages linked to, by their URL names."""
    return [link.proto.page for link in app.get("page_link")]


# -- first start ------------------------------------------------------------------------------


def test_a_first_start_runs_the_demo_in_the_background_and_overview_shows_it(monkeypatch, db_path):
    monkeypatch.setenv("SEMI_DEMO_LIMIT", "5")
    monkeypatch.setattr(demo, "DEMO_FIRST_SLICE", 2)
    app = start_app(monkeypatch, db_path, load_demo_on_start=True)
    assert not app.exception
    jobs = runner(db_path)
    status = jobs.status()
    assert status.run_id is not None and status.backend == "simulated"
    assert jobs.store.count_snippets() > 164  # loaded before the first page was drawn
    assert status.title == demo.DEMO_TITLE
    assert jobs.wait(180)
    store = jobs.store
    generations = store.counts().by_status["backends"]
    assert generations == {"simulated": 5}
    runs = [r for r in reversed(store.runs(limit=10)) if r["kind"] == "pipeline"]
    assert [r["counts"]["generate"]["done"] for r in runs] == [2, 3]  # two passes
    progress = jobs.status().stages  # the live view adds the passes up
    assert [(progress[s]["done"], progress[s]["total"]) for s in ("generate", "validate")] == [
        (5, 5),
        (5, 5),
    ]
    assert all(r["params"]["backend"] == "simulated" for r in runs)
    app.run()
    assert not app.get("progress")
    assert metrics(app)["Simulated pairs"] == "5"


def test_overview_shows_each_stage_of_a_run_going_on(monkeypatch, simulated_db):
    app = start_app(monkeypatch, simulated_db)
    jobs = runner(simulated_db)
    jobs.start(demo.demo_settings(jobs.store, limit=30), stages=demo.DEMO_STAGES,
               first_slice=2, title=demo.DEMO_TITLE)  # fmt: skip
    try:
        while "generate" not in jobs.status().stages:  # the run has begun its first stage
            assert jobs.status().running
            time.sleep(0.05)
        app.run()
        shown = texts(app.info)
        assert "Running the demo, through the simulated backend" in shown
        assert {"run", "review"} <= set(page_links(app))  # follow it, review its pairs
        assert any(p.proto.text.startswith("generate: ") for p in app.get("progress"))
        with pytest.raises(RuntimeError, match="already in progress"):
            jobs.start(demo.demo_settings(jobs.store, limit=1))
    finally:
        jobs.cancel()
        assert jobs.wait(120)


def test_the_demo_is_not_loaded_while_another_run_is_going(store, tmp_path):
    """Starting the demo while a run is going is refused, as any start is, and loads
    nothing: the demo data would land in the store without the run that shows it."""
    for number in range(40):
        write(
            tmp_path / "own" / f"step_{number}.py",
            f"def step_{number}(x):\n    return x + {number}\n",
        )
    jobs = JobRunner(store)
    jobs.start(
        demo.demo_settings(store), stages=("ingest", "generate"), paths=[str(tmp_path / "own")]
    )
    try:
        while "generate" not in jobs.status().stages:  # the run has begun generating
            assert jobs.status().running
            time.sleep(0.05)
        with pytest.raises(RuntimeError, match="already in progress"):
            demo.start_demo(store, jobs)
        assert store.count_snippets() == 40
    finally:
        jobs.cancel()
        assert jobs.wait(120)


def test_a_database_with_snippets_is_left_as_it_is(monkeypatch, pairs_db):  # noqa: F811
    with Store(pairs_db) as store:
        generations = store.counts().entities["generations"]
    start_app(monkeypatch, pairs_db, load_demo_on_start=True)
    assert runner(pairs_db).status().run_id is None
    assert runner(pairs_db).store.counts().entities["generations"] == generations


# -- labels and the hidden mistake --------------------------------------------------------------


def test_review_hides_the_mistake_until_the_annotator_decides_then_reveals_it(
    monkeypatch, simulated_db
):
    pair_id, mistake = caught_pair(simulated_db)
    app = open_pair(monkeypatch, simulated_db, pair_id)
    assert not app.exception
    page = texts(app.markdown) + texts(app.caption)
    assert "simulated pair (practice)" in page
    assert "mistake" not in " ".join(e.label for e in app.expander).lower()
    assert mistake["description"] not in page

    app.button(key="reject").click().run()
    app.session_state["review_link"] = pair_id  # back to it, as a link to it opens it
    app.run()
    assert shown_pair(app) == pair_id
    assert [e.label for e in app.expander if "mistake" in e.label] == [
        "Reveal the injected mistake"
    ]
    app = open_box(app, "reveal_mistake")
    shown = texts(app.markdown)
    assert mistake["kind"] in shown and f"line {mistake['line']}" in shown
    assert mistake["description"] in shown
    assert "caught by validation" in shown


def test_after_a_decision_on_a_simulated_pair_review_offers_to_check_it(monkeypatch, simulated_db):
    """A decision moves on to the next pair: the one just decided is one click away, its
    mistake then revealed on demand."""
    pair_id, mistake = caught_pair(simulated_db)
    app = open_pair(monkeypatch, simulated_db, pair_id)
    app.button(key="accept").click().run()  # the search finds no other pair to go on to
    assert not app.exception and not any("in your queue" in c.value for c in app.caption)
    app.button(key="check_decided").click().run()
    assert shown_pair(app) == pair_id
    app = open_box(app, "reveal_mistake")
    assert mistake["description"] in texts(app.markdown)


def test_overview_counts_simulated_pairs_and_runs_list_the_backend(monkeypatch, simulated_db):
    app = start_app(monkeypatch, simulated_db)
    assert not app.exception
    assert metrics(app)["Simulated pairs"] == str(LIMIT)
    recent = table_with(app, "backend", "started")
    assert "simulated (mistake rate 1)" in list(recent["backend"])


def test_the_backends_offered_come_from_the_registry(monkeypatch, simulated_db):
    app = start_app(monkeypatch, simulated_db)
    app.switch_page("pages/run.py").run()
    assert "simulated" in app.selectbox(key="run_backend").options
    assert app.number_input(key="run_mistake_rate").value == pytest.approx(0.3)
    app.switch_page("pages/settings.py").run()
    assert "simulated" in app.selectbox(key="settings_backend").options
    app.switch_page("pages/walkthrough.py").run()
    assert "simulated" in app.radio(key="wt_backend").options


def test_a_simulated_run_from_the_run_page_is_labelled(monkeypatch, simulated_db):
    app = start_app(monkeypatch, simulated_db)
    app.switch_page("pages/run.py").run()
    app.selectbox(key="run_backend").set_value("simulated")
    app.number_input(key="run_mistake_rate").set_value(0.0)
    app.number_input(key="run_limit").set_value(2)
    app.checkbox(key="run_strength").set_value(False)
    app.button(key="FormSubmitter:run_settings-Start run").click().run()
    assert runner(simulated_db).wait(180)
    app.run()
    assert not app.exception
    cards = [e.label for e in app.expander]
    assert sum("simulated pair (practice)" in label for label in cards) == 2
    store = runner(simulated_db).store
    newest = store.runs(limit=1)[0]
    assert newest["params"]["mistake_rate"] == 0.0


def test_walkthrough_shows_a_simulated_pairs_mistake(monkeypatch, simulated_db):
    pair_id, mistake = caught_pair(simulated_db)
    snippet_id = runner(simulated_db).store.pair(pair_id)["snippet_id"]
    app = start_app(monkeypatch, simulated_db)
    app.switch_page("pages/walkthrough.py").run()
    app.selectbox(key="wt_snippet").set_value(snippet_id).run()
    assert not app.exception
    shown = texts(app.markdown)
    assert "injected mistake" in shown and mistake["description"] in shown


# -- the scoreboard ----------------------------------------------------------------------------


@pytest.mark.parametrize("page, key", [("app.py", "overview_slipped"),
                                       ("pages/failures.py", "failures_slipped")])  # fmt: skip
def test_the_scoreboard_counts_by_kind_and_opens_a_slipped_pair_in_review(
    monkeypatch, simulated_db, page, key
):
    board = board_of(simulated_db)
    app = start_app(monkeypatch, simulated_db)
    app.switch_page(page).run()
    app.sidebar.text_input(key="annotator").input("ada").run()
    assert not app.exception
    table = next(d.value for d in app.dataframe if "caught_by_validation" in d.value.columns)
    by_kind = table.set_index("kind")
    for kind, counts in board["by_kind"].items():
        for outcome in ("injected", "caught_by_validation", "equivalent", "slipped",
                        "caught_by_review", "missed_by_review"):  # fmt: skip
            assert by_kind.loc[kind, outcome] == counts[outcome]
    assert by_kind.loc["all", "injected"] == board["injected"] > 0
    assert set(app.selectbox(key=f"{key}_pair").options) == set(board["slipped_ids"])
    chosen = board["slipped_ids"][-1]
    app.selectbox(key=f"{key}_pair").set_value(chosen).run()
    app.button(key=f"{key}_open").click().run()
    assert not app.exception
    assert app.title[0].value == "Review" and shown_pair(app) == chosen


@pytest.mark.parametrize("page", ["app.py", "pages/failures.py"])
def test_no_scoreboard_without_simulated_pairs(monkeypatch, pairs_db, page):  # noqa: F811
    app = start_app(monkeypatch, pairs_db)
    app.switch_page(page).run()
    assert not app.exception
    assert not [h for h in app.subheader if "Scoreboard" in h.value]
    assert "Simulated pairs" not in metrics(app)


def test_an_empty_run_page_loads_the_demo_and_runs_it(monkeypatch, db_path):
    monkeypatch.setenv("SEMI_DEMO_LIMIT", "3")
    app = start_app(monkeypatch, db_path)  # SEMI_LOAD_DEMO=0: the studio starts empty
    assert runner(db_path).status().run_id is None
    app.switch_page("pages/run.py").run()
    app.button(key="run_demo").click().run()
    assert not app.exception
    jobs = runner(db_path)
    assert jobs.status().title == demo.DEMO_TITLE
    assert jobs.wait(180)
    assert jobs.store.counts().by_status["backends"] == {"simulated": 3}


def test_the_export_page_leaves_simulated_pairs_out_unless_asked(monkeypatch, simulated_db):
    app = start_app(monkeypatch, simulated_db)
    app.switch_page("pages/export.py").run()
    app.selectbox(key="x_status").set_value("all")

    def previewed_pairs() -> int:
        [button] = [b for b in app.button if b.label == "Preview export"]
        button.click().run()
        assert not app.exception, app.exception
        return int({m.label: m.value for m in app.metric}["Pairs"])

    assert previewed_pairs() == 0
    assert "simulated pairs left out" in texts(app.text)
    app.checkbox(key="x_simulated").check()
    validated = len(server_store(simulated_db).current_verdicts(["validated"]))
    assert validated and previewed_pairs() == validated
