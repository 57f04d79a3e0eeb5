"""The studio's part 2 pages in AppTest: each on an empty database and on the demo data
with pairs, and the numbers each chart shows checked against the store."""

from __future__ import annotations

import html
import json
import re
import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from semi_core import insights
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import decide
from semi_core.store import Store

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
    static table (HTML), its texts as a reader sees them."""
    found = [d.value for d in app.dataframe] + tables(app)
    return next(t for t in found if set(columns) <= set(t.columns))


def chart_scripts(app: AppTest) -> list:
    """The elements drawn by a chart library (Plotly, Vega-Lite): none on any page, whose
    charts are HTML."""
    return [*app.get("plotly_chart"), *app.get("vega_lite_chart")]


def html_charts(app: AppTest) -> list[list[dict]]:
    """Each chart drawn as HTML bars (`html_bars`), as its bars: {category, series, value}
    read from the bars' data attributes."""
    charts = []
    for element in app.get("html"):
        for chart in element.proto.body.split('<div class="semi-chart">')[1:]:
            bars = re.findall(r'data-category="(.*?)" data-series="(.*?)" data-value="(.*?)"',
                              chart)  # fmt: skip
            charts.append([{"category": html.unescape(c), "series": html.unescape(s),
                            "value": float(v)} for c, s, v in bars])  # fmt: skip
    return charts


def pickable_charts(app: AppTest) -> dict[str, list[dict]]:
    """Each chart a click picks from, by its key: what a click on each of its marks (a
    circle or a bar's segment) picks, their `data-pick` fields."""
    charts = {}
    for element in app.get("bidi_component"):
        if element.proto.component_name == "pickable_chart":
            body = json.loads(element.proto.json)["html"]
            picks = re.findall(r'class="(?:dot|seg|hseg)"[^>]*?data-pick="([^"]*)"', body)
            charts[element.proto.id.rsplit("-", 1)[-1]] = [json.loads(html.unescape(p))
                                                           for p in picks]  # fmt: skip
    return charts


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
    assert chart_scripts(app) == []


def test_overview_funnel_matches_the_store(monkeypatch, pairs_db):
    app = open_page(monkeypatch, pairs_db, "app.py")
    counts = server_store(pairs_db).counts()
    # each chart's table is folded under it, in the chart's own HTML element
    (chart,) = [e.proto.body for e in app.get("html") if "semi-chart" in e.proto.body][:1]
    assert '<details class="semi-fold"><summary>Table</summary>' in chart
    assert chart.index("semi-chart") < chart.index("<table>")
    funnel = tables(app)[0]
    shown = dict(zip(funnel["stage"], funnel["count"], strict=True))
    assert shown == {
        "snippets": counts.entities["snippets"],
        "usable": counts.by_status["snippets"]["usable"],
        "generated": counts.by_status["generations"]["ok"],
        "validated": counts.by_status["verdicts"].get("validated", 0),
        "accepted": counts.by_status["decisions"].get("accept", 0),
        "rejected": counts.by_status["decisions"].get("reject", 0),
    }
    # the chart draws the very same numbers, as HTML bars (no chart script on the page)
    assert chart_scripts(app) == []
    bars = html_charts(app)[0]
    assert {bar["category"]: bar["value"] for bar in bars} == shown
    activity = [t for t in tables(app) if "annotator" in t.columns][0]
    assert list(activity["annotator"]) == ["ada", "bob"]
    assert list(activity["pairs"]) == [3, 3]
    # the activity chart stacks each annotator's decisions by action
    drawn = {(b["category"], b["series"]): b["value"] for b in html_charts(app)[-1]}
    for row in activity.to_dict("records"):
        for action in ("accept", "reject", "skip", "undo"):
            assert drawn[row["annotator"], action] == float(row[action])


def test_overview_numbers_follow_a_new_decision_at_once(monkeypatch, pairs_db):
    # the aggregates are cached per store version: a decision changes the version, so the
    # next run shows it (no stale numbers from the cache)
    app = open_page(monkeypatch, pairs_db, "app.py")
    store = server_store(pairs_db)
    activity = [t for t in tables(app) if "annotator" in t.columns][0]
    assert "cy" not in list(activity["annotator"])
    pair_id = store.ranking_subjects()[0]["generation_id"]
    decide(store, pair_id, "cy", "reject")
    app.run()
    activity = [t for t in tables(app) if "annotator" in t.columns][0]
    assert list(activity["annotator"]) == ["ada", "bob", "cy"]
    funnel = tables(app)[0]
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
    shown = tables(app)[0]  # folded under the chart
    assert list(shown["kappa"]) == [e["kappa"] for e in expected]
    # ada/bob: accept-accept, accept-reject, reject-reject -> 2 of 3 agree
    assert list(shown["agreed"]) == [2] and list(shown["shared_pairs"]) == [3]
    assert round(float(shown["percent_agreement"][0]), 2) == 66.67
    (bars,) = html_charts(app)  # kappa per annotator pair, on an axis from -1 to 1
    assert [bar["value"] for bar in bars] == [e["kappa"] for e in expected]
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
    shown = tables(app)  # each chart's table, folded under it
    assert int(shown[0]["pairs"].sum()) == len(ranked)  # the histogram's bins
    # no chart script on the page; the histogram's bars (HTML: nothing is picked on it)
    # are the table's rows (the store's bins), not one bar per pair
    assert chart_scripts(app) == []
    (bars,) = html_charts(app)
    assert sum(bar["value"] for bar in bars) == len(ranked)
    picks = pickable_charts(app)  # the charts a click picks from: what each mark picks
    assert sorted(picks) == ["rank_buckets", "rank_cyclomatic", "rank_sources", "rank_tests"]
    # difficulty against tests: cells of pairs, each cell counted as the store has it
    by_tests = shown[1]
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
    buckets = [t for t in shown if list(t.columns) == ["bucket", "pairs"]][0]
    stored = {}
    for r in ranked:
        bucket = r["signals"]["rank"]["bucket"]
        stored[bucket] = stored.get(bucket, 0) + 1
    assert dict(zip(buckets["bucket"], buckets["pairs"], strict=True)) == stored
    # a circle per cell, picked by its x value and difficulty bin
    assert len(picks["rank_tests"]) == len(by_tests)
    assert all(sorted(p) == ["bin", "tests"] for p in picks["rank_tests"])
    assert sorted(p["tests"] for p in picks["rank_tests"]) == sorted(by_tests["tests"])
    # a bar per bucket, and a bar (stacked by bucket) per source, picked by it
    assert picks["rank_buckets"] == [{"bucket": b} for b in buckets["bucket"]]
    sources = table_with(app, "source", "mean_difficulty")
    assert {p["source"] for p in picks["rank_sources"]} == set(sources["source"])
    # a click on a cell, as the chart reports it, lists the pairs behind the cell
    cell = picks["rank_tests"][0]
    app.session_state["rank_tests"] = {"picked": [cell]}
    app.run()
    assert not app.exception
    rows, total = store.validated_pairs(cells=[("tests", cell["tests"], cell["bin"])])
    listed = table_with(app, "pair", "curriculum_position")
    assert total > 0 and set(listed["pair"]) == {row["pair"] for row in rows}
    assert f"{total} pairs match" in texts(app.caption)
    # picks the chart has no mark for (gone since, or made up) pick nothing; the chart is
    # drawn with the marks still picked
    app.session_state["rank_tests"] = {"picked": [{"tests": [1], "bin": "x"}, "odd"]}
    app.run()
    assert not app.exception and "Nothing picked yet" in texts(app.caption)
    bucket = buckets["bucket"][0]
    app.session_state["rank_buckets"] = {"picked": [{"bucket": bucket}, {"bucket": "gone"}]}
    app.run()
    (chart,) = [e for e in app.get("bidi_component") if e.proto.id.endswith("-rank_buckets")]
    assert [json.loads(p) for p in json.loads(chart.proto.json)["picked"]] == [{"bucket": bucket}]
    assert f"{stored[bucket]} pairs match" in texts(app.caption)
    app.session_state["rank_buckets"] = {"picked": []}  # a click beside the bars
    # from a bucket to its pairs, and on to Review
    bucket = buckets["bucket"][0]
    app.selectbox(key="rank_bucket").select(bucket).run()
    listed = table_with(app, "pair", "curriculum_position")
    assert len(listed) == stored[bucket] and set(listed["bucket"]) == {bucket}
    assert f"{stored[bucket]} pairs match" in texts(app.caption)
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
    by_kind = tables(app)[0]
    assert int(by_kind["count"].sum()) == sum(g["count"] for g in groups)
    counts = store.counts().by_status
    rejected = sum(n for k, n in counts["snippets"].items() if k != "usable")
    assert int(by_kind[by_kind["stage"] == "ingest"]["count"].sum()) == rejected
    # the chart draws the same rows as HTML bars (no chart script): a bar per kind and stage
    assert chart_scripts(app) == []
    (bars,) = html_charts(app)
    want: dict[tuple[str, str], int] = {}
    for g in groups:
        want[g["stage"], g["kind"]] = want.get((g["stage"], g["kind"]), 0) + g["count"]
    assert {(b["series"], b["category"]): b["value"] for b in bars} == want
    validate = by_kind[by_kind["stage"] == "validate"]
    assert int(validate["count"].sum()) == 1 and list(validate["kind"]) == ["mismatch"]
    # a kind picked: only its groups are offered
    app.selectbox(key="fail_kind").select("mismatch").run()
    assert not app.exception
    options = app.selectbox(key="fail_group").options
    assert options and all(" · mismatch · " in o for o in options)
    # pick the mismatch group: its pair, with the failing tests highlighted
    group = next(o for o in options if "mismatch" in o)
    app.selectbox(key="fail_group").select(group).run()
    assert not app.exception
    assert app.selectbox(key="fail_show").value == pair_id
    tests = tables(app)[-1]  # the test table comes last
    failing = {f["position"] for f in store.latest_verdict(pair_id)["signals"]["failing"]}
    assert failing and set(tests[tests["failing"]]["test"]) == failing
    assert set(tests[tests["failing"]]["rewrite_status"]) == {"wrong"}
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
    assert pair["instruction"] in texts(app.text)
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


def test_a_long_table_shows_its_first_rows_and_the_whole_grid_once_its_box_is_opened():
    def page() -> None:
        import pandas as pd

        from studio.charts import some_table

        rows = pd.DataFrame({"n": range(100), "text": [f"<b>{n}</b>" for n in range(100)]})
        some_table(rows, "long")

    app = AppTest.from_function(page).run()
    assert not app.exception and not app.dataframe  # no grid in the first view
    [first] = tables(app)
    assert list(first["n"]) == list(range(30)) and first["text"][0] == "<b>0</b>"  # as typed
    assert app.expander[0].label == "All 100 rows, in a sortable grid"
    app.session_state["long_all"] = True  # opened, as a click does
    app.run()
    assert not tables(app) and list(app.dataframe[0].value["n"]) == list(range(100))
