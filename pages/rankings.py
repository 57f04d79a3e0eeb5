"""Rankings: how hard the validated pairs are — the difficulty distribution, difficulty
against test count and complexity, the curriculum buckets and each source's share — and
from a cell, a bar or a bucket to the pairs behind it.

Every chart is drawn from rows the store counted (bins and cells), so the page costs the
same at 100 pairs as at 100,000."""

import pandas as pd
import plotly.express as px
import streamlit as st

from pages._charts import binned_bars, chart_and_table, pairs_to_review
from pages._shared import cached, get_store
from semi_core import insights

DIFFICULTY_BINS = 20
LISTED = 1000  # pairs listed behind a selection at most

store = get_store()

st.title("Rankings")
st.caption(
    "Difficulty is our score from the pair's tests, code size and complexity (and the "
    "solve rate when measured); the curriculum orders pairs from easy to hard in three "
    "buckets (tertiles of the score)."
)

version = store.data_version()
by_source = pd.DataFrame(cached(version, insights.source_breakdown, store))
if by_source.empty:
    st.info("No validated pairs yet: run the pipeline on the Run page (or `semi run`).")
    st.stop()
buckets = pd.DataFrame(insights.bucket_counts(by_source.to_dict("records")))


def tidy(figure, height: int = 300):
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return figure


st.subheader("Difficulty distribution")
numbers = cached(version, insights.distributions, store, {"difficulty": DIFFICULTY_BINS}, True)
difficulty = numbers["difficulty"]
if difficulty["bins"]:
    binned_bars(difficulty["bins"], "difficulty", "rank_hist", height=300)
unranked = int(buckets["pairs"].sum()) - difficulty["summary"]["count"]
if unranked:
    st.caption(f"{unranked} validated pairs have no difficulty yet (`semi rank`).")

# Cells: pairs counted per x value and difficulty bin; a bigger marker holds more pairs.
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
        figure = px.scatter(rows, x="x", y="difficulty", size="pairs", color="bucket",
                            custom_data=["x", "bin", "pairs"], labels={"x": x},
                            hover_data={"pairs": True, "mean_difficulty": True})  # fmt: skip
        table = rows.rename(columns={"x": x})[[x, "low", "high", "bucket", "pairs",
                                               "mean_difficulty"]]  # fmt: skip
        points = chart_and_table(tidy(figure), table, f"rank_{x}", selectable=True)
        for point in points:
            data = point.get("customdata")
            if isinstance(data, list | tuple) and len(data) >= 2:
                picked_cells.append((x, data[0], int(data[1])))

st.subheader("Curriculum buckets")
points = chart_and_table(
    tidy(px.bar(buckets, x="bucket", y="pairs", text="pairs"), 260),
    buckets,
    "rank_buckets",
    selectable=True,
)
chosen_buckets = [p.get("x") for p in points if p.get("x")]

st.subheader("Per source")
points = chart_and_table(
    tidy(px.bar(by_source, x="source", y="pairs", color="bucket", hover_data=["mean_difficulty"])),
    by_source,
    "rank_sources",
    selectable=True,
)
chosen_sources = [p.get("x") for p in points if p.get("x")]

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
