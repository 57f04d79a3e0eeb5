"""Rankings: how hard the validated pairs are — the difficulty distribution, difficulty
against test strength, test count and complexity, the curriculum buckets and each
source's share — and from a bar, a cell or points to the pairs behind them.

Every chart is drawn from rows the store counted (bins and cells), so the page costs the
same at 100 pairs as at 100,000."""

import pandas as pd
import streamlit as st

from semi_core import insights
from studio import plots
from studio.charts import ANY, OnePick, lazy_tabs, numbers_table
from studio.glossary import HELP
from studio.shared import cached, get_store
from studio.tables import pairs_to_review

DIFFICULTY_BINS = 20
LISTED = 1000  # pairs listed behind a selection at most
POINTS = plots.SVG_POINTS  # pairs drawn in the scatter at most (a sample beyond), as SVG

store = get_store()

st.title("Rankings")
st.caption(
    "Difficulty is our score from the pair's tests, code size and complexity (and the "
    "solve rate when measured); the curriculum orders pairs from easy to hard in three "
    "buckets (tertiles of the score). Click a bar or a circle, or draw a box or a lasso "
    "round points, to list the pairs behind it; a double click clears. **The latest pick "
    "decides:** a pick in one chart or list replaces the pick in any other, which is "
    "cleared.",
    help=f"**Difficulty**: {HELP['difficulty']}\n\n**Buckets**: {HELP['bucket']}",
)

version = store.data_version()
by_source = pd.DataFrame(cached(version, insights.source_breakdown, store))
if by_source.empty:
    st.info("No validated pairs yet: run the pipeline on the Run page (or `semi run`).")
    st.stop()
buckets = pd.DataFrame(insights.bucket_counts(by_source.to_dict("records")))

# The page's pickers: each chart (by its name and what its marks pick) and each list.
CHARTS = {"hist": plots.FIELDS["histogram"], "tests": plots.FIELDS["cells"],
          "cyclomatic": plots.FIELDS["cells"], "points": plots.FIELDS["points"],
          "buckets": plots.FIELDS["buckets"], "sources": plots.FIELDS["sources"]}  # fmt: skip
TITLES = {"hist": "the difficulty distribution", "points": "difficulty against test strength",
          "tests": "difficulty against tests", "cyclomatic": "difficulty against complexity",
          "buckets": "the curriculum buckets", "sources": "per source",
          "bucket_list": "the Bucket list", "source_list": "the Source list"}  # fmt: skip
LISTS = {"bucket_list": "rank_bucket", "source_list": "rank_source"}
# One view of the charts at a time (lazy tabs: only the open one is computed and drawn),
# so that opening the page draws one chart, not six. A pick in a view that is closed is
# dropped with its chart: the pairs listed are always those of a chart on view.
VIEWS = {"distribution": "Difficulty distribution", "points": "Against test strength",
         "cells": "Against tests and complexity", "shares": "Buckets and sources"}  # fmt: skip
tabs = lazy_tabs(VIEWS, "rank_view")
# Each view's charts: only those on view pick (a closed view's chart is not drawn).
VIEW_CHARTS = {"distribution": ("hist",), "points": ("points",),
               "cells": ("tests", "cyclomatic"), "shares": ("buckets", "sources")}  # fmt: skip
on_view = {c for view, names in VIEW_CHARTS.items() if tabs[view].open for c in names}
picks = OnePick("rank", {k: v for k, v in CHARTS.items() if k in on_view}, LISTS)
latest, chosen = picks.latest, picks.chosen

with tabs["distribution"]:
    if tabs["distribution"].open:
        numbers = cached(version, insights.distributions, store,
                         {"difficulty": DIFFICULTY_BINS}, True)  # fmt: skip
        difficulty = numbers["difficulty"]
        if difficulty["bins"]:
            picks.chart("hist", plots.histogram(difficulty["bins"], "difficulty"))
            numbers_table(pd.DataFrame(difficulty["bins"]), "rank_hist")
        unranked = int(buckets["pairs"].sum()) - difficulty["summary"]["count"]
        if unranked:
            st.caption(f"{unranked} validated pairs have no difficulty yet (`semi rank`).")

with tabs["points"]:
    if tabs["points"].open:
        points, total = cached(version, insights.pair_points, store, POINTS)
        if not points:
            st.caption("No pair has a test strength: validation ran without mutants.")
        else:
            picks.chart("points", plots.pair_points(points, total),
                        mode=("points", "box", "lasso"))  # fmt: skip
            sample = (f"a repeatable sample of {len(points)} of the {total}"
                      if total > len(points) else "")  # fmt: skip
            st.caption(
                "A point per ranked pair" + (f" ({sample}: a selection lists the pairs drawn)"
                                             if sample else "")
                + ". Test strength is the share of the code's mutants the tests kill; pairs "
                "validated without mutants have none and are not drawn."
            )  # fmt: skip

# Cells: pairs counted per x value and difficulty bin; a bigger circle holds more pairs.
with tabs["cells"]:
    if tabs["cells"].open:
        grid = cached(version, insights.cells, store, ["tests", "cyclomatic"], DIFFICULTY_BINS)
        left, right = st.columns(2)
        for column, (x, title) in zip(
            (left, right), [("tests", "Difficulty against tests"),
                            ("cyclomatic", "Difficulty against complexity")], strict=True,
        ):  # fmt: skip
            with column:
                st.subheader(title)
                rows = grid[x]
                if not rows:
                    st.caption("Nothing ranked yet.")
                    continue
                picks.chart(x, plots.cells(rows, x))
                shown = pd.DataFrame(rows).rename(columns={"x": x})
                columns = [x, "low", "high", "bucket", "pairs", "mean_difficulty"]
                numbers_table(shown[columns], f"rank_{x}")

with tabs["shares"]:
    if tabs["shares"].open:
        st.subheader("Curriculum buckets")
        picks.chart("buckets", plots.bucket_bars(buckets.to_dict("records")))
        numbers_table(buckets, "rank_buckets")
        st.subheader("Per source")
        picks.chart("sources", plots.source_bars(by_source.to_dict("records")))
        numbers_table(by_source, "rank_sources")

st.subheader("Pairs behind the selection")
left, right = st.columns(2)
left.selectbox("Bucket", [ANY, *buckets["bucket"]], key=LISTS["bucket_list"])
right.selectbox("Source", [ANY, *by_source["source"].unique()], key=LISTS["source_list"])
query = {
    "hist": lambda: {"difficulty_bins": [p["bin"] for p in chosen]},
    "points": lambda: {"ids": [p["pair"] for p in chosen]},
    "tests": lambda: {"cells": [("tests", p["x"], p["bin"]) for p in chosen]},
    "cyclomatic": lambda: {"cells": [("cyclomatic", p["x"], p["bin"]) for p in chosen]},
    "buckets": lambda: {"buckets": [p["bucket"] for p in chosen]},
    "sources": lambda: {"sources": [p["source"] for p in chosen]},
    "bucket_list": lambda: {"buckets": chosen},
    "source_list": lambda: {"sources": chosen},
}
where = query[latest]() if latest else {}
listed, total = store.validated_pairs(**where, bins=DIFFICULTY_BINS, limit=LISTED)
if latest:
    st.caption(f"Picked in {TITLES[latest]}.")
if total > len(listed):
    st.caption(f"{total} pairs match; the {len(listed)} easiest are listed.")
elif total:
    st.caption(f"{total} pairs match.")
columns = ["pair", "name", "source", "bucket", "difficulty", "tests", "curriculum_position"]
pairs_to_review(pd.DataFrame(listed, columns=columns), "rank_selected")
