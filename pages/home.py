"""Home: what the app is for, in one screen, with the next step for each audience."""

import streamlit as st

from core.data import datasets
from core.governance import roles, users
from pages._ui import attempt, ctx, t

st.title("Common Ground")
st.markdown(t("home_intro"))

if "audience" not in ctx()["chosen"]:  # a first visit: ask, rather than assume everyone is an analyst
    st.subheader(t("home_who"))
    row = st.container(horizontal=True)
    for audience in roles.AUDIENCES[ctx()["role"]]:  # the views this person's role allows
        if row.button(t(f"home_i_am_{audience}"), key=f"home_i_am_{audience}") and attempt(
                users.set_preference, ctx()["user"], key="audience", value=audience):
            st.rerun()
    st.caption(t("home_who_later"))

found = attempt(datasets.list_datasets)
if found is not None:
    st.markdown(t("home_count", count=len(found)))
    audience = ctx()["audience"]
    st.info(t(f"home_next_{audience}"), icon=":material/arrow_forward:")
    if audience == "stakeholder":
        st.page_link("pages/summary.py", label=t("home_open_summary"), icon=":material/article:")
    st.page_link("pages/data.py", label=t("home_open_data"), icon=":material/table_chart:")
