"""Review: one pair at a time — instruction, original vs rewrite, every test outcome —
and a decision written at once to the review log with the annotator's name.

The reviewer's place is a pair id (in the URL as `?pair=`, so a reload resumes there),
never a row position. Decisions go to DuckDB in the button's callback, before the page
is drawn again, so one script run shows the next pair. The queue's ids are kept for the
session (a derived view, re-read after a few seconds or when a filter changes): the
truth is always the review log.
"""

import difflib
import time

import pandas as pd
import streamlit as st

from pages._charts import metric_row, some_table
from pages._code_view import code_view
from pages._shared import current_annotator, escape_markdown, get_store
from semi_core.generate.base import ORIGINS
from semi_core.review import (
    ReviewError,
    changed_tests,
    current_decisions,
    decide,
    edit_pair,
    history,
    test_table,
    undo_last,
)
from semi_core.validate import VERDICT_STATUSES

STATUSES = list(VERDICT_STATUSES)
FAILURES = ["wrong", "error", "timeout", "memory", "rejected", "violation", "crashed"]
# test_table's columns for calls that change their arguments in place
ARGS_COLUMNS = ["expected args after", "actual args after"]
QUEUE_TTL_S = 15.0  # re-read the queue after this long: new pairs, other tabs' decisions
ACTIONS = {"accept": "Accept", "reject": "Reject", "skip": "Skip"}
SHORTCUTS = {"accept": "a", "reject": "x", "skip": "s"}

store = get_store()
st.title("Review")
annotator = current_annotator()
if annotator is None:
    st.warning("Enter your annotator name in the sidebar (or sign in) to review pairs.")
    st.stop()


@st.cache_data(ttl=30, show_spinner=False)
def review_sources(db_path: str) -> list[str]:
    return get_store().review_sources()


# -- filters ------------------------------------------------------------------------------
# The filters' widgets are drawn only while their box is open (a tracked expander): a new
# tab then skips seven widgets and the slider's script. Their values live in session state,
# written back each run, since Streamlit forgets the value of a widget it did not draw.
FILTER_DEFAULTS = {"f_status": [], "f_difficulty": (0.0, 1.0), "f_search": "", "f_source": "",
                   "f_origin": "", "f_failure": "", "f_decided": False,
                   "f_constant": False}  # fmt: skip
for name, default in FILTER_DEFAULTS.items():
    st.session_state[name] = st.session_state.get(name, default)


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value  # a range: list or tuple


active = any(_plain(st.session_state[k]) != _plain(v) for k, v in FILTER_DEFAULTS.items())
box = st.expander("Filters" + (" (active)" if active else ""), expanded=active, key="f_open",
                  on_change="rerun")  # fmt: skip
if box.open:
    with box:
        left, middle, right = st.columns(3)
        left.multiselect("Verdict status", STATUSES, key="f_status")
        middle.slider("Difficulty", 0.0, 1.0, key="f_difficulty")
        right.text_input(
            "Search text", key="f_search",
            help="In the instruction, the code and the snippet's name.",
        )  # fmt: skip
        left.selectbox("Source", [""] + review_sources(store.path), key="f_source",
                       format_func=lambda s: s or "any source")  # fmt: skip
        middle.selectbox("Test origin", ["", *ORIGINS], key="f_origin",
                         format_func=lambda s: s or "any origin")  # fmt: skip
        right.selectbox(
            "Failure kind", [""] + FAILURES, key="f_failure",
            format_func=lambda s: s or "any outcome",
            help="A test of the rewrite ended this way, or the verdict has this status.",
        )  # fmt: skip
        left.checkbox("Include pairs I decided", key="f_decided")
        middle.checkbox("Only tests that all expect one result", key="f_constant",
                        help="Weak tests: every usable test expects the same value.")  # fmt: skip
        if right.button("Refresh queue", key="refresh_queue"):
            st.session_state.pop("review_queue", None)

difficulty = st.session_state["f_difficulty"]
filters = {
    "statuses": st.session_state["f_status"] or None,
    "difficulty": None if tuple(difficulty) == (0.0, 1.0) else tuple(difficulty),
    "source": st.session_state["f_source"] or None,
    "origin": st.session_state["f_origin"] or None,
    "failure": st.session_state["f_failure"] or None,
    "search": st.session_state["f_search"].strip() or None,
    "include_decided": st.session_state["f_decided"],
    "constant_outputs": st.session_state["f_constant"],
}


def load_queue() -> dict:
    """The queue's first ids and its size, from the session when fresh enough."""
    key = repr((annotator, sorted(filters.items())))
    cached = st.session_state.get("review_queue")
    fresh = cached and cached["key"] == key and time.monotonic() - cached["at"] < QUEUE_TTL_S
    if fresh and cached["ids"]:
        return cached
    ids, total = store.review_queue_ids(annotator, **filters)
    cached = {"key": key, "ids": ids, "total": total, "at": time.monotonic()}
    st.session_state["review_queue"] = cached
    return cached


# -- actions (callbacks: they run before the page is drawn again) ------------------------------


def on_decide(action: str, pair_id: str) -> None:
    note = (st.session_state.get(f"note_{pair_id}") or "").strip()
    try:
        decide(store, pair_id, annotator, action, note or None)
    except ReviewError as error:
        st.session_state["review_error"] = str(error)
        return
    queue = st.session_state.get("review_queue") or {"ids": [], "total": 0}
    ids = list(queue["ids"])
    position = ids.index(pair_id) if pair_id in ids else -1
    following = ids[position + 1 :] + ids[:position] if position >= 0 else ids
    if filters["include_decided"]:
        st.session_state.pop("review_queue", None)  # its order changed: read it again
    elif position >= 0:
        ids.remove(pair_id)
        if action == "skip":
            ids.append(pair_id)  # skipped pairs come back after the undecided ones
        else:
            queue["total"] = max(queue["total"] - 1, 0)
        queue["ids"] = ids
    following = [i for i in following if i != pair_id] or ([pair_id] if action == "skip" else [])
    st.session_state["review_pair"] = following[0] if following else None
    st.session_state["review_flash"] = f"{action} recorded for {pair_id}"


def on_undo() -> None:
    try:
        undone = undo_last(store, annotator)
    except ReviewError as error:
        st.session_state["review_error"] = str(error)
        return
    st.session_state.pop("review_queue", None)
    if undone is None:
        st.session_state["review_flash"] = "Nothing to undo."
        return
    st.session_state["review_pair"] = undone["generation_id"]
    st.session_state["review_flash"] = f"Undid {undone['action']} on {undone['generation_id']}"


def revalidate(pair_id: str) -> None:
    """Validate one pair again, here and now (a new validation run in its history)."""
    # Imported here: the settings bring the OpenAI client (~1-2 s to import), which the
    # first visit of the Review page would otherwise wait for before showing a pair.
    from semi_core.pipeline import run_pipeline
    from semi_core.studio_settings import pipeline_settings

    run_pipeline(store, pipeline_settings(store), stages=("validate",), generation_ids=[pair_id])
    st.session_state.pop("review_queue", None)  # its verdict may leave or join the filters


def _failing_red(row: pd.Series) -> list[str]:
    colour = "background-color: rgba(255, 75, 75, 0.25)" if row.iloc[0] == "✗" else ""
    return [colour] * len(row)


# -- the queue and the current pair ------------------------------------------------------------
@st.fragment
def pair_view() -> None:
    """The current pair and its actions. A fragment: a decision redraws only this part
    of the page (the filters and the sidebar stay as they are), which keeps accept →
    next pair quick."""
    # Messages from the last action's callback (callbacks run before the script).
    if flash := st.session_state.pop("review_flash", None):
        st.toast(flash)
    if problem := st.session_state.pop("review_error", None):
        st.error(escape_markdown(problem))
    queue = load_queue()
    ids = queue["ids"]
    if not ids:
        if not store.review_queue_ids(annotator, include_decided=True, limit=1)[0]:
            st.info("No pairs yet. Start a run on the Run page to generate and validate pairs.")
            st.page_link("pages/run.py", label="Go to the Run page", icon=":material/play_arrow:")
        else:
            st.info(
                "Nothing to review with these filters: change them, or tick "
                "“Include pairs I decided”."
            )
        st.button("Undo my last decision", key="undo_empty", on_click=on_undo)
        return

    wanted = st.session_state.get("review_pair") or st.query_params.get("pair")
    pair_id = wanted if wanted in ids else ids[0]
    st.session_state["review_pair"] = pair_id
    if st.query_params.get("pair") != pair_id:
        st.query_params["pair"] = pair_id
    pair = store.pair(pair_id)
    if pair is None:  # gone from the store since the queue was read
        st.session_state.pop("review_queue", None)
        st.rerun()
    verdict = pair["verdict"]

    st.caption(
        f"Pair {ids.index(pair_id) + 1} of {queue['total']} in your queue · id `{pair_id}` · "
        f"backend **{escape_markdown(pair['backend'])}** · snippet "
        f"**{escape_markdown(pair['name'])}** from {escape_markdown(pair['path'])}"
    )
    # One row of buttons and the note, in one horizontal container: a new tab draws one
    # block instead of a row block and five columns.
    bar = st.container(horizontal=True, vertical_alignment="center")
    for action, label in ACTIONS.items():
        bar.button(
            label,
            key=action,
            shortcut=SHORTCUTS[action],
            on_click=on_decide,
            args=(action, pair_id),
            type="primary" if action == "accept" else "secondary",
            width=90,
        )
    bar.button("Undo", key="undo", shortcut="u", on_click=on_undo, width=90)
    bar.text_input(
        "Note (optional)",
        key=f"note_{pair_id}",
        label_visibility="collapsed",
        placeholder="Note, kept with your decision (optional)",
    )
    st.caption("Keys: A accept · X reject · S skip · U undo (when no text box has the focus)")

    if verdict:
        strength, level = verdict["test_strength"], verdict["difficulty"]
        metric_row(
            [
                ("Verdict", verdict["status"]),
                ("Tests passed", f"{verdict['passed']}/{verdict['usable']}"),
                ("Test strength", f"{strength:.0%}" if strength is not None else "–"),
                ("Difficulty", f"{level:.2f}" if level is not None else "–"),
            ]
        )
    else:
        st.info("Not validated yet.")

    st.subheader("Instruction")
    code_view(pair["instruction"] or "", None, wrap=True, key=f"instruction_{pair_id}")

    left, right = st.columns(2)
    left.markdown("**Original (natural code)**")
    with left:
        code_view(pair["original_code"], key=f"original_{pair_id}")
    right.markdown("**Generated code**")
    with right:
        code_view(pair["code"] or "", key=f"generated_{pair_id}")
    # The diff and the edit form are drawn only when opened (tracked expanders): a pair is
    # shown without them, and without the two text areas holding its whole code.
    diff_box = st.expander("Diff", key="diff_open", on_change="rerun")
    if diff_box.open:
        diff = difflib.unified_diff(
            pair["original_code"].splitlines(),
            (pair["code"] or "").splitlines(),
            "original",
            "generated",
            lineterm="",
        )
        with diff_box:
            code_view("\n".join(diff) or "(identical)", "diff", key=f"diff_{pair_id}")

    st.subheader("Tests")
    tests = test_table(store, pair_id, verdict["run_id"] if verdict else None)
    if verdict and verdict["signals"].get("constant_outputs"):
        st.warning(
            f"All {verdict['signals']['usable']} tests expect one and the same result: they "
            "check little of what the code does (weak tests)."
        )
    if tests:
        frame = pd.DataFrame(tests)
        # The arguments after the call are shown only for calls that changed them.
        frame = frame.drop(columns=[c for c in ARGS_COLUMNS if frame[c].isna().all()])
        frame.insert(0, "", frame.pop("failing").map({True: "✗", False: "✓"}))
        # Failing rows marked twice: ✗ in the first column and a red row.
        some_table(frame, f"tests_{pair_id}", row_style=_failing_red)
    else:
        st.caption("No test cases.")
    if st.button("Rerun validation", key="rerun", icon=":material/refresh:"):
        with st.spinner("Validating in the sandbox…"):
            revalidate(pair_id)
        st.rerun()

    # -- edit and revalidate -------------------------------------------------------------------
    edit_box = st.expander("Edit instruction and code", key="edit_open", on_change="rerun")
    if edit_box.open:
        with edit_box, st.form(f"edit_{pair_id}"):
            new_instruction = st.text_area("Instruction", pair["instruction"] or "", height=150)
            new_code = st.text_area("Code", pair["code"] or "", height=300)
            if st.form_submit_button("Save and revalidate"):
                try:
                    edit_pair(store, pair_id, annotator, new_instruction, new_code)
                except ReviewError as error:
                    st.error(escape_markdown(error))
                else:
                    with st.spinner("Revalidating…"):
                        revalidate(pair_id)
                    st.session_state["changed_tests"] = changed_tests(
                        tests, test_table(store, pair_id)
                    )
                    st.rerun()
    if (changes := st.session_state.pop("changed_tests", None)) is not None:
        st.markdown("**Tests changed by the edit**")
        if changes:
            some_table(pd.DataFrame(changes), "changed_tests")
        else:
            st.caption("No test changed its outcome.")

    # -- who decided what ----------------------------------------------------------------------
    st.subheader("Decision history")
    events = history(store, pair_id)
    current = current_decisions(events)  # from the events read anyway: one query less
    if current:
        st.caption(
            "Current decisions: "
            + " · ".join(f"{escape_markdown(name)}: {action}" for name, action in current.items())
        )
    if events:
        rows = [
            {
                "when": e["created_at"],
                "annotator": e["annotator"],
                "action": e["action"],
                "note": e["note"],
                "undone": bool(e["undone_by"]),
            }
            for e in events
        ]
        some_table(pd.DataFrame(rows), f"history_{pair_id}")
    else:
        st.caption("No decisions yet.")


pair_view()
