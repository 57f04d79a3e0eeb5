"""What the dashboard pages share: Plotly charts (their figures are built in
`studio.plots`), each with its numbers in a box under it, and selections read back as the
fields of the marks selected."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from studio.plots import picked

# Hover, zoom, pan and a legend that toggles series are Plotly's own; the mode bar keeps
# only what a reader of these charts uses (no logo, no image export).
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["toImage"]}


def chart(figure: go.Figure, table: pd.DataFrame | None = None, key: str = "chart") -> None:
    """A Plotly figure, with its numbers as a table in a box under it when given."""
    st.plotly_chart(figure, key=key, config=PLOTLY_CONFIG)
    if table is not None:
        numbers_table(table, key)


def numbers_table(table: pd.DataFrame, key: str) -> None:
    """A chart's numbers, in a box under it (closed: the chart tells them on hover). The
    grid is drawn only while the box is open (a tracked expander, `{key}_numbers`): a
    page then opens without mounting a grid per chart."""
    box = st.expander("Numbers", key=f"{key}_numbers", on_change="rerun")
    if box.open:
        with box:
            st.dataframe(table, hide_index=True, width="stretch")


def selectable_chart(
    figure: go.Figure, key: str, fields: Sequence[str], *,
    mode: str | Sequence[str] = ("points", "box"),
) -> list[dict[str, Any]]:  # fmt: skip
    """A Plotly figure a click (or a box, a lasso, as `mode` allows) selects from: returns
    the fields (`studio.plots.FIELDS`) of each mark selected. A double click clears."""
    event = st.plotly_chart(figure, key=key, on_select="rerun", selection_mode=mode,
                            config=PLOTLY_CONFIG)  # fmt: skip
    return picked(selection_points(event), fields)


def selection_points(state: Any) -> list[dict[str, Any]]:
    """The points of a Plotly chart's selection state (its widget value, or what
    session_state holds under its key), none when there is none."""
    try:
        points = state["selection"]["points"]
    except (KeyError, TypeError):
        return []
    return [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []


def latest_pick(seen: dict[str, Any], now: dict[str, Any], latest: str | None) -> str | None:
    """Which of a page's pickers (charts and lists) holds the pick that counts: the first
    whose pick is new since the last run (`seen`), else the one that counted before while
    it still picks something. One pick counts at a time: picks never combine."""
    for name, pick in now.items():
        if pick and pick != seen.get(name):
            return name
    return latest if latest is not None and now.get(latest) else None


ANY = "(any)"


class OnePick:
    """A page's pickers, its charts (`charts`: name -> the fields its marks pick) and its
    lists (`lists`: name -> the selectbox's key, `ANY` for no pick), of which one pick
    counts at a time (`latest_pick`): the others are cleared, a chart by drawing it afresh
    under a new key (`key`), a list by setting it back to `ANY`. Built before any of them
    is drawn in the run."""

    def __init__(self, prefix: str, charts: dict[str, Sequence[str]],
                 lists: dict[str, str] | None = None) -> None:  # fmt: skip
        self.prefix, self.charts, self.lists = prefix, charts, lists or {}
        state = st.session_state.setdefault(f"{prefix}_picks",
                                            {"seen": {}, "latest": None, "round": {}})  # fmt: skip
        self._round = state["round"]
        # Each chart's selection as Streamlit holds it before the chart is drawn again.
        now = {name: picked(selection_points(st.session_state.get(self.key(name))), fields)
               for name, fields in charts.items()}  # fmt: skip
        now |= {name: [] if st.session_state.get(key, ANY) == ANY else [st.session_state[key]]
                for name, key in self.lists.items()}  # fmt: skip
        self.latest = latest_pick(state["seen"], now, state["latest"])
        for name, pick in now.items():
            if pick and name != self.latest:
                if name in charts:
                    self._round[name] = self._round.get(name, 0) + 1
                else:
                    st.session_state[self.lists[name]] = ANY
                now[name] = []
        state["seen"], state["latest"] = now, self.latest
        self.chosen: list[Any] = now[self.latest] if self.latest else []

    def key(self, name: str) -> str:
        """A chart's widget key now; a new round draws it afresh, unselected."""
        return f"{self.prefix}_{name}_{self._round.get(name, 0)}"

    def chart(self, name: str, figure: go.Figure, mode: str | Sequence[str] = ("points", "box")
              ) -> None:  # fmt: skip
        """Draw the chart `name` (its selection is read in `__init__`)."""
        selectable_chart(figure, self.key(name), self.charts[name], mode=mode)


def lazy_tabs(labels: dict[str, str], key: str) -> dict[str, Any]:
    """Tabs (name -> label) of which only the open one is computed and drawn (st.tabs
    with on_change="rerun"): a page opens drawing one view, not all of them. Each tab's
    `.open` says whether it is the one on view."""
    tabs = st.tabs(list(labels.values()), key=key, on_change="rerun")
    return dict(zip(labels, tabs, strict=True))


def draw_open(tabs: dict[str, Any], drawers: dict[str, Callable[[], None]]) -> None:
    """Draw, in each tab of `tabs` that is open, what its drawer draws (a drawer whose
    tab the page left out draws nothing)."""
    for name, draw in drawers.items():
        if name not in tabs:
            continue
        with tabs[name]:
            if tabs[name].open:
                draw()
