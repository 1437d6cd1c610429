"""Check history, snapshots, headers and content drift.

The check stage hands the store its checks in groups (`record_checks`, check/recorder.py: every
0.25 s or 256 checks), each group one transaction with its snapshots, drift rows and the URLs' new
states, which the stage decided. A killed run loses at most the group being written and the one
being gathered, which a resumed run checks again; never half a check.
Snapshots are content-addressed (SHA-256 of the decoded body) and zlib-compressed here, on the
store's own thread, so a page that did not change costs one row in `checks`, not another copy of
its bytes, and compressing never holds up the event loop.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator, Sequence

from ...defaults import TEXT_EXCERPT
from ...models import CheckRecord, CheckRow, HeldBack, KnownUrl, Place, Settled, UrlState
from . import Store
from .documents import _url_ids

__all__ = ["record_checks"]


def known_urls(store: Store, urls: list[str]) -> dict[str, KnownUrl]:
    """url -> what the store knows of it, for those of `urls` it has seen (500 URLs per query)."""
    out: dict[str, KnownUrl] = {}
    wanted = list(dict.fromkeys(urls))
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for url, *state, status, sha in store.db.conn.execute(
                "SELECT url, state, failures, first_failed_at, last_failed_at, dead_since, last_status, last_sha256"
                f" FROM urls WHERE url IN ({','.join('?' * len(chunk))})", chunk):
            out[url] = KnownUrl(url, UrlState(*state), status, sha)
    return out


# zlib level 1: on 40 real HTML pages (52 KB on average) 2.3x less CPU than level 6, for bodies 16 %
# larger (3.5x smaller than the page instead of 4.0x).
SNAPSHOT_ZLIB_LEVEL = 1

SNAPSHOT_SQL = ("INSERT OR IGNORE INTO snapshots (sha256, body, content_type, charset, size, truncated, title,"
                " text, first_seen) VALUES (?,?,?,?,?,?,?,?,?)")
CHECK_SQL = ("INSERT INTO checks (id, url_id, run_id, checked_at, status, alive, http_status, final_url,"
             " redirects, elapsed_ms, error, sha256, inconclusive, state, previous_state, headers)"
             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
STATE_SQL = ("UPDATE urls SET state = ?, failures = ?, first_failed_at = ?, last_failed_at = ?, dead_since = ?,"
             " last_checked = ?, last_status = ?, last_alive = ?, last_sha256 = coalesce(?, last_sha256),"
             " last_conclusive = coalesce(?, last_conclusive) WHERE id = ?")
TOUCH_SQL = "UPDATE urls SET last_checked = ? WHERE id = ?"  # an inconclusive check: history only
DRIFT_SQL = ("INSERT INTO drift (url_id, detected_at, old_sha256, new_sha256, similarity, summary)"
             " VALUES (?,?,?,?,?,?)")


def record_checks(store: Store, records: Sequence[CheckRecord]) -> list[int]:
    """Write a group of checks, with their snapshots, drift and the URLs' new states, in one
    transaction; return the checks' ids, in order."""
    if not records:
        return []
    conn = store.db.conn
    with store.db.atomic():
        url_ids = _url_ids(conn, [r.result.url for r in records], records[0].checked_at)
        stored = _stored_shas(conn, [r.result.snapshot.sha256 for r in records if r.result.snapshot])
        first = (conn.execute("SELECT max(id) FROM checks").fetchone()[0] or 0) + 1
        snapshots, checks, states, touched, drifts = [], [], [], [], []
        for check_id, rec in enumerate(records, first):
            result, when, url_id, snap = rec.result, rec.checked_at, url_ids[rec.result.url], rec.result.snapshot
            if snap is not None and snap.sha256 not in stored:  # a page seen before is not compressed again
                snapshots.append([snap.sha256, zlib.compress(snap.body, SNAPSHOT_ZLIB_LEVEL), snap.content_type,
                                  snap.charset, snap.size, int(snap.truncated), snap.title, _excerpt(snap.text), when])
                stored.add(snap.sha256)
            checks.append(_check_row(check_id, rec, url_id))
            new = rec.new
            if new is None:
                touched.append([when, url_id])
                continue
            sha = snap.sha256 if snap and result.alive else None
            states.append([new.state, new.failures, new.first_failed_at, new.last_failed_at, new.dead_since, when,
                           result.status, _bool(result.alive), sha, when if result.alive is not None else None,
                           url_id])
            if rec.drift is not None and snap is not None:
                drifts.append([url_id, when, rec.drift.old_sha256, snap.sha256, rec.drift.similarity,
                               rec.drift.summary])
        conn.executemany(SNAPSHOT_SQL, snapshots)
        conn.executemany(CHECK_SQL, checks)
        conn.executemany(STATE_SQL, states)
        conn.executemany(TOUCH_SQL, touched)
        conn.executemany(DRIFT_SQL, drifts)
    return list(range(first, first + len(records)))


def _stored_shas(conn, shas: list[str]) -> set[str]:
    wanted = list(dict.fromkeys(shas))
    out: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        out.update(r[0] for r in conn.execute(
            f"SELECT sha256 FROM snapshots WHERE sha256 IN ({','.join('?' * len(chunk))})", chunk))
    return out


def _check_row(check_id: int, rec: CheckRecord, url_id: int) -> list:
    result, new, snap = rec.result, rec.new, rec.result.snapshot
    return [check_id, url_id, rec.run_id, rec.checked_at, result.status, _bool(result.alive) if new else None,
            result.http_status, result.final_url, json.dumps(result.redirects) if result.redirects else "[]",
            result.elapsed_ms, result.error, snap.sha256 if snap else None, int(new is None),
            new.state if new else None, rec.previous.state,
            _compact_json(result.headers) if result.headers else "[]"]


# headers as SQLite's own JSON functions write them (no spaces); one encoder for all checks.
_compact_json = json.JSONEncoder(separators=(",", ":")).encode


def snapshot_body(store: Store, sha256: str) -> tuple[bytes, str | None] | None:
    """(the body, decompressed, and its content type) of a stored snapshot."""
    row = store.db.conn.execute("SELECT body, content_type FROM snapshots WHERE sha256 = ?", [sha256]).fetchone()
    if not row or row[0] is None:
        return None
    return zlib.decompress(row[0]), row[1]


def places_by_url(store: Store, run_id: int, documents: Sequence[int] = ()) -> dict[str, list[Place]]:
    """url -> where it is cited now (document, note, line; in document order), for every URL
    checked in a run (one query); only in `documents` (ids, in that order) when given."""
    given, args = given_documents(documents)
    out: dict[str, list[Place]] = {}
    for url, path, note, line in store.db.conn.execute(
            "SELECT u.url, d.path, c.note, c.line FROM citations c JOIN documents d ON d.id = c.document_id"
            " JOIN urls u ON u.id = c.url_id JOIN " + given + " g ON g.id = c.document_id WHERE c.removed IS NULL"
            " AND c.url_id IN (SELECT url_id FROM checks WHERE run_id = ?)"
            " ORDER BY g.rank, c.line, c.idx", [*args, run_id]):
        places = out.setdefault(url, [])
        place = Place(path, note, line)
        if place not in places:
            places.append(place)
    return out


def given_documents(documents: Sequence[int]) -> tuple[str, list]:
    """A table (id, rank) of the documents a run was given, in that order, and its query arguments;
    every document, by id, when none is given (a caller that names none)."""
    if documents:
        return "(SELECT CAST(value AS INTEGER) AS id, key AS rank FROM json_each(?))", [json.dumps(list(documents))]
    return "(SELECT id, id AS rank FROM documents)", []




def _excerpt(text: str | None) -> str | None:
    return text[:TEXT_EXCERPT] if text else text


def checked_in_run(store: Store, run_id: int) -> dict[str, bool]:
    """url -> whether its host answered (a conclusive check, not skipped), for every URL that has a
    check in this run (to resume a killed run)."""
    return {url: bool(answered) for url, answered in store.db.conn.execute(
        "SELECT u.url, NOT k.inconclusive AND k.status != 'skipped' FROM checks k"
        " JOIN urls u ON u.id = k.url_id WHERE k.run_id = ?", [run_id])}


def mark_interrupted(store: Store, run_id: int, summary: dict) -> None:
    """A run stopped by a signal: say so, and leave it unfinished so the next run resumes it."""
    store.db.conn.execute("UPDATE runs SET outcome = 'interrupted', summary = ? WHERE id = ?",
                          [json.dumps(summary, sort_keys=True), run_id])


def unfinished_run(store: Store, command: str) -> int | None:
    """The newest run of `command` that never finished (killed), to resume it."""
    row = store.db.conn.execute(
        "SELECT id FROM runs WHERE command = ? AND finished IS NULL ORDER BY id DESC LIMIT 1", [command]
    ).fetchone()
    return row[0] if row else None


def held_back(store: Store, run_id: int) -> list[HeldBack]:
    """A run's transport failures still waiting for the outage verdict: what a killed run leaves for
    its resumption to settle."""
    return [HeldBack(*r) for r in store.db.conn.execute(
        "SELECT k.id, u.url, k.status, k.error, k.checked_at, k.previous_state FROM checks k"
        " JOIN urls u ON u.id = k.url_id WHERE k.run_id = ? AND k.inconclusive ORDER BY k.id", [run_id])]


def settle_inconclusive(store: Store, settled: Sequence[Settled]) -> None:
    """Apply the transport failures held back while the outage guard was undecided, in one transaction."""
    with store.db.atomic():
        store.db.conn.executemany(SETTLE_CHECK, [settle_check_args(s) for s in settled])
        store.db.conn.executemany(SETTLE_URL, [settle_url_args(s) for s in settled])


# A held-back check settled once the outage verdict is in, and its URL's state: written once, with `?`
# placeholders; the PostgreSQL store uses the same text with `%s` (store/postgres/checks.py).
SETTLE_CHECK = "UPDATE checks SET inconclusive = 0, alive = ?, state = ? WHERE id = ?"
SETTLE_URL = ("UPDATE urls SET state = ?, failures = ?, first_failed_at = ?, last_failed_at = ?, dead_since = ?,"
              " last_status = ?, last_alive = ?, last_conclusive = CASE WHEN CAST(? AS BIGINT) IS NULL"
              " THEN last_conclusive ELSE (SELECT checked_at FROM checks WHERE id = ?) END WHERE url = ?")


def settle_check_args(s: Settled) -> list:
    return [_bool(s.alive), s.new.state, s.check_id]


def settle_url_args(s: Settled) -> list:
    return [s.new.state, s.new.failures, s.new.first_failed_at, s.new.last_failed_at, s.new.dead_since,
            s.status, _bool(s.alive), _bool(s.alive), s.check_id, s.url]


# A URL's position: its first current citation, in document order (documents in the order first read).
_FIRST_CITED = ("LEFT JOIN (SELECT url_id, min(pos) AS pos FROM (SELECT c.url_id, row_number() OVER"
                " (ORDER BY g.rank, c.line, c.idx) AS pos FROM citations c JOIN {given} g ON g.id = c.document_id"
                " WHERE c.removed IS NULL) GROUP BY url_id) f ON f.url_id = k.url_id")


# A check whose page text changed from the URL's previous snapshot (a drift row written with it).
_CONTENT_CHANGED = ("EXISTS (SELECT 1 FROM drift d WHERE d.url_id = k.url_id AND d.new_sha256 = k.sha256"
                    " AND d.detected_at = k.checked_at)")


def run_counts(store: Store, run_id: int) -> list[tuple[str, str, str, bool, int]]:
    """(status, state after, state before, content changed, how many checks) of one run, as
    `run_checks_rows` would give them (a held-back check's state is "inconclusive", a first check's
    previous state "unchecked"): the run's summary counts, in one row per kind of check."""
    return store.db.conn.execute(
        "SELECT status, CASE WHEN inconclusive OR state IS NULL THEN 'inconclusive' ELSE state END,"
        " coalesce(previous_state, 'unchecked'), changed, count(*) FROM (SELECT k.status, k.inconclusive,"
        " k.state, k.previous_state, " + _CONTENT_CHANGED + " AS changed FROM checks k WHERE k.run_id = ?)"
        " GROUP BY 1, 2, 3, 4", [run_id]).fetchall()


def run_checks_rows(store: Store, run_id: int, *, problems_only: bool = False,
                    documents: Sequence[int] = ()) -> Iterator[CheckRow]:
    """The checks of one run as the check report shows them, streamed, ordered by document and
    note (their first citation), each with the places citing it; only failing and dead links with
    `problems_only`. With `documents` (ids, in the order the run was given them), only their places
    are shown and their order is the order: `check a.txt` lists a.txt's notes, not another
    document's that cites the same URL."""
    places = places_by_url(store, run_id, documents)
    given, args = given_documents(documents)
    where = " AND NOT k.inconclusive AND k.state IN ('failing', 'dead')" if problems_only else ""
    cur = store.db.conn.execute(
        "SELECT u.url, k.status, k.alive, k.http_status, k.final_url, k.redirects, k.state, k.previous_state,"
        " k.sha256, k.elapsed_ms, k.error, k.checked_at, k.inconclusive, " + _CONTENT_CHANGED +
        " FROM checks k JOIN urls u ON u.id = k.url_id " + _FIRST_CITED.format(given=given) + " WHERE k.run_id = ?"
        + where + " ORDER BY coalesce(f.pos, 9e18), k.id", [*args, run_id])
    for (url, status, alive, http_status, final_url, redirects, state, previous, sha256, elapsed_ms, error,
         checked_at, inconclusive, changed) in cur:
        cited = tuple(places.get(url, ()))
        yield CheckRow(url, status, None if alive is None else bool(alive), http_status, final_url,
                       _redirects(redirects), "inconclusive" if inconclusive else state, previous,
                       sha256, elapsed_ms, error, checked_at, bool(changed),
                       tuple(dict.fromkeys(p.note for p in cited if p.note)),
                       conclusive=not inconclusive and alive is not None, places=cited)


def stale_urls(store: Store, urls: list[str], older_than: str) -> list[str]:
    """Those of `urls` without a conclusive check since `older_than` (ISO time): a check that could
    not tell (an outage, a bot wall) leaves the URL stale, to be checked again next time."""
    fresh = {r[0] for r in store.db.conn.execute(
        "SELECT url FROM urls WHERE last_conclusive IS NOT NULL AND last_conclusive >= ?", [older_than])}
    return [u for u in urls if u not in fresh]


def _redirects(stored: str | None) -> tuple[dict, ...]:
    """A check's redirect chain from its JSON; most checks have none, and json.loads("[]") is 1.3 us."""
    return tuple(json.loads(stored)) if stored and stored != "[]" else ()


def _bool(value: bool | None) -> int | None:
    return None if value is None else int(value)
