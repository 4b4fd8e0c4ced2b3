"""The Train and Runs pages through AppTest, with real (tiny) AutoGluon runs behind them."""

import time

import pytest

from core.analysis import choice
from core.data import datasets
from core.training import lifecycle, views
from core.training.spec import RunSpec
from tests.conftest import train, look
from tests.test_app import errors, run_app, texts

QUICK_FAMILIES = ["GBM", "LR"]


pytestmark = pytest.mark.usefixtures("no_leftover_workers")


def _id(name):
    datasets.ensure_demo_data()  # what the app does on its first start
    return next(d["dataset_id"] for d in datasets.list_datasets() if d["name"] == name)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _follow_until_done(at, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.switch_page("pages/runs.py").run()  # AppTest reruns the last page it was told to switch to
        assert not at.exception, at.exception
        if any(word in texts(at) for word in ("Finished", "Failed", "Cancelled", "Interrupted")):
            return at
        time.sleep(0.5)
    raise AssertionError("the run did not end in time: " + texts(at))


@pytest.mark.parametrize("dataset, target, kind", [
    ("German credit", "risk", "yes/no outcome"),
    ("Palmer penguins", "species", "a category"),
    ("Bike sharing", "bikers", "a number"),
])
def test_launch_from_the_form_and_follow_to_the_end(dataset, target, kind):
    at = run_app("pages/train.py", audience="expert")
    at.selectbox(key="train_dataset_id").set_value(_id(dataset)).run()
    assert at.selectbox(key="train_target").value == target
    assert any(kind in i.value for i in at.info)
    at.radio(key="train_quality").set_value("fast")
    # On 17,000 bike-sharing rows a linear model follows the same path in a third of the time.
    at.multiselect(key="train_model_families").set_value(["LR"] if target == "bikers" else QUICK_FAMILIES).run()
    assert not at.exception
    _button(at, "Start training").click().run()
    assert not at.exception
    assert at.title[0].value == "Runs"  # the form hands over to the live view
    _follow_until_done(at)
    assert "Finished" in texts(at), texts(at)
    run = views.list_runs()[0]
    assert run["status"] == "succeeded" and run["target"] == target


def test_leakage_warnings_arrive_as_ticked_exclusions():
    at = run_app("pages/train.py")
    at.selectbox(key="train_dataset_id").set_value(_id("Bike sharing")).run()
    assert set(at.multiselect(key="train_exclude").value) == {"casual", "registered"}
    at2 = run_app("pages/train.py")
    at2.selectbox(key="train_dataset_id").set_value(_id("German credit")).run()
    assert set(at2.multiselect(key="train_sensitive").value) == {"sex", "age"}


def test_a_target_that_cannot_be_predicted_shows_why(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("x,same\n" + "".join(f"{i},yes\n" for i in range(30)))
    flat = datasets.add(path)["dataset_id"]
    at = run_app("pages/train.py")
    at.selectbox(key="train_dataset_id").set_value(flat).run()
    at.selectbox(key="train_target").set_value("same").run()
    assert not at.exception
    assert any("same value ('yes') in every row" in e for e in errors(at))
    assert views.list_runs() == []


def test_cancel_from_the_runs_page():
    run_id = lifecycle.start(RunSpec(_id("Titanic passengers"), "survived", quality="fast", time_limit=120)).run_id
    at = run_app("pages/runs.py")
    assert at.selectbox(key="run_pick").value == run_id
    _button(at, "Cancel this run").click().run()
    assert not at.exception
    assert look(run_id).status == "cancelled"
    assert "Cancelled" in texts(at)


def test_a_run_launched_in_english_reads_in_portuguese_on_the_runs_page():
    run = train(RunSpec(_id("German credit"), "risk", quality="fast", time_limit=30, model_families=["GBM"]))
    at = run_app("pages/runs.py", user="paula", language="pt")
    assert not at.exception
    shown = texts(at)
    assert "Isto prevê um resultado sim/não" in shown and "This predicts" not in shown
    score = run.holdout_metrics["accuracy"]
    assert f"marca {f'{score:.2f}'.replace('.', ',')} de Acurácia" in shown


def test_the_train_page_asks_for_the_column_to_predict_of_a_new_table(tmp_path):
    path = tmp_path / "countries.csv"  # its last column is a numeric country code, not a target
    path.write_text("continent,life_expectancy,iso_num\n" + "".join(
        f"{c},{60 + i % 20},{i % 12}\n" for i, c in enumerate(["Asia", "Europe", "Africa"] * 20)))
    dataset = datasets.add(path)["dataset_id"]
    at = run_app()
    at.session_state["train_dataset_id"] = dataset
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.selectbox(key="train_target").value is None
    assert "Choose the column to predict" in texts(at) and not [b for b in at.button if b.label == "Start training"]
    at.selectbox(key="train_target").set_value("life_expectancy").run()
    assert [b for b in at.button if b.label == "Start training"]


def test_tweak_and_rerun_prefills_the_form_and_records_the_parent():
    spec = RunSpec(_id("Palmer penguins"), "species", quality="fast", time_limit=60, model_families=["LR"],
                   exclude=["island"])
    parent = train(spec)
    assert parent.status == "succeeded", parent.error
    at = run_app("pages/runs.py", audience="analyst")
    _button(at, "Tweak and re-run").click().run()
    assert not at.exception
    assert at.multiselect(key="train_exclude").value == ["island"]
    assert at.multiselect(key="train_model_families").value == ["LR"]
    at.switch_page("pages/train.py")  # AppTest would otherwise rerun the page it last switched to
    _button(at, "Start training").click().run()
    assert not at.exception
    child = views.list_runs()[0]
    assert child["run_id"] != parent.run_id and child["parent_run_id"] == parent.run_id


def test_expert_controls_reach_the_plan_and_invalid_combinations_get_a_message():
    at = run_app("pages/train.py", audience="expert")
    at.selectbox(key="train_eval_metric").set_value("roc_auc")
    at.number_input(key="train_num_bag_folds").set_value(0)
    at.number_input(key="train_num_stack_levels").set_value(1).run()
    assert not at.exception
    assert any("Stacking needs bagging" in e for e in errors(at))
    at.number_input(key="train_num_stack_levels").set_value(0)
    at.selectbox(key="train_dynamic_stacking").set_value("off").run()
    assert not at.exception and not at.error
    at.text_area(key="train_hyperparameters_text").set_value("GBM: {num_leaves: 64\n").run()
    assert any("do not parse at line" in e for e in errors(at))
    at.text_area(key="train_hyperparameters_text").set_value("GBM: {num_leaves: 16}").run()
    assert not at.error
    plan = at.json[0].value  # "What AutoGluon will be asked"
    assert '"num_bag_folds": 0' in plan and '"num_leaves": 16' in plan and '"dynamic_stacking": false' in plan


@pytest.mark.parametrize("data, target", [("German credit", "risk"), ("Palmer penguins", "species"),
                                           ("Bike sharing", "bikers")])
def test_results_page_shows_the_model_beside_a_baseline(data, target):
    # On 17,000 bike-sharing rows a linear model shows the page as well as GBMs would, in a third of the time.
    spec = RunSpec(_id(data), target, quality="fast", time_limit=60,
                   model_families=["LR"] if target == "bikers" else ["GBM", "LR"],
                   exclude=["casual", "registered"] if target == "bikers" else [])
    assert train(spec).status == "succeeded"
    at = run_app("pages/results.py", audience="expert")
    assert not at.exception
    words = texts(at)
    assert "always guessing" in words and len(at.get("vega_lite_chart")) >= 2
    # The same run in the stakeholder view: plain words, 3 to 5 charts, no jargon.
    at = run_app("pages/summary.py", audience="stakeholder")
    assert not at.exception and not at.error
    assert 3 <= len(at.get("vega_lite_chart")) <= 5
    words = texts(at).replace("\\", "")
    assert "Always guessing" in words or "always guessing" in words
    for jargon in ("holdout", "validation", "AUC", "log loss", "LightGBM", "WeightedEnsemble", "hyperparameter",
                   "eval_metric", "RMSE", "F1"):
        assert jargon not in words, jargon


def test_results_threshold_can_be_saved_for_scoring():
    spec = RunSpec(_id("German credit"), "risk", quality="fast", time_limit=60, model_families=["GBM", "LR"])
    run_id = train(spec).run_id
    at = run_app("pages/results.py")
    at.slider(key=f"threshold_{run_id}").set_value(0.7).run()
    _button(at, "Use threshold 0.70 for scoring").click().run()
    assert not at.exception
    assert look(run_id).threshold == 0.7


def test_compare_page_puts_two_runs_side_by_side():
    dataset = _id("Palmer penguins")
    runs = [train(RunSpec(dataset, "species", quality="fast", time_limit=60, model_families=families))
            for families in (["GBM", "LR"], ["LR"])]
    at = run_app("pages/compare.py", audience="expert")
    assert not at.exception
    assert "shared holdout rows" in texts(at)
    assert "resampling the shared rows 400 times" in texts(at).lower()  # ahead or level, said with its interval
    assert len(at.dataframe) == 2  # the scores, and what differs (model_families)
    # The comparison is cached, but never past a change to a run: another chosen model shows at once.
    other = next(m["model"] for m in runs[0].models if m["model"] != runs[0].chosen_model)
    choice.choose(runs[0].run_id, model=other)
    at.run()
    assert other in at.dataframe[0].value.iloc[:, 2].tolist()


def test_leaderboard_constraints_filter_the_models_one_can_choose():
    spec = RunSpec(_id("German credit"), "risk", quality="fast", time_limit=60, model_families=["GBM", "RF"])
    run = train(spec)
    assert all(m["predict_ms_per_1000"] > 0 and m["disk_mb"] > 0 for m in run.models)
    at = run_app("pages/results.py")
    everything = at.selectbox(key=f"pick_model_{run.run_id}").options
    fastest = min(m["predict_ms_per_1000"] for m in run.models)
    at.number_input(key=f"max_ms_{run.run_id}").set_value(fastest * 1.0001).run()
    assert not at.exception
    allowed = at.selectbox(key=f"pick_model_{run.run_id}").options
    assert 1 <= len(allowed) < len(everything)


def test_what_if_on_the_results_page_updates_the_prediction_and_explains_it():
    spec = RunSpec(_id("German credit"), "risk", quality="fast", time_limit=60, model_families=["GBM"], sensitive=[])
    run_id = train(spec).run_id
    at = run_app("pages/results.py")
    before = next(m.value for m in at.markdown if m.value.startswith("Prediction:"))
    at.number_input(key=f"whatif_{run_id}_0_duration").set_value(72)
    at.number_input(key=f"whatif_{run_id}_0_credit_amount").set_value(18000).run()
    assert not at.exception
    after = next(m.value for m in at.markdown if m.value.startswith("Prediction:"))
    assert after != before
    at.number_input(key=f"whatif_{run_id}_0_age").set_value(150).run()
    assert any("outside the training range" in w.value for w in at.warning)
    _button(at, "Explain this prediction").click().run()
    assert not at.exception
    assert any("average chance of" in c.value for c in at.caption)  # of the class the chart explains
