"""Check history, snapshots and drift on PostgreSQL: the SQL of store/sqlite/checks.py in
PostgreSQL's words (`%s`, `= ANY(%s)` for a list, `<> 0` where SQLite reads an integer as a truth
value, `ON CONFLICT DO NOTHING`), with ids from the database. What is stored is the same: a
group of checks is one transaction, snapshots are content-addressed and zlib-compressed, headers
and redirects are JSON text, flags are 0/1.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence

import psycopg

from ...defaults import TEXT_EXCERPT
from ...models import CheckRecord, CheckRow, HeldBack, KnownUrl, Place, Settled, UrlState
from ..sqlite import checks as sqlite_checks
from .documents import url_ids

_SETTLE_CHECK = sqlite_checks.SETTLE_CHECK.replace("?", "%s")
_SETTLE_URL = sqlite_checks.SETTLE_URL.replace("?", "%s")

SNAPSHOT_ZLIB_LEVEL = 1  # as SQLite's store (store/sqlite/checks.py says why)

SNAPSHOT_SQL = ("INSERT INTO snapshots (sha256, body, content_type, charset, size, truncated, title, text, first_seen)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (sha256) DO NOTHING")
CHECK_SQL = ("INSERT INTO checks (url_id, run_id, checked_at, status, alive, http_status, final_url, redirects,"
             " elapsed_ms, error, sha256, inconclusive, state, previous_state, headers)"
             " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id")
STATE_SQL = ("UPDATE urls SET state = %s, failures = %s, first_failed_at = %s, last_failed_at = %s, dead_since = %s,"
             " last_checked = %s, last_status = %s, last_alive = %s, last_sha256 = coalesce(%s, last_sha256),"
             " last_conclusive = coalesce(%s, last_conclusive) WHERE id = %s")
TOUCH_SQL = "UPDATE urls SET last_checked = %s WHERE id = %s"
DRIFT_SQL = ("INSERT INTO drift (url_id, detected_at, old_sha256, new_sha256, similarity, summary)"
             " VALUES (%s,%s,%s,%s,%s,%s)")


async def known_urls(conn: psycopg.AsyncConnection, urls: list[str]) -> dict[str, KnownUrl]:
    cur = await conn.execute("SELECT url, state, failures, first_failed_at, last_failed_at, dead_since, last_status,"
                             " last_sha256 FROM urls WHERE url = ANY(%s)", [list(dict.fromkeys(urls))])
    return {url: KnownUrl(url, UrlState(*state), status, sha) for url, *state, status, sha in await cur.fetchall()}


async def record_checks(conn: psycopg.AsyncConnection, records: Sequence[CheckRecord]) -> list[int]:
    """A group of checks with their snapshots, drift and the URLs' new states, in one transaction."""
    if not records:
        return []
    async with conn.transaction():
        ids = await url_ids(conn, [r.result.url for r in records], records[0].checked_at)
        cur = await conn.execute("SELECT sha256 FROM snapshots WHERE sha256 = ANY(%s)",
                                 [list({r.result.snapshot.sha256 for r in records if r.result.snapshot})])
        stored = {sha for (sha,) in await cur.fetchall()}  # a page seen before is not compressed again
        snapshots: dict[str, list] = {}
        checks: list[list] = []
        states: list[list] = []
        touched: list[list] = []
        drifts: list[list] = []
        for rec in records:
            result, when, url_id, snap, new = rec.result, rec.checked_at, ids[rec.result.url], rec.result.snapshot, rec.new
            if snap is not None and snap.sha256 not in stored and snap.sha256 not in snapshots:
                snapshots[snap.sha256] = [snap.sha256, zlib.compress(snap.body, SNAPSHOT_ZLIB_LEVEL), snap.content_type,
                                          snap.charset, snap.size, int(snap.truncated), snap.title,
                                          snap.text[:TEXT_EXCERPT] if snap.text else snap.text, when]
            checks.append(_check_row(rec, url_id))
            if new is None:
                touched.append([when, url_id])
                continue
            sha = snap.sha256 if snap and result.alive else None
            states.append([new.state, new.failures, new.first_failed_at, new.last_failed_at, new.dead_since, when,
                           result.status, _int(result.alive), sha, when if result.alive is not None else None, url_id])
            if rec.drift is not None and snap is not None:
                drifts.append([url_id, when, rec.drift.old_sha256, snap.sha256, rec.drift.similarity, rec.drift.summary])
        async with conn.cursor() as cur:
            await cur.executemany(SNAPSHOT_SQL, list(snapshots.values()))
            await cur.executemany(CHECK_SQL, checks, returning=True)
            check_ids = []
            while True:
                row = await cur.fetchone()
                assert row is not None
                check_ids.append(row[0])
                if not cur.nextset():
                    break
            await cur.executemany(STATE_SQL, states)
            await cur.executemany(TOUCH_SQL, touched)
            await cur.executemany(DRIFT_SQL, drifts)
    return check_ids


def _check_row(rec: CheckRecord, url_id: int) -> list:
    result, new, snap = rec.result, rec.new, rec.result.snapshot
    return [url_id, rec.run_id, rec.checked_at, result.status, _int(result.alive) if new else None,
            result.http_status, result.final_url, json.dumps(result.redirects) if result.redirects else "[]",
            result.elapsed_ms, result.error, snap.sha256 if snap else None, int(new is None),
            new.state if new else None, rec.previous.state,
            json.dumps(result.headers, separators=(",", ":")) if result.headers else "[]"]


async def snapshot_body(conn: psycopg.AsyncConnection, sha256: str) -> tuple[bytes, str | None] | None:
    cur = await conn.execute("SELECT body, content_type FROM snapshots WHERE sha256 = %s", [sha256])
    row = await cur.fetchone()
    if not row or row[0] is None:
        return None
    return zlib.decompress(row[0]), row[1]


async def checked_in_run(conn: psycopg.AsyncConnection, run_id: int) -> dict[str, bool]:
    cur = await conn.execute("SELECT u.url, k.inconclusive = 0 AND k.status <> 'skipped' FROM checks k"
                             " JOIN urls u ON u.id = k.url_id WHERE k.run_id = %s", [run_id])
    return {url: bool(answered) for url, answered in await cur.fetchall()}


async def held_back(conn: psycopg.AsyncConnection, run_id: int) -> list[HeldBack]:
    cur = await conn.execute("SELECT k.id, u.url, k.status, k.error, k.checked_at, k.previous_state FROM checks k"
                             " JOIN urls u ON u.id = k.url_id WHERE k.run_id = %s AND k.inconclusive <> 0"
                             " ORDER BY k.id", [run_id])
    return [HeldBack(*r) for r in await cur.fetchall()]


async def settle_inconclusive(conn: psycopg.AsyncConnection, settled: Sequence[Settled]) -> None:
    async with conn.transaction(), conn.cursor() as cur:
        await cur.executemany(_SETTLE_CHECK, [sqlite_checks.settle_check_args(s) for s in settled])
        await cur.executemany(_SETTLE_URL, [sqlite_checks.settle_url_args(s) for s in settled])


# A check whose page text changed from the URL's previous snapshot (a drift row written with it).
CONTENT_CHANGED = ("EXISTS (SELECT 1 FROM drift d WHERE d.url_id = k.url_id AND d.new_sha256 = k.sha256"
                   " AND d.detected_at = k.checked_at)")


async def run_counts(conn: psycopg.AsyncConnection, run_id: int) -> list[tuple[str, str, str, bool, int]]:
    cur = await conn.execute(
        "SELECT status, CASE WHEN inconclusive <> 0 OR state IS NULL THEN 'inconclusive' ELSE state END,"
        " coalesce(previous_state, 'unchecked'), changed, count(*) FROM (SELECT k.status, k.inconclusive,"
        " k.state, k.previous_state, " + CONTENT_CHANGED + " AS changed FROM checks k WHERE k.run_id = %s) r"
        " GROUP BY 1, 2, 3, 4", [run_id])
    return [(s, after, before, bool(changed), n) for s, after, before, changed, n in await cur.fetchall()]


async def stale_urls(conn: psycopg.AsyncConnection, urls: list[str], older_than: str) -> list[str]:
    cur = await conn.execute("SELECT url FROM urls WHERE url = ANY(%s) AND last_conclusive >= %s",
                             [list(dict.fromkeys(urls)), older_than])
    fresh = {u for (u,) in await cur.fetchall()}
    return [u for u in urls if u not in fresh]


# -- the read side of a run (the reader's run_rows), synchronous ------------------------------------
_FIRST_CITED = ("LEFT JOIN (SELECT url_id, min(pos) AS pos FROM (SELECT c.url_id, row_number() OVER"
                " (ORDER BY g.rank, c.line, c.idx) AS pos FROM citations c JOIN {given} g ON g.id = c.document_id"
                " WHERE c.removed IS NULL) p GROUP BY url_id) f ON f.url_id = k.url_id")


def _given(documents: Sequence[int]) -> tuple[str, list]:
    """As the SQLite store's given_documents: (id, rank) of the documents given, else of all."""
    if documents:
        return "(SELECT id, rank FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(id, rank))", [list(documents)]
    return "(SELECT id, id AS rank FROM documents)", []


def run_rows(conn: psycopg.Connection, run_id: int, *, problems_only: bool = False,
             documents: Sequence[int] = ()) -> Iterator[CheckRow]:
    """The checks of one run as the check report shows them, in the order of their first citation;
    with `documents`, only their places, in the order given."""
    given, args = _given(documents)
    places: dict[str, list[Place]] = {}
    for url, path, note, line in conn.execute(
            "SELECT u.url, d.path, c.note, c.line FROM citations c JOIN documents d ON d.id = c.document_id"
            " JOIN urls u ON u.id = c.url_id JOIN " + given + " g ON g.id = c.document_id WHERE c.removed IS NULL"
            " AND c.url_id IN (SELECT url_id FROM checks WHERE run_id = %s)"
            " ORDER BY g.rank, c.line, c.idx", [*args, run_id]):
        found = places.setdefault(url, [])
        if Place(path, note, line) not in found:
            found.append(Place(path, note, line))
    where = " AND k.inconclusive = 0 AND k.state IN ('failing', 'dead')" if problems_only else ""
    cur = conn.execute(
        "SELECT u.url, k.status, k.alive, k.http_status, k.final_url, k.redirects, k.state, k.previous_state,"
        " k.sha256, k.elapsed_ms, k.error, k.checked_at, k.inconclusive, " + CONTENT_CHANGED +
        " FROM checks k JOIN urls u ON u.id = k.url_id " + _FIRST_CITED.format(given=given) + " WHERE k.run_id = %s"
        + where + " ORDER BY f.pos NULLS LAST, k.id", [*args, run_id])
    for (url, status, alive, http_status, final_url, redirects, state, previous, sha256, elapsed_ms, error,
         checked_at, inconclusive, changed) in cur:
        cited = tuple(places.get(url, ()))
        yield CheckRow(url, status, None if alive is None else bool(alive), http_status, final_url,
                       tuple(json.loads(redirects or "[]")), "inconclusive" if inconclusive else state, previous,
                       sha256, elapsed_ms, error, checked_at, bool(changed),
                       tuple(dict.fromkeys(p.note for p in cited if p.note)),
                       conclusive=not inconclusive and alive is not None, places=cited)


def _int(value: bool | None) -> int | None:
    return None if value is None else int(value)
