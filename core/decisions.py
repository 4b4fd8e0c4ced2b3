"""The discussion around a run and the team's decision on it: draft -> reviewed -> approved / rejected.

Comments and decisions are rows of one table (a decision is a comment that moves the status),
so the thread reads in order and every step keeps who and when.
"""

from core import config, db, runs
from core.errors import InvalidInput

DECISIONS = ("draft", "reviewed", "approved", "rejected")
NEXT = {"draft": ("reviewed", "rejected"), "reviewed": ("approved", "rejected", "draft"),
        "approved": ("draft",), "rejected": ("draft",)}
MAX_CHARS = 5000


def thread(run_id: str) -> dict:
    """Every comment of a run, oldest first, with the current decision and the allowed next steps."""
    runs._row(run_id)  # a clear error for an unknown run
    with db.connect() as con:
        cur = con.execute("SELECT comment_id, author, body, decision, created_at FROM run_comments "
                          "WHERE run_id = ? ORDER BY created_at, comment_id", [run_id])
        keys = [d[0] for d in cur.description]
        rows = [dict(zip(keys, r)) for r in cur.fetchall()]
    for r in rows:
        r["created_at"] = r["created_at"].isoformat(timespec="seconds")
    decided = [r for r in rows if r["decision"]]
    last = decided[-1] if decided else None
    status = last["decision"] if last else "draft"
    return {"run_id": run_id, "decision": status, "decided_by": last and last["author"],
            "decided_at": last and last["created_at"], "next": list(NEXT[status]), "comments": rows}


def comment(run_id: str, text: str, *, user: str | None = None) -> dict:
    return _add(run_id, _text(text, required=True), None, user)


def decide(run_id: str, decision: str, *, note: str | None = None, user: str | None = None) -> dict:
    """Move the run's decision one step; the note says why (required to reject)."""
    if decision not in DECISIONS:
        raise InvalidInput(f"Unknown decision '{decision}'. Decisions are: {', '.join(DECISIONS)}.")
    body = _text(note, required=decision == "rejected")
    with db.transaction():  # the check and the step are one unit
        current = thread(run_id)["decision"]
        if decision not in NEXT[current]:
            raise InvalidInput(f"Run {run_id} is '{current}'; it can move to {' or '.join(NEXT[current])}, "
                               f"not to '{decision}'.")
        return _add(run_id, body, decision, user)


def _text(text: str | None, *, required: bool) -> str | None:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput("The comment is empty. Write what you want to say (a rejection needs a reason).")
    if len(text) > MAX_CHARS:
        raise InvalidInput(f"The comment has {len(text):,} characters; the limit is {MAX_CHARS:,}. "
                           "Shorten it or split it in two.")
    return text or None


def _add(run_id: str, body: str | None, decision: str | None, user: str | None) -> dict:
    runs._row(run_id)
    with db.transaction() as con:
        con.execute("INSERT INTO run_comments (run_id, author, body, decision) VALUES (?, ?, ?, ?)",
                    [run_id, user or config.default_user(), body, decision])
    return thread(run_id)
