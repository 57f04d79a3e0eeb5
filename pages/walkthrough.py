"""Walkthrough: one snippet taken through Semi-Instruct's three steps on screen — the
natural code, the prompt, the generated pair and its test inputs (step 1), the
original's outputs as the oracle against the rewrite's (step 2), the difficulty
(step 3) — each step run live with a button. A simulated pair's injected mistake is shown
with it: here the method is demonstrated, not practised."""

import pandas as pd
import streamlit as st

from semi_core import insights, studio_settings
from semi_core.auth import ADMIN
from semi_core.pipeline import PipelineSettings, backend_names
from semi_core.review import strength_figures
from semi_core.store import Store
from semi_core.walkthrough import generate_one, prompt_for, rank_one, validate_one
from studio.glossary import HELP
from studio.shared import cached, escape_markdown, get_pool, get_store, require_role
from studio.simulated import SIMULATED, practice_badge, show_mistake
from studio.tables import code, metric_row, show_table

store = get_store()

st.title("Walkthrough")
st.caption(
    "Semi-Instruct in three steps for one snippet: generate a pair from natural code, "
    "validate it by running the original as the oracle, rank it by difficulty."
)
runs_steps = require_role(ADMIN, "run the steps here", stop=False)  # others see what was run


def usable_snippets(store: Store) -> list[dict]:
    """The 1,000 newest usable snippets, the picker's options."""
    return store.snippets(limit=1000, usable=True)


# Read once per store version (every write changes it), not on every run of the page.
snippets = cached(store.data_version(), usable_snippets, store)
if not snippets:
    st.info("No usable snippets: load the demo data on the Run page, or `semi ingest PATH`.")
    st.stop()

wanted = st.query_params.get("snippet")
if len(snippets) == 1000:
    st.caption("The 1,000 newest usable snippets are offered; `?snippet=ID` opens any other.")
    if wanted and wanted not in {s["id"] for s in snippets}:
        linked = store.snippet(wanted)
        if linked is not None and linked.get("rejection") is None:
            snippets.insert(0, linked)
names = {s["id"]: f"{s['name']} ({s['kind']}, {s['id'][:8]})" for s in snippets}
default = list(names).index(wanted) if wanted in names else 0
snippet_id = st.selectbox(
    "Snippet", list(names), index=default, format_func=names.get, key="wt_snippet"
)
snippet = store.snippet(snippet_id)
if snippet is None:
    st.stop()

values = studio_settings.current(store)
backends = backend_names()
backend = st.radio("Backend", backends, horizontal=True, key="wt_backend",
                   index=backends.index(values["backend"]) if values["backend"] in backends
                   else 0)  # fmt: skip
settings = PipelineSettings(
    **{**studio_settings.pipeline_overrides(store), "backend": backend},
    inputs_per_pair=8,
    test_strength=False,  # live and quick; a full run measures test strength with mutants
)


def run_step(label: str, action) -> None:  # noqa: ANN001 - a callable of no arguments
    """Run one step; a failure is shown as a message, never a traceback."""
    try:
        with st.spinner(f"{label}…"):
            action()
    except Exception as error:  # noqa: BLE001 - every failure becomes one clear message
        st.session_state["wt_error"] = f"{label} failed: {type(error).__name__}: {error}"
    # st.error renders Markdown: the message (data, exception text) is escaped there.


st.header("The natural code")
code(snippet["code"])
flags = ", ".join(snippet["flags"]) or "none"
st.caption(escape_markdown(f"Flags: {flags} · kind: {snippet['kind']}"))

error = st.session_state.pop("wt_error", None)
if error:
    st.error(escape_markdown(error))

# -- step 1 -----------------------------------------------------------------------------
st.header("1 · Generation")
if backend != "openai":
    st.caption(f"The {backend} backend is rule-based: it sends no prompt to a model.")
else:
    with st.expander("The prompt sent to the model"):
        try:
            for message in prompt_for(snippet_id, store, settings):
                st.caption(message["role"])
                st.text(message["content"])
        except Exception as problem:  # noqa: BLE001 - a broken template is a message
            st.error(f"The prompt cannot be built: {problem}")

if runs_steps and st.button("Generate", key="wt_generate"):
    pool = get_pool(settings.timeout_s, settings.memory_mb, settings.workers)
    run_step("Generation", lambda: st.session_state.__setitem__(
        "wt_generation", generate_one(store, snippet_id, settings, pool)))  # fmt: skip
    st.rerun()

generations = store.snippet_generations(snippet_id)
chosen = st.session_state.get("wt_generation")
if chosen not in {g["id"] for g in generations}:
    chosen = generations[0]["id"] if generations else None
if chosen is None:
    st.caption("Not generated yet: press Generate.")
    st.stop()
pair = store.pair(chosen)
assert pair is not None
st.caption(
    escape_markdown(
        f"Generation {chosen} · backend {pair['backend']} · model {pair['model'] or '–'}"
    )
)
if pair["status"] != "ok":
    st.error("The generation failed:")
    st.text(pair["error"] or "")
    st.stop()
st.markdown("**Instruction**")
with st.container(border=True):
    st.markdown(pair["instruction"] or "")  # Markdown, as a model trained on it reads it
st.markdown("**Code**")
code(pair["code"] or "")
if pair["backend"] == SIMULATED:
    practice_badge()
    st.markdown("**The injected mistake** (the ground truth validation is scored against)")
    verdict = store.latest_verdict(chosen)
    show_mistake(pair["mistake"], verdict["status"] if verdict else None, chosen)
cases = store.test_cases(chosen)
st.markdown("**Test inputs**")
show_table(pd.DataFrame(cases)[["position", "input", "origin"]] if cases else pd.DataFrame(),
           "wt_inputs")  # fmt: skip

# -- step 2 -----------------------------------------------------------------------------
st.header("2 · Validation")
st.caption(
    "The original code runs on every input: its outputs are the expected ones (the "
    "oracle). The rewrite runs on the same inputs and must match.",
    help=HELP["oracle"],
)
if runs_steps and st.button("Validate", key="wt_validate"):
    pool = get_pool(settings.timeout_s, settings.memory_mb, settings.workers)
    run_step("Validation", lambda: validate_one(store, chosen, settings, pool))
    st.rerun()
verdict = store.latest_verdict(chosen)
if verdict is None:
    st.caption("Not validated yet: press Validate.")
    st.stop()
tests = pd.DataFrame(insights.side_by_side(store.test_runs(verdict["run_id"], chosen)))
show_table(tests, "wt_tests")
metric_row(
    [
        ("Verdict", verdict["status"]),
        ("Tests passed", f"{verdict['passed']}/{verdict['usable']}"),
        *strength_figures(verdict),
    ]
)
st.text((verdict["signals"] or {}).get("reason") or "")

# -- step 3 -----------------------------------------------------------------------------
st.header("3 · Ranking")
if verdict["status"] != "validated":
    st.caption("Only validated pairs are ranked.")
    st.stop()
if runs_steps and st.button("Rank", key="wt_rank"):
    run_step("Ranking", lambda: rank_one(store, chosen))
    st.rerun()
rank = (verdict["signals"] or {}).get("rank")
if verdict["difficulty"] is None or not rank:
    st.caption("Not ranked yet: press Rank.")
    st.stop()
metric_row(
    [
        ("Difficulty", f"{verdict['difficulty']:.3f}"),
        ("Bucket", rank.get("bucket", "–")),
        ("Curriculum position", rank.get("curriculum_position", "–")),
    ]
)
show_table(pd.DataFrame([{"signal": k, "value": str(v)} for k, v in rank.items()]), "wt_signals")
