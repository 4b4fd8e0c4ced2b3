"""Fairness with Fairlearn: group metrics recomputed independently, intervals that cover, small
groups and bad input, the CLI shape, the summary, and the Fairness page."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from core.analysis import artifacts, evaluation, fairness
from core.data import datasets
from core.foundation.errors import InvalidInput
from core.reporting import narrative
from core.training import views
from core.training.spec import RunSpec
from tests.conftest import DATA, trained_in
from tests.test_cli import cli_json

pytestmark = pytest.mark.usefixtures("no_leftover_workers")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One workspace: a German credit run (binary) and a bike-sharing run (regression)."""
    home = tmp_path_factory.mktemp("fair-home")

    def specs():
        credit = datasets.add(DATA / "german_credit.csv")["dataset_id"]
        bikes = datasets.add(DATA / "bikeshare.csv")["dataset_id"]
        tiny = {"quality": "fast", "time_limit": 10, "model_families": ["GBM"], "refit_for_use": False}
        unequal = datasets.add(_unequal_table(home / "unequal.csv"))["dataset_id"]
        return {"credit": RunSpec(credit, "risk", **tiny),
                "bikes": RunSpec(bikes, "bikers", sensitive=["weathersit"], **tiny),
                # 'group' is an input here, so the model treats the groups very differently
                "unequal": RunSpec(unequal, "approved", sensitive=[], **tiny)}

    return home, trained_in(home, specs)


def _unequal_table(path, n=3000):
    rng = np.random.default_rng(11)
    group = rng.choice(["a", "b"], n)
    score = rng.normal(size=n)
    approved = (score + 1.2 * (group == "a") + rng.normal(0, 0.7, n) > 0.6).astype(int)
    pd.DataFrame({"group": group, "score": score, "approved": approved}).to_csv(path, index=False)
    return path


@pytest.fixture
def runs(home, monkeypatch):
    monkeypatch.setenv("COMMONGROUND_HOME", str(home[0]))
    return {k: views.load(v) for k, v in home[1].items()}


def _independent(run, groups: pd.Series) -> pd.DataFrame:
    """The same group metrics with pandas and scikit-learn, from the run's stored holdout predictions."""
    pred = evaluation.predictions(run)
    positive = str(run.details["positive_class"])
    y = pred["y_true"].astype(str).to_numpy() == positive
    p = pred[f"p_{positive}"].to_numpy() >= run.threshold
    rows = []
    for g in sorted(groups.unique()):
        m = (groups == g).to_numpy()
        rows.append({"group": g, "count": int(m.sum()), "selection_rate": p[m].mean(),
                     "accuracy": metrics.accuracy_score(y[m], p[m]),
                     "precision": metrics.precision_score(y[m], p[m], zero_division=np.nan),
                     "true_positive_rate": metrics.recall_score(y[m], p[m]),
                     "false_positive_rate": (p[m] & ~y[m]).sum() / (~y[m]).sum()})
    return pd.DataFrame(rows).set_index("group")


def test_group_metrics_match_an_independent_computation(runs):
    run = runs["credit"]
    result = fairness.compute(run, sensitive=["sex", "age"])
    holdout = artifacts.labelled_rows(run).loc[artifacts.holdout_rows(run)].reset_index(drop=True)
    for feature, groups in (("sex", holdout["sex"].astype(str)), ("age", fairness.bands(holdout["age"]).astype(str))):
        expected = _independent(run, groups)
        got = {r["group"][feature]: r for r in result["by_group"] if r["features"] == [feature]}
        assert set(got) == set(expected.index)
        for g, row in expected.iterrows():
            for m, value in row.items():
                assert got[g][m] == pytest.approx(value, abs=1e-9), (feature, g, m)
    # Fairlearn's own summaries, recomputed: the largest gap in selection rate between the sex groups.
    rates = [r["selection_rate"] for r in result["by_group"] if r["features"] == ["sex"]]
    assert result["demographic_parity_difference"] == pytest.approx(max(rates) - min(rates), abs=1e-9)
    assert result["demographic_parity_ratio"] == pytest.approx(min(rates) / max(rates), abs=1e-9)
    # Intersections of the two columns are there too, and every group carries its intervals.
    pairs = [r for r in result["by_group"] if r["features"] == ["sex", "age"]]
    assert sum(r["count"] for r in pairs) == result["rows"] == 200
    assert all(r["intervals"]["selection_rate"][0] <= r["selection_rate"] <= r["intervals"]["selection_rate"][1]
               for r in result["by_group"] if r["intervals"]["selection_rate"][0] is not None)


def test_a_labeled_file_is_scored_with_the_model_and_its_outcomes_must_match_the_classes(runs, tmp_path):
    run = runs["credit"]
    labeled = tmp_path / "new_applicants.csv"
    pd.read_csv(DATA / "german_credit.csv").head(300).to_csv(labeled, index=False)
    result = fairness.compute(run, sensitive=["sex"], data_path=labeled)
    assert result["source"] == "labeled_file" and result["rows"] == 300
    predictor, model = artifacts.model_for_use(run)
    frame = pd.read_csv(labeled)
    proba = predictor.predict_proba(frame[run.features_used], model=model)
    p = proba[next(c for c in proba.columns if str(c) == "1")].to_numpy() >= run.threshold
    for r in (r for r in result["by_group"] if r["features"] == ["sex"]):
        mask = (frame["sex"] == r["group"]["sex"]).to_numpy()
        assert r["selection_rate"] == pytest.approx(p[mask].mean(), abs=1e-9)
    bad = frame.assign(risk=frame["risk"].map({0: "0", 1: "1 (good)"}))  # a label the model never saw
    bad.to_csv(tmp_path / "typo.csv", index=False)
    with pytest.raises(InvalidInput) as caught:
        fairness.compute(run, sensitive=["sex"], data_path=tmp_path / "typo.csv")
    assert caught.value.code == "fairness_unknown_outcomes" and "'1 (good)'" in str(caught.value)


def test_bootstrap_intervals_cover_the_true_rate_about_95_times_in_100():
    rng = np.random.default_rng(3)
    hits, trials = 0, 300
    for _ in range(trials):
        y = rng.random(150) < 0.5
        p = rng.random(150) < 0.3  # the true selection rate is 0.3
        draws = fairness._draws("binary", y, p, rng, 400)
        low, high = fairness._interval(draws["selection_rate"])
        hits += low <= 0.3 <= high
    assert 0.90 <= hits / trials <= 0.99


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_collapsed_counts_give_fairlearns_numbers_on_every_row(kind):
    """The fast path (one weighted row per group, truth and prediction) must not change a number."""
    from fairlearn.metrics import MetricFrame, demographic_parity_difference, equalized_odds_ratio

    rng = np.random.default_rng(5)
    n = 5000
    groups = pd.DataFrame({"sex": rng.choice(["f", "m"], n),
                           "age": fairness.bands(pd.Series(rng.integers(18, 80, n)), [25, 45])})
    if kind == "binary":
        y, p = rng.random(n) < 0.4, rng.random(n) < 0.3
        metrics = fairness.BINARY
    else:
        y, p = rng.choice(["a", "b", "c"], n), rng.choice(["a", "b", "c"], n)
        metrics = fairness.MULTICLASS
    yc, pc, gc, w = fairness.collapse(kind, y, p, groups)
    assert len(yc) < 100 and w.sum() == n
    fast = fairness.group_frame(metrics, yc, pc, gc, w)
    plain = MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=groups)
    pd.testing.assert_frame_equal(fast.by_group.sort_index().astype(float), plain.by_group.sort_index().astype(float),
                                  rtol=0, atol=1e-12)
    if kind == "binary":
        for measure in (demographic_parity_difference, equalized_odds_ratio):
            assert measure(yc, pc, sensitive_features=gc, sample_weight=w) == pytest.approx(
                measure(y, p, sensitive_features=groups), abs=1e-12)
        draws = fairness._draws(kind, yc[gc["sex"].to_numpy() == "f"], pc[gc["sex"].to_numpy() == "f"],
                                np.random.default_rng(0), 50, w[gc["sex"].to_numpy() == "f"])
        raw = fairness._draws(kind, y[groups["sex"].to_numpy() == "f"], p[groups["sex"].to_numpy() == "f"],
                              np.random.default_rng(0), 50)
        np.testing.assert_array_equal(draws["selection_rate"], raw["selection_rate"])


def test_small_groups_are_reported_not_dropped_and_say_why(runs):
    run = runs["credit"]
    result = fairness.compute(run, sensitive=["job"])
    small = [r for r in result["by_group"] if r["count"] < fairness.MIN_GROUP]
    assert small and all(r["warning"] == "too_few_rows" for r in small)
    sentences = " ".join(narrative.fairness_sentences(result, "en"))
    assert "too few to conclude anything" in sentences


@pytest.mark.parametrize("column, code", [("purpose_typo", "fairness_column_not_found"),
                                          ("risk", "fairness_column_not_found")])
def test_bad_sensitive_columns_get_a_message(runs, column, code):
    with pytest.raises(InvalidInput) as caught:
        fairness.compute(runs["credit"], sensitive=[column])
    assert caught.value.code == code and column in str(caught.value)


def test_a_column_with_one_value_or_too_many_values_gets_a_suggestion(runs, tmp_path):
    run = runs["credit"]
    frame = pd.read_csv(DATA / "german_credit.csv").head(200)
    frame["country"] = "DE"
    frame["customer_code"] = [f"c{i}" for i in range(200)]
    frame.to_csv(tmp_path / "extra.csv", index=False)
    with pytest.raises(InvalidInput, match="one value") as one:
        fairness.compute(run, sensitive=["country"], data_path=tmp_path / "extra.csv")
    with pytest.raises(InvalidInput, match="Group its values first") as many:
        fairness.compute(run, sensitive=["customer_code"], data_path=tmp_path / "extra.csv")
    assert (one.value.code, many.value.code) == ("fairness_column_constant", "fairness_too_many_groups")


def test_regression_runs_compare_errors_not_selection_rates(runs):
    result = fairness.compute(runs["bikes"])  # the run's own sensitive column
    row = result["by_group"][0]
    assert {"mean_prediction", "mean_actual", "mean_absolute_error", "root_mean_squared_error"} <= set(row)
    assert "selection_rate" not in row and "demographic_parity_difference" not in result
    assert "off by about" in " ".join(narrative.fairness_sentences(result, "en"))


def test_cli_stores_the_analysis_and_the_summary_speaks_from_it(runs):
    run = runs["credit"]
    before = narrative.build(run, "en")
    fair_before = next(s for s in before["sections"] if s["id"] == "fairness")["sentences"]
    assert any("No check has been made yet" in s for s in fair_before)
    shown = cli_json("fairness", run.run_id, "--sensitive", "sex", "--reference", "sex=female")
    assert shown["sensitive"] == ["sex"] and shown["analysis_id"].startswith("fair_")
    row = next(r for r in shown["by_group"] if r["group"] == {"sex": "female"})
    assert row["reference"] and {"count", "selection_rate", "true_positive_rate", "intervals"} <= set(row)
    assert fairness.latest(run.run_id)["analysis_id"] == shown["analysis_id"]
    after = next(s for s in narrative.build(run, "en")["sections"] if s["id"] == "fairness")["sentences"]
    assert any("By “sex”" in s and "95% interval" in s for s in after)
    assert not any("does not use" in s for s in after)


def test_the_fairness_page_checks_a_run_and_reads_it_out(runs):
    from tests.test_app import run_app, texts

    at = run_app("pages/fairness.py", audience="stakeholder")
    at.selectbox(key="fairness_pick").set_value(runs["credit"].run_id).run()
    assert not at.exception
    at.multiselect[0].set_value(["sex"])
    next(b for b in at.button if b.label == "Check fairness").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    words = texts(at).replace("\\", "")
    assert "What we found" in words and "By “sex”" in words
    assert len(at.dataframe) >= 1


def test_approving_a_run_with_people_columns_needs_a_fairness_check_or_a_reason(runs):
    from core.governance import decisions

    run = runs["bikes"]  # 'weathersit' is marked sensitive, and nothing has analysed this run
    decisions.decide(run.run_id, "reviewed", note="Read the summary.", user="bruno")
    assert fairness.latest(run.run_id) is None
    assert decisions.thread(run.run_id)["override_needed"] == "fairness_not_checked"
    with pytest.raises(InvalidInput) as caught:
        decisions.decide(run.run_id, "approved", note="ok", user="carla", confirmed=True)
    assert caught.value.code == "fairness_not_checked" and "weathersit" in str(caught.value)
    fairness.analyse(run.run_id, user="carla")
    assert decisions.thread(run.run_id)["override_needed"] is None
    done = decisions.decide(run.run_id, "approved", note="Errors are alike across weather.", user="carla",
                            confirmed=True)
    assert done["decision"] == "approved"


def test_columns_that_stand_in_for_a_sensitive_one_are_named_with_their_strength():
    rng = np.random.default_rng(5)
    sex = rng.choice(["f", "m"], 2000)
    job = np.where(rng.random(2000) < 0.85, np.where(sex == "f", "nurse", "driver"), rng.choice(["nurse", "driver"], 2000))
    frame = pd.DataFrame({"sex": sex, "job": job, "income": rng.normal(size=2000), "city": rng.choice(list("abc"), 2000)})
    found = fairness.proxies(frame, ["sex"], ["job", "income", "city"])
    assert [(p["column"], p["strength"]) for p in found] == [("job", "strong")]
    assert found[0]["cramers_v"] > 0.5


def test_a_fairer_rule_is_tuned_off_the_holdout_and_narrows_the_gap_on_it(runs):
    from core.analysis import mitigation

    run = runs["unequal"]
    result = mitigation.mitigate(run.run_id, sensitive="group", constraint="demographic_parity", user="ana")
    assert result["fitted_on"] in ("validation", "out_of_fold") and result["fitted_rows"] > 0
    before, after = result["before"], result["after"]
    assert before["demographic_parity_difference"] > 0.2  # the model says yes far more often for 'a'
    assert after["demographic_parity_difference"] < before["demographic_parity_difference"] / 2
    assert {g["group"] for g in result["groups"]} == {"a", "b"}
    assert fairness.latest(run.run_id, "mitigation")["analysis_id"] == result["analysis_id"]
    assert fairness.latest(run.run_id) is None  # a mitigation is not a group analysis


def test_mitigation_bad_input_is_refused_with_a_message(runs):
    from core.analysis import mitigation

    with pytest.raises(InvalidInput) as regression:
        mitigation.mitigate(runs["bikes"].run_id, sensitive="weathersit", constraint="demographic_parity")
    with pytest.raises(InvalidInput) as unknown:
        mitigation.mitigate(runs["unequal"].run_id, sensitive="group", constraint="parity")
    assert (regression.value.code, unknown.value.code) == ("mitigation_not_binary", "unknown_constraint")
    shown = cli_json("fairness", runs["unequal"].run_id, "--sensitive", "group", "--mitigate", "equalized_odds")
    assert shown["constraint"] == "equalized_odds" and "after" in shown


def test_an_analyst_tries_a_fairer_rule_on_the_page(runs):
    from tests.test_app import run_app, texts

    at = run_app("pages/fairness.py", audience="analyst")
    at.selectbox(key="fairness_pick").set_value(runs["unequal"].run_id).run()
    at.multiselect[0].set_value(["group"])
    next(b for b in at.button if b.label == "Check fairness").click().run()
    next(b for b in at.button if b.label == "Fit the rule and compare").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    words = texts(at).replace("\\", "")
    assert "On the holdout rows, for group with" in words and "the gap goes from" in words


def test_an_adopted_rule_decides_scoring_as_fairlearn_would_until_withdrawn(runs, tmp_path):
    from core.analysis import mitigation
    from core.foundation.errors import NotFound
    from core.serving import scoring

    run = runs["unequal"]
    tried = mitigation.mitigate(run.run_id, sensitive="group", constraint="demographic_parity", user="ana")
    holdout = artifacts.labelled_rows(run).loc[artifacts.holdout_rows(run)].reset_index(drop=True)
    score = evaluation.predictions(run)[f"p_{run.details['positive_class']}"].to_numpy()
    decided = mitigation.decide(tried["rule"], score, holdout, "group")
    for g in tried["groups"]:  # the stored rule gives Fairlearn's own decisions on the holdout
        assert decided[(holdout["group"] == g["group"]).to_numpy()].mean() == pytest.approx(
            g["after"]["selection_rate"], abs=1e-12)

    with pytest.raises(InvalidInput) as no_reason:
        mitigation.adopt(run.run_id, reason="  ", user="ana")
    assert no_reason.value.code == "rule_needs_reason" and mitigation.adopted(run.run_id) is None
    with pytest.raises(NotFound):
        mitigation.adopt(run.run_id, analysis_id="fair_nope", reason="x")
    shown = cli_json("fairness", run.run_id, "--adopt", "--reason", "committee, 30 Nov", "--user", "bea")
    assert shown["adopted"]["analysis_id"] == tried["analysis_id"] and shown["adopted"]["adopted_by"] == "bea"

    holdout.drop(columns=["approved"]).to_csv(tmp_path / "new.csv", index=False)
    out = scoring.score(run.run_id, input_path=tmp_path / "new.csv", output_path=tmp_path / "scored.csv")
    assert out["decision_rule"]["constraint"] == "demographic_parity"
    scored = pd.read_csv(tmp_path / "scored.csv")
    positive = str(run.details["positive_class"])
    np.testing.assert_array_equal(scored["prediction"].astype(str).to_numpy() == positive, decided)
    holdout.drop(columns=["approved", "group"]).to_csv(tmp_path / "blind.csv", index=False)
    with pytest.raises(InvalidInput) as blind:
        scoring.score(run.run_id, input_path=tmp_path / "blind.csv", output_path=tmp_path / "x.csv")
    assert blind.value.code in ("rule_needs_column", "missing_columns")
    holdout.assign(group="c").drop(columns=["approved"]).to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(InvalidInput) as odd:
        scoring.score(run.run_id, input_path=tmp_path / "odd.csv", output_path=tmp_path / "x.csv")
    assert odd.value.code == "rule_unseen_group" and "'c'" in str(odd.value)

    mitigation.withdraw(run.run_id, reason="back to one threshold", user="ana")
    assert mitigation.adopted(run.run_id) is None
    again = scoring.score(run.run_id, input_path=tmp_path / "new.csv", output_path=tmp_path / "plain.csv")
    plain = pd.read_csv(tmp_path / "plain.csv")["prediction"].astype(str).to_numpy() == positive
    assert again["decision_rule"] is None
    np.testing.assert_array_equal(plain, score >= run.threshold)
    with pytest.raises(InvalidInput):
        mitigation.withdraw(run.run_id, reason="twice")


def test_a_rule_on_a_column_the_model_does_not_use_still_needs_it_to_score(runs, tmp_path):
    from core.analysis import mitigation
    from core.serving import scoring

    run = runs["credit"]
    assert "sex" not in run.features_used
    mitigation.mitigate(run.run_id, sensitive="sex", constraint="equalized_odds")
    mitigation.adopt(run.run_id, reason="pilot")
    rows = artifacts.labelled_rows(run).drop(columns=["risk"])
    rows.to_csv(tmp_path / "with_sex.csv", index=False)
    assert scoring.score(run.run_id, input_path=tmp_path / "with_sex.csv",
                         output_path=tmp_path / "a.csv")["decision_rule"]["sensitive"] == "sex"
    rows.drop(columns=["sex"]).to_csv(tmp_path / "no_sex.csv", index=False)
    with pytest.raises(InvalidInput) as caught:
        scoring.score(run.run_id, input_path=tmp_path / "no_sex.csv", output_path=tmp_path / "b.csv")
    assert caught.value.code == "rule_needs_column" and "'sex'" in caught.value.text("en")
    assert "'sex'" in caught.value.text("pt")
    mitigation.withdraw(run.run_id, reason="pilot over")


def test_an_analyst_edits_the_age_bands_on_the_page(runs):
    from tests.test_app import run_app

    run = runs["credit"]
    at = run_app("pages/fairness.py", audience="analyst")
    at.selectbox(key="fairness_pick").set_value(run.run_id).run()
    at.multiselect[0].set_value(["sex", "age"])
    next(b for b in at.button if b.label == "Check fairness").click().run()
    quartiles = fairness.latest(run.run_id)["edges"]["age"]
    box = next(x for x in at.text_input if x.label == "Bands of age (edges)")
    assert box.value == ", ".join(f"{e:g}" for e in quartiles)  # the edges in use, ready to edit
    box.set_value("thirty")  # typed, then the form is sent
    next(b for b in at.button if b.label == "Check fairness").click().run()
    assert any("'age=thirty'" in e.value for e in at.error), [e.value for e in at.error]
    assert fairness.latest(run.run_id)["edges"]["age"] == quartiles
    next(x for x in at.text_input if x.label == "Bands of age (edges)").set_value("30, 50")
    next(b for b in at.button if b.label == "Check fairness").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    stored = fairness.latest(run.run_id)
    assert stored["edges"]["age"] == [30.0, 50.0]
    assert {r["group"]["age"] for r in stored["by_group"] if r["features"] == ["age"]} == {"< 30", "30–50", "≥ 50"}
