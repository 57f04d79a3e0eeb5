"""What every page shares: the store of this server process, opened once."""

from __future__ import annotations

import os

import streamlit as st

from semi_core.demo import load_demo
from semi_core.store import Store, StoreError, default_db_path


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    store = Store(path)
    # First start: give a newcomer something to look at (SEMI_LOAD_DEMO=0 turns it off).
    if store.count_snippets() == 0 and os.environ.get("SEMI_LOAD_DEMO", "1") != "0":
        load_demo(store)
    return store


def get_store() -> Store:
    """The server's store; stops the page with one clear message when it cannot open."""
    try:
        return _open_store(default_db_path())
    except StoreError as error:
        st.error(str(error))
        st.stop()
        raise  # unreachable: st.stop() ends the script run
