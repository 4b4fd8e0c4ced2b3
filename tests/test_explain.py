"""Per-prediction explanations (SHAP) and what-if edits."""

import pytest

from core.data import datasets
from core.analysis import explain
from core.training.spec import RunSpec
from tests.conftest import DATA, train

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture
def credit_run():
    dataset = datasets.add(DATA / "german_credit.csv")["dataset_id"]
    run = train(RunSpec(dataset, "risk", quality="fast", time_limit=15, model_families=["GBM"], sensitive=[]))
    assert run.status == "succeeded", run.error
    return run


def test_shap_contributions_add_up_to_the_prediction(credit_run):
    row = explain.holdout_row(credit_run, 0)["values"]
    result = explain.shap_values(credit_run, row)
    total = result["base_value"] + sum(c["contribution"] for c in result["contributions"])
    assert total == pytest.approx(result["prediction"], abs=0.02)  # SHAP's efficiency property
    assert result["explains"] == "1"
    assert abs(result["contributions"][0]["contribution"]) >= abs(result["contributions"][-1]["contribution"])


def test_what_if_edits_change_the_prediction_and_warn_about_odd_values(credit_run):
    run = credit_run
    row = explain.holdout_row(run, 0)["values"]
    base = explain.predict_one(run, row)
    assert base["warnings"] == [] and set(base["probabilities"]) == {"0", "1"}
    edited = explain.predict_one(run, {**row, "duration": 72, "credit_amount": 18000,
                                          "checking_account": "little"})
    assert edited["probabilities"]["1"] != pytest.approx(base["probabilities"]["1"])
    odd = explain.predict_one(run, {**row, "age": "old", "duration": 500, "purpose": "spaceship"})
    assert any("'age' needs a number" in w for w in odd["warnings"])
    assert any("outside the training range" in w for w in odd["warnings"])
    assert any("never appeared in training" in w for w in odd["warnings"])
    assert "prediction" in odd  # still predicts
