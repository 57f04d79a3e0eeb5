"""Review: one pair at a time — instruction, original vs rewrite, every test outcome —
and a decision written at once to the review log with the annotator's name."""

import difflib

import pandas as pd
import streamlit as st

from pages._shared import current_annotator, get_store
from semi_core.pipeline import PipelineSettings, run_pipeline
from semi_core.review import (
    ReviewError,
    changed_tests,
    decide,
    edit_pair,
    history,
    test_table,
    undo_last,
)

store = get_store()
st.title("Review")
annotator = current_annotator()
if annotator is None:
    st.warning("Enter your annotator name in the sidebar (or sign in) to review pairs.")
    st.stop()

# -- filters ------------------------------------------------------------------------------
STATUSES = ["validated", "mismatch", "generated_error", "too_few_tests", "original_unusable",
            "refused"]  # fmt: skip
with st.expander("Filters", expanded=False):
    left, middle, right = st.columns(3)
    statuses = left.multiselect("Verdict status", STATUSES, key="f_status")
    difficulty = middle.slider("Difficulty", 0.0, 1.0, (0.0, 1.0), key="f_difficulty")
    search = right.text_input("Search text", key="f_search")
    origin = left.selectbox("Test origin", ["", "llm", "typed", "probe", "literal", "mutation",
                                            "doctest"], key="f_origin")  # fmt: skip
    failure = middle.selectbox("Failure kind", ["", "wrong", "error", "timeout", "memory",
                                                "rejected", "violation", "crashed"],
                               key="f_failure")  # fmt: skip
    include_decided = right.checkbox("Include pairs I decided", key="f_decided")

queue = store.review_queue(
    annotator,
    statuses=statuses or None,
    difficulty=None if difficulty == (0.0, 1.0) else difficulty,
    origin=origin or None,
    failure=failure or None,
    search=search or None,
    include_decided=include_decided,
)
if not queue:
    st.info("Nothing to review with these filters. Start a run on the Run page.")
    last = st.button("Undo my last decision", key="undo_empty")
    if last and (undone := undo_last(store, annotator)):
        st.toast(f"Undid {undone['action']} on {undone['generation_id']}")
        st.rerun()
    st.stop()

# The reviewer's place is a pair id, never a row position: the queue shifts under us.
ids = [row["id"] for row in queue]
if st.session_state.get("review_pair") not in ids:
    st.session_state["review_pair"] = ids[0]
pair_id = st.session_state["review_pair"]
pair = store.pair(pair_id)
verdict = pair["verdict"]

st.caption(
    f"Pair {ids.index(pair_id) + 1} of {len(ids)} in your queue · id `{pair_id}` · "
    f"backend **{pair['backend']}** · snippet `{pair['name']}` from {pair['path']}"
)
if verdict:
    strength = verdict["test_strength"]
    difficulty_text = f"{verdict['difficulty']:.2f}" if verdict["difficulty"] is not None else "–"
    strength_text = f"{strength:.0%}" if strength is not None else "–"
    columns = st.columns(4)
    columns[0].metric("Verdict", verdict["status"])
    columns[1].metric("Tests passed", f"{verdict['passed']}/{verdict['usable']}")
    columns[2].metric("Test strength", strength_text)
    columns[3].metric("Difficulty", difficulty_text)
else:
    st.info("Not validated yet.")

st.subheader("Instruction")
st.text(pair["instruction"] or "")

left, right = st.columns(2)
left.markdown("**Original (natural code)**")
left.code(pair["original_code"], language="python")
right.markdown("**Generated code**")
right.code(pair["code"] or "", language="python")
with st.expander("Diff"):
    diff = difflib.unified_diff(
        pair["original_code"].splitlines(), (pair["code"] or "").splitlines(),
        "original", "generated", lineterm="",
    )  # fmt: skip
    st.code("\n".join(diff) or "(identical)", language="diff")

st.subheader("Tests")
tests = test_table(store, pair_id)
if tests:
    frame = pd.DataFrame(tests)
    frame.insert(0, "", frame.pop("failing").map({True: "✗", False: "✓"}))
    st.dataframe(frame, hide_index=True, width="stretch", key="tests_table")
else:
    st.caption("No test cases.")

if st.button("Rerun validation", key="rerun"):
    with st.spinner("Validating in the sandbox…"):
        run_pipeline(store, PipelineSettings(), stages=("validate",), generation_ids=[pair_id])
    st.rerun()

# -- decision ---------------------------------------------------------------------------------
note = st.text_input("Note (optional)", key=f"note_{pair_id}")
buttons = st.columns(4)
action = None
if buttons[0].button("Accept", type="primary", shortcut="a", key="accept"):
    action = "accept"
if buttons[1].button("Reject", shortcut="x", key="reject"):
    action = "reject"
if buttons[2].button("Skip", shortcut="s", key="skip"):
    action = "skip"
if buttons[3].button("Undo last", shortcut="u", key="undo"):
    undone = undo_last(store, annotator)
    if undone:
        st.session_state["review_pair"] = undone["generation_id"]
        st.toast(f"Undid {undone['action']} on {undone['generation_id']}")
    st.rerun()
st.caption("Keys: A accept · X reject · S skip · U undo")
if action:
    decide(store, pair_id, annotator, action, note)
    position = ids.index(pair_id)
    following = ids[position + 1 :] + ids[:position]
    st.session_state["review_pair"] = following[0] if following else pair_id
    st.toast(f"{action} recorded for {pair['name']}")
    st.rerun()

# -- edit and revalidate ------------------------------------------------------------------------
with st.expander("Edit instruction and code"):
    with st.form(f"edit_{pair_id}"):
        new_instruction = st.text_area("Instruction", pair["instruction"] or "", height=150)
        new_code = st.text_area("Code", pair["code"] or "", height=300)
        if st.form_submit_button("Save and revalidate"):
            try:
                edit_pair(store, pair_id, annotator, new_instruction, new_code)
            except ReviewError as error:
                st.error(str(error))
            else:
                with st.spinner("Revalidating…"):
                    run_pipeline(store, PipelineSettings(), stages=("validate",),
                                 generation_ids=[pair_id])  # fmt: skip
                st.session_state["changed_tests"] = changed_tests(tests, test_table(store, pair_id))
                st.rerun()
if changes := st.session_state.pop("changed_tests", None):
    st.markdown("**Tests changed by the edit**")
    st.dataframe(pd.DataFrame(changes), hide_index=True)

# -- history --------------------------------------------------------------------------------------
st.subheader("Decision history")
events = history(store, pair_id)
if events:
    st.dataframe(
        pd.DataFrame(
            [{"when": e["created_at"], "annotator": e["annotator"], "action": e["action"],
              "note": e["note"], "undone": bool(e["undone_by"])} for e in events]
        ),
        hide_index=True,
        width="stretch",
    )  # fmt: skip
else:
    st.caption("No decisions yet.")
