"""What a training run is asked to do: goals in words, quality levels, and the validated spec.

Like a scikit-learn estimator, RunSpec only stores what it is given; `validate` checks it
against the data set when work starts, with messages that list the allowed values.
"""

import dataclasses
import json
from dataclasses import dataclass, field

import yaml

from core.foundation.errors import InvalidInput

# Goals in words -> AutoGluon eval_metric, per problem type (first is the default).
GOALS = {
    "binary": {
        "most_correct": "accuracy",
        "best_ranking": "roc_auc",
        "catch_positives": "f1",
        "balanced_classes": "balanced_accuracy",
    },
    "multiclass": {
        "most_correct": "accuracy",
        "balanced_classes": "balanced_accuracy",
        "catch_positives": "f1_macro",
    },
    "regression": {
        "typical_error": "mean_absolute_error",
        "avoid_big_errors": "root_mean_squared_error",
        "explained_share": "r2",
    },
}
# Every metric an expert may pick, per problem type (AutoGluon names).
METRICS = {
    "binary": ["accuracy", "balanced_accuracy", "roc_auc", "f1", "precision", "recall",
               "log_loss", "mcc", "average_precision"],
    "multiclass": ["accuracy", "balanced_accuracy", "f1_macro", "f1_micro", "f1_weighted",
                   "log_loss", "mcc", "roc_auc_ovo", "roc_auc_ovr"],
    "regression": ["mean_absolute_error", "root_mean_squared_error", "mean_squared_error",
                   "r2", "median_absolute_error", "mean_absolute_percentage_error"],
}
# Quality levels -> AutoGluon presets sized for a small machine.
QUALITIES = {"fast": "medium_quality", "balanced": "good_quality", "best": "best_quality"}
PRESETS = ["medium_quality", "good_quality", "high_quality", "best_quality"]
# The hyperparameter set each preset uses, so chosen families can be added with their defaults.
PRESET_HYPERPARAMETERS = {"medium_quality": "default", "good_quality": "light", "high_quality": "zeroshot",
                          "best_quality": "zeroshot"}
# Tree and linear families only: they need no PyTorch.
MODEL_FAMILIES = {
    "GBM": "LightGBM", "CAT": "CatBoost", "XGB": "XGBoost", "RF": "Random forest",
    "XT": "Extra trees", "KNN": "Nearest neighbours", "LR": "Linear model",
}
TIME_BUDGETS = [60, 300, 900, 3600]
EXPERT_CONTROLS = ("eval_metric", "preset", "model_families", "hyperparameters", "num_bag_folds", "num_stack_levels",
                   "dynamic_stacking", "infer_limit", "calibrate_decision_threshold", "sample_weight", "num_cpus",
                   "memory_limit_gb")


@dataclass
class RunSpec:
    dataset_id: str
    target: str
    goal: str | None = None
    eval_metric: str | None = None
    quality: str = "balanced"
    time_limit: float = 60
    # None means "the recommended ones" (core.training.plan.column_defaults), for the form and the CLI alike.
    exclude: list[str] | None = None
    keep: list[str] = field(default_factory=list)  # recommended exclusions that stay in
    sensitive: list[str] | None = None
    sensitive_as_inputs: bool = False
    holdout: float = 0.2
    seed: int = 0
    # Expert controls; None means "let the preset decide".
    preset: str | None = None
    model_families: list[str] | None = None
    hyperparameters: dict | None = None
    num_bag_folds: int | None = None
    num_stack_levels: int | None = None
    dynamic_stacking: bool | None = None
    infer_limit: float | None = None
    calibrate_decision_threshold: bool | None = None
    sample_weight: str | None = None
    num_cpus: int | None = None
    memory_limit_gb: float | None = None
    # After the holdout test, refit the model in use on every labelled row (None: yes below 10,000 rows).
    refit_for_use: bool | None = None
    parent_run_id: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def expert_controls(self) -> list[str]:
        """The expert controls this spec sets (the expert role may set them)."""
        return [f for f in EXPERT_CONTROLS if getattr(self, f) is not None]

    @classmethod
    def from_dict(cls, data: dict) -> "RunSpec":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(code="unknown_run_setting", value=unknown, msg="unknown_run_setting",
                               p=', '.join(unknown), p2=', '.join(sorted(known)))
        return cls(**data)


def parse_hyperparameters(text: str) -> dict:
    """Per-family hyperparameters from YAML or JSON text; the error names the line."""
    try:
        value = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML or JSON"
        raise InvalidInput(code="hyperparameters_do_not_parse", msg="hyperparameters_do_not_parse", where=where,
                           problem=problem) from None
    if not isinstance(value, dict):
        raise InvalidInput(code="hyperparameters_not_a_mapping", msg="hyperparameters_not_a_mapping",
                           name__=type(value).__name__)
    bad = [k for k in value if k not in MODEL_FAMILIES]
    if bad:
        raise InvalidInput(code="unknown_model_family", value=bad, msg="unknown_model_family",
                           p=', '.join(map(str, bad)), p2=', '.join(MODEL_FAMILIES))
    for family, settings in value.items():
        if not isinstance(settings, (dict, list)):
            raise InvalidInput(code="hyperparameters_not_a_mapping", value=family,
                               msg="hyperparameters_not_a_mapping_2", family=family, settings=settings)
    return value


def load_hyperparameters_file(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return parse_hyperparameters(fh.read())
    except OSError as exc:
        raise InvalidInput(code="unreadable_file", value=path, msg="unreadable_file_2", path=path,
                           strerror=exc.strerror) from None


def spec_json(spec: RunSpec) -> str:
    return json.dumps(spec.to_dict(), sort_keys=True)
