"""From a RunSpec to a validated plan: problem type, metric, features and the AutoGluon call.

Everything here runs before anything is written or started, so a bad spec costs nothing.
"""

import difflib
import math
import numbers

import glossary
from core.data import datasets
from core.training import resources, strategy, views
from core.foundation import config
from core.foundation.errors import InvalidInput
from core.data.quality import suggest_sensitive
from core.training.spec import GOALS, METRICS, MODEL_FAMILIES, PRESETS, QUALITIES, RunSpec, parse_hyperparameters

MAX_CLASSES = 100


def _column(info: dict, name: str, role: str) -> dict:
    for col in info["columns"]:
        if col["name"] == name:
            return col
    names = [c["name"] for c in info["columns"]]
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise InvalidInput(code="column_not_found", value=name, msg="column_not_found_2", role=role, name=name,
                       name2=info['name'], hint=hint, p=', '.join(names))


def problem_type(info: dict, target: str, *, metric: str | None = None) -> str:
    """binary, multiclass or regression, from the target's values (and the metric, if given)."""
    col = _column(info, target, "Target")
    non_null = info["rows"] - col["missing"]
    if non_null == 0:
        raise InvalidInput(code="target_empty", value=target, msg="target_empty", target=target)
    if col["distinct"] < 2:
        value = (col.get("top_values") or [{"value": col.get("min")}])[0]["value"]
        raise InvalidInput(code="target_constant", value=target, msg="target_constant", target=target, value_=value)
    if col["type"] == "date":
        raise InvalidInput(code="target_is_date", value=target, msg="target_is_date", target=target)
    numeric = col["type"] == "number"
    if metric in METRICS["regression"]:
        if not numeric:
            example = (col.get("top_values") or [{"value": "?"}])[0]["value"]
            raise InvalidInput(code="target_is_text", value=target, msg="target_is_text", target=target,
                               example=example, metric=metric)
        return "regression"
    if col["distinct"] == 2:
        return "binary"
    wants_classes = metric is not None and metric not in METRICS["regression"]
    if numeric and not wants_classes and (not col.get("integer") or col["distinct"] > 20):
        return "regression"
    if col["distinct"] > MAX_CLASSES:
        raise InvalidInput(code="target_too_many_classes", value=target, msg="target_too_many_classes", target=target,
                           distinct=col['distinct'], MAX_CLASSES=MAX_CLASSES)
    return "multiclass"


def describe_problem(info: dict, target: str, *, kind: str, lang: str = "en") -> str:
    return views.say_problem(problem(info, target, kind=kind), lang)


def problem(info: dict, target: str, *, kind: str) -> dict:
    """What the run predicts, as values: kept in the plan and said in the reader's language."""
    col = _column(info, target, "Target")
    tops = [str(v["value"]) for v in col.get("top_values", [])]
    classes = ", ".join(tops[:4]) + (", ..." if col["distinct"] > 4 else "")
    return {"kind": kind, "classes": classes, "n": col["distinct"], "target": target}


def default_exclusions(info: dict) -> list[dict]:
    """Recommended exclusions: columns whose warnings say 'leave it out' (with the first reason)."""
    seen, out = set(), []
    for w in info["warnings"]:
        if w["exclude"] and w["column"] and w["column"] not in seen and w["column"] != info.get("target"):
            seen.add(w["column"])
            out.append({"column": w["column"], "kind": w["kind"], "reason": w["message"]})
    return out


def column_defaults(info: dict, target: str) -> dict:
    """The one set of defaults for a run's columns, used by the run form and `runs plan|start`:
    recommended exclusions (with reasons) and suggested sensitive columns. `info` is
    `datasets.show(..., target=target)`, whose warnings include the target checks."""
    recommended = [r for r in default_exclusions(info) if r["column"] != target]
    return {"recommended": recommended, "exclude": [r["column"] for r in recommended],
            "sensitive": [c for c in suggest_sensitive({"columns": info["columns"]}) if c != target]}


def resolve_columns(spec: RunSpec, defaults: dict) -> dict:
    """What a spec leaves out and marks sensitive, defaults applied; and which exclusions were
    recommended, kept (recommended but used) or added (not recommended)."""
    recommended = defaults["exclude"]
    chosen = recommended if spec.exclude is None else spec.exclude
    excluded = [c for c in dict.fromkeys(chosen) if c not in spec.keep]
    sensitive = defaults["sensitive"] if spec.sensitive is None else list(dict.fromkeys(spec.sensitive))
    return {"excluded": excluded, "sensitive": sensitive,
            "exclusions": {"recommended": recommended, "kept": [c for c in recommended if c not in excluded],
                           "added": [c for c in excluded if c not in recommended]}}


def make_plan(spec: RunSpec, *, lang: str = "en") -> dict:
    """Validate `spec` against its data set and return the plan the worker executes."""
    info = datasets.show(spec.dataset_id, target=None)  # NotFound names the deleted/misspelt id
    _column(info, spec.target, "Target")
    info = datasets.show(info["dataset_id"], target=spec.target, lang=lang)
    if spec.goal and spec.eval_metric:
        raise InvalidInput(code="goal_and_metric", msg="goal_and_metric")
    kind = problem_type(info, spec.target, metric=spec.eval_metric)
    metric = _metric(spec, kind)
    _check_numbers(spec)
    for role, names in (("Excluded", spec.exclude), ("Kept", spec.keep), ("Sensitive", spec.sensitive)):
        for name in names or []:
            _column(info, name, role)
    defaults = column_defaults(info, spec.target)
    columns = resolve_columns(spec, defaults)
    if spec.target in columns["excluded"]:
        raise InvalidInput(code="target_excluded", value=spec.target, msg="target_excluded", target=spec.target)
    if spec.sample_weight:
        col = _column(info, spec.sample_weight, "Sample-weight")
        if col["type"] != "number" or spec.sample_weight == spec.target:
            raise InvalidInput(code="bad_sample_weight", value=spec.sample_weight, msg="bad_sample_weight",
                               sample_weight=spec.sample_weight)
    dropped = set(columns["excluded"]) | {spec.target, spec.sample_weight}
    if not spec.sensitive_as_inputs:
        dropped |= set(columns["sensitive"])
    features = [c["name"] for c in info["columns"] if c["name"] not in dropped]
    if not features:
        raise InvalidInput(code="nothing_to_learn_from", msg="nothing_to_learn_from")
    estimate = resources.estimate(info["rows"], len(features), quality=spec.quality, time_limit=spec.time_limit,
                                  memory_limit_gb=spec.memory_limit_gb, cpus=spec.num_cpus, lang=lang)
    free_gb, needed_gb = resources.free_disk_gb(), config.min_free_disk_gb()
    if free_gb < needed_gb:  # AutoGluon writes gigabytes; a full disk fails a run halfway
        raise InvalidInput(code="not_enough_disk", value=round(free_gb, 1), msg="not_enough_disk", free=free_gb,
                           needed=needed_gb, folder=str(config.home()))
    if estimate["level"] == "refuse":
        instead = glossary.message("or_word", lang).join(estimate["suggestions"])
        raise InvalidInput(code="not_enough_memory", value=estimate["memory_needed_gb"], msg="not_enough_memory",
                           problem=" ".join(estimate["messages"]), instead=instead)
    return {
        "dataset_id": info["dataset_id"],
        "dataset_name": info["name"],
        "dataset_hash": info["content_hash"],
        "source_filename": info.get("source_filename"),
        "label": spec.target,
        "problem_type": kind,
        "problem_sentence": describe_problem(info, spec.target, kind=kind, lang=lang),
        "problem": problem(info, spec.target, kind=kind),
        "goal": spec.goal if not spec.eval_metric else None,
        "eval_metric": metric,
        "features": features,
        "excluded": sorted(columns["excluded"]),
        "exclusions": columns["exclusions"],
        "sensitive": columns["sensitive"],
        "suggested_exclusions": defaults["recommended"],
        "warnings": [{"kind": w["kind"], "column": w.get("column")} for w in info["warnings"]],
        "suggested_sensitive": defaults["sensitive"],
        "sample_weight": spec.sample_weight,
        "holdout": spec.holdout,
        "seed": spec.seed,
        "fit_kwargs": _fit_kwargs(spec),
        "model_families": spec.model_families,
        "estimate": estimate,
        "rows": info["rows"],
        "refit_for_use": strategy.wants_refit_for_use(info["rows"]) if spec.refit_for_use is None
        else spec.refit_for_use,
    }


def _metric(spec: RunSpec, kind: str) -> str:
    if spec.eval_metric:
        if spec.eval_metric not in METRICS[kind]:
            raise InvalidInput(code="metric_does_not_fit", value=spec.eval_metric, msg="metric_does_not_fit",
                               eval_metric=spec.eval_metric, kind=kind, p=', '.join(METRICS[kind]))
        return spec.eval_metric
    goals = GOALS[kind]
    goal = spec.goal or next(iter(goals))
    if goal not in goals:
        raise InvalidInput(code="goal_does_not_fit", value=goal, msg="goal_does_not_fit", goal=goal, kind=kind,
                           p=', '.join(goals))
    spec.goal = goal
    return goals[goal]


def _check_numbers(spec: RunSpec) -> None:
    def bad(setting, value, msg=None, **params):
        raise InvalidInput(code=f"bad_{setting}", value=value, msg=msg or f"bad_{setting}", **params)

    # 'nan' and 'inf' pass for numbers (float() reads them) and every comparison with nan is false,
    # so each check asks for a finite number first.
    if not _finite(spec.time_limit) or spec.time_limit <= 0:
        bad("time_limit", spec.time_limit, time_limit=spec.time_limit)
    if not _finite(spec.holdout) or not 0.05 <= spec.holdout <= 0.5:
        bad("holdout", spec.holdout, holdout=spec.holdout)
    if spec.quality not in QUALITIES:
        bad("quality", spec.quality, quality=spec.quality, known=", ".join(QUALITIES))
    if spec.preset and spec.preset not in PRESETS:
        bad("preset", spec.preset, preset=spec.preset, known=", ".join(PRESETS))
    unknown = [f for f in spec.model_families or [] if f not in MODEL_FAMILIES]
    if unknown:
        bad("model_families", unknown, families=", ".join(unknown), known=", ".join(MODEL_FAMILIES))
    if spec.model_families is not None and not spec.model_families:
        bad("model_families", [], msg="no_model_family")
    if spec.hyperparameters is not None:
        parse_hyperparameters_dict(spec.hyperparameters)
    if spec.num_bag_folds is not None and spec.num_bag_folds not in (0, *range(2, 11)):
        bad("num_bag_folds", spec.num_bag_folds, folds=spec.num_bag_folds)
    if spec.num_stack_levels is not None and not 0 <= spec.num_stack_levels <= 3:
        bad("num_stack_levels", spec.num_stack_levels, levels=spec.num_stack_levels)
    if (spec.num_stack_levels or 0) > 0 and spec.num_bag_folds == 0:
        bad("num_stack_levels", spec.num_stack_levels, msg="stacking_needs_bagging")
    if spec.dynamic_stacking and spec.num_stack_levels == 0:
        bad("dynamic_stacking", True)
    if spec.infer_limit is not None and (not _finite(spec.infer_limit) or spec.infer_limit <= 0):
        bad("infer_limit", spec.infer_limit, infer_limit=spec.infer_limit)
    if spec.num_cpus is not None:
        node_cores = resources.cores_where_runs_train()[1]  # a run trains on one node: the largest bounds it
        if not 1 <= spec.num_cpus <= node_cores:
            bad("num_cpus", spec.num_cpus, cores=node_cores, cpus=spec.num_cpus)
    if spec.memory_limit_gb is not None and (not _finite(spec.memory_limit_gb) or spec.memory_limit_gb <= 0):
        bad("memory_limit_gb", spec.memory_limit_gb, memory=spec.memory_limit_gb)


def _finite(value) -> bool:
    """A real, finite number (not a bool, not nan or inf)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def parse_hyperparameters_dict(value: dict) -> dict:
    import json

    return parse_hyperparameters(json.dumps(value))


def _fit_kwargs(spec: RunSpec) -> dict:
    """The keyword arguments of TabularPredictor.fit, exactly as the worker passes them."""
    kwargs = {"time_limit": float(spec.time_limit), "presets": spec.preset or QUALITIES[spec.quality]}
    if spec.hyperparameters:
        kwargs["hyperparameters"] = spec.hyperparameters
    else:
        kwargs["included_model_types"] = list(spec.model_families or MODEL_FAMILIES)
    optional = {
        "num_bag_folds": spec.num_bag_folds,
        "num_stack_levels": spec.num_stack_levels,
        "dynamic_stacking": spec.dynamic_stacking,
        "infer_limit": spec.infer_limit,
        "calibrate_decision_threshold": spec.calibrate_decision_threshold,
        "num_cpus": spec.num_cpus,
        "memory_limit": spec.memory_limit_gb,
    }
    kwargs.update({k: v for k, v in optional.items() if v is not None})
    if spec.dynamic_stacking is None and spec.quality != "fast" and spec.time_limit < 900:
        # DyStack spends a quarter of the budget on a trial fit whose models are thrown away;
        # on short budgets that time is better spent on the models that are kept.
        kwargs["dynamic_stacking"] = False
    return kwargs
