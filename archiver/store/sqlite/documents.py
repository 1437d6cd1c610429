"""Documents and their citations over time: what a document cites now, what it cited before, since when.

Why: archive.db is read months later with SQL, and a citation that was edited away must not stay
in `latest_status` as if the document still cited it. Reading a document again therefore
replaces its current citations: one still there keeps its row (and `first_seen`), one gone gets
`removed` (the row and its findings stay, as history), a new one is added.

A citation is identified in its document by its text as printed (`raw`) and which occurrence of
that text it is, not by its line: text added above it shifts lines and may renumber notes, and
neither is a new citation. Editing a URL is a removal plus an addition, which is what happened.

A document is known by its file (`abspath`: absolute, symlinks resolved), so running archiver from
another directory (`notes.txt` here, `../work/notes.txt` there) is the same document; `path` is
the path as given last, what outputs show. A renamed or moved document is recognised by its
content where that is possible: a file archiver has not seen, whose old file is gone from disk,
is the same document when its bytes are identical or when most of its citations are the old
document's (`RENAME_OVERLAP`). Its history carries over and `previous_path` keeps the old name.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable

from ...models import Citation, DocumentChanges, FindingAt, Place, Repaired
from ...urls.keys import host_of

RENAME_OVERLAP = 0.6  # share of citations (Jaccard, by printed text) that makes a moved document the same one
RENAME_MIN_SHARED = 3  # ... and at least this many in common, so two one-link documents are never merged


# Citations written between two offers of the GIL: the store runs on its own thread, and a long document
# would otherwise hold the GIL for whole switch intervals at a time while the first requests wait to leave.
YIELD_EVERY = 64


def save_document(store, path: str, fmt: str, sha256: str | None, repaired: Iterable[Repaired], *,
                  exists: Callable[[str], bool] = os.path.exists) -> DocumentChanges:
    """Record a document's citations as its current ones, in one transaction."""
    repaired = list(repaired)
    now = store.now()
    conn = store.db.conn
    with store.db.atomic():
        doc_id, renamed_from = _document_id(store, path, fmt, sha256, {r.citation.raw for r in repaired}, now,
                                            exists)
        known = _Known(conn, doc_id)
        known.url_ids = _url_ids(conn, [r.url for r in repaired if r.url], now)
        current = known.current
        occurrences: dict[str, int] = {}
        seen: set[int] = set()
        findings: list[FindingAt] = []
        for i, rep in enumerate(repaired, 1):
            if i % YIELD_EVERY == 0:
                time.sleep(0)  # let the event loop's thread have the GIL: its requests go on meanwhile
            occurrence = occurrences.get(rep.citation.raw, 0)
            occurrences[rep.citation.raw] = occurrence + 1
            cit_id, had = _save_citation(store, doc_id, rep, occurrence, now, known)
            seen.add(cit_id)
            place = Place(path, rep.citation.note, rep.citation.line)
            findings += [FindingAt(place, rep.url, f, (f.code, f.message) not in had)
                         for f in rep.findings if f.severity != "info"]
        gone = current - seen
        conn.executemany("UPDATE citations SET removed = ? WHERE id = ?", [[now, cid] for cid in sorted(gone)])
    return DocumentChanges(doc_id, path, added=len(seen - current), removed=len(gone), kept=len(seen & current),
                           renamed_from=renamed_from, findings=tuple(findings))


def absolute(path: str) -> str | None:
    """The file's absolute path, symlinks resolved: the same file from any directory (None for stdin)."""
    return None if path == "-" else os.path.realpath(path)


def _document_id(store, path: str, fmt: str, sha256: str | None, raws: set[str], now: str,
                 exists: Callable[[str], bool]) -> tuple[int, str | None]:
    """The id of the document at `path`: known by its file (or, for a row from before files were
    recorded, by the path as given), recognised after a rename, or new."""
    conn = store.db.conn
    key = absolute(path)
    row = conn.execute("SELECT id FROM documents WHERE abspath = ?", [key]).fetchone() if key else None
    row = row or conn.execute("SELECT id FROM documents WHERE path = ? AND (abspath IS NULL OR ? IS NULL)",
                              [path, key]).fetchone()
    renamed_from = None
    if row is None:
        moved = _moved_document(store, sha256, raws, exists)
        if moved is not None:
            row, renamed_from = (moved[0],), moved[1]
            conn.execute("UPDATE documents SET previous_path = ? WHERE id = ?", [moved[1], moved[0]])
    shown = _free_path(conn, path, key, row[0] if row else None)
    if row is None:
        cur = conn.execute("INSERT INTO documents (path, abspath, format, sha256, first_seen, last_seen)"
                           " VALUES (?,?,?,?,?,?)", [shown, key, fmt, sha256, now, now])
        return cur.lastrowid, None
    conn.execute("UPDATE documents SET path = ?, abspath = ?, format = ?, sha256 = ?, last_seen = ? WHERE id = ?",
                 [shown, key, fmt, sha256, now, row[0]])
    return row[0], renamed_from


def _free_path(conn, path: str, key: str | None, doc_id: int | None) -> str:
    """The path to show for this document: as given, unless another document already shows it (two
    files both given as `notes.txt`, from two directories); then its absolute path."""
    other = conn.execute("SELECT id FROM documents WHERE path = ? AND id IS NOT ?", [path, doc_id]).fetchone()
    return key if other and key else path


def _moved_document(store, sha256: str | None, raws: set[str], exists: Callable[[str], bool]
                    ) -> tuple[int, str] | None:
    """(id, old path) of a known document whose file is gone and whose content this is."""
    conn = store.db.conn
    gone = [(i, p, s) for i, p, s, a in conn.execute("SELECT id, path, sha256, abspath FROM documents")
            if not exists(a or p)]
    for doc_id, old_path, old_sha in gone:
        if sha256 and old_sha == sha256:
            return doc_id, old_path
    best, best_score = None, RENAME_OVERLAP
    for doc_id, old_path, _ in gone:
        old = {r[0] for r in conn.execute(
            "SELECT raw FROM citations WHERE document_id = ? AND removed IS NULL", [doc_id])}
        shared = len(old & raws)
        score = shared / len(old | raws) if old | raws else 0.0
        if shared >= RENAME_MIN_SHARED and score >= best_score:
            best, best_score = (doc_id, old_path), score
    return best


_IN_CHUNK = 500  # URLs per `IN (...)`: well under SQLite's 999 variables of versions before 3.32


def _url_ids(conn, urls: list[str], now: str) -> dict[str, int]:
    """url -> urls.id for a document's URLs, the missing ones inserted: a few SELECTs of 500 URLs
    and one executemany, instead of a SELECT and an INSERT per citation."""
    wanted = list(dict.fromkeys(urls))
    ids = _select_ids(conn, wanted)
    missing = [u for u in wanted if u not in ids]
    if missing:
        hosts: dict[str, str] = {}  # host by the URL up to its path: one urlsplit per scheme and authority
        rows = []
        for url in missing:
            end = url.find("/", url.find("//") + 2)
            key = url if end < 0 else url[:end]
            host = hosts.get(key)
            if host is None:
                host = hosts[key] = host_of(key)
            rows.append((url, host, now))
        conn.executemany("INSERT INTO urls (url, host, first_seen) VALUES (?, ?, ?)", rows)
        ids.update(_select_ids(conn, missing))
    return ids


def _select_ids(conn, urls: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(urls), _IN_CHUNK):
        chunk = urls[i:i + _IN_CHUNK]
        out.update(conn.execute(f"SELECT url, id FROM urls WHERE url IN ({','.join('?' * len(chunk))})", chunk))
    return out


class _Known:
    """A document's citations as stored, read once (two queries) instead of three statements per
    citation: id by (printed text, occurrence), which are current, and the findings each had."""

    def __init__(self, conn, doc_id: int):
        self.ids: dict[tuple[str, int], int] = {}
        self.url_ids: dict[str, int] = {}
        self.current: set[int] = set()
        for cit_id, raw, occurrence, removed in conn.execute(
                "SELECT id, raw, occurrence, removed FROM citations WHERE document_id = ?", [doc_id]):
            self.ids[raw, occurrence] = cit_id
            if removed is None:
                self.current.add(cit_id)
        self.findings: dict[int, set[tuple[str, str]]] = {}
        for cit_id, code, message in conn.execute(
                "SELECT f.citation_id, f.code, f.message FROM findings f JOIN citations c ON c.id = f.citation_id"
                " WHERE c.document_id = ?", [doc_id]):
            self.findings.setdefault(cit_id, set()).add((code, message))


# A URL's earliest stated access date, first sighting, and earliest inferred date of adding with its source.
FIRST_CITED = ("SELECT min(c.accessed), min(c.first_seen),"
               " (SELECT min(a.added || ' ' || a.added_by) FROM citations a WHERE a.url_id = u.id"
               "  AND a.removed IS NULL AND a.added IS NOT NULL)"
               " FROM citations c JOIN urls u ON u.id = c.url_id WHERE u.url = ? AND c.removed IS NULL GROUP BY u.id")


def first_cited(row: tuple | None) -> tuple[str | None, str | None, tuple[str, str] | None]:
    """FIRST_CITED's row as first_cited returns it."""
    if row is None:
        return None, None, None
    added = tuple(row[2].split(" ", 1)) if row[2] else None
    return row[0], row[1], added


def citation_extras(c: Citation) -> list:
    """The role and the inferred date of adding, as stored (both backends write them)."""
    return [c.role, c.added.isoformat() if c.added else None, c.added_by if c.added else None]


def _save_citation(store, doc_id: int, rep: Repaired, occurrence: int, now: str, known: _Known
                   ) -> tuple[int, set[tuple]]:
    """Insert or update one citation and replace its findings; return its id and the (code, message)
    of the findings it had before (none for a new citation)."""
    c = rep.citation
    conn = store.db.conn
    url_id = known.url_ids[rep.url] if rep.url else None
    values = [c.line, c.note, c.index, url_id, json.dumps(list(rep.candidates)) if rep.candidates else "[]",
              c.context, c.accessed.isoformat() if c.accessed else None, *citation_extras(c)]
    cit_id = known.ids.get((c.raw, occurrence))
    had = known.findings.get(cit_id, set()) if cit_id is not None else set()
    if cit_id is None:
        cit_id = conn.execute(
            "INSERT INTO citations (line, note, idx, url_id, candidates, context, accessed, role, added, added_by,"
            " document_id, raw, occurrence, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [*values, doc_id, c.raw, occurrence, now, now]).lastrowid
    else:
        conn.execute("UPDATE citations SET line = ?, note = ?, idx = ?, url_id = ?, candidates = ?, context = ?,"
                     " accessed = ?, role = ?, added = ?, added_by = ?, last_seen = ?, removed = NULL WHERE id = ?",
                     [*values, now, cit_id])
        if had:
            conn.execute("DELETE FROM findings WHERE citation_id = ?", [cit_id])
    if rep.findings:
        conn.executemany(
            "INSERT OR IGNORE INTO findings (citation_id, code, name, severity, message, fix) VALUES (?,?,?,?,?,?)",
            [[cit_id, f.code, f.name, f.severity, f.message, f.fix] for f in rep.findings])
    return cit_id, had
