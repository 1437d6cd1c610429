"""Check history, snapshots, headers and content drift.

Each check is written atomically with its snapshot, headers, drift row and the URL's new state.
A run commits its checks in groups (store/group.py: every 0.25 s or 256 checks, whichever comes
first, the rows queued in memory until then): a killed run loses at most the checks recorded in its
last 0.25 s (at most 256) and the URLs in flight, which a resumed run checks again; never half a
check. A group whose writes fail is rolled back whole, in the same way.
Snapshots are content-addressed (SHA-256 of the decoded body) and zlib-compressed, so a page that
did not change costs one row in `checks`, not another copy of its bytes.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator

from ...defaults import TEXT_EXCERPT
from ...models import CheckResult, CheckRow, KnownUrl, Place, UrlState
from . import Store, iso
from .group import GroupCommit, Pending, open_group

__all__ = ["GroupCommit", "record_check"]


def url_state(store: Store, url: str) -> UrlState:
    row = store.url_row(url)
    if not row:
        return UrlState()
    return UrlState(row["state"], row["failures"], row["first_failed_at"], row["last_failed_at"],
                    row["dead_since"])


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


# zlib level 1: on 40 real HTML pages (52 KB on average) 2.3x less CPU than level 6 (0.66 against
# 1.5 ms a page), for bodies 16 % larger (3.5x smaller than the page instead of 4.0x).
SNAPSHOT_ZLIB_LEVEL = 1

# The URL's state before a check and whether its snapshot is stored already, in one statement.
_BEFORE = ("SELECT id, state, failures, first_failed_at, last_failed_at, dead_since, last_sha256,"
           " EXISTS (SELECT 1 FROM snapshots WHERE sha256 = ?) FROM urls WHERE url = ?")


def record_check(store: Store, result: CheckResult, *, run_id: int | None,
                 decide: Callable[[UrlState], UrlState | None], similarity=None) -> dict:
    """Record one check: queued in the run's open group (store.group), or else written in a
    transaction of its own. `decide(previous state)` gives the URL's state after it, or None for an
    inconclusive check (during a network outage), which changes nothing but history.
    Returns {"check_id", "previous", "new", "drift": similarity or None}."""
    group = open_group(store)
    pending = group.pending if group is not None else Pending()
    conn = store.db.conn
    when = iso(result.checked_at) or store.now()
    before = _before(group.cursor if group is not None else conn, pending, result.url, result.snapshot)
    new = decide(before[1])  # before anything is queued or written: a failing decide leaves the group as it was
    if group is None:
        with store.db.atomic():
            out = _queue(store, pending, result, run_id, when, before, new, similarity)
            pending.write(conn)
        return out
    changes = conn.total_changes
    try:
        out = _queue(store, pending, result, run_id, when, before, new, similarity)
    except BaseException:
        if conn.total_changes != changes:  # it wrote (a new URL, a drift row): the group goes, as a kill would lose it
            group.abandon()
        raise
    group.wrote()
    return out


def _before(conn, pending: Pending, url: str, snap) -> tuple[int | None, UrlState, str | None, bool]:
    """(url id, state, last snapshot's SHA-256, whether this snapshot is stored or queued): from the
    open group when it checked the URL already, else in one SELECT."""
    queued = snap is not None and snap.sha256 in pending.shas
    known = pending.urls.get(url)
    if known is None:
        row = conn.execute(_BEFORE, [snap.sha256 if snap else None, url]).fetchone()
        if row is not None:
            return row[0], UrlState(*row[1:6]), row[6], bool(row[7]) or queued
        url_id, state, last = None, UrlState(), None
    else:
        url_id, state, last = known
    return url_id, state, last, snap is not None and (queued or _snapshot_stored(conn, snap.sha256))


def _queue(store: Store, pending: Pending, result: CheckResult, run_id: int | None, when: str, before: tuple,
           new: UrlState | None, similarity) -> dict:
    """Queue the check's rows in `pending` (a new URL's row and a drift row are written at once)."""
    conn = store.db.conn
    url_id, previous, prev_sha, stored = before
    snap, drift = result.snapshot, None
    changed = bool(snap is not None and result.alive and prev_sha and prev_sha != snap.sha256)
    if (url_id is None or changed) and not conn.in_transaction:
        conn.execute("BEGIN")  # the group's transaction: what is written now commits with the check
    if url_id is None:
        url_id = store.url_id(result.url, when)
    if snap is not None and not stored:  # a page seen before is not compressed again (re-checks: most pages)
        pending.snapshots.append([
            snap.sha256, zlib.compress(snap.body, SNAPSHOT_ZLIB_LEVEL), snap.content_type, snap.charset, snap.size,
            int(snap.truncated), snap.title, _excerpt(snap.text), when])
        pending.shas.add(snap.sha256)
    if changed and snap is not None:
        pending.write(conn)  # drift reads both snapshots' bodies, which may be queued still
        drift = _record_drift(store, url_id, when, prev_sha, snap.sha256, similarity)
    check_id = pending.check_id(conn)
    pending.checks.append(_check_row(check_id, result, url_id, run_id, when, previous, new))
    if new is None:
        pending.touched.append([when, url_id])
        pending.urls[result.url] = (url_id, previous, prev_sha)
    else:
        sha = snap.sha256 if snap and result.alive else None
        pending.states.append([new.state, new.failures, new.first_failed_at, new.last_failed_at, new.dead_since, when,
                               result.status, _bool(result.alive), sha, when if result.alive is not None else None,
                               url_id])
        pending.urls[result.url] = (url_id, new, sha or prev_sha)
    return {"check_id": check_id, "previous": previous, "new": new, "drift": drift}


def _check_row(check_id: int, result: CheckResult, url_id: int, run_id: int | None, when: str, previous: UrlState,
               new: UrlState | None) -> list:
    snap = result.snapshot
    return [check_id, url_id, run_id, when, result.status, _bool(result.alive) if new else None, result.http_status,
            result.final_url, json.dumps(result.redirects) if result.redirects else "[]", result.elapsed_ms,
            result.error, snap.sha256 if snap else None, int(new is None), new.state if new else None,
            previous.state, _compact_json(result.headers) if result.headers else "[]"]


# headers as SQLite's own JSON functions write them (no spaces); one encoder for all checks: json.dumps
# builds a new one on every call (7 against 4.4 us for 4 headers).
_compact_json = json.JSONEncoder(separators=(",", ":")).encode


def _snapshot_stored(conn, sha256: str) -> bool:
    return conn.execute("SELECT 1 FROM snapshots WHERE sha256 = ?", [sha256]).fetchone() is not None


def places_by_url(store: Store, run_id: int) -> dict[str, list[Place]]:
    """url -> where it is cited now (document, note, line; in document order), for every URL
    checked in a run (one query)."""
    out: dict[str, list[Place]] = {}
    for url, path, note, line in store.db.conn.execute(
            "SELECT u.url, d.path, c.note, c.line FROM citations c JOIN documents d ON d.id = c.document_id"
            " JOIN urls u ON u.id = c.url_id WHERE c.removed IS NULL"
            " AND c.url_id IN (SELECT url_id FROM checks WHERE run_id = ?)"
            " ORDER BY c.document_id, c.line, c.idx", [run_id]):
        places = out.setdefault(url, [])
        place = Place(path, note, line)
        if place not in places:
            places.append(place)
    return out




def _excerpt(text: str | None) -> str | None:
    return text[:TEXT_EXCERPT] if text else text


def snapshot_text(store: Store, sha256: str) -> str:
    """The full extracted text of a snapshot, from its stored body."""
    from ...check.classify import decode_body, extract_text, is_html

    row = store.db.conn.execute("SELECT body, content_type FROM snapshots WHERE sha256 = ?", [sha256]).fetchone()
    if not row or row[0] is None:
        return ""
    decoded, _ = decode_body(zlib.decompress(row[0]), row[1])
    if decoded is None:
        return ""
    return extract_text(decoded) if is_html(row[1]) or "<html" in decoded[:1024].lower() else decoded


def _record_drift(store: Store, url_id: int, when: str, old: str, new: str, similarity) -> float | None:
    """A page's text changed between snapshots: record how much (1.0 = same text, new bytes).

    Only an excerpt of the text is kept in `snapshots.text`; the comparison uses the full text,
    extracted again from the stored bodies (this runs only when the bytes changed)."""
    conn = store.db.conn
    a, b = snapshot_text(store, old), snapshot_text(store, new)
    if a == b:
        return None  # only markup, ads or timestamps outside the main text changed
    score = similarity(a, b) if similarity else None
    summary = f"text changed: {len(a)} -> {len(b)} characters"
    if score is not None:
        summary += f", {score:.0%} similar"
    conn.execute(
        "INSERT INTO drift (url_id, detected_at, old_sha256, new_sha256, similarity, summary) VALUES (?,?,?,?,?,?)",
        [url_id, when, old, new, score, summary],
    )
    return score if score is not None else 0.0


def checked_in_run(store: Store, run_id: int) -> set[str]:
    """URLs that already have a check in this run (to resume a killed run)."""
    rows = store.db.conn.execute(
        "SELECT u.url FROM checks k JOIN urls u ON u.id = k.url_id WHERE k.run_id = ?", [run_id]).fetchall()
    return {r[0] for r in rows}


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


def held_back(store: Store, run_id: int) -> list[tuple[int, str, str, str | None, str, str | None]]:
    """(check id, url, status, error, checked_at, previous state) of a run's transport failures still
    waiting for the outage verdict: what a killed run leaves for its resumption to settle."""
    return store.db.conn.execute(
        "SELECT k.id, u.url, k.status, k.error, k.checked_at, k.previous_state FROM checks k"
        " JOIN urls u ON u.id = k.url_id WHERE k.run_id = ? AND k.inconclusive ORDER BY k.id", [run_id]).fetchall()


def settle_inconclusive(store: Store, check_id: int, url: str, new: UrlState, status: str,
                        alive: bool | None) -> None:
    """Apply a transport failure held back while the outage guard was undecided."""
    with store.db.atomic():
        store.db.conn.execute("UPDATE checks SET inconclusive = 0, alive = ?, state = ? WHERE id = ?",
                              [_bool(alive), new.state, check_id])
        store.db.conn.execute(
            "UPDATE urls SET state = ?, failures = ?, first_failed_at = ?, last_failed_at = ?, dead_since = ?,"
            " last_status = ?, last_alive = ?,"
            " last_conclusive = CASE WHEN ? IS NULL THEN last_conclusive"
            "                   ELSE (SELECT checked_at FROM checks WHERE id = ?) END WHERE url = ?",
            [new.state, new.failures, new.first_failed_at, new.last_failed_at, new.dead_since,
             status, _bool(alive), _bool(alive), check_id, url],
        )


PROBLEM_STATES = ("failing", "dead")

# A URL's position: its first current citation, in document order (documents in the order first read).
_FIRST_CITED = ("LEFT JOIN (SELECT url_id, min(pos) AS pos FROM (SELECT url_id, row_number() OVER"
                " (ORDER BY document_id, line, idx) AS pos FROM citations WHERE removed IS NULL) GROUP BY url_id)"
                " f ON f.url_id = k.url_id")


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


def run_checks_rows(store: Store, run_id: int, *, problems_only: bool = False) -> Iterator[CheckRow]:
    """The checks of one run as the check report shows them, streamed, ordered by document and
    note (their first citation), each with the places citing it; only failing and dead links with
    `problems_only`."""
    places = places_by_url(store, run_id)
    where = " AND NOT k.inconclusive AND k.state IN ('failing', 'dead')" if problems_only else ""
    cur = store.db.conn.execute(
        "SELECT u.url, k.status, k.alive, k.http_status, k.final_url, k.redirects, k.state, k.previous_state,"
        " k.sha256, k.elapsed_ms, k.error, k.checked_at, k.inconclusive, " + _CONTENT_CHANGED +
        " FROM checks k JOIN urls u ON u.id = k.url_id " + _FIRST_CITED + " WHERE k.run_id = ?" + where
        + " ORDER BY coalesce(f.pos, 9e18), k.id", [run_id])
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
