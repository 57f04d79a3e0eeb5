"""Run: start and cancel a pipeline run in the background, and watch pairs arrive."""

import os

import streamlit as st

from pages._shared import get_jobs, get_store
from semi_core.demo import load_demo
from semi_core.pipeline import PipelineSettings

store = get_store()
jobs = get_jobs()

st.title("Run")
st.caption(
    "Generate instruction-code pairs from the stored snippets, validate them by running "
    "the original code as the oracle, and rank them by difficulty."
)

with st.form("run_settings"):
    left, right = st.columns(2)
    source = left.text_input(
        "Ingest first (optional)", placeholder="a file, folder or dataset path",
        help="Leave empty to work on the snippets already stored.",
    )  # fmt: skip
    backend = right.selectbox("Backend", ["offline", "openai"],
                              help="offline: rule-based, no network; openai: any "
                              "OpenAI-compatible endpoint.")  # fmt: skip
    base_url = left.text_input("Endpoint (openai)", value=os.environ.get("OPENAI_BASE_URL", ""))
    model = right.text_input("Model (openai)", value=os.environ.get("SEMI_MODEL", ""))
    concurrency = left.number_input("Concurrency", 1, 128, 8)
    inputs_per_pair = right.number_input("Inputs per pair", 3, 50, 10)
    limit = left.number_input("At most this many snippets (0 = all)", 0, 1_000_000, 50)
    status = jobs.status()
    start = st.form_submit_button("Start run", type="primary", disabled=status.running)

if start:
    settings = PipelineSettings(
        backend=backend,
        model=model or None,
        base_url=base_url or None,
        concurrency=int(concurrency),
        inputs_per_pair=int(inputs_per_pair),
        limit=int(limit) or None,
    )
    stages = ("ingest", "generate", "validate", "rank") if source else (
        "generate", "validate", "rank")  # fmt: skip
    try:
        jobs.start(settings, stages=stages, paths=[source] if source else [])
    except RuntimeError as error:
        st.error(str(error))

if store.count_snippets() == 0 and st.button("Load the demo data"):
    load_demo(store)
    st.rerun()


@st.fragment(run_every=1.0)
def live_progress() -> None:
    status = jobs.status()
    if status.run_id is None:
        st.info("No run started in this session of the server yet.")
        return
    heading = "running" if status.running else (
        status.result.state if status.result else "failed")  # fmt: skip
    st.subheader(f"Run {status.run_id}: {heading}")
    if status.running and st.button("Cancel run", key="cancel_run"):
        jobs.cancel()
    if status.error:
        st.error(status.error)
    for stage, numbers in status.stages.items():
        total = numbers["total"]
        done = numbers["done"]
        label = f"{stage}: {done}" + (f" of {total}" if total else "")
        label += f" · {numbers['failed']} failed · {numbers['rate']:.1f}/s"
        if numbers["eta_s"] is not None and status.running:
            label += f" · {numbers['eta_s']:.0f}s left"
        st.progress(min(done / total, 1.0) if total else (1.0 if done else 0.0), text=label)
    st.markdown("**Newest pairs**")
    for item in status.recent[:8]:
        if item["stage"] == "generate":
            title = f"generated · {item.get('snippet')} · {item['status']}"
            with st.expander(title):
                if item.get("instruction"):
                    st.text(item["instruction"])
                if item.get("code"):
                    st.code(item["code"], language="python")
                error = f" · error: {item['error']}" if item.get("error") else ""
                st.caption(f"{item.get('inputs', 0)} test inputs{error}")
        elif item["stage"] == "validate":
            st.text(f"validated {item['generation_id']}: {item['status']} "
                    f"({item['passed']}/{item['usable']} tests pass)")  # fmt: skip


live_progress()
