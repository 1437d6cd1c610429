"""The full-text index over snapshot text, built on demand into a database of its own.

Why a separate file built when browsing starts, and not an FTS5 table archiver keeps current: the
store's write path (every check, tens of thousands an hour) would pay for indexing text nobody
may search, and archive.db's schema stays what it is. Building costs one pass over the snapshots'
extracted text (`snapshots.text`, already decoded and stripped of markup). archive.db is opened
read-only; the index knows each snapshot's digest and one URL it was fetched from.
"""

from __future__ import annotations

import os
import sqlite3

_CREATE = "CREATE VIRTUAL TABLE snapshot_text USING fts5(sha256 UNINDEXED, url UNINDEXED, title, text)"
# The URL of each snapshot's newest check: one pass over checks grouped by digest (checks has no
# index on sha256, so a lookup per snapshot would scan it once per page). SQLite takes the bare
# column url_id from the row holding max(checked_at).
_FILL = """INSERT INTO snapshot_text (sha256, url, title, text)
SELECT s.sha256, u.url, coalesce(s.title, ''), coalesce(s.text, '')
FROM archive.snapshots s
LEFT JOIN (SELECT sha256, url_id, max(checked_at) FROM archive.checks WHERE sha256 IS NOT NULL GROUP BY sha256) k
  ON k.sha256 = s.sha256
LEFT JOIN archive.urls u ON u.id = k.url_id"""


def build_index(db: str, out: str) -> int:
    """Write the index of `db`'s snapshots to a new file `out`; the number of snapshots indexed."""
    if os.path.exists(out):
        os.unlink(out)
    conn = sqlite3.connect(f"file:{_uri_path(out)}", uri=True)  # URI names on, for the ATTACH below
    try:
        conn.execute("ATTACH DATABASE ? AS archive", (f"file:{_uri_path(db)}?mode=ro",))
        conn.execute(_CREATE)
        conn.execute(_FILL)
        conn.commit()
        count = conn.execute("SELECT count(*) FROM snapshot_text").fetchone()[0]
        conn.execute("DETACH DATABASE archive")
        return count
    finally:
        conn.close()


def _uri_path(path: str) -> str:
    from urllib.parse import quote

    return quote(os.path.abspath(path))
