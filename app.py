"""Semi-Instruct Studio: the Streamlit entry point (`streamlit run app.py`)."""

import streamlit as st

from studio.shared import annotator_sidebar, get_store, sign_in_form, sign_in_required

st.set_page_config(page_title="Semi-Instruct Studio", page_icon=":material/science:", layout="wide")

# With accounts configured, a visitor who has not signed in gets the sign-in alone: no
# navigation, sidebar or page (a deep link's page is shown once they are signed in).
signing_in = sign_in_required()
# Declared first: from here on Streamlit no longer treats pages/ as an old-style
# multipage folder (see studio/shared.py), so the pages below run inside this script.
navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/run.py", title="Run", icon=":material/play_arrow:"),
        st.Page("pages/review.py", title="Review", icon=":material/rate_review:"),
        st.Page("pages/walkthrough.py", title="Walkthrough", icon=":material/route:"),
        st.Page("pages/rankings.py", title="Rankings", icon=":material/leaderboard:"),
        st.Page("pages/failures.py", title="Failures", icon=":material/error:"),
        st.Page("pages/agreement.py", title="Agreement", icon=":material/handshake:"),
        st.Page("pages/export.py", title="Export", icon=":material/download:"),
        st.Page("pages/settings.py", title="Prompt and settings", icon=":material/tune:"),
    ],
    position="hidden" if signing_in else "sidebar",
)
if signing_in:
    sign_in_form()
    st.stop()
store = get_store()
annotator_sidebar()
with st.sidebar:
    st.caption(f"Database: `{store.path}`")
navigation.run()
