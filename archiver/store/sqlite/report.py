"""The editor's report: one row per citation with everything archive.db knows about it.

Why one query per report, streamed: a 50,000-note document must not sit in memory as objects, and
the report must read while a check writes (WAL). Each citation is joined with its URL's state, the
newest check (status, HTTP code, redirect target, page title), the content drift recorded since the
citation's access date (or since archiver first saw the citation), and the archived copy to cite:
for a live link the newest good capture, for a broken one the capture matched to it.

Citations that the latest read of their document no longer contains (`citations.removed`) are left
out: the report is about the document as it is now.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence

from ...errors import InputError
from ...models import BROKEN, Finding, ReportRow, RunRecord
from . import Store

# The newest good capture of a URL, of one need: 'match' (paired with a broken link) or any.
_CAPTURE = """(SELECT q.id FROM captures q WHERE q.url_id = u.id AND q.archive_url IS NOT NULL
    AND q.state IN ('success', 'matched', 'quota') AND (q.verdict IS NULL OR q.verdict <> 'bad') {need}
    ORDER BY q.timestamp DESC, q.id DESC LIMIT 1)"""
_MATCHED = "AND q.need = 'match'"
# A citation's quote checks, the worst first: one shown, with its verdict and its link.
_QUOTE = """(SELECT q.{col} FROM quotes q WHERE q.citation_id = c.id
    ORDER BY q.verdict = 'still-says-it', q.verdict = 'no-longer-says-it', q.id LIMIT 1)"""

_SELECT = f"""
SELECT d.path, c.id, c.line, c.note, c.idx, c.raw, u.url, c.candidates, c.context, c.accessed, c.first_seen,
       u.state, k.status, k.http_status, k.final_url, k.error, k.checked_at, k.previous_state, k.run_id,
       s.title,
       (SELECT count(*) FROM drift f WHERE f.url_id = u.id
          AND f.detected_at >= coalesce(c.accessed, c.first_seen)) AS drift_changes,
       (SELECT min(f.similarity) FROM drift f WHERE f.url_id = u.id
          AND f.detected_at >= coalesce(c.accessed, c.first_seen)) AS drift_similarity,
       (SELECT f.summary FROM drift f WHERE f.url_id = u.id
          AND f.detected_at >= coalesce(c.accessed, c.first_seen) ORDER BY f.id DESC LIMIT 1) AS drift_summary,
       m.archive_url, m.timestamp, p.archive_url, p.timestamp, p.need, c.role, c.added, c.added_by,
       m.verdict, m.qa, p.verdict, p.qa,
       (SELECT b.qa FROM captures b WHERE b.url_id = u.id AND b.verdict = 'bad' ORDER BY b.id DESC LIMIT 1),
       {_QUOTE.format(col="quote")}, {_QUOTE.format(col="verdict")}, {_QUOTE.format(col="link")}
FROM citations c
JOIN documents d ON d.id = c.document_id
LEFT JOIN urls u ON u.id = c.url_id
LEFT JOIN checks k ON k.id = (SELECT id FROM checks WHERE url_id = u.id AND inconclusive = 0
                              ORDER BY checked_at DESC, id DESC LIMIT 1)
LEFT JOIN snapshots s ON s.sha256 = k.sha256
LEFT JOIN captures m ON m.id = {_CAPTURE.format(need=_MATCHED)}
LEFT JOIN captures p ON p.id = {_CAPTURE.format(need="")}
WHERE c.document_id = ? AND c.removed IS NULL
ORDER BY CASE c.role WHEN 'citation' THEN 0 WHEN 'example' THEN 1 WHEN 'navigation' THEN 2 ELSE 3 END,
         c.note IS NULL, c.line, c.idx
"""


def documents(store: Store, paths: Sequence[str] | None = None) -> list[tuple[int, str]]:
    """(id, path) of the documents to report: those named (in the order given), else all by path.

    A path matches the same file (whatever directory archiver runs from), else, for a document
    recorded before files were, the path as given."""
    rows = store.db.conn.execute("SELECT id, path, abspath FROM documents ORDER BY path").fetchall()
    if not paths:
        return [(r[0], r[1]) for r in rows]
    by_file = {a: (i, p) for i, p, a in rows if a}
    by_path = {p: (i, p) for i, p, a in rows if not a}
    by_path_here = {os.path.realpath(p): (i, p) for i, p, a in rows if not a}
    out = []
    for path in paths:
        hit = by_file.get(os.path.realpath(path)) or by_path.get(path) or by_path_here.get(os.path.realpath(path))
        if hit is None:
            raise InputError(f"{path}: not in {store.path}; run `archiver run {path} --db {store.path}` first")
        out.append(hit)
    return list(dict.fromkeys(out))


def report_rows(store: Store, doc_ids: Sequence[int]) -> Iterator[ReportRow]:
    """Every current citation of the documents, by document, then role (citations first, then examples,
    navigation links, resources), then notes in document order (a footnote `[^note]` or a BibTeX key
    where the document has it, not after the numbered ones; DOCX footnotes by number, their line),
    then the rest by line."""
    last_run = _last_check_run(store)
    conn = store.db.conn
    for doc_id in doc_ids:
        findings = _findings(store, doc_id)
        for row in conn.execute(_SELECT, [doc_id]).fetchall():
            yield _row(row, findings.get(row[1], ()), last_run)


def _row(r: tuple, findings: tuple[Finding, ...], last_run: int | None) -> ReportRow:
    (path, _cid, line, note, idx, raw, url, candidates, context, accessed, first_seen, state, status, http,
     final_url, error, checked_at, previous, run_id, title, changes, similarity, drift_summary, match_url,
     match_ts, archive_url, archive_ts, archive_need, role, added, added_by, match_verdict, match_qa, any_verdict,
     any_qa, bad_qa, quote, quote_verdict, quote_link) = r
    archive_url, archive_ts, archive_need, verdict, qa = _copy_to_cite(
        state, (match_url, match_ts, "match", match_verdict, match_qa),
        (archive_url, archive_ts, archive_need, any_verdict, any_qa))
    if not archive_url and bad_qa:  # no good copy: say which captures were skipped as bad
        verdict, qa = "bad", bad_qa
    newly = bool(run_id is not None and run_id == last_run and state in BROKEN and previous not in BROKEN)
    return ReportRow(
        document=path, line=line, note=note, index=idx, raw=raw, url=url,
        candidates=tuple(json.loads(candidates or "[]")), context=context, accessed=accessed,
        first_seen=first_seen, findings=findings, state=state or ("unrecovered" if url is None else "unchecked"),
        status=status, http_status=http, final_url=final_url if final_url and final_url != url else None,
        error=error, checked_at=checked_at, title=title, drift_changes=changes or 0, drift_similarity=similarity,
        drift_since=accessed or first_seen, drift_summary=drift_summary, archive_url=archive_url,
        archive_timestamp=archive_ts, archive_kind={"match": "matched", "save": "captured"}.get(archive_need),
        newly_broken=newly, role=role or "citation", added=added, added_by=added_by, capture_verdict=verdict,
        capture_qa=qa, quote=quote, quote_verdict=quote_verdict, quote_link=quote_link)


def _findings(store: Store, doc_id: int) -> dict[int, tuple[Finding, ...]]:
    """citation id -> its findings, for a whole document in one query."""
    out: dict[int, list[Finding]] = {}
    for cid, *f in store.db.conn.execute(
            "SELECT f.citation_id, f.code, f.name, f.severity, f.message, f.fix FROM findings f"
            " JOIN citations c ON c.id = f.citation_id WHERE c.document_id = ? AND c.removed IS NULL"
            " ORDER BY f.citation_id, f.code, f.id", [doc_id]):
        out.setdefault(cid, []).append(Finding(*f))
    return {cid: tuple(fs) for cid, fs in out.items()}


def _last_check_run(store: Store) -> int | None:
    row = store.db.conn.execute("SELECT max(run_id) FROM checks WHERE inconclusive = 0").fetchone()
    return row[0] if row else None


def last_check_time(store: Store) -> str | None:
    """When the newest check run started (the report's "since the last run" refers to it)."""
    row = store.db.conn.execute(
        "SELECT r.started FROM runs r WHERE r.id = (SELECT max(run_id) FROM checks WHERE inconclusive = 0)"
    ).fetchone()
    return row[0] if row else None


def last_check_run(store: Store) -> RunRecord | None:
    """The newest check run, whatever its outcome: when it started, its outcome (`ok`, `problems`,
    `offline`, `interrupted`; `unfinished` while it runs or after it was killed) its summary, and whether
    it is the run the report's states come from (`judged`). None when no check has ever run."""
    row = store.db.conn.execute(
        "SELECT started, outcome, summary, id IS (SELECT max(run_id) FROM checks WHERE inconclusive = 0)"
        " FROM runs WHERE command = 'check' ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    try:
        summary = json.loads(row[2] or "{}")
    except ValueError:
        summary = {}
    return RunRecord(row[0], row[1] or "unfinished", summary, bool(row[3]))


def archived_copies(store: Store, urls: Sequence[str]) -> dict[str, tuple[str, str]]:
    """url -> (archive URL, 14-digit timestamp) of the copy to cite, for the URLs that have one:
    the capture matched to a broken link, else the newest good capture (as the report shows)."""
    out: dict[str, tuple[str, str]] = {}
    urls = list(dict.fromkeys(urls))
    for i in range(0, len(urls), 500):
        chunk = urls[i:i + 500]
        rows = store.db.conn.execute(
            f"SELECT u.url, u.state, m.archive_url, m.timestamp, p.archive_url, p.timestamp FROM urls u"
            f" LEFT JOIN captures m ON m.id = {_CAPTURE.format(need=_MATCHED)}"
            f" LEFT JOIN captures p ON p.id = {_CAPTURE.format(need='')}"
            f" WHERE u.url IN ({','.join('?' * len(chunk))})", chunk)
        for url, state, match_url, match_ts, any_url, any_ts in rows:
            copy = _copy_to_cite(state, (match_url, match_ts), (any_url, any_ts))
            if copy[0]:
                out[url] = copy[:2]
    return out


def _copy_to_cite(state: str | None, matched: tuple, newest: tuple) -> tuple:
    """A broken link: the capture chosen for it (not a later one); otherwise the newest good one."""
    return matched if state in BROKEN and matched[0] else newest
