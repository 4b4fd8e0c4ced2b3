"""Admin: who may do what (roles), the audit log of every change and refusal, and where runs train."""

import pandas as pd
import streamlit as st

from core.governance import audit, roles, settings
from core.training import executors
from pages._ui import attempt, ctx, plain, t

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
action = b.selectbox(t("admin_filter_action"), [None, *roles.ACTIONS], format_func=lambda v: v or t("admin_any"))
outcome = c.selectbox(t("admin_filter_outcome"), [None, *audit.OUTCOMES], format_func=lambda v: v or t("admin_any"))
entries = attempt(audit.entries, user=user, who=who.strip() or None, action=action or None, outcome=outcome or None)
if entries is not None:
    if entries:
        st.dataframe(pd.DataFrame(entries), hide_index=True, use_container_width=True)
    else:
        st.info(t("admin_audit_empty"), icon=":material/info:")
    st.code("python -m core audit list --json", language="bash")

st.subheader(t("admin_where"))
st.caption(t("admin_where_intro"))
where = attempt(executors.where_runs_train, lang=ctx()["language"])
if where is not None:
    place = t("admin_where_ray", address=where["address"]) if where["executor"] == "ray" else t("admin_where_local")
    st.markdown(plain(t("admin_where_now", where=place)))
    if where["warning"]:
        st.warning(plain(t("placement_fallback", reason=where["warning"])), icon=":material/cloud_off:")
    st.caption(t("admin_capacity", nodes=len(where["nodes"]), cpus=f"{where['cpus']:g}",
                 free_cpus=f"{where['free_cpus']:.1f}", memory=f"{where['memory_gb']:g}",
                 free_memory=f"{where['free_memory_gb']:g}"))
    st.dataframe(pd.DataFrame([{t("admin_node"): n["address"], t("admin_host"): n["hostname"],
                                t("admin_cpus"): n["cpus"], t("admin_memory_gb"): n["memory_gb"]}
                               for n in where["nodes"]]), hide_index=True, use_container_width=True)
current = attempt(settings.settings_for, user)
if current is not None:
    shown = {"COMMONGROUND_ARTIFACT_STORE": (where or {}).get("store")}  # the default, spelt out
    st.dataframe(pd.DataFrame([{t("admin_setting"): s["name"], t("admin_value"): s["value"] or shown.get(s["name"]),
                                t("admin_source"): t(f"admin_source_{s['source']}")} for s in current]),
                 hide_index=True, use_container_width=True)
    values = {s["name"]: s["value"] for s in current}
    with st.form("where_runs_train", border=True):
        kinds = settings.CHOICES["COMMONGROUND_EXECUTOR"]
        labels = {k: t(f"admin_executor_{k}") for k in kinds}
        executor = st.radio(t("admin_executor"), kinds, horizontal=True, key="admin_executor", format_func=labels.get,
                            index=kinds.index(values["COMMONGROUND_EXECUTOR"])
                            if values["COMMONGROUND_EXECUTOR"] in kinds else 0)
        address = st.text_input(t("admin_ray_address"), value=values["COMMONGROUND_RAY_ADDRESS"], key="admin_ray_address",
                                placeholder="10.0.0.5:6379")
        store = st.text_input(t("admin_store"), value=values["COMMONGROUND_ARTIFACT_STORE"], key="admin_store",
                              placeholder="/mnt/shared/commonground or s3://bucket/commonground")
        if st.form_submit_button(t("admin_save_where"), type="primary"):
            wanted = {"COMMONGROUND_EXECUTOR": executor, "COMMONGROUND_RAY_ADDRESS": address,
                      "COMMONGROUND_ARTIFACT_STORE": store}
            if all(attempt(settings.set_setting, name, value, user=user) is not None
                   for name, value in wanted.items() if value != values[name]):
                st.rerun()
    st.caption(t("admin_ray_security"))
    st.code("python -m core cluster show --json\npython -m core settings set COMMONGROUND_EXECUTOR ray --user YOU",
            language="bash")
