"""What a WARC/WACZ export reads: every check that stored a body, with its response headers.

Streamed in check order (oldest first), one check at a time with its decompressed body, so an
export of years of daily checks never holds more than one page in memory.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator

from ...models import StoredFetch
from . import Store


def stored_fetches(store: Store, *, since: str | None = None, url: str | None = None,
                   document: str | None = None) -> Iterator[StoredFetch]:
    """Checks with a stored body, oldest first; `since` (ISO time), `url` (as cited or as served)
    and `document` (its path as recorded) narrow them."""
    sql, args = fetches_query(since=since, url=url, document=document)
    ids = [r[0] for r in store.db.conn.execute(sql, args)]
    for check_id in ids:
        yield stored_fetch(check_id, store.db.conn.execute(FETCH_ONE, [check_id]).fetchone())


# The queries are written once, with `?` placeholders; the PostgreSQL reader uses them with `%s`.
FETCH_ONE = ("SELECT u.url, k.final_url, k.checked_at, k.http_status, k.sha256, s.body, s.content_type, s.truncated,"
             " s.title, k.redirects, k.headers FROM checks k JOIN urls u ON u.id = k.url_id"
             " JOIN snapshots s ON s.sha256 = k.sha256 WHERE k.id = ?")


def fetches_query(*, since: str | None, url: str | None, document: str | None) -> tuple[str, list]:
    """The ids of the checks with a stored body that `stored_fetches` reads, oldest first: (SQL, args)."""
    where, args = ["k.sha256 IS NOT NULL"], []
    if since:
        where.append("k.checked_at >= ?")
        args.append(since)
    if url:
        where.append("(u.url = ? OR k.final_url = ?)")
        args += [url, url]
    if document:
        where.append("k.url_id IN (SELECT c.url_id FROM citations c JOIN documents d ON d.id = c.document_id"
                     " WHERE d.path = ? OR d.abspath = ?)")
        args += [document, os.path.realpath(document)]
    return ("SELECT k.id FROM checks k JOIN urls u ON u.id = k.url_id WHERE " + " AND ".join(where)
            + " ORDER BY k.checked_at, k.id"), args


def stored_fetch(check_id: int, row) -> StoredFetch:
    """A `FETCH_ONE` row as a StoredFetch, its body decompressed."""
    assert row is not None
    url, final_url, checked_at, http_status, sha256, body, ctype, truncated, title, redirects, header_list = row
    headers = tuple((name, value) for name, value in json.loads(header_list or "[]"))
    return StoredFetch(check_id, url, final_url, checked_at, http_status, headers, sha256,
                       zlib.decompress(body) if body is not None else b"", ctype, bool(truncated), title,
                       tuple(json.loads(redirects or "[]")))


def document_known(store: Store, path: str) -> bool:
    return store.db.conn.execute("SELECT 1 FROM documents WHERE path = ? OR abspath = ?",
                                 [path, os.path.realpath(path)]).fetchone() is not None
