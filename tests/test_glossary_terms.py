"""The vocabulary's own shape: every term complete in both languages, templates that can be filled."""

import re
import string

import pytest

import glossary

PROBLEM_TYPES = ("binary", "multiclass", "regression")
TEXT_FIELDS = ("term", "short", "business", "reading", "caveats")


def _filled_for(spec) -> set[str]:
    return set(PROBLEM_TYPES) if spec == "all" else set([spec] if isinstance(spec, str) else spec)


def placeholders_in(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("term_id", sorted(glossary.terms()))
def test_term_is_complete_in_both_languages(term_id):
    data = glossary.terms()[term_id]
    assert data["id"] == term_id
    assert set(data) == {"id", "aliases", "audience", "problem_types", "related", "en", "pt"}, set(data)
    assert data["audience"] in ("stakeholder", "analyst", "expert")
    assert data["problem_types"] and set(data["problem_types"]) <= set(PROBLEM_TYPES)
    assert data["related"], f"{term_id}: name at least one related term"
    unknown = set(data["related"]) - set(glossary.terms())
    assert not unknown, f"{term_id}: related terms without an entry: {unknown}"
    for lang in glossary.LANGUAGES:
        assert set(data[lang]) == set(TEXT_FIELDS), f"{term_id}.{lang}: fields {set(data[lang])}"
        for field in TEXT_FIELDS:
            assert isinstance(data[lang][field], str) and data[lang][field].strip(), f"{term_id}: {lang}.{field}"
        assert len(data[lang]["short"].split()) <= 25, f"{term_id}: {lang}.short over 25 words"
    assert placeholders_in(data["en"]["business"]) == placeholders_in(data["pt"]["business"]), term_id


@pytest.mark.parametrize("term_id", sorted(glossary.terms()))
def test_template_uses_only_placeholders_filled_for_its_problem_types(term_id):
    data = glossary.terms()[term_id]
    known = glossary.placeholders()
    for name in placeholders_in(data["en"]["business"]):
        assert name in known, f"{term_id}: unknown placeholder {{{name}}}; see glossary/placeholders.yaml"
        missing = set(data["problem_types"]) - _filled_for(known[name]["for"])
        assert not missing, f"{term_id}: {{{name}}} is not filled for {missing}; narrow problem_types"


def test_templates_have_balanced_braces():
    for term_id, data in glossary.terms().items():
        for lang in glossary.LANGUAGES:
            try:
                placeholders_in(data[lang]["business"])
            except ValueError as exc:
                pytest.fail(f"{term_id}: {lang}.business has a stray brace: {exc}")


def test_names_are_not_quoted_twice():
    # core.narrative puts names (labels, columns) in quotation marks itself.
    for term_id, data in glossary.terms().items():
        for lang in glossary.LANGUAGES:
            assert not re.search(r"['‘“«]{[a-z_]+}['’”»]", data[lang]["business"]), f"{term_id}.{lang}"


def test_summary_sentences_exist_in_both_languages_with_the_same_placeholders():
    for key, entry in glossary._strings("story").items():
        assert set(entry) == set(glossary.LANGUAGES), key
        assert placeholders_in(entry["en"]) == placeholders_in(entry["pt"]), key
