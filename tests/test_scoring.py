"""Model choice and batch scoring with the chosen model and threshold."""

import json
import re

import pandas as pd
import pytest

from core.analysis import artifacts, choice
from core.data import datasets
from core.training import views
from core.serving import scoring
from core.foundation.errors import InvalidInput
from core.training.spec import RunSpec
from tests.conftest import DATA, train

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture(scope="module")
def credit_run(tmp_path_factory):
    """One finished binary run, shared by the tests of this module (its own workspace)."""
    import os

    home = tmp_path_factory.mktemp("scoring-home")
    old = os.environ.get("COMMONGROUND_HOME")
    os.environ["COMMONGROUND_HOME"] = str(home)
    try:
        dataset = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        run = train(RunSpec(dataset, "risk", quality="fast", time_limit=15, sensitive=[],
                                           model_families=["GBM", "LR", "RF"]))
    finally:
        os.environ["COMMONGROUND_HOME"] = old or ""
    assert run.status == "succeeded", run.error
    return home, run


@pytest.fixture
def in_run_home(credit_run, monkeypatch):
    home, run = credit_run
    monkeypatch.setenv("COMMONGROUND_HOME", str(home))
    return run


def _input(tmp_path, rows=50, drop=(), extra=None):
    df = pd.read_csv(DATA / "german_credit.csv").drop(columns=["risk"]).head(rows).drop(columns=list(drop))
    if extra:
        df[extra] = "x"
    path = tmp_path / "new.csv"
    df.to_csv(path, index=False)
    return path


def test_default_choice_is_autogluons_best(in_run_home):
    current = views.load(in_run_home.run_id).choice
    assert current["chosen_by"] == "autogluon" and current["threshold"] == 0.5
    assert current["model"] in {m["model"] for m in in_run_home.models}


def test_score_writes_input_columns_prediction_and_probabilities(in_run_home, tmp_path):
    out = tmp_path / "scored.csv"
    result = scoring.score(in_run_home.run_id, input_path=_input(tmp_path), output_path=out)
    scored = pd.read_csv(out)
    assert result["rows"] == len(scored) == 50
    assert {"prediction", "probability_0", "probability_1"} <= set(scored.columns)
    assert list(scored.columns[:9]) == list(pd.read_csv(DATA / "german_credit.csv").columns.drop("risk"))
    assert ((scored["probability_1"] >= 0.5) == (scored["prediction"] == 1)).all()
    assert {c["column"] for c in result["drift"]["columns"]} >= {"age", "purpose"}
    assert {"method", "statistic", "threshold", "drifted", "psi", "message"} <= set(result["drift"]["columns"][0])
    assert result["drift"]["prediction"]["kind"] == "numeric"  # the yes-probability against the holdout's
    from core.serving import monitoring

    batch = next(b for b in monitoring.batches(in_run_home.run_id, lang="pt") if b["batch_id"] == result["batch_id"])
    assert batch["rows"] == 50 and batch["input_name"] == "new.csv" and len(batch["input_hash"]) == 64
    assert batch["drift"]["columns"][0]["message"] and batch["scored_by"]


def test_a_chosen_model_and_threshold_propagate_to_scoring(in_run_home, tmp_path):
    run_id = in_run_home.run_id
    other = next(m["model"] for m in in_run_home.models
                 if m["model"] != views.load(run_id).chosen_model and m["score_test"] is not None)
    chosen = choice.choose(run_id, model=other, threshold=0.8, reason="faster", user="ana").choice
    assert chosen == {**chosen, "model": other, "threshold": 0.8, "chosen_by": "ana", "reason": "faster"}
    assert views.load(run_id).chosen_model == other
    out = tmp_path / "scored.csv"
    result = scoring.score(run_id, input_path=_input(tmp_path), output_path=out)
    scored = pd.read_csv(out)
    assert result["model"] == other and result["threshold"] == 0.8
    assert ((scored["probability_1"] >= 0.8) == (scored["prediction"] == 1)).all()
    # Independently: the same model through AutoGluon gives the same probabilities.
    predictor = artifacts.load_predictor(views.load(run_id))
    expected = predictor.predict_proba(pd.read_csv(_input(tmp_path)),
                                       model=views.load(run_id).predicting_model(other))[1].to_numpy()
    assert scored["probability_1"].to_numpy() == pytest.approx(expected, rel=1e-5)


def test_missing_extra_and_wrong_type_columns_get_messages(in_run_home, tmp_path):
    run_id = in_run_home.run_id
    from core.serving import monitoring

    recorded = len(monitoring.batches(run_id))
    with pytest.raises(InvalidInput, match="lacks 2 column.*purpose, age"):
        scoring.score(run_id, input_path=_input(tmp_path, drop=["age", "purpose"]), output_path=tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists() and len(monitoring.batches(run_id)) == recorded  # nothing recorded
    result = scoring.score(run_id, input_path=_input(tmp_path, extra="notes"), output_path=tmp_path / "o.csv")
    assert result["ignored_columns"] == ["notes"]
    bad = pd.read_csv(_input(tmp_path))
    bad["age"] = bad["age"].astype(str)
    bad.loc[3, "age"] = "forty"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InvalidInput, match="'age' should hold numbers but has 'forty'"):
        scoring.score(run_id, input_path=tmp_path / "bad.csv", output_path=tmp_path / "o2.csv")


def test_bad_choices_are_refused(in_run_home):
    run_id = in_run_home.run_id
    with pytest.raises(InvalidInput, match="no usable model 'Nope'"):
        choice.choose(run_id, model="Nope")
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        choice.choose(run_id, threshold=1.5)


def test_cli_score_and_choose(in_run_home, tmp_path):
    from tests.test_cli import cli

    run_id = in_run_home.run_id
    proc = cli("runs", "choose", run_id, "--threshold", "0.3", "--reason", "catch more", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["threshold"] == 0.3
    proc = cli("score", run_id, "--input", _input(tmp_path), "--output", tmp_path / "s.csv", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["rows"] == 50 and result["threshold"] == 0.3 and "drift" in result


def test_the_score_and_monitoring_pages_read_out_the_latest_batch(in_run_home, tmp_path):
    from tests.test_app import run_app, texts

    run_id = in_run_home.run_id
    frame = pd.read_csv(_input(tmp_path, rows=200))
    frame["age"] = frame["age"] + 15  # an older batch than training saw
    frame.to_csv(tmp_path / "older.csv", index=False)
    scoring.score(run_id, input_path=tmp_path / "older.csv", user="ana")  # the default place, in the workspace
    at = run_app("pages/score.py", audience="analyst")
    at.selectbox(key="score_pick").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    words = texts(at).replace("\\", "")
    assert "Scored 200 rows of older.csv" in words and re.search(r"'age' is on average 1\d.\d higher", words)
    assert any(d.label == "Download the scored rows (CSV)" for d in at.get("download_button"))
    at = run_app("pages/monitoring.py", audience="stakeholder")
    at.selectbox(key="monitoring_pick").set_value(run_id).run()
    assert not at.exception and not at.error
    assert "batches" in texts(at) and len(at.dataframe) == 1
    at = run_app("pages/monitoring.py", user="paula", audience="stakeholder", language="pt")  # scored in English
    at.selectbox(key="monitoring_pick").set_value(run_id).run()
    assert re.search(r"'age' está em média 1\d[.,]\d acima", texts(at).replace("\\", "")), texts(at)


def test_true_outcomes_give_real_performance_and_group_gaps_per_batch(in_run_home, tmp_path):
    from core.serving import outcomes
    from tests.test_app import run_app, texts

    from core.analysis import fairness

    run_id = in_run_home.run_id
    fairness.analyse(run_id, sensitive=["sex"])  # the columns a fairness check looked at are followed too
    credit = pd.read_csv(DATA / "german_credit.csv").tail(300).reset_index(drop=True)
    credit.insert(0, "application", [f"a{i}" for i in range(len(credit))])
    credit.drop(columns=["risk"]).to_csv(tmp_path / "may.csv", index=False)
    scored = scoring.score(run_id, input_path=tmp_path / "may.csv", user="ana")
    truth = credit[["application", "risk"]].head(200)
    truth.to_csv(tmp_path / "truth.csv", index=False)
    result = outcomes.add(run_id, input_path=tmp_path / "truth.csv", id_column="application", user="ana")
    (mine,) = [b for b in result["batches"] if b["batch_id"] == scored["batch_id"]]
    out = pd.read_csv(scored["output"]).head(200)
    assert mine["rows_matched"] == 200
    assert mine["metrics"]["accuracy"] == pytest.approx((out["prediction"] == truth["risk"]).mean(), abs=1e-12)
    gap = next(g for g in mine["fairness"] if g["column"] == "sex")
    rates = out.assign(yes=out["prediction"] == 1).groupby("sex")["yes"].mean()
    assert gap["gap"] == pytest.approx(rates.max() - rates.min(), abs=1e-12)
    assert outcomes.history(run_id)[-1]["batch_id"] == scored["batch_id"]
    with pytest.raises(InvalidInput) as nothing:
        pd.DataFrame({"application": ["zz1"], "risk": [1]}).to_csv(tmp_path / "none.csv", index=False)
        outcomes.add(run_id, input_path=tmp_path / "none.csv", id_column="application")
    with pytest.raises(InvalidInput) as typo:
        outcomes.add(run_id, input_path=tmp_path / "truth.csv", id_column="app_id")
    assert (nothing.value.code, typo.value.code) == ("outcomes_no_match", "outcomes_missing_columns")
    at = run_app("pages/monitoring.py", audience="analyst")
    at.selectbox(key="monitoring_pick").set_value(run_id).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "True outcomes are known for" in texts(at)
