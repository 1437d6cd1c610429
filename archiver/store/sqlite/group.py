"""Group commit of checks: a run's checks wait in memory and reach SQLite together.

SQLite's commit is most of the cost of one small write, and each statement costs its round trip
through the sqlite3 module. So a run commits its checks in groups (`GroupCommit`: every 0.25 s or
256 checks, whichever comes first, and at close), and a group's rows wait in `Pending` until then,
going in with one executemany per table. A killed run loses at most the checks recorded in its last
0.25 s (at most 256) and the URLs in flight, which a resumed run checks again; never half a check.
A group whose writes fail (a full disk) is rolled back whole, as a kill would lose it, and the run
stops. What a later check of the open group must see (its URL's state, a snapshot already queued,
the next check id) is kept in `Pending`; every other reader runs after the group closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from typing import TYPE_CHECKING

from ...models import UrlState

if TYPE_CHECKING:
    from . import Store

SNAPSHOT_SQL = ("INSERT OR IGNORE INTO snapshots (sha256, body, content_type, charset, size, truncated, title,"
                " text, first_seen) VALUES (?,?,?,?,?,?,?,?,?)")
CHECK_SQL = ("INSERT INTO checks (id, url_id, run_id, checked_at, status, alive, http_status, final_url,"
             " redirects, elapsed_ms, error, sha256, inconclusive, state, previous_state, headers)"
             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
STATE_SQL = ("UPDATE urls SET state = ?, failures = ?, first_failed_at = ?, last_failed_at = ?, dead_since = ?,"
             " last_checked = ?, last_status = ?, last_alive = ?, last_sha256 = coalesce(?, last_sha256),"
             " last_conclusive = coalesce(?, last_conclusive) WHERE id = ?")
TOUCH_SQL = "UPDATE urls SET last_checked = ? WHERE id = ?"  # an inconclusive check: history only


class Pending:
    """Rows of checks not yet in SQLite, and what later checks must see of them: each URL's state
    after its check (id, state, last snapshot), the snapshots queued, the next check id."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.snapshots: list[list] = []
        self.checks: list[list] = []
        self.states: list[list] = []
        self.touched: list[list] = []
        self.urls: dict[str, tuple[int, UrlState, str | None]] = {}
        self.shas: set[str] = set()
        self._next_id: int | None = None

    def check_id(self, conn) -> int:
        """The id the next check row gets: what SQLite would give it (the run lock makes this
        process the only writer), known now so the run can hold back a check by its id."""
        if self._next_id is None:
            self._next_id = (conn.execute("SELECT max(id) FROM checks").fetchone()[0] or 0) + 1
        self._next_id += 1
        return self._next_id - 1

    def write(self, conn) -> None:
        """Send the rows to SQLite, inside the open transaction (begun here if none is)."""
        if self.checks or self.snapshots:
            if not conn.in_transaction:
                conn.execute("BEGIN")
            conn.executemany(SNAPSHOT_SQL, self.snapshots)
            conn.executemany(CHECK_SQL, self.checks)
            conn.executemany(STATE_SQL, self.states)
            conn.executemany(TOUCH_SQL, self.touched)
        self.clear()


class GroupCommit:
    """Commit the checks of a run in groups: every `seconds` (a timer on the running event loop
    makes that true in quiet periods too) or every `size` checks, and at close()."""

    def __init__(self, store: Store, seconds: float = 0.25, size: int = 256):
        self.store, self.seconds, self.size = store, seconds, size
        self.count, self.opened = 0, 0.0
        self.pending = Pending()
        self.cursor = store.db.conn.cursor()  # one cursor for the group's reads: not a new one per check
        self.failed: BaseException | None = None  # a commit on the timer that failed: raised by the next check
        self._timer: asyncio.TimerHandle | None = None
        _GROUPS[store] = self

    def wrote(self) -> None:
        self.count += 1
        if self.count == 1:
            self.opened = time.monotonic()
        if self.count >= self.size or time.monotonic() - self.opened >= self.seconds:
            self.flush()
        elif self._timer is None:
            with contextlib.suppress(RuntimeError):  # no running loop: the next write or close() commits
                self._timer = asyncio.get_running_loop().call_later(self.seconds, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        try:
            self.flush()
        except Exception as exc:  # a callback's exception would only be logged: the next check raises it
            self.failed = exc

    def raise_failure(self) -> None:
        if self.failed is not None:
            failed, self.failed = self.failed, None
            raise failed

    def flush(self) -> None:
        """Write the group's rows and commit them; on failure roll the group back and raise."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn = self.store.db.conn
        try:
            self.pending.write(conn)
            if conn.in_transaction:
                conn.execute("COMMIT")
        except BaseException:
            self.abandon()
            raise
        self.count = 0

    def abandon(self) -> None:
        """The group's writes failed: roll it back whole (what a kill would lose)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.pending.clear()
        if self.store.db.conn.in_transaction:  # SQLite may have rolled back already (a full disk)
            self.store.db.conn.execute("ROLLBACK")
        self.count = 0

    def close(self) -> None:
        try:
            self.raise_failure()
            self.flush()
        finally:
            _GROUPS.pop(self.store, None)


_GROUPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def open_group(store: Store) -> GroupCommit | None:
    """The store's open group, if a run opened one; raises what its last timed commit failed with."""
    group = _GROUPS.get(store)
    if group is not None:
        group.raise_failure()
    return group
