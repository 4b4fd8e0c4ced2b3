"""Glossary: the shared vocabulary, searchable by any name; experts adapt it for their organisation."""

import streamlit as st

from core import vocabulary
from pages._ui import attempt, ctx, t

lang, audience = ctx()["language"], ctx()["audience"]
st.title(t("page_glossary"))
st.markdown(t("glossary_intro"))
left, right = st.columns([3, 1])
query = left.text_input(t("glossary_search"), key="glossary_query", placeholder="recall, TPR, holdout…")
who = right.selectbox(t("glossary_audience"), ["", "stakeholder", "analyst", "expert"], key="glossary_audience",
                      format_func=lambda a, label=t("glossary_everyone"): a or label)
found = attempt(vocabulary.search, query, lang, who or None) or []
st.caption(t("glossary_count", count=len(found)))
for item in found:
    with st.expander(item["term"]):
        entry = attempt(vocabulary.show, item["id"], lang)
        if not entry:
            continue
        st.text(entry["short"])  # shown as text: edits are typed by users
        if entry.get("reading"):
            st.caption(entry["reading"])
        if entry["aliases"]:
            st.caption(t("glossary_aliases", aliases=", ".join(map(str, entry["aliases"]))))
        if entry["edited"]:
            st.caption(t("glossary_edited", fields=", ".join(entry["edited"])))
        if audience == "expert":
            field = st.selectbox(t("glossary_field"), list(vocabulary.EDITABLE), key=f"gf_{item['id']}")
            text = st.text_area(t("glossary_new_text"), value=entry.get(field) or "", key=f"gt_{item['id']}_{field}")
            a, b = st.columns(2)
            if a.button(t("glossary_save"), key=f"gs_{item['id']}") and attempt(
                    vocabulary.edit, item["id"], lang, field, text, ctx()["user"]):
                st.rerun()
            if entry["edited"] and b.button(t("glossary_revert"), key=f"gr_{item['id']}") and attempt(
                    vocabulary.revert, item["id"], lang):
                st.rerun()

if audience == "expert":
    st.divider()
    st.download_button(t("glossary_export"), vocabulary.export_yaml(), file_name="vocabulary.yaml",
                       mime="application/x-yaml")
    uploaded = st.file_uploader(t("glossary_import"), type=["yaml", "yml"], key="glossary_import")
    if uploaded is not None and st.button(t("glossary_import_button")):
        done = attempt(vocabulary.import_yaml, uploaded.getvalue().decode("utf-8", errors="replace"), ctx()["user"])
        if done:
            st.success(t("glossary_imported", count=done["imported"]))
