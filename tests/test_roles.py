"""Roles, checked in core: each role against each action (core, CLI, AppTest), the audit log, the
embedded default, sign-in and the refusal to serve an open address without it."""

import json
import subprocess
import sys

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from core.analysis import choice, fairness, mitigation
from core.data import datasets, names
from core.foundation import config
from core.foundation.errors import InvalidInput, NotAllowed, UserError
from core.governance import audit, decisions, roles, settings, users, vocabulary
from core.prep import recipes
from core.reporting import export, report
from core.serving import api, outcomes, scoring
from core.training import lifecycle
from core.training.spec import RunSpec
from tests.conftest import REPO

APP = str(REPO / "streamlit_app.py")
NO_RUN = "run_nope"

# One real call per action. With a role that allows it, the call gets past the check and fails
# (or not) on its input; with one that does not, it is refused before anything is read.
CALLS = {
    "comment": lambda u, d: decisions.comment(NO_RUN, "hello", user=u),
    "add_dataset": lambda u, d: datasets.add(d["path"], name=f"copy_{u}", user=u),
    "prepare_data": lambda u, d: recipes.apply(d["id"], {"steps": [{"kind": "dedupe"}]}, name=f"prep_{u}", user=u),
    "rename_dataset": lambda u, d: datasets.rename(d["id"], f"renamed_{u}", user=u),
    "name_values": lambda u, d: names.set_value_names(d["id"], "y", {"1": "yes"}, user=u),
    "describe_column": lambda u, d: names.describe(d["id"], "x", "a number", user=u),
    "start_run": lambda u, d: lifecycle.start(RunSpec(d["id"], "no_such_column"), user=u),
    "rerun": lambda u, d: lifecycle.rerun(NO_RUN, user=u),
    "rename_run": lambda u, d: lifecycle.rename(NO_RUN, "x", user=u),
    "cancel_run": lambda u, d: lifecycle.cancel(NO_RUN, user=u),
    "choose_model": lambda u, d: choice.choose(NO_RUN, user=u),
    "decide": lambda u, d: decisions.decide(NO_RUN, "reviewed", user=u),
    "check_fairness": lambda u, d: fairness.analyse(NO_RUN, user=u),
    "edit_report": lambda u, d: report.edit(NO_RUN, "summary", "text", user=u),
    "score": lambda u, d: scoring.score(NO_RUN, input_path=d["path"], user=u),
    "add_outcomes": lambda u, d: outcomes.add(NO_RUN, input_path=d["path"], id_column="x", user=u),
    "expert_controls": lambda u, d: lifecycle.start(RunSpec(d["id"], "no_such_column", num_bag_folds=2), user=u),
    "try_fairer_rule": lambda u, d: mitigation.mitigate(NO_RUN, sensitive="x", constraint="demographic_parity",
                                                        user=u),
    "adopt_rule": lambda u, d: mitigation.adopt(NO_RUN, reason="why", user=u),
    "edit_glossary": lambda u, d: vocabulary.edit("no_such_term", lang="en", field="short", text="x", user=u),
    "export_code": lambda u, d: export.export_code(NO_RUN, user=u),
    "serve": lambda u, d: api.serve(NO_RUN, user=u),
    "bundle": lambda u, d: api.bundle(NO_RUN, output=d["path"].parent / "b.zip", user=u),
    "delete_dataset": lambda u, d: datasets.delete("no_such_dataset", user=u),
    "delete_failed_runs": lambda u, d: lifecycle.delete_failed(confirmed=False, user=u),
    "set_role": lambda u, d: roles.set_role("someone", "nonsense", user=u),
    "read_audit": lambda u, d: audit.entries(user=u),
    "change_settings": lambda u, d: settings.set_setting("COMMONGROUND_EXECUTOR", "nowhere", user=u),
}

# Expert controls are checked inside starting a run, which is checked first.
BEHIND = {"expert_controls": ("expert_controls", "start_run")}


@pytest.fixture
def team(tmp_path):
    """A data set, and one user per role (the admin gives the roles)."""
    path = tmp_path / "small.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
    dataset = datasets.add(path, name="small")["dataset_id"]
    for role in roles.ROLES:
        roles.set_role(role, role, user="admin")
    return {"path": path, "id": dataset}


def test_every_action_has_a_call_here():
    assert set(CALLS) == set(roles.ACTIONS)


@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_against_each_action_in_core(team, role):
    for action, call in CALLS.items():
        allowed = roles.ROLES.index(role) >= roles.ROLES.index(roles.ACTIONS[action])
        try:
            call(role, team)
            refused = False
        except NotAllowed as error:
            refused = True
            assert error.value in BEHIND.get(action, (action,)) and role in str(error)
        except UserError:  # past the check: the input is what is wrong
            refused = False
        assert refused == (not allowed), (role, action)
        if action == "read_audit" and allowed:
            continue  # a read: only its refusal is recorded
        last = audit.entries(user="admin", who=role, limit=1)[0]
        assert last["action"] in BEHIND.get(action, (action,)) and last["outcome"] in (("allowed", "failed") if allowed else ("refused",))


def test_the_audit_log_says_who_did_what_to_which_object(team):
    datasets.rename(team["id"], "renamed", user="analyst")
    with pytest.raises(NotAllowed):
        datasets.delete(team["id"], user="analyst")
    with pytest.raises(UserError):
        datasets.rename(team["id"], "   ", user="analyst")
    rows = audit.entries(user="admin", who="analyst")
    assert [(r["action"], r["object"], r["outcome"]) for r in rows[:3]] == [
        ("rename_dataset", team["id"], "failed"), ("delete_dataset", team["id"], "refused"),
        ("rename_dataset", team["id"], "allowed")]
    assert rows[1]["detail"] == "role analyst"
    assert [r["action"] for r in audit.entries(user="admin", action="set_role")][-1] == "set_role"
    with pytest.raises(InvalidInput, match="'sometimes' is not an outcome"):
        audit.entries(user="admin", outcome="sometimes")


def test_the_embedded_default_is_everyone_admin_until_roles_are_given(tmp_path):
    assert roles.role_of("anyone") == "admin" and roles.role_of(None) == "admin"
    roles.set_role("bob", "analyst", user="alice")
    assert roles.role_of("alice") == "admin"  # the first role given makes the giver an admin
    assert roles.role_of("bob") == "analyst" and roles.role_of("anyone") == "viewer"
    with pytest.raises(InvalidInput, match="only admin"):
        roles.set_role("alice", "viewer", user="alice")
    with pytest.raises(InvalidInput, match="'boss' is not a role"):
        roles.set_role("bob", "boss", user="alice")
    assert [u["user"] for u in roles.list_users(user="alice")] == ["alice", "bob"]


def test_with_sign_in_a_name_without_a_role_is_a_viewer(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://127.0.0.1:8501/oauth2callback"\n')
    monkeypatch.setattr(config, "SECRETS_FILES", (secrets,))
    assert config.sign_in_configured()
    assert roles.role_of("stranger@example.org") == "viewer"
    monkeypatch.setenv("COMMONGROUND_ADMINS", "boss@example.org, other@example.org")
    assert roles.role_of("boss@example.org") == "admin"  # how a team names its first admin
    roles.set_role("stranger@example.org", "analyst", user="boss@example.org")
    assert roles.role_of("stranger@example.org") == "analyst"
    secrets.write_text("this is = not toml [")
    assert not config.sign_in_configured()


def test_a_view_is_a_preference_within_the_role(team):
    with pytest.raises(NotAllowed, match="'viewer' has the viewer role, which shows these views: stakeholder"):
        users.set_preference("viewer", key="audience", value="expert")
    users.set_preference("expert", key="audience", value="expert")
    roles.set_role("expert", "analyst", user="admin")
    assert users.get_preferences("expert")["audience"] == "analyst"  # demoted: the nearest view allowed


def _cli(*args, home):
    return subprocess.run([sys.executable, "-m", "core", *args, "--json"], cwd=REPO, capture_output=True, text=True,
                          env={**__import__("os").environ, "COMMONGROUND_HOME": str(home)}, timeout=120)


def test_roles_through_the_cli(team, tmp_path):
    home = config.home()
    refused = _cli("datasets", "delete", team["id"], "--yes", "--user", "expert", home=home)
    assert refused.returncode == 2 and json.loads(refused.stderr)["error"]["code"] == "not_allowed"
    assert "'expert' has the expert role; the action 'delete_dataset' needs the admin role" in refused.stderr
    denied = _cli("users", "set-role", "expert", "admin", "--user", "analyst", home=home)
    assert denied.returncode == 2 and "not_allowed" in denied.stderr
    given = _cli("users", "set-role", "viewer", "analyst", "--user", "admin", home=home)
    assert given.returncode == 0 and json.loads(given.stdout) == {"user": "viewer", "role": "analyst",
                                                                   "set_by": "admin"}
    log = json.loads(_cli("audit", "list", "--user", "admin", "--limit", "3", home=home).stdout)
    assert [(e["user"], e["action"], e["outcome"]) for e in log] == [
        ("admin", "set_role", "allowed"), ("analyst", "set_role", "refused"), ("expert", "delete_dataset", "refused")]
    assert _cli("audit", "list", "--user", "viewer", home=home).returncode == 2


def _app(user: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["user"] = user
    at.run()
    assert not at.exception, at.exception
    return at


def _radio_options(at) -> list[str]:
    return [r.options for r in at.sidebar.radio][0]


def test_roles_in_the_app(team):
    viewer = _app("viewer")
    assert len(_radio_options(viewer)) == 1  # the stakeholder view only
    assert "viewer" in viewer.sidebar.caption[0].value
    analyst = _app("analyst")
    assert len(_radio_options(analyst)) == 2
    analyst.switch_page("pages/train.py").run()
    assert not analyst.exception
    assert all(s.disabled for s in analyst.selectbox if s.key in ("train_eval_metric", "train_preset"))
    expert = _app("expert")
    expert.switch_page("pages/train.py").run()
    assert not any(s.disabled for s in expert.selectbox if s.key in ("train_eval_metric", "train_preset"))
    admin = _app("admin")
    admin.switch_page("pages/admin.py").run()
    assert not admin.exception and not admin.error
    shown = admin.dataframe[1].value
    assert set(shown["user"]) == set(roles.ROLES)


def test_a_crafted_user_name_is_shown_as_text():
    at = _app("[click me](http://evil.example) <b>x</b>")
    caption = at.sidebar.caption[0].value
    assert "](http" not in caption and "<b>" not in caption


def test_the_app_refuses_an_open_address_without_sign_in(monkeypatch):
    monkeypatch.setattr(config, "SECRETS_FILES", ())
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
        assert any("0.0.0.0" in e.value.replace("\\", "") and "ALLOW_OPEN" in e.value.replace("\\", "") for e in at.error)
        assert not at.sidebar.radio  # nothing else is drawn
        monkeypatch.setenv("COMMONGROUND_ALLOW_OPEN", "yes")
        assert AppTest.from_file(APP, default_timeout=60).run().sidebar.radio
    finally:
        st_config.set_option("server.address", "127.0.0.1")
    assert config.exposed("0.0.0.0") and config.exposed(None) and config.exposed("example.org")
    assert not config.exposed("127.0.0.1") and not config.exposed("::1") and not config.exposed("localhost")
