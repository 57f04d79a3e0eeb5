"""Chart helpers the dashboard pages share: every chart with a plain table of the same
numbers, selections read back as pair ids, and a way from pairs to the Review page.

Charts whose points are selected (and read back as pair ids) are Plotly's. Charts only
looked at can be drawn natively (Vega-Lite, through Altair): the browser then loads
Streamlit's Vega chunk (~0.9 MB of JavaScript) instead of Plotly's (~4.7 MB), which a
fresh tab parses before it draws anything."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pages._shared import escape_markdown

EMPTY_CHART_HINT = "Nothing to chart yet."


def chart_and_table(
    figure: Any,
    table: pd.DataFrame,
    key: str,
    *,
    selectable: bool = False,
) -> list[dict[str, Any]]:
    """A chart (a Plotly figure, or an Altair chart drawn natively) in one tab and its
    numbers as a plain table in the other; returns the points selected on a Plotly chart
    (empty without a selection)."""
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    points: list[dict[str, Any]] = []
    with chart_tab:
        if isinstance(figure, alt.TopLevelMixin):
            st.altair_chart(figure, key=key, width="stretch")
        elif selectable:
            state = st.plotly_chart(
                figure, key=key, on_select="rerun", selection_mode=("points", "box", "lasso")
            )
            try:
                points = list(state.selection.points)  # type: ignore[union-attr]
            except AttributeError:  # no selection state (e.g. first run)
                points = []
        else:
            st.plotly_chart(figure, key=key)
    with table_tab:
        # st.table: a static table of the numbers. It renders Markdown in cells, so text
        # from the data (names, errors) is escaped to show as typed.
        st.table(table.map(lambda v: escape_markdown(v) if isinstance(v, str) else v))
    return points


def binned_bars(
    bins: Sequence[dict[str, Any]],
    column: str,
    key: str,
    *,
    height: int = 280,
    selectable: bool = False,
    native: bool = False,
) -> list[dict[str, Any]]:
    """A histogram drawn from rows the store binned ({bin, low, high, bucket, pairs}):
    one bar per bin (stacked by bucket when the rows have one), with the same rows as
    its table. Plotly's bars carry [bin, low, high] as customdata; `native` draws the
    bars with Vega-Lite instead (nothing to select on them)."""
    table = pd.DataFrame(list(bins))
    table.insert(0, column, [f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(table["low"], table["high"],
                                                                     strict=True)])  # fmt: skip
    buckets = [b for b in dict.fromkeys(table["bucket"]) if b is not None]
    shown = [column, *(["bucket"] if buckets else []), "pairs"]
    if native and not selectable:
        return chart_and_table(native_bins(table, column, height, bool(buckets)), table[shown], key)
    figure = go.Figure()
    for bucket in buckets or [None]:
        part = table if bucket is None else table[table["bucket"] == bucket]
        width = (part["high"] - part["low"]).where(lambda w: w > 0, 0.01)
        figure.add_bar(
            x=(part["low"] + part["high"]) / 2, y=part["pairs"], width=width, name=bucket,
            customdata=part[["bin", "low", "high"]].to_numpy().tolist(),
            hovertemplate=f"{column} %{{customdata[1]:.3f}}–%{{customdata[2]:.3f}}: "
                          "%{y} pairs<extra></extra>",
        )  # fmt: skip
    figure.update_layout(
        barmode="stack", height=height, margin=dict(l=10, r=10, t=30, b=10),
        xaxis_title=column, yaxis_title="pairs", showlegend=bool(buckets),
    )  # fmt: skip
    return chart_and_table(figure, table[shown], key, selectable=selectable)


def native_bins(table: pd.DataFrame, column: str, height: int, stacked: bool) -> alt.Chart:
    """Binned rows ({low, high, pairs, bucket}) as Vega-Lite bars from low to high."""
    rows = table[["low", "high", "pairs", "bucket", column]].fillna({"bucket": ""})
    bars = alt.Chart(rows, height=height).mark_bar(binSpacing=1)
    encoding: dict[str, Any] = {
        "x": alt.X("low:Q", title=column),
        "x2": "high:Q",
        "y": alt.Y("pairs:Q", title="pairs", stack="zero"),
        "tooltip": [alt.Tooltip(f"{column}:N"), alt.Tooltip("pairs:Q")],
    }
    if stacked:
        encoding["color"] = alt.Color("bucket:N", title=None)
        encoding["tooltip"].insert(1, alt.Tooltip("bucket:N"))
    return bars.encode(**encoding)


def native_bars(
    table: pd.DataFrame, category: str, value: str, *, horizontal: bool = False,
    color: str | None = None, height: int = 280, labels: bool = False,
) -> alt.Chart:  # fmt: skip
    """Counts per category (stacked by `color`) as Vega-Lite bars, in the table's order."""
    order = list(dict.fromkeys(table[category]))
    along = alt.X if not horizontal else alt.Y
    across = alt.Y if not horizontal else alt.X
    encoding: dict[str, Any] = {
        ("x" if not horizontal else "y"): along(f"{category}:N", sort=order, title=None),
        ("y" if not horizontal else "x"): across(f"{value}:Q", title=value, stack="zero"),
        "tooltip": [category, *([color] if color else []), value],
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N")
    chart = alt.Chart(table, height=height).mark_bar().encode(**encoding)
    if not labels:
        return chart
    text = chart.mark_text(align="left", dx=3) if horizontal else chart.mark_text(dy=-6)
    return chart + text.encode(text=f"{value}:Q")


def selected_ids(points: Sequence[dict[str, Any]]) -> list[str]:
    """Pair ids of selected points: charts put the pair id first in `customdata`."""
    ids = []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and data:
            ids.append(str(data[0]))
        elif isinstance(data, str):
            ids.append(data)
    return list(dict.fromkeys(ids))


def _open(pair_id: str) -> None:
    # The Review page reads the pair from session state first, then from `?pair=`.
    st.session_state["review_pair"] = pair_id
    st.query_params["pair"] = pair_id


def pairs_to_review(pairs: pd.DataFrame, key: str) -> None:
    """The pairs behind a selection as a table, and a button that opens one in Review."""
    if pairs.empty:
        st.caption("Select points or bars on a chart (or pick a group) to list their pairs.")
        return
    st.dataframe(pairs, hide_index=True, width="stretch", key=f"{key}_table")
    ids = list(pairs["pair"])
    left, right = st.columns([3, 1])
    chosen = left.selectbox("Pair", ids, key=f"{key}_pair")
    if right.button("Open in Review", key=f"{key}_open") and chosen:
        _open(chosen)
        st.switch_page("pages/review.py")


@st.cache_resource(show_spinner=False)
def _pool(timeout_s: float, memory_mb: int, workers: int) -> Any:
    from semi_core.pipeline import PipelineSettings

    limits = PipelineSettings(timeout_s=timeout_s, memory_mb=memory_mb, workers=workers).limits()
    from semi_core.sandbox.pool import SandboxPool

    return SandboxPool(limits)


def get_pool(timeout_s: float, memory_mb: int, workers: int) -> Any:
    """The server's sandbox pool for live steps (one per set of limits): warm workers are
    shared by every session instead of started per click."""
    return _pool(float(timeout_s), int(memory_mb), int(workers))
