"""Score: new rows in, the model's predictions out, with what changed since training."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core.serving import monitoring, scoring
from pages._ui import attempt, ctx, pick_run, plain, suspect_banner, t, term_link, term_name

lang, user = ctx()["language"], ctx()["user"]
st.title(t("page_score"))
st.caption(t("score_intro"))

run = pick_run("score_pick", "score_pick", empty_key="score_none", prefer=st.query_params.get("run"))
st.query_params["run"] = run.run_id
suspect_banner(run)
with st.expander(t("score_needs", n=len(run.features_used)), icon=":material/view_column:"):
    st.markdown(plain(", ".join(f"`{c}`" for c in run.features_used)))
    st.caption(t("score_needs_help"))

with st.form("score_form", clear_on_submit=True, border=False):
    uploaded = st.file_uploader(t("score_file"), type=["csv", "tsv", "txt", "parquet", "xlsx"])
    go = st.form_submit_button(t("score_button"), type="primary", icon=":material/bolt:")
if go and uploaded is None:
    st.warning(t("score_no_file"), icon=":material/upload_file:")
if go and uploaded is not None:
    with tempfile.TemporaryDirectory() as tmp, st.spinner(t("score_working")):
        path = Path(tmp) / Path(uploaded.name).name
        path.write_bytes(uploaded.getvalue())
        if attempt(scoring.score, run.run_id, input_path=path, user=user, lang=lang):
            st.rerun()

batches = attempt(monitoring.batches, run.run_id, lang=lang) or []
if not batches:
    st.info(t("score_none_yet"), icon=":material/info:")
    st.stop()
latest = batches[-1]
found = latest["drift"]
st.subheader(t("score_latest"))
rule = latest["decision_rule"]
st.markdown(plain(t("score_done", rows=f"{latest['rows']:,}", file=latest["input_name"], who=latest["scored_by"],
                    when=latest["scored_at"].replace("T", " "))
                  + " " + (t("score_with_rule", column=rule["sensitive"]) if rule else t("score_with_threshold"))))
changed = [c for c in found["columns"] if c["alert"]["id"] != "drift_none"]
if changed:
    st.warning("\n".join(f"- {plain(c['message'])}" for c in changed), icon=":material/trending_up:")
else:
    st.success(t("score_no_drift"), icon=":material/check_circle:")
if "prediction" in found and found["prediction"]["alert"]["id"] != "drift_prediction_none":
    st.warning(plain(found["prediction"]["message"]), icon=":material/insights:")
term_link("drift")

output = Path(latest["output"]) if latest["output"] else None
if output and output.exists():
    preview = pd.read_csv(output, nrows=200)
    st.dataframe(preview, hide_index=True, height=260)
    st.download_button(t("score_download"), output.read_bytes(), file_name=output.name, mime="text/csv",
                       icon=":material/download:", type="primary")
else:
    st.caption(t("score_output_gone"))

with st.expander(t("score_columns"), icon=":material/table_rows:"):
    st.dataframe([{t("col_column"): c["column"], t("col_test"): t("drift_method_" + c["method"]),
                   t("col_statistic"): c["statistic"], t("col_threshold"): c["threshold"],
                   t("col_changed"): t("yes") if c["drifted"] else t("no"),
                   term_name("population_stability_index"): c["psi"]} for c in found["columns"]],
                 hide_index=True, column_config={k: st.column_config.NumberColumn(format="%.3g") for k in (
                     t("col_statistic"), t("col_threshold"), term_name("population_stability_index"))})
    st.caption(t("score_columns_help"))
    term_link("population_stability_index")
st.code(f"python -m core score {run.run_id} --input new_rows.csv --output scored.csv --json", language="bash")
st.page_link("pages/monitoring.py", label=t("page_monitoring"), icon=":material/monitor_heart:")
