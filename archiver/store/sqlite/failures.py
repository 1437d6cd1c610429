"""What went wrong with archive.db, said honestly and with the way out, as archiver's own errors.

A damaged file is not "intact": SQLite found pages it cannot read, so what it holds must be
recovered (`.recover`) or restored from a copy. A full disk rolled back only the write under way.
A permission problem says "permission denied", not SQLite's "unable to open database file".
Nothing above the store sees `sqlite3.Error`: `store_error` turns it into a `StoreError` kind.
"""

from __future__ import annotations

import sqlite3

from ...errors import StoreDamaged, StoreDenied, StoreError, StoreFull


def store_error(path: str, exc: sqlite3.Error) -> StoreError:
    """The StoreError kind (full, denied, damaged, or plain) for a failure of SQLite on `path`."""
    text = str(exc)
    if "full" in text:
        return StoreFull(f"{path}: {text}. The write under way was rolled back, so what was recorded before is "
                         "intact. Free some disk space and run again.")
    if any(w in text for w in ("readonly", "read-only", "permission", "unable to open")):
        return StoreDenied(f"{path}: permission denied ({text}): make the database, its folder and its -wal/-shm "
                           "files writable by this user, or point --db elsewhere.")
    if any(w in text for w in ("malformed", "not a database", "corrupt")):
        return StoreDamaged(
            f"{path} is damaged ({text}); archiver cannot say what in it is still intact. Recover what it "
            f"holds with `sqlite3 {path} \".recover\" | sqlite3 recovered.db` and run with --db recovered.db, "
            "or restore a copy.")
    return StoreError(f"{path}: the database failed: {text}. Each check is written atomically, so no row is half "
                      f"written; run again, and if it repeats, check the file with "
                      f"`sqlite3 {path} \"PRAGMA integrity_check\"`.")


def failure_message(path: str, exc: sqlite3.Error) -> str:
    return str(store_error(path, exc))
