"""Monitoring: every batch a run's model scored, and how far each sat from the training data."""

import streamlit as st

from core.reporting import charts
from core.serving import monitoring
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

st.dataframe([{t("col_scored_at"): b["scored_at"].replace("T", " "), t("col_file"): b["input_name"],
               t("col_rows"): b["rows"], t("col_by"): b["scored_by"],
               t("col_changed_columns"): ", ".join(b["drift"]["drifted_columns"]) or "—",
               t("col_rule"): b["decision_rule"]["constraint"] if b["decision_rule"] else "—"}
              for b in reversed(batches)], hide_index=True)
st.code(f"python -m core monitoring {run.run_id} --json", language="bash")
