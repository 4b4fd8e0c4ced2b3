"""Router only: the sidebar (who, audience, language) and the list of pages."""

import streamlit as st

import glossary
from core import config, datasets, users

st.set_page_config(page_title="Common Ground", page_icon=":material/handshake:", layout="wide")


@st.cache_resource
def _prepare_workspace(home: str) -> bool:
    datasets.ensure_demo_data()  # once per new workspace; a no-op afterwards
    return True


_prepare_workspace(str(config.home()))

AUDIENCES = ["stakeholder", "analyst", "expert"]
LANGUAGES = {"en": "English", "pt": "Português"}

# Who: the ?user= link (bookmarkable), else this session's earlier choice, else the default.
user = (st.query_params.get("user") or st.session_state.get("user") or config.default_user()).strip()
st.session_state["user"] = user
if user != config.default_user():
    st.query_params["user"] = user  # page links drop query parameters; keep it in the URL
prefs = users.get_preferences(user)
lang = prefs["language"]


def _save(key: str, widget: str) -> None:
    users.set_preference(user, key, st.session_state[widget])


def _switch_user() -> None:
    name = st.session_state["user_input"].strip()
    if name:
        st.session_state["user"] = name
        st.query_params["user"] = name
        for widget in ("pref_language", *(f"pref_audience_{code}" for code in LANGUAGES)):
            st.session_state.pop(widget, None)  # show the new user's own choices


with st.sidebar:
    st.caption(glossary.ui("signed_in_as", lang, user=user))
    with st.popover(glossary.ui("switch_user", lang), icon=":material/person:"):
        st.text_input(glossary.ui("your_name", lang), value=user, key="user_input", on_change=_switch_user)
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
        # One widget per language: its labels change with the language, and Streamlit keeps a
        # radio's value by label, so a switch of language must not carry the old label over.
        key=f"pref_audience_{lang}",
        on_change=_save,
        args=("audience", f"pref_audience_{lang}"),
        help=glossary.help_text("audience", lang),
    )

# on_change callbacks run before this script, so `prefs` already holds a switch just made.
st.session_state["ctx"] = {"user": user, **prefs}

pages = [
    st.Page("pages/home.py", title=glossary.ui("page_home", lang), icon=":material/home:", default=True),
    st.Page("pages/summary.py", title=glossary.ui("page_summary", lang), icon=":material/article:",
            url_path="summary"),
    st.Page("pages/data.py", title=glossary.ui("page_data", lang), icon=":material/table_chart:", url_path="data"),
]
if prefs["audience"] != "stakeholder":  # stakeholders read results; they do not launch runs
    pages.append(st.Page("pages/train.py", title=glossary.ui("page_train", lang),
                         icon=":material/model_training:", url_path="train"))
pages.append(st.Page("pages/runs.py", title=glossary.ui("page_runs", lang), icon=":material/monitoring:",
                     url_path="runs"))
pages.append(st.Page("pages/results.py", title=glossary.ui("page_results", lang), icon=":material/insights:",
                     url_path="results"))
pages.append(st.Page("pages/compare.py", title=glossary.ui("page_compare", lang), icon=":material/compare:",
                     url_path="compare"))
pages.append(st.Page("pages/glossary.py", title=glossary.ui("page_glossary", lang), icon=":material/menu_book:",
                     url_path="glossary"))
st.navigation(pages).run()
