"""The studio's Plotly figures (studio/plots.py), built from plain rows without Streamlit:
linear histograms, stacks in the legend's order, labels that tell sources apart, one colour
scheme, hover telling exact values, and what a selection of each mark picks."""

from __future__ import annotations

from datetime import datetime, timedelta

import plotly.graph_objects as go
import pytest

from studio import plots
from studio.charts import latest_pick


def hist_rows() -> list[dict]:
    # bins 0, 1 and 3 of four over [0.4, 0.8]: bin 2 (0.6–0.7) is empty
    edges = [(0, 0.4, 0.5), (1, 0.5, 0.6), (3, 0.7, 0.8)]
    rows = []
    for b, lo, hi in edges:
        # the store's order: by bin, then bucket name (easy, hard, medium)
        for bucket, pairs in (("easy", 3), ("hard", 1), ("medium", 2)):
            rows.append({"bin": b, "low": lo, "high": hi, "bucket": bucket, "pairs": pairs})
    return rows


def test_a_histogram_keeps_its_x_axis_linear_with_empty_bins_as_gaps():
    figure = plots.histogram(hist_rows(), "difficulty")
    for trace in figure.data:
        assert list(trace.x) == pytest.approx([0.45, 0.55, 0.75])  # each bin at its place
        assert list(trace.width) == pytest.approx([0.1, 0.1, 0.1])  # as wide as its bin
    assert figure.layout.xaxis.type in (None, "linear", "-")  # numbers, not categories
    assert figure.layout.bargap == 0 and figure.layout.barmode == "stack"
    # what a click on a bar picks: its bin (and range)
    assert list(figure.data[0].customdata[2]) == [3, 0.7, 0.8]
    assert "0.7000–0.8000" not in figure.data[0].hovertemplate  # a template, not text
    assert "%{customdata[1]:.4f}–%{customdata[2]:.4f}" in figure.data[0].hovertemplate


def test_stacks_run_easy_medium_hard_as_the_legend_reads():
    figure = plots.histogram(hist_rows(), "difficulty")
    # traces stack in their order from the axis up; the legend lists them in that order
    assert [t.name for t in figure.data] == ["easy", "medium", "hard"]
    assert figure.layout.legend.traceorder == "normal"
    sources = [{"source": "s", "bucket": b, "pairs": 1, "mean_difficulty": 0.5}
               for b in ("unranked", "hard", "easy", "medium")]  # fmt: skip
    figure = plots.source_bars(sources)
    assert [t.name for t in figure.data] == ["easy", "medium", "hard", "unranked"]
    # each bucket its own colour on every chart, whatever the rows' order
    for trace in (*figure.data, *plots.histogram(hist_rows(), "difficulty").data):
        assert trace.marker.color == plots.BUCKET_COLOURS[trace.name]


def test_a_histogram_without_buckets_is_one_series():
    rows = [{"bin": 0, "low": 0.0, "high": 0.5, "bucket": None, "pairs": 4}]
    (trace,) = plots.histogram(rows, "test_strength").data
    assert list(trace.y) == [4] and trace.name == "pairs" and trace.showlegend is True


def test_source_labels_show_the_part_that_tells_them_apart():
    names = ["/data/corpora/python/stdlib/json", "/data/corpora/python/stdlib/csv",
             "/data/corpora/python/humaneval.jsonl"]  # fmt: skip
    labels = plots.distinguishing_labels(names)
    assert labels == {names[0]: "…/stdlib/json", names[1]: "…/stdlib/csv",
                      names[2]: "…/humaneval.jsonl"}  # fmt: skip
    assert plots.distinguishing_labels(["/a/b/c.py"]) == {"/a/b/c.py": "…/c.py"}
    assert plots.distinguishing_labels(["x", "y"]) == {"x": "x", "y": "y"}
    rows = [{"source": n, "bucket": "easy", "pairs": 2, "mean_difficulty": 0.1} for n in names]
    (trace,) = plots.source_bars(rows).data
    assert list(trace.y) == [labels[n] for n in names]
    # the full source on hover and in what a click picks
    assert [c[0] for c in trace.customdata] == names
    assert plots.picked([{"customdata": list(trace.customdata[1])}], plots.FIELDS["sources"]) == [
        {"source": names[1], "bucket": "easy"}]  # fmt: skip


def test_one_colour_scheme_for_verdicts_and_decisions():
    assert plots.DECISION_COLOURS["accept"] == plots.VERDICT_COLOURS["validated"] == plots.GREEN
    assert plots.DECISION_COLOURS["reject"] == plots.VERDICT_COLOURS["mismatch"] == plots.RED
    assert plots.DECISION_COLOURS["skip"] == plots.GREY  # skip is not red
    activity = [{"annotator": "ada", "accept": 2, "reject": 1, "skip": 1, "undo": 0}]
    colours = {t.name: t.marker.color for t in plots.action_bars(activity).data}
    assert colours == {a: plots.DECISION_COLOURS[a] for a in ("accept", "reject", "skip", "undo")}
    at = datetime(2026, 1, 1)
    timeline = [{"at": at, "status": s, "verdicts": 1} for s in ("mismatch", "validated", "odd")]
    figure = plots.verdict_timeline(timeline)
    drawn = {t.name: t.line.color for t in figure.data}
    assert drawn == {"validated": plots.GREEN, "mismatch": plots.RED, "odd": plots.GREY}
    failures = [{"source": "s", "stage": "validate", "kind": "mismatch", "count": 2},
                {"source": "s", "stage": "validate", "kind": "timeout", "count": 1}]  # fmt: skip
    figure = plots.failures_by_source(failures)
    kinds = {t.name: t.marker.color for t in figure.data}
    assert kinds["mismatch"] == plots.RED and kinds["timeout"] != plots.RED
    # a click on a segment picks its source, stage and kind
    points = [{"customdata": list(figure.data[1].customdata[0])}]
    assert plots.picked(points, plots.FIELDS["failure_sources"]) == [
        {"source": "s", "stage": "validate", "kind": "timeout"}]  # fmt: skip


def test_kappa_bars_have_an_axis_title_and_their_n():
    rows = [{"annotator_a": "ada", "annotator_b": "bob", "kappa": 1.0, "shared_pairs": 1,
             "agreed": 1, "percent_agreement": 100.0}]  # fmt: skip
    figure = plots.kappa_bars(rows)
    (bar,) = figure.data
    assert list(bar.x) == ["ada · bob (n=1)"] and list(bar.text) == ["n=1"]
    assert figure.layout.yaxis.title.text == "Cohen's kappa"
    assert "n =" in figure.layout.xaxis.title.text
    assert tuple(figure.layout.yaxis.range) == (-1, 1)
    assert "%{customdata[0]} shared" in bar.hovertemplate


def cell_rows() -> list[dict]:
    # every pair with 10 tests: one x value, three buckets
    return [{"x": 10, "bin": b, "low": b / 20, "high": (b + 1) / 20, "bucket": bucket,
             "pairs": n, "mean_difficulty": (b + 0.5) / 20}
            for b, bucket, n in ((2, "easy", 4), (9, "medium", 1), (17, "hard", 9))]  # fmt: skip


def test_difficulty_against_tests_spreads_one_x_value_into_readable_columns():
    figure = plots.cells(cell_rows(), "tests")
    xs = [t.x[0] for t in figure.data]
    assert [t.name for t in figure.data] == ["easy", "medium", "hard"]
    assert len(set(xs)) == 3 and all(abs(x - 10) < 0.5 for x in xs)  # side by side at 10
    low, high = figure.layout.xaxis.range
    assert low < 10 - 0.5 and high > 10 + 0.5  # the axis spans more than the one column
    assert [t.y[0] for t in figure.data] == pytest.approx([0.125, 0.475, 0.875])
    # circles by area: size is the count; a click picks the cell's x value and bin
    assert [t.marker.size[0] for t in figure.data] == [4, 1, 9]
    assert figure.data[0].marker.sizemode == "area"
    points = [{"customdata": list(t.customdata[0])} for t in figure.data]
    assert plots.picked(points, plots.FIELDS["cells"]) == [
        {"x": 10, "bin": 2}, {"x": 10, "bin": 9}, {"x": 10, "bin": 17}]  # fmt: skip
    # a cell with no x value has no place
    assert plots.cells([{**cell_rows()[0], "x": None}], "tests").data == ()


def test_the_pair_scatter_tells_each_pair_and_goes_webgl_when_large():
    point = {"pair": "p1", "name": "add", "difficulty": 0.5, "test_strength": 0.75,
             "bucket": "medium", "instruction": "Add two numbers " + "and more " * 20}  # fmt: skip
    figure = plots.pair_points([point], total=1)
    (trace,) = figure.data
    assert isinstance(trace, go.Scatter) and (trace.x[0], trace.y[0]) == (0.75, 0.5)
    pair, text, name = trace.customdata[0]
    assert (pair, name) == ("p1", "add") and len(text) == 80 and text.endswith("…")
    assert "%{customdata[0]}" in trace.hovertemplate and "%{customdata[1]}" in trace.hovertemplate
    assert not figure.layout.title.text  # every pair drawn: no sample named
    many = [{**point, "pair": f"p{i}"} for i in range(plots.SVG_POINTS + 1)]
    figure = plots.pair_points(many, total=100_000)
    assert isinstance(figure.data[0], go.Scattergl)
    assert f"a sample of {len(many)} of 100000 pairs" == figure.layout.title.text
    assert figure.layout.dragmode == "lasso"


def test_every_chart_has_a_legend_and_hover():
    at = datetime(2026, 1, 1)
    figures = [
        plots.histogram(hist_rows(), "difficulty"),
        plots.cells(cell_rows(), "tests"),
        plots.bucket_bars([{"bucket": "easy", "pairs": 3}, {"bucket": "hard", "pairs": 1}]),
        plots.funnel_bars([{"stage": "snippets", "count": 5}, {"stage": "usable", "count": 4}]),
        plots.failure_kinds([{"stage": "validate", "kind": "mismatch", "count": 2}]),
        plots.histogram([{"bin": 0, "low": 0.0, "high": 1.0, "bucket": None, "pairs": 2}], "x"),
        plots.kappa_bars(
            [
                {
                    "annotator_a": "a",
                    "annotator_b": "b",
                    "kappa": 0.5,
                    "shared_pairs": 4,
                    "agreed": 3,
                    "percent_agreement": 75.0,
                }
            ]
        ),
        plots.verdict_timeline([{"at": at, "status": "validated", "verdicts": 2}]),
        plots.failures_by_source(
            [{"source": "s", "stage": "validate", "kind": "mismatch", "count": 2}]
        ),
        plots.pair_points(
            [
                {
                    "pair": "p",
                    "name": "n",
                    "difficulty": 0.2,
                    "test_strength": 0.4,
                    "bucket": "easy",
                    "instruction": "Add.",
                }
            ],
            1,
        ),
        plots.throughput(
            [
                {"annotator": "ada", "at": at, "action": "accept", "events": 3},
                {"annotator": "ada", "at": at + timedelta(hours=1), "action": "skip", "events": 1},
            ],
            "hour",
        ),  # fmt: skip
    ]
    for figure in figures:
        assert figure.data and all(t.hovertemplate for t in figure.data)
        assert all(t.showlegend is not False for t in figure.data)
        assert figure.layout.showlegend is True  # a lone series' legend too
    (line,) = figures[-1].data
    assert list(line.y) == [3, 1] and list(line.customdata[0]) == [3, 0, 0]


def test_failure_kinds_pick_their_stage_and_kind():
    rows = [{"stage": "ingest", "kind": "too_long", "count": 3},
            {"stage": "validate", "kind": "mismatch", "count": 2}]  # fmt: skip
    figure = plots.failure_kinds(rows)
    assert [t.name for t in figure.data] == ["ingest", "validate"]
    assert list(figure.layout.xaxis.categoryarray) == ["too_long", "mismatch"]
    points = [{"customdata": list(figure.data[1].customdata[0]), "x": "mismatch"}]
    assert plots.picked(points, plots.FIELDS["failure_kinds"]) == [
        {"stage": "validate", "kind": "mismatch"}]  # fmt: skip


def test_a_selection_picks_each_mark_once_and_nothing_from_odd_points():
    fields = plots.FIELDS["cells"]
    points = [{"customdata": [3, 5]}, {"customdata": [3, 5]}, {"customdata": [4, None]},
              {"x": 1}, "odd", {"customdata": [1]}]  # fmt: skip
    assert plots.picked(points, fields) == [{"x": 3, "bin": 5}, {"x": 4, "bin": None}]


def test_the_latest_pick_decides():
    # a first pick counts
    assert latest_pick({}, {"a": [1], "b": []}, None) == "a"
    # a new pick elsewhere replaces it, whatever the charts' order
    assert latest_pick({"a": [1], "b": []}, {"a": [1], "b": [2]}, "a") == "b"
    # nothing new: the one that counted goes on counting while it picks something
    assert latest_pick({"a": [1], "b": [2]}, {"a": [1], "b": [2]}, "b") == "b"
    assert latest_pick({"a": [1]}, {"a": []}, "a") is None  # cleared: nothing counts
    # a changed pick in the same chart is still the latest
    assert latest_pick({"a": [1]}, {"a": [3]}, "a") == "a"
