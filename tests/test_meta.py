"""House rules that hold for the whole code base."""

import ast
import re
import subprocess
import sys

import glossary
from core.foundation import config
from tests.conftest import REPO

CORE = sorted((REPO / "core").rglob("*.py"))
PAGES = sorted(p for p in (REPO / "pages").glob("*.py") if not p.name.startswith("_"))
UI_SOURCES = [REPO / "streamlit_app.py", *sorted((REPO / "pages").glob("*.py"))]


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_core_never_imports_streamlit():
    offenders = [p.name for p in CORE if any(m.split(".")[0] == "streamlit" for m in _imports(p))]
    assert offenders == []
    # Also not indirectly: importing every core module must not load streamlit.
    modules = ", ".join(".".join(p.relative_to(REPO).with_suffix("").parts) for p in CORE
                        if p.stem not in ("__init__", "__main__"))
    code = f"import sys, {modules}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_pages_stay_thin():
    for page in UI_SOURCES:
        text = page.read_text()
        assert not re.search(r"\b(SELECT|INSERT|UPDATE|DELETE FROM)\b", text), f"SQL in {page.name}"
        assert "duckdb" not in set(_imports(page)), f"{page.name} talks to DuckDB directly"
        assert ".fit(" not in text, f"training in {page.name}"


def test_pages_use_the_fragment_helper_that_keeps_their_context():
    for page in UI_SOURCES:
        if page.name != "_ui.py":
            assert "st.fragment" not in page.read_text(), f"{page.name}: use pages._ui.fragment"


def test_every_page_file_is_routed():
    from pages._ui import PAGES as ROUTED

    routed = {path for path, *_ in ROUTED}
    for page in PAGES:
        assert f"pages/{page.name}" in routed, f"{page.name} is not listed in st.navigation"


def test_every_setting_is_documented():
    docs = (REPO / "docs" / "architecture.md").read_text()
    for name in config.SETTINGS:
        assert name in docs, f"{name} is missing from docs/architecture.md"


def test_every_term_has_both_languages_and_all_fields():
    for term_id, data in glossary.terms().items():
        assert data["id"] == term_id
        for lang in glossary.LANGUAGES:
            for field in ("term", "short", "reading"):
                assert data.get(lang, {}).get(field), f"{term_id}: {lang}.{field} missing"
            assert len(data[lang]["short"].split()) <= 25, f"{term_id}: {lang}.short over 25 words"


def test_every_ui_label_used_exists_in_both_languages():
    labels = glossary._ui_strings()
    for key, entry in labels.items():
        assert set(entry) == set(glossary.LANGUAGES), key
        assert set(re.findall(r"{(\w+)}", entry["en"])) == set(re.findall(r"{(\w+)}", entry["pt"])), key
    for source in UI_SOURCES:
        text = source.read_text()
        for key in re.findall(r'\b(?:t|glossary\.ui)\(\s*"([a-z_]+)"\s*[,)]', text):
            assert key in labels, f"{source.name} uses label '{key}' that glossary/ui.yaml lacks"
        for term in re.findall(r'help_(?:for|text)\(\s*"([a-z_]+)"', text):
            assert term in glossary.terms(), f"{source.name} uses term '{term}' with no glossary entry"


def test_labels_built_from_names_exist():
    from core.training.views import TERMINAL
    from core.training.spec import GOALS, QUALITIES

    labels = glossary._ui_strings()
    needed = {f"goal_{g}" for goals in GOALS.values() for g in goals}
    needed |= {f"quality_{q}" for q in QUALITIES} | {f"status_{s}" for s in ("queued", "running", *TERMINAL)}
    needed |= {f"home_next_{a}" for a in ("stakeholder", "analyst", "expert")}
    needed |= {f"chart_{c}" for c in ("histogram", "top_values")}
    assert needed <= set(labels), needed - set(labels)


def test_every_metric_offered_has_a_glossary_term():
    from core.training.spec import METRICS

    offered = {m for metrics in METRICS.values() for m in metrics}
    assert offered <= set(glossary.terms()), offered - set(glossary.terms())


# Helpers in pages/_ui.py that show a glossary term, and which argument names the term.
TERM_ARGUMENT = {"help_for": 0, "term_name": 0, "term_link": 0, "chart": 1}


def _term_calls(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TERM_ARGUMENT:
            position = TERM_ARGUMENT[node.func.id]
            if len(node.args) > position:
                yield node.func.id, node.args[position], node.lineno


def test_every_term_a_page_shows_has_an_entry_in_both_languages():
    shown = set()
    for source in UI_SOURCES:
        for helper, arg, line in _term_calls(source):
            if isinstance(arg, ast.Constant):
                assert arg.value in glossary.terms(), f"{source.name}:{line} {helper}('{arg.value}') has no entry"
                shown.add(arg.value)
    for term_id in shown:
        for lang in glossary.LANGUAGES:
            assert glossary.terms()[term_id][lang]["short"], (term_id, lang)
    assert len(shown) > 40  # the scan really finds the pages' terms


def test_every_chart_is_drawn_through_the_helper_that_links_its_term():
    for source in UI_SOURCES:
        if source.name == "_ui.py":
            continue
        text = source.read_text()
        assert ".altair_chart(" not in text and ".vega_lite_chart(" not in text, \
            f"{source.name} draws a chart without its glossary link; use pages._ui.chart"
        for helper, arg, line in _term_calls(source):
            if helper == "chart" and not isinstance(arg, ast.Constant):
                assert isinstance(arg, ast.Name), f"{source.name}:{line} chart term must be a name or literal"


def test_every_chart_has_a_translated_title_beside_its_term():
    # A chart's title label (chart_*) and its glossary term travel together in one chart(...) call.
    for source in UI_SOURCES:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "chart":
                titles = re.findall(r"""["'](chart_[a-z_0-9]+)["']""", ast.unparse(node.args[0]))
                assert titles or source.name == "data.py", f"{source.name}:{node.lineno} chart without a title"


def test_every_metric_key_in_core_has_a_term():
    """Any AutoGluon metric name written in core/ (as a key, a default, a report field) has an entry."""
    from autogluon.core import metrics

    names = {n for kind in ("binary", "multiclass", "regression") for n in metrics.METRICS[kind]}
    known = set(glossary.terms()) | {str(a).lower() for d in glossary.terms().values() for a in d["aliases"]}
    used = set()
    for path in CORE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                used.add(node.value)
    assert {"accuracy", "roc_auc", "mean_absolute_error", "r2"} <= used  # the scan sees core's metrics
    missing = sorted(n for n in used if n.lower() not in known)
    assert not missing, f"metric keys in core/ without a glossary term (or alias): {missing}"


def test_every_user_error_raised_in_core_has_a_stable_code():
    """Automation reads error codes, so no raise of a UserError in core leaves its code to chance."""
    bare = []
    for path in CORE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and \
                    getattr(node.exc.func, "id", None) in ("UserError", "InvalidInput", "NotFound", "WorkspaceBusy"):
                if not any(k.arg == "code" for k in node.exc.keywords):
                    bare.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not bare, bare
