"""Summary: one finished run in plain words for the people who decide, with its discussion and decision."""

import streamlit as st

from core.analysis import evaluation
from core.governance import decisions
from core.reporting import charts, narrative, render, report
from pages._ui import attempt, can, chart, ctx, pick_run, plain, suspect_banner, t, term_link

lang, user, audience = ctx()["language"], ctx()["user"], ctx()["audience"]
state = st.session_state
st.title(t("page_summary"))

run = pick_run("summary_pick", "summary_pick", empty_key="summary_none", prefer=st.query_params.get("run"))
run_id = run.run_id
st.query_params["run"] = run_id  # one address per run, to share in an e-mail
with st.spinner():
    story = attempt(narrative.build, run, lang)
if not story:
    st.stop()
v, kind = story["values"], story["problem_type"]
sections = {s["id"]: s for s in story["sections"]}


def say(section: str, where=st) -> None:
    where.subheader(sections[section]["title"])
    where.markdown(plain(" ".join(sections[section]["sentences"])))


st.markdown(f"#### {plain(t('summary_heading', target=narrative.quoted(run.target), dataset=run.dataset_name))}")
st.caption(plain(t("summary_trained", who=run.created_by, when=run.created_at[:10])))
st.markdown(f"### {plain(story['headline'])}")
suspect_banner(run)


def card_file(fmt: str):
    """The report, made when the button is pressed (a failure becomes the file's one line)."""
    def make() -> str:
        try:
            return render.render(run_id, fmt=fmt, lang=lang)
        except Exception as exc:  # noqa: BLE001 - shown in the file, never as a trace
            return getattr(exc, "text", lambda _lang: str(exc))(lang)
    return make


downloads = st.container(horizontal=True)
downloads.download_button(t("report_download_html"), card_file("html"), file_name=f"{run_id}_report_{lang}.html",
                          mime="text/html", icon=":material/description:", help=t("report_download_help"))
downloads.download_button(t("report_download_md"), card_file("md"), file_name=f"{run_id}_report_{lang}.md",
                          mime="text/markdown", icon=":material/article:")

say("what")
st.subheader(sections["how_good"]["title"])
shown_first = 1 if story["headline"] == sections["how_good"]["sentences"][0] else 0  # the headline, unless suspect
st.markdown("\n".join(f"- {plain(s)}" for s in sections["how_good"]["sentences"][shown_first:]))
left, right = st.columns(2)
if kind == "regression":
    rows = [{"label": t("label_the_model"), "value": v["mae"]},
            {"label": t("label_always_average"), "value": v["baseline_mae"]}]
    chart(charts.compare_chart(rows, title=t("chart_typical_error"), fmt=",.3~g",
                               x_title=t("axis_typical_error", target=run.target)),
          "mean_absolute_error", left, caption=t("typical_error_caption"))
    rep = attempt(evaluation.regression_report, run)
    if rep:
        chart(charts.scatter_chart(rep["points"]["actual"], rep["points"]["predicted"], title=t("chart_predicted_actual"),
                                   x_title=t("axis_actual"), y_title=t("axis_predicted")),
              "predicted_vs_actual", right, caption=t("predicted_actual_caption"))
else:
    rows = [{"label": t("label_the_model"), "value": v["accuracy_per_100"]},
            {"label": t("label_always_guess", label=narrative.quoted(v["majority_label"])),
             "value": v["baseline_accuracy_per_100"]}]
    chart(charts.compare_chart(rows, title=t("chart_right_per_100"), x_title=t("axis_out_of_100")),
          "baseline", left, caption=t("right_per_100_caption"))
    if kind == "binary":
        pos, neg = narrative.quoted(v["positive_label"]), narrative.quoted(v["negative_label"])
        o = v["outcomes_per_100"]
        counts = {t("outcome_found", label=pos): o["tp"], t("outcome_missed", label=pos): o["fn"],
                  t("outcome_false_alarm", label=neg): o["fp"], t("outcome_left_alone", label=neg): o["tn"]}
        chart(charts.waffle_chart(counts, title=t("chart_outcomes_100"),
                                  colors=["#54a24b", "#f58518", "#e45756", "#d8d8d8"]),
              "natural_frequency", right, caption=t("outcomes_caption"))
    else:
        rows = [{"label": narrative.quoted(c), "value": n} for c, n in v["class_recall_per_100"].items()]
        chart(charts.compare_chart(rows, title=t("chart_class_found"), x_title=t("axis_out_of_100"),
                                   against_baseline=False),
              "per_class_recall", right, caption=t("class_found_caption"))

st.subheader(sections["weak"]["title"])
st.markdown("\n".join(f"- {plain(s)}" for s in sections["weak"]["sentences"]))

say("drivers")
if v["reliance"]:
    chart(charts.reliance_chart(v["reliance"], title=t("chart_reliance"), x_title=t("axis_reliance")),
          "feature_importance", caption=t("reliance_caption"))

st.subheader(sections["fairness"]["title"])
st.info(plain(" ".join(sections["fairness"]["sentences"])), icon=":material/balance:")
term_link("sensitive_feature")
if sections["caveats"]["sentences"]:
    st.subheader(sections["caveats"]["title"])
    st.warning("\n".join(f"- {plain(s)}" for s in sections["caveats"]["sentences"]), icon=":material/info:")
if audience != "stakeholder":
    st.page_link("pages/results.py", label=t("summary_details"), icon=":material/insights:")

if can("edit_report"):
    with st.expander(t("report_edit_heading"), icon=":material/edit_note:"):
        st.caption(t("report_edit_intro"))
        card = attempt(report.build, run_id, lang)
        if card:
            by_title = {sec["title"]: sec for sec in card["sections"]}
            sec = by_title[st.selectbox(t("report_section"), list(by_title), key=f"report_section_{run_id}_{lang}")]
            if sec["edited"]:
                e = sec["edited"]
                st.caption(plain(t("report_edited_by", who=e["edited_by"], when=e["edited_at"].replace("T", " "))))
            if sec["generated_changed"]:
                st.warning(t("report_generated_changed"), icon=":material/update:")
            version = (sec["edited"] or {}).get("version", 0)
            with st.form(f"report_form_{run_id}_{lang}_{sec['id']}_{version}", border=False):
                typed = st.text_area(t("report_text"), sec["text"], height=200, help=t("report_text_help"),
                                     key=f"report_text_{run_id}_{lang}_{sec['id']}_{version}")
                row = st.container(horizontal=True)
                save = row.form_submit_button(t("report_save"), type="primary")
                back = row.form_submit_button(t("report_back_to_generated"), disabled=not sec["edited"])
            if save and attempt(report.edit, run_id, sec["id"], typed, lang=lang, user=user):
                st.rerun()
            if back and attempt(report.reset, run_id, sec["id"], lang=lang, user=user):
                st.rerun()
            history = attempt(report.versions, run_id, sec["id"], lang=lang) or []
            for h in history[:5]:
                label = t("report_version", n=h["version"], who=h["edited_by"], when=h["edited_at"].replace("T", " "))
                st.caption(plain(label))
                st.code("\n".join(h["diff"]) if h["text"] is not None else t("report_version_reset"), language="diff")

st.divider()
st.subheader(t("decision_heading"))
thread = attempt(decisions.thread, run_id)
if thread:
    st.markdown(f"**{plain(t('decision_now', status=t('decision_' + thread['decision'])))}**")
    if thread["decided_by"]:
        st.caption(plain(t("decision_by", who=thread["decided_by"], when=thread["decided_at"].replace("T", " "))))
    term_link("decision_status")
    if not thread["comments"]:
        st.caption(t("no_comments"))
    for c in thread["comments"]:
        with st.container(border=True):
            when = c["created_at"].replace("T", " ")
            meta = t("comment_moved", who=c["author"], when=when, status=t("decision_" + c["decision"])) \
                if c["decision"] else t("comment_meta", who=c["author"], when=when)
            st.caption(plain(meta))
            if c["body"]:
                st.text(c["body"])  # typed by a person: shown as typed, never as HTML, Markdown or links
            if c.get("override_reason"):
                st.text(t("override_line", text=c["override_reason"]))
    drafts = state.setdefault("comment_drafts", {})  # a fresh, empty box after each success
    box = f"comment_{run_id}_{drafts.get(run_id, 0)}"
    with st.form(f"discussion_{run_id}", border=False):  # the text travels with whichever button is pressed
        text = st.text_area(t("comment_box"), key=box)
        confirm, override = False, None
        if "approved" in thread["next"] and can("decide"):
            st.caption(t("approve_reason_hint"))
            confirm = st.checkbox(t("approve_confirm"), key=f"confirm_{box}")
            if thread["override_needed"]:  # suspect, or people's columns never checked for fairness
                label = "approve_override" if thread["override_needed"] == "suspect" else "approve_override_fairness"
                override = st.text_input(t(label), key=f"override_{box}")
        row = st.container(horizontal=True)
        send = row.form_submit_button(t("comment_send"), type="primary")
        steps = [step for step in (thread["next"] if can("decide") else [])
                 if row.form_submit_button(t("decide_" + step))]
    done = None
    if send:
        done = attempt(decisions.comment, run_id, text, user=user)
    elif steps:
        done = attempt(decisions.decide, run_id, steps[0], note=text, user=user, confirmed=confirm, override=override)
    if done:  # on failure the text stays in the box, so nothing typed is lost
        drafts[run_id] = drafts.get(run_id, 0) + 1
        st.rerun()
