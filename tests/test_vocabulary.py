"""The shared vocabulary: lookup by any name, organisation edits (who, when), import and export."""

import pytest

import glossary
from core.governance import vocabulary
from core.foundation.errors import InvalidInput, NotFound
from tests.test_app import run_app
from tests.test_cli import cli


def test_terms_are_found_by_id_alias_or_name_in_both_languages():
    assert vocabulary.show("TPR")["id"] == "recall"
    assert vocabulary.show("sensitivity", "pt")["term"].startswith("Revocação")
    assert vocabulary.show("Holdout")["id"] == "holdout"


def test_an_unknown_term_names_the_closest_ones():
    with pytest.raises(NotFound, match="Closest: .*recall"):
        vocabulary.show("recal")
    proc = cli("glossary", "show", "recal", "--json")
    assert proc.returncode == 2 and "Closest" in proc.stderr and proc.stdout == ""


def test_an_edit_wins_until_it_is_reverted():
    shipped = glossary.help_text("holdout", "en")
    vocabulary.edit("holdout", lang="en", field="short", text="Rows we keep back to test the model honestly.", user="ana")
    assert vocabulary.help_text("holdout", "en") == "Rows we keep back to test the model honestly."
    assert vocabulary.show("holdout")["edited"] == ["short"]
    assert vocabulary.history()[0]["edited_by"] == "ana"
    assert vocabulary.help_text("holdout", "pt") == glossary.help_text("holdout", "pt")  # per language
    vocabulary.revert("holdout", lang="en")
    assert vocabulary.help_text("holdout", "en") == shipped


def test_bad_edits_are_refused():
    with pytest.raises(InvalidInput, match="Unknown field 'color'"):
        vocabulary.edit("holdout", lang="en", field="color", text="blue")
    with pytest.raises(InvalidInput, match="at most 25 words"):
        vocabulary.edit("holdout", lang="en", field="short", text="word " * 30)


def test_export_and_import_round_trip_and_bad_files_are_rejected_whole(tmp_path):
    vocabulary.edit("recall", lang="pt", field="short", text="Dos casos positivos, quantos o modelo encontra.")
    text = vocabulary.export_yaml()
    vocabulary.revert("recall", lang="pt")
    assert vocabulary.import_yaml(text) == {"imported": 1}
    assert vocabulary.help_text("recall", "pt") == "Dos casos positivos, quantos o modelo encontra."
    before = vocabulary.export_yaml()
    with pytest.raises(InvalidInput, match="does not parse at line 2"):
        vocabulary.import_yaml("holdout:\n  en: {short: [unclosed\n")
    bad = "holdout:\n  en:\n    short: Fine text.\nrecall:\n  en:\n    colour: red\n"
    with pytest.raises(InvalidInput, match=r"Unknown field 'colour'.*line 4.*Nothing was imported"):
        vocabulary.import_yaml(bad)
    assert vocabulary.export_yaml() == before  # nothing half-imported


def test_an_edit_shows_up_in_help_text_on_another_page():
    vocabulary.edit("target", lang="en", field="short", text="The thing we want to know in advance.", user="ana")
    at = run_app("pages/train.py")
    help_text = at.selectbox(key="train_target").help
    assert help_text.startswith("The thing we want to know in advance\\.")  # Markdown-escaped user text
    assert "(glossary?term=target&user=ana)" in help_text  # and a link to the entry


def test_user_text_is_shown_as_text_not_html():
    vocabulary.edit("holdout", lang="en", field="short", text="<script>alert(1)</script> kept back", user="mallory")
    at = run_app("pages/glossary.py", audience="expert")
    at.text_input(key="glossary_query").set_value("holdout").run()
    assert not at.exception
    assert any("<script>alert(1)</script> kept back" == el.value for el in at.text)


def test_an_edited_template_must_use_numbers_filled_for_its_term():
    with pytest.raises(InvalidInput, match=r"uses \{mae\}, which is not filled for this term"):
        vocabulary.edit("recall", lang="en", field="business", text="Off by {mae}.", user="ana")
    with pytest.raises(InvalidInput, match="unmatched"):
        vocabulary.edit("recall", lang="en", field="business", text="Finds {recall_per_100 of 100.", user="ana")
    edited = vocabulary.edit("recall", lang="en", field="business", text="Finds {recall_per_100} in 100.", user="ana")
    assert edited["business"] == "Finds {recall_per_100} in 100." and "business" in edited["edited"]
    assert vocabulary.edit("recall", lang="en", field="caveats", text="Read it with precision.")["caveats"] == "Read it with precision."
