"""Semi-Instruct Studio: the Streamlit entry point (`streamlit run app.py`) and its first
page, Overview: where the store stands — a run going on, the funnel, rates, the scoreboard
of simulated mistakes, difficulty and test strength, annotator activity, recent runs and
the snippets. The other pages are the scripts in pages/."""

import pandas as pd
import streamlit as st

from semi_core import insights
from semi_core.store import Store
from studio import plots
from studio.audit_panel import audit_section, progress_section
from studio.charts import chart, draw_open, lazy_tabs
from studio.glossary import HELP
from studio.shared import cached, get_jobs, get_store, show_recent_runs, stage_bar
from studio.simulated import SIMULATED, scoreboard_section
from studio.tables import metric_row, show_table

store = get_store()
jobs = get_jobs()
version = store.data_version()
# Cached under the store's version, which every write changes.
counts = cached(version, Store.counts, store)

st.title("Overview")
st.caption(
    "Semi-Instruct turns natural code into instruction-code pairs: an LLM rewrites each "
    "snippet, the original code is run as the oracle to validate the rewrite, and test "
    "cases rank the pairs by difficulty."
)


def run_going_on(was_running: bool) -> None:
    """The background run's progress while it goes on (the demo's, on a first start),
    with links to follow it and to review its first pairs."""
    status = jobs.status()
    if was_running and not status.running:
        st.rerun()  # the run is over: the whole page once more, with its pairs counted
    if not status.running:
        return
    what = status.title or f"a run with the {status.backend} backend"
    st.info(f"Running {what}: its pairs reach Review as they are validated, the first ones "
            "within seconds.")  # fmt: skip
    for stage, numbers in status.stages.items():
        stage_bar(stage, numbers, running=True)
    links = st.container(horizontal=True)
    links.page_link("pages/run.py", label="Follow the run", icon=":material/play_arrow:")
    links.page_link("pages/review.py", label="Review its pairs", icon=":material/rate_review:")


def funnel_and_rates() -> None:
    """The funnel, and each stage as a share of the one before it."""
    funnel = insights.funnel(store, counts)
    chart(plots.funnel_bars(funnel), pd.DataFrame(funnel), key="overview_funnel")
    rates = cached(version, insights.rates, store)
    show_table(
        pd.DataFrame(
            [
                {"rate": name, "value": "–" if v is None else f"{100 * v:.1f}%"}
                for name, v in rates.items()
            ]  # fmt: skip
        ),
        "overview_rates",
    )


def difficulty_and_strength() -> None:
    """Difficulty and test strength: their summaries and histograms."""
    st.caption(f"**Difficulty**: {HELP['difficulty']} **Test strength**: {HELP['test strength']}")
    # Counted and binned in the store: the page never holds every pair.
    bins = {"difficulty": 20, "test_strength": 10}
    numbers = cached(version, insights.distributions, store, bins)
    show_table(
        pd.DataFrame([{"measure": name, **part["summary"]} for name, part in numbers.items()]),
        "overview_measures",
    )
    empty = {
        "difficulty": "No difficulty yet (rank the validated pairs).",
        "test_strength": "No test strength measured (validation ran without mutants).",
    }
    for column, (name, key) in zip(st.columns(2), [("difficulty", "overview_difficulty"),
                                                   ("test_strength", "overview_strength")],
                                   strict=True):  # fmt: skip
        with column:
            if bins := numbers[name]["bins"]:
                chart(plots.histogram(bins, name), pd.DataFrame(bins), key=key)
            else:
                st.caption(empty[name])


def annotator_activity() -> None:
    """Each annotator's progress, decisions by action, and throughput."""
    progress_section(store, version)
    activity = pd.DataFrame(cached(version, insights.annotator_activity, store))
    if activity.empty:
        st.caption("No review decisions yet.")
        return
    chart(plots.action_bars(activity.to_dict("records")), activity.astype({"last": str}),
          key="overview_activity")  # fmt: skip
    rows, unit = cached(version, insights.annotator_throughput, store)
    st.markdown(f"**Throughput:** decisions (accept, reject, skip) per annotator per {unit}")
    chart(plots.throughput(rows, unit), pd.DataFrame(rows), key="overview_throughput")


# Redrawn every second while a run goes on, and only then.
if jobs.status().running:
    st.fragment(run_going_on, run_every=1.0)(True)

snippet_status = counts.by_status["snippets"]
verdicts = counts.by_status["verdicts"]
decisions = counts.by_status["decisions"]
figures = [
    ("Snippets", counts.entities["snippets"]),
    ("Usable", snippet_status.get("usable", 0)),
    ("Generations", counts.entities["generations"]),
    ("Validated", verdicts.get("validated", 0)),
    ("Accepted", decisions.get("accept", 0)),
    ("Rejected", decisions.get("reject", 0)),
    ("Disputed", decisions.get("disputed", 0)),
]
# Simulated pairs carry known mistakes: they are for demonstrations and practice.
if simulated := counts.by_status["backends"].get(SIMULATED):
    figures.append(("Simulated pairs", simulated))
metric_row(figures)
if verdicts:
    st.caption("Verdicts: " + " · ".join(f"{k} {v}" for k, v in verdicts.items()))

if counts.entities["snippets"] == 0:
    st.info(
        "The database is empty. Load the demo data from the Run page (or `semi demo`), or "
        "read your own code with `semi ingest PATH`."
    )
else:
    # One section at a time (lazy tabs), so that opening the dashboard draws the funnel's
    # chart, not five charts.
    sections = lazy_tabs({"funnel": "Funnel", "measures": "Difficulty and test strength",
                          "activity": "Annotator activity", "audit": "Audit"},
                         "overview_view")  # fmt: skip
    draw_open(sections, {"funnel": funnel_and_rates, "measures": difficulty_and_strength,
                         "activity": annotator_activity,
                         "audit": lambda: audit_section(store, version)})  # fmt: skip

    scoreboard_section(store, version, "overview_slipped")

st.subheader("Snippets")
# The list (up to 500 rows, in the grid) is drawn when its box is opened: a new tab of the
# dashboard skips the grid's script. The search is kept while the box is closed.
for name, default in (("overview_search", ""), ("overview_which", "all")):
    st.session_state[name] = st.session_state.get(name, default)
box = st.expander(f"Browse and search the {counts.entities['snippets']} snippets",
                  key="overview_snippets", on_change="rerun")  # fmt: skip
if box.open:
    with box:
        left, right = st.columns([3, 1])
        search = left.text_input("Search name, path or code", key="overview_search")
        which = right.selectbox("Show", ["all", "usable", "rejected"], key="overview_which")
        usable = {"all": None, "usable": True, "rejected": False}[which]
        rows = store.snippets(limit=500, usable=usable, search=search or None)
        if rows:
            table = pd.DataFrame(rows)
            show_table(table[["name", "kind", "flags", "rejection", "rejection_detail", "path",
                              "line", "id"]], "overview_snippet_list")  # fmt: skip
            st.caption(
                f"Showing {len(rows)} snippets (at most 500 are listed; "
                f"{counts.entities['snippets']} in the store)."
            )
        else:
            st.info("No snippets match. Load some with `semi ingest PATH` or `semi demo`.")

st.subheader("Recent runs")
show_recent_runs(store, limit=10)
