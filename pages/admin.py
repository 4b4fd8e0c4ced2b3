"""Admin: who may do what (roles), and the audit log of every change and refusal."""

import pandas as pd
import streamlit as st

from core.governance import audit, roles
from pages._ui import attempt, ctx, t

user = ctx()["user"]
st.title(t("page_admin"))
st.caption(t("admin_intro"))

st.subheader(t("admin_roles"))
st.dataframe(pd.DataFrame([{t("admin_role"): t(f"role_{r}"), t("admin_may"): t(f"role_{r}_may")}
                           for r in roles.ROLES]), hide_index=True, use_container_width=True)
people = attempt(roles.list_users, user=user)
if people is not None:
    if people:
        st.dataframe(pd.DataFrame(people), hide_index=True, use_container_width=True,
                     column_config={"user": t("admin_user"), "role": t("admin_role"), "set_by": t("admin_set_by"),
                                    "set_at": t("admin_set_at")})
    else:
        st.info(t("admin_no_roles"), icon=":material/info:")
    with st.form("set_role", clear_on_submit=True, border=True):
        a, b = st.columns([3, 1])
        target = a.text_input(t("admin_user"), placeholder=t("admin_user_placeholder"))
        role = b.selectbox(t("admin_role"), roles.ROLES, index=1, format_func=lambda r: t(f"role_{r}"))
        if st.form_submit_button(t("admin_set_role"), type="primary") and attempt(roles.set_role, target, role,
                                                                                 user=user):
            st.rerun()
    st.code("python -m core users list --json\npython -m core users set-role USER ROLE --user YOU", language="bash")

st.subheader(t("admin_audit"))
st.caption(t("admin_audit_help"))
a, b, c = st.columns(3)
who = a.text_input(t("admin_filter_user"))
action = b.selectbox(t("admin_filter_action"), ["", *roles.ACTIONS], format_func=lambda v: v or t("admin_any"))
outcome = c.selectbox(t("admin_filter_outcome"), ["", *audit.OUTCOMES], format_func=lambda v: v or t("admin_any"))
entries = attempt(audit.entries, user=user, who=who.strip() or None, action=action or None, outcome=outcome or None)
if entries is not None:
    if entries:
        st.dataframe(pd.DataFrame(entries), hide_index=True, use_container_width=True)
    else:
        st.info(t("admin_audit_empty"), icon=":material/info:")
    st.code("python -m core audit list --json", language="bash")
