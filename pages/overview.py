"""Overview: where the store stands — real counts, recent runs, the snippets."""

import pandas as pd
import streamlit as st

from pages._shared import get_store

store = get_store()
counts = store.counts()

st.title("Overview")
st.caption(
    "Semi-Instruct turns natural code into instruction-code pairs: an LLM rewrites each "
    "snippet, the original code is run as the oracle to validate the rewrite, and test "
    "cases rank the pairs by difficulty."
)

snippet_status = counts.by_status["snippets"]
verdicts = counts.by_status["verdicts"]
decisions = counts.by_status["decisions"]
columns = st.columns(6)
columns[0].metric("Snippets", counts.entities["snippets"])
columns[1].metric("Usable", snippet_status.get("usable", 0))
columns[2].metric("Generations", counts.entities["generations"])
columns[3].metric("Validated", verdicts.get("validated", 0))
columns[4].metric("Accepted", decisions.get("accept", 0))
columns[5].metric("Rejected", decisions.get("reject", 0))
if verdicts:
    st.caption("Verdicts: " + " · ".join(f"{k} {v}" for k, v in verdicts.items()))

if counts.entities["snippets"] == 0:
    st.info(
        "The database is empty. Load the demo data from the Run page (or `semi demo`), or "
        "read your own code with `semi ingest PATH`."
    )

st.subheader("Snippets")
left, right = st.columns([3, 1])
search = left.text_input("Search name, path or code", key="overview_search")
which = right.selectbox("Show", ["all", "usable", "rejected"], key="overview_which")
usable = {"all": None, "usable": True, "rejected": False}[which]
rows = store.snippets(limit=500, usable=usable, search=search or None)
if rows:
    table = pd.DataFrame(rows)
    st.dataframe(
        table[["name", "kind", "flags", "rejection", "rejection_detail", "path", "line", "id"]],
        hide_index=True,
        width="stretch",
    )
    st.caption(f"Showing {len(rows)} snippets (at most 500).")
else:
    st.info("No snippets match. Load some with `semi ingest PATH` or `semi demo`.")

st.subheader("Recent runs")
runs = store.runs(limit=10)
if runs:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "run": r["id"],
                    "kind": r["kind"],
                    "state": r["state"],
                    "backend": r["params"].get("backend"),
                    "model": r["params"].get("model"),
                    "started": r["started_at"],
                    "ended": r["ended_at"],
                    "generated": (r["counts"].get("generate") or {}).get("done"),
                    "validated": (r["counts"].get("validate") or {}).get("done"),
                    "error": r["counts"].get("error"),
                }
                for r in runs
            ]
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.caption("No runs yet: start one on the Run page.")
