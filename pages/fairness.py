"""Fairness: does the model treat groups of people alike? Fairlearn group metrics with intervals."""

import streamlit as st

from core.analysis import fairness, mitigation
from core.reporting import charts, narrative
from pages._ui import attempt, can, chart, ctx, help_for, pick_run, plain, suspect_banner, t, term_link, term_name

lang, user, audience = ctx()["language"], ctx()["user"], ctx()["audience"]
st.title(t("page_fairness"))
st.caption(t("fairness_intro"))

run = pick_run("fairness_pick", "fairness_pick", empty_key="fairness_none", prefer=st.query_params.get("run"))
st.query_params["run"] = run.run_id
suspect_banner(run)
analysis = attempt(fairness.latest, run.run_id)
MAIN = fairness.MAIN[run.problem_type]
METRICS = {"binary": ["selection_rate", "true_positive_rate", "false_positive_rate", "accuracy"],
           "multiclass": ["accuracy"],
           "regression": ["mean_absolute_error", "mean_prediction", "mean_actual"]}[run.problem_type]
RATES = run.problem_type != "regression"
TERM = {"demographic_parity": "demographic_parity", "equalized_odds": "equalized_odds",  # constraint -> glossary
        "true_positive_rate_parity": "equal_opportunity"}


def shown(value, low=None, high=None) -> str:
    """A figure as people read it (points out of 100 for rates), with its interval when known."""
    if value is None:
        return "—"
    def fmt(x):
        return f"{100 * x:.0f}" if RATES else narrative.number(x, lang)
    if low is None or high is None:
        return fmt(value)
    return f"{fmt(value)} ({fmt(low)}–{fmt(high)})"


columns = sorted((set(run.features) | set(run.excluded) | set(run.sensitive)) - {run.target})
with st.form("fairness_form", border=False) if can("check_fairness") else st.container():
    default = [c for c in ((analysis or {}).get("sensitive") or run.sensitive) if c in columns]
    chosen = st.multiselect(t("fairness_columns"), columns, default=default, placeholder=t("choose_options"),
                            help=help_for("sensitive_feature"))
    used = {c: e for c, e in ((analysis or {}).get("edges") or {}).items() if c in default}
    typed = {c: st.text_input(t("fairness_bands", column=c), ", ".join(f"{x:g}" for x in e),
                              help=t("fairness_bands_help")) for c, e in used.items()}
    go = can("check_fairness") and st.form_submit_button(t("fairness_check"), type="primary", icon=":material/balance:")


def check():
    edges = {c: fairness.parse_edges(c, text) for c, text in typed.items() if c in chosen}
    return fairness.analyse(run.run_id, sensitive=chosen, edges=edges, user=user)


if go:
    with st.spinner(t("fairness_working")):
        if attempt(check):
            st.rerun()

if not analysis:
    st.info(t("fairness_not_yet"), icon=":material/info:")
    st.stop()

st.subheader(t("fairness_findings"))
st.markdown("\n".join(f"- {plain(s)}" for s in narrative.fairness_sentences(analysis, lang)))
made = {"who": analysis["created_by"], "when": analysis["created_at"].replace("T", " "),
        "rows": narrative.number(analysis["rows"], lang)}
st.caption(plain(t("fairness_made_plain", **made) if audience == "stakeholder"  # model ids are for the others
                 else t("fairness_made", model=analysis["model"], **made)))
term_link("confidence_interval")

summaries = analysis["by_feature"]
for summary in summaries:
    cols = summary["features"]
    if len(cols) > 1:
        continue
    feature = cols[0]
    st.subheader(t("fairness_by", feature=feature))
    rows = [r for r in analysis["by_group"] if r["features"] == cols]
    measures = summary["measures"]
    if run.problem_type == "binary":
        a, b, c = st.columns(3)
        a.metric(term_name("demographic_parity"), shown(measures["demographic_parity_difference"]),
                 help=help_for("demographic_parity"))
        b.metric(term_name("equalized_odds"), shown(measures["equalized_odds_difference"]),
                 help=help_for("equalized_odds"))
        c.metric(term_name("equal_opportunity"), shown(measures["equal_opportunity_difference"]),
                 help=help_for("equal_opportunity"))
        st.caption(t("fairness_measures_caption"))
    bars = [{"group": r["group"][feature] + (f" ({t('fairness_reference')})" if r["reference"] else ""),
             "value": r[MAIN], "low": (r["intervals"].get(MAIN) or [None, None])[0],
             "high": (r["intervals"].get(MAIN) or [None, None])[1], "reference": r["reference"]}
            for r in rows if r[MAIN] is not None]
    chart(charts.group_chart(bars, title=t("chart_fairness_groups", metric=term_name(MAIN), feature=feature),
                             x_title=t("axis_per_100") if RATES else term_name(MAIN), percent=RATES), MAIN,
          caption=t("fairness_chart_caption"))
    table = []
    for r in rows:
        line = {t("col_group"): r["group"][feature], t("col_rows"): int(round(r["count"]))}
        for m in METRICS:
            low, high = r["intervals"].get(m, [None, None])
            line[term_name(m)] = shown(r[m], low, high)
        diff = r["difference"].get(MAIN)
        line[t("col_vs_reference")] = "—" if r["reference"] else shown(diff, *r["difference_interval"].get(MAIN, []))
        line[t("col_note")] = t("fairness_warning_" + r["warning"]) if r["warning"] else ""
        table.append(line)
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={t("col_note"): st.column_config.TextColumn(width="large")})

pairs = [s for s in summaries if len(s["features"]) > 1]
if pairs:
    with st.expander(t("fairness_intersections")):
        for summary in pairs:
            cols = summary["features"]
            st.markdown(f"**{plain(' × '.join(cols))}**")
            st.dataframe([{t("col_group"): " · ".join(r["group"][c] for c in cols), t("col_rows"): r["count"],
                           term_name(MAIN): shown(r[MAIN], *r["intervals"].get(MAIN, [None, None])),
                           t("col_note"): t("fairness_warning_" + r["warning"]) if r["warning"] else ""}
                          for r in analysis["by_group"] if r["features"] == cols], hide_index=True)

in_use = attempt(mitigation.adopted, run.run_id) if run.problem_type == "binary" else None
if run.problem_type == "binary" and audience != "stakeholder" and can("try_fairer_rule"):
    with st.expander(t("mitigation_heading"), icon=":material/tune:"):
        st.caption(t("mitigation_intro"))
        with st.form("mitigation_form", border=False):
            a, b = st.columns(2)
            column = a.selectbox(t("mitigation_column"), analysis["sensitive"])
            named = {t("constraint_" + c): c for c in mitigation.CONSTRAINTS}
            constraint = named[b.selectbox(t("mitigation_constraint"), list(named), help=help_for("demographic_parity"))]
            if st.form_submit_button(t("mitigation_try")):
                with st.spinner(t("fairness_working")):
                    if attempt(mitigation.mitigate, run.run_id, sensitive=column, constraint=constraint, user=user):
                        st.rerun()
        tried = attempt(fairness.latest, run.run_id, "mitigation")
        if tried:
            before, after = tried["before"], tried["after"]
            gap = tried["gap"]  # the measure this constraint narrows
            st.markdown(plain(t("mitigation_result", column=tried["sensitive"],
                                constraint=t("constraint_" + tried["constraint"]),
                                gap_before=shown(before[gap]), gap_after=shown(after[gap]),
                                acc_before=shown(before["accuracy"]), acc_after=shown(after["accuracy"]),
                                rows=tried["fitted_rows"], source=t("tuned_on_" + tried["fitted_on"]))))
            term = TERM[tried["constraint"]]
            points = [{"rule": t("mitigation_before"), "accuracy": before["accuracy"], "gap": before[gap]},
                      {"rule": t("mitigation_after"), "accuracy": after["accuracy"], "gap": after[gap]}]
            chart(charts.tradeoff_chart(points, title=t("chart_fairness_tradeoff"), x_title=t("axis_gap_points"),
                                        y_title=term_name("accuracy")), term,
                  caption=t("mitigation_chart_caption"))
            st.dataframe([{t("col_group"): g["group"], t("col_rows"): g["rows"],
                           t("mitigation_selection_before"): shown(g["before"]["selection_rate"]),
                           t("mitigation_selection_after"): shown(g["after"]["selection_rate"]),
                           t("mitigation_found_before"): shown(g["before"]["true_positive_rate"]),
                           t("mitigation_found_after"): shown(g["after"]["true_positive_rate"])}
                          for g in tried["groups"]], hide_index=True)
            st.caption(t("mitigation_caveat"))
            if audience == "expert":
                st.dataframe([{t("col_group"): g, **step}
                              for g, step in (tried.get("rule") or {}).get("groups", {}).items()], hide_index=True)
            if tried.get("changed_decisions") == 0:
                st.info(t("mitigation_no_change", column=tried["sensitive"]), icon=":material/info:")
            elif after[gap] >= before[gap]:
                st.warning(t("mitigation_no_better"), icon=":material/warning:")
            adoptable = "rule" in tried and tried.get("changed_decisions") != 0
            if adoptable and not (in_use and in_use["analysis_id"] == tried["analysis_id"]):
                st.warning(t("adopt_warning", column=tried["sensitive"]), icon=":material/warning:")
                with st.form("adopt_form", border=False):
                    why = st.text_input(t("adopt_reason"), placeholder=t("adopt_reason_hint"))
                    if st.form_submit_button(t("adopt_button"), icon=":material/gavel:"):
                        if attempt(mitigation.adopt, run.run_id, analysis_id=tried["analysis_id"], reason=why,
                                   user=user):
                            st.rerun()

if in_use:
    st.info(plain(t("adopted_rule", column=in_use["sensitive"], constraint=t("constraint_" + in_use["constraint"]),
                    who=in_use["adopted_by"], when=in_use["adopted_at"].replace("T", " "), reason=in_use["reason"])),
            icon=":material/gavel:")
    if audience != "stakeholder" and can("adopt_rule"):
        with st.form("withdraw_form", border=False):
            why = st.text_input(t("withdraw_reason"), placeholder=t("adopt_reason_hint"))
            if st.form_submit_button(t("withdraw_button"), icon=":material/undo:"):
                if attempt(mitigation.withdraw, run.run_id, reason=why, user=user):
                    st.rerun()

if audience == "expert":
    with st.expander(t("fairness_how")):
        st.markdown(t("fairness_how_text", resamples=analysis["resamples"]))
        st.json({k: analysis.get(k) for k in ("analysis_id", "sensitive", "source", "reference", "edges",
                                              "resamples", "threshold", "overall")})
        sensitive = " ".join(analysis["sensitive"])
        st.code(f"python -m core fairness {run.run_id} --sensitive {sensitive} --json", language="bash")
