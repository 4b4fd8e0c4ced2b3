"""Compare: runs on the same data set and target, scored on the holdout rows none of them saw."""

import pandas as pd
import streamlit as st

from core.analysis import compare
from core.training import views
from pages._ui import attempt, plain, t, term_name

st.title(t("page_compare"))
st.markdown(t("compare_intro"))
finished = attempt(views.with_results) or []
labels = {r["run_id"]: f"{r['dataset_name']} → {r['target']} · {r['quality']} · {r['run_id']}" for r in finished}
if len(finished) < 2:
    st.info(t("compare_need_two"))
    st.stop()
picked = st.multiselect(t("compare_pick"), list(labels), placeholder=t("choose_options"),
                        default=compare.suggested(finished),
                        format_func=labels.get, key="compare_pick")
if len(picked) < 2:
    st.stop()
result = attempt(compare.compare, picked)
if result is None:
    st.stop()
metric = result["metric"]
best = next(r for r in result["runs"] if r["run_id"] == result["best_run_id"])
st.markdown(t("compare_sentence", rows=result["shared_holdout_rows"], metric=plain(term_name(metric)),
              run=best["run_id"], value=f"{best['metrics'].get(metric, float('nan')):.3g}"))
table = pd.DataFrame([{"run": r["run_id"], "model": r["model"], "quality": r["quality"],
                       "time_limit": r["time_limit"], **r["metrics"]} for r in result["runs"]])
st.dataframe(table, hide_index=True, width="stretch")
st.subheader(t("compare_differences"), anchor=False)
if result["spec_differences"]:
    st.dataframe(pd.DataFrame(result["spec_differences"]).astype(str), hide_index=True, width="stretch")
else:
    st.caption(t("compare_same_spec"))
