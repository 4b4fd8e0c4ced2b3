"""Router only: the sidebar (who, audience, language) and the list of pages."""

import streamlit as st

import glossary
from core import config, datasets, users

st.set_page_config(page_title="Common Ground", page_icon=":material/handshake:", layout="wide")


@st.cache_resource
def _prepare_workspace() -> bool:
    datasets.ensure_demo_data()  # once per new workspace; a no-op afterwards
    return True


_prepare_workspace()

AUDIENCES = ["stakeholder", "analyst", "expert"]
LANGUAGES = {"en": "English", "pt": "Português"}

user = st.query_params.get("user") or config.default_user()
prefs = users.get_preferences(user)
lang = prefs["language"]


def _save(key: str, widget: str) -> None:
    users.set_preference(user, key, st.session_state[widget])


with st.sidebar:
    st.caption(glossary.ui("signed_in_as", lang, user=user))
    st.selectbox(
        glossary.ui("language", lang),
        list(LANGUAGES),
        index=list(LANGUAGES).index(lang),
        format_func=LANGUAGES.get,
        key="pref_language",
        on_change=_save,
        args=("language", "pref_language"),
    )
    st.radio(
        glossary.ui("audience", lang),
        AUDIENCES,
        index=AUDIENCES.index(prefs["audience"]),
        format_func=lambda a: glossary.ui(f"audience_{a}", lang),
        key="pref_audience",
        on_change=_save,
        args=("audience", "pref_audience"),
        help=glossary.help_text("audience", lang),
    )

# on_change callbacks run before this script, so `prefs` already holds a switch just made.
st.session_state["ctx"] = {"user": user, **prefs}

pages = [
    st.Page("pages/home.py", title=glossary.ui("page_home", lang), icon=":material/home:", default=True),
    st.Page("pages/data.py", title=glossary.ui("page_data", lang), icon=":material/table_chart:", url_path="data"),
]
st.navigation(pages).run()
