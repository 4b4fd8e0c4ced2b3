"""The real app through streamlit.testing.v1.AppTest: every page, every view, no exception."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.data import datasets
from core.governance import users
from tests.conftest import REPO

APP = str(REPO / "streamlit_app.py")


PAGES = ["pages/home.py", "pages/data.py", "pages/runs.py", "pages/results.py", "pages/compare.py",
         "pages/glossary.py"]


def run_app(page=None, user="ana", audience=None, language=None):
    if audience:
        users.set_preference(user, key="audience", value=audience)
    if language:
        users.set_preference(user, key="language", value=language)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["user"] = user
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def errors(at) -> list[str]:
    """The error boxes as a person reads them (pages escape messages so names stay text)."""
    return [re.sub(r"\\(.)", r"\1", e.value).replace("\u200b", "") for e in at.error]


def texts(at):
    return " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.warning, *at.success,
                                            *at.info, *at.error, *at.title, *at.subheader])


def test_pages_on_a_fresh_workspace_say_what_to_do_next():
    """Before any run: every page runs, and those that need a run say how to get one."""
    for page in PAGES:
        at = run_app(page, audience="analyst")
        assert at.title[0].value and not at.error, page
    assert "Compare" in run_app("pages/compare.py").title[0].value


@pytest.mark.parametrize("audience", ["analyst", "expert"])
def test_train_page_runs_clean_for_those_who_train(audience):
    at = run_app("pages/train.py", audience=audience)
    assert at.button  # the launch button


def test_first_start_seeds_the_demo_data_and_home_says_so():
    at = run_app()
    assert "**4** data sets" in texts(at)
    assert len(datasets.list_datasets()) == 4


def test_view_switch_persists_in_duckdb():
    at = run_app()
    at.radio(key="pref_audience_en").set_value("expert").run()
    assert not at.exception
    assert users.get_preferences("ana")["audience"] == "expert"
    assert users.get_preferences("bob")["audience"] == "analyst"  # per user


def test_language_switch_changes_labels_and_persists():
    at = run_app("pages/data.py")
    at.selectbox(key="pref_language").set_value("pt").run()
    assert not at.exception
    assert at.title[0].value == "Dados"
    assert users.get_preferences("ana")["language"] == "pt"


def test_stakeholder_sees_no_upload_or_delete_but_reads_warnings():
    at = run_app("pages/data.py", audience="stakeholder")
    assert not at.get("file_uploader") and not at.button
    at.selectbox(key="dataset_pick").set_value(_id("Titanic passengers")).run()
    assert "rows are exact copies" in texts(at)


def test_expert_sees_the_details_and_the_cli_command():
    at = run_app("pages/data.py", audience="expert")
    assert any("python -m core datasets show" in c.value for c in at.code)


def test_choosing_a_target_shows_leakage():
    at = run_app("pages/data.py")
    at.selectbox(key="dataset_pick").set_value(_id("Bike sharing")).run()
    at.selectbox(key=f"target_pick_{_id('Bike sharing')}").set_value("bikers").run()
    assert not at.exception
    assert "'casual' gives away 'bikers'" in texts(at)


def test_rename_and_confirmed_delete_from_the_page():
    at = run_app("pages/data.py")
    penguins = _id("Palmer penguins")
    at.selectbox(key="dataset_pick").set_value(penguins).run()
    at.text_input(key=f"rename_{penguins}").set_value("Penguins (2007-2009)")
    _button(at, "Rename").click().run()
    assert not at.exception
    assert datasets.show(penguins)["name"] == "Penguins (2007-2009)"
    delete = _button(at, "Delete data set")
    assert delete.disabled  # nothing is deleted without the confirmation tick
    at.checkbox(key=f"confirm_{penguins}").check().run()
    _button(at, "Delete data set").click().run()
    assert not at.exception
    assert penguins not in {d["dataset_id"] for d in datasets.list_datasets()}


def test_rename_to_a_taken_name_shows_the_error_and_changes_nothing():
    at = run_app("pages/data.py")
    penguins = _id("Palmer penguins")
    at.selectbox(key="dataset_pick").set_value(penguins).run()
    at.text_input(key=f"rename_{penguins}").set_value("german CREDIT")
    _button(at, "Rename").click().run()
    assert not at.exception
    assert any("already called 'german CREDIT'" in e for e in errors(at))
    assert datasets.show(penguins)["name"] == "Palmer penguins"


def test_train_on_this_data_set_opens_the_form_with_it():
    at = run_app("pages/data.py")
    bikes = _id("Bike sharing")
    at.selectbox(key="dataset_pick").set_value(bikes).run()
    at.selectbox(key=f"target_pick_{bikes}").set_value("bikers").run()
    _button(at, "Train a model on this data set").click().run()
    assert not at.exception and at.title[0].value == "Train"
    assert at.selectbox(key="train_dataset_id").value == bikes
    assert set(at.multiselect(key="train_exclude").value) == {"casual", "registered"}


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _id(name):
    return next(d["dataset_id"] for d in datasets.list_datasets() if d["name"] == name)


def test_a_first_visit_asks_what_brings_the_person_here_instead_of_assuming_analyst():
    at = run_app(user="newcomer")
    assert "What brings you here?" in texts(at)
    next(b for b in at.button if b.label == "I read results and decide").click().run()
    assert not at.exception
    assert users.get_preferences("newcomer")["audience"] == "stakeholder"
    assert "What brings you here?" not in texts(at)
    at = run_app(user="regular", audience="expert")  # someone who already chose is not asked again
    assert "What brings you here?" not in texts(at)
