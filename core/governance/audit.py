"""The audit log: one row per action that changes data (who, when, what, on which object, and
whether it was allowed, refused or failed). Written by core.governance.roles.action, never by a
page; read by admins (`audit list`, the Admin page)."""

from core.foundation import db
from core.foundation.errors import InvalidInput

OUTCOMES = ("allowed", "refused", "failed")


def record(user: str, action: str, obj: str | None, outcome: str, detail: str | None = None) -> None:
    with db.connect() as con:
        con.execute("INSERT INTO audit_log (user_name, action, object, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                    [user, action, obj, outcome, detail])


def entries(*, user: str | None = None, who: str | None = None, action: str | None = None,
            outcome: str | None = None, limit: int = 200) -> list[dict]:
    """The newest entries first, filtered by who acted, the action and the outcome (admins only)."""
    from core.governance import roles

    roles.require(user, "read_audit")
    if outcome and outcome not in OUTCOMES:
        raise InvalidInput(code="unknown_outcome", value=outcome, msg="unknown_outcome", outcome=outcome,
                           known=", ".join(OUTCOMES))
    if action and action not in roles.ACTIONS:
        raise InvalidInput(code="unknown_action", value=action, msg="unknown_action", action=action,
                           known=", ".join(roles.ACTIONS))
    if limit < 1:
        raise InvalidInput(code="bad_limit", value=limit, msg="bad_limit", limit=limit)
    where, params = [], []
    for column, value in (("user_name", who), ("action", action), ("outcome", outcome)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    sql = ("SELECT acted_at, user_name, action, object, outcome, detail FROM audit_log"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq DESC LIMIT ?")
    with db.connect() as con:
        rows = con.execute(sql, params + [limit]).fetchall()
    return [{"at": str(at)[:19], "user": u, "action": a, "object": o, "outcome": oc, "detail": d}
            for at, u, a, o, oc, d in rows]
