"""The studio's Plotly figures: pure functions from the rows `semi_core.insights` returns to
a `go.Figure`, so that each is tested without Streamlit. Every figure tells its exact
numbers on hover, zooms and pans, and has a legend that toggles its series; a mark a
selection can pick carries the fields it picks as its `customdata` (see `FIELDS`).

One colour scheme per meaning, the same on every page: verdicts, decisions, curriculum
buckets and failure stages each have their own dict below."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from semi_core.insights import BUCKET_ORDER

GREEN, RED, ORANGE, GREY = "#21a366", "#d62728", "#ff7f0e", "#9e9e9e"
VERDICT_COLOURS = {
    "validated": GREEN,
    "mismatch": RED,
    "generated_error": ORANGE,
    "too_few_tests": "#e3b505",
    "original_unusable": "#9467bd",
    "refused": "#6b6b6b",
}
DECISION_COLOURS = {"accept": GREEN, "reject": RED, "skip": GREY, "undo": "#6d3fc0",
                    "disputed": ORANGE}  # fmt: skip
# Buckets are ordered, easy to hard: light to dark, one hue.
BUCKET_COLOURS = {"easy": "#9ecae1", "medium": "#3182bd", "hard": "#08306b",
                  "unranked": "#c7c7c7"}  # fmt: skip
STAGE_COLOURS = {"ingest": "#8c6d31", "generate": ORANGE, "validate": RED}
# Failure kinds that are also verdicts take the verdict's colour; others the palette's.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip

# What a selection of each figure's marks picks: the names of the `customdata` fields.
FIELDS = {
    "histogram": ("bin", "low", "high"),
    "cells": ("x", "bin"),
    "buckets": ("bucket",),
    "sources": ("source", "bucket"),
    "points": ("pair",),
    "failure_kinds": ("stage", "kind"),
    "failure_sources": ("source", "stage", "kind"),
}
# Points in a scatter drawn with SVG at most; WebGL above.
SVG_POINTS = 1000


def _layout(figure: go.Figure, *, x: str | None = None, y: str | None = None,
            legend: str | None = None, height: int = 320) -> go.Figure:  # fmt: skip
    """Axis titles, a legend that reads in the series' order (and toggles each on click),
    and a compact height: the same frame for every chart."""
    figure.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), hovermode="closest",
        showlegend=True,  # one series too: Plotly hides a lone series' legend by default
        legend=dict(title=dict(text=legend or ""), traceorder="normal",
                    orientation="h", y=1.02, yanchor="bottom", x=0),
        xaxis_title=x, yaxis_title=y, dragmode="zoom",
    )  # fmt: skip
    return figure


def colour_of_kind(kind: str, place: int) -> str:
    """A failure kind's colour: its verdict's when it is one (mismatch red, ...), else
    the palette's by its place."""
    return VERDICT_COLOURS.get(kind.replace(" ", "_"), PALETTE[place % len(PALETTE)])


def distinguishing_labels(names: Sequence[str]) -> dict[str, str]:
    """Each name shortened to the part that tells it from the others: the path components
    all of them start with are dropped ("…/" marks the cut). One name keeps its last
    component."""
    split = [name.split("/") for name in names]
    common = 0
    if split:
        shortest = min(len(parts) for parts in split)
        while common < shortest - 1 and len({tuple(p[: common + 1]) for p in split}) == 1:
            common += 1
    if len(set(names)) == 1:
        common = max(0, len(split[0]) - 1)
    labels = {}
    for name, parts in zip(names, split, strict=True):
        rest = "/".join(parts[common:]) or name
        labels[name] = ("…/" if common else "") + rest
    return labels


def histogram(bins: Sequence[dict[str, Any]], column: str) -> go.Figure:
    """A histogram from the store's bins ({bin, low, high, bucket, pairs}): each bar at its
    bin's place on a linear axis, as wide as its bin (an empty bin is a gap), stacked by
    bucket from easy (bottom) to hard, the legend in that order."""
    figure = go.Figure()
    rows = list(bins)
    series = [b for b in BUCKET_ORDER if any(r["bucket"] == b for r in rows)]
    groups = series or [None]
    for bucket in groups:
        part = [r for r in rows if r["bucket"] == bucket]
        figure.add_bar(
            name=bucket or "pairs", showlegend=True,
            x=[(r["low"] + r["high"]) / 2 for r in part], y=[r["pairs"] for r in part],
            width=[r["high"] - r["low"] for r in part],
            customdata=[[r["bin"], r["low"], r["high"]] for r in part],
            marker=dict(color=BUCKET_COLOURS.get(bucket or "", PALETTE[0]),
                        line=dict(width=0.5, color="white")),
            hovertemplate=f"{column} %{{customdata[1]:.4f}}–%{{customdata[2]:.4f}}<br>"
            + (f"{bucket}: " if bucket else "") + "%{y} pairs<extra></extra>",
        )  # fmt: skip
    figure.update_layout(barmode="stack", bargap=0)
    return _layout(figure, x=column, y="pairs", legend="bucket" if series else None)


def cells(rows: Sequence[dict[str, Any]], x: str) -> go.Figure:
    """Pairs counted per x value and difficulty bin ({x, bin, low, high, bucket, pairs,
    mean_difficulty}) as circles, area by count. The buckets of one x value sit side by
    side, easy to hard, so that a column of many pairs at one x stays readable; the axis
    runs a step beyond the least and the greatest x."""
    figure = go.Figure()
    rows = [r for r in rows if r["x"] is not None]
    largest = max((r["pairs"] for r in rows), default=1) or 1
    series = [b for b in BUCKET_ORDER if any(r["bucket"] == b for r in rows)]
    offset = {b: (i - (len(series) - 1) / 2) * 0.22 for i, b in enumerate(series)}
    for bucket in series:
        part = [r for r in rows if r["bucket"] == bucket]
        figure.add_scatter(
            name=bucket, mode="markers",
            x=[r["x"] + offset[bucket] for r in part],
            y=[(r["low"] + r["high"]) / 2 for r in part],
            customdata=[[r["x"], r["bin"], r["low"], r["high"], r["pairs"],
                         r["mean_difficulty"]] for r in part],
            marker=dict(color=BUCKET_COLOURS[bucket], sizemode="area",
                        size=[r["pairs"] for r in part], sizeref=largest / 30**2, sizemin=5,
                        line=dict(width=0.5, color="white")),
            hovertemplate=f"{x} %{{customdata[0]}}<br>difficulty %{{customdata[2]:.2f}}–"
            f"%{{customdata[3]:.2f}}<br>{bucket}: %{{customdata[4]}} pairs<br>"
            "mean difficulty %{customdata[5]:.4f}<extra></extra>",
        )  # fmt: skip
    values = [r["x"] for r in rows] or [0]
    figure.update_xaxes(range=[min(values) - 1, max(values) + 1], dtick=1
                        if max(values) - min(values) <= 20 else None)  # fmt: skip
    figure.update_yaxes(range=[0, 1])
    return _layout(figure, x=x, y="difficulty", legend="bucket")


def bucket_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Validated pairs per curriculum bucket ({bucket, pairs}), easy to hard."""
    figure = go.Figure()
    for row in rows:
        figure.add_bar(
            name=row["bucket"], x=[row["bucket"]], y=[row["pairs"]], customdata=[[row["bucket"]]],
            marker_color=BUCKET_COLOURS.get(row["bucket"], GREY), text=[row["pairs"]],
            hovertemplate="%{x}: %{y} pairs<extra></extra>",
        )  # fmt: skip
    figure.update_xaxes(categoryorder="array", categoryarray=[r["bucket"] for r in rows])
    return _layout(figure, x="bucket", y="pairs", legend="bucket", height=280)


def source_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Validated pairs per source stacked by bucket ({source, bucket, pairs,
    mean_difficulty}), each source named by what tells it from the others (the full name
    on hover)."""
    figure = go.Figure()
    labels = distinguishing_labels(list(dict.fromkeys(r["source"] for r in rows)))
    for bucket in [b for b in BUCKET_ORDER if any(r["bucket"] == b for r in rows)]:
        part = [r for r in rows if r["bucket"] == bucket]
        figure.add_bar(
            name=bucket, orientation="h", y=[labels[r["source"]] for r in part],
            x=[r["pairs"] for r in part],
            customdata=[[r["source"], bucket, r["mean_difficulty"]] for r in part],
            marker_color=BUCKET_COLOURS[bucket],
            hovertemplate="%{customdata[0]}<br>" + bucket
            + ": %{x} pairs<br>mean difficulty %{customdata[2]:.4f}<extra></extra>",
        )  # fmt: skip
    figure.update_layout(barmode="stack")
    figure.update_yaxes(categoryorder="array", categoryarray=list(labels.values())[::-1])
    return _layout(figure, x="pairs", y="source", legend="bucket",
                   height=max(240, 60 + 28 * len(labels)))  # fmt: skip


def pair_points(points: Sequence[dict[str, Any]], total: int) -> go.Figure:
    """Difficulty against test strength, a point per pair ({pair, name, difficulty,
    test_strength, bucket, instruction}), by bucket; hover shows the pair's id and its
    instruction's start. WebGL above `SVG_POINTS` points. `total` (how many pairs there
    are) goes in the title when only a sample is drawn."""
    figure = go.Figure()
    kind = go.Scattergl if len(points) > SVG_POINTS else go.Scatter
    for bucket in [b for b in BUCKET_ORDER if any(p["bucket"] == b for p in points)]:
        part = [p for p in points if p["bucket"] == bucket]
        # numpy arrays: Plotly checks a list item by item (ten times slower at 5,000 points)
        figure.add_trace(kind(
            name=bucket, mode="markers",
            x=np.array([p["test_strength"] for p in part], dtype=float),
            y=np.array([p["difficulty"] for p in part], dtype=float),
            customdata=np.array([[p["pair"], _short_text(p.get("instruction") or ""), p["name"]]
                                 for p in part], dtype=object),
            marker=dict(color=BUCKET_COLOURS[bucket], size=7, opacity=0.8),
            hovertemplate="%{customdata[2]} · %{customdata[0]}<br>%{customdata[1]}<br>"
            "test strength %{x:.3f} · difficulty %{y:.4f}<extra>" + bucket + "</extra>",
        ))  # fmt: skip
    title = f"a sample of {len(points)} of {total} pairs" if total > len(points) else None
    figure = _layout(figure, x="test strength (share of mutants the tests kill)",
                     y="difficulty", legend="bucket", height=360)  # fmt: skip
    figure.update_layout(
        dragmode="lasso", title=dict(text=title, font=dict(size=12), x=1, xanchor="right")
    )
    return figure


def _short_text(text: str, width: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def funnel_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """The funnel ({stage, count}), a horizontal bar per stage, top to bottom."""
    figure = go.Figure(go.Bar(
        name="count", orientation="h", y=[r["stage"] for r in rows],
        x=[r["count"] for r in rows], text=[r["count"] for r in rows], marker_color=PALETTE[0],
        hovertemplate="%{y}: %{x}<extra></extra>", showlegend=True,
    ))  # fmt: skip
    figure.update_yaxes(categoryorder="array", categoryarray=[r["stage"] for r in rows][::-1])
    return _layout(figure, x="count", height=280)


def action_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Review events per annotator ({annotator, accept, reject, skip, undo, ...}), stacked
    by action in the decisions' colours."""
    figure = go.Figure()
    for action in ("accept", "reject", "skip", "undo"):
        figure.add_bar(
            name=action, x=[r["annotator"] for r in rows], y=[r[action] for r in rows],
            marker_color=DECISION_COLOURS[action],
            hovertemplate="%{x} · " + action + ": %{y}<extra></extra>",
        )  # fmt: skip
    figure.update_layout(barmode="stack")
    return _layout(figure, x="annotator", y="events", legend="action", height=280)


def throughput(rows: Sequence[dict[str, Any]], unit: str) -> go.Figure:
    """Decisions per annotator per time step ({annotator, at, action, events}): a line per
    annotator of their decisions in each step, hover telling them by action."""
    figure = go.Figure()
    steps: dict[tuple[str, Any], dict[str, int]] = {}
    for r in rows:
        steps.setdefault((r["annotator"], r["at"]), {})[r["action"]] = r["events"]
    for annotator in dict.fromkeys(r["annotator"] for r in rows):
        mine = sorted((at, by) for (who, at), by in steps.items() if who == annotator)
        figure.add_scatter(
            name=annotator, mode="lines+markers", x=[at for at, _ in mine],
            y=[sum(by.values()) for _, by in mine],
            customdata=[[by.get("accept", 0), by.get("reject", 0), by.get("skip", 0)]
                        for _, by in mine],
            hovertemplate=f"{annotator} · %{{x}}<br>%{{y}} decisions: %{{customdata[0]}} "
            "accept, %{customdata[1]} reject, %{customdata[2]} skip<extra></extra>",
        )  # fmt: skip
    return _layout(figure, x=unit, y=f"decisions per {unit}", legend="annotator", height=280)


def kappa_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Cohen's kappa per annotator pair ({annotator_a, annotator_b, kappa, shared_pairs,
    agreed, percent_agreement}) on an axis from -1 to 1, each bar named with how many
    pairs its kappa rests on (n)."""
    names = [f"{r['annotator_a']} · {r['annotator_b']} (n={r['shared_pairs']})" for r in rows]
    figure = go.Figure(go.Bar(
        name="kappa", x=names, y=[r["kappa"] for r in rows], showlegend=True,
        text=[f"n={r['shared_pairs']}" for r in rows], marker_color=PALETTE[0],
        customdata=[[r["shared_pairs"], r["agreed"], r["percent_agreement"]] for r in rows],
        hovertemplate="%{x}<br>kappa %{y:.3f}<br>%{customdata[1]} of %{customdata[0]} shared "
        "pairs agreed (%{customdata[2]:.1f}%)<extra></extra>",
    ))  # fmt: skip
    figure.update_yaxes(range=[-1, 1], zeroline=True)
    return _layout(figure, x="annotator pair (n = pairs both voted on)", y="Cohen's kappa",
                   height=300)  # fmt: skip


def failure_kinds(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Failures per kind ({stage, kind, count}), a bar per kind stacked by stage."""
    figure = go.Figure()
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    for stage in [s for s in STAGE_COLOURS if any(r["stage"] == s for r in rows)]:
        part = [r for r in rows if r["stage"] == stage]
        figure.add_bar(
            name=stage, x=[r["kind"] for r in part], y=[r["count"] for r in part],
            customdata=[[stage, r["kind"]] for r in part], marker_color=STAGE_COLOURS[stage],
            hovertemplate=stage + " · %{x}: %{y}<extra></extra>",
        )  # fmt: skip
    figure.update_layout(barmode="stack")
    figure.update_xaxes(categoryorder="array", categoryarray=kinds)
    return _layout(figure, x="kind", y="failures", legend="stage", height=320)


def failures_by_source(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Failures per source ({source, stage, kind, count}), stacked by kind (mismatch in
    the verdicts' red), each source named by what tells it from the others."""
    figure = go.Figure()
    labels = distinguishing_labels(list(dict.fromkeys(r["source"] for r in rows)))
    for place, kind in enumerate(dict.fromkeys(r["kind"] for r in rows)):
        part = [r for r in rows if r["kind"] == kind]
        figure.add_bar(
            name=kind, orientation="h", y=[labels[r["source"]] for r in part],
            x=[r["count"] for r in part],
            customdata=[[r["source"], r["stage"], kind] for r in part],
            marker_color=colour_of_kind(kind, place),
            hovertemplate="%{customdata[0]}<br>%{customdata[1]} · " + kind
            + ": %{x}<extra></extra>",
        )  # fmt: skip
    figure.update_layout(barmode="stack")
    return _layout(figure, x="failures", y="source", legend="kind",
                   height=max(240, 60 + 28 * len(labels)))  # fmt: skip


def reason_bars(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """Rejects per reason ({reason, rejects, pairs}), most frequent first, in the
    decisions' red; hover tells the pairs they fall on."""
    figure = go.Figure(go.Bar(
        name="rejects", x=[r["reason"] for r in rows], y=[r["rejects"] for r in rows],
        text=[r["rejects"] for r in rows], marker_color=DECISION_COLOURS["reject"],
        customdata=[[r["pairs"]] for r in rows], showlegend=True,
        hovertemplate="%{x}: %{y} rejects on %{customdata[0]} pairs<extra></extra>",
    ))  # fmt: skip
    figure.update_xaxes(categoryorder="array", categoryarray=[r["reason"] for r in rows])
    return _layout(figure, x="reason", y="rejects", height=280)


def verdict_timeline(rows: Sequence[dict[str, Any]]) -> go.Figure:
    """A run's verdicts so far per status over time ({at, status, verdicts}, running
    totals), as stacked areas in the verdicts' colours."""
    figure = go.Figure()
    statuses = [s for s in VERDICT_COLOURS if any(r["status"] == s for r in rows)]
    statuses += sorted({r["status"] for r in rows} - set(statuses))
    for status in statuses:
        part = [r for r in rows if r["status"] == status]
        figure.add_scatter(
            name=status, x=[r["at"] for r in part], y=[r["verdicts"] for r in part],
            mode="lines", stackgroup="verdicts", line=dict(color=VERDICT_COLOURS.get(status, GREY)),
            hovertemplate=status + ": %{y} by %{x}<extra></extra>",
        )  # fmt: skip
    return _layout(figure, x="time", y="verdicts so far", legend="verdict", height=280)


def picked(points: Sequence[dict[str, Any]], fields: Sequence[str]) -> list[dict[str, Any]]:
    """The fields each selected point carries (a selection's `points`, as Streamlit reports
    them), in order, once each; a point without them (an axis, a made-up one) picks
    nothing."""
    found: dict[str, dict[str, Any]] = {}
    for point in points:
        data = point.get("customdata") if isinstance(point, dict) else None
        if not isinstance(data, list | tuple) or len(data) < len(fields):
            continue
        values = dict(zip(fields, data, strict=False))
        found.setdefault(repr(sorted(values.items())), values)
    return list(found.values())
