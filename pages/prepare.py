"""Prepare: build a recipe of steps without code, see each step's effect on a sample, and make a
new data set version; the same recipe replays on raw rows when the model scores."""

import streamlit as st
import yaml

from core.data import datasets
from core.prep import recipes
from core.prep.steps import CAST_TYPES, EVERY_ROW, FILLS
from pages._ui import attempt, ctx, num, plain, t

audience, user, lang = ctx()["audience"], ctx()["user"], ctx()["language"]
state = st.session_state
st.title(t("page_prepare"))
st.caption(t("prep_intro"))

found = attempt(datasets.list_datasets) or []
if not found:
    st.info(t("no_datasets"))
    st.stop()
names = {d["dataset_id"]: d["name"] for d in found}
by_label = {f"{n} ({d})": d for d, n in names.items()}  # labels, not a format_func: AppTest and people see the same
dataset_id = by_label[st.selectbox(t("prep_dataset"), list(by_label), key="prep_dataset")]
drafts = state.setdefault("prep_drafts", {})  # the recipe being built, per data set (view state until applied)
steps = drafts.setdefault(dataset_id, [])

preview = attempt(recipes.preview, dataset_id, {"steps": steps}, lang=lang) if steps else None
if steps and preview is None:  # the last step added broke the recipe: show why, keep the rest
    if st.button(t("prep_remove_last"), icon=":material/undo:"):
        steps.pop()
        st.rerun()
    st.stop()
info = attempt(datasets.show, dataset_id)
if info is None:
    st.stop()
columns = preview["steps"][-1]["columns"] if preview else [c["name"] for c in info["columns"]]

st.subheader(t("prep_steps"))
if not steps:
    st.caption(t("prep_no_steps"))
for i, step in enumerate(steps):
    effect = preview["steps"][i]
    box = st.container(border=True)
    head, remove = box.columns([6, 1])
    where = t("prep_every_row") if step["kind"] in EVERY_ROW else t("prep_training_only")
    head.markdown(f"**{i + 1}. {plain(t('prep_kind_' + step['kind']))}** · {plain(where)}")
    head.text(effect["effect"])  # names columns and values from the data: shown as text
    if remove.button(t("prep_remove"), key=f"prep_remove_{dataset_id}_{i}", icon=":material/delete:"):
        steps.pop(i)
        st.rerun()



def _typed(text: str):
    """A value typed in a box: a number when it reads as one, else the text (None when empty)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


kinds = ["cast", "fill", "derive", "filter", "select", "join", "dedupe", "sample", "aggregate"]
if audience == "expert":
    kinds.append("sql")
st.subheader(t("prep_add_step"))
with st.container(border=True):
    labelled = {t("prep_kind_" + k): k for k in kinds}
    kind = labelled[st.selectbox(t("prep_kind"), list(labelled), key="prep_kind")]
    st.caption(t("prep_help_" + kind))
    with st.form(f"prep_step_{kind}", clear_on_submit=True, border=False):
        step = {"kind": kind}
        if kind == "cast":
            step["column"] = st.selectbox(t("prep_column"), columns)
            typed_as = {t("prep_type_" + k): k for k in CAST_TYPES}
            step["to"] = typed_as[st.selectbox(t("prep_to"), list(typed_as))]
            step["format"] = st.text_input(t("prep_date_format"), placeholder="%d/%m/%Y") or None
        elif kind == "fill":
            step["column"] = st.selectbox(t("prep_column"), columns)
            fills = {t("prep_fill_" + k): k for k in FILLS}
            step["with"] = fills[st.selectbox(t("prep_fill_with"), list(fills), index=2)]
            step["value"] = _typed(st.text_input(t("prep_fill_typed")))
            step["flag"] = st.checkbox(t("prep_fill_flag"), value=True)
        elif kind == "derive":
            step["name"] = st.text_input(t("prep_new_column"))
            step["expression"] = st.text_input(t("prep_expression"), placeholder="amount / 12")
        elif kind == "filter":
            step["where"] = st.text_input(t("prep_condition"), placeholder="age >= 18")
        elif kind == "select":
            step["columns"] = st.multiselect(t("prep_keep"), columns, default=columns, placeholder=t("choose_options"))
            old = st.selectbox(t("prep_rename_from"), ["", *columns])
            new = st.text_input(t("prep_rename_to"))
            if old and new.strip():
                step["rename"] = {old: new.strip()}
        elif kind == "join":
            others = {label: d for label, d in by_label.items() if d != dataset_id}
            step["dataset"] = others[st.selectbox(t("prep_join_with"), list(others))] if others else None
            other_columns = [c["name"] for c in (attempt(datasets.show, step["dataset"]) or {"columns": []})["columns"]] \
                if step["dataset"] else []
            step["left_on"] = st.selectbox(t("prep_key_here"), columns)
            step["right_on"] = st.selectbox(t("prep_key_there"), other_columns)
            step["columns"] = st.multiselect(t("prep_join_columns"), other_columns, placeholder=t("choose_options"))
        elif kind == "dedupe":
            step["columns"] = st.multiselect(t("prep_dedupe_columns"), columns, placeholder=t("prep_whole_rows"))
        elif kind == "sample":
            step["rows"] = int(st.number_input(t("prep_sample_rows"), 1, value=min(10_000, info["rows"])))
            step["seed"] = int(st.number_input(t("adv_seed"), 0, value=0))
        elif kind == "aggregate":
            step["by"] = st.multiselect(t("prep_group_by"), columns, placeholder=t("choose_options"))
            name = st.text_input(t("prep_new_column"), value="rows")
            expression = st.text_input(t("prep_aggregation"), value="count(*)")
            step["aggregations"] = {name.strip(): expression} if name.strip() else {}
        else:
            step["sql"] = st.text_area(t("prep_sql"), placeholder=t("prep_sql_example"))
        if st.form_submit_button(t("prep_add"), type="primary"):
            drafts[dataset_id] = [*steps, {k: v for k, v in step.items() if v not in (None, "", [], {})} | {"kind": kind}]
            st.rerun()

if preview:
    st.subheader(t("prep_preview", rows=num(preview["sample_rows"])))
    st.dataframe(preview["head"], hide_index=True)
    if audience == "expert":
        st.code(preview["sql"], language="sql")
    text = yaml.safe_dump({"steps": steps}, sort_keys=False, allow_unicode=True)
    st.download_button(t("prep_download"), text, file_name=f"{names[dataset_id]}_recipe.yaml", mime="text/yaml",
                       icon=":material/download:")
    with st.form("prep_apply", border=True):
        name = st.text_input(t("prep_name"), value=f"{names[dataset_id]} prepared")
        if st.form_submit_button(t("prep_apply"), type="primary", icon=":material/check:"):
            made = attempt(recipes.apply, dataset_id, {"steps": steps}, name=name, user=user)
            if made:
                drafts.pop(dataset_id, None)
                state["dataset_pick"] = made["dataset_id"]
                st.success(t("prep_made" if made["created"] else "prep_known", name=made["name"],
                             rows=num(made["rows"]), columns=len(made["columns"])))
                st.page_link("pages/data.py", label=t("prep_open_data"), icon=":material/table_chart:")
    st.code(f"python -m core prep apply {dataset_id} --recipe recipe.yaml --name \"...\" --json", language="bash")

uploaded = st.file_uploader(t("prep_upload"), type=["yaml", "yml", "json"], key=f"prep_upload_{dataset_id}")
if uploaded is not None and st.button(t("prep_use_upload")):
    recipe = attempt(recipes.parse, uploaded.getvalue().decode("utf-8", errors="replace"))
    if recipe:
        drafts[dataset_id] = recipe["steps"]
        st.rerun()

made_by = attempt(recipes.show, dataset_id)
if made_by and made_by["recipe"]:
    with st.expander(t("prep_lineage"), icon=":material/account_tree:"):
        for version in made_by["lineage"]:
            st.text(f"{version['name']} · {version['dataset_id']} · {num(version['rows'])} · "
                    f"{version['created_by']} · {version['created_at']}")
        if audience == "expert":
            st.code(made_by["sql"], language="sql")
