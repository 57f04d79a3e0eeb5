"""Overview's review sections: the audit (draw a stratified sample of validated pairs;
the share people accept, blind, per stratum and overall with its 95% Wilson interval) and
each annotator's progress (done, remaining, rate)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from semi_core.assignment import progress
from semi_core.audit import (
    STRATIFY_BY,
    AuditError,
    audit_report,
    draw_audit,
    interval_text,
    latest_audit_id,
    share_text,
)
from semi_core.auth import ADMIN
from semi_core.store import Store
from studio.shared import cached, may
from studio.tables import metric_row, show_table


def _on_draw(store: Store) -> None:
    state = st.session_state
    try:
        drawn = draw_audit(store, int(state["audit_n"]), state["audit_by"],
                           int(state["audit_seed"]))  # fmt: skip
    except AuditError as error:
        state["audit_error"] = str(error)
        return
    how = "Drew" if drawn.new else "Already drawn:"
    state["audit_flash"] = (
        f"{how} {drawn.sampled} of {drawn.population} validated pairs into audit "
        f"{drawn.id}: review them in Review's Audit queue."
    )


def audit_section(store: Store, version: tuple) -> None:
    """The latest audit's figures, and (for an admin) the form that draws a new one."""
    st.subheader("Audit: how good is “validated”?")
    st.caption(
        "A stratified random sample of the validated pairs, reviewed on Review's Audit "
        "queue without the verdict or the scores: the share people accept is the precision "
        "of the automatic filter, shown with its 95% Wilson interval."
    )
    if flash := st.session_state.pop("audit_flash", None):
        st.success(flash)
    if problem := st.session_state.pop("audit_error", None):
        st.error(problem)
    report = cached(version, audit_report, store)
    if report is None:
        st.caption("No audit yet.")
    else:
        overall = report["overall"]
        metric_row([
            ("Accepted in the audit", share_text(overall["share"])),
            ("95% interval", interval_text(overall["interval"])),
            ("Decided", f"{overall['decided']} of {overall['sampled']}"),
        ])  # fmt: skip
        rows = [{report["by"]: row["stratum"], "accepted": row["accepted"],
                 "decided": row["decided"], "sampled": row["sampled"], "split": row["split"],
                 "share accepted": share_text(row["share"]),
                 "95% interval": interval_text(row["interval"])}
                for row in [*report["strata"], {**overall, "stratum": "all"}]]  # fmt: skip
        show_table(pd.DataFrame(rows), "overview_audit")
        st.caption(f"Audit {report['id']}, drawn by {report['by']} with seed {report['seed']} "
                   f"from {report['population']} validated pairs.")  # fmt: skip
    if may(ADMIN):
        with st.form("audit_form"):
            n, by, seed = st.columns(3)
            n.number_input("Pairs to sample", 1, 100_000, 100, key="audit_n")
            by.selectbox("Stratified by", STRATIFY_BY, key="audit_by")
            seed.number_input("Seed", 0, 2**31 - 1, 0, key="audit_seed")
            st.form_submit_button("Draw an audit sample", on_click=_on_draw, args=(store,))


def progress_section(store: Store, version: tuple) -> None:
    """Per annotator: pairs done, pairs remaining (held, not decided), decisions per hour
    of active time; and the pairs nobody holds yet."""
    rows = cached(version, progress, store)
    if not rows:
        return
    st.markdown("**Progress:** pairs done and remaining per annotator, and decisions per "
                "hour of active time (pauses over 10 minutes left out)")  # fmt: skip
    show_table(pd.DataFrame(rows)[["annotator", "done", "remaining", "decisions",
                                   "active_hours", "rate_per_hour"]],
               "overview_progress")  # fmt: skip
    st.caption(f"{cached(version, Store.unassigned_pairs, store)} pairs not given to anyone "
               f"yet; {store.overlap():.0%} of pairs go to two annotators.")  # fmt: skip


AUDIT_QUEUE = "Audit"
QUEUES = ("My queue", AUDIT_QUEUE)
BLIND_COLUMNS = ("#", "input", "expected", "expected args after")


def audit_queue_choice(store: Store) -> str | None:
    """Review's queue choice, drawn once an audit exists: the annotator's own queue, or
    the latest audit's pairs. Returns that audit's id when its queue is chosen."""
    audit_id = latest_audit_id(store)
    if audit_id is None:
        return None
    st.segmented_control("Queue", QUEUES, default=QUEUES[0], key="review_mode",
                         help="Audit: a random sample of validated pairs, judged without "
                         "their verdict or scores, to measure how good validation is.")  # fmt: skip
    if st.session_state.get("review_mode") != AUDIT_QUEUE:
        return None
    st.caption(f"Audit {audit_id}: judge the instruction and the code on their own — the "
               "verdict, the scores and the test outcomes are hidden.")  # fmt: skip
    return audit_id


def blind_tests_table(tests: list[dict], key: str) -> None:
    """A pair's tests without their outcome: each input and the original's answer."""
    frame = pd.DataFrame(tests)
    shown = [c for c in BLIND_COLUMNS if c in frame and not frame[c].isna().all()]
    show_table(frame[shown], key)
