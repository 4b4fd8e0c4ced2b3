"""Glossary: the shared vocabulary, searchable by any name, with live examples from a run; experts adapt it."""

import streamlit as st

from core.reporting import narrative
from core.training import views
from core.governance import vocabulary
from pages._ui import attempt, ctx, plain, run_label, t, term_link

lang, audience = ctx()["language"], ctx()["audience"]
state = st.session_state
st.title(t("page_glossary"))
st.markdown(t("glossary_intro"))

asked = st.query_params.get("term")  # a "What is this?" link from another page
if asked and state.get("glossary_asked") != asked:
    state["glossary_asked"] = asked
    state["glossary_query"] = asked
left, mid, right = st.columns([3, 1, 2])
query = left.text_input(t("glossary_search"), key="glossary_query", placeholder="recall, TPR, holdout…")
who = mid.selectbox(t("glossary_audience"), ["", "stakeholder", "analyst", "expert"], key="glossary_audience",
                    format_func=lambda a, label=t("glossary_everyone"): a or label)
finished = attempt(views.with_results) or []
names = {r["run_id"]: run_label(r) for r in finished}
# Examples come from the run last opened on the Summary or Results page; none opened, none computed.
current = state.get("summary_pick") or state.get("result_pick")
example_run = right.selectbox(t("glossary_examples_from"), ["", *names], key="glossary_run",
                              format_func=lambda r, none=t("glossary_no_examples"): names.get(r, none),
                              index=1 + list(names).index(current) if current in names else 0)
example_record = attempt(views.load, example_run) if example_run else None
examples = (attempt(narrative.examples, example_record, lang) or {}) if example_record else {}

found = attempt(vocabulary.search, query, lang=lang, audience=who or None) or []
if asked and query == asked:
    found = [f for f in found if f["id"] == asked] or found
st.caption(t("glossary_count", count=len(found)))
for item in found:
    with st.expander(plain(item["term"]), expanded=len(found) == 1):
        entry = attempt(vocabulary.show, item["id"], lang)
        if not entry:
            continue
        st.text(entry["short"])  # shown as text: edits are typed by users
        if item["id"] in examples:
            st.info(plain(examples[item["id"]]), icon=":material/lightbulb:")
        if entry.get("reading"):
            st.caption(plain(entry["reading"]))
        if entry.get("caveats"):
            st.caption(plain(t("glossary_caveats", text=entry["caveats"])))
        if entry["aliases"]:
            st.caption(plain(t("glossary_aliases", aliases=", ".join(map(str, entry["aliases"])))))
        if entry["edited"]:
            st.caption(t("glossary_edited", fields=", ".join(entry["edited"])))
        if entry["related"]:
            links = st.container(horizontal=True)
            for related in entry["related"]:
                term_link(related, links)
        if audience == "expert":
            field = st.selectbox(t("glossary_field"), list(vocabulary.EDITABLE), key=f"gf_{item['id']}")
            text = st.text_area(t("glossary_new_text"), value=entry.get(field) or "", key=f"gt_{item['id']}_{field}")
            a, b = st.columns(2)
            if a.button(t("glossary_save"), key=f"gs_{item['id']}") and attempt(
                    vocabulary.edit, item["id"], lang=lang, field=field, text=text, user=ctx()["user"]):
                st.rerun()
            if entry["edited"] and b.button(t("glossary_revert"), key=f"gr_{item['id']}") and attempt(
                    vocabulary.revert, item["id"], lang=lang, user=ctx()["user"]):
                st.rerun()

if audience == "expert":
    st.divider()
    st.download_button(t("glossary_export"), vocabulary.export_yaml(), file_name="vocabulary.yaml",
                       mime="application/x-yaml")
    uploaded = st.file_uploader(t("glossary_import"), type=["yaml", "yml"], key="glossary_import")
    if uploaded is not None and st.button(t("glossary_import_button")):
        done = attempt(vocabulary.import_yaml, uploaded.getvalue().decode("utf-8", errors="replace"),
                       user=ctx()["user"])
        if done:
            st.success(t("glossary_imported", count=done["imported"]))
