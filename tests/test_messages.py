"""Messages from core in every language: errors, estimates, run status and model failure reasons
come from glossary/messages.yaml, in English and Portuguese, with the same placeholders."""

import ast
import re
import string

import pytest
from streamlit.testing.v1 import AppTest

import glossary
from core.data import datasets
from core.foundation.errors import InvalidInput, UserError
from core.training import resources, views
from tests.conftest import REPO

CLASSES = {"UserError", "InvalidInput", "NotFound", "NotAllowed", "WorkspaceBusy"}
# A re-raise that adds where in a file the problem is; it keeps the inner message as it is.
COMPOSED = {("core/governance/vocabulary.py", "InvalidInput")}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_english_and_portuguese_with_the_same_placeholders():
    for key, entry in glossary.messages().items():
        assert entry.get("en") and entry.get("pt") and entry["pt"] != "TODO", key
        assert _fields(entry["en"]) == _fields(entry["pt"]), key


def _raises():
    for path in sorted((REPO / "core").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and isinstance(node.exc.func, ast.Name) and node.exc.func.id in CLASSES:
                yield path.relative_to(REPO).as_posix(), node


def test_every_error_core_raises_names_its_message_and_the_message_exists():
    used = set(re.findall(r'msg="(\w+)"', "".join(p.read_text() for p in (REPO / "core").rglob("*.py"))))
    assert used and used <= set(glossary.messages()), used - set(glossary.messages())
    for where, node in _raises():
        keywords = {k.arg for k in node.exc.keywords}
        if (where, node.exc.func.id) in COMPOSED:
            continue
        assert "msg" in keywords, f"{where}:{node.lineno} raises without a message id"


def test_an_error_reads_in_english_by_default_and_in_portuguese_when_asked(tmp_path):
    with pytest.raises(InvalidInput) as caught:
        datasets.add(tmp_path / "missing.csv")
    exc = caught.value
    assert str(exc) == exc.text("en") and "No file at" in str(exc) and str(tmp_path) in str(exc)
    assert exc.text("pt").startswith("Não há arquivo em") and str(tmp_path) in exc.text("pt")
    assert exc.code == "file_missing"
    assert UserError("plain words").text("pt") == "plain words"  # a message without a template stays as given


def test_estimates_status_sentences_and_failure_reasons_speak_portuguese():
    huge = resources.estimate(10**9, 50, quality="best", time_limit=60, lang="pt")
    assert huge["level"] == "refuse" and "memória" in huge["messages"][0]
    assert any("amostra" in s for s in huge["suggestions"])
    said = views.sentence(status="running", models=[{"model": "a"}], current_model=None, step="scoring",
                          metrics={}, metric="accuracy", best=None, error=None, lang="pt")
    assert said == "1 modelo treinado até agora. Finalizando: avaliando cada modelo nas linhas de teste."
    assert views.plain_reason({"exc_type": "TimeLimitExceeded"}, "pt").startswith("interrompido")
    assert views.plain_reason({"exc_type": "ValueError", "detail": "bad"}, "en") == "failed with an error: bad"


def _page_showing_an_error():
    import streamlit as st  # noqa: F401  (AppTest runs this function as a script)

    from core.foundation.errors import InvalidInput
    from pages import _ui

    _ui._routed.ctx = {"user": "ana", "audience": "analyst", "language": "pt"}
    _ui.show_error(InvalidInput(code="empty", msg="empty", name="vendas.csv"))


def test_a_page_shows_a_core_error_in_the_readers_language():
    at = AppTest.from_function(_page_showing_an_error, default_timeout=30).run()
    assert not at.exception
    shown = at.error[0].value.replace("\\", "")
    assert "O arquivo 'vendas.csv' está vazio" in shown


def test_a_message_kept_in_the_database_reads_in_each_readers_language():
    kept = glossary.to_store("ray_no_answer", address="10.0.0.5:6379", reason="Connection refused")
    assert glossary.stored(kept) == "The Ray cluster at 10.0.0.5:6379 does not answer (Connection refused)."
    assert glossary.stored(kept, "pt") == "O cluster Ray em 10.0.0.5:6379 não responde (Connection refused)."
    # text kept before messages had ids, and nothing at all, come back as they are
    assert glossary.stored("Training stopped.", "pt") == "Training stopped." and glossary.stored(None) is None
    with pytest.raises(KeyError):  # a missing value fails where the message is kept, not where it is read
        glossary.to_store("ray_no_answer", address="10.0.0.5:6379")
