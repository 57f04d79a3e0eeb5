"""The newer charts on their pages, in AppTest: a lasso round pairs of the difficulty
against test strength scatter lists those pairs, and the Run page draws the run's verdicts
over time. (AppTest cannot click a Plotly chart: a selection is set as the browser reports
it, under the chart's key.)"""

from __future__ import annotations

from collections import Counter

import pytest

from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.sources import ingest
from semi_core.store import Store
from studio import plots

from .test_app_jobs import run_page
from .test_app_part2 import (
    chart_key,
    marks,
    open_page,
    plotly_charts,
    select,
    table_with,
    texts,
    view,
)
from .test_run_page import corpus_of


@pytest.fixture(scope="module")
def strength_db(tmp_path_factory):
    """The demo, eight pairs validated with test strength measured, and ranked."""
    path = tmp_path_factory.mktemp("strength") / "strength.duckdb"
    with Store(path) as store:
        load_demo(store)
        settings = PipelineSettings(limit=8, inputs_per_pair=4, test_strength=True)
        assert run_pipeline(store, settings).state == "done"
    return path


def test_a_lasso_round_points_lists_those_pairs(monkeypatch, strength_db, tmp_path):
    db = tmp_path / "copy.duckdb"
    db.write_bytes(strength_db.read_bytes())
    app = view(open_page(monkeypatch, db, "pages/rankings.py"), "Against test strength")
    figure = plotly_charts(app)[chart_key(app, "points")]
    points = marks(figure)
    with Store(db) as store:
        ranked = store.validated_points(1000)[0]
    assert sorted(p["customdata"][0] for p in points) == sorted(r["pair"] for r in ranked)
    # a lasso round the first two points: the browser reports both
    chosen = points[:2]
    select(app, chart_key(app, "points"), chosen)
    assert not app.exception
    listed = table_with(app, "pair", "curriculum_position")
    assert sorted(listed["pair"]) == sorted(p["customdata"][0] for p in chosen)
    assert "2 pairs match" in texts(app.caption)
    assert "Picked in difficulty against test strength" in texts(app.caption)


def test_the_run_page_draws_the_runs_verdicts_over_time(monkeypatch, db_path, tmp_path):
    from studio.shared import _job_runner, _open_store

    app = run_page(monkeypatch, db_path)
    store = _open_store(str(db_path))
    ingest(store, [corpus_of(tmp_path, 4)])
    runner = _job_runner(str(db_path))
    runner.start(PipelineSettings(inputs_per_pair=5, test_strength=False))
    assert runner.wait(120)
    app.run()
    assert not app.exception
    run_id = runner.status().run_id
    figure = plotly_charts(app)[f"run_verdicts_{run_id}"]
    stored = Counter(
        status for (status,) in store.cursor().execute(
            "SELECT status FROM verdicts WHERE run_id = ?", [run_id]).fetchall()
    )  # fmt: skip
    assert stored
    assert {t["name"]: t["y"][-1] for t in figure["data"]} == stored  # totals at the end
    for trace in figure["data"]:
        assert trace["line"]["color"] == plots.VERDICT_COLOURS.get(trace["name"], plots.GREY)
