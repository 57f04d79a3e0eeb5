"""Rankings: how hard the validated pairs are — the difficulty distribution, difficulty
against test count and complexity, the curriculum buckets and each source's share — and
from a cell, a bar or a bucket to the pairs behind it.

Every chart is drawn from rows the store counted (bins and cells), so the page costs the
same at 100 pairs as at 100,000."""

import pandas as pd
import streamlit as st

from pages._charts import (
    Spec,
    binned_bars,
    chart,
    chart_and_table,
    field,
    native_bars,
    pairs_to_review,
    point_selection,
)
from pages._shared import cached, get_store
from semi_core import insights

DIFFICULTY_BINS = 20
LISTED = 1000  # pairs listed behind a selection at most

store = get_store()

st.title("Rankings")
st.caption(
    "Difficulty is our score from the pair's tests, code size and complexity (and the "
    "solve rate when measured); the curriculum orders pairs from easy to hard in three "
    "buckets (tertiles of the score). Click a cell or a bar (shift-click for more) to "
    "list the pairs behind it."
)

version = store.data_version()
by_source = pd.DataFrame(cached(version, insights.source_breakdown, store))
if by_source.empty:
    st.info("No validated pairs yet: run the pipeline on the Run page (or `semi run`).")
    st.stop()
buckets = pd.DataFrame(insights.bucket_counts(by_source.to_dict("records")))

st.subheader("Difficulty distribution")
numbers = cached(version, insights.distributions, store, {"difficulty": DIFFICULTY_BINS}, True)
difficulty = numbers["difficulty"]
if difficulty["bins"]:
    binned_bars(difficulty["bins"], "difficulty", "rank_hist", height=300)
unranked = int(buckets["pairs"].sum()) - difficulty["summary"]["count"]
if unranked:
    st.caption(f"{unranked} validated pairs have no difficulty yet (`semi rank`).")


def cells_chart(rows: pd.DataFrame, x: str) -> Spec:
    """Cells of pairs (x value, difficulty bin, bucket) as circles sized by their pairs;
    a click picks a cell by its x value and bin."""
    param, opacity = point_selection("cells", ["x", "bin"])
    encoding = {
        "x": field("x", "Q", title=x, axis={"tickMinStep": 1, "format": "d"}),  # counts
        "y": field("difficulty", "Q", title="difficulty", scale={"domain": [0, 1]}),
        "size": field("pairs", "Q", title="pairs"),
        "color": field("bucket", "N", title=None),
        "opacity": opacity,
        "tooltip": [field("x", "Q", title=x), field("low", "Q"), field("high", "Q"),
                    field("bucket", "N"), field("pairs", "Q"), field("mean_difficulty", "Q")],
    }  # fmt: skip
    return chart(rows, 300, {"mark": {"type": "circle"}, "encoding": encoding, "params": [param]})


# Cells: pairs counted per x value and difficulty bin; a bigger circle holds more pairs.
grid = cached(version, insights.cells, store, ["tests", "cyclomatic"], DIFFICULTY_BINS)
picked_cells: list[tuple[str, object, int]] = []
left, right = st.columns(2)
for column, (x, title) in zip(
    (left, right), [("tests", "Difficulty against tests"),
                    ("cyclomatic", "Difficulty against complexity")], strict=True,
):  # fmt: skip
    with column:
        st.subheader(title)
        rows = pd.DataFrame(grid[x])
        if rows.empty:
            st.caption("Nothing ranked yet.")
            continue
        rows["difficulty"] = (rows["low"] + rows["high"]) / 2
        table = rows.rename(columns={"x": x})[[x, "low", "high", "bucket", "pairs",
                                               "mean_difficulty"]]  # fmt: skip
        points = chart_and_table(cells_chart(rows, x), table, f"rank_{x}", selectable=True)
        picked_cells += [(x, p["x"], int(p["bin"])) for p in points if "bin" in p]

st.subheader("Curriculum buckets")
points = chart_and_table(
    native_bars(buckets, "bucket", "pairs", height=260, labels=True, select="buckets"),
    buckets,
    "rank_buckets",
    selectable=True,
)
chosen_buckets = [p["bucket"] for p in points if p.get("bucket")]

st.subheader("Per source")
points = chart_and_table(
    native_bars(by_source, "source", "pairs", color="bucket", tooltip=["mean_difficulty"],
                select="sources"),
    by_source,
    "rank_sources",
    selectable=True,
)  # fmt: skip
chosen_sources = [p["source"] for p in points if p.get("source")]

st.subheader("Pairs behind the selection")
left, right = st.columns(2)
bucket_pick = left.selectbox("Bucket", ["(any)", *buckets["bucket"]], key="rank_bucket")
source_pick = right.selectbox("Source", ["(any)", *by_source["source"].unique()], key="rank_source")
if bucket_pick != "(any)":
    chosen_buckets.append(bucket_pick)
if source_pick != "(any)":
    chosen_sources.append(source_pick)
listed, total = store.validated_pairs(
    buckets=chosen_buckets, sources=chosen_sources, cells=picked_cells,
    bins=DIFFICULTY_BINS, limit=LISTED,
)  # fmt: skip
if total > len(listed):
    st.caption(f"{total} pairs match; the {len(listed)} easiest are listed.")
elif total:
    st.caption(f"{total} pairs match.")
columns = ["pair", "name", "source", "bucket", "difficulty", "tests", "curriculum_position"]
pairs_to_review(pd.DataFrame(listed, columns=columns), "rank_selected")
