"""Workspace settings an admin changes from the app (Admin page, `settings set`): where runs train.

A stored value wins over the environment, which wins over the default, so a deployment sets its
defaults in the environment and an admin can still move runs to a cluster and back without a
restart. Security switches (COMMONGROUND_ALLOW_OPEN_RAY, RAY_AUTH_MODE) stay environment-only:
whoever runs the server decides them, not a web form.
"""

import os

from core.foundation import config, db
from core.foundation.errors import InvalidInput
from core.governance.roles import action, require

EDITABLE = ("COMMONGROUND_EXECUTOR", "COMMONGROUND_RAY_ADDRESS", "COMMONGROUND_ARTIFACT_STORE")
CHOICES = {"COMMONGROUND_EXECUTOR": ("local", "ray")}


def value(name: str) -> str:
    """The setting in force (reads only)."""
    with db.connect() as con:
        row = con.execute("SELECT value FROM workspace_settings WHERE name = ?", [name]).fetchone()
    return row[0] if row else config.SETTINGS[name].value()


def list_settings() -> list[dict]:
    """Each editable setting: the value in force, and where it comes from (stored, environment, default)."""
    with db.connect() as con:
        stored = {n: (v, b, str(t)[:19]) for n, v, b, t in
                  con.execute("SELECT name, value, set_by, set_at FROM workspace_settings").fetchall()}
    out = []
    for name in EDITABLE:
        setting = config.SETTINGS[name]
        if name in stored:
            current, by, at = stored[name]
            source = "stored"
        else:
            current, by, at = setting.value(), None, None
            source = "environment" if setting.name in os.environ else "default"
        out.append({"name": name, "value": current, "source": source, "set_by": by, "set_at": at,
                    "help": setting.help})
    return out


@action("change_settings", obj="name")
def set_setting(name: str, new_value: str, *, user: str | None = None) -> dict:
    """Store a setting for this workspace; an empty value goes back to the environment's."""
    if name not in EDITABLE:
        raise InvalidInput(code="unknown_setting", value=name, msg="unknown_setting", name=name,
                           known=", ".join(EDITABLE))
    new_value = (new_value or "").strip()
    if new_value and name in CHOICES and new_value not in CHOICES[name]:
        raise InvalidInput(code="bad_setting_value", value=new_value, msg="bad_setting_value", given=new_value, name=name,
                           known=", ".join(CHOICES[name]))
    with db.transaction() as con:
        con.execute("DELETE FROM workspace_settings WHERE name = ?", [name])
        if new_value:
            con.execute("INSERT INTO workspace_settings VALUES (?, ?, ?, current_timestamp)", [name, new_value, user])
    return next(s for s in list_settings() if s["name"] == name)


def settings_for(user: str | None) -> list[dict]:
    """list_settings for the Admin page and CLI (admins only: it says where the cluster is)."""
    require(user, "change_settings")
    return list_settings()
