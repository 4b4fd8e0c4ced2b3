"""Data: add a file, read its profile and warnings, rename or delete it."""

import tempfile
from pathlib import Path

import streamlit as st

from core.reporting import charts
from core.data import datasets, names
from pages._ui import attempt, can, chart, ctx, help_for, num, plain, t, term_link, translator

audience = ctx()["audience"]
st.title(t("page_data"))

found = attempt(datasets.list_datasets) or []
if audience != "stakeholder":
    with st.expander(t("upload_heading"), expanded=not found, icon=":material/upload_file:"), \
            st.form("upload", clear_on_submit=True, border=False):
        uploaded = st.file_uploader(t("upload_label"), type=["csv", "tsv", "txt", "parquet", "xlsx"])
        name = st.text_input(t("upload_name"), placeholder=t("upload_name_placeholder"))
        pressed = st.form_submit_button(t("upload_button"), type="primary")
        if pressed and uploaded is None:
            st.warning(t("upload_no_file"), icon=":material/upload_file:")
        if pressed and uploaded is not None:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(uploaded.name).name
                path.write_bytes(uploaded.getvalue())
                with st.spinner(t("upload_working")):
                    added = attempt(datasets.add, path, name=name or None,
                                    display_name=uploaded.name, user=ctx()["user"])
            if added:
                st.session_state["dataset_pick"] = added["dataset_id"]
                key = "upload_added" if added["created"] else "upload_known"
                st.success(t(key, name=added["name"], rows=num(added["rows"]), columns=len(added["columns"])))
                found = attempt(datasets.list_datasets) or []
if not found:
    st.info(t("no_datasets"))
    st.stop()

ids = [d["dataset_id"] for d in found]
dataset_names = {d["dataset_id"]: d["name"] for d in found}
if st.session_state.get("dataset_pick") not in ids:
    st.session_state.pop("dataset_pick", None)  # it was deleted, maybe in another session
dataset_id = st.selectbox(t("choose_dataset"), ids, format_func=dataset_names.get,
                          help=help_for("dataset"), key="dataset_pick")

lang = ctx()["language"]
info = attempt(datasets.show, dataset_id, lang=lang)
if not info:
    st.stop()
target = st.selectbox(t("choose_target"), [None, *(c["name"] for c in info["columns"])],
                      format_func=lambda c, label=translator(): label("no_target") if c is None else c, help=help_for("target"),
                      key=f"target_pick_{dataset_id}")
if target:
    info = attempt(datasets.show, dataset_id, target=target, lang=lang)
    if not info:
        st.stop()

warnings = info["warnings"]
st.subheader(info["name"])
st.markdown(t("dataset_summary_clean" if not warnings else "dataset_summary_one" if len(warnings) == 1
              else "dataset_summary", rows=num(info["rows"]),
              columns=len(info["columns"]), warnings=len(warnings)))

if warnings:
    st.markdown(f"**{t('warnings_heading')}**", help=help_for("data_quality_warning"))
    for w in warnings:
        st.warning(f"{plain(w['message'])}  \n**{t('what_to_do')}** {plain(w['action'])}", icon=":material/warning:")
else:
    st.success(t("no_warnings"), icon=":material/check_circle:")

tabs = [t("tab_charts"), t("tab_columns"), t("tab_rows")]
if audience == "expert":
    tabs.append(t("tab_details"))
shown = st.tabs(tabs)

with shown[0]:
    grid = st.columns(2)
    for i, col in enumerate(info["columns"]):
        term = "histogram" if col["type"] == "number" else "top_values"
        spec = charts.column_chart(col, title=f"{col['name']} · {t('chart_' + term)}",
                                   count_label=t("rows_label"))
        if spec is None:
            grid[i % 2].caption(plain(t("no_chart", column=col["name"], type=col["type"])))
        else:
            chart(spec, term, grid[i % 2], link=False, height=charts.chart_height(col))
    st.caption(t("charts_caption"))
    links = st.container(horizontal=True)
    term_link("histogram", links)
    term_link("top_values", links)

with shown[1]:
    table = charts.columns_table(info["columns"])
    if audience != "expert":
        table = table.drop(columns=["storage_type"])
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "column": st.column_config.TextColumn(t("col_column")),
            "type": st.column_config.TextColumn(t("col_type"), help=help_for("column_type")),
            "missing_share": st.column_config.ProgressColumn(
                t("col_missing"), help=help_for("missing_share"), format="percent", min_value=0, max_value=1),
            "distinct": st.column_config.NumberColumn(t("col_distinct"), help=help_for("distinct_values")),
            "mean": st.column_config.NumberColumn(t("col_mean"), format="%.4g"),
        },
    )
    if info["missing_markers"]:
        st.caption(t("missing_markers", markers=", ".join(repr(m) for m in info["missing_markers"] if m)))

with shown[2]:
    rows = attempt(datasets.preview, dataset_id, 100)
    if rows is not None:
        st.caption(t("rows_caption", shown=len(rows), rows=num(info["rows"])))
        st.dataframe(rows, hide_index=True, width="stretch")

labels = attempt(names.for_dataset, dataset_id) or {"values": {}, "descriptions": {}}
described = {c: d for c, d in labels["descriptions"].items() if d}
if described:
    with st.expander(t("descriptions_heading"), icon=":material/description:"):
        for column, text in described.items():
            st.text(f"{column}: {text}")  # typed by a person: shown as typed
if audience == "expert":
    with st.expander(t("names_heading"), icon=":material/label:"):
        described_column = st.selectbox(t("col_column"), [c["name"] for c in info["columns"]],
                                        key=f"describe_col_{dataset_id}")
        text = st.text_input(t("description_label", column=described_column),
                             value=labels["descriptions"].get(described_column, ""),
                             key=f"describe_{dataset_id}_{described_column}")
        if st.button(t("description_save"), key=f"describe_save_{dataset_id}") and attempt(
                names.describe, dataset_id, described_column, text, user=ctx()["user"]):
            st.rerun()
        if target:
            st.markdown(f"**{plain(t('value_names_heading', column=target))}**", help=t("value_names_help"))
            column = next(c for c in info["columns"] if c["name"] == target)
            current = labels["values"].get(target, {})
            values = [str(v["value"]) for v in column.get("top_values", [])][:20]
            typed = {v: st.text_input(v, value=current.get(v, ""), key=f"vname_{dataset_id}_{target}_{v}")
                     for v in values}
            if st.button(t("value_names_save"), key=f"vname_save_{dataset_id}") and attempt(
                    names.set_value_names, dataset_id, target, {v: n for v, n in typed.items() if n.strip()},
                    user=ctx()["user"]):
                st.rerun()
    with shown[3]:
        st.json({k: info[k] for k in ("dataset_id", "content_hash", "source_filename", "format",
                                       "encoding", "delimiter", "sheet", "rows", "duplicate_rows",
                                       "table_name", "created_by", "created_at")})
        st.code(f"python -m core datasets show {dataset_id}"
                + (f" --target {target}" if target else "") + " --json", language="bash")

if audience != "stakeholder":
    if st.button(t("train_on_this"), icon=":material/model_training:", type="primary"):
        st.session_state["train_dataset_id"] = dataset_id
        if target:
            st.session_state["train_target"] = target
        st.switch_page("pages/train.py")
    with st.expander(t("manage_heading")):
        new_name = st.text_input(t("rename_label"), value=info["name"], key=f"rename_{dataset_id}")
        if st.button(t("rename_button")) and attempt(datasets.rename, dataset_id, new_name, user=ctx()["user"]):
            st.rerun()
        if can("delete_dataset"):
            st.divider()
            sure = st.checkbox(t("delete_confirm", name=info["name"]), key=f"confirm_{dataset_id}")
            if st.button(t("delete_button"), type="primary", disabled=not sure):
                if attempt(datasets.delete, dataset_id, user=ctx()["user"]):
                    st.toast(t("deleted", name=info["name"]))
                    st.rerun()
