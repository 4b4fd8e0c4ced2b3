"""Who may do what: four roles, each allowed what the one before it may do and more, and the
one decorator that checks the acting user's role and audits every action that changes data.

    viewer   reads results, fairness and reports; comments
    analyst  adds data, launches runs, chooses models, scores, records decisions
    expert   advanced training controls, fairer rules, glossary edits, code export, serving
    admin    users and roles, deletes, the audit log

Pages hide what core would refuse anyway; core is where the rule lives, so the CLI and every page
obey it alike. Without sign-in (the embedded single-user default), a workspace where no role has
been given yet treats everyone as admin; once roles are given, or with sign-in configured, a name
without a role is a viewer. The users in COMMONGROUND_ADMINS are always admins (a team's first).
"""

import functools
import inspect

from core.foundation import config, db
from core.foundation.errors import InvalidInput, NotAllowed, UserError

ROLES = ("viewer", "analyst", "expert", "admin")

# Each action that changes data, and the least role that may take it.
ACTIONS = {
    "comment": "viewer",
    "add_dataset": "analyst", "prepare_data": "analyst", "rename_dataset": "analyst", "name_values": "analyst", "describe_column": "analyst",
    "start_run": "analyst", "rerun": "analyst", "rename_run": "analyst", "cancel_run": "analyst",
    "choose_model": "analyst", "decide": "analyst", "check_fairness": "analyst", "edit_report": "analyst",
    "score": "analyst", "add_outcomes": "analyst",
    "expert_controls": "expert", "try_fairer_rule": "expert", "adopt_rule": "expert", "edit_glossary": "expert",
    "export_code": "expert", "serve": "expert", "bundle": "expert",
    "delete_dataset": "admin", "delete_failed_runs": "admin", "set_role": "admin", "read_audit": "admin",
    "change_settings": "admin",
}

# The views (audiences) each role may pick: a preference within what the role allows.
AUDIENCES = {"viewer": ("stakeholder",), "analyst": ("stakeholder", "analyst"),
             "expert": ("stakeholder", "analyst", "expert"), "admin": ("stakeholder", "analyst", "expert")}


def acting(user: str | None) -> str:
    """The acting user's name: as given, else the workspace default (COMMONGROUND_USER, the OS user)."""
    return (user or "").strip() or config.default_user()


def role_of(user: str | None) -> str:
    """The user's role (reads only). Admins named in COMMONGROUND_ADMINS always are."""
    if acting(user) in config.admins():
        return "admin"
    with db.connect() as con:
        row = con.execute("SELECT role FROM user_roles WHERE user_name = ?", [acting(user)]).fetchone()
        if row:
            return row[0]
        anyone = con.execute("SELECT count(*) FROM user_roles").fetchone()[0]
    return "admin" if not anyone and not config.sign_in_configured() else "viewer"


def allows(role: str, action: str) -> bool:
    return ROLES.index(role) >= ROLES.index(ACTIONS[action])


def can(user: str | None, action: str) -> bool:
    return allows(role_of(user), action)


def require(user: str | None, action: str, obj: str | None = None) -> str:
    """The acting user's name if their role allows `action`; else the refusal is audited and raised."""
    from core.governance import audit

    name, role = acting(user), role_of(user)
    if not allows(role, action):
        audit.record(name, action, obj, "refused", f"role {role}")
        raise NotAllowed(code="not_allowed", value=action, msg="not_allowed", user=name, role=role,
                         action=action, needed=ACTIONS[action])
    return name


def action(name: str, *, obj: str | None = None, made: str | None = None, before: bool = False):
    """Guard a core function: check the acting user (its `user` argument, accepted here even where
    the function has none), then audit what happened. `obj` names the argument that identifies the
    object acted on; `made` the result key of what an action creates; `before` audits at the start
    (for actions that run until stopped, such as serving)."""
    assert name in ACTIONS, name

    def wrap(function):
        signature = inspect.signature(function)
        takes_user = "user" in signature.parameters

        @functools.wraps(function)
        def guarded(*args, user: str | None = None, **kwargs):
            from core.governance import audit

            bound = signature.bind_partial(*args, **kwargs)
            target = bound.arguments.get(obj) if obj else None
            who = require(user, name, _text(target))
            if takes_user:
                kwargs["user"] = who
            if before:
                audit.record(who, name, _text(target), "allowed")
            try:
                result = function(*args, **kwargs)
            except NotAllowed:  # a check inside (expert controls) has audited its refusal
                raise
            except UserError as error:
                audit.record(who, name, _text(target), "failed", error.code)
                raise
            if not before:
                audit.record(who, name, _text(_made(result, made) or target), "allowed")
            return result

        guarded.action = name
        return guarded

    return wrap


def _made(result, key: str | None):
    if not key:
        return None
    return result.get(key) if isinstance(result, dict) else getattr(result, key, None)


def _text(value) -> str | None:
    if value is None:
        return None
    return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def list_users(*, user: str | None = None) -> list[dict]:
    """Every user with a role given, and who gave it (admins only: it is who may do what)."""
    require(user, "set_role")
    with db.connect() as con:
        rows = con.execute("SELECT user_name, role, set_by, set_at FROM user_roles ORDER BY user_name").fetchall()
    return [{"user": u, "role": r, "set_by": b, "set_at": str(t)[:19]} for u, r, b, t in rows]


@action("set_role", obj="target")
def set_role(target: str, role: str, *, user: str | None = None) -> dict:
    """Give `target` a role. The first role given in a workspace also makes the giver an admin, and
    the last admin cannot be demoted, so nobody locks the workspace out of its own settings."""
    target = " ".join((target or "").split())
    if not target:
        raise InvalidInput(code="empty_user", msg="empty_user")
    if role not in ROLES:
        raise InvalidInput(code="unknown_role", value=role, msg="unknown_role", role=role, known=", ".join(ROLES))
    with db.transaction() as con:
        if not con.execute("SELECT count(*) FROM user_roles").fetchone()[0] and target != user:
            con.execute("INSERT INTO user_roles VALUES (?, 'admin', ?, current_timestamp)", [user, user])
        admins = {r[0] for r in con.execute("SELECT user_name FROM user_roles WHERE role = 'admin'").fetchall()}
        if role != "admin" and admins == {target}:
            raise InvalidInput(code="last_admin", value=target, msg="last_admin", target=target)
        con.execute("INSERT OR REPLACE INTO user_roles VALUES (?, ?, ?, current_timestamp)", [target, role, user])
    return {"user": target, "role": role, "set_by": user}
