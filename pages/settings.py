"""Prompt and settings: the generation prompt template (view, edit, save as a new
version), the LLM endpoint and model, sandbox limits, the minimum number of tests, the
rule that turns review votes into a pair's decision, the share of pairs two annotators
review, the annotation guidelines and the reject reasons — kept in the store, so runs,
the studio and `semi` commands started later read them."""

from pathlib import Path

import pandas as pd
import streamlit as st

from semi_core import studio_settings
from semi_core.agreement import DECISION_RULES, decision_rule, set_decision_rule
from semi_core.assignment import set_overlap
from semi_core.auth import ADMIN
from semi_core.generate.prompt import TemplateError
from semi_core.pipeline import backend_names
from studio import reasons
from studio.shared import current_annotator, get_store, require_role
from studio.tables import code_area_style, show_table

store = get_store()

st.title("Prompt and settings")
st.caption(
    "Kept in the database's settings table. Runs started afterwards use them; every "
    "generation records the hash of the prompt it was made with."
)
require_role(ADMIN, "change the prompt and the settings")

flash = st.session_state.pop("settings_flash", None)
if flash:
    st.success(flash)

values = studio_settings.current(store)

st.subheader("Generation prompt")
template = None
try:
    template = studio_settings.active_template(store)
except TemplateError as error:
    st.error(f"The saved template cannot be used: {error}")
    template = None
if template is not None:
    st.caption(f"Active version `{template.hash}` from `{template.path}`")
    code_area_style("settings_template")
    edited = st.text_area("Template", template.text, height=360, key="settings_template")
    st.caption(
        "Messages start at `<!-- role: system|user -->` markers; the last user message "
        "needs `$code` (also `$kind`, `$entry_point`, `$flags`)."
    )
    if st.button("Save as new version", key="settings_save_template"):
        folder = Path(store.path).resolve().parent / "prompts"
        try:
            saved = studio_settings.save_template_version(store, edited, folder)
        except TemplateError as error:
            st.error(str(error))
        else:
            st.session_state["settings_flash"] = f"Saved prompt version {saved.hash}."
            st.rerun()
versions = studio_settings.template_versions(store)
if versions:
    show_table(pd.DataFrame(versions), "settings_versions")

st.subheader("Review decisions")
rule = decision_rule(store)
st.caption(
    "A pair is accepted (or rejected) when it is settled so on the Agreement page (or with "
    "`semi settle`), or when every annotator who voted on it agrees. With the majority "
    "rule, a split vote is decided by strictly more than half of at least the votes set "
    "here. Any other pair with votes is in dispute and never exported as accepted."
)
with st.form("decision_rule_form"):
    cols = st.columns(2)
    chosen_rule = cols[0].selectbox(
        "Decision rule", DECISION_RULES, index=DECISION_RULES.index(rule.rule),
        key="settings_decision_rule",
    )  # fmt: skip
    min_votes = cols[1].number_input(
        "Votes a majority needs (majority rule)", 1, 1000, rule.majority_min_votes,
        key="settings_majority_min_votes",
    )  # fmt: skip
    if st.form_submit_button("Save the decision rule"):
        try:
            saved_rule = set_decision_rule(store, chosen_rule, int(min_votes))
        except ValueError as error:
            st.error(str(error))
        else:
            st.session_state["settings_flash"] = (
                f"Decision rule saved: a pair is {saved_rule.describe()}."
            )
            st.rerun()

st.subheader("Assignment")
st.caption(
    "Each annotator's queue holds pairs nobody else holds. The overlap sends a share of "
    "pairs to two annotators, blind to each other, so that their agreement can be measured."
)
with st.form("overlap_form"):
    overlap = st.number_input(
        "Share of pairs sent to two annotators", 0.0, 1.0, store.overlap(), step=0.05,
        key="settings_overlap",
    )  # fmt: skip
    if st.form_submit_button("Save the overlap"):
        saved_overlap = set_overlap(store, float(overlap))
        st.session_state["settings_flash"] = (
            f"Overlap saved: {saved_overlap:.0%} of pairs go to two annotators."
        )
        st.rerun()

reasons.settings_section(store, current_annotator())

with st.form("settings_form"):
    st.subheader("LLM")
    backends = backend_names()
    chosen = backends.index(values["backend"]) if values["backend"] in backends else 0
    backend = st.selectbox("Backend", backends, index=chosen, key="settings_backend")
    base_url = st.text_input("Endpoint (OpenAI-compatible base URL)",
                             values["base_url"] or "", key="settings_base_url")  # fmt: skip
    model = st.text_input("Model", values["model"] or "", key="settings_model")
    st.caption("The API key is read from OPENAI_API_KEY on the server and never stored. It "
               "is sent only to OPENAI_BASE_URL or to the endpoint saved here.")  # fmt: skip
    st.subheader("Sandbox")
    cols = st.columns(3)
    timeout_s = cols[0].number_input("Time per test (s)", 0.1, 60.0, float(values["timeout_s"]),
                                     step=0.5, key="settings_timeout")  # fmt: skip
    memory_mb = cols[1].number_input("Memory (MB)", 64, 8192, int(values["memory_mb"]),
                                     step=64, key="settings_memory")  # fmt: skip
    workers = cols[2].number_input("Workers", 1, 64, int(values["workers"]), key="settings_workers")
    st.subheader("Validation")
    min_tests = st.number_input(
        "Minimum number of usable tests", 1, 100, int(values["min_usable_tests"]),
        key="settings_min_tests",
    )  # fmt: skip
    if st.form_submit_button("Save settings"):
        studio_settings.update(
            store,
            {
                "backend": backend,
                "base_url": base_url.strip() or None,
                "model": model.strip() or None,
                "timeout_s": float(timeout_s),
                "memory_mb": int(memory_mb),
                "workers": int(workers),
                "min_usable_tests": int(min_tests),
            },
        )
        st.session_state["settings_flash"] = "Settings saved."
        st.rerun()
