"""Guidelines and reject reasons in the studio: the guidelines beside a pair on Review
(in the sidebar, folded), a reject's reasons as tags picked from a list or by the keys
1-9, the filter by reason, their editors on Prompt and settings, and the count per reason
on Failures. The rules live in `semi_core.guidelines`; this module only draws."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from semi_core import guidelines
from semi_core.store import Store
from studio import plots
from studio.charts import chart
from studio.shared import cached, escape_markdown
from studio.tables import code_area_style, show_table

KEYED = 9  # reasons with a key of their own: 1-9
REASONS_WIDTH = 230  # px of the decision row for the picked reasons; the note takes the rest
# The key buttons are drawn (a shortcut lives with its button) but never shown: the tags
# beside them are what a reviewer sees and picks.
_HIDDEN_KEYS = "<style>.st-key-reason_keys{display:none}</style>"
# The tags' widget keeps one key across pairs, so that moving to the next pair updates it
# instead of drawing a new one; the pair it was drawn for says whose reasons it holds.
PICKED, PICKED_FOR = "review_reasons", "review_reasons_pair"


def chosen_reasons(pair_id: str, action: str) -> list[str]:
    """The reasons picked for this pair, when the decision is a reject (another decision
    carries none: the engine refuses reasons on it)."""
    if action != "reject" or st.session_state.get(PICKED_FOR) != pair_id:
        return []
    return list(st.session_state.get(PICKED) or [])


def _toggle(reason: str) -> None:
    picked = list(st.session_state.get(PICKED) or [])
    st.session_state[PICKED] = [r for r in picked if r != reason] if reason in picked else [
        *picked, reason]  # fmt: skip


def reason_picker(store: Store, pair_id: str, bar: Any) -> None:
    """The reject reasons as tags in the row of decision buttons `bar` (a box that grows
    only when reasons are picked: the pair's code stays above the fold), each named with
    its key (1-9); a pair starts with none picked."""
    names = guidelines.reasons(store)
    number = {name: place for place, name in enumerate(names[:KEYED], 1)}
    same_pair = st.session_state.get(PICKED_FOR) == pair_id
    # A reason taken off the list since it was picked is dropped: the widget refuses an
    # option it does not have.
    picked = (st.session_state.get(PICKED) or []) if same_pair else []
    st.session_state[PICKED] = [r for r in picked if r in names]
    st.session_state[PICKED_FOR] = pair_id
    bar.multiselect(
        "Reject reasons", names, key=PICKED, label_visibility="collapsed",
        placeholder="Reject reasons (keys 1-9)", width=REASONS_WIDTH,
        format_func=lambda name: f"{number[name]} · {name}" if name in number else name,
    )  # fmt: skip
    with bar, st.container(key="reason_keys", horizontal=True, width="content"):
        for name, place in number.items():
            st.button(str(place), key=f"reason_key_{place}", shortcut=str(place),
                      on_click=_toggle, args=(name,))  # fmt: skip


def guidelines_box(store: Store) -> None:
    """The latest guidelines in the sidebar, beside the pair, in a box folded by default
    and read only when opened; and the style that hides the reasons' key buttons. Drawn
    once per page run: a decision redraws the pair, not these."""
    st.html(_HIDDEN_KEYS)
    box = st.sidebar.expander("Guidelines", key="guidelines_open", on_change="rerun",
                              icon=":material/menu_book:")  # fmt: skip
    if not box.open:
        return
    found = guidelines.latest(store)
    with box:
        if found is None:
            st.caption("No guidelines yet: an admin writes them on Prompt and settings.")
            return
        st.caption(f"Version {found['version']} · {escape_markdown(found['author'] or '')}")
        st.markdown(found["markdown"])


def reason_filter(container: Any, store: Store) -> None:
    """The Review filter by reason (key `f_reason`): pairs I rejected for it."""
    container.selectbox(
        "Reject reason", ["", *guidelines.reasons(store)], key="f_reason",
        format_func=lambda r: r or "any reason",
        help="Pairs you rejected for this reason (decided ones included).",
    )  # fmt: skip


def event_reasons(event: dict[str, Any]) -> str:
    """A review event's reasons as the history table shows them."""
    return ", ".join(event.get("reasons") or [])


def _saved(save: Callable[[], str]) -> None:
    """Run a save: its message shows on Prompt and settings after the rerun, or its
    refusal here, nothing saved."""
    try:
        message = save()
    except guidelines.GuidelinesError as error:
        st.error(str(error))
        return
    st.session_state["settings_flash"] = message
    st.rerun()


def settings_section(store: Store, author: str | None) -> None:
    """Prompt and settings: the guidelines (Markdown with a preview, each save a new
    version, older versions listed) and the reason list."""
    st.subheader("Annotation guidelines")
    st.caption(
        "Markdown, shown beside each pair on Review (folded). Every save is a new version; "
        "the latest is shown."
    )
    current = guidelines.latest(store)
    code_area_style("settings_guidelines")
    edit, preview = st.columns(2)
    text = edit.text_area("Guidelines (Markdown)", current["markdown"] if current else "",
                          height=360, key="settings_guidelines")  # fmt: skip
    with preview.container(border=True, height=400, key="settings_guidelines_preview"):
        st.caption("Preview")
        st.markdown(text)
    if st.button("Save the guidelines as a new version", key="settings_save_guidelines"):
        _saved(lambda: "Saved guidelines version "
               f"{guidelines.save(store, text, author)['version']}.")  # fmt: skip
    versions = guidelines.versions(store)
    if versions:
        show_table(pd.DataFrame(versions), "settings_guidelines_versions")
        older = st.selectbox("Read a version", [v["version"] for v in versions],
                             key="settings_guidelines_version")  # fmt: skip
        with st.expander(f"Version {older}"):
            st.markdown(guidelines.version(store, older)["markdown"])

    st.subheader("Reject reasons")
    st.caption(
        "The tags a reject may carry, one per line, in order: keys 1-9 on Review follow "
        "it. Rejects already recorded keep the reasons they gave."
    )
    with st.form("reasons_form"):
        names = st.text_area("Reasons", "\n".join(guidelines.reasons(store)), height=180,
                             key="settings_reasons")  # fmt: skip
        if st.form_submit_button("Save the reasons"):
            _saved(lambda: f"Saved {len(guidelines.set_reasons(store, names.splitlines()))} "
                   "reject reasons.")  # fmt: skip


def reason_counts_section(store: Store, version: tuple) -> None:
    """Failures: the rejects that count now, per reason, as bars."""
    rows = cached(version, guidelines.reason_counts, store)
    if not rows:
        st.caption("No reject has given a reason yet.")
        return
    st.caption(
        "Why people rejected pairs: the reasons of the rejects that count now (each "
        "annotator's latest vote, and final decisions)."
    )
    chart(plots.reason_bars(rows), pd.DataFrame(rows), key="failures_reasons")
