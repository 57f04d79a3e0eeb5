"""Chart helpers the dashboard pages share: every chart with a plain table of the same
numbers, selections read back as the fields of the points picked, and a way from pairs to
the Review page.

Every chart is drawn natively (Vega-Lite, through Altair), selections included: the
browser then loads Streamlit's Vega chunk (~0.9 MB of JavaScript) instead of Plotly's
(~4.7 MB), which a fresh tab parses before it draws anything, and the server builds a
chart spec instead of a Plotly figure (~0.1 s each)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from pages._shared import escape_markdown

EMPTY_CHART_HINT = "Nothing to chart yet."
# Up to this many rows a table is drawn static (st.table, no grid script to load); a
# longer one gets the scrolling, sortable grid.
SMALL_TABLE_ROWS = 30


def static_table(
    table: pd.DataFrame, *, row_style: Callable[[pd.Series], list[str]] | None = None
) -> None:
    """A small table drawn static (st.table: no grid script to load), each row styled by
    `row_style` (CSS per cell) when given. st.table renders Markdown in cells, so text
    from the data (names, errors, test inputs) is escaped to show as typed."""
    shown = table.map(lambda v: escape_markdown(v) if isinstance(v, str) else v)
    st.table(shown.style.apply(row_style, axis=1) if row_style else shown, hide_index=True)


def some_table(
    table: pd.DataFrame, key: str, *, row_style: Callable[[pd.Series], list[str]] | None = None
) -> None:
    """A table drawn static when small, else as the grid (many rows need its scrolling)."""
    if len(table) <= SMALL_TABLE_ROWS:
        static_table(table, row_style=row_style)
        return
    shown = table.style.apply(row_style, axis=1) if row_style else table
    st.dataframe(shown, hide_index=True, width="stretch", key=key)


def chart_and_table(
    figure: alt.TopLevelMixin,
    table: pd.DataFrame,
    key: str,
    *,
    selectable: bool = False,
) -> list[dict[str, Any]]:
    """A Vega-Lite chart (Altair) in one tab and its numbers as a plain table in the
    other. With `selectable`, a click (shift-click for more) picks points: returns each
    picked point as {field: value} over its selection's fields (empty without one)."""
    chart_tab, table_tab = st.tabs(["Chart", "Table"])
    points: list[dict[str, Any]] = []
    with chart_tab:
        if selectable:
            state = st.altair_chart(figure, key=key, width="stretch", on_select="rerun")
            for picked in state.selection.values():
                # A point selection reads back as a list of {field: value}; anything else
                # (an empty selection is {}) picks nothing.
                if isinstance(picked, list):
                    points += [p for p in picked if isinstance(p, dict)]
        else:
            st.altair_chart(figure, key=key, width="stretch")
    with table_tab:
        static_table(table)
    return points


def picked(selection: alt.Parameter) -> alt.ConditionalValueDefnumberExprRef:
    """Opacity that shows what a point selection holds: all opaque when it is empty."""
    return alt.condition(selection, alt.value(0.95), alt.value(0.3))


def binned_bars(
    bins: Sequence[dict[str, Any]],
    column: str,
    key: str,
    *,
    height: int = 280,
) -> None:
    """A histogram drawn from rows the store binned ({bin, low, high, bucket, pairs}):
    one bar per bin (stacked by bucket when the rows have one), with the same rows as
    its table."""
    table = pd.DataFrame(list(bins))
    table.insert(0, column, [f"{lo:.3f}–{hi:.3f}" for lo, hi in zip(table["low"], table["high"],
                                                                     strict=True)])  # fmt: skip
    buckets = [b for b in dict.fromkeys(table["bucket"]) if b is not None]
    shown = [column, *(["bucket"] if buckets else []), "pairs"]
    chart_and_table(native_bins(table, column, height, bool(buckets)), table[shown], key)


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
    tooltip: Sequence[str] = (), select: str | None = None,
) -> alt.Chart | alt.LayerChart:  # fmt: skip
    """Counts per category (stacked by `color`) as Vega-Lite bars, in the table's order.
    `select` names a point selection over the category: a click on a bar picks it
    (read back by `chart_and_table(..., selectable=True)` as {category: value})."""
    order = list(dict.fromkeys(table[category]))
    along = alt.X if not horizontal else alt.Y
    across = alt.Y if not horizontal else alt.X
    encoding: dict[str, Any] = {
        ("x" if not horizontal else "y"): along(f"{category}:N", sort=order, title=None),
        ("y" if not horizontal else "x"): across(f"{value}:Q", title=value, stack="zero"),
        "tooltip": [category, *([color] if color else []), value, *tooltip],
    }
    if color:
        encoding["color"] = alt.Color(f"{color}:N")
    bars = alt.Chart(table, height=height).mark_bar().encode(**encoding)
    chart = bars
    if select:
        selection = alt.selection_point(name=select, fields=[category])
        chart = bars.add_params(selection).encode(opacity=picked(selection))
    if not labels:
        return chart
    text = bars.mark_text(align="left", dx=3) if horizontal else bars.mark_text(dy=-6)
    return chart + text.encode(text=f"{value}:Q")


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
