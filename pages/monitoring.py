"""Monitoring: every batch a run's model scored, and how far each sat from the training data."""

import tempfile
from pathlib import Path

import streamlit as st

from core.reporting import charts, narrative
from core.serving import monitoring, outcomes
from pages._ui import attempt, chart, ctx, pick_run, plain, t, term_name

lang = ctx()["language"]
st.title(t("page_monitoring"))
st.caption(t("monitoring_intro"))

run = pick_run("monitoring_pick", "monitoring_pick", empty_key="score_none", prefer=st.query_params.get("run"))
st.query_params["run"] = run.run_id
batches = attempt(monitoring.batches, run.run_id, lang=lang) or []
if not batches:
    st.info(t("monitoring_none"), icon=":material/info:")
    st.page_link("pages/score.py", label=t("page_score"), icon=":material/bolt:")
    st.stop()

latest = batches[-1]
changed = [c for c in latest["drift"]["columns"] if c["alert"]["id"] != "drift_none"]
rows = sum(b["rows"] for b in batches)
st.markdown(plain(t("monitoring_summary" if len(batches) > 1 else "monitoring_summary_one", n=len(batches), rows=f"{rows:,}", since=batches[0]["scored_at"][:10],
                    changed=len(changed), columns=len(latest["drift"]["columns"]))))
if changed:
    st.warning("\n".join(f"- {plain(c['message'])}" for c in changed), icon=":material/trending_up:")

points = [{"when": b["scored_at"], "column": c["column"], "psi": c["psi"]} for b in batches
          for c in b["drift"]["columns"]]
chart(charts.psi_chart(points, title=t("chart_psi_over_time"), x_title=t("axis_scored_at"),
                       y_title=term_name("population_stability_index")), "population_stability_index",
      caption=t("psi_chart_caption"))

st.subheader(t("outcomes_heading"))
known = attempt(outcomes.history, run.run_id) or []
if known:
    main = "mean_absolute_error" if run.problem_type == "regression" else "accuracy"
    last = known[-1]
    st.markdown(plain(t("outcomes_summary", n=len(known), rows=f"{sum(k['rows_matched'] for k in known):,}",
                        metric=term_name(main), value=narrative.number(last["metrics"][main], lang),
                        holdout=narrative.number(last["metrics"]["holdout"], lang)
                        if last["metrics"]["holdout"] is not None else "?")))
    series = [{"when": k["scored_at"], "series": t("outcomes_real"), "value": k["metrics"][main]} for k in known]
    series += [{"when": k["scored_at"], "series": t("outcomes_holdout"), "value": k["metrics"]["holdout"]}
               for k in known if k["metrics"]["holdout"] is not None]
    series += [{"when": k["scored_at"], "series": t("outcomes_gap", column=g["column"]), "value": g["gap"]}
               for k in known for g in k["fairness"] if g["gap"] is not None]
    chart(charts.over_time_chart(series, title=t("chart_outcomes_over_time"), x_title=t("axis_scored_at"),
                                 y_title=term_name(main)), main, caption=t("outcomes_chart_caption"))
else:
    st.caption(t("outcomes_none"))
if ctx()["audience"] != "stakeholder":
    with st.form("outcomes_form", clear_on_submit=True, border=False):
        a, b = st.columns([3, 1])
        truth = a.file_uploader(t("outcomes_file"), type=["csv", "tsv", "txt", "parquet", "xlsx"])
        id_column = b.text_input(t("outcomes_id"), placeholder="id")
        sent = st.form_submit_button(t("outcomes_button"), icon=":material/fact_check:")
    if sent and truth is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(truth.name).name
            path.write_bytes(truth.getvalue())
            if attempt(outcomes.add, run.run_id, input_path=path, id_column=id_column.strip(), user=ctx()["user"]):
                st.rerun()

st.subheader(t("batches_heading"))
st.dataframe([{t("col_scored_at"): b["scored_at"].replace("T", " "), t("col_file"): b["input_name"],
               t("col_rows"): b["rows"], t("col_by"): b["scored_by"],
               t("col_changed_columns"): ", ".join(b["drift"]["drifted_columns"]) or "—",
               t("col_rule"): b["decision_rule"]["constraint"] if b["decision_rule"] else "—"}
              for b in reversed(batches)], hide_index=True)
st.code(f"python -m core monitoring {run.run_id} --json", language="bash")
