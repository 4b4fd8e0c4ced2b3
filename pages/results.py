"""Results: the chosen model on the holdout, beside a naive baseline; pick another model or threshold."""

import streamlit as st

from core.analysis import choice, evaluation, explain, metrics
from core.reporting import charts, export, narrative
from core.training import views
from pages._ui import attempt, chart, ctx, help_for, num, pick_run, plain, suspect_banner, t, term_name

audience = ctx()["audience"]
state = st.session_state
st.title(t("page_results"))

run = pick_run("choose_run", "result_pick", empty_key="no_results", prefer=state.get("run_pick"))
run_id, kind, lang = run.run_id, run.problem_type, ctx()["language"]
suspect_banner(run)

if audience != "stakeholder":
    with st.expander(t("model_choice", model=run.chosen_model), icon=":material/how_to_reg:"):
        a, b = st.columns(2)
        max_ms = a.number_input(t("filter_speed"), min_value=0.0, value=0.0, key=f"max_ms_{run_id}")
        max_mb = b.number_input(t("filter_size"), min_value=0.0, value=0.0, key=f"max_mb_{run_id}")
        allowed = set(choice.usable_models(run, max_ms_per_1000=max_ms, max_disk_mb=max_mb))
        board = [m for m in choice.leaderboard(run) if m["model"] in allowed]  # best first
        usable = [m["model"] for m in board]
        scores = {m["model"]: m["score_test"] if m["score_test"] is not None else m["score_val"] for m in board}
        if not usable:
            st.warning(t("no_model_fits"))
        else:
            shown = {t("model_with_score", model=m, score=narrative.number(scores[m], lang))
                     if scores.get(m) is not None else m: m for m in usable}  # names with their scores
            label = st.selectbox(t("col_model"), list(shown), index=usable.index(run.chosen_model)
                                 if run.chosen_model in usable else 0, key=f"pick_model_{run_id}")
            picked = shown[label]
            reason = st.text_input(t("choice_reason"), key=f"pick_reason_{run_id}")
            if st.button(t("use_model")) and attempt(choice.choose, run_id, model=picked, reason=reason or None,
                                                     user=ctx()["user"]):
                st.rerun()
        st.caption(t("choice_by", who=run.choice["chosen_by"], reason=plain(run.choice["reason"] or "—")))

if kind == "binary":
    a, b, c, d = st.columns(4)
    threshold = a.slider(t("threshold"), 0.01, 0.99, float(run.threshold), 0.01, key=f"threshold_{run_id}",
                         help=help_for("decision_threshold"))
    value_tp = b.number_input(t("value_tp"), value=1.0, key=f"vtp_{run_id}")
    cost_fp = c.number_input(t("cost_fp"), value=1.0, min_value=0.0, key=f"cfp_{run_id}")
    cost_fn = d.number_input(t("cost_fn"), value=1.0, min_value=0.0, key=f"cfn_{run_id}")
    rep = attempt(evaluation.binary_report, run, threshold=threshold, value_tp=value_tp,
                  cost_fp=cost_fp, cost_fn=cost_fn)
    if rep is None:
        st.stop()
    st.markdown(t("binary_sentence", accuracy=f"{rep['accuracy']:.0%}", baseline=f"{rep['baseline']['accuracy']:.0%}",
                  rows=rep["rows"], positive=plain(rep["positive_class"])))
    st.info(t("best_threshold", best=narrative.number(rep["best_threshold"], lang), tuned=num(rep["tuned_rows"]),
              value=narrative.number(rep["best_value_per_1000"], lang),
              current=narrative.number(rep["value_per_1000"], lang), positive=plain(rep["positive_class"]),
              everyone=narrative.number(rep["everyone_value_per_1000"], lang),
              nobody=narrative.number(rep["nobody_value_per_1000"], lang)), icon=":material/lightbulb:")
    if audience != "stakeholder" and st.button(t("save_threshold", threshold=f"{threshold:.2f}")):
        if attempt(choice.choose, run_id, threshold=threshold, user=ctx()["user"]):
            st.toast(t("threshold_saved", threshold=f"{threshold:.2f}"))
    cm = rep["confusion"]
    pos = str(rep["positive_class"])  # the other class by its own name ("No"), not "not Yes"
    neg = next((str(c) for c in run.details.get("classes") or [] if str(c) != pos),
               t("not_positive", positive=pos))
    cells = [{"actual": pos, "predicted": pos, "count": cm["tp"]}, {"actual": pos, "predicted": neg, "count": cm["fn"]},
             {"actual": neg, "predicted": pos, "count": cm["fp"]}, {"actual": neg, "predicted": neg, "count": cm["tn"]}]
    left, right = st.columns(2)
    chart(charts.confusion_chart(cells, title=t("chart_confusion"), x_title=t("axis_predicted"),
                                 y_title=t("axis_actual")), "confusion_matrix", left,
          caption=t("confusion_caption", tp=cm["tp"], fp=cm["fp"], fn=cm["fn"], tn=cm["tn"]))
    chart(charts.value_chart(rep["threshold_table"], threshold=threshold, title=t("chart_value"),
                             y_title=t("value_axis"), x_title=t("axis_threshold")), "expected_value", right)
    left, right = st.columns(2)
    chart(charts.curve_chart(rep["roc_curve"]["fpr"], rep["roc_curve"]["tpr"], title=t("chart_roc"),
                                         x_title=t("axis_fpr"), y_title=t("axis_tpr")), "roc_curve", left)
    chart(charts.curve_chart(rep["calibration"]["mean_predicted"], rep["calibration"]["observed"],
                                          title=t("chart_calibration"), x_title=t("axis_predicted_chance"),
                                          y_title=t("axis_observed_share")), "calibration", right)
    left, right = st.columns(2)
    chart(charts.curve_chart(rep["pr_curve"]["recall"], rep["pr_curve"]["precision"],
                                         title=t("chart_pr"), x_title=t("axis_recall"),
                                         y_title=t("axis_precision"), diagonal=False), "precision_recall_curve", left)
    chart(charts.distribution_chart(
        {t("actual_is", value=pos): rep["scores"]["positive"], t("actual_is", value=neg): rep["scores"]["negative"]},
        title=t("chart_scores"), x_title=t("axis_predicted_chance"), count_title=t("axis_rows")),
          "score_distribution", right)
elif kind == "multiclass":
    rep = attempt(evaluation.multiclass_report, run)
    if rep is None:
        st.stop()
    st.markdown(t("multiclass_sentence", accuracy=f"{rep['accuracy']:.0%}", baseline=f"{rep['baseline']['accuracy']:.0%}",
                  rows=rep["rows"]))
    cells = [{"actual": a, "predicted": p, "count": rep["confusion_matrix"][i][j]}
             for i, a in enumerate(rep["labels"]) for j, p in enumerate(rep["labels"])]
    left, right = st.columns(2)
    chart(charts.confusion_chart(cells, title=t("chart_confusion"), x_title=t("axis_predicted"),
                                 y_title=t("axis_actual")), "confusion_matrix", left)
    chart(charts.bars_chart(rep["per_class"], x="class", y="recall", title=t("chart_recall_by_class"),
                            x_title=t("axis_outcome"), y_title=term_name("recall")),
          "per_class_recall", right)
    st.dataframe(rep["per_class"], hide_index=True, column_config={
        "precision": st.column_config.NumberColumn(term_name("precision"), format="%.2f", help=help_for("precision")),
        "recall": st.column_config.NumberColumn(term_name("recall"), format="%.2f", help=help_for("recall"))})
else:
    rep = attempt(evaluation.regression_report, run)
    if rep is None:
        st.stop()
    st.markdown(t("regression_sentence", mae=f"{rep['mean_absolute_error']:.3g}",
                  baseline=f"{rep['baseline']['mean_absolute_error']:.3g}", target=plain(run.target), rows=rep["rows"]))
    left, right = st.columns(2)
    chart(charts.scatter_chart(rep["points"]["actual"], rep["points"]["predicted"], title=t("chart_predicted_actual"),
                               x_title=t("axis_actual"), y_title=t("axis_predicted")), "predicted_vs_actual", left)
    chart(charts.bars_chart(rep["error_by_decile"], x="decile", y="mean_absolute_error", title=t("chart_error_decile"),
                            x_title=t("axis_decile"), y_title=term_name("mean_absolute_error")), "error_by_decile", right)
    residuals = [a - p for a, p in zip(rep["points"]["actual"], rep["points"]["predicted"])]
    chart(charts.distribution_chart({t("residual_label"): residuals}, title=t("chart_residuals"),
                                   x_title=t("axis_residual", target=run.target), bins=40, count_title=t("axis_rows")),
          "residual")

story = attempt(narrative.build, run, lang)
weak = next((sec for sec in (story or {}).get("sections", []) if sec["id"] == "weak"), None)
if weak:
    st.subheader(t("weak_heading"), anchor=False)
    st.markdown("\n".join(f"- {plain(sentence)}" for sentence in weak["sentences"]))

st.subheader(t("drivers_heading"), anchor=False, help=help_for("feature_importance"))
with st.spinner(t("drivers_working")):
    importance = attempt(evaluation.feature_importance, run)
if importance:
    st.caption(t("drivers_caption", metric=plain(term_name(run.eval_metric))))
    held = run.details.get("holdout_rows") or 0
    if importance.get("rows") and importance["rows"] < held:  # the worker sampled to stay inside the budget
        st.caption(t("drivers_sampled", rows=narrative.number(importance["rows"], ctx()["language"]),
                     held=narrative.number(held, ctx()["language"])))
    chart(charts.importance_chart(importance["features"], title=t("chart_importance"),
                                  x_title=t("axis_importance" if metrics.greater_is_better(
                                      run.eval_metric, kind) else "axis_importance_error",
                                      metric=term_name(run.eval_metric))),
          "feature_importance")

st.subheader(t("whatif_heading"), anchor=False, help=help_for("shap_value"))
st.caption(t("whatif_caption"))
holdout_n = run.details.get("holdout_rows") or 1
position = st.number_input(t("whatif_row"), 0, max(holdout_n - 1, 0), 0, key=f"whatif_row_{run_id}")
picked_row = attempt(explain.holdout_row, run, int(position))
inputs = attempt(explain.feature_inputs, run)
if picked_row and inputs:
    values = {}
    grid = st.columns(3)
    for i, spec in enumerate(inputs):
        key, current = f"whatif_{run_id}_{position}_{spec['name']}", picked_row["values"].get(spec["name"])
        with grid[i % 3]:
            if spec["kind"] == "number":
                whole = spec.get("integer")  # a year or a count is typed as 1997, not 1997.00
                typed = None if current is None else int(current) if whole else float(current)
                values[spec["name"]] = st.number_input(spec["name"], value=typed, step=1 if whole else None,
                                                       key=key, help=t("whatif_range", lo=f"{spec['min']:g}",
                                                                        hi=f"{spec['max']:g}"))
            else:
                options = spec["values"] if current is None or str(current) in spec["values"] else \
                    [str(current), *spec["values"]]
                values[spec["name"]] = st.selectbox(spec["name"], options, key=key,
                                                    index=options.index(str(current)) if current is not None else 0)
    one = attempt(explain.predict_one, run, values)
    if one:
        for warning in one["warnings"]:
            st.warning(warning, icon=":material/warning:")
        chance = one.get("probabilities", {}).get(str(one["prediction"]))
        said, actual = one["prediction"], picked_row["actual"]
        if kind == "regression":  # 78.5, not 78.51140594482422; a class label is said as it is
            said, actual = (narrative.number(float(v), lang) if v is not None else v for v in (said, actual))
        st.markdown(t("whatif_prediction", prediction=plain(said), actual=plain(actual),
                      chance="" if chance is None else t("whatif_chance", chance=f"{chance:.0%}")))
    if st.button(t("whatif_explain"), icon=":material/psychology:"):
        with st.spinner(t("whatif_working")):
            shap_result = attempt(explain.shap_values, run, values)
        if shap_result:
            chart(charts.contributions_chart(shap_result["contributions"], title=t("chart_shap"),
                                                       x_title=t("axis_shap", what=shap_result["explains"])), "shap_value")
            if kind == "regression":
                st.caption(t("shap_caption", base=f"{shap_result['base_value']:.3g}",
                             prediction=f"{shap_result['prediction']:.3g}"))
            else:  # a chance, of the class the chart explains (which may not be the predicted one)
                st.caption(t("shap_caption_class", what=plain(shap_result["explains"]),
                             base=f"{shap_result['base_value']:.0%}", prediction=f"{shap_result['prediction']:.0%}"))

if audience == "expert":
    with st.expander(t("transparency_heading"), icon=":material/visibility:"):
        details = run.details
        st.markdown(t("transparency_versions", version=details.get("autogluon_version") or "?",
                      models=len(run.models), failed=len(run.failures)))
        if run.failures:
            st.dataframe([{"model": f["model"], "reason": views.plain_reason(f, ctx()["language"]),
                           "lost_seconds": f.get("lost_seconds")}
                          for f in run.failures], hide_index=True)
        st.markdown(t("transparency_features", used=plain(", ".join(run.features_used) or "—"),
                      dropped=plain(", ".join(details.get("features_dropped") or []) or "—"),
                      excluded=plain(", ".join(run.excluded) or "—")))
        chart(charts.bars_chart([{"model": m["model"], "fit_time": m["fit_time"] or 0} for m in run.models],
                                x="model", y="fit_time", title=t("chart_time_by_model"), x_title=None,
                                y_title=t("axis_seconds"), across=True), "fit_time")
        called = (details.get("reproducibility") or {}).get("fit_kwargs") or run.fit_kwargs
        st.json({"fit_kwargs": called, "environment": run.environment}, expanded=False)
    if run.status not in ("queued", "running"):  # made when pressed: an export is an audited action
        who = ctx()["user"]  # the download runs later, outside this script run, where ctx() is not set
        st.download_button(t("export_code_button"), lambda: export.export_code(run_id, user=who)["script"],
                           file_name=f"{run_id}.py", mime="text/x-python", icon=":material/code:",
                           help=t("export_code_help"))
    st.code(f"python -m core runs evaluate {run_id} --json\npython -m core runs importance {run_id} --json\n"
            f"python -m core export-code {run_id} --output {run_id}.py", language="bash")
