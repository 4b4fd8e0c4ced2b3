"""Runs: every training run, live while it trains, with cancel and "tweak and re-run"."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
import yaml

import glossary
from core.analysis import choice, compare, explain, mitigation
from core.reporting import narrative
from core.serving import api
from core.training import lifecycle, views
from core.training.spec import MODEL_FAMILIES
from pages._ui import attempt, can, ctx, fragment, help_for, plain, run_label, suspect_banner, t, term_name

audience = ctx()["audience"]
state = st.session_state
STATUS_ICONS = {"queued": ":material/hourglass_top:", "running": ":material/sync:",
                "succeeded": ":material/check_circle:", "failed": ":material/error:",
                "cancelled": ":material/cancel:", "interrupted": ":material/warning:"}
st.title(t("page_runs"))

listed = attempt(views.list_runs)
if listed is None:
    st.stop()
if not listed:
    st.info(t("no_runs"))
    if audience != "stakeholder":
        st.page_link("pages/train.py", label=t("page_train"), icon=":material/model_training:")
    st.stop()

ANY = t("filter_any")
with st.expander(t("registry_heading"), icon=":material/table_view:"):
    st.caption(t("registry_intro"))
    a, b, c = st.columns(3)
    d, e, f = st.columns(3)

    def pick(where, label: str, values) -> str | None:
        chosen = where.selectbox(label, [ANY, *sorted({v for v in values if v is not None})])
        return None if chosen == ANY else chosen

    filters = {"dataset": pick(a, t("col_dataset"), [r["dataset_name"] for r in listed]),
               "target": pick(b, t("col_target"), [r["target"] for r in listed]),
               "author": pick(c, t("col_author"), [r["created_by"] for r in listed])}
    status = d.selectbox(t("col_status"), [ANY, *STATUS_ICONS], format_func=lambda s: s if s == ANY else t("status_" + s))
    decision = e.selectbox(t("col_decision"), [ANY, "draft", "reviewed", "approved", "rejected"],
                           format_func=lambda s: s if s == ANY else t("decision_" + s))
    suspect = f.selectbox(t("col_suspect"), [ANY, t("yes"), t("no")])
    orders = {t("registry_sort_" + o): o for o in ("newest", "score")}
    order = orders[st.radio(t("registry_sort"), list(orders), horizontal=True)]
    found = attempt(views.list_runs, **filters, status=None if status == ANY else status,
                    decision=None if decision == ANY else decision,
                    suspect=None if suspect == ANY else suspect == t("yes"), sort=order) or []
    table = st.dataframe(
        [{t("col_run"): r["name"], t("col_dataset"): r["dataset_name"], t("col_target"): r["target"],
          t("col_status"): t("status_" + r["status"]), t("col_decision"): t("decision_" + r["decision"]),
          t("col_suspect"): t("suspect_mark") if r["suspect"] else "", t("col_metric"): term_name(r["eval_metric"]),
          t("col_score"): r["score"], t("col_author"): r["created_by"], t("col_created"): r["created_at"][:16]}
         for r in found], hide_index=True, on_select="rerun", selection_mode="single-row", key="registry_table",
        column_config={t("col_score"): st.column_config.NumberColumn(format="%.4g")})
    rows = table.selection.rows if table else []
    clicked = found[rows[0]]["run_id"] if rows and rows[0] < len(found) else None
    if clicked and clicked != state.get("registry_clicked"):  # one click from the registry to the run
        state["registry_clicked"] = state["run_pick"] = clicked
    if audience == "expert" and can("delete_failed_runs"):
        with st.popover(t("delete_failed"), icon=":material/delete_sweep:"):
            st.caption(t("delete_failed_help"))
            sure = st.checkbox(t("delete_failed_confirm"))
            if st.button(t("delete_failed_button"), type="primary", disabled=not sure) and attempt(
                    lifecycle.delete_failed, confirmed=sure, user=ctx()["user"]):
                st.rerun()

ids = [r["run_id"] for r in listed]
labels = {r["run_id"]: run_label(r) for r in listed}
if "next_run_pick" in state:  # a run just started from this page
    state["run_pick"] = state.pop("next_run_pick")
if state.get("run_pick") not in ids:
    state["run_pick"] = ids[0]
run_id = st.selectbox(t("choose_run"), ids, key="run_pick", format_func=labels.get)


def form_values(run: dict) -> dict:
    """The run's spec as Train-page widget values, with this run recorded as the parent."""
    spec = run.spec
    form = {f"train_{k}": v for k, v in spec.items()
            if k not in ("hyperparameters", "infer_limit", "model_families", "parent_run_id", "keep")}
    form["train_exclude"], form["train_sensitive"] = run.excluded, run.sensitive  # defaults resolved
    form["train_model_families"] = spec["model_families"] or list(MODEL_FAMILIES)
    form["train_hyperparameters_text"] = yaml.safe_dump(spec["hyperparameters"]) if spec["hyperparameters"] else ""
    form["train_infer_limit_ms"] = spec["infer_limit"] * 1000 if spec["infer_limit"] else None
    for key in ("eval_metric", "preset", "sample_weight"):
        form[f"train_{key}"] = spec[key] or ""
    for key in ("dynamic_stacking", "calibrate_decision_threshold"):
        form[f"train_{key}"] = {None: "auto", True: "on", False: "off"}[spec[key]]
    form["train_parent_run_id"] = run.run_id
    form["train_context"] = f"{spec['dataset_id']}:{spec['target']}"  # keep these exclusions
    return form


def leaderboard(run) -> None:
    """Models best first (holdout score, then validation score); the model in use is highlighted."""
    if not run.models:
        st.caption(t("no_models_yet"))
        return
    board = pd.DataFrame(choice.leaderboard(run))[["in_use", "model", "score_val", "score_test", "fit_time",
                                                   "predict_ms_per_1000", "disk_mb", "stack_level",
                                                   "seconds_after_launch"]]
    metric = term_name(run.eval_metric)
    styled = board.style.apply(lambda row: ["background-color: rgba(84, 162, 75, 0.18)" if row["in_use"] else ""
                                            for _ in row], axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", column_config={
        "in_use": st.column_config.CheckboxColumn(t("in_use"), width="small"),
        "model": st.column_config.TextColumn(t("col_model"), help=help_for("model")),
        "score_val": st.column_config.NumberColumn(t("col_score_val", metric=metric), format="%.4g",
                                                   help=help_for("validation_score")),
        "score_test": st.column_config.NumberColumn(t("col_score_test", metric=metric), format="%.4g",
                                                    help=help_for("test_score")),
        "fit_time": st.column_config.NumberColumn(t("col_fit_time"), format="%.2f s", help=help_for("fit_time")),
        "predict_ms_per_1000": st.column_config.NumberColumn(t("col_predict_1000"), format="%.1f ms",
                                                             help=help_for("predict_time")),
        "disk_mb": st.column_config.NumberColumn(t("col_disk"), format="%.2f MB"),
        "stack_level": st.column_config.NumberColumn(t("col_stack_level"), help=help_for("stacking")),
        "seconds_after_launch": st.column_config.NumberColumn(t("col_after_launch"), format="%.1f s"),
    })


@fragment(run_every=1.0)
def live(run_id: str) -> None:
    """Polls the run once a second while it trains; other pages and users are not blocked."""
    run = attempt(views.load, run_id)
    if run is None:
        return
    if not active(run):
        st.rerun()  # it ended and its worker reported everything: draw the full result once
    if run.ended:  # the model is chosen; every other model is being scored and the result checked
        st.progress(1.0, text=t("finishing"))
    else:
        st.markdown(f"**{t('status_' + run.status)}** · {plain(run.sentence(ctx()['language']))}")
        elapsed = run.elapsed_seconds or 0
        st.progress(min(1.0, elapsed / run.time_limit),
                    text=t("elapsed", elapsed=f"{elapsed:.0f}", limit=f"{run.time_limit:.0f}"))
    leaderboard(run)


def active(run) -> bool:
    """Training, queued, or finished but its worker still reporting (holdout scores, checks)."""
    return not run.ended or bool(run.executor_handle)


run = attempt(views.load, run_id)
if run is None:
    st.stop()
st.subheader(plain(run.name), anchor=False)
if audience != "stakeholder":  # next to the name it changes
    with st.popover(t("rename_run"), icon=":material/edit:"):
        new_name = st.text_input(t("rename_run"), value=run.name, key=f"run_name_{run_id}")
        if st.button(t("rename_run_button"), key=f"rename_run_{run_id}") and attempt(
                lifecycle.rename, run_id, new_name, user=ctx()["user"]):
            st.rerun()
st.caption(plain(run.problem_in(ctx()["language"]) or ""))
suspect_banner(run)
place = run.details.get("placement") or {}
if place and audience != "stakeholder":  # where it trains: this machine, or which Ray node
    st.caption(plain(t(f"placed_{place['executor']}", **{k: place.get(k, "?") for k in ("hostname", "node_ip", "cpus")})))
if run.details.get("placement_warning"):
    reason = glossary.stored(run.details["placement_warning"], ctx()["language"])
    st.warning(plain(t("placement_fallback", reason=reason)), icon=":material/cloud_off:")

if active(run):
    live(run_id)
    if not run.ended and audience != "stakeholder" and st.button(t("cancel_run"), icon=":material/stop_circle:"):
        if attempt(lifecycle.cancel, run_id, user=ctx()["user"]):
            st.rerun()
else:
    icon = STATUS_ICONS[run.status]
    box = st.success if run.status == "succeeded" else st.warning if run.status == "cancelled" else st.error
    box(f"**{t('status_' + run.status)}**: {plain(run.sentence(ctx()['language']))}", icon=icon)
    score = run.holdout_metrics.get(run.eval_metric)
    if score is not None:
        st.metric(t("holdout_metric", metric=plain(term_name(run.eval_metric))),
                  narrative.number(score, ctx()["language"]), help=help_for(run.eval_metric))
    use = run.details.get("model_for_use") or {}
    if use.get("done"):
        st.caption(t("refit_for_use_done", rows=narrative.number(use["rows"], ctx()["language"])))
    elif use.get("reason") == "no_time":
        st.caption(t("refit_for_use_no_time", seconds=use["seconds_needed"]))
    if run.failures:
        st.markdown(f"**{t('failures_heading')}**")
        for f in run.failures:
            st.markdown(f"- {t('failure_line', model=f['model'], reason=views.plain_reason(f, ctx()['language']))}")
    if audience == "stakeholder":
        with st.expander(t("models_tried")):
            leaderboard(run)
    else:
        leaderboard(run)
        if run.holdout_metrics:
            with st.expander(t("all_holdout_metrics")):
                st.dataframe(pd.DataFrame([{t("col_metric"): term_name(k) if k in glossary.terms() else k,
                                            t("col_value"): v} for k, v in run.holdout_metrics.items()]),
                             hide_index=True, column_config={t("col_value"): st.column_config.NumberColumn(
                                 format="%.4g")})
    if run.excluded or run.sensitive:
        st.caption(t("run_columns", excluded=plain(", ".join(run.excluded) or "—"),
                     sensitive=plain(", ".join(run.sensitive) or "—")))

family = attempt(views.lineage, run_id) or {}
said = []
if family.get("rerun_of"):
    said.append(t("lineage_rerun_of", run=labels.get(family["rerun_of"], family["rerun_of"])))
if family.get("parent_run_id"):
    said.append(t("lineage_tweak_of", run=labels.get(family["parent_run_id"], family["parent_run_id"])))
if family.get("reruns"):
    said.append(t("lineage_reruns", n=len(family["reruns"])))
if family.get("tweaks"):
    said.append(t("lineage_tweaks", n=len(family["tweaks"])))
if said:
    st.caption(plain(" ".join(said)))
if run.rerun_of and run.ended:
    diff = attempt(compare.rerun_differences, run_id)
    if diff:
        st.markdown(t("rerun_same") if diff["identical_metrics"] else t("rerun_differs"))
        st.dataframe([{t("col_metric"): term_name(m["metric"]) if m["metric"] in glossary.terms() else m["metric"],
                       t("rerun_original"): m["original"], t("rerun_this"): m["rerun"],
                       t("rerun_difference"): m["difference"]} for m in diff["metrics"]], hide_index=True,
                     column_config={k: st.column_config.NumberColumn(format="%.4g")
                                    for k in (t("rerun_original"), t("rerun_this"), t("rerun_difference"))})
        if diff["setup_changes"]:
            st.caption(plain(t("rerun_setup_changed", what=", ".join(
                f"{c['what']} {c['original']} → {c['rerun']}" for c in diff["setup_changes"]))))

if run.has_model and run.ended and audience != "stakeholder" and can("serve"):
    with st.expander(t("serve_heading"), icon=":material/rocket_launch:"):
        st.markdown(t("serve_intro"))
        st.page_link("pages/score.py", label=t("page_score"), icon=":material/bolt:")
        st.code(f"python -m core serve {run_id} --port 8000", language="bash")
        example = attempt(explain.holdout_row, run, 0)
        if example:
            record = json.dumps([{k: v for k, v in example["values"].items()}], default=str)
            st.code("curl -s -X POST http://127.0.0.1:8000/predict -H 'Content-Type: application/json' \\\n"
                    f"     -d '{record}'", language="bash")
        st.caption(t("serve_token_help"))

        who = ctx()["user"]  # zipped() runs when the button is pressed, outside this script run

        def zipped() -> bytes:
            with tempfile.TemporaryDirectory() as tmp:
                made = api.bundle(run_id, output=Path(tmp) / "bundle.zip", user=who)
                return Path(made["output"]).read_bytes()

        if run.problem_type == "binary" and attempt(mitigation.adopted, run_id):
            st.caption(t("bundle_no_rule"))
        else:
            st.download_button(t("bundle_button"), zipped, file_name=f"{run_id}_bundle.zip", mime="application/zip",
                               icon=":material/package_2:", help=t("bundle_help"))
        st.code(f"python -m core bundle {run_id} --output {run_id}_bundle.zip", language="bash")

if audience != "stakeholder":
    again, tweak = st.columns(2)
    if again.button(t("rerun_button"), icon=":material/replay:", help=t("rerun_help")):
        started = attempt(lifecycle.rerun, run_id, user=ctx()["user"])
        if started:
            state["next_run_pick"] = started.run_id
            st.rerun()
    if tweak.button(t("tweak_rerun"), icon=":material/restart_alt:"):
        state["tweak_form"] = form_values(run)
        st.switch_page("pages/train.py")
if audience == "expert":
    with st.expander(t("run_details")):
        record = run.to_json()
        st.json({k: record[k] for k in ("run_id", "fit_kwargs", "features", "details", "environment",
                                        "run_dir", "parent_run_id", "created_by", "created_at")})
        st.code(f"python -m core runs show {run_id} --json", language="bash")
    with st.expander(t("estimate_vs_actual")):
        st.caption(t("estimate_vs_actual_help"))
        st.dataframe([{t("measure"): t("measure_" + r["measure"]), t("estimated"): r["estimated"],
                       t("actual"): r["actual"]} for r in views.estimate_vs_actual(run)], hide_index=True)
