"""A fairer decision rule for a binary run: Fairlearn's ThresholdOptimizer on the trained model.

The optimizer picks one threshold (or a mix of two) per group under a constraint. It is fitted on
AutoGluon's validation rows, or on out-of-fold predictions of a bagged model: data the model did
not train on and that is not the holdout. The holdout is touched once, to report the rule before
and after. The model's probabilities come from the stored predictions, wrapped as an already
fitted scikit-learn classifier (`prefit=True`, `predict_method="predict_proba"`).
"""

import numpy as np
import pandas as pd
from fairlearn.metrics import (demographic_parity_difference, equalized_odds_difference,
                               true_positive_rate_difference)
from fairlearn.postprocessing import ThresholdOptimizer
from sklearn.base import BaseEstimator, ClassifierMixin

from core.analysis import artifacts, evaluation, fairness
from core.foundation.errors import InvalidInput
from core.training import views

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
    groups = fairness.group_labels(labelled, [sensitive], {})[sensitive].astype(str)
    positive = str(run.details.get("positive_class"))
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
              "groups": [{"group": g, "rows": int((s == g).sum()),
                          "before": _group(y, before, s == g), "after": _group(y, after, s == g)}
                         for g in sorted(set(s))]}
    return fairness.store(run_id, "mitigation", {"sensitive": sensitive, "constraint": constraint}, result, user)


def _measures(y, p, s) -> dict:
    return {"accuracy": float(np.mean(y == p)),
            "demographic_parity_difference": float(demographic_parity_difference(y, p, sensitive_features=s)),
            "equalized_odds_difference": float(equalized_odds_difference(y, p, sensitive_features=s)),
            "true_positive_rate_difference": float(true_positive_rate_difference(y, p, sensitive_features=s))}


def _group(y, p, mask) -> dict:
    return {m: fairness.clean(f(y[mask], p[mask])) for m, f in fairness.BINARY.items() if m != "count"}
