"""Per-user preferences (audience modality, language), stored in DuckDB so they survive restarts."""

from core.foundation import db
from core.foundation.errors import InvalidInput, NotAllowed
from core.governance import roles

PREFERENCES = {
    "audience": {"default": "analyst", "allowed": ["stakeholder", "analyst", "expert"]},
    "language": {"default": "en", "allowed": ["en", "pt"]},
}


def _check_user(user: str) -> str:
    user = (user or "").strip()
    if not user:
        raise InvalidInput(code="empty_user", msg="empty_user")
    return user


def get_preferences(user: str) -> dict:
    user = _check_user(user)
    prefs = {key: spec["default"] for key, spec in PREFERENCES.items()}
    with db.connect() as con:
        rows = con.execute(
            "SELECT key, value FROM user_settings WHERE user_name = ?", [user]
        ).fetchall()
    prefs.update({k: v for k, v in rows if k in PREFERENCES})
    allowed = roles.AUDIENCES[roles.role_of(user)]
    if prefs["audience"] not in allowed:  # the role changed since it was picked: the nearest view it allows
        prefs["audience"] = allowed[-1]
    prefs["chosen"] = sorted(k for k, _ in rows if k in PREFERENCES)  # the rest are defaults, never picked
    return prefs


def set_preference(user: str, *, key: str, value: str) -> dict:
    user = _check_user(user)
    if key not in PREFERENCES:
        raise InvalidInput(code="unknown_preference", value=key, msg="unknown_preference", key=key,
                           p=', '.join(PREFERENCES))
    allowed = PREFERENCES[key]["allowed"]
    if value not in allowed:
        raise InvalidInput(code="invalid_preference", value=value, msg="invalid_preference", value_=value, key=key,
                           p=', '.join(allowed))
    if key == "audience" and value not in roles.AUDIENCES[roles.role_of(user)]:
        role = roles.role_of(user)
        raise NotAllowed(code="audience_not_allowed", value=value, msg="audience_not_allowed", user=user, role=role,
                         audience=value, allowed=", ".join(roles.AUDIENCES[role]))
    with db.connect() as con:
        con.execute(
            "INSERT OR REPLACE INTO user_settings (user_name, key, value, updated_at) "
            "VALUES (?, ?, ?, current_timestamp)",
            [user, key, value],
        )
    return get_preferences(user)
