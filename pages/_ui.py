"""Shared page helpers: the view context, one way to show errors, glossary-backed labels.

Pages are thin: read widgets, call core, render. No SQL, no fit(), no Fairlearn here.
"""

import functools
import logging
import runpy
import threading
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

import glossary
from core.foundation import config
from core.foundation.errors import UserError
from core.governance import roles, vocabulary
from core.training import views
from core.training.views import RunRecord

log = logging.getLogger("commonground")
ROUTER = Path(__file__).resolve().parent.parent / "streamlit_app.py"
_routed = threading.local()  # set by the router for the script run it routes (one thread per session)


# (file, label, icon, url path); the first is the home page. Stakeholders read results: no Train or Score page.
PAGES = [
    ("pages/home.py", "page_home", ":material/home:", ""),
    ("pages/summary.py", "page_summary", ":material/article:", "summary"),
    ("pages/data.py", "page_data", ":material/table_chart:", "data"),
    ("pages/prepare.py", "page_prepare", ":material/tune:", "prepare"),
    ("pages/train.py", "page_train", ":material/model_training:", "train"),
    ("pages/runs.py", "page_runs", ":material/monitoring:", "runs"),
    ("pages/results.py", "page_results", ":material/insights:", "results"),
    ("pages/compare.py", "page_compare", ":material/compare:", "compare"),
    ("pages/fairness.py", "page_fairness", ":material/balance:", "fairness"),
    ("pages/score.py", "page_score", ":material/bolt:", "score"),
    ("pages/monitoring.py", "page_monitoring", ":material/monitor_heart:", "monitoring"),
    ("pages/glossary.py", "page_glossary", ":material/menu_book:", "glossary"),
    ("pages/admin.py", "page_admin", ":material/admin_panel_settings:", "admin"),
]
HIDDEN_FROM = {"pages/train.py": {"stakeholder"}, "pages/score.py": {"stakeholder"}, "pages/prepare.py": {"stakeholder"}}
# Pages whose every action needs a role (core refuses it anyway; the page is not offered).
NEEDS = {"pages/admin.py": "read_audit"}


def app_pages(lang: str, audience: str | None = None, role: str = "admin") -> list:
    """The app's pages for a view and role (all of them when audience is None), as st.navigation takes them."""
    return [st.Page(path, title=glossary.ui(label, lang), icon=icon, url_path=url or None, default=not url)
            for path, label, icon, url in PAGES if audience not in HIDDEN_FROM.get(path, ())
            and (path not in NEEDS or roles.allows(role, NEEDS[path]))]


def can(action: str) -> bool:
    """Whether this view's user may take `action` (to hide what core would refuse)."""
    return roles.allows(ctx()["role"], action)


def routed(context: dict | None) -> None:
    """The router marks the script run it routes; None when the run is over."""
    _routed.ctx = context


def ctx() -> dict:
    """user, audience and language for this view (set by the router on every run)."""
    context = getattr(_routed, "ctx", None)
    if context is None:
        # A page file run bare, without the router: Streamlit's legacy mode for a pages/ folder
        # (a deep link before any st.navigation call in this server, and every AppTest run).
        # Route this very run instead: the router draws the sidebar and, through st.navigation,
        # runs this page with its context (and leaves the legacy mode for good); then the bare
        # run stops. Widget events of this run (a button click) reach the routed page.
        runpy.run_path(str(ROUTER), run_name="__main__")
        st.stop()
    return context


def fragment(**options):
    """st.fragment for pages: a fragment rerun skips the router, so it carries the context of
    the full run that drew it (use this, never st.fragment, in pages)."""
    def wrap(fn):
        context = ctx()

        @st.fragment(**options)
        @functools.wraps(fn)
        def rerun(*args, **kwargs):
            previous = getattr(_routed, "ctx", None)
            _routed.ctx = previous or context
            try:
                return fn(*args, **kwargs)
            finally:
                _routed.ctx = previous
        return rerun
    return wrap


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


def run_label(run) -> str:
    """How every run picker names a run: its name, author, status, decision, and a suspect mark."""
    r = run if isinstance(run, dict) else run.to_json()
    text = t("run_label", name=r["name"], who=r["created_by"] or "?", status=t("status_" + r["status"]),
             decision=t("decision_" + (r.get("decision") or "draft")))
    return f"{t('suspect_mark')} · {text}" if r.get("suspect") else text


def suspect_banner(run: RunRecord) -> None:
    """The banner every page that shows a suspect run's results carries, with the reasons."""
    if run.suspect:
        from core.reporting import narrative

        reasons = narrative.suspect_reasons(run, ctx()["language"])
        st.error(t("suspect_banner") + "\n\n" + "\n".join(f"- {plain(r)}" for r in reasons),
                 icon=":material/warning:")


def pick_run(label_key: str, key: str, *, empty_key: str, prefer: str | None = None) -> RunRecord:
    """Choose one run with results (newest first) and load its record, once for this rerun;
    with none, a hint and the page stops."""
    finished = attempt(views.with_results) or []
    if not finished:
        st.info(t(empty_key))
        st.stop()
    labels = {r["run_id"]: run_label(r) for r in finished}
    if st.session_state.get(key) not in labels:
        st.session_state[key] = prefer if prefer in labels else next(iter(labels))
    run_id = st.selectbox(t(label_key), list(labels), key=key, format_func=labels.get)
    run = attempt(views.load, run_id)
    if run is None:
        st.stop()
    return run


def show_error(exc: Exception) -> None:
    """UserErrors are shown as they are; anything else as a plain apology, never a traceback."""
    if isinstance(exc, UserError):
        lang = (getattr(_routed, "ctx", None) or {}).get("language", "en")
        st.error(plain(exc.text(lang)), icon=":material/error:")  # messages quote file and column names: text
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
