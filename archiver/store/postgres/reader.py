"""The read side of a PostgreSQL store for the offline readers (report, annotate, export, a run's
rows): synchronous, like SQLite's (store/sqlite/reader.py), on a psycopg connection of its own.

The report's query and its row rules are SQLite's (store/sqlite/report.py), taken from there and
put in PostgreSQL's words by `_postgres`, which fails loudly when the text it rewrites has changed,
so the two backends' reports cannot drift apart unnoticed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence

import psycopg

from ...errors import InputError
from ...models import CheckRow, Finding, ReportRow, RunRecord, Screenshot, StampKind, StoredFetch, Timestamp
from ..sqlite import export as sqlite_export
from ..sqlite import proofs
from ..sqlite import report as sqlite_report
from . import checks
from .connect import migrate, redacted, store_error

_REWRITES = [
    ("?", "%s"),
]


def _postgres(sql: str) -> str:
    for sqlite, postgres in _REWRITES:
        if sqlite not in sql:
            raise AssertionError(f"store/sqlite/report.py changed: {sqlite!r} is gone; update {__name__}")
        sql = sql.replace(sqlite, postgres)
    return sql


_REPORT = _postgres(sqlite_report._SELECT)
_FETCH_ONE = sqlite_export.FETCH_ONE.replace("?", "%s")
_LAST_JUDGED = "(SELECT max(run_id) FROM checks WHERE inconclusive = 0)"


class PostgresReader:
    """archiver.store.StoreReader over a PostgreSQL store."""

    def __init__(self, url: str):
        self.url = self.path = url
        migrate(url)
        try:
            self.conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise store_error(url, exc) from None

    def __enter__(self) -> PostgresReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise store_error(self.url, exc) from None

    def documents(self, paths: Sequence[str] | None = None) -> list[tuple[int, str]]:
        with self._reading():
            rows = self.conn.execute("SELECT id, path, abspath FROM documents ORDER BY path").fetchall()
        if not paths:
            return [(r[0], r[1]) for r in rows]
        by_file = {a: (i, p) for i, p, a in rows if a}
        by_path = {p: (i, p) for i, p, a in rows if not a}
        out = []
        for path in paths:
            hit = by_file.get(os.path.realpath(path)) or by_path.get(path)
            if hit is None:
                raise InputError(f"{path}: not in {redacted(self.url)}; run `archiver run {path} --db ...` first")
            out.append(hit)
        return list(dict.fromkeys(out))

    def report_rows(self, doc_ids: Sequence[int]) -> Iterator[ReportRow]:
        with self._reading():
            last = self.conn.execute(f"SELECT {_LAST_JUDGED}").fetchone()
            last_run = last[0] if last else None
            for doc_id in doc_ids:
                findings: dict[int, list[Finding]] = {}
                for cid, *f in self.conn.execute(
                        "SELECT f.citation_id, f.code, f.name, f.severity, f.message, f.fix FROM findings f"
                        " JOIN citations c ON c.id = f.citation_id WHERE c.document_id = %s AND c.removed IS NULL"
                        " ORDER BY f.citation_id, f.code, f.id", [doc_id]):
                    findings.setdefault(cid, []).append(Finding(*f))
                for row in self.conn.execute(_REPORT, [doc_id]).fetchall():
                    yield sqlite_report._row(row, tuple(findings.get(row[1], ())), last_run)

    def last_check_time(self) -> str | None:
        with self._reading():
            row = self.conn.execute(f"SELECT started FROM runs WHERE id = {_LAST_JUDGED}").fetchone()
        return row[0] if row else None

    def last_check_run(self) -> RunRecord | None:
        with self._reading():
            row = self.conn.execute(f"SELECT started, outcome, summary, id IS NOT DISTINCT FROM {_LAST_JUDGED}"
                                    " FROM runs WHERE command = 'check' ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        try:
            summary = json.loads(row[2] or "{}")
        except ValueError:
            summary = {}
        return RunRecord(row[0], row[1] or "unfinished", summary, bool(row[3]))

    def run_rows(self, run_id: int, *, problems_only: bool = False, documents: Sequence[int] = ()) -> Iterator[CheckRow]:
        with self._reading():
            yield from checks.run_rows(self.conn, run_id, problems_only=problems_only, documents=documents)

    def archived_copies(self, urls: Sequence[str]) -> dict[str, tuple[str, str]]:
        capture = sqlite_report._CAPTURE
        with self._reading():
            rows = self.conn.execute(
                f"SELECT u.url, u.state, m.archive_url, m.timestamp, p.archive_url, p.timestamp FROM urls u"
                f" LEFT JOIN captures m ON m.id = {capture.format(need=sqlite_report._MATCHED)}"
                f" LEFT JOIN captures p ON p.id = {capture.format(need='')} WHERE u.url = ANY(%s)",
                [list(dict.fromkeys(urls))]).fetchall()
        out = {}
        for url, state, match_url, match_ts, any_url, any_ts in rows:
            copy = sqlite_report._copy_to_cite(state, (match_url, match_ts), (any_url, any_ts))
            if copy[0]:
                out[url] = copy[:2]
        return out

    def stored_fetches(self, *, since: str | None = None, url: str | None = None,
                       document: str | None = None) -> Iterator[StoredFetch]:
        sql, args = sqlite_export.fetches_query(since=since, url=url, document=document)
        with self._reading():
            ids = [r[0] for r in self.conn.execute(sql.replace("?", "%s"), args)]
            for check_id in ids:
                yield sqlite_export.stored_fetch(check_id, self.conn.execute(_FETCH_ONE, [check_id]).fetchone())

    def timestamps(self) -> Iterator[Timestamp]:
        with self._reading():
            for row in self.conn.execute(proofs.TIMESTAMPS):
                yield proofs.as_timestamp(row)

    def stamped_bytes(self, kind: StampKind, sha256: str) -> bytes | None:
        if kind not in proofs.SUBJECT:
            return None
        with self._reading():
            row = self.conn.execute(proofs.postgres(proofs.SUBJECT[kind]), [sha256]).fetchone()
        return proofs.subject_bytes(kind, row)

    def screenshots(self) -> Iterator[Screenshot]:
        with self._reading():
            for row in self.conn.execute(proofs.SCREENSHOTS):
                yield proofs.as_screenshot(row)

    def thumbnail_index(self) -> dict[str, tuple[int, str]]:
        with self._reading():
            rows = self.conn.execute(proofs.NEWEST_THUMBS).fetchall()
        return {url: (shot_id, taken) for url, shot_id, taken in rows}

    def thumbnail(self, shot_id: int) -> bytes | None:
        with self._reading():
            row = self.conn.execute(proofs.postgres(proofs.THUMB), [shot_id]).fetchone()
        return bytes(row[0]) if row and row[0] else None
