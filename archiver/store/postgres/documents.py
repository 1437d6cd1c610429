"""Documents and their citations on PostgreSQL: store/sqlite/documents.py's rules (a citation known
by its printed text and occurrence, one gone gets `removed`, a document known by its file and
recognised after a rename), in PostgreSQL's words. The rules themselves (`RENAME_OVERLAP`,
`absolute`) are SQLite's module's, imported, so they have one home.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence

import psycopg

from ...models import DocumentChanges, FindingAt, Place, Repaired
from ...urls.keys import host_of
from ..sqlite.documents import RENAME_MIN_SHARED, RENAME_OVERLAP, absolute, citation_extras


async def url_ids(conn: psycopg.AsyncConnection, urls: Sequence[str], now: str) -> dict[str, int]:
    """url -> urls.id, the missing ones inserted; safe against another worker inserting the same URL."""
    wanted = list(dict.fromkeys(urls))
    cur = await conn.execute("SELECT url, id FROM urls WHERE url = ANY(%s)", [wanted])
    ids: dict[str, int] = dict(await cur.fetchall())
    missing = [u for u in wanted if u not in ids]
    if missing:
        async with conn.cursor() as cur:
            await cur.executemany("INSERT INTO urls (url, host, first_seen) VALUES (%s, %s, %s)"
                                  " ON CONFLICT (url) DO NOTHING", [(u, host_of(u), now) for u in missing])
        cur = await conn.execute("SELECT url, id FROM urls WHERE url = ANY(%s)", [missing])
        ids.update(await cur.fetchall())
    return ids


async def places_for(conn: psycopg.AsyncConnection, urls: list[str]) -> dict[str, list[Place]]:
    out: dict[str, list[Place]] = {}
    cur = await conn.execute(
        "SELECT DISTINCT u.url, d.path, c.note, c.line, c.document_id FROM citations c JOIN urls u ON u.id = c.url_id"
        " JOIN documents d ON d.id = c.document_id WHERE c.removed IS NULL AND u.url = ANY(%s)"
        " ORDER BY c.document_id, c.line", [list(dict.fromkeys(urls))])
    for url, path, note, line, _ in await cur.fetchall():
        out.setdefault(url, []).append(Place(path, note, line))
    return out


async def save_document(conn: psycopg.AsyncConnection, path: str, fmt: str, sha256: str | None,
                        repaired: list[Repaired], now: str, *,
                        exists: Callable[[str], bool] = os.path.exists) -> DocumentChanges:
    """Record a document's citations as its current ones, in one transaction: a handful of
    statements, each sent for all citations at once (psycopg pipelines an executemany), not a
    round trip per citation."""
    async with conn.transaction():
        doc_id, renamed_from = await _document_id(conn, path, fmt, sha256, {r.citation.raw for r in repaired},
                                                  now, exists)
        known, current, had_findings = await _known(conn, doc_id)
        ids = await url_ids(conn, [r.url for r in repaired if r.url], now)
        occurrences = occurrences_of(repaired)
        keys = [known.get((rep.citation.raw, occ)) for rep, occ in zip(repaired, occurrences)]
        cit_ids = await _save_citations(conn, doc_id, repaired, occurrences, keys, ids, now)
        await _replace_findings(conn, repaired, cit_ids, [k for k in keys if k is not None and had_findings.get(k)])
        findings: list[FindingAt] = []
        for rep, key in zip(repaired, keys):
            had = had_findings.get(key, set()) if key is not None else set()
            place = Place(path, rep.citation.note, rep.citation.line)
            findings += [FindingAt(place, rep.url, f, (f.code, f.message) not in had)
                         for f in rep.findings if f.severity != "info"]
        seen = set(cit_ids)
        gone = current - seen
        if gone:
            await conn.execute("UPDATE citations SET removed = %s WHERE id = ANY(%s)", [now, sorted(gone)])
    return DocumentChanges(doc_id, path, added=len(seen - current), removed=len(gone), kept=len(seen & current),
                           renamed_from=renamed_from, findings=tuple(findings))


def occurrences_of(repaired: list[Repaired]) -> list[int]:
    """Which occurrence of its printed text in the document each citation is (0 for the first)."""
    seen: dict[str, int] = {}
    out = []
    for rep in repaired:
        out.append(seen.get(rep.citation.raw, 0))
        seen[rep.citation.raw] = out[-1] + 1
    return out


async def _document_id(conn, path: str, fmt: str, sha256: str | None, raws: set[str], now: str,
                       exists: Callable[[str], bool]) -> tuple[int, str | None]:
    key = absolute(path)
    row = await (await conn.execute("SELECT id FROM documents WHERE abspath = %s", [key])).fetchone() if key else None
    row = row or await (await conn.execute(
        "SELECT id FROM documents WHERE path = %s AND (abspath IS NULL OR %s::text IS NULL)", [path, key])).fetchone()
    renamed_from = None
    if row is None:
        moved = await _moved_document(conn, sha256, raws, exists)
        if moved is not None:
            row, renamed_from = (moved[0],), moved[1]
            await conn.execute("UPDATE documents SET previous_path = %s WHERE id = %s", [moved[1], moved[0]])
    doc_id = row[0] if row else None
    other = await (await conn.execute("SELECT id FROM documents WHERE path = %s AND id IS DISTINCT FROM %s",
                                      [path, doc_id])).fetchone()
    shown = key if other and key else path
    if doc_id is None:
        cur = await conn.execute("INSERT INTO documents (path, abspath, format, sha256, first_seen, last_seen)"
                                 " VALUES (%s,%s,%s,%s,%s,%s) RETURNING id", [shown, key, fmt, sha256, now, now])
        return (await cur.fetchone())[0], None
    await conn.execute("UPDATE documents SET path = %s, abspath = %s, format = %s, sha256 = %s, last_seen = %s"
                       " WHERE id = %s", [shown, key, fmt, sha256, now, doc_id])
    return doc_id, renamed_from


async def _moved_document(conn, sha256: str | None, raws: set[str], exists: Callable[[str], bool]
                          ) -> tuple[int, str] | None:
    """(id, old path) of a known document whose file is gone and whose content this is."""
    rows = await (await conn.execute("SELECT id, path, sha256, abspath FROM documents")).fetchall()
    gone = [(i, p, s) for i, p, s, a in rows if not exists(a or p)]
    for doc_id, old_path, old_sha in gone:
        if sha256 and old_sha == sha256:
            return doc_id, old_path
    best, best_score = None, RENAME_OVERLAP
    for doc_id, old_path, _ in gone:
        cur = await conn.execute("SELECT raw FROM citations WHERE document_id = %s AND removed IS NULL", [doc_id])
        old = {r for (r,) in await cur.fetchall()}
        shared = len(old & raws)
        score = shared / len(old | raws) if old | raws else 0.0
        if shared >= RENAME_MIN_SHARED and score >= best_score:
            best, best_score = (doc_id, old_path), score
    return best


async def _known(conn, doc_id: int) -> tuple[dict[tuple[str, int], int], set[int], dict[int, set[tuple[str, str]]]]:
    """A document's citations as stored: id by (printed text, occurrence), the current ones, and
    the (code, message) of the findings each had."""
    ids: dict[tuple[str, int], int] = {}
    current: set[int] = set()
    cur = await conn.execute("SELECT id, raw, occurrence, removed FROM citations WHERE document_id = %s", [doc_id])
    for cit_id, raw, occurrence, removed in await cur.fetchall():
        ids[raw, occurrence] = cit_id
        if removed is None:
            current.add(cit_id)
    findings: dict[int, set[tuple[str, str]]] = {}
    cur = await conn.execute("SELECT f.citation_id, f.code, f.message FROM findings f JOIN citations c"
                             " ON c.id = f.citation_id WHERE c.document_id = %s", [doc_id])
    for cit_id, code, message in await cur.fetchall():
        findings.setdefault(cit_id, set()).add((code, message))
    return ids, current, findings


async def _save_citations(conn, doc_id: int, repaired: list[Repaired], occurrences: list[int],
                          keys: list[int | None], ids: dict[str, int], now: str) -> list[int]:
    """Insert the new citations and update the known ones; every citation's id, in order."""
    rows = []
    for rep in repaired:
        c = rep.citation
        rows.append([c.line, c.note, c.index, ids[rep.url] if rep.url else None,
                     json.dumps(list(rep.candidates)) if rep.candidates else "[]", c.context,
                     c.accessed.isoformat() if c.accessed else None, *citation_extras(c)])
    async with conn.cursor() as cur:
        await cur.executemany("UPDATE citations SET line = %s, note = %s, idx = %s, url_id = %s, candidates = %s,"
                              " context = %s, accessed = %s, role = %s, added = %s, added_by = %s, last_seen = %s,"
                              " removed = NULL WHERE id = %s",
                              [[*row, now, key] for row, key in zip(rows, keys) if key is not None])
        new = [[*row, doc_id, rep.citation.raw, occ, now, now]
               for row, rep, occ, key in zip(rows, repaired, occurrences, keys) if key is None]
        added: list[int] = []
        if new:
            await cur.executemany(
                "INSERT INTO citations (line, note, idx, url_id, candidates, context, accessed, role, added, added_by,"
                " document_id, raw, occurrence, first_seen, last_seen)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                new, returning=True)
            while True:
                added.append((await cur.fetchone())[0])
                if not cur.nextset():
                    break
    fresh = iter(added)
    return [key if key is not None else next(fresh) for key in keys]


async def _replace_findings(conn, repaired: list[Repaired], cit_ids: list[int], had: list[int]) -> None:
    """The citations' findings as the read found them: the old ones of known citations go first."""
    if had:
        await conn.execute("DELETE FROM findings WHERE citation_id = ANY(%s)", [had])
    rows = [[cit_id, f.code, f.name, f.severity, f.message, f.fix]
            for rep, cit_id in zip(repaired, cit_ids) for f in rep.findings]
    if rows:
        async with conn.cursor() as cur:
            await cur.executemany("INSERT INTO findings (citation_id, code, name, severity, message, fix)"
                                  " VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING", rows)
