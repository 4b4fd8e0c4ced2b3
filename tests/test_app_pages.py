"""Every page in every view, with real finished runs of each kind present: no exception, no error box.

Results, Summary and Compare walk their full paths for a binary, a multiclass and a regression run
(and two comparable binary runs), so a page that only works on an empty workspace cannot pass.
"""

import os

import pytest

from core.data import datasets
from core.training.spec import RunSpec
from tests.conftest import train
from tests.test_app import PAGES, run_app

pytestmark = pytest.mark.usefixtures("no_leftover_workers")
WALKED = {"pages/results.py", "pages/summary.py", "pages/runs.py", "pages/glossary.py"}
TINY = {"quality": "fast", "time_limit": 10, "model_families": ["GBM"]}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A workspace with finished runs: two binary (comparable), one multiclass, one regression."""
    home = tmp_path_factory.mktemp("pages-home")
    old = os.environ.get("COMMONGROUND_HOME")
    os.environ["COMMONGROUND_HOME"] = str(home)
    try:
        datasets.ensure_demo_data()
        ids = {d["name"]: d["dataset_id"] for d in datasets.list_datasets()}
        runs = {
            "binary": train(RunSpec(ids["German credit"], "risk", **TINY)),
            "binary_lr": train(RunSpec(ids["German credit"], "risk", **{**TINY, "model_families": ["LR"]})),
            "multiclass": train(RunSpec(ids["Palmer penguins"], "species", **TINY)),
            "regression": train(RunSpec(ids["Bike sharing"], "bikers", exclude=["casual", "registered"], **TINY)),
        }
    finally:
        os.environ["COMMONGROUND_HOME"] = old or ""
    assert all(r.status == "succeeded" for r in runs.values()), {k: r.error for k, r in runs.items()}
    return home, {kind: r.run_id for kind, r in runs.items()}


@pytest.fixture
def in_pages_home(finished, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_HOME", str(finished[0]))
    return finished[1]


def _clean(at):
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", [*PAGES, "pages/summary.py", "pages/train.py"])
@pytest.mark.parametrize("audience", ["stakeholder", "analyst", "expert"])
def test_every_page_in_every_view_with_finished_runs_shows_no_error(in_pages_home, page, audience):
    if page == "pages/train.py" and audience == "stakeholder":
        pytest.skip("stakeholders have no Train page")
    if audience == "expert" and page in WALKED:
        pytest.skip("the expert view of this page opens each kind of run below")
    at = run_app(page, audience=audience)
    _clean(at)
    assert at.title[0].value


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("page, picker", [("pages/results.py", "result_pick"), ("pages/summary.py", "summary_pick"),
                                          ("pages/runs.py", "run_pick"), ("pages/glossary.py", "glossary_run")])
def test_results_summary_and_runs_walk_each_kind_of_run(in_pages_home, kind, page, picker):
    at = run_app(page, audience="expert")
    at.selectbox(key=picker).set_value(in_pages_home[kind]).run()
    _clean(at)
    if page == "pages/runs.py":
        assert at.success and at.dataframe  # "Finished" and the leaderboard
    elif page == "pages/glossary.py":
        assert len(at.info) > 5  # live examples filled from the run
    else:
        assert len(at.markdown) > 3 and at.get("vega_lite_chart")  # sentences and charts


def test_compare_ranks_two_comparable_runs(in_pages_home):
    at = run_app("pages/compare.py", audience="analyst")
    _clean(at)
    assert set(at.multiselect(key="compare_pick").value) == {in_pages_home["binary"], in_pages_home["binary_lr"]}
    assert at.dataframe  # the table of both runs on the shared holdout rows
