"""archive.db: everything archiver has seen, in one SQLite file any client (Datasette, sqlite3) can read.

Why SQLite: one file a researcher can copy as evidence, transactional writes so a killed run never
leaves half a row, WAL so a report can read while a check writes. All SQL lives in this package:
`__init__` opens, migrates and locks; `checks.py` holds check history, snapshots and drift;
`captures.py` holds the Wayback captures. `Store` is synchronous; `threaded.py` runs it on one
thread of its own behind the asynchronous `ArchiveStore`, and `reader.py` serves the offline
readers. Checks arrive in groups (the check stage gathers them), everything else as it happens;
`db.py` is the connection wrapper.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from ...clock import iso, utcnow
from ...errors import ConfigError, StoreError, StoreLocked
from ...models import (
    CaptureRow,
    CheckRecord,
    CheckRow,
    DocumentChanges,
    Evidence,
    HeldBack,
    KnownUrl,
    Place,
    QuoteCheck,
    Repaired,
    Screenshot,
    Settled,
    StampKind,
    Timestamp,
)
from ...urls.keys import host_of
from .db import Database
from .schema import MIGRATIONS

__all__ = ["Store"]


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The row id an INSERT just made (sqlite3 types it as optional; after an INSERT it is set)."""
    assert cursor.lastrowid is not None
    return cursor.lastrowid


class Store:
    """An open archive.db. Use as a context manager; `lock()` before writing in a long run."""

    def __init__(self, path: str | os.PathLike, *, clock=utcnow, readonly: bool = False):
        """Open (creating, migrating) archive.db; `readonly` only reads it, as the report and the
        export do: opened with SQLite's mode=ro, no journal mode set and no migration run, so
        they need no write access and change nothing in the file."""
        self.path = Path(path)
        self.clock = clock
        self._lock_fd: int | None = None
        if self.path.is_dir():
            raise ConfigError(f"{self.path} is a directory; --db needs a file path")
        try:
            self.db = Database(_connect(self.path, readonly))
        except sqlite3.DatabaseError as exc:
            raise StoreError(_open_failure(self.path, exc)) from exc
        try:
            current = self._schema_version()  # a file not ours is refused before anything is written to it
            if readonly:
                self._readable(current)
            else:
                self.db.conn.execute("PRAGMA journal_mode=WAL")
                self._migrate(current)
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(_open_failure(self.path, exc)) from exc
        except StoreError:
            self.db.close()
            raise

    def _readable(self, current: int) -> None:
        """A reader reads only an archive.db of this archiver's schema: it migrates nothing."""
        if current == len(MIGRATIONS):
            return
        if current == 0:
            raise StoreError(f"{self.path} holds no archive yet (an empty database); run `archiver run PATH --db "
                             f"{self.path}` first")
        if current < len(MIGRATIONS):
            raise StoreError(
                f"{self.path} was written by an older archiver (schema version {current}; this one reads "
                f"{len(MIGRATIONS)}), and the report and export never change the file: its owner upgrades it "
                f"with `archiver db upgrade {self.path}`")
        raise StoreError(f"{self.path} has schema version {current}, newer than this archiver knows "
                         f"({len(MIGRATIONS)}); upgrade archiver")

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.unlock()
        self.db.close()

    def lock(self) -> None:
        """Take the run lock: two runs on one database never overlap. The OS drops it if we die."""
        lock_path = str(self.path) + ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"{lock_path}: cannot create the run lock: {exc.strerror}.{_disk_hint(self.path)}") \
                from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 100).decode(errors="replace").strip()
            os.close(fd)
            raise StoreLocked(
                f"{self.path} is in use by another archiver run ({other or 'unknown pid'}); "
                "wait for it to finish or use another --db"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"pid {os.getpid()}".encode())
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"{lock_path}: cannot write the run lock: {exc.strerror}.{_disk_hint(self.path)}") \
                from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.ftruncate(self._lock_fd, 0)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _migrate(self, current: int) -> None:
        conn = self.db.conn
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        if current > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this archiver knows "
                f"({len(MIGRATIONS)}); upgrade archiver"
            )
        for version, sql in enumerate(MIGRATIONS[current:], start=current + 1):
            try:
                conn.execute("BEGIN IMMEDIATE")
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version VALUES (?)", [version])
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise StoreError(f"migrating {self.path} to version {version} failed: {exc}") from exc

    def _schema_version(self) -> int:
        """The recorded schema version (0 for a new, empty file). Refuses an SQLite file that is
        not an archive.db, rather than adding archiver's tables to someone else's database."""
        conn = self.db.conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                                             " AND name NOT LIKE 'sqlite_%'")}
        if "schema_version" not in tables:
            if tables:
                raise StoreError(
                    f"{self.path} is an SQLite database but not an archive database (it has tables "
                    f"{', '.join(sorted(tables)[:5])}{', ...' if len(tables) > 5 else ''} and no schema_version); "
                    "archiver leaves it untouched. Point --db at an archive.db or a new file.")
            return 0
        values = [r[0] for r in conn.execute("SELECT version FROM schema_version")]
        if any(type(v) is not int for v in values):
            bad = next(v for v in values if type(v) is not int)
            raise StoreError(
                f"{self.path}: schema_version holds {bad!r}, not a version number; the file is damaged or "
                "not an archive database. Restore a copy, or point --db at a new file.")
        current = max(values, default=0)
        if current and not {"urls", "runs", "checks"} <= tables:
            raise StoreError(
                f"{self.path} has a schema_version table but not archiver's tables; it is not an archive "
                "database. Point --db at an archive.db or a new file.")
        return current

    @property
    def version(self) -> int:
        return self.db.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]

    def now(self) -> str:
        return iso(self.clock()) or ""

    # -- runs ----------------------------------------------------------------
    def start_run(self, command: str) -> int:
        cur = self.db.conn.execute(
            "INSERT INTO runs (command, started) VALUES (?, ?)", [command, self.now()]
        )
        return inserted_id(cur)

    def finish_run(self, run_id: int, outcome: str, summary: dict) -> None:
        self.db.conn.execute(
            "UPDATE runs SET finished = ?, outcome = ?, summary = ? WHERE id = ?",
            [self.now(), outcome, json.dumps(summary, sort_keys=True), run_id],
        )

    # -- documents, citations, findings --------------------------------------
    def save_document(self, path: str, fmt: str, sha256: str | None, repaired: Iterable[Repaired]
                      ) -> DocumentChanges:
        """Record a document's citations as its current ones (see store.documents); one transaction."""
        from .documents import save_document

        return save_document(self, path, fmt, sha256, repaired)

    def url_id(self, url: str, now: str | None = None) -> int:
        conn = self.db.conn
        row = conn.execute("SELECT id FROM urls WHERE url = ?", [url]).fetchone()
        if row:
            return row[0]
        cur = conn.execute(
            "INSERT INTO urls (url, host, first_seen) VALUES (?, ?, ?)",
            [url, host_of(url), now or self.now()],
        )
        return inserted_id(cur)

    def url_row(self, url: str) -> dict | None:
        """The URL's row, every column (for tests and tools that look at archive.db directly)."""
        rows = list(self.db.query("SELECT * FROM urls WHERE url = ?", [url]))
        return rows[0] if rows else None

    def places_for(self, urls: list[str]) -> dict[str, list[Place]]:
        """url -> where it is cited now (document and note or line, in document order), for `urls`."""
        out: dict[str, list[Place]] = {}
        wanted = list(dict.fromkeys(urls))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for url, *place in self.db.conn.execute(
                    "SELECT DISTINCT u.url, d.path, c.note, c.line FROM citations c JOIN urls u ON u.id = c.url_id"
                    " JOIN documents d ON d.id = c.document_id WHERE c.removed IS NULL"
                    f" AND u.url IN ({','.join('?' * len(chunk))}) ORDER BY c.document_id, c.line", chunk):
                out.setdefault(url, []).append(Place(*place))
        return out

    def first_cited(self, url: str) -> tuple[str | None, str | None, tuple[str, str] | None]:
        """(earliest access date stated by any citation, first time archiver saw it, earliest inferred
        date of adding and its source)."""
        return documents.first_cited(self.db.conn.execute(documents.FIRST_CITED, [url]).fetchone())

    # -- the rest of the stage-facing interface (archiver.store.interface.ArchiveStore) -------------
    # Thin delegations: the SQL lives in checks.py, captures.py and documents.py.
    def unfinished_run(self, command: str) -> int | None:
        return checks.unfinished_run(self, command)

    def mark_interrupted(self, run_id: int, summary: dict) -> None:
        checks.mark_interrupted(self, run_id, summary)

    def checked_in_run(self, run_id: int) -> dict[str, bool]:
        return checks.checked_in_run(self, run_id)

    def known_urls(self, urls: list[str]) -> dict[str, KnownUrl]:
        return checks.known_urls(self, urls)

    def stale_urls(self, urls: list[str], older_than: str) -> list[str]:
        return checks.stale_urls(self, urls, older_than)

    def record_checks(self, records: Sequence[CheckRecord]) -> list[int]:
        return checks.record_checks(self, records)

    def snapshot_body(self, sha256: str) -> tuple[bytes, str | None] | None:
        return checks.snapshot_body(self, sha256)

    def held_back(self, run_id: int) -> list[HeldBack]:
        return checks.held_back(self, run_id)

    def settle_inconclusive(self, settled: Sequence[Settled]) -> None:
        checks.settle_inconclusive(self, settled)

    def run_counts(self, run_id: int) -> list[tuple[str, str, str, bool, int]]:
        return checks.run_counts(self, run_id)

    def run_rows(self, run_id: int, *, problems_only: bool = False, documents: Sequence[int] = ()) -> Iterator[CheckRow]:
        return checks.run_checks_rows(self, run_id, problems_only=problems_only, documents=documents)

    def archive_state(self, key: str) -> str | None:
        return captures.get_state(self, key)

    def set_archive_state(self, key: str, value: str | None) -> None:
        captures.set_state(self, key, value)

    def capture(self, url: str, need: str) -> CaptureRow | None:
        return captures.current(self, url, need)

    def open_jobs(self) -> list[CaptureRow]:
        return captures.open_jobs(self)

    def open_capture(self, url: str, need: str, state: str, now: str, **fields: object) -> int:
        return captures.open_row(self, url, need, state, now, **fields)

    def begin_submit(self, capture_id: int, now: str) -> None:
        captures.begin_submit(self, capture_id, now)

    def record_job(self, capture_id: int, job_id: str, now: str, reason: str | None = None) -> None:
        captures.record_job(self, capture_id, job_id, now, reason)

    def finish_capture(self, capture_id: int, state: str, now: str, **fields: object) -> None:
        captures.finish(self, capture_id, state, now, **fields)

    def capture_submission(self, capture_id: int) -> tuple[str | None, str | None]:
        return captures.submission(self, capture_id)

    def all_urls(self) -> list[str]:
        return [r["url"] for r in self.db.query("SELECT url FROM urls ORDER BY id")]

    def evidence(self, url: str) -> Evidence:
        conn = self.db.conn
        return evidence.evidence_of(lambda sql: conn.execute(sql, [url]).fetchone(),
                                    conn.execute(evidence.CITATIONS, [url]).fetchall())

    def save_quotes(self, citation_ids: Sequence[int], checks: Sequence[QuoteCheck], now: str) -> None:
        with self.db.atomic():
            for cid in citation_ids:
                self.db.conn.execute(evidence.DELETE_QUOTES, [cid])
            self.db.conn.executemany(evidence.INSERT_QUOTE, evidence.quote_rows(checks, now))


    def unstamped(self, kind: StampKind, tsa: str) -> list[str]:
        return proofs.unstamped(self.db.conn, kind, tsa)

    def save_timestamps(self, stamps: Sequence[Timestamp]) -> None:
        with self.db.atomic():
            proofs.save_timestamps(self.db.conn, stamps, self.now())

    def screenshot_due(self, urls: Sequence[str]) -> list[str]:
        return proofs.screenshot_due(self.db.conn, urls)

    def save_screenshot(self, shot: Screenshot) -> None:
        with self.db.atomic():
            proofs.save_screenshot(self.db.conn, shot)


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """One connection, used by one thread at a time: the store's own (threaded.py), or the owner's
    when no run is on. Read-only, SQLite's mode=ro: nothing in the file or beside it is created."""
    if readonly:
        if not path.is_file():
            raise StoreError(f"{path}: no archive database here; run `archiver run PATH --db {path}` first")
        conn = _read_only(path)
    else:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def _read_only(path: Path) -> sqlite3.Connection:
    """SQLite's mode=ro. A WAL database's reader needs its -shm index: SQLite reads the one a
    writer keeps, or makes one beside the file. Where it can make none (a folder this user may
    not write) and no -wal says a writer is at work, the file is read as immutable: nothing is
    written to it or beside it, and nothing is changing it."""
    uri = f"file:{quote(str(path.resolve()))}"
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) or Path(f"{path}-wal").exists():
            raise
        conn.close()
        conn = sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA query_only=ON")
    return conn


def _disk_hint(path: Path) -> str:
    """' The disk holding DIR is full ...' when it is, else ''."""
    import shutil

    folder = path.resolve().parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    if free >= 1024 * 1024:
        return ""
    return f" The disk holding {folder} is full ({free:,} bytes free): free some space and run again."


def _open_failure(path: Path, exc: sqlite3.DatabaseError) -> str:
    folder = path.resolve().parent
    if not folder.is_dir():
        return f"cannot open {path}: its folder {folder} does not exist; create it or point --db elsewhere"
    hint = _disk_hint(path)
    if hint:
        return f"cannot open {path}: {exc}.{hint}"
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc) and not os.access(
            path.resolve().parent, os.W_OK):
        return f"cannot open {path}: permission denied on {path.resolve().parent}"
    return f"cannot open {path} as an archive database: {exc}. Point --db at an archive.db or a new file."


def _split_sql(script: str) -> list[str]:
    """Split a migration into complete statements, so it can run inside our own transaction."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    return statements


from . import captures, checks, documents, evidence, proofs  # noqa: E402 - they import Store from here
