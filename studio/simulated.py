"""What the pages show of simulated pairs: their label, the mistake injected in one, and
the scoreboard that scores validation and review against every injected mistake."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from semi_core.generate.base import SIMULATED_BACKEND
from semi_core.scoreboard import outcome_of, scoreboard
from semi_core.store import Store
from studio.shared import cached, escape_markdown
from studio.tables import code, pairs_to_review, show_table

SIMULATED = SIMULATED_BACKEND
PRACTICE_LABEL = "simulated pair (practice)"
SCOREBOARD_COLUMNS = ("injected", "caught_by_validation", "equivalent", "slipped",
                      "caught_by_review", "missed_by_review")  # fmt: skip
OUTCOME_SENTENCES = {
    "equivalent": "equivalent: it changes nothing observable, so no test could catch it",
    "caught_by_validation": "caught by validation: a test showed the rewrite answering "
    "otherwise than the original",
    "slipped": "slipped through validation: the pair validated despite the mistake (its "
    "tests were too weak to show it)",
    "excluded_otherwise": "kept out by validation for another reason than the mistake",
    "pending": "not validated yet",
}


def practice_badge() -> None:
    """The label of every simulated pair. It says nothing of whether this pair carries a
    mistake: that is for the reviewer to find."""
    st.badge(PRACTICE_LABEL, icon=":material/school:", color="violet")


def show_mistake(mistake: dict | None, status: str | None, key: str) -> None:
    """A simulated pair's ground truth: the injected mistake (kind, line, before → after,
    whether it is equivalent) and what validation made of it, or that there is none."""
    if mistake is None:
        st.markdown("No mistake was injected in this pair: its rewrite is the offline "
                    "backend's, right by construction.")  # fmt: skip
        return
    st.markdown(f"**{escape_markdown(mistake['kind'])}** at line {mistake['line']}: "
                f"{escape_markdown(mistake['description'])}")  # fmt: skip
    changed = [f"- {line}" for line in mistake["before"].splitlines()]
    changed += [f"+ {line}" for line in mistake["after"].splitlines()]
    code("\n".join(changed), "diff", numbered=False)
    equivalent = mistake.get("equivalent")
    outcome = OUTCOME_SENTENCES[outcome_of(status, equivalent)]
    measured = {True: "yes", False: "no", None: "not measured (no input ran)"}[equivalent]
    st.markdown(f"Equivalent: {measured} · Validation: {escape_markdown(outcome)}")


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


def scoreboard_section(store: Store, version: tuple, key: str) -> None:
    """The scoreboard by mistake kind, and the slipped pairs, each one click from Review.
    Nothing is drawn while no pair carries an injected mistake."""
    board = cached(version, scoreboard, store).to_dict()
    if not board["injected"]:
        return
    st.subheader("Scoreboard: the simulated mistakes")
    st.caption(
        "Simulated pairs carry known rewrite mistakes: here is what validation and the "
        "reviewers made of them, by kind. The catch rate is the share of the mistakes that "
        "change what the code computes which validation caught."
    )
    rows = [{"kind": kind, **{c: counts[c] for c in SCOREBOARD_COLUMNS},
             "catch rate": _percent(counts["catch_rate"])}
            for kind, counts in board["by_kind"].items()]  # fmt: skip
    rows.append({"kind": "all", **{c: board[c] for c in SCOREBOARD_COLUMNS},
                 "catch rate": _percent(board["catch_rate"])})  # fmt: skip
    show_table(pd.DataFrame(rows), f"{key}_scoreboard")
    slipped = [store.pair(pair_id) for pair_id in board["slipped_ids"]]
    st.markdown(f"**Slipped through validation: {len(slipped)}** — validated despite their "
                "mistake, because their tests were too weak to show it.")  # fmt: skip
    if not slipped:
        st.caption("None: validation caught every mistake that changes what the code computes.")
        return
    listed = pd.DataFrame(
        [{"pair": pair["id"], "name": pair["name"], "kind": pair["mistake"]["kind"],
          "tests passed": f"{pair['verdict']['passed']}/{pair['verdict']['usable']}"}
         for pair in slipped if pair is not None]
    )  # fmt: skip
    pairs_to_review(listed, key)
