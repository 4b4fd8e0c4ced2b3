"""Router only: the sidebar (who, audience, language) and the list of pages."""

import streamlit as st

import glossary
from core.data import datasets
from core.foundation import config
from core.governance import roles, users
from core.training import scheduler
from pages import _ui

st.set_page_config(page_title="Common Ground", page_icon=":material/handshake:", layout="wide")


@st.cache_resource
def _prepare_workspace(home: str) -> bool:
    datasets.ensure_demo_data()  # once per new workspace; a no-op afterwards
    return True


@st.cache_resource
def _scheduler(home: str) -> scheduler.Scheduler:
    """One loop per app process and workspace moves runs forward; pages only read."""
    return scheduler.start(home)


_prepare_workspace(str(config.home()))
if not _scheduler(str(config.home())).alive:  # stopped (e.g. the workspace setting changed back): restart
    _scheduler.clear()
    _scheduler(str(config.home()))

LANGUAGES = {"en": "English", "pt": "Português"}
SIGN_IN = config.sign_in_configured()


def _who() -> str:
    """Who is acting. With sign-in, the e-mail the identity provider vouched for and nothing else;
    without it (the embedded default, loopback only), the ?user= link, this session's earlier
    choice, or the default: names are labels there, not identities."""
    if SIGN_IN:
        if not st.user.is_logged_in:
            st.title("Common Ground")
            st.write(glossary.ui("sign_in_needed", "en"))
            st.button(glossary.ui("sign_in", "en"), on_click=st.login, type="primary", icon=":material/login:")
            st.stop()
        return str(st.user.get("email") or st.user.get("sub"))
    address = st.get_option("server.address")
    if config.exposed(address) and not config.allow_open():
        st.error(_ui.plain(glossary.message("open_without_sign_in", "en", address=address or "every address")))
        st.stop()
    name = (st.query_params.get("user") or st.session_state.get("user") or config.default_user()).strip()
    st.session_state["user"] = name
    if name != config.default_user():
        st.query_params["user"] = name  # page links drop query parameters; keep it in the URL
    return name


user = _who()
role = roles.role_of(user)
prefs = users.get_preferences(user)
lang = prefs["language"]
AUDIENCES = list(roles.AUDIENCES[role])


def _save(key: str, widget: str) -> None:
    users.set_preference(user, key=key, value=st.session_state[widget])


def _switch_user() -> None:
    name = st.session_state["user_input"].strip()
    if name:
        st.session_state["user"] = name
        st.query_params["user"] = name
        for widget in ("pref_language", *(f"pref_audience_{code}" for code in LANGUAGES)):
            st.session_state.pop(widget, None)  # show the new user's own choices


# The database holds the choices; a page may have just changed one (Home's "What brings you here?"),
# and a widget that already has a value would otherwise keep showing the old one.
for widget, value in (("pref_language", lang), (f"pref_audience_{lang}", prefs["audience"])):
    if widget in st.session_state and st.session_state[widget] != value:
        st.session_state[widget] = value

with st.sidebar:
    st.caption(glossary.ui("signed_in_as", lang, user=_ui.plain(user), role=glossary.ui(f"role_{role}", lang)))
    if SIGN_IN:
        st.button(glossary.ui("sign_out", lang), on_click=st.logout, icon=":material/logout:")
    else:
        st.caption(glossary.ui("no_sign_in", lang))
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
context = {"user": user, "role": role, **prefs}

_ui.routed(context)
try:
    st.navigation(_ui.app_pages(lang, prefs["audience"], role)).run()
finally:
    _ui.routed(None)
