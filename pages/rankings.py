"""Rankings: how hard the validated pairs are — the difficulty distribution, difficulty
against test count and complexity, the curriculum buckets and each source's share — and
from a point, a bar or a bucket to the pairs behind it."""

import pandas as pd
import plotly.express as px
import streamlit as st

from pages._charts import chart_and_table, pairs_to_review, selected_ids
from pages._shared import get_store
from semi_core import insights

store = get_store()

st.title("Rankings")
st.caption(
    "Difficulty is our score from the pair's tests, code size and complexity (and the "
    "solve rate when measured); the curriculum orders pairs from easy to hard in three "
    "buckets (tertiles of the score)."
)

pairs = pd.DataFrame(insights.ranked_pairs(store))
if pairs.empty:
    st.info("No validated pairs yet: run the pipeline on the Run page (or `semi run`).")
    st.stop()

HOVER = ["name", "source", "bucket"]
selected: list[str] = []


def tidy(figure, height: int = 300):
    figure.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10))
    return figure


st.subheader("Difficulty distribution")
bins = pd.cut(pairs["difficulty"].fillna(0), bins=10).value_counts().sort_index()
chart_and_table(
    tidy(px.histogram(pairs, x="difficulty", nbins=20, color="bucket")),
    pd.DataFrame({"difficulty": bins.index.astype(str), "pairs": bins.values}),
    "rank_hist",
)

left, right = st.columns(2)
with left:
    st.subheader("Difficulty against tests")
    figure = px.scatter(pairs, x="tests", y="difficulty", color="bucket",
                        custom_data=["pair", "name"], hover_data=HOVER)  # fmt: skip
    points = chart_and_table(
        tidy(figure), pairs[["pair", "name", "tests", "difficulty"]], "rank_tests", selectable=True
    )
    selected += selected_ids(points)
with right:
    st.subheader("Difficulty against complexity")
    figure = px.scatter(pairs, x="cyclomatic", y="difficulty", color="bucket",
                        custom_data=["pair", "name"], hover_data=HOVER)  # fmt: skip
    points = chart_and_table(
        tidy(figure),
        pairs[["pair", "name", "cyclomatic", "code_lines", "difficulty"]],
        "rank_complexity",
        selectable=True,
    )
    selected += selected_ids(points)

st.subheader("Curriculum buckets")
buckets = pd.DataFrame(insights.bucket_counts(insights.ranked_pairs(store)))
points = chart_and_table(
    tidy(px.bar(buckets, x="bucket", y="pairs", text="pairs"), 260),
    buckets,
    "rank_buckets",
    selectable=True,
)
chosen_buckets = [p.get("x") for p in points if p.get("x")]

st.subheader("Per source")
by_source = pd.DataFrame(insights.source_breakdown(insights.ranked_pairs(store)))
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
mask = pd.Series(False, index=pairs.index)
if selected:
    mask |= pairs["pair"].isin(selected)
if chosen_buckets or chosen_sources:
    group = pd.Series(True, index=pairs.index)
    if chosen_buckets:
        group &= pairs["bucket"].isin(chosen_buckets)
    if chosen_sources:
        group &= pairs["source"].isin(chosen_sources)
    mask |= group
shown = pairs[mask].sort_values("difficulty")
columns = ["pair", "name", "source", "bucket", "difficulty", "tests", "curriculum_position"]
pairs_to_review(shown[columns], "rank_selected")
