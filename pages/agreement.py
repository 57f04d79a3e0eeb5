"""Agreement: how often annotators agree on the pairs several of them reviewed (percent
agreement and Cohen's kappa per annotator pair), and the disagreements to settle with a
final decision that wins over every vote."""

import pandas as pd
import streamlit as st

from pages._charts import chart_and_table, html_bars, metric_row, some_table
from pages._code_view import code_view
from pages._shared import current_annotator, get_store, require_role
from semi_core.agreement import agreement_table, disagreements, settle, votes_by_pair
from semi_core.auth import ADMIN
from semi_core.review import ReviewError

LISTED = 1000  # disagreements listed at most

store = get_store()

st.title("Agreement")
st.caption(
    "On pairs decided by more than one annotator: percent agreement and Cohen's kappa "
    "(agreement corrected for chance: 1 is perfect, 0 is what chance gives). Final "
    "decisions settle a disagreement and are not counted as votes."
)

flash = st.session_state.pop("agreement_flash", None)
if flash:
    st.success(flash)

votes = votes_by_pair(store)
shared = {pair: by for pair, by in votes.items() if len(by) > 1}
metric_row([("Pairs reviewed by several annotators", len(shared))])
if not shared:
    st.info("No pair has been decided by more than one annotator yet.")
    st.stop()

table = pd.DataFrame([row.to_dict() for row in agreement_table(votes)])
table["annotators"] = table["annotator_a"] + " · " + table["annotator_b"]
figure = html_bars(
    table, "annotators", "kappa", height=300, domain=(-1, 1),
    tooltip=["shared_pairs", "agreed", "percent_agreement"],
)  # fmt: skip
chart_and_table(figure, table.drop(columns="annotators"), "agreement_kappa")

st.subheader("Disagreements")
rows = disagreements(store)
if not rows:
    st.success("Every pair reviewed by several annotators has the same decision from all.")
    st.stop()
open_rows = [row for row in rows if row["final"] is None]
st.caption(
    f"{len(open_rows)} to settle, {len(rows) - len(open_rows)} settled"
    + (f"; the first {LISTED} are listed." if len(rows) > LISTED else ".")
)
listed = [
    {"pair": r["pair"], "final": r["final"] or "",
     **{f"vote: {name}": d for name, d in r["votes"].items()}}
    for r in rows[:LISTED]
]  # fmt: skip
some_table(pd.DataFrame(listed), "agreement_disagreements")

require_role(ADMIN, "settle a disagreement")
annotator = current_annotator()
if not annotator:
    st.warning("Enter your annotator name in the sidebar (or sign in) to settle a pair.")
    st.stop()

pair_id = st.selectbox(
    "Pair to settle", [r["pair"] for r in (open_rows or rows)[:LISTED]], key="ag_pair"
)
pair = store.pair(pair_id) if pair_id else None
if pair is None:
    st.stop()
left, right = st.columns(2)
with left:
    st.markdown("**Instruction**")
    st.text(pair["instruction"] or "")
with right:
    st.markdown("**Rewrite**")
    code_view(pair["code"] or "", key="disputed_code")
st.text_input("Note (why)", key="ag_note")


def on_settle(decision: str, generation_id: str) -> None:
    try:
        note = (st.session_state.get("ag_note") or "").strip()
        settle(store, generation_id, annotator, decision, note=note or None)
    except ReviewError as error:
        st.session_state["agreement_error"] = str(error)
        return
    st.session_state["agreement_flash"] = f"final {decision} recorded for {generation_id}"


buttons = st.columns(2)
buttons[0].button("Final accept", key="ag_accept", on_click=on_settle, args=("accept", pair_id))
buttons[1].button("Final reject", key="ag_reject", on_click=on_settle, args=("reject", pair_id))
error = st.session_state.pop("agreement_error", None)
if error:
    st.error(error)
