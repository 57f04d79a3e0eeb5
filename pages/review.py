"""Review: one pair at a time — instruction, original vs rewrite, every test outcome —
and a decision written at once to the review log with the annotator's name.

The reviewer's place is a pair id (in the URL as `?pair=`, so a reload resumes there),
never a row position; a link to a pair opens it, decided or not. A decision is made on the
pair as it was drawn (its verdict, the reviewer's own last decision) and refused when that
changed since; the others' votes show once the reviewer has voted. Decisions go to
DuckDB in the button's callback, before the page is drawn again, so one script run shows
the next pair. The queue's ids are kept for the session (a derived view, re-read after a
few seconds or when a filter changes): the truth is always the review log.

Failing tests show the original's and the rewrite's output side by side, the first
difference marked (`semi_core.mismatch`); an annotator's own test input is added and the
pair validated again by `semi_core.annotator_tests`.
"""

import difflib
import html
import re
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from semi_core.annotator_tests import AddTestError, add_test
from semi_core.generate.base import ORIGINS
from semi_core.mismatch import Marked, call_text, differences, summary
from semi_core.pipeline import run_pipeline
from semi_core.repair import attempt_diffs, attempts
from semi_core.review import (
    PairState,
    ReviewError,
    action_label,
    changed_tests,
    current_decisions,
    decide,
    edit_pair,
    history,
    may_see_votes,
    seen_state,
    strength_figures,
    test_table,
    undo_last,
    undone_text,
)
from semi_core.studio_settings import pipeline_settings
from semi_core.validate import VERDICT_STATUSES
from studio import reasons
from studio.audit_panel import audit_queue_choice, blind_tests_table
from studio.bulk_panel import bulk_panel
from studio.glossary import HELP, origins_help
from studio.shared import current_annotator, escape_markdown, get_pool, get_store
from studio.simulated import SIMULATED, practice_badge, show_mistake
from studio.tables import code, code_area_style, metric_row, show_table, tests_table

STATUSES = list(VERDICT_STATUSES)
FAILURES = ["wrong", "error", "timeout", "memory", "rejected", "violation", "crashed"]
DETAILS_SHOWN = 5  # failing tests shown side by side above the table
DETAIL_CHARS = 400  # an unmarked output is cut to this many characters
_MISMATCH_CSS = (
    "<style>.semi-mismatch .case{margin-bottom:0.75rem}"
    ".semi-mismatch .sides{display:grid;grid-template-columns:1fr 1fr;gap:0.5rem}"
    ".semi-mismatch pre{margin:0.25rem 0 0 0;padding:0.5rem;border-radius:0.4rem;"
    "white-space:pre-wrap;overflow-wrap:anywhere;background:rgba(49,51,63,0.05)}"
    ".semi-mismatch mark{background:rgba(255,75,75,0.45);padding:0 1px}"
    ".semi-mismatch .label{font-size:0.8rem;color:rgba(49,51,63,0.7)}</style>"
)
QUEUE_TTL_S = 15.0  # re-read the queue after this long: new pairs, other tabs' decisions
KEYS_HELP = ("Keys: A accept · X reject · S skip · U undo · 1-9 a reject reason, when no "
             "text box has the focus.")  # fmt: skip
INSTRUCTION_HEIGHT = 170  # px; a longer instruction scrolls within its box
CODE_HEIGHT = 210  # px; longer code scrolls within its block
ACTIONS = {"accept": "Accept", "reject": "Reject", "skip": "Skip"}
SHORTCUTS = {"accept": "a", "reject": "x", "skip": "s"}

store = get_store()
st.title("Review")
# Less room above the title than Streamlit's default: on a laptop's screen the pair's code
# starts above the fold. A style of this page only (gone with its elements).
st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2rem}</style>")
annotator = current_annotator()
if annotator is None:
    st.warning("Enter your annotator name in the sidebar (or sign in) to review pairs.")
    st.stop()
reasons.guidelines_box(store)


@st.cache_data(ttl=30, show_spinner=False)
def review_sources(db_path: str) -> list[str]:
    return store.review_sources()


# -- filters ------------------------------------------------------------------------------
# The filters' widgets are drawn only while their box is open (a tracked expander): a new
# tab then skips seven widgets and the slider's script. Their values live in session state,
# written back each run, since Streamlit forgets the value of a widget it did not draw.
FILTER_DEFAULTS = {"f_status": [], "f_difficulty": (0.0, 1.0), "f_search": "", "f_source": "",
                   "f_origin": "", "f_failure": "", "f_decided": False,
                   "f_constant": False, "f_strength": 0.0, "f_reason": ""}  # fmt: skip
for name, default in FILTER_DEFAULTS.items():
    st.session_state[name] = st.session_state.get(name, default)


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value  # a range: list or tuple


active = any(_plain(st.session_state[k]) != _plain(v) for k, v in FILTER_DEFAULTS.items())
# The Audit queue: the latest audit's pairs, their verdict and scores hidden (None: off).
audit = audit_queue_choice(store)
# The box's label says whether a filter is on, and a new label makes a new widget: it is
# drawn as open as it was, so setting a filter or clearing one never folds it away.
box = st.expander("Filters" + (" (active)" if active else ""), key="f_open", on_change="rerun",
                  expanded=bool(st.session_state.get("f_open", False)))  # fmt: skip
if box.open and not audit:
    with box:
        # Every status is a pill, chosen or not, on a row of its own: none is ever cut off.
        st.pills("Verdict status", STATUSES, selection_mode="multi", key="f_status")
        left, middle, right = st.columns(3)
        left.slider("Least test strength", 0.0, 1.0, key="f_strength", help=HELP["test strength"])
        middle.slider("Difficulty", 0.0, 1.0, key="f_difficulty")
        right.text_input(
            "Search text", key="f_search",
            help="In the instruction, the code and the snippet's name, or a pair id "
            "(whole or its first characters).",
        )  # fmt: skip
        left.selectbox("Source", [""] + review_sources(store.path), key="f_source",
                       format_func=lambda s: s or "any source")  # fmt: skip
        middle.selectbox("Test origin", ["", *ORIGINS], key="f_origin",
                         format_func=lambda s: s or "any origin",
                         help=origins_help())  # fmt: skip
        right.selectbox(
            "Failure kind", [""] + FAILURES, key="f_failure",
            format_func=lambda s: s or "any outcome",
            help="A test of the rewrite ended this way, or the verdict has this status.",
        )  # fmt: skip
        left.checkbox("Include pairs I decided", key="f_decided")
        middle.checkbox("Only tests that all expect one result", key="f_constant",
                        help="Weak tests: every usable test expects the same value.")  # fmt: skip
        reasons.reason_filter(left, store)
        if right.button("Refresh queue", key="refresh_queue"):
            st.session_state.pop("review_queue", None)

difficulty = st.session_state["f_difficulty"]
filters = {
    "statuses": st.session_state["f_status"] or None,
    "difficulty": None if tuple(difficulty) == (0.0, 1.0) else tuple(difficulty),
    "source": st.session_state["f_source"] or None,
    "origin": st.session_state["f_origin"] or None,
    "failure": st.session_state["f_failure"] or None,
    "search": st.session_state["f_search"].strip() or None,
    "include_decided": st.session_state["f_decided"],
    "constant_outputs": st.session_state["f_constant"],
    "min_strength": st.session_state["f_strength"] or None,
    "reason": st.session_state["f_reason"] or None,
}
if audit:  # the filters read the verdict and the scores: the audit queue has none
    filters = {"audit": audit}
else:
    bulk_panel(store, annotator, filters, box)


def load_queue() -> dict:
    """The queue's first ids and its size, from the session when fresh enough."""
    key = repr((annotator, sorted(filters.items())))
    cached = st.session_state.get("review_queue")
    fresh = cached and cached["key"] == key and time.monotonic() - cached["at"] < QUEUE_TTL_S
    if fresh and cached["ids"]:
        return cached
    if cached and cached["key"] != key:
        st.session_state.pop("review_link", None)  # new filters: back to the queue
    ids, total = store.review_queue_ids(annotator, **filters)
    cached = {"key": key, "ids": ids, "total": total, "at": time.monotonic()}
    st.session_state["review_queue"] = cached
    return cached


# -- actions (callbacks: they run before the page is drawn again) ------------------------------


def on_decide(action: str, pair_id: str, seen: PairState, practice: bool = False) -> None:
    """Record the decision and go on to the next pair. A practice pair's mistake is
    revealed only once decided, so the pair just decided stays one click away."""
    note = (st.session_state.get(f"note_{pair_id}") or "").strip()
    try:
        decide(store, pair_id, annotator, action, note or None, seen=seen, audit=audit,
               reasons=reasons.chosen_reasons(pair_id, action))  # fmt: skip
    except ReviewError as error:
        st.session_state["review_error"] = str(error)
        st.session_state.pop("review_queue", None)  # the pair changed: read it again
        st.session_state["review_link"] = pair_id  # and shown again as it is now
        return
    queue = st.session_state.get("review_queue") or {"ids": [], "total": 0}
    ids = list(queue["ids"])
    position = ids.index(pair_id) if pair_id in ids else -1
    following = ids[position + 1 :] + ids[:position] if position >= 0 else ids
    if filters.get("include_decided"):
        st.session_state.pop("review_queue", None)  # its order changed: read it again
    elif position >= 0:
        ids.remove(pair_id)
        if action == "skip":
            ids.append(pair_id)  # skipped pairs come back after the undecided ones
        else:
            queue["total"] = max(queue["total"] - 1, 0)
        queue["ids"] = ids
    skipped = st.session_state.setdefault("review_skipped", set())
    (skipped.add if action == "skip" else skipped.discard)(pair_id)
    following = [i for i in following if i != pair_id]
    if not following or following[0] in skipped:
        # No undecided pair held ahead: read the queue again, which claims more.
        st.session_state.pop("review_queue", None)
        following = []
    st.session_state["review_pair"] = following[0] if following else None
    st.session_state.pop("review_link", None)
    st.session_state["review_flash"] = f"{action} recorded for {pair_id}"
    if practice and action in ("accept", "reject"):
        st.session_state["review_decided_practice"] = pair_id


def on_check_decided(pair_id: str) -> None:
    st.session_state["review_pair"] = st.session_state["review_link"] = pair_id
    st.session_state.pop("review_decided_practice", None)


def check_decided_button() -> None:
    """Back to the practice pair just decided, where its mistake can be revealed."""
    decided = st.session_state.get("review_decided_practice")
    if decided:
        st.button(f"Check the practice pair you just decided ({decided}): did it carry a "
                  "mistake?", key="check_decided", icon=":material/school:",
                  on_click=on_check_decided, args=(decided,))  # fmt: skip


def on_undo() -> None:
    try:
        undone = undo_last(store, annotator)
    except ReviewError as error:
        st.session_state["review_error"] = str(error)
        return
    st.session_state.pop("review_queue", None)
    if undone is None:
        st.session_state["review_flash"] = "Nothing to undo."
        return
    st.session_state["review_pair"] = st.session_state["review_link"] = undone["generation_id"]
    st.session_state["review_flash"] = f"Undid {undone_text(store, undone)}"


def on_revalidate(pair_id: str) -> None:
    st.session_state["revalidating"] = {"pair": pair_id, "before": None}


def on_edit(pair_id: str) -> None:
    """Save an edit; the page then revalidates the pair at its top, showing progress."""
    before = test_table(store, pair_id)
    instruction = st.session_state[f"edit_instruction_{pair_id}"]
    code = st.session_state[f"edit_code_{pair_id}"]
    try:
        edit_pair(store, pair_id, annotator, instruction, code)
    except ReviewError as error:
        st.session_state["review_error"] = str(error)
        return
    st.session_state["revalidating"] = {"pair": pair_id, "before": before}


def revalidate(pair_id: str) -> dict | None:
    """Validate one pair again, here and now (a new validation run in its history, ranked
    at once); returns its new verdict."""
    run_pipeline(store, pipeline_settings(store), stages=("validate",), generation_ids=[pair_id])
    st.session_state.pop("review_queue", None)  # its verdict may leave or join the filters
    # Kept on screen even when its new verdict leaves the queue's filters.
    st.session_state["review_pair"] = st.session_state["review_link"] = pair_id
    return store.latest_verdict(pair_id)


def revalidation_at_top(pair_id: str, name: str) -> bool:
    """Run the revalidation the last click asked for, if any, at the top of the pair with
    its progress there; True when it ran (the pair is then read again)."""
    job = st.session_state.get("revalidating")
    if not job or job["pair"] != pair_id:
        return False
    del st.session_state["revalidating"]
    label = f"Validating {escape_markdown(name)} in the sandbox (stops at the first timeout)…"
    with st.status(label, expanded=False) as status:
        verdict = revalidate(pair_id)
        if verdict is None:
            status.update(label="Not validated: the pair has no verdict.", state="error")
            return True
        signals = verdict["signals"] or {}
        summary = f"Validated again: {verdict['status']}, {verdict['passed']}/{verdict['usable']}"
        summary += " tests passed"
        if signals.get("not_run"):
            summary += f", {signals['not_run']} not run after a timeout"
        st.write(escape_markdown(signals.get("reason") or ""))
        status.update(label=summary, state="complete" if verdict["status"] == "validated"
                      else "error")  # fmt: skip
    if job["before"] is not None:
        st.session_state["changed_tests"] = changed_tests(job["before"], test_table(store, pair_id))
    return True


def on_add_test(pair_id: str, kind: str) -> None:
    """Add the typed input as an annotator's test: the original answers it in the
    sandbox, then the pair is validated again (a new run in its history)."""
    text = st.session_state.get(f"add_test_{pair_id}") or ""
    given = {"stdin": text} if kind == "program" else {"args": text}
    settings = pipeline_settings(store)
    pool = get_pool(settings.timeout_s, settings.memory_mb, settings.workers)
    try:
        added = add_test(store, pair_id, annotator, settings=settings, pool=pool, **given)
    except AddTestError as error:
        st.session_state["add_test_error"] = str(error)  # shown under the box
        return
    st.session_state.pop("review_queue", None)  # its verdict may leave or join the filters
    # Kept on screen even when its new verdict leaves the queue's filters.
    st.session_state["review_pair"] = st.session_state["review_link"] = pair_id
    st.session_state["added_test"] = added.sentence()


def add_test_box(pair_id: str, kind: str) -> None:
    """An annotator's own test input: arguments for a function, stdin for a program."""
    box = st.expander("Add a test input", key="add_test_open", on_change="rerun")
    if box.open:
        with box, st.form(f"add_test_form_{pair_id}"):
            if kind == "program":
                st.text_area("Standard input", key=f"add_test_{pair_id}", height=100)
            else:
                st.text_input(
                    "Arguments", key=f"add_test_{pair_id}", placeholder="[1, 2], 3  or  xs=[1]",
                    help="A Python literal argument list, as inside the call's parentheses: "
                    "literals only, nothing is run here. The original gives the expected "
                    "output in the sandbox.",
                )  # fmt: skip
            st.form_submit_button("Add the test and revalidate", on_click=on_add_test,
                                  args=(pair_id, kind))  # fmt: skip
    if problem := st.session_state.pop("add_test_error", None):
        st.error(escape_markdown(problem))
    if added := st.session_state.pop("added_test", None):
        st.success(escape_markdown(added))


def _inline_code(text: str) -> str:
    """A sentence with `code` spans as escaped HTML: data in it stays text."""
    spans = re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(text))
    return f'<div class="line">{spans}</div>'


def _marked_html(text: str, marked: Marked | None) -> str:
    """One side of a difference: its window with the first differing character marked."""
    if marked is None:
        return html.escape(text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…")
    return (("…" if marked.cut_before else "") + html.escape(marked.before)
            + f"<mark>{html.escape(marked.marked or ' ')}</mark>" + html.escape(marked.after)
            + ("…" if marked.cut_after else ""))  # fmt: skip


def _side(label: str, text: str, marked: Marked | None) -> str:
    return f'<div><div class="label">{label}</div><pre>{_marked_html(text, marked)}</pre></div>'


def mismatch_details(failing: list, entry_point: str | None, mode: str) -> None:
    """Each failing test's expected and actual output side by side, the first difference
    marked (the first few; the table has them all)."""
    blocks = []
    for row, difference in failing[:DETAILS_SHOWN]:
        call = call_text(entry_point, row["input"], mode)
        kind = difference.signature or row["status"]
        head = _inline_code(f"Test {row['#']} · `{call}` · {kind} — {difference.sentence}")
        sides = _side("expected (the original)", difference.expected, difference.expected_mark)
        sides += _side("actual (the rewrite)", difference.actual, difference.actual_mark)
        blocks.append(f'<div class="case">{head}<div class="sides">{sides}</div></div>')
    more = len(failing) - DETAILS_SHOWN
    if more > 0:
        blocks.append(f'<div class="label">{more} more failing tests in the table below.</div>')
    st.html(f'<div class="semi-mismatch">{"".join(blocks)}</div>{_MISMATCH_CSS}')


def mistake_box(pair: dict, events: list) -> None:
    """A simulated pair's ground truth, hidden until this annotator has accepted or
    rejected the pair (practice: the flaw is found first, then checked)."""
    if not may_see_votes(events, annotator):
        st.caption("Practice: once you have accepted or rejected this pair, you can check "
                   "whether it carries an injected mistake.")  # fmt: skip
        return
    box = st.expander("Reveal the injected mistake", key="reveal_mistake", on_change="rerun")
    if box.open:
        with box:
            status = pair["verdict"]["status"] if pair["verdict"] else None
            show_mistake(pair["mistake"], status, pair["id"])


def attempts_box(pair: dict) -> None:
    """A repaired pair's attempts (each answer of the model, the later ones shown the
    failing tests), each with its verdict and its diff from the attempt before; read only
    when opened."""
    if (pair.get("attempt") or 1) < 2:
        return
    box = st.expander(f"Attempts ({pair['attempt']}): repaired by the model", key="attempts_open",
                      on_change="rerun")  # fmt: skip
    if not box.open:
        return
    rows = attempts(store, pair["id"])
    with box:
        for row, diff in zip(rows, attempt_diffs(rows), strict=True):
            if row["status"] != "ok":
                outcome = f"no usable answer: {row['error']}"
            elif row["verdict_status"]:
                outcome = f"{row['verdict_status']} · {row['passed']}/{row['usable']} tests pass"
            else:
                outcome = "not validated yet"
            st.markdown(f"**Attempt {row['attempt']}** — {escape_markdown(outcome)}")
            if diff:
                st.code(diff, language="diff")


def current_pair_id(ids: list[str]) -> str | None:
    """The pair to show: one opened by a link (`?pair=`, another page, an undo), decided
    or not, while it exists; else the session's place in the queue; else the first."""
    if "review_pair" not in st.session_state and st.query_params.get("pair"):
        st.session_state["review_link"] = st.query_params["pair"]  # a new session's link
    link = st.session_state.get("review_link")
    if link and store.generation(link) is not None:
        return link
    st.session_state.pop("review_link", None)
    wanted = st.session_state.get("review_pair")
    return wanted if wanted in ids else (ids[0] if ids else None)


def figures_of(verdict: dict | None, row: object) -> None:
    """The verdict's figures in `row`, each in full (never cut to "generated_e…"), and
    what the tests catch and reach in one line under them: a laptop's screen keeps the
    code and the tests above the fold."""
    if not verdict:
        row.info("Not validated yet.", width=200)
        return
    level = verdict["difficulty"]
    strength, *reach = strength_figures(verdict)
    metric_row(
        [
            ("Verdict", verdict["status"]),
            ("Tests passed", f"{verdict['passed']}/{verdict['usable']}"),
            strength,
            ("Difficulty", f"{level:.2f}" if level is not None else "–"),
        ],
        row=row,
    )
    row.caption(
        " · ".join(f"{label} **{value}**" for label, value in reach),
        help=f"**Mutants killed**: {HELP['pair mutants killed']}\n\n"
        f"**Branches covered**: {HELP['branches covered']}",
    )


# -- the queue and the current pair ------------------------------------------------------------
@st.fragment
def pair_view() -> None:
    """The current pair and its actions. A fragment: a decision redraws only this part
    of the page (the filters and the sidebar stay as they are), which keeps accept →
    next pair quick."""
    # Messages from the last action's callback (callbacks run before the script).
    if flash := st.session_state.pop("review_flash", None):
        st.toast(escape_markdown(flash))
    if problem := st.session_state.pop("review_error", None):
        st.error(escape_markdown(problem))
    queue = load_queue()
    ids = queue["ids"]
    pair_id = current_pair_id(ids)
    if pair_id is not None and pair_id == st.session_state.get("review_decided_practice"):
        del st.session_state["review_decided_practice"]  # back on it: nothing to offer
    check_decided_button()
    if pair_id is None:
        if "pair" in st.query_params:
            del st.query_params["pair"]
        if not store.any_pairs():
            st.info("No pairs yet. Start a run on the Run page to generate and validate pairs.")
            st.page_link("pages/run.py", label="Go to the Run page", icon=":material/play_arrow:")
        else:
            st.info(
                "Nothing to review with these filters: change them, or tick "
                "“Include pairs I decided”. Pairs given to other annotators are not in "
                "your queue."
            )
        st.button("Undo my last decision", key="undo_empty", on_click=on_undo)
        return

    st.session_state["review_pair"] = pair_id
    if st.query_params.get("pair") != pair_id:
        st.query_params["pair"] = pair_id
    pair = store.pair(pair_id)
    if pair is None:  # gone from the store since the queue was read
        st.session_state.pop("review_queue", None)
        st.rerun()
    place = (
        f"Pair {ids.index(pair_id) + 1} of {queue['total']} in your queue"
        if pair_id in ids
        else f"Opened by a link: not in your queue of {queue['total']} (decided, or filtered out)"
    )
    if revalidation_at_top(pair_id, pair["name"]):
        pair = store.pair(pair_id)
    verdict = pair["verdict"]
    events = history(store, pair_id)
    seen = seen_state(verdict, events, annotator)  # what the buttons decide on

    # The file's name only: a source's full path (on hover) would push the buttons down.
    st.caption(
        f"{place} · id `{pair_id}` · backend **{escape_markdown(pair['backend'])}** · snippet "
        f"**{escape_markdown(pair['name'])}** from {escape_markdown(Path(pair['path']).name)}",
        help=f"Source: `{pair['path']}`",
    )
    if pair["backend"] == SIMULATED:
        practice_badge()
    # One row of buttons and the note, in one horizontal container: a new tab draws one
    # block instead of a row block and five columns.
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    for action, label in ACTIONS.items():
        bar.button(
            label,
            key=action,
            shortcut=SHORTCUTS[action],
            on_click=on_decide,
            args=(action, pair_id, seen, pair["backend"] == SIMULATED),
            type="primary" if action == "accept" else "secondary",
            width=90,
            disabled=action == "accept" and verdict is None,
            help="A pair is accepted on its verdict: validate it first."
            if action == "accept" and verdict is None
            else None,
        )
    bar.button("Undo", key="undo", shortcut="u", on_click=on_undo, width=90, help=KEYS_HELP)
    reasons.reason_picker(store, pair_id, bar)
    bar.text_input(
        "Note (optional)",
        key=f"note_{pair_id}",
        label_visibility="collapsed",
        placeholder="Note, kept with your decision (optional)",
    )
    # The instruction beside the figures, scrolled within a short box, and the code in
    # blocks of a bounded height: on a laptop's screen the code and the tests start above
    # the fold.
    about, figures = st.columns(2)
    if not audit:
        figures_of(verdict, figures.container(horizontal=True, gap="small"))
    if pair["backend"] == SIMULATED and not audit:
        with figures:
            mistake_box(pair, events)
    # The instruction as Markdown, as a model trained on it reads it: its code spans and
    # lists rendered (raw HTML in it stays text: st.markdown does not allow HTML).
    with about.container(border=True, key="instruction", height=INSTRUCTION_HEIGHT):
        st.markdown("**Instruction**")
        st.markdown(pair["instruction"] or "")

    left, right = st.columns(2)
    left.markdown("**Original (natural code)**", help=HELP["oracle"])
    with left:
        code(pair["original_code"], max_height=CODE_HEIGHT)
    right.markdown("**Generated code**")
    with right:
        code(pair["code"] or "", max_height=CODE_HEIGHT)
    st.subheader("Tests")
    tests = test_table(store, pair_id, verdict=verdict)
    if audit:
        blind_tests_table(tests, f"audit_tests_{pair_id}")
    elif verdict and verdict["signals"].get("constant_outputs"):
        st.warning(
            f"All {verdict['signals']['usable']} tests expect one and the same result: they "
            "check little of what the code does (weak tests)."
        )
    if tests and not audit:
        mode = "program" if pair["kind"] == "program" else "function"
        failing = differences(tests, mode)
        if failing:
            st.html(_inline_code(summary(tests, pair["entry_point"], mode)))
            mismatch_details(failing, pair["entry_point"], mode)
        tests_table(tests, f"tests_{pair_id}")
    elif not tests:
        st.caption("No test cases.")
    # The rerun, an added test, the attempts and the edit show a verdict: not in an audit.
    if not audit:
        st.button("Rerun validation", key="rerun", icon=":material/refresh:",
                  on_click=on_revalidate, args=(pair_id,),
                  help="Progress shows at the top of the pair.")  # fmt: skip
        add_test_box(pair_id, pair["kind"])

    # The diff and the edit form are drawn only when opened (tracked expanders): a pair is
    # shown without them, and without the two text areas holding its whole code. They
    # come after the tests, which a reviewer reads first.
    diff_box = st.expander("Diff", key="diff_open", on_change="rerun")
    if diff_box.open:
        diff = difflib.unified_diff(
            pair["original_code"].splitlines(),
            (pair["code"] or "").splitlines(),
            "original",
            "generated",
            lineterm="",
        )
        with diff_box:
            code("\n".join(diff) or "(identical)", "diff")
    if audit:
        edit_box = None
    else:
        attempts_box(pair)
        edit_box = st.expander("Edit instruction and code", key="edit_open", on_change="rerun")
    # -- edit and revalidate -------------------------------------------------------------------
    if edit_box and edit_box.open:
        with edit_box, st.form(f"edit_{pair_id}"):
            code_area_style(f"edit_code_{pair_id}", f"edit_instruction_{pair_id}")
            st.text_area("Instruction", pair["instruction"] or "", height=150,
                         key=f"edit_instruction_{pair_id}")  # fmt: skip
            st.text_area("Code", pair["code"] or "", height=300, key=f"edit_code_{pair_id}")
            st.form_submit_button("Save and revalidate", on_click=on_edit, args=(pair_id,))
    if (changes := st.session_state.pop("changed_tests", None)) is not None:
        st.markdown("**Tests changed by the edit**")
        if changes:
            show_table(pd.DataFrame(changes), "changed_tests")
        else:
            st.caption("No test changed its outcome.")

    # -- who decided what ----------------------------------------------------------------------
    st.subheader("Decision history")
    if not may_see_votes(events, annotator):
        # Votes are independent: the others' decisions and notes wait for this one.
        events = [e for e in events if e["annotator"] == annotator]
        st.caption(
            "Other annotators' decisions and notes show once you have accepted or "
            "rejected this pair."
        )
    else:
        # From the events read anyway (one query less); a settlement is named apart.
        current = current_decisions(events, name_finals=True)
        st.caption(
            "Current decisions: "
            + " · ".join(f"{escape_markdown(name)}: {action}" for name, action in current.items())
        )
    if events:
        rows = [
            {
                "when": e["created_at"],
                "annotator": e["annotator"],
                "action": action_label(e),
                "note": e["note"],
                "reasons": reasons.event_reasons(e),
                "undone": bool(e["undone_by"]),
            }
            for e in events
        ]
        show_table(pd.DataFrame(rows), f"history_{pair_id}")
    else:
        st.caption("No decisions yet.")


pair_view()
