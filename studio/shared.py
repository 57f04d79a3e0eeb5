"""What every page shares: the server's store and background runner, and who is
reviewing. Pages stay thin: they read through semi_core, render, and call actions."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from semi_core.auth import ANNOTATOR, Accounts, AccountsError, SignInError, sign_in
from semi_core.demo import start_demo
from semi_core.generate.base import SIMULATED_BACKEND
from semi_core.jobs import JobRunner
from semi_core.store import Store, StoreError, default_db_path

ROOT = Path(__file__).resolve().parent.parent


def demo_limit() -> int | None:
    """SEMI_DEMO_LIMIT: at most this many demo snippets on a first start (all if unset)."""
    limit = os.environ.get("SEMI_DEMO_LIMIT", "").strip()
    return int(limit) if limit.isdigit() and int(limit) > 0 else None


@st.cache_resource(show_spinner=False)
def _job_runner(path: str) -> JobRunner:
    """The server's store and its one background runner, opened together. On a first
    start (no snippets; SEMI_LOAD_DEMO=0 turns it off) the demo is loaded and run through
    the simulated backend in the background: a newcomer sees pairs, every kind of
    verdict among them, without starting anything. A store with snippets is left as is."""
    jobs = JobRunner(Store(path))
    if jobs.store.count_snippets() == 0 and os.environ.get("SEMI_LOAD_DEMO", "1") != "0":
        start_demo(jobs.store, jobs, limit=demo_limit())
    return jobs


def _open_store(path: str) -> Store:
    return _job_runner(path).store


# The pages are Streamlit's own pages/ scripts, each drawing this frame first, with the
# automatic page list turned off (client.showSidebarNavigation) and the menu below drawn
# instead: Streamlit's documented custom navigation, so no st.navigation competes with pages/.
PAGES = (
    ("app.py", "Overview", ":material/dashboard:"),
    ("pages/run.py", "Run", ":material/play_arrow:"),
    ("pages/review.py", "Review", ":material/rate_review:"),
    ("pages/walkthrough.py", "Walkthrough", ":material/route:"),
    ("pages/rankings.py", "Rankings", ":material/leaderboard:"),
    ("pages/failures.py", "Failures", ":material/error:"),
    ("pages/agreement.py", "Agreement", ":material/handshake:"),
    ("pages/export.py", "Export", ":material/download:"),
    ("pages/settings.py", "Prompt and settings", ":material/tune:"),
)


def _page_title() -> str:
    """The title of the page this script run draws, as the menu names it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    page = ctx.pages_manager.get_pages().get(ctx.page_script_hash) if ctx else None
    script = Path(page["script_path"]).resolve() if page else None
    for path, title, _icon in PAGES:
        if script == ROOT / path:
            return f"{title} · Semi-Instruct Studio"
    return "Semi-Instruct Studio"


def _store_or_stop() -> Store:
    try:
        return _open_store(default_db_path())
    except StoreError as error:
        st.error(escape_markdown(error))
        st.stop()
        raise  # unreachable: st.stop() ends the script run


def get_store() -> Store:
    """Draw the studio's frame for this page, then return the server's store. With
    accounts configured, a visitor who has not signed in gets the sign-in alone: no menu,
    sidebar or page (a deep link's page is shown once they are signed in). A store that
    cannot open stops the page with one clear message."""
    st.set_page_config(page_title=_page_title(), page_icon=":material/science:",
                       layout="wide")  # fmt: skip
    if sign_in_required():
        sign_in_form()
        st.stop()
    store = _store_or_stop()
    with st.sidebar:
        for path, title, icon in PAGES:
            st.page_link(path, label=title, icon=icon)
    annotator_sidebar()
    with st.sidebar:
        st.caption(f"Database: `{store.path}`")
    return store


@st.cache_data(show_spinner=False, max_entries=64)
def _computed(name: str, path: str, version: tuple, args: tuple, _fn: Callable[..., Any],
              _store: Store) -> Any:  # fmt: skip
    return _fn(_store, *args)


def cached(version: tuple, fn: Callable[..., Any], store: Store, *args: Any) -> Any:
    """`fn(store, *args)` computed once per store version (`Store.data_version()`, read
    once per page run) and shared by every session: switching back to a page, or opening
    it in a new tab, reuses the aggregates until the data they read changes. The version
    is read before `fn` runs, so a write in between only makes the next run recompute."""
    return _computed(f"{fn.__module__}.{fn.__qualname__}", store.path, version, args, fn, store)


def get_jobs() -> JobRunner:
    """The server's one background runner (runs are threads of this process)."""
    _store_or_stop()
    return _job_runner(default_db_path())


SIGNED_IN = "logged_in_as"  # session state: the account this session signed in to


def _read_accounts() -> Accounts:
    """The accounts in the secrets; none (sign-in off) when there is no secrets file.
    Raises AccountsError for a file that is there but cannot be read: read as no
    accounts, it would open the studio to everyone."""
    try:
        return Accounts.from_secrets(st.secrets)
    except FileNotFoundError as error:  # Streamlit's own error: no file, or one not TOML
        if not any(os.path.exists(path) for path in st.get_option("secrets.files")):
            return Accounts()
        raise AccountsError(str(error)) from None


def _accounts() -> Accounts:
    """The accounts; secrets that cannot be read stop the page with one sentence."""
    try:
        return _read_accounts()
    except AccountsError as error:
        st.error(escape_markdown(f"Nobody can sign in until the secrets are fixed: {error}"))
        st.stop()


def signed_in_as() -> str | None:
    """The account this session signed in to, while it is still an account."""
    name = st.session_state.get(SIGNED_IN)
    return name if name in _accounts().passwords else None


def sign_in_required() -> bool:
    """Whether this visitor must sign in before anything is shown: accounts are
    configured and the session has not signed in, or the secrets cannot be read (the
    sign-in then says why). Draws nothing: the frame asks before drawing anything."""
    try:
        accounts = _read_accounts()
    except AccountsError:
        return True
    return accounts.sign_in_required and st.session_state.get(SIGNED_IN) not in accounts.passwords


def sign_in_form() -> None:
    """The sign-in, alone on the page. Failures are counted by the server process
    (semi_core.auth), per name and per session: a new tab does not start a name afresh."""
    accounts = _accounts()
    box = st.columns([2, 3])[0]  # as wide as a name and a password, not as the page
    with box:
        st.title("Sign in")
        st.caption("This studio is shared: sign in with the account you were given.")
        with st.form("sign_in"):
            name = st.text_input("Name", key="sign_in_name")
            password = st.text_input("Password", type="password", key="sign_in_password")
            submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    session = st.session_state.setdefault("sign_in_session", secrets.token_hex(16))
    try:
        st.session_state[SIGNED_IN] = sign_in(accounts, name, password, session)
    except SignInError as error:
        box.error(str(error))
    else:
        st.rerun()


def may(role: str) -> bool:
    """Whether this visitor may act as `role` (everyone may, with sign-in off)."""
    return _accounts().may(signed_in_as(), role)


def require_role(role: str, doing: str, *, stop: bool = True) -> bool:
    """Whether this visitor may act as `role`. If not, one sentence says who may
    `doing`, and the page stops there, or with `stop=False` goes on without the action
    widgets it shows only when this returns True."""
    if may(role):
        return True
    st.info(f"Only an {role} may {doing}.")
    if stop:
        st.stop()
    return False


def _keep_annotator() -> None:
    st.session_state["annotator_kept"] = (st.session_state.get("annotator") or "").strip()


def annotator_sidebar() -> None:
    """The sidebar's annotator box: a name per session, or the account signed in to."""
    accounts = _accounts()
    with st.sidebar:
        if not accounts.sign_in_required:
            # The name also lives in the URL (?annotator=), so a reload keeps it, and under
            # a plain key: each page has its own widgets, and a page switch drops the URL's
            # query, so the box is filled from that key on every page.
            kept = st.session_state.get("annotator_kept")
            if kept is None:
                kept = (st.query_params.get("annotator") or "").strip()
            st.session_state["annotator_kept"] = st.session_state["annotator"] = kept
            st.text_input("Annotator", key="annotator", placeholder="your name",
                          help="Kept with every decision you make.",
                          on_change=_keep_annotator)  # fmt: skip
            name = kept
            if name and st.query_params.get("annotator") != name:
                st.query_params["annotator"] = name
            elif not name and "annotator" in st.query_params:
                del st.query_params["annotator"]
            return
        name = signed_in_as()
        role = accounts.role_of(name) or ANNOTATOR
        st.caption(f"Signed in as **{escape_markdown(name)}** · {role}")
        if st.button("Sign out", key="sign_out"):
            del st.session_state[SIGNED_IN]
            st.rerun()


_PLAIN_KEY = re.compile(r"[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*")


def element_key(*parts: object) -> str:
    """A widget key made from `parts` (names, ids, any text from the data): the parts
    joined by "_" when that is plain, else the plain prefix and a hash of them all.
    Streamlit refuses a component key holding "__" (its own delimiter), so a key made
    from a name like `_private_helper` must not carry the name as it is."""
    joined = "_".join(str(part) for part in parts)
    if _PLAIN_KEY.fullmatch(joined):
        return joined
    digest = hashlib.sha256(repr(tuple(map(str, parts))).encode("utf-8", "replace"))
    prefix = re.sub(r"[^A-Za-z0-9-]+", "-", str(parts[0]) if parts else "").strip("-")
    return f"{prefix}-{digest.hexdigest()[:16]}" if prefix else digest.hexdigest()[:16]


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: object) -> str:
    """Text from the data (names, paths, LLM output) made inert inside a markdown label,
    so it shows as typed and never becomes a link, a directive or markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def current_annotator() -> str | None:
    """Who is reviewing: the signed-in account, or the name typed for this session."""
    if _accounts().sign_in_required:
        return signed_in_as()
    name = (st.session_state.get("annotator") or "").strip()
    return name or None


def stage_bar(stage: str, numbers: dict, running: bool) -> None:
    """One stage of a run going on (or just over): a bar with its counts, rate, time left."""
    total, done = numbers["total"], numbers["done"]
    label = f"{stage}: {done}" + (f" of {total}" if total else "")
    label += f" · {numbers['failed']} failed · {numbers['rate']:.1f}/s"
    if numbers["eta_s"] is not None and running:
        label += f" · {numbers['eta_s']:.0f}s left"
    st.progress(min(done / total, 1.0) if total else (1.0 if done else 0.0), text=label)


def backend_label(params: dict) -> str | None:
    """A run's backend as the runs list names it: the simulated one with its mistake rate."""
    backend = params.get("backend")
    if backend == SIMULATED_BACKEND and params.get("mistake_rate") is not None:
        return f"{backend} (mistake rate {params['mistake_rate']:g})"
    return backend


def show_recent_runs(store: Store, limit: int) -> None:
    """The latest runs as a table: what ran, with which backend, and what it did."""
    runs = store.runs(limit=limit)
    if not runs:
        st.caption("No runs yet: start one on the Run page.")
        return
    rows = [
        {
            "run": r["id"],
            "kind": r["kind"],
            "state": r["state"],
            "backend": backend_label(r["params"]),
            "model": r["params"].get("model"),
            "started": r["started_at"],
            "ended": r["ended_at"],
            "generated": (r["counts"].get("generate") or {}).get("done"),
            "validated": (r["counts"].get("validate") or {}).get("done"),
            "error": r["counts"].get("error"),
        }
        for r in runs
    ]
    from studio.tables import show_table  # it imports this module

    show_table(pd.DataFrame(rows), "recent_runs")


@st.cache_resource(show_spinner=False)
def _pool(timeout_s: float, memory_mb: int, workers: int) -> Any:
    from semi_core.pipeline import PipelineSettings

    limits = PipelineSettings(timeout_s=timeout_s, memory_mb=memory_mb, workers=workers).limits()
    from semi_core.sandbox.pool import SandboxPool

    return SandboxPool(limits)


def get_pool(timeout_s: float, memory_mb: int, workers: int) -> Any:
    """The server's sandbox pool for live steps (one per set of limits): warm workers are
    shared by every session instead of started per click."""
    return _pool(float(timeout_s), int(memory_mb), int(workers))
