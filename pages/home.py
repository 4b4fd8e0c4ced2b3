"""Home: what the app is for, in one screen, with the next step for each audience."""

import streamlit as st

from core.data import datasets
from pages._ui import attempt, ctx, t

st.title("Common Ground")
st.markdown(t("home_intro"))

found = attempt(datasets.list_datasets)
if found is not None:
    st.markdown(t("home_count", count=len(found)))
    audience = ctx()["audience"]
    st.info(t(f"home_next_{audience}"), icon=":material/arrow_forward:")
    if audience == "stakeholder":
        st.page_link("pages/summary.py", label=t("home_open_summary"), icon=":material/article:")
    st.page_link("pages/data.py", label=t("home_open_data"), icon=":material/table_chart:")
