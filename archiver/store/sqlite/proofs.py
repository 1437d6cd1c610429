"""Evidence a third party can check: RFC 3161 tokens and screenshots (migration 6, docs/proof.md).

The statements are written once, with `?` placeholders; the PostgreSQL store and reader use them
with `%s` (`postgres()`), so the two backends cannot drift apart.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator, Sequence

from ...models import Screenshot, StampKind, Timestamp

# digests of a kind without a token from a given authority, oldest first
UNSTAMPED = {
    "snapshot": "SELECT s.sha256 FROM snapshots s WHERE NOT EXISTS (SELECT 1 FROM timestamps t"
                " WHERE t.kind = 'snapshot' AND t.sha256 = s.sha256 AND t.tsa = ?) ORDER BY s.first_seen, s.sha256",
    "screenshot": "SELECT DISTINCT p.sha256 FROM screenshots p WHERE NOT EXISTS (SELECT 1 FROM timestamps t"
                  " WHERE t.kind = 'screenshot' AND t.sha256 = p.sha256 AND t.tsa = ?) ORDER BY p.sha256",
}
SAVE_TIMESTAMP = ("INSERT INTO timestamps (kind, sha256, name, tsa, token, gen_time, requested)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, sha256, tsa) DO NOTHING")
TIMESTAMPS = "SELECT kind, sha256, tsa, token, gen_time, name FROM timestamps ORDER BY id"
SUBJECT = {
    "snapshot": "SELECT body FROM snapshots WHERE sha256 = ?",
    "screenshot": "SELECT png FROM screenshots WHERE sha256 = ? LIMIT 1",
}
SAVE_SCREENSHOT = ("INSERT INTO screenshots (url_id, sha256, taken, final_url, width, height, png, thumb)"
                   " SELECT id, ?, ?, ?, ?, ?, ?, ? FROM urls WHERE url = ? ON CONFLICT (url_id, sha256) DO NOTHING")
# a live URL is due a screenshot when it has none taken since its current snapshot first appeared
SCREENSHOT_DUE = ("SELECT u.url FROM urls u LEFT JOIN snapshots s ON s.sha256 = u.last_sha256"
                  " WHERE u.url = ? AND u.last_alive = 1 AND NOT EXISTS (SELECT 1 FROM screenshots p"
                  " WHERE p.url_id = u.id AND p.taken >= coalesce(s.first_seen, ''))")
SCREENSHOTS = ("SELECT u.url, p.sha256, p.taken, p.final_url, p.width, p.height, p.png, p.thumb"
               " FROM screenshots p JOIN urls u ON u.id = p.url_id ORDER BY p.taken, p.id")
NEWEST_THUMBS = ("SELECT u.url, p.id, p.taken FROM screenshots p JOIN urls u ON u.id = p.url_id"
                 " WHERE p.thumb IS NOT NULL AND p.id = (SELECT max(q.id) FROM screenshots q WHERE q.url_id = p.url_id)")
THUMB = "SELECT thumb FROM screenshots WHERE id = ?"


def postgres(sql: str) -> str:
    return sql.replace("?", "%s")


def timestamp_args(stamp: Timestamp, now: str) -> list:
    return [stamp.kind, stamp.sha256, stamp.name, stamp.tsa, stamp.token, stamp.gen_time, now]


def screenshot_args(shot: Screenshot) -> list:
    return [shot.sha256, shot.taken, shot.final_url, shot.width, shot.height, shot.png, shot.thumb, shot.url]


def as_timestamp(row: Sequence) -> Timestamp:
    kind, sha256, tsa, token, gen_time, name = row
    return Timestamp(kind, sha256, tsa, bytes(token), gen_time, name)


def as_screenshot(row: Sequence) -> Screenshot:
    url, sha256, taken, final_url, width, height, png, thumb = row
    return Screenshot(url, sha256, taken, final_url, width, height, bytes(png), bytes(thumb) if thumb else None)


def subject_bytes(kind: StampKind, row: Sequence | None) -> bytes | None:
    """The bytes a token's digest should be of: a snapshot's body (stored compressed), a PNG."""
    if row is None or row[0] is None:
        return None
    return zlib.decompress(row[0]) if kind == "snapshot" else bytes(row[0])


# -- SQLite ---------------------------------------------------------------------------------------
def unstamped(conn: sqlite3.Connection, kind: StampKind, tsa: str) -> list[str]:
    return [sha for sha, in conn.execute(UNSTAMPED[kind], [tsa])] if kind in UNSTAMPED else []


def save_timestamps(conn: sqlite3.Connection, stamps: Sequence[Timestamp], now: str) -> None:
    conn.executemany(SAVE_TIMESTAMP, [timestamp_args(s, now) for s in stamps])


def save_screenshot(conn: sqlite3.Connection, shot: Screenshot) -> None:
    conn.execute(SAVE_SCREENSHOT, screenshot_args(shot))


def screenshot_due(conn: sqlite3.Connection, urls: Sequence[str]) -> list[str]:
    return [u for url in urls for u, in conn.execute(SCREENSHOT_DUE, [url])]


def timestamps(conn: sqlite3.Connection) -> Iterator[Timestamp]:
    for row in conn.execute(TIMESTAMPS):
        yield as_timestamp(row)


def subject(conn: sqlite3.Connection, kind: StampKind, sha256: str) -> bytes | None:
    if kind not in SUBJECT:
        return None
    return subject_bytes(kind, conn.execute(SUBJECT[kind], [sha256]).fetchone())


def screenshots(conn: sqlite3.Connection) -> Iterator[Screenshot]:
    for row in conn.execute(SCREENSHOTS):
        yield as_screenshot(row)


def thumbnail_index(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """url -> (screenshot id, when taken) of its newest screenshot, for the report."""
    return {url: (shot_id, taken) for url, shot_id, taken in conn.execute(NEWEST_THUMBS)}


def thumbnail(conn: sqlite3.Connection, shot_id: int) -> bytes | None:
    row = conn.execute(THUMB, [shot_id]).fetchone()
    return bytes(row[0]) if row and row[0] else None
