"""The studio's part 2 pages in AppTest: each on an empty database and on the demo data
with pairs, and the numbers each chart shows checked against the store."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from semi_core import insights
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import decide, strength_figures
from semi_core.sources import ingest
from semi_core.store import Store
from studio import plots
from studio.tables import FAILED

from .conftest import ROOT, code_blocks, held_by_another_process
from .test_app import html_tables, metrics

FAST = dict(inputs_per_pair=5, test_strength=False)


def start_app(monkeypatch, db_path) -> AppTest:
    monkeypatch.setenv("SEMI_DB", str(db_path))
    monkeypatch.setenv("SEMI_LOAD_DEMO", "0")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SEMI_MODEL", "SEMI_PROMPT_TEMPLATE"):
        monkeypatch.delenv(name, raising=False)
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def open_page(monkeypatch, db_path, page: str, annotator: str | None = None) -> AppTest:
    app = start_app(monkeypatch, db_path)
    app.switch_page(page).run()
    if annotator:
        app.sidebar.text_input(key="annotator").input(annotator).run()
    assert not app.exception, app.exception
    return app


def server_store(db_path) -> Store:
    from studio.shared import _open_store

    return _open_store(str(db_path))


def texts(elements) -> str:
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in elements))


def tables(app: AppTest) -> list:
    """The static tables on the page (escaped HTML), as data frames."""
    return html_tables(app)


def table_with(app: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page with these columns: a grid (st.dataframe) or a small
    static table (HTML), its texts as a reader sees them; a chart's numbers too."""
    open_numbers(app)
    found = [d.value for d in app.dataframe] + tables(app)
    return next(t for t in found if set(columns) <= set(t.columns))


def open_numbers(app: AppTest) -> AppTest:
    """Open every chart's box of numbers on the page, as clicks on them do: a box's grid
    is drawn only while it is open."""
    closed = [e.key for e in app.expander if e.label == "Numbers" and not e.children]
    for key in closed:
        app.session_state[key] = True
    return app.run() if closed else app


def html_charts(app: AppTest) -> list[str]:
    """Charts drawn as hand-made HTML (bars, circles, a picking component): none now."""
    bodies = [e.proto.body for e in app.get("html")]
    picking = [e for e in app.get("bidi_component")
               if e.proto.component_name == "pickable_chart"]  # fmt: skip
    return [b for b in bodies if "semi-chart" in b] + picking


def plotly_charts(app: AppTest) -> dict[str, dict]:
    """Each Plotly chart on the page by its key: its figure (data and layout), as sent."""
    return {e.proto.id.rsplit("-", 1)[-1]: json.loads(e.proto.spec)
            for e in app.get("plotly_chart")}  # fmt: skip


def numbers(app: AppTest, *columns: str) -> pd.DataFrame:
    """The grid (st.dataframe) with exactly these columns: a chart's numbers, in the box
    under it (opened first: its grid is drawn only while it is open)."""
    open_numbers(app)
    return next(d.value for d in app.dataframe if list(d.value.columns) == list(columns))


def view(app: AppTest, label: str, key: str = "rank_view") -> AppTest:
    """Open the view (a tab of the tabs `key`, Rankings' by default) labelled `label`, as
    a click on it does: only the open view is drawn."""
    app.session_state[key] = label
    return app.run()


def chart_key(app: AppTest, name: str) -> str:
    """The widget key a Rankings chart is drawn under now (a pick elsewhere renews it)."""
    keys = [k for k in plotly_charts(app) if k.startswith(f"rank_{name}_")]
    assert len(keys) == 1, keys
    return keys[0]


def select(app: AppTest, key: str, points: list[dict]) -> AppTest:
    """Select points of a Plotly chart as the browser reports a selection (AppTest cannot
    click a chart): its widget state, under its key."""
    app.session_state[key] = {"selection": {"points": points, "point_indices": [],
                                            "box": [], "lasso": []}}  # fmt: skip
    return app.run()


def marks(figure: dict) -> list[dict]:
    """A figure's marks as a click reports them: each point's customdata, with its trace."""
    return [{"curve_number": n, "point_index": i, "customdata": c}
            for n, trace in enumerate(figure["data"])
            for i, c in enumerate(trace.get("customdata") or [])]  # fmt: skip


@pytest.fixture(scope="module")
def pairs_template(tmp_path_factory):
    """The demo snippets, five validated and ranked pairs, two annotators' decisions."""
    path = tmp_path_factory.mktemp("part2") / "pairs.duckdb"
    with Store(path) as store:
        load_demo(store)
        assert run_pipeline(store, PipelineSettings(limit=5, **FAST)).state == "done"
        ids = [row["id"] for row in store.pair_overview()]
        for pair_id, (a, b) in zip(ids, [("accept", "accept"), ("accept", "reject"),
                                         ("reject", "reject")], strict=False):  # fmt: skip
            decide(store, pair_id, "ada", a)
            decide(store, pair_id, "bob", b)
    return path


@pytest.fixture
def pairs_db(pairs_template, tmp_path):
    path = tmp_path / "pairs.duckdb"
    shutil.copy(pairs_template, path)
    return path


@pytest.fixture
def empty_db(tmp_path):
    return tmp_path / "empty.duckdb"


# -- Overview ---------------------------------------------------------------------------


def test_overview_empty(monkeypatch, empty_db):
    app = open_page(monkeypatch, empty_db, "app.py")
    assert "semi ingest" in texts(app.info)
    assert plotly_charts(app) == {} and html_charts(app) == []


def test_overview_funnel_matches_the_store(monkeypatch, pairs_db):
    app = open_page(monkeypatch, pairs_db, "app.py")
    counts = server_store(pairs_db).counts()
    # each chart's numbers are in a grid in a box under it
    funnel = numbers(app, "stage", "count")
    shown = dict(zip(funnel["stage"], funnel["count"], strict=True))
    assert shown == {
        "snippets": counts.entities["snippets"],
        "usable": counts.by_status["snippets"]["usable"],
        "generated": counts.by_status["generations"]["ok"],
        "validated": counts.by_status["verdicts"].get("validated", 0),
        "accepted": counts.by_status["decisions"].get("accept", 0),
        "rejected": counts.by_status["decisions"].get("reject", 0),
    }
    # the chart draws the very same numbers, as Plotly bars (no hand-made HTML chart)
    charts = plotly_charts(app)
    assert html_charts(app) == []
    (bars,) = charts["overview_funnel"]["data"]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == shown
    # one section at a time: the annotators' charts are a tab away
    assert "overview_activity" not in charts
    view(app, "Annotator activity", "overview_view")
    charts = plotly_charts(app)
    assert "overview_funnel" not in charts
    activity = table_with(app, "annotator", "pairs")
    assert list(activity["annotator"]) == ["ada", "bob"]
    assert list(activity["pairs"]) == [3, 3]
    # the activity chart stacks each annotator's decisions by action, in their colours
    drawn = {(who, trace["name"]): value for trace in charts["overview_activity"]["data"]
             for who, value in zip(trace["x"], trace["y"], strict=True)}  # fmt: skip
    for row in activity.to_dict("records"):
        for action in ("accept", "reject", "skip", "undo"):
            assert drawn[row["annotator"], action] == float(row[action])
    colours = {t["name"]: t["marker"]["color"] for t in charts["overview_activity"]["data"]}
    assert colours["skip"] == plots.GREY and colours["reject"] == plots.RED
    # throughput: each annotator's decisions per step add up to theirs
    lines = {t["name"]: sum(t["y"]) for t in charts["overview_throughput"]["data"]}
    assert lines == {row["annotator"]: row["accept"] + row["reject"] + row["skip"]
                     for row in activity.to_dict("records")}  # fmt: skip


def test_overview_numbers_follow_a_new_decision_at_once(monkeypatch, pairs_db):
    # the aggregates are cached per store version: a decision changes the version, so the
    # next run shows it (no stale numbers from the cache)
    app = view(open_page(monkeypatch, pairs_db, "app.py"), "Annotator activity", "overview_view")
    store = server_store(pairs_db)
    activity = table_with(app, "annotator", "pairs")
    assert "cy" not in list(activity["annotator"])
    pair_id = store.ranking_subjects()[0]["generation_id"]
    decide(store, pair_id, "cy", "reject")
    app.run()
    activity = table_with(app, "annotator", "pairs")
    assert list(activity["annotator"]) == ["ada", "bob", "cy"]
    funnel = numbers(view(app, "Funnel", "overview_view"), "stage", "count")
    shown = dict(zip(funnel["stage"], funnel["count"], strict=True))
    assert shown["rejected"] == store.counts().by_status["decisions"]["reject"]


# -- Agreement --------------------------------------------------------------------------


def test_agreement_empty(monkeypatch, empty_db):
    app = open_page(monkeypatch, empty_db, "pages/agreement.py")
    assert app.title[0].value == "Agreement"
    assert "more than one annotator" in texts(app.info)


def test_agreement_numbers_and_settling(monkeypatch, pairs_db):
    from semi_core.agreement import agreement_table, votes_by_pair

    app = open_page(monkeypatch, pairs_db, "pages/agreement.py", annotator="lead")
    store = server_store(pairs_db)
    expected = [row.to_dict() for row in agreement_table(votes_by_pair(store))]
    shown = table_with(app, "kappa", "shared_pairs")  # under the chart
    assert list(shown["kappa"]) == [e["kappa"] for e in expected]
    # ada/bob: accept-accept, accept-reject, reject-reject -> 2 of 3 agree
    assert list(shown["agreed"]) == [2] and list(shown["shared_pairs"]) == [3]
    assert round(float(shown["percent_agreement"][0]), 2) == 66.67
    # kappa per annotator pair, on an axis from -1 to 1
    figure = plotly_charts(app)["agreement_kappa"]
    (bars,) = figure["data"]
    assert bars["y"] == [e["kappa"] for e in expected]
    assert figure["layout"]["yaxis"]["range"] == [-1, 1]
    assert metrics(app)["Pairs reviewed by several annotators"] == "3"
    # one disagreement; settling it is a final decision that wins in the counts
    pair_id = app.selectbox(key="ag_pair").value
    before = store.decision_counts()
    app.button(key="ag_accept").click().run()
    assert not app.exception
    assert store.final_decisions() == {pair_id: "accept"}
    after = store.decision_counts()
    assert after["accept"] == before.get("accept", 0) + 1
    assert "final accept recorded" in texts(app.success)


# -- Rankings ---------------------------------------------------------------------------


def test_rankings_empty(monkeypatch, empty_db):
    app = open_page(monkeypatch, empty_db, "pages/rankings.py")
    assert app.title[0].value == "Rankings"
    assert "No validated pairs" in texts(app.info)


def test_rankings_numbers_and_from_a_bucket_to_review(monkeypatch, pairs_db):
    app = open_page(monkeypatch, pairs_db, "pages/rankings.py")
    store = server_store(pairs_db)
    ranked = store.ranking_subjects()
    hist = numbers(app, "bin", "low", "high", "bucket", "pairs")  # under each chart
    assert int(hist["pairs"].sum()) == len(ranked)  # the histogram's bins
    # the charts are Plotly, one view of them at a time: the page opens on the histogram,
    # whose bars are the store's bins, not a bar per pair
    charts = plotly_charts(app)
    assert html_charts(app) == []
    assert [k.rsplit("_", 1)[0] for k in charts] == ["rank_hist"]
    histogram = charts[chart_key(app, "hist")]["data"]
    assert sum(sum(trace["y"]) for trace in histogram) == len(ranked)
    view(app, "Buckets and sources")
    assert sorted(k.rsplit("_", 1)[0] for k in plotly_charts(app)) == [
        "rank_buckets", "rank_sources"]  # fmt: skip
    buckets = numbers(app, "bucket", "pairs")
    bucket_marks = marks(plotly_charts(app)[chart_key(app, "buckets")])
    sources = table_with(app, "source", "mean_difficulty")
    picked_sources = {
        m["customdata"][0] for m in marks(plotly_charts(app)[chart_key(app, "sources")])
    }
    # difficulty against tests: cells of pairs, each cell counted as the store has it
    view(app, "Against tests and complexity")
    charts = plotly_charts(app)
    assert sorted(k.rsplit("_", 1)[0] for k in charts) == ["rank_cyclomatic", "rank_tests"]
    by_tests = numbers(app, "tests", "low", "high", "bucket", "pairs", "mean_difficulty")
    assert int(by_tests["pairs"].sum()) == len(ranked)
    want = {}
    for r in ranked:
        cell = (r["usable"], r["signals"]["rank"]["bucket"])
        want[cell] = want.get(cell, 0) + 1
    got = {}
    for tests, bucket, pairs in zip(by_tests["tests"], by_tests["bucket"], by_tests["pairs"],
                                    strict=True):  # fmt: skip
        got[tests, bucket] = got.get((tests, bucket), 0) + pairs
    assert got == want
    stored = {}
    for r in ranked:
        bucket = r["signals"]["rank"]["bucket"]
        stored[bucket] = stored.get(bucket, 0) + 1
    assert dict(zip(buckets["bucket"], buckets["pairs"], strict=True)) == stored
    # a circle per cell, picked by its x value and difficulty bin
    cells = marks(charts[chart_key(app, "tests")])
    assert len(cells) == len(by_tests)
    assert sorted(c["customdata"][0] for c in cells) == sorted(by_tests["tests"])
    # a bar per bucket, and a bar (stacked by bucket) per source, picked by it
    assert [m["customdata"] for m in bucket_marks] == [[b] for b in buckets["bucket"]]
    assert picked_sources == set(sources["source"])
    # a click on a cell, as the chart reports it, lists the pairs behind the cell
    cell = cells[0]
    select(app, chart_key(app, "tests"), [cell])
    assert not app.exception
    value, bin_ = cell["customdata"][:2]
    rows, total = store.validated_pairs(cells=[("tests", value, bin_)])
    listed = table_with(app, "pair", "curriculum_position")
    assert total > 0 and set(listed["pair"]) == {row["pair"] for row in rows}
    assert f"{total} pairs match" in texts(app.caption)
    assert "Picked in difficulty against tests" in texts(app.caption)
    # points a chart has no mark for (made up) pick nothing
    select(app, chart_key(app, "tests"), [{"customdata": "odd"}, {"x": 1}])
    assert not app.exception and "Nothing picked yet" in texts(app.caption)
    # the latest pick decides: the cells' chart and the buckets' are drawn in one view
    # (the first of the two charts there is picked from below); a bucket picked after a
    # cell replaces the cell's pick, and the cells' chart is drawn afresh (a new key: its
    # selection cleared)
    select(app, chart_key(app, "tests"), [cell])
    assert "Picked in difficulty against tests" in texts(app.caption)
    # a view closed drops its chart's pick with the chart: the pairs listed are those of
    # a chart on view
    view(app, "Buckets and sources")
    assert "Nothing picked yet" in texts(app.caption)
    view(app, "Against tests and complexity")
    select(app, chart_key(app, "tests"), [cell])
    select(
        app,
        chart_key(app, "cyclomatic"),
        marks(plotly_charts(app)[chart_key(app, "cyclomatic")])[:1],
    )
    assert "Picked in difficulty against complexity" in texts(app.caption)
    before = chart_key(app, "cyclomatic")
    select(app, chart_key(app, "tests"), [cell])
    assert not app.exception
    assert chart_key(app, "cyclomatic") != before
    assert "Picked in difficulty against tests" in texts(app.caption)
    view(app, "Buckets and sources")
    bucket = buckets["bucket"][0]
    bar = next(m for m in marks(plotly_charts(app)[chart_key(app, "buckets")])
               if m["customdata"] == [bucket])  # fmt: skip
    select(app, chart_key(app, "buckets"), [bar])
    assert not app.exception
    assert f"{stored[bucket]} pairs match" in texts(app.caption)
    assert "Picked in the curriculum buckets" in texts(app.caption)
    listed = table_with(app, "pair", "curriculum_position")
    assert set(listed["bucket"]) == {bucket}
    # a pick in a list is the latest too: it clears the bucket chart's pick
    bucket = buckets["bucket"].iloc[-1]
    before = chart_key(app, "buckets")
    app.selectbox(key="rank_bucket").select(bucket).run()
    assert chart_key(app, "buckets") != before
    listed = table_with(app, "pair", "curriculum_position")
    assert len(listed) == stored[bucket] and set(listed["bucket"]) == {bucket}
    assert f"{stored[bucket]} pairs match" in texts(app.caption)
    # and a chart's pick after it sets the list back to (any)
    view(app, "Difficulty distribution")
    bar = next(m for m in marks(plotly_charts(app)[chart_key(app, "hist")]))
    select(app, chart_key(app, "hist"), [bar])
    assert app.selectbox(key="rank_bucket").value == "(any)"
    want = store.validated_pairs(difficulty_bins=[bar["customdata"][0]])[1]
    assert f"{want} pairs match" in texts(app.caption)
    # from the pairs listed on to Review
    pair_id = app.selectbox(key="rank_selected_pair").value
    app.button(key="rank_selected_open").click().run()
    assert not app.exception
    assert app.session_state["review_pair"] == pair_id


# -- Failures ---------------------------------------------------------------------------


def test_failures_empty(monkeypatch, empty_db):
    app = open_page(monkeypatch, empty_db, "pages/failures.py")
    assert app.title[0].value == "Failures"
    assert "No failures" in texts(app.info)


def test_failures_groups_and_the_failing_test(monkeypatch, pairs_db):
    with Store(pairs_db) as store:
        pair_id = store.ranking_subjects()[0]["generation_id"]
        pair = store.pair(pair_id)
        # a rewrite that answers wrongly on every input: a mismatch in a new validation
        broken = f"def {pair['entry_point']}(*args, **kwargs):\n    return 'wrong answer'\n"
        store.update_generation(pair_id, pair["instruction"], broken)
        run_pipeline(store, PipelineSettings(**FAST), stages=("validate",),
                     generation_ids=[pair_id])  # fmt: skip
        assert store.latest_verdict(pair_id)["status"] != "validated"
    app = open_page(monkeypatch, pairs_db, "pages/failures.py")
    store = server_store(pairs_db)
    groups = insights.failure_groups(store)
    by_kind = numbers(app, "stage", "kind", "count")  # under the chart
    assert int(by_kind["count"].sum()) == sum(g["count"] for g in groups)
    counts = store.counts().by_status
    rejected = sum(n for k, n in counts["snippets"].items() if k != "usable")
    assert int(by_kind[by_kind["stage"] == "ingest"]["count"].sum()) == rejected
    # the chart draws the same rows as Plotly bars: a bar per kind, stacked by stage
    assert html_charts(app) == []
    charts = plotly_charts(app)
    want: dict[tuple[str, str], int] = {}
    for g in groups:
        want[g["stage"], g["kind"]] = want.get((g["stage"], g["kind"]), 0) + g["count"]
    drawn = {(trace["name"], kind): value for trace in charts["fail_kinds_0"]["data"]
             for kind, value in zip(trace["x"], trace["y"], strict=True)}  # fmt: skip
    assert drawn == want
    # a click on the mismatch bar lists its pairs, each one click from Review
    bar = next(m for m in marks(charts["fail_kinds_0"])
               if m["customdata"] == ["validate", "mismatch"])  # fmt: skip
    select(app, "fail_kinds_0", [bar])
    assert not app.exception
    assert "1 failures of the bars selected." in texts(app.caption)
    listed = table_with(app, "pair", "kind", "detail", "test")
    assert list(listed["pair"]) == [pair_id]
    assert app.selectbox(key="fail_kind_pairs_pair").value == pair_id
    # one view at a time: by source, the same failures in all, and the kinds' pick gone
    # with its chart
    view(app, "By source", "fail_view")
    charts = plotly_charts(app)
    assert list(charts) == ["fail_sources_0"]
    assert sum(sum(t["x"]) for t in charts["fail_sources_0"]["data"]) == sum(want.values())
    assert "Click a bar" in texts(app.caption)
    # a bar of one source's ingest rejections lists them
    segment = next(m for m in marks(charts["fail_sources_0"])
                   if m["customdata"][1] == "ingest")  # fmt: skip
    source, _, kind = segment["customdata"]
    select(app, "fail_sources_0", [segment])
    assert not app.exception
    rejected = table_with(app, "snippet", "name", "kind", "detail")
    snippets = {s["id"]: s for s in store.snippets(limit=10_000)}
    assert len(rejected) and set(rejected["kind"]) == {kind}
    assert {snippets[i]["source"] for i in rejected["snippet"]} == {source}
    assert f"{len(rejected)} failures of the bars selected." in texts(app.caption)
    validate = by_kind[by_kind["stage"] == "validate"]
    assert int(validate["count"].sum()) == 1 and list(validate["kind"]) == ["mismatch"]
    # a kind picked: only its groups are offered
    view(app, "Groups and their pairs", "fail_view")
    app.selectbox(key="fail_kind").select("mismatch").run()
    assert not app.exception
    options = app.selectbox(key="fail_group").options
    assert options and all(" · mismatch · " in o for o in options)
    # pick the mismatch group: its pair, with the failing tests highlighted
    group = next(o for o in options if "mismatch" in o)
    app.selectbox(key="fail_group").select(group).run()
    assert not app.exception
    assert app.selectbox(key="fail_pairs_pair").value == pair_id
    tests = table_with(app, "test", "rewrite_status")
    failing = {f["position"] for f in store.latest_verdict(pair_id)["signals"]["failing"]}
    marked = tests[tests["result"] == FAILED]
    assert failing and set(marked["test"]) == failing
    assert set(marked["rewrite_status"]) == {"wrong"}
    # each test's result is a word with its icon, never a bare True or False
    assert not any(pd.api.types.is_bool_dtype(t) for t in tests.dtypes)
    assert "return 'wrong answer'" in code_blocks(app)[1][0]


# -- Prompt and settings ----------------------------------------------------------------


def test_settings_page_saves_a_prompt_version_and_settings(monkeypatch, empty_db):
    from semi_core import studio_settings
    from semi_core.generate.prompt import load_template

    app = open_page(monkeypatch, empty_db, "pages/settings.py")
    assert app.title[0].value == "Prompt and settings"
    default = load_template()
    assert app.text_area(key="settings_template").value == default.text
    # a template without $code is refused with a message, nothing saved
    app.text_area(key="settings_template").input("<!-- role: user -->\nno placeholder").run()
    app.button(key="settings_save_template").click().run()
    assert not app.exception and "$code" in texts(app.error)
    store = server_store(empty_db)
    assert store.get_setting("prompt_template") is None
    edited = default.text + "\nAnswer briefly.\n"
    app.text_area(key="settings_template").input(edited).run()
    app.button(key="settings_save_template").click().run()
    assert not app.exception
    active = studio_settings.active_template(store)
    assert active.text == edited and active.hash != default.hash
    assert [v["hash"] for v in studio_settings.template_versions(store)] == [active.hash]
    assert f"Saved prompt version {active.hash}" in texts(app.success)
    # LLM, sandbox and validation settings
    app.text_input(key="settings_model").input("qwen2.5-coder")
    app.number_input(key="settings_min_tests").set_value(5)
    app.number_input(key="settings_timeout").set_value(3.0)
    app.button[-1].click().run()  # the form's submit button
    assert not app.exception
    overrides = studio_settings.pipeline_overrides(store)
    assert overrides["model"] == "qwen2.5-coder" and overrides["min_usable_tests"] == 5
    assert overrides["timeout_s"] == 3.0 and overrides["prompt_template"] == active.path
    assert overrides["backend"] == "offline"


# -- Walkthrough ------------------------------------------------------------------------


def test_walkthrough_empty(monkeypatch, empty_db):
    app = open_page(monkeypatch, empty_db, "pages/walkthrough.py")
    assert app.title[0].value == "Walkthrough"
    assert "No usable snippets" in texts(app.info)


def test_walkthrough_takes_one_snippet_through_the_three_steps(monkeypatch, pairs_db):
    with Store(pairs_db) as store:
        done = {row["snippet_id"] for row in store.pair_overview()}
        fresh = next(s["id"] for s in store.snippets(limit=1000, usable=True)
                     if s["id"] not in done and s["kind"] == "function")  # fmt: skip
    app = open_page(monkeypatch, pairs_db, "pages/walkthrough.py")
    app.selectbox(key="wt_snippet").select(fresh).run()
    assert "rule-based" in texts(app.caption)
    assert "Not generated yet" in texts(app.caption)
    app.button(key="wt_generate").click().run()
    assert not app.exception and not app.error, texts(app.error)
    store = server_store(pairs_db)
    [generation] = store.snippet_generations(fresh)
    pair = store.pair(generation["id"])
    assert pair["instruction"] in [m.value for m in app.markdown]  # Markdown, rendered
    inputs = table_with(app, "position", "input", "origin")
    cases = store.test_cases(generation["id"])
    assert list(inputs["input"]) == [c["input"] for c in cases]
    assert list(inputs["origin"]) == [c["origin"] for c in cases]
    app.button(key="wt_validate").click().run()
    assert not app.exception and not app.error, texts(app.error)
    verdict = store.latest_verdict(generation["id"])
    shown = metrics(app)
    assert shown["Verdict"] == verdict["status"]
    assert shown["Tests passed"] == f"{verdict['passed']}/{verdict['usable']}"
    # the same figures, written the same way, as Review shows beside a verdict
    assert [(k, shown[k]) for k, _ in strength_figures(verdict)] == strength_figures(verdict)
    tests = table_with(app, "test", "oracle")
    oracle = {c["position"]: c["expected"] for c in store.test_cases(generation["id"])}
    assert {t: o for t, o in zip(tests["test"], tests["oracle"], strict=True)} == oracle
    if verdict["status"] == "validated":
        assert set(tests["rewrite_status"]) == {"ok"}
        app.button(key="wt_rank").click().run()
        assert not app.exception and not app.error, texts(app.error)
        ranked = store.latest_verdict(generation["id"])
        shown = metrics(app)
        assert shown["Difficulty"] == f"{ranked['difficulty']:.3f}"
        assert shown["Bucket"] == ranked["signals"]["rank"]["bucket"]


def test_walkthrough_shows_the_openai_prompt(monkeypatch, pairs_db):
    from semi_core.generate.base import SnippetView
    from semi_core.generate.prompt import load_template

    app = open_page(monkeypatch, pairs_db, "pages/walkthrough.py")
    app.radio(key="wt_backend").set_value("openai").run()
    assert not app.exception
    snippet = server_store(pairs_db).snippet(app.selectbox(key="wt_snippet").value)
    messages = load_template().render(SnippetView.from_row(snippet))
    assert messages[-1]["content"] in texts(app.text)


# -- every new page ---------------------------------------------------------------------

NEW_PAGES = {
    "pages/walkthrough.py": "Walkthrough",
    "pages/rankings.py": "Rankings",
    "pages/failures.py": "Failures",
    "pages/settings.py": "Prompt and settings",
    "pages/agreement.py": "Agreement",
}


@pytest.mark.parametrize("page", NEW_PAGES)
def test_every_new_page_renders_with_the_demo_data(monkeypatch, pairs_db, page):
    app = open_page(monkeypatch, pairs_db, page, annotator="ada")
    assert app.title[0].value == NEW_PAGES[page]
    assert f"`{pairs_db}`" in texts(app.sidebar.caption)  # inside app.py's layout


def test_a_held_database_shows_one_message_on_the_new_pages(monkeypatch, empty_db):
    with held_by_another_process(empty_db) as holder:
        for page in NEW_PAGES:
            app = start_app(monkeypatch, empty_db)
            app.switch_page(page).run()
            assert not app.exception
            assert f"is in use by PID {holder.pid}" in texts(app.error)


def test_cached_figures_follow_writes_at_once(monkeypatch, pairs_db, tmp_path):
    # Overview's rates and Walkthrough's snippets are read once per store version: a
    # decision or an ingest changes the version, so the very next run shows it
    app = open_page(monkeypatch, pairs_db, "app.py")
    store = server_store(pairs_db)

    def accepted_share() -> str:
        rates = table_with(app, "rate", "value")
        return dict(zip(rates["rate"], rates["value"], strict=True))["accepted / decided"]

    before = accepted_share()
    for subject in store.ranking_subjects()[:3]:
        decide(store, subject["generation_id"], "cy", "accept")
    app.run()
    f = {row["stage"]: row["count"] for row in insights.funnel(store)}
    assert accepted_share() == f"{100 * f['accepted'] / (f['accepted'] + f['rejected']):.1f}%"
    assert accepted_share() != before
    app.switch_page("pages/walkthrough.py").run()
    assert not app.exception
    source = tmp_path / "fresh_corpus"
    source.mkdir()
    (source / "fresh.py").write_text("def brand_new_helper(x):\n    return x * 3 + 1\n")
    ingest(store, [source])
    app.run()
    offered = app.selectbox(key="wt_snippet").options  # as the list shows them
    assert any(name.startswith("brand_new_helper") for name in offered)
