"""Agreement: how often annotators agree on the pairs several of them voted on (percent
agreement and Cohen's kappa per annotator pair, on their own votes only), and the pairs in
dispute to settle with a final decision. The one who settles sees everything the pair's
review holds: the original code beside the rewrite, its tests, and every vote with its
note."""

import pandas as pd
import streamlit as st

from semi_core.agreement import (
    DISPUTED,
    agreement_table,
    decision_rule,
    disagreements,
    settle,
    voted_on_by,
    voters,
    votes_by_pair,
)
from semi_core.auth import ADMIN
from semi_core.review import ReviewError, test_table
from studio import plots
from studio.charts import chart
from studio.shared import current_annotator, get_store, may, require_role
from studio.tables import both_codes, metric_row, show_table, tests_table

LISTED = 1000  # disagreements listed at most

store = get_store()
rule = decision_rule(store)

st.title("Agreement")
st.caption(
    "On pairs voted on by more than one annotator: percent agreement and Cohen's kappa "
    "(agreement corrected for chance: 1 is perfect, 0 is what chance gives), measured on "
    "the annotators' own votes; final decisions settle a dispute and are not votes. A pair "
    f"is {rule.describe()}; any other pair with votes is in dispute and never exported as "
    "accepted (the rule is set on the Prompt and settings page)."
)

flash = st.session_state.pop("agreement_flash", None)
if flash:
    st.success(flash)

votes = votes_by_pair(store)
shared = {pair: by for pair, by in votes.items() if len(by) > 1}
rows = disagreements(store)
open_rows = [row for row in rows if row["decision"] == DISPUTED]
metric_row([("Pairs reviewed by several annotators", len(shared)), ("In dispute", len(open_rows))])
if not shared:
    st.info("No pair has been decided by more than one annotator yet.")
    st.stop()

table = pd.DataFrame([row.to_dict() for row in agreement_table(votes)])
# Each bar names how many pairs its kappa rests on: a kappa of 3 pairs says little.
chart(plots.kappa_bars(table.to_dict("records")), table, key="agreement_kappa")
# Each kappa with the n of pairs it rests on and its 95% interval (`kappa_interval`).
intervals = table.rename(columns={"shared_pairs": "n", "kappa_low": "kappa 95% low",
                                  "kappa_high": "kappa 95% high"})  # fmt: skip
show_table(intervals[["annotator_a", "annotator_b", "n", "kappa", "kappa 95% low",
                      "kappa 95% high"]], "agreement_intervals")  # fmt: skip

st.subheader("Disagreements")
if not rows:
    st.success("Every pair voted on by several annotators has the same vote from all.")
    st.stop()
settled = sum(1 for row in rows if row["final"] is not None)
by_majority = len(rows) - len(open_rows) - settled
st.caption(
    f"{len(open_rows)} to settle, {settled} settled"
    + (f", {by_majority} decided by the majority rule" if by_majority else "")
    + (f"; the first {LISTED} are listed." if len(rows) > LISTED else ".")
)
# Who settles sees every vote; an annotator only the votes on pairs they voted on.
shown = rows if may(ADMIN) else voted_on_by(rows, current_annotator())
if len(shown) < len(rows):
    hidden = len(rows) - len(shown)
    st.caption(
        f"{hidden} more {'disagreement is' if hidden == 1 else 'disagreements are'} not "
        "listed: votes are independent, so the others' votes on a pair show once you have "
        "voted on it."
    )
listed = [
    {"pair": r["pair"], "decision": r["decision"], "final": r["final"] or "",
     **{f"vote: {name}": d for name, d in r["votes"].items()}}
    for r in shown[:LISTED]
]  # fmt: skip
if listed:
    show_table(pd.DataFrame(listed), "agreement_disagreements")

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
st.markdown("**Instruction**")
with st.container(border=True):
    st.markdown(pair["instruction"] or "")  # Markdown, as a model trained on it reads it
both_codes(pair, "Original (natural code)")
st.markdown("**Votes**")
show_table(pd.DataFrame(voters(store, pair_id)), f"disputed_votes_{pair_id}")
st.markdown("**Tests** (the current validation run)")
tests = test_table(store, pair_id)
if tests:
    tests_table(tests, f"disputed_tests_{pair_id}")
else:
    st.caption("No test cases.")
# One note box per pair, emptied once the pair is settled: a note never carries over.
note_key = f"ag_note_{pair_id}"
st.text_input("Note (why)", key=note_key)


def on_settle(decision: str, generation_id: str, note_key: str, verdict_id: str | None) -> None:
    try:
        note = (st.session_state.get(note_key) or "").strip()
        settle(store, generation_id, annotator, decision, note=note or None,
               verdict_id=verdict_id)  # fmt: skip
    except ReviewError as error:
        st.session_state["agreement_error"] = str(error)
        return
    st.session_state[note_key] = ""
    st.session_state["agreement_flash"] = f"final {decision} recorded for {generation_id}"


# A final decision is made on the verdict shown above: refused if it changed meanwhile.
shown_verdict = pair["verdict"]["id"] if pair["verdict"] else None
buttons = st.columns(2)
buttons[0].button("Final accept", key="ag_accept", on_click=on_settle,
                  args=("accept", pair_id, note_key, shown_verdict))  # fmt: skip
buttons[1].button("Final reject", key="ag_reject", on_click=on_settle,
                  args=("reject", pair_id, note_key, shown_verdict))  # fmt: skip
error = st.session_state.pop("agreement_error", None)
if error:
    st.error(error)
