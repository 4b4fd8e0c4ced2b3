"""A fairer decision rule for a binary run: Fairlearn's ThresholdOptimizer on the trained model.

The optimizer picks one threshold (or a mix of two) per group under a constraint. It is fitted on
AutoGluon's validation rows, or on out-of-fold predictions of a bagged model: data the model did
not train on and that is not the holdout. The holdout is touched once, to report the rule before
and after. The model's probabilities come from the stored predictions, wrapped as an already
fitted scikit-learn classifier (`prefit=True`, `predict_method="predict_proba"`).

A tried rule can be adopted (who, when, why: `adopted_rules`); scoring then decides with it. The
rule is stored as Fairlearn's per-group interpolation (thresholds and mixing weights, readable as
JSON) and applied the way Fairlearn's `InterpolatedThresholder.predict` does (`decide`).
"""

import json

import numpy as np
import pandas as pd
from fairlearn.metrics import (demographic_parity_difference, equalized_odds_difference,
                               true_positive_rate_difference)
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.base import BaseEstimator, ClassifierMixin

from core.analysis import artifacts, evaluation, fairness
from core.foundation import config, db
from core.foundation.errors import InvalidInput, NotFound
from core.training import views
from core.governance.roles import action

# Each constraint, and the gap between groups it tries to close (one of `_measures`' keys).
GAPS = {"demographic_parity": "demographic_parity_difference", "equalized_odds": "equalized_odds_difference",
        "true_positive_rate_parity": "true_positive_rate_difference"}
CONSTRAINTS = tuple(GAPS)


class StoredScores(ClassifierMixin, BaseEstimator):
    """The model's probability of the positive class, read from the `score` column."""

    def fit(self, X=None, y=None):
        self.classes_ = np.array([False, True])
        return self

    def predict_proba(self, X):
        score = np.asarray(X["score"], dtype=float)
        return np.column_stack([1 - score, score])

    def predict(self, X):
        return self.predict_proba(X)[:, 1] >= 0.5


def _tuning_rows(run) -> pd.DataFrame:
    """Positions (in the labelled rows) of the rows AutoGluon held out for validation, or, for a
    bagged model, every training row (its out-of-fold predictions), beside their probabilities."""
    predictor = artifacts.load_predictor(run)
    X, _ = predictor.load_data_internal(data="val")
    if X is None:
        X, _ = predictor.load_data_internal(data="train")
    scores = evaluation.validation_predictions(run)
    return scores.set_index(pd.Index(X.index, name="row"))


@action("try_fairer_rule", obj="run_id")
def mitigate(run_id: str, *, sensitive: str, constraint: str, user: str | None = None) -> dict:
    """Fit the rule, compare it with the model's own threshold on the holdout, and store both."""
    run = views.load(run_id)
    evaluation.require_model(run, "analyse")
    if run.problem_type != "binary":
        raise InvalidInput(code="mitigation_not_binary", value=run.problem_type, msg="mitigation_not_binary",
                           run_id=run_id, problem_type=run.problem_type)
    if constraint not in CONSTRAINTS:
        raise InvalidInput(code="unknown_constraint", value=constraint, msg="unknown_constraint",
                           constraint=constraint, known=", ".join(CONSTRAINTS))
    labelled = artifacts.labelled_rows(run)
    fairness.check_features(run, labelled, [sensitive], {})
    edges = fairness.band_edges(labelled, [sensitive], {})  # kept with the rule: scoring bands alike
    groups = fairness.group_labels(labelled, [sensitive], edges)[sensitive].astype(str)
    positive = artifacts.positive_class(run)
    tuning = _tuning_rows(run)
    fit_y = tuning["y_true"].astype(str).to_numpy() == positive
    rule = ThresholdOptimizer(estimator=StoredScores().fit(), constraints=constraint, objective="accuracy_score",
                              prefit=True, predict_method="predict_proba")
    rule.fit(pd.DataFrame({"score": tuning[f"p_{positive}"].to_numpy()}), fit_y,
             sensitive_features=groups.loc[tuning.index].to_numpy())
    held = evaluation.predictions(run)
    rows = artifacts.holdout_rows(run)
    y = held["y_true"].astype(str).to_numpy() == positive
    score = held[f"p_{positive}"].to_numpy()
    s = groups.loc[rows].to_numpy()
    before = score >= run.threshold
    after = np.asarray(rule.predict(pd.DataFrame({"score": score}), sensitive_features=s,
                                    random_state=fairness.SEED)).astype(bool)
    result = {"run_id": run_id, "sensitive": sensitive, "constraint": constraint, "gap": GAPS[constraint],
              "fitted_on": str(tuning["source"].iloc[0]), "fitted_rows": int(len(tuning)), "holdout_rows": len(y),
              "before": _measures(y, before, s), "after": _measures(y, after, s),
              "changed_decisions": int(np.sum(before != after)),
              "groups": [{"group": g, "rows": int((s == g).sum()),
                          "before": _group(y, before, s == g), "after": _group(y, after, s == g)}
                         for g in sorted(set(s))],
              "rule": {"edges": edges, "groups": _interpolation(rule)}}
    return fairness.store(run_id, "mitigation", {"sensitive": sensitive, "constraint": constraint}, result, user)


def _measures(y, p, s) -> dict:
    return {"accuracy": float(np.mean(y == p)),
            "demographic_parity_difference": float(demographic_parity_difference(y, p, sensitive_features=s)),
            "equalized_odds_difference": float(equalized_odds_difference(y, p, sensitive_features=s)),
            "true_positive_rate_difference": float(true_positive_rate_difference(y, p, sensitive_features=s))}


def _group(y, p, mask) -> dict:
    return {m: fairness.clean(f(y[mask], p[mask])) for m, f in fairness.BINARY.items() if m != "count"}


# --- the rule as data, and adopting it -----------------------------------------------------------

def _interpolation(rule: ThresholdOptimizer) -> dict:
    """Fairlearn's per-group rule as JSON: with probability p0 apply operation0, else operation1
    (an operation is '>' or '<' a threshold on the positive class's probability)."""
    def op(operation):
        return [operation.operator, _finite(operation.threshold)]

    out = {}
    for group, step in rule.interpolated_thresholder_.interpolation_dict.items():
        out[str(group)] = {"p0": float(step.p0), "operation0": op(step.operation0),
                           "p1": float(step.p1), "operation1": op(step.operation1)}
        if "p_ignore" in step:
            out[str(group)] |= {"p_ignore": float(step.p_ignore),
                                "prediction_constant": float(step.prediction_constant)}
    return out


def _finite(x: float):
    return x if np.isfinite(x) else ("inf" if x > 0 else "-inf")


def decide(rule: dict, score: np.ndarray, frame: pd.DataFrame, sensitive: str, *, seed: int = fairness.SEED):
    """Decisions (True for the positive class) of a stored rule on rows with the model's
    probability `score`, drawn as Fairlearn draws them (a row is positive when its probability
    under the rule is at least a uniform draw from a seeded RandomState)."""
    if sensitive not in frame.columns:
        raise InvalidInput(code="rule_needs_column", value=sensitive, msg="rule_needs_column", column=sensitive)
    groups = fairness.group_labels(frame, [sensitive], rule["edges"])[sensitive].astype(str).to_numpy()
    unseen = sorted(set(groups) - set(rule["groups"]))
    if unseen:
        raise InvalidInput(code="rule_unseen_group", value=unseen, msg="rule_unseen_group", column=sensitive,
                           values=", ".join(repr(v) for v in unseen[:5]), known=", ".join(rule["groups"]))
    score = np.asarray(score, dtype=float)
    positive = np.zeros(len(score))

    def apply(operation):
        operator, threshold = operation[0], float(operation[1])
        return score > threshold if operator == ">" else score < threshold

    for group, step in rule["groups"].items():
        mask = groups == group
        chance = step["p0"] * apply(step["operation0"]) + step["p1"] * apply(step["operation1"])
        if "p_ignore" in step:
            chance = step["p_ignore"] * step["prediction_constant"] + (1 - step["p_ignore"]) * chance
        positive[mask] = chance[mask]
    return positive >= np.random.RandomState(seed).rand(len(score))


def decider(run):
    """How a binary run's scoring decides: None for its own threshold, else `decide` with the
    adopted rule (the batch path and the endpoint both take it from here)."""
    rule = adopted(run.run_id) if run.problem_type == "binary" else None
    if rule is None:
        return None
    return lambda score, rows: decide(rule["rule"], score, rows, rule["sensitive"])


@action("adopt_rule", obj="run_id")
def adopt(run_id: str, *, reason: str, analysis_id: str | None = None, user: str | None = None) -> dict:
    """Score with a tried fairer rule from now on (the latest tried one unless named). A reason is
    required: the rule needs the sensitive column at prediction time and treats groups differently."""
    run = views.load(run_id)
    tried = _analysis(run_id, analysis_id)
    return _record(run.run_id, tried["analysis_id"], reason, user)


@action("adopt_rule", obj="run_id")
def withdraw(run_id: str, *, reason: str, user: str | None = None) -> dict:
    """Go back to the model's own threshold for scoring."""
    views.load(run_id)
    if adopted(run_id) is None:
        raise InvalidInput(code="no_adopted_rule", value=run_id, msg="no_adopted_rule", run_id=run_id)
    return _record(run_id, None, reason, user)


def adopted(run_id: str) -> dict | None:
    """The rule scoring uses for this run, with who adopted it, when and why; None if the model's
    own threshold is used. Reads only."""
    with db.connect() as con:
        row = con.execute("SELECT a.analysis_id, a.reason, a.decided_by, a.decided_at, f.result "
                          "FROM adopted_rules a LEFT JOIN fairness_analyses f USING (analysis_id) "
                          "WHERE a.run_id = ? ORDER BY a.decided_at DESC, a.seq DESC LIMIT 1", [run_id]).fetchone()
    if row is None or row[0] is None:
        return None
    result = json.loads(row[4])
    return {"analysis_id": row[0], "reason": row[1], "adopted_by": row[2],
            "adopted_at": row[3].isoformat(timespec="seconds"), "sensitive": result["sensitive"],
            "constraint": result["constraint"], "rule": result["rule"], "after": result["after"]}


def _analysis(run_id: str, analysis_id: str | None) -> dict:
    with db.connect() as con:
        row = con.execute("SELECT analysis_id, result FROM fairness_analyses WHERE run_id = ? AND kind = 'mitigation' "
                          "AND (? IS NULL OR analysis_id = ?) ORDER BY created_at DESC, analysis_id DESC LIMIT 1",
                          [run_id, analysis_id, analysis_id]).fetchone()
    if row is None:
        raise NotFound(code="no_tried_rule", value=analysis_id or run_id, msg="no_tried_rule", run_id=run_id,
                       analysis_id=analysis_id or "")
    if "rule" not in json.loads(row[1]):
        raise InvalidInput(code="rule_too_old", value=row[0], msg="rule_too_old", analysis_id=row[0])
    return {"analysis_id": row[0]}


def _record(run_id: str, analysis_id: str | None, reason: str, user: str | None) -> dict:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(code="rule_needs_reason", value=reason, msg="rule_needs_reason")
    with db.transaction() as con:
        con.execute("INSERT INTO adopted_rules (run_id, analysis_id, reason, decided_by) VALUES (?, ?, ?, ?)",
                    [run_id, analysis_id, reason, user or config.default_user()])
    return {"run_id": run_id, "adopted": adopted(run_id)}
