"""All SQL for the `captures` and `archive_state` tables.

Why a row per need: a URL has at most one open capture row per (archive, need), where need is
'save' (get a live link into the Wayback Machine) or 'match' (pair a dead link with a capture). The
row walks queued -> submitting -> pending -> success|failed|quota|unknown, and every step is one
UPDATE, committed at once (the Store runs in autocommit), so a run killed at any point finds the
job id it was given and polls it instead of submitting again. A need that is met and later comes
back (the newest capture grew older than the policy window) gets a new row; old rows stay as history.

States: queued | submitting | pending | success | failed | quota | unknown (need 'save');
matched | none (need 'match'). Skipped URLs (login walls, unchecked links) get no row.
"""

from __future__ import annotations

from ...models import CaptureRow
from . import Store, inserted_id

__all__ = [
    "get_state", "set_state", "current", "open_jobs", "open_row", "update", "begin_submit",
    "record_job", "finish", "rows_for", "all_rows", "submission",
]

_COLUMNS = {"job_id", "state", "submitted", "finished", "timestamp", "archive_url", "status_code",
            "error", "reason", "attempts", "next_attempt", "verdict", "similarity", "qa"}
OPEN_STATES = ("submitting", "pending")


def get_state(store: Store, key: str) -> str | None:
    row = next(store.db.query("SELECT value FROM archive_state WHERE key = ?", [key]), None)
    return row["value"] if row else None


def set_state(store: Store, key: str, value: str | None) -> None:
    if value is None:
        store.db.conn.execute("DELETE FROM archive_state WHERE key = ?", [key])
    else:
        store.db.conn.execute("INSERT INTO archive_state (key, value) VALUES (?, ?)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])


def submission(store: Store, capture_id: int) -> tuple[str | None, str | None]:
    """(submitted, job_id) of one capture row."""
    row = next(store.db.query("SELECT submitted, job_id FROM captures WHERE id = ?", [capture_id]), None)
    return (row["submitted"], row["job_id"]) if row else (None, None)


_SELECT = ("SELECT c.id, u.url, c.need, c.state, c.archive, c.job_id, c.submitted, c.finished, c.timestamp,"
           " c.archive_url, c.status_code, c.error, c.reason, c.attempts, c.next_attempt, c.updated,"
           " c.verdict, c.similarity, c.qa"
           " FROM captures c JOIN urls u ON u.id = c.url_id")


def _rows(store: Store, sql: str, args: list) -> list[CaptureRow]:
    return [CaptureRow(*r) for r in store.db.conn.execute(sql, args)]


def current(store: Store, url: str, need: str, archive: str = "wayback") -> CaptureRow | None:
    """The newest row for this URL and need, or None."""
    rows = _rows(store, f"{_SELECT} WHERE u.url = ? AND c.need = ? AND c.archive = ? ORDER BY c.id DESC LIMIT 1",
                 [url, need, archive])
    return rows[0] if rows else None


def open_jobs(store: Store, archive: str = "wayback") -> list[CaptureRow]:
    """Rows a killed run left behind: 'submitting' (POST may or may not have landed) and 'pending'."""
    return _rows(store, f"{_SELECT} WHERE c.archive = ? AND c.state IN ('submitting', 'pending') ORDER BY c.id",
                 [archive])


def open_row(store: Store, url: str, need: str, state: str, now: str, *, archive: object = "wayback",
             **fields: object) -> int:
    """Insert a new row for a need (the URL row is created if missing)."""
    bad = set(fields) - _COLUMNS
    if bad:
        raise ValueError(f"unknown capture columns: {sorted(bad)}")
    with store.db.atomic():
        url_id = store.url_id(url, now)
        cols = ["url_id", "archive", "need", "state", "updated", *fields]
        cur = store.db.conn.execute(
            f"INSERT INTO captures ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            [url_id, archive, need, state, now, *fields.values()])
    return inserted_id(cur)


def update(store: Store, capture_id: int, now: str, **fields) -> None:
    """One UPDATE, so one transaction: every state change is durable as soon as it returns."""
    bad = set(fields) - _COLUMNS
    if bad:
        raise ValueError(f"unknown capture columns: {sorted(bad)}")
    sets = ", ".join(f"{k} = ?" for k in fields)
    store.db.conn.execute(f"UPDATE captures SET {sets}, updated = ? WHERE id = ?",
                          [*fields.values(), now, capture_id])


def begin_submit(store: Store, capture_id: int, now: str) -> None:
    """Mark a row 'submitting' just before the POST (attempts + 1), so a kill in between is visible."""
    store.db.conn.execute(
        "UPDATE captures SET state = 'submitting', submitted = ?, attempts = attempts + 1,"
        " next_attempt = NULL, error = NULL, updated = ? WHERE id = ?", [now, now, capture_id])


def record_job(store: Store, capture_id: int, job_id: str, now: str, reason: str | None = None) -> None:
    """The submit reply's job id and state 'pending' in the same transaction, before any polling."""
    store.db.conn.execute(
        "UPDATE captures SET job_id = ?, state = 'pending', reason = coalesce(?, reason), updated = ?"
        " WHERE id = ?", [job_id, reason, now, capture_id])


def finish(store: Store, capture_id: int, state: str, now: str, **fields) -> None:
    update(store, capture_id, now, state=state, finished=now, **fields)


def rows_for(store: Store, url: str) -> list[CaptureRow]:
    return _rows(store, f"{_SELECT} WHERE u.url = ? ORDER BY c.id", [url])


def all_rows(store: Store) -> list[CaptureRow]:
    return _rows(store, f"{_SELECT} ORDER BY c.id", [])
