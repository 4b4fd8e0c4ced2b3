"""Shared page helpers: the view context, one way to show errors, glossary-backed labels.

Pages are thin: read widgets, call core, render. No SQL, no fit(), no Fairlearn here.
"""

import logging
from urllib.parse import urlencode

import streamlit as st

import glossary
from core import config, runs, vocabulary
from core.errors import UserError

log = logging.getLogger("commonground")


def ctx() -> dict:
    """user, audience and language for this view (set by the router on every run)."""
    # Because pages/ exists, Streamlit may run a page file bare, without the router
    # (its legacy multipage mode: a deep link before any st.navigation call in this
    # server, and every AppTest run). Leave that mode and rerun through the router.
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or "ctx" not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()
    return st.session_state["ctx"]


def t(key: str, **values) -> str:
    return glossary.ui(key, ctx()["language"], **values)


def translator():
    """t() bound to this run's language, for format_func callbacks that run outside the script."""
    lang = ctx()["language"]
    return lambda key, **values: glossary.ui(key, lang, **values)


def num(value: int) -> str:
    """A whole number with the language's thousands separator (1,000 / 1.000)."""
    text = f"{value:,}"
    return text.replace(",", ".") if ctx()["language"] == "pt" else text


def term_name(term_id: str) -> str:
    """The glossary's display name of a term (e.g. a metric), with the organisation's edits."""
    return vocabulary.show(term_id, ctx()["language"])["term"]


def help_for(term_id: str) -> str:
    """The term's short definition (edited text wins over shipped text) and a link to its entry, for a tooltip."""
    short = plain(vocabulary.help_text(term_id, ctx()["language"]))  # edits are user text
    link = "glossary?" + urlencode({"term": term_id, "user": ctx()["user"]})
    return f"{short}\n\n[{t('glossary_open')} →]({link})"


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:"})


def plain(text: str) -> str:
    """User or data text made inert for st.markdown: no links, HTML, emphasis, icons or maths.

    Escaping does not stop bare-URL autolinks, so a zero-width space breaks '://', 'www.' and '@'.
    """
    text = str(text).replace("://", ":\u200b//").replace("www.", "www\u200b.").replace("@", "@\u200b")
    return text.translate(_MARKDOWN)


def term_link(term_id: str, where=None, *, ask: bool = True) -> None:
    """A link to the term's glossary entry, named in the view's language, its definition as help."""
    name = plain(term_name(term_id))  # an organisation may have edited the name: user text
    label = f"{t('what_is')} {name}" if ask else name
    (where or st).page_link("pages/glossary.py", label=label, query_params={"term": term_id},
                            help=plain(vocabulary.help_text(term_id, ctx()["language"])), icon=":material/menu_book:")


def chart(spec, term_id: str, where=None, *, caption: str | None = None, link: bool = True, **kwargs) -> None:
    """Every chart goes through here: drawn, captioned in one line, and linked to the glossary term it shows.

    link=False is for a grid of charts of one kind, linked once below the grid.
    """
    where = where or st
    where.altair_chart(spec, width=kwargs.pop("width", "stretch"), **kwargs)
    if caption:
        where.caption(plain(caption))
    if link:
        term_link(term_id, where)


def pick_run(label_key: str, key: str, *, empty_key: str, prefer: str | None = None) -> str:
    """Choose one run with results (newest first); with none, a hint and the page stops."""
    finished = attempt(runs.with_results) or []
    if not finished:
        st.info(t(empty_key))
        st.stop()
    labels = {r["run_id"]: f"{r['dataset_name']} → {r['target']} · {r['run_id']}" for r in finished}
    if st.session_state.get(key) not in labels:
        st.session_state[key] = prefer if prefer in labels else next(iter(labels))
    return st.selectbox(t(label_key), list(labels), key=key, format_func=labels.get)


def show_error(exc: Exception) -> None:
    """UserErrors are shown as they are; anything else as a plain apology, never a traceback."""
    if isinstance(exc, UserError):
        st.error(str(exc), icon=":material/error:")
        return
    log.exception("internal error")
    with open(config.home() / "errors.log", "a") as fh:
        import traceback

        traceback.print_exception(exc, file=fh)
    st.error(t("internal_error", error=type(exc).__name__), icon=":material/error:")


def attempt(fn, *args, **kwargs):
    """Call core; on failure show the error and return None (nothing half-done reaches the page)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # shown to the user, one shape for all
        show_error(exc)
        return None
