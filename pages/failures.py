"""Failures: why snippets and pairs fail, grouped by stage and kind (policy refusals by
reason, timeouts, exception types, mismatches, generation errors) with counts and
examples; mismatches also by signature (wrong value, wrong type, unexpected or missing
exception), each pair one click from Review; the scoreboard of simulated mistakes, each
slipped pair one click from Review; from a group to a pair with its failing test
highlighted."""

import pandas as pd
import streamlit as st

from semi_core import insights, mismatch
from studio import plots, reasons
from studio.charts import OnePick, draw_open, lazy_tabs, numbers_table
from studio.shared import cached, get_store
from studio.simulated import SIMULATED, practice_badge, scoreboard_section
from studio.tables import FAILED, NOT_RUN, PASSED, both_codes, pairs_to_review, show_table

LISTED = 1000  # failures of a group listed at most

store = get_store()

st.title("Failures")
st.caption(
    "Every failure is typed: ingest rejections, generation errors, and validation "
    "verdicts other than validated, by the first failing test's kind and detail."
)

version = store.data_version()
groups = pd.DataFrame(cached(version, insights.failure_groups, store))
if groups.empty:
    st.info("No failures recorded: nothing was rejected, and every checked pair validated.")
    scoreboard_section(store, version, "failures_slipped")  # what slipped is no failure
    st.subheader("Reject reasons")  # people reject validated pairs too
    reasons.reason_counts_section(store, version)
    st.stop()

groups["group"] = groups["stage"] + " · " + groups["kind"] + " · " + groups["detail"]
by_kind = groups.groupby(["stage", "kind"], as_index=False, sort=False)["count"].sum()
found = cached(version, mismatch.mismatches, store)

# The simulated mistakes: what validation caught and what slipped.
scoreboard_section(store, version, "failures_slipped")

# One view at a time (lazy tabs: only the open one is computed and drawn), so that opening
# the page draws one chart, not two charts, the groups and a pair.
VIEWS = {"kinds": "By kind", "sources": "By source", "signatures": "Mismatches by signature",
         "groups": "Groups and their pairs", "reasons": "Reject reasons"}  # fmt: skip
if not found:
    del VIEWS["signatures"]
tabs = lazy_tabs(VIEWS, "fail_view")
# The kinds as bars, and by source: a click (or a box) on a bar lists its failures. Only
# the chart on view picks: a closed view's pick goes with its chart.
FIELDS = {"kinds": plots.FIELDS["failure_kinds"], "sources": plots.FIELDS["failure_sources"]}
picks = OnePick("fail", {k: v for k, v in FIELDS.items() if tabs[k].open})


def picked_failures() -> None:
    """The failures of the bars picked, each pair one click from Review."""
    if not picks.chosen:
        st.caption("Click a bar (or draw a box round bars) to list its failures.")
        return
    found = [cached(version, insights.failure_members, store, k["stage"], k["kind"], None,
                    LISTED, k.get("source")) for k in picks.chosen]  # fmt: skip
    members = pd.DataFrame([m for rows, _ in found for m in rows])
    total = sum(n for _, n in found)
    more = f"; the first {len(members)} are listed" if total > len(members) else ""
    st.caption(f"{total} failures of the bars selected{more}.")
    pairs = members[members["pair"].notna()] if "pair" in members else members.iloc[0:0]
    if len(pairs):
        pairs_to_review(pairs[["pair", "name", "kind", "detail", "test"]], "fail_kind_pairs")
    snippets = members[members["pair"].isna()] if "pair" in members else members
    if len(snippets):
        st.caption("Rejected at ingest: these snippets never became pairs.")
        st.dataframe(snippets[["snippet", "name", "kind", "detail"]], hide_index=True,
                     width="stretch")  # fmt: skip


def signatures_section() -> None:
    """Mismatches by signature: how a rewrite's first failing test differs."""
    st.caption(
        "Pairs whose rewrite answers otherwise than the original, by how their first "
        "failing test differs: a wrong value, a wrong type, an exception the original does "
        "not raise, or a missing one."
    )
    by_signature = pd.DataFrame(mismatch.group_by_signature(found))
    show_table(by_signature.assign(examples=by_signature["examples"].map(", ".join)),
               "mismatch_signatures")  # fmt: skip
    signature = st.selectbox("Signature", list(by_signature["signature"]),
                             key="mismatch_signature")  # fmt: skip
    members = pd.DataFrame([m for m in found if m["signature"] == signature])
    pairs_to_review(members[["pair", "name", "test", "call", "difference"]], "mismatch_pairs")


def groups_section() -> None:
    """Every group of failures, largest first, and from a group to a pair with its
    failing tests highlighted."""
    st.caption(f"{int(groups['count'].sum())} failures in {len(groups)} groups, largest first.")
    table = groups[["stage", "kind", "detail", "count", "examples"]].assign(
        examples=groups["examples"].map(lambda ids: ", ".join(ids))
    )
    show_table(table, "fail_groups")

    left, right = st.columns([1, 3])
    kinds = ["(any)", *dict.fromkeys(groups["kind"])]
    shown_kind = left.selectbox("Kind", kinds, key="fail_kind")
    options = [g for g, k in zip(groups["group"], groups["kind"], strict=True)
               if shown_kind in ("(any)", k)]  # fmt: skip
    group = right.selectbox("Group", options, key="fail_group")
    stage, kind, detail = group.split(" · ", 2)
    members, total = cached(version, insights.failure_members, store, stage, kind, detail,
                            LISTED)  # fmt: skip
    if total > len(members):
        st.caption(f"{total} failures in this group; the first {len(members)} are listed.")
    if stage == "ingest":
        st.caption("Rejected at ingest: these snippets never became pairs.")
        show_table(pd.DataFrame(members)[["snippet", "name", "kind", "message"]],
                   "fail_snippets")  # fmt: skip
        return
    # One picker: the pair it picks is shown below, and opens in Review with the button.
    listed = pd.DataFrame(members)[["pair", "name", "kind", "message", "test"]]
    pair_id = pairs_to_review(listed, "fail_pairs", label="Show pair")
    pair = store.pair(pair_id) if pair_id else None
    if pair is not None:
        show_pair(pair)


def show_pair(pair: dict) -> None:
    """A failing pair: its verdict, both codes, and its tests with the failing ones marked."""
    if pair["status"] != "ok":
        st.error("Generation failed.")
        st.text(pair["error"] or "(no error text)")
        return
    if pair["backend"] == SIMULATED:
        practice_badge()
    verdict = pair["verdict"] or {}
    st.markdown(f"**Verdict:** `{verdict.get('status')}` — {verdict.get('passed')}/"
                f"{verdict.get('usable')} usable tests passed")  # fmt: skip
    st.text((verdict.get("signals") or {}).get("reason") or "")
    both_codes(pair, "Original (the oracle)")
    runs = store.test_runs(verdict.get("run_id") or "", pair["id"])
    tests = pd.DataFrame(insights.side_by_side(runs))
    if tests.empty:
        st.caption("No test runs recorded for this validation.")
        return
    failing = tests["test"].isin(
        {f["position"] for f in (verdict.get("signals") or {}).get("failing", [])}
    )
    # Each test's result as a word with its icon (never a bare True/False), failing rows
    # tinted.
    results = [FAILED if bad else NOT_RUN if status in (None, "not_run") else PASSED
               for bad, status in zip(failing, tests["rewrite_status"], strict=True)]  # fmt: skip
    tests.insert(0, "result", results)
    show_table(tests, "fail_tests", failed_rows=list(failing))


def kinds_view() -> None:
    picks.chart("kinds", plots.failure_kinds(by_kind.to_dict("records")))
    numbers_table(by_kind, "fail_kinds")
    picked_failures()


def sources_view() -> None:
    by_source = cached(version, insights.failure_kinds_by_source, store)
    picks.chart("sources", plots.failures_by_source(by_source))
    picked_failures()


draw_open(tabs, {"kinds": kinds_view, "sources": sources_view,
                 "signatures": signatures_section, "groups": groups_section,
                 "reasons": lambda: reasons.reason_counts_section(store, version)})  # fmt: skip
