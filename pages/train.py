"""Train: a no-code run form for analysts, with every AutoGluon control one click away for experts."""

import streamlit as st

from core.data import datasets
from core.training import lifecycle, strategy
from core.training import plan as runplan
from core.training.spec import (EXPERT_CONTROLS, GOALS, METRICS, MODEL_FAMILIES, PRESETS, QUALITIES, TIME_BUDGETS, RunSpec,
                                parse_hyperparameters)
from pages._ui import attempt, can, ctx, help_for, num, plain, show_error, t, translator

audience = ctx()["audience"]
state = st.session_state
label = translator()  # for format_func: Streamlit may call it after the script has run
st.title(t("page_train"))
st.markdown(t("train_intro"))


def remember(key: str, default, valid=None) -> None:
    """Widgets read their value from session state; set a sensible one before each is drawn."""
    if key not in state or (valid is not None and not _fits(state[key], valid)):
        state[key] = default


def _fits(value, valid) -> bool:
    return set(value) <= set(valid) if isinstance(value, list) else value in valid


# "Tweak and re-run" on the Runs page leaves form values here: they pre-fill the widgets.
for key, value in state.pop("tweak_form", {}).items():
    state[key] = value

found = attempt(datasets.list_datasets) or []
if not found:
    st.info(t("no_datasets"))
    st.stop()
names = {d["dataset_id"]: d["name"] for d in found}
remember("train_dataset_id", state.get("dataset_pick", found[0]["dataset_id"]), names)
dataset_id = st.selectbox(t("choose_dataset"), list(names), format_func=names.get,
                          key="train_dataset_id", help=help_for("dataset"))
info = attempt(datasets.show, dataset_id, lang=ctx()["language"])
if not info:
    st.stop()
columns = [c["name"] for c in info["columns"]]
demo_targets = {name: target for _, name, target in datasets.DEMO_DATASETS}
# A demo table knows its target; any other table's is asked, never guessed (its last column may be a code).
remember("train_target", demo_targets.get(info["name"]) if demo_targets.get(info["name"]) in columns else None,
         columns)
target = st.selectbox(t("train_target"), columns, key="train_target", help=help_for("target"),
                      placeholder=t("train_target_placeholder"))
if target is None:
    st.info(t("train_target_first"), icon=":material/target:")
    st.stop()
try:
    kind = runplan.problem_type(info, target)
except Exception as exc:  # a target that cannot be predicted: say why, change nothing
    show_error(exc)
    st.stop()
st.info(plain(runplan.describe_problem(info, target, kind=kind, lang=ctx()["language"])), icon=":material/target:")
info = attempt(datasets.show, dataset_id, target=target, lang=ctx()["language"]) or info

remember("train_goal", next(iter(GOALS[kind])), GOALS[kind])
goal = st.radio(t("train_goal"), list(GOALS[kind]), key="train_goal", help=help_for("goal"),
                format_func=lambda g: f"{label('goal_' + g)} ({GOALS[kind][g]})")

left, right = st.columns(2)
remember("train_time_limit", 60 if info["rows"] * len(columns) < 2_000_000 else 300, TIME_BUDGETS)
time_limit = left.select_slider(t("train_time"), TIME_BUDGETS, key="train_time_limit",
                                format_func=lambda s: label("minutes", n=s // 60), help=help_for("time_budget"))
remember("train_quality", "balanced", QUALITIES)
quality = right.radio(t("train_quality"), list(QUALITIES), key="train_quality",
                      format_func=lambda q: label("quality_" + q), help=help_for("quality_level"))

candidates = [c for c in columns if c != target]
if state.get("train_context") != f"{dataset_id}:{target}":  # new data or target: fresh suggestions
    for key in ("train_exclude", "train_sensitive", "train_sample_weight"):
        state.pop(key, None)
    state["train_context"] = f"{dataset_id}:{target}"
defaults = runplan.column_defaults(info, target)  # the same defaults as `runs plan|start`
suggested = defaults["recommended"]
remember("train_exclude", [c for c in defaults["exclude"] if c in candidates], candidates)
exclude = st.multiselect(t("train_exclude"), candidates, key="train_exclude", help=help_for("excluded_column"),
                         placeholder=t("choose_options"))
for s in suggested:
    st.caption(f"**{plain(s['column'])}**: {plain(s['reason'])}")
remember("train_sensitive", defaults["sensitive"], candidates)
sensitive = st.multiselect(t("train_sensitive"), candidates, key="train_sensitive", placeholder=t("choose_options"),
                           help=help_for("sensitive_feature"))
remember("train_sensitive_as_inputs", False)
sensitive_as_inputs = st.checkbox(t("train_sensitive_inputs"), key="train_sensitive_as_inputs")

values = {"dataset_id": dataset_id, "target": target, "goal": goal, "quality": quality,
          "time_limit": time_limit, "exclude": exclude, "sensitive": sensitive,
          "sensitive_as_inputs": sensitive_as_inputs, "parent_run_id": state.get("train_parent_run_id")}

with st.expander(t("advanced_expert" if audience == "expert" else "advanced_more"),
                 expanded=audience == "expert", icon=":material/tune:"):
    # Streamlit shows a None option as an empty box, so "let AutoGluon decide" is "" or "auto".
    on_off = ["auto", "on", "off"]

    for key, default, valid in [
        ("train_eval_metric", "", ["", *METRICS[kind]]), ("train_preset", "", ["", *PRESETS]),
        ("train_model_families", list(MODEL_FAMILIES), list(MODEL_FAMILIES)),
        ("train_hyperparameters_text", "", None), ("train_num_bag_folds", None, None),
        ("train_num_stack_levels", None, None), ("train_dynamic_stacking", "auto", on_off),
        ("train_calibrate_decision_threshold", "auto", on_off), ("train_infer_limit_ms", None, None),
        ("train_sample_weight", "", ["", *candidates]), ("train_holdout", 0.2, None),
        ("train_seed", 0, None), ("train_num_cpus", None, None), ("train_memory_limit_gb", None, None),
        ("train_refit_for_use", strategy.wants_refit_for_use(info["rows"]), [True, False]),
    ]:
        remember(key, default, valid)
    locked = not can("expert_controls")  # core refuses them for other roles; shown so people know they exist
    if locked:
        st.caption(t("expert_controls_locked"))
    a, b, c = st.columns(3)
    metric = a.selectbox(t("adv_metric"), ["", *METRICS[kind]], key="train_eval_metric", disabled=locked,
                         format_func=lambda m: m or label("from_goal"), help=help_for("eval_metric"))
    preset = b.selectbox(t("adv_preset"), ["", *PRESETS], key="train_preset", disabled=locked,
                         format_func=lambda p: p or label("from_quality"), help=help_for("preset"))
    families = c.multiselect(t("adv_families"), list(MODEL_FAMILIES), key="train_model_families", disabled=locked,
                             placeholder=t("choose_options"),
                             format_func=MODEL_FAMILIES.get, help=help_for("model_family"))
    hp_text = st.text_area(t("adv_hyperparameters"), key="train_hyperparameters_text", disabled=locked,
                           placeholder="GBM: {num_leaves: 64}\nCAT: {depth: 6}", help=help_for("hyperparameters"))
    a, b, c, d = st.columns(4)
    bag = a.number_input(t("adv_bag_folds"), 0, 10, key="train_num_bag_folds", disabled=locked, placeholder=t("auto"),
                         help=help_for("bagging"))
    stack = b.number_input(t("adv_stack_levels"), 0, 3, key="train_num_stack_levels", disabled=locked, placeholder=t("auto"),
                           help=help_for("stacking"))
    dynamic = c.selectbox(t("adv_dynamic_stacking"), on_off, key="train_dynamic_stacking", disabled=locked,
                          format_func=label, help=help_for("dynamic_stacking"))
    calibrate = "auto"
    if kind == "binary":  # a decision threshold only exists for yes/no predictions
        calibrate = d.selectbox(t("adv_calibrate"), on_off, key="train_calibrate_decision_threshold", disabled=locked,
                                format_func=label, help=help_for("decision_threshold"))
    a, b, c, d = st.columns(4)
    infer_ms = a.number_input(t("adv_infer_limit"), 0.0, key="train_infer_limit_ms", disabled=locked, placeholder=t("none"),
                              help=help_for("infer_limit"))
    weight = b.selectbox(t("adv_sample_weight"), ["", *candidates], key="train_sample_weight", disabled=locked,
                         format_func=lambda v: v or label("none"), help=help_for("sample_weight"))
    holdout = c.slider(t("adv_holdout"), 0.05, 0.5, step=0.05, key="train_holdout", help=help_for("holdout"))
    seed = d.number_input(t("adv_seed"), 0, key="train_seed", help=help_for("seed"))
    a, b = st.columns(2)
    cpus = a.number_input(t("adv_cpus"), 1, key="train_num_cpus", disabled=locked, placeholder=t("all"))
    memory = b.number_input(t("adv_memory"), 0.1, key="train_memory_limit_gb", disabled=locked, placeholder=t("auto"))
    refit_for_use = st.checkbox(t("adv_refit_for_use"), key="train_refit_for_use", help=t("adv_refit_for_use_help"))

switch = {"auto": None, "on": True, "off": False}
values.update({
    "eval_metric": metric or None, "preset": preset or None, "holdout": holdout, "seed": int(seed),
    "model_families": None if set(families) == set(MODEL_FAMILIES) else families,
    "num_bag_folds": bag, "num_stack_levels": stack, "dynamic_stacking": switch[dynamic],
    "calibrate_decision_threshold": switch[calibrate], "sample_weight": weight or None,
    "infer_limit": infer_ms / 1000 if infer_ms else None, "num_cpus": cpus, "memory_limit_gb": memory,
    "refit_for_use": refit_for_use,
})
if locked:  # only the holdout, seed and refit are everyone's
    values.update({k: None for k in EXPERT_CONTROLS})
if metric and not locked:
    values["goal"] = None  # an expert's metric replaces the goal in words
if hp_text.strip():
    values["hyperparameters"] = attempt(parse_hyperparameters, hp_text)
    if values["hyperparameters"] is None:
        st.stop()

spec = RunSpec.from_dict(values)
plan = attempt(lifecycle.plan, spec, lang=ctx()["language"])
if plan is None:
    st.stop()
st.markdown(t("plan_summary", rows=num(plan["rows"]), features=len(plan["features"]),
              metric=plan["eval_metric"], holdout=f"{spec.holdout:.0%}"))
for message in plan["estimate"]["messages"]:
    st.warning(message, icon=":material/memory:")
if audience == "expert":
    with st.expander(t("plan_details")):
        st.json({"fit_kwargs": plan["fit_kwargs"], "features": plan["features"], "estimate": plan["estimate"]})
if st.button(t("launch"), type="primary", icon=":material/play_arrow:"):
    started = attempt(lifecycle.start, spec, user=ctx()["user"])
    if started:
        state.pop("train_parent_run_id", None)
        state["run_pick"] = started.run_id
        st.switch_page("pages/runs.py")
