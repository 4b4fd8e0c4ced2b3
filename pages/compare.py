"""Compare: runs on the same data set and target, scored on the holdout rows none of them saw."""

import json

import pandas as pd
import streamlit as st

import glossary
from core.analysis import compare
from core.reporting import narrative
from core.training import views
from pages._ui import attempt, ctx, plain, run_label, t, term_name

st.title(t("page_compare"))
st.markdown(t("compare_intro"))
finished = attempt(views.with_results) or []
labels = {r["run_id"]: f"{r['dataset_name']} → " + ("" if r["name"].startswith(r["target"]) else f"{r['target']} · ")
          + run_label(r) for r in finished}  # a run's default name already starts with its target
if len(finished) < 2:
    st.info(t("compare_need_two_next"))
    st.page_link("pages/train.py", label=t("page_train"), icon=":material/model_training:")
    st.stop()
picked = st.multiselect(t("compare_pick"), list(labels), placeholder=t("choose_options"),
                        default=compare.suggested(finished),
                        format_func=labels.get, key="compare_pick")
if len(picked) < 2:
    st.stop()


@st.cache_data(show_spinner=False, max_entries=16)
def compared(picked: tuple, records: str) -> dict:
    """The comparison is hundreds of paired resamples: kept while none of the runs' records change
    (`records` is part of the key: a new chosen model, name or suspect mark recomputes it)."""
    return compare.compare(list(picked))


records = attempt(lambda: json.dumps([views.load(r).to_json() for r in picked], sort_keys=True, default=str))
result = None if records is None else attempt(compared, tuple(picked), records)
if result is None:
    st.stop()
metric, lang = result["metric"], ctx()["language"]
best = next((r for r in result["runs"] if r["run_id"] == result["best_run_id"]), None)
if best is None:
    st.warning(t("compare_none_best"), icon=":material/warning:")
else:
    st.markdown(t("compare_sentence", rows=result["shared_holdout_rows"], metric=plain(term_name(metric)),
                  run=plain(best["name"]), value=narrative.number(best["metrics"].get(metric, float("nan")), lang)))
for m in result["margins"]:  # is the best run ahead of each other run by more than the rows' noise?
    st.markdown(t("compare_margin_" + m["verdict"], run=plain(best["name"]),
                  other=plain(m["name"]), margin=narrative.number(abs(m["margin"]), lang),
                  low=narrative.number(m["low"], lang), high=narrative.number(m["high"], lang),
                  resamples=narrative.number(m["resamples"], lang)))
if any(r["suspect"] for r in result["runs"]):
    st.error(t("suspect_banner"), icon=":material/warning:")
names = {m: term_name(m) if m in glossary.terms() else m for r in result["runs"] for m in r["metrics"]}
table = pd.DataFrame([{t("col_run"): r["name"], t("col_suspect"): t("suspect_mark") if r["suspect"] else "",
                       t("col_model"): r["model"], **{names[m]: v for m, v in r["metrics"].items()}}
                      for r in result["runs"]])
st.dataframe(table, hide_index=True, width="stretch",
             column_config={names[m]: st.column_config.NumberColumn(format="%.4g") for m in names})
st.subheader(t("compare_differences"), anchor=False)
if result["spec_differences"]:
    differences = pd.DataFrame(result["spec_differences"]).rename(columns={"setting": t("col_setting")})
    st.dataframe(differences.astype(str), hide_index=True, width="stretch")
else:
    st.caption(t("compare_same_spec"))
