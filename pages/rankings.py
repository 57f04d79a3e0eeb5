"""Rankings: how hard the validated pairs are — the difficulty distribution, difficulty
against test count and complexity, the curriculum buckets and each source's share — and
from a cell, a bar or a bucket to the pairs behind it.

Every chart is drawn from rows the store counted (bins and cells), so the page costs the
same at 100 pairs as at 100,000."""

import pandas as pd
import streamlit as st

from semi_core import insights
from semi_core.insights import BUCKET_ORDER
from studio.charts import binned_bars, chart_and_table, html_bars, html_cells
from studio.glossary import HELP
from studio.shared import cached, get_store
from studio.tables import pairs_to_review

DIFFICULTY_BINS = 20
LISTED = 1000  # pairs listed behind a selection at most

store = get_store()

st.title("Rankings")
st.caption(
    "Difficulty is our score from the pair's tests, code size and complexity (and the "
    "solve rate when measured); the curriculum orders pairs from easy to hard in three "
    "buckets (tertiles of the score). Click a cell or a bar (shift-click for more) to "
    "list the pairs behind it.",
    help=f"**Difficulty**: {HELP['difficulty']}\n\n**Buckets**: {HELP['bucket']}",
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
        rows = rows.rename(columns={"x": x})
        rows["difficulty"] = (rows["low"] + rows["high"]) / 2
        table = rows[[x, "low", "high", "bucket", "pairs", "mean_difficulty"]]
        # A circle per cell; a click picks the cell by its x value and difficulty bin.
        figure = html_cells(rows, x, "difficulty", "pairs", "bucket", series=BUCKET_ORDER,
                            tooltip=["low", "high", "mean_difficulty"], pick=[x, "bin"],
                            x_title=x, y_title="difficulty")  # fmt: skip
        points = chart_and_table(figure, table, f"rank_{x}", pickable=True)
        picked_cells += [(x, p[x], p["bin"]) for p in points
                         if x in p and isinstance(p.get("bin"), int)]  # fmt: skip

st.subheader("Curriculum buckets")
points = chart_and_table(
    html_bars(buckets, "bucket", "pairs", height=260, labels=True, pick=True),
    buckets,
    "rank_buckets",
    pickable=True,
)
chosen_buckets = [p["bucket"] for p in points if p.get("bucket")]

st.subheader("Per source")
points = chart_and_table(
    html_bars(by_source, "source", "pairs", color="bucket", series=BUCKET_ORDER,
              tooltip=["mean_difficulty"], pick=True),
    by_source,
    "rank_sources",
    pickable=True,
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
