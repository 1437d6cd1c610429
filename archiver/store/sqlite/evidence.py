"""The SQL of capture QA and the quote checks (archiver/captures/), written once: the PostgreSQL
store runs the same statements with %s placeholders.

"Archiver's snapshot from the citation's time" is its oldest page of the URL that was alive, when that
page was taken no later than THEN_DAYS after the access date the note states (or, with no date
stated, whenever archiver first fetched it: it fetches a citation when it first reads it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from ...models import Evidence, QuoteCheck

__all__ = ["CITATIONS", "LIVE", "THEN", "THEN_DAYS", "COPIES", "evidence_of", "quote_rows", "DELETE_QUOTES", "INSERT_QUOTE"]

THEN_DAYS = 30

CITATIONS = ("SELECT c.id, c.context, c.accessed FROM citations c JOIN urls u ON u.id = c.url_id"
             " WHERE u.url = ? AND c.removed IS NULL ORDER BY c.id")
LIVE = ("SELECT k.sha256, k.alive FROM checks k JOIN urls u ON u.id = k.url_id WHERE u.url = ?"
        " AND k.inconclusive = 0 AND k.alive IS NOT NULL ORDER BY k.checked_at DESC, k.id DESC LIMIT 1")
THEN = ("SELECT k.sha256, k.checked_at FROM checks k JOIN urls u ON u.id = k.url_id WHERE u.url = ?"
        " AND k.alive = 1 AND k.sha256 IS NOT NULL ORDER BY k.checked_at, k.id LIMIT 1")
COPIES = ("SELECT count(*) FROM captures q JOIN urls u ON u.id = q.url_id WHERE u.url = ? AND q.archive_url IS NOT NULL"
          " AND q.state IN ('success', 'matched', 'quota') AND (q.verdict IS NULL OR q.verdict <> 'bad')")
DELETE_QUOTES = "DELETE FROM quotes WHERE citation_id = ?"
INSERT_QUOTE = ("INSERT INTO quotes (citation_id, quote, kind, verdict, live, snapshot, capture, link, checked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def evidence_of(one: Callable[[str], tuple | None], citations: list[tuple]) -> Evidence:
    """Evidence from the rows `one(sql)` reads (the URL bound) and the citation rows."""
    copies = one(COPIES)
    live = one(LIVE)
    then = one(THEN)
    accessed = min((c[2] for c in citations if c[2]), default=None)
    if then and accessed and then[1][:10] > _plus_days(accessed, THEN_DAYS):
        then = None  # archiver first saw the page long after it was cited: not the page as cited
    return Evidence(tuple((c[0], c[1], c[2]) for c in citations), live[0] if live and live[1] else None,
                    then[0] if then else None, then[1] if then else None, copies[0] if copies else 0)


def _plus_days(day: str, days: int) -> str:
    try:
        return (datetime.fromisoformat(day[:10]) + timedelta(days=days)).date().isoformat()
    except ValueError:
        return "9999"


def quote_rows(checks: Sequence[QuoteCheck], now: str) -> list[tuple]:
    return [(q.citation_id, q.quote, q.kind, q.verdict, _int(q.live), _int(q.snapshot), _int(q.capture), q.link, now)
            for q in checks]


def _int(found: bool | None) -> int | None:
    return None if found is None else int(found)
