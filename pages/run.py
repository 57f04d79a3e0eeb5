"""Run: start and cancel a pipeline run in the server's background, and watch it live —
progress per stage, the newest pairs as they are generated and validated, and, with a
streaming LLM backend, the answer being written."""

import os

import pandas as pd
import streamlit as st

from semi_core import insights
from semi_core.auth import ADMIN
from semi_core.demo import load_demo, start_demo
from semi_core.pipeline import PipelineSettings, backend_names, repair_rounds
from semi_core.studio_settings import current, pipeline_settings
from studio import plots
from studio.charts import chart
from studio.shared import (
    demo_limit,
    escape_markdown,
    get_jobs,
    get_store,
    require_role,
    show_recent_runs,
    stage_bar,
)
from studio.simulated import PRACTICE_LABEL, SIMULATED
from studio.tables import code, show_table

STORED, PATH = "The snippets already stored", "A file, folder or dataset to ingest first"
NEWEST_PAIRS = 8

store = get_store()
jobs = get_jobs()

st.title("Run")
st.caption(
    "Generate instruction-code pairs from natural code, validate them by running the "
    "original code as the oracle, and rank them by difficulty. The run goes on in the "
    "studio's server: you may leave this page, and cancel it from here."
)
require_role(ADMIN, "start and cancel runs")

snippets = store.count_snippets()
if snippets == 0:
    st.info(
        "The database has no snippets yet. Load the demo data (HumanEval and a few "
        "standard-library modules), or choose a file, folder or dataset to ingest below."
    )
    buttons = st.container(horizontal=True)
    if buttons.button("Load the demo data", key="load_demo"):
        with st.spinner("Loading the demo data…"):
            load_demo(store)
        st.rerun()
    if buttons.button(
        "Load the demo and run it", key="run_demo", type="primary",
        help="Through the simulated backend, in the background: some rewrites carry a "
        "known mistake, for validation and reviewers to catch (demonstrations, practice).",
    ):  # fmt: skip
        try:
            start_demo(store, jobs, limit=demo_limit())
        except RuntimeError as error:
            st.error(str(error))
        else:
            st.rerun()

status = jobs.status()
saved = current(store)  # the saved settings are each field's starting value
with st.form("run_settings"):
    source = st.radio(
        "Source",
        [STORED, PATH],
        horizontal=True,
        key="run_source",
        captions=[
            f"{snippets} snippets in the database",
            "Python files, folders, JSONL, Parquet or CSV",
        ],
    )
    path = st.text_input(
        "Path to ingest",
        key="run_path",
        placeholder="/data/code or /data/problems.jsonl",
        help="Used when the source is a path: read on the server.",
    )
    left, right = st.columns(2)
    backends = backend_names()
    backend = left.selectbox(
        "Backend",
        backends,
        index=backends.index(saved["backend"]) if saved["backend"] in backends else 0,
        key="run_backend",
        help="offline: rule-based, no network. simulated: the offline pairs with a known "
        "rewrite mistake in a share of them, for demonstrations and practice (never "
        "exported unless asked). openai: any OpenAI-compatible endpoint (OpenAI, vLLM, "
        "Ollama, llama.cpp).",
    )
    model = right.text_input(
        "Model (openai)",
        value=saved["model"] or os.environ.get("SEMI_MODEL", ""),
        key="run_model",
        help="Empty: the endpoint's first model (self-hosted servers).",
    )
    base_url = left.text_input(
        "Endpoint (openai)",
        value=saved["base_url"] or os.environ.get("OPENAI_BASE_URL", ""),
        key="run_endpoint",
        placeholder="http://127.0.0.1:8000/v1",
    )
    key_state = "set" if os.environ.get("OPENAI_API_KEY") else "not set"
    right.text_input(
        "API key",
        value=f"from OPENAI_API_KEY on the server ({key_state})",
        disabled=True,
        key="run_key",
        help="Never typed here nor stored with the run; a local endpoint needs none.",
    )
    concurrency = left.number_input(
        "Concurrency (requests in flight)", 1, 128, 8, key="run_concurrency"
    )
    inputs_per_pair = right.number_input("Test inputs per pair", 3, 50, 10, key="run_inputs")
    limit = left.number_input(
        "At most this many snippets (0 = all)", 0, 1_000_000, 50, key="run_limit"
    )
    strength = right.checkbox(
        "Measure test strength (mutants; slower)", value=True, key="run_strength"
    )
    mistake_rate = left.number_input(
        "Mistake rate (simulated)", 0.0, 1.0, PipelineSettings.mistake_rate, step=0.1,
        key="run_mistake_rate",
        help="The share of snippets the simulated backend writes a known mistake into.",
    )  # fmt: skip
    repair_attempts = right.number_input(
        "Repair attempts", 0, 10, None, key="run_repair_attempts",
        placeholder="the backend's default: 1 with openai, else 0",
        help="Times a pair whose rewrite fails its tests (mismatch, generated_error) goes "
        "back to the model with the failing tests; the answer is validated again. Only an "
        "LLM backend (openai) repairs.",
    )  # fmt: skip
    engines = ["local", "ray"]
    engine = left.selectbox(
        "Validation engine",
        engines,
        index=engines.index(saved["engine"]) if saved["engine"] in engines else 0,
        key="run_engine",
        help="local: this server's sandbox workers. ray: batches of pairs go to Ray actors, "
        "each with its own warm sandbox pool (needs Ray installed on the server).",
    )
    ray_address = right.text_input(
        "Ray cluster address (ray)",
        value=saved["ray_address"] or "",
        key="run_ray_address",
        placeholder="head-node:6379",
        help="Empty: start a local Ray instance on the server.",
    )
    start = st.form_submit_button("Start run", type="primary", disabled=status.running)

if start:
    problem = None
    if source == PATH and not path.strip():
        problem = "Choose a path to ingest, or switch the source to the stored snippets."
    elif source == PATH and not os.path.exists(path.strip()):
        problem = f"No such file or folder on the server: {path.strip()}"
    elif source == STORED and snippets == 0:
        problem = "There are no snippets to work on: load the demo data or ingest a path."
    settings = pipeline_settings(
        store,
        backend=backend,
        model=model.strip() or None,
        base_url=base_url.strip() or None,
        concurrency=int(concurrency),
        inputs_per_pair=int(inputs_per_pair),
        limit=int(limit) or None,
        test_strength=bool(strength),
        engine=engine,
        ray_address=ray_address.strip() or None,
        mistake_rate=float(mistake_rate),
        repair_attempts=None if repair_attempts is None else int(repair_attempts),
    )

    try:
        repair_rounds(settings)
    except ValueError as error:
        problem = problem or f"{error}."
    if problem:
        st.error(escape_markdown(problem))
    else:
        stages = ("generate", "validate", "rank")
        paths = [path.strip()] if source == PATH else []
        try:
            jobs.start(settings, stages=("ingest", *stages) if paths else stages, paths=paths)
        except RuntimeError as error:
            st.error(str(error))


def pair_card(pair: dict, expanded: bool, run_state: str, backend: str | None) -> None:
    """One new pair: its instruction and code (as text, never markup) and its test tally.
    `run_state` is its run's: "running", or how it ended; `backend` the run's."""
    if pair.get("verdict"):
        tally = f"{pair['verdict']} · {pair['passed']}/{pair['usable']} tests pass"
    elif pair.get("status") == "failed":
        tally = "generation failed"
    else:
        inputs = f"generated · {pair.get('inputs') or 0} test inputs"
        if run_state == "running":
            tally = f"{inputs} · validating next"
        elif run_state == "done":
            tally = f"{inputs} · not validated in this run"
        else:
            tally = f"{inputs} · not validated (run {run_state})"
    name = escape_markdown(pair.get("snippet") or pair["generation_id"])
    label = f"{name} — {escape_markdown(tally)}"
    with st.expander(label + (f" · {PRACTICE_LABEL}" if backend == SIMULATED else ""),
                     expanded=expanded):  # fmt: skip
        if pair.get("error"):
            st.error(escape_markdown(pair["error"]))  # the backend's words, as text
        pair_id = pair["generation_id"]
        if pair.get("instruction"):
            st.markdown(pair["instruction"])  # Markdown, as a model trained on it reads it
        if pair.get("code"):
            code(pair["code"])
        st.caption(f"pair id {pair_id}")


def ingest_report(report: dict) -> None:
    """What the run's ingest read and what it skipped, as `semi ingest` reports it: bad
    input costs only itself, and each problem is named with its file and line."""
    skipped = ", ".join(f"{n} {reason}" for reason, n in report.get("skipped_files", {}).items())
    st.caption(
        f"Ingest: {report['files']} files, {report['found']} snippets found, "
        f"{report['new']} new" + (f"; files skipped: {skipped}" if skipped else "")
    )
    if report["problems"]:
        listed = report["problem_list"]
        more = f" (the first {len(listed)} are listed)" if len(listed) < report["problems"] else ""
        st.warning(
            f"{report['problems']} problems in the input were skipped{more}; the rest was read."
        )
        show_table(pd.DataFrame(listed, columns=["where", "problem"]), "ingest_problems")


def live_progress(was_running: bool) -> None:
    status = jobs.status()
    if was_running and not status.running:
        st.rerun()  # the run is over: the whole page once more (recent runs), ticks stop
    if status.run_id is None:
        st.caption("No run started since the studio's server started.")
        return
    if status.running:
        heading = "running"
    else:
        heading = status.result.state if status.result else "failed"
    st.subheader(f"Run {status.run_id}: {heading}")
    if status.title:
        st.caption(f"This run is {status.title}.")
    if status.running:
        st.button("Cancel run", key="cancel_run", on_click=jobs.cancel, icon=":material/stop:")
    if status.error:
        st.error(escape_markdown(status.error))
        st.caption(
            "For the openai backend, give the endpoint (and set OPENAI_API_KEY on the server "
            "unless the endpoint is local), or choose the offline backend."
        )
    for stage, numbers in status.stages.items():
        stage_bar(stage, numbers, status.running)
    if status.result and (found := status.result.counts.get("yield")):
        st.caption(
            f"Validated pairs: {found['first_attempt']} at the first attempt, "
            f"{found['after_repair']} after repair ({found['repaired']} repaired)."
        )
    timeline = insights.verdict_timeline(store, status.run_id)
    if timeline:
        st.markdown("**Verdicts over time** (this run's, running totals)")
        chart(plots.verdict_timeline(timeline), key=f"run_verdicts_{status.run_id}")
    if status.result and status.result.counts.get("ingest"):
        ingest_report(status.result.counts["ingest"])
    for snippet, text in list(status.streams.items())[:3]:
        st.markdown(f"**Being written:** {escape_markdown(snippet)}")
        code(text[-1500:], None, numbered=False)
    if status.pairs:
        st.markdown("**Newest pairs**")
        for index, pair in enumerate(status.pairs[:NEWEST_PAIRS]):
            pair_card(pair, expanded=index == 0, run_state=heading, backend=status.backend)
    elif not status.running and status.result and not status.error:
        st.caption(
            "This run made no new pairs: every snippet already has one from this "
            "backend, model and prompt."
        )
    if not status.running and status.pairs:
        st.page_link("pages/review.py", label="Review the new pairs", icon=":material/rate_review:")


# Redrawn every second while a run goes on, and only then: a page that reruns itself
# every second with nothing to show would also race the clicks that leave it.
running = jobs.status().running
st.fragment(live_progress, run_every=1.0 if running else None)(running)

st.subheader("Recent runs")
show_recent_runs(store, limit=5)
