"""Review's Bulk decision panel: the page's current filters applied, as one action, to
every pair they match. A preview shows the count and the first pairs, a confirmation
records them (refused when the filter now matches another number), the result offers
an Undo of the whole bulk, and the annotator's bulk actions are listed.

Drawn at the foot of the Filters box, only while it is open: a page that never opens it
pays nothing for it, and the pair keeps its place on the screen."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from semi_core.bulk_decisions import (
    BULK_ACTIONS,
    bulk_decide,
    bulk_history,
    describe_filters,
    undo_bulk,
)
from semi_core.guidelines import reasons as reject_reasons
from semi_core.review import ReviewError
from semi_core.store import QueueFilters, Store
from studio.shared import escape_markdown
from studio.tables import show_table

PREVIEW, RESULT, ERROR = "bulk_preview", "bulk_result", "bulk_error"
SAMPLE_COLUMNS = ["id", "name", "source", "status", "difficulty", "test_strength", "instruction"]


def _request(annotator: str, filters: QueueFilters) -> dict[str, Any]:
    """What a preview is of: the annotator, the filters, the decision (a reject with its
    reasons) and whether decided pairs are included. A preview holds only while these are
    unchanged."""
    action = st.session_state.get("bulk_action") or BULK_ACTIONS[0]
    return {
        "annotator": annotator,
        "filters": {k: v for k, v in filters.items() if k != "include_decided"},
        "action": action,
        "include_decided": bool(st.session_state.get("bulk_include_decided")),
        "reasons": list(st.session_state.get("bulk_reasons") or []) if action == "reject" else [],
    }


def _queue_changed() -> None:
    st.session_state.pop("review_queue", None)  # the page's cached queue: read it again


def on_preview(store: Store, request: dict[str, Any]) -> None:
    st.session_state.pop(RESULT, None)
    try:
        preview = bulk_decide(store, request["annotator"], request["action"],
                              request["filters"], dry_run=True,
                              include_decided=request["include_decided"],
                              reasons=request["reasons"])  # fmt: skip
    except ReviewError as error:
        st.session_state[ERROR] = str(error)
        return
    st.session_state[PREVIEW] = {"request": request, "count": preview.count,
                                 "sample": preview.sample}  # fmt: skip


def on_confirm(store: Store, request: dict[str, Any], count: int) -> None:
    st.session_state.pop(PREVIEW, None)
    try:
        done = bulk_decide(store, request["annotator"], request["action"], request["filters"],
                           include_decided=request["include_decided"], expected=count,
                           reasons=request["reasons"])  # fmt: skip
    except ReviewError as error:
        st.session_state[ERROR] = str(error)
        return
    st.session_state[RESULT] = {"bulk_id": done.bulk_id, "sentence": done.sentence(),
                                "undone": None}  # fmt: skip
    _queue_changed()


def on_cancel() -> None:
    st.session_state.pop(PREVIEW, None)


def on_undo(store: Store, annotator: str, bulk_id: int) -> None:
    try:
        undone = undo_bulk(store, bulk_id, annotator)
    except ReviewError as error:
        st.session_state[ERROR] = str(error)
        return
    st.session_state[RESULT]["undone"] = undone["undone"]
    _queue_changed()


def _preview(store: Store, request: dict[str, Any]) -> None:
    preview = st.session_state.get(PREVIEW)
    if not preview or preview["request"] != request:
        return  # none yet, or of other filters: the button asks for a new one
    count, action = preview["count"], request["action"]
    if not count:
        st.info("No pair matches these filters: nothing to decide.")
        return
    why = f" for: {', '.join(request['reasons'])}" if request["reasons"] else ""
    st.markdown(f"**{count} pairs** would be {action}ed by you{escape_markdown(why)} "
                f"({escape_markdown(describe_filters(request['filters']))}). "
                f"The first {len(preview['sample'])}:")  # fmt: skip
    sample = pd.DataFrame(preview["sample"], columns=SAMPLE_COLUMNS)
    show_table(sample, "bulk_sample", height=min(36 * (len(sample) + 1) + 2, 300))
    bar = st.container(horizontal=True, gap="small")
    bar.button(f"Confirm: {action} {count} pairs", key="bulk_confirm", type="primary",
               on_click=on_confirm, args=(store, request, count))  # fmt: skip
    bar.button("Cancel", key="bulk_cancel", on_click=on_cancel)


def _result(store: Store, annotator: str) -> None:
    result = st.session_state.get(RESULT)
    if not result:
        return
    if result["undone"] is not None:
        st.success(f"Bulk action {result['bulk_id']} undone: {result['undone']} decisions "
                   "taken back.")  # fmt: skip
        return
    sentence = escape_markdown(result["sentence"])
    st.success(sentence[:1].upper() + sentence[1:])
    if result["bulk_id"] is not None:
        st.button("Undo this bulk action", key="bulk_undo", icon=":material/undo:",
                  on_click=on_undo, args=(store, annotator, result["bulk_id"]))  # fmt: skip


def _history(store: Store, annotator: str) -> None:
    rows = bulk_history(store, annotator)
    if not rows:
        return
    st.markdown("**Your bulk actions**")
    table = pd.DataFrame(
        [{"bulk": row["id"], "action": row["action"], "pairs": row["count"],
          "filters": json.dumps(row["filters"]) if row["filters"] else "none",
          "when": row["created_at"], "undone": row["undone_at"]} for row in rows]
    )  # fmt: skip
    show_table(table, "bulk_history")


def bulk_panel(store: Store, annotator: str, filters: QueueFilters, box: Any) -> None:
    """The Bulk decision panel at the foot of Review's Filters box (`box`, its tracked
    expander), while it is open: under the filters it applies (`filters`, the page's
    queue's), adding nothing above the pair when the box is closed."""
    if not box.open:
        return
    with box:
        st.markdown("**Bulk decision**")
        st.caption(
            "Accept or reject, as one action, every pair these filters match. Pairs a "
            "person already accepted or rejected are left alone unless included; an accept "
            "leaves out pairs not validated yet. Undo takes the whole action back."
        )
        row = st.container(horizontal=True, vertical_alignment="center", gap="medium")
        row.radio("Decision", BULK_ACTIONS, key="bulk_action", horizontal=True,
                  label_visibility="collapsed")  # fmt: skip
        if st.session_state.get("bulk_action") == "reject":
            row.multiselect("Reasons", reject_reasons(store), key="bulk_reasons",
                            placeholder="Reasons (optional)", label_visibility="collapsed",
                            width=260)  # fmt: skip
        row.checkbox("Include pairs a person already decided", key="bulk_include_decided")
        request = _request(annotator, filters)
        row.button("Preview", key="bulk_preview_button", icon=":material/preview:",
                   on_click=on_preview, args=(store, request))  # fmt: skip
        if problem := st.session_state.pop(ERROR, None):
            st.error(escape_markdown(problem))
        _preview(store, request)
        _result(store, annotator)
        _history(store, annotator)
