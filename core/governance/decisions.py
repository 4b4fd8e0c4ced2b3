"""The discussion around a run and the team's decision on it: draft -> reviewed -> approved / rejected.

The current decision is one column of the run (`runs.decision`), moved with a conditional update so
two people cannot both move it from the same step; every comment and every step is a row of
`run_comments`, so the thread reads in order and keeps who and when.

Approving means something: it needs a reason and a confirmation; the person who launched the run
cannot be its only approver (someone else must have reviewed it, or approve it); a run marked
suspect (core.analysis.suspect) needs an explicit override reason, which is kept with the step.
"""

import json

import duckdb

from core.analysis import fairness
from core.foundation import config, db
from core.foundation.errors import InvalidInput
from core.training import views
from core.governance.roles import action

DECISIONS = ("draft", "reviewed", "approved", "rejected")
NEXT = {"draft": ("reviewed", "rejected"), "reviewed": ("approved", "rejected", "draft"),
        "approved": ("draft",), "rejected": ("draft",)}
MAX_CHARS = 5000


def thread(run_id: str) -> dict:
    """Every comment of a run, oldest first, with the current decision and the allowed next steps."""
    with db.connect() as con:
        run = views.row(con, run_id)  # a clear error for an unknown run
        cur = con.execute("SELECT comment_id, author, body, decision, override_reason, created_at FROM run_comments "
                          "WHERE run_id = ? ORDER BY comment_id", [run_id])
        keys = [d[0] for d in cur.description]
        rows = [dict(zip(keys, r)) for r in cur.fetchall()]
    for r in rows:
        r["created_at"] = r["created_at"].isoformat(timespec="seconds")
    last = next((r for r in reversed(rows) if r["decision"]), None)
    status = run["decision"] or "draft"
    return {"run_id": run_id, "decision": status, "decided_by": last and last["author"],
            "decided_at": last and last["created_at"], "next": list(NEXT[status]), "comments": rows,
            "override_needed": override_needed(run)}


@action("comment", obj="run_id")
def comment(run_id: str, text: str, *, user: str | None = None) -> dict:
    body = _text(text, required=True)
    with db.transaction() as con:
        views.row(con, run_id)
        _insert(con, run_id, body, None, user)
    return thread(run_id)


@action("decide", obj="run_id")
def decide(run_id: str, decision: str, *, note: str | None = None, user: str | None = None,
           confirmed: bool = False, override: str | None = None) -> dict:
    """Move the run's decision one step; the note says why (required to approve or reject)."""
    if decision not in DECISIONS:
        raise InvalidInput(code="unknown_decision", value=decision, msg="unknown_decision", decision=decision,
                           p=', '.join(DECISIONS))
    user = user or config.default_user()
    with db.connect() as con:
        run = views.row(con, run_id)
        models, = con.execute("SELECT count(*) FROM run_models WHERE run_id = ?", [run_id]).fetchone()
        reviewers = {a for (a,) in con.execute(  # who reviewed it since it last went back to draft
            "SELECT author FROM run_comments WHERE run_id = ? AND decision = 'reviewed' AND comment_id > coalesce("
            "(SELECT max(comment_id) FROM run_comments WHERE run_id = ? AND decision = 'draft'), 0)",
            [run_id, run_id]).fetchall()}
    if not views.has_model(run["status"], models):
        raise InvalidInput(code="no_model", value=run_id, msg="no_model_4", run_id=run_id, status=run['status'])
    if run["executor_handle"]:
        raise InvalidInput(code="run_finishing", value=run_id, msg="run_finishing", run_id=run_id)
    current = run["decision"] or "draft"
    if decision not in NEXT[current]:
        raise InvalidInput(code="decision_step_not_allowed", value=decision, msg="decision_step_not_allowed",
                           run_id=run_id, current=current, p=' or '.join(NEXT[current]), decision=decision)
    body = _text(note, required=decision in ("rejected", "approved"))
    override = (override or "").strip() or None
    if decision == "approved":
        _check_approval(run, user=user, reviewers=reviewers, confirmed=confirmed, override=override)
    try:
        with db.transaction() as con:
            moved, = con.execute("UPDATE runs SET decision = ? WHERE run_id = ? AND coalesce(decision, 'draft') = ?",
                                 [decision, run_id, current]).fetchone()
            if not moved:
                raise InvalidInput(code="decision_changed", value=run_id, msg="decision_changed", run_id=run_id)
            _insert(con, run_id, body, decision, user, override=override if decision == "approved" else None)
    except duckdb.TransactionException:  # someone else moved it at the same moment
        raise InvalidInput(code="decision_changed", value=run_id, msg="decision_changed", run_id=run_id) from None
    return thread(run_id)


def _check_approval(run: dict, *, user: str, reviewers: set, confirmed: bool, override: str | None) -> None:
    run_id = run["run_id"]
    if not confirmed:
        raise InvalidInput(code="confirmation_needed", value=run_id, msg="confirmation_needed_2", run_id=run_id)
    if user == run["created_by"] and not reviewers - {user}:
        raise InvalidInput(code="four_eyes", value=user, msg="four_eyes", user=user, run_id=run_id,
                           name=views.run_name(run))
    why = override_needed(run)
    if why == "suspect" and not override:
        raise InvalidInput(code="override_needed", value=run_id, msg="override_needed", run_id=run_id)
    if why == "fairness_not_checked" and not override:
        raise InvalidInput(code="fairness_not_checked", value=run_id, msg="fairness_not_checked", run_id=run_id,
                           columns=", ".join(json.loads(run["plan"] or "{}").get("sensitive") or []))


def override_needed(run: dict) -> str | None:
    """Why approving this run needs a written override reason: it is suspect, or columns about
    people were marked sensitive and no fairness analysis has been made. None if it needs none."""
    if run["suspect"]:
        return "suspect"
    if (json.loads(run["plan"] or "{}").get("sensitive")) and fairness.latest(run["run_id"]) is None:
        return "fairness_not_checked"
    return None


def _text(text: str | None, *, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(code="empty_comment", msg="empty_comment")
    if len(text) > MAX_CHARS:
        raise InvalidInput(code="comment_too_long", value=len(text), msg="comment_too_long", p=len(text),
                           MAX_CHARS=MAX_CHARS)
    return text or None


def _insert(con, run_id: str, body: str | None, decision: str | None, user: str | None, *,
            override: str | None = None) -> None:
    con.execute("INSERT INTO run_comments (run_id, author, body, decision, override_reason) VALUES (?, ?, ?, ?, ?)",
                [run_id, user or config.default_user(), body, decision, override])
