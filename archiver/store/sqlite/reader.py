"""The read side of archive.db for the offline readers (report, annotate, export, a run's rows).

They open the file read-only (SQLite's mode=ro: no journal mode, no migration, nothing created
beside it), so an editor who may only read archive.db gets the report, and a file that is not an
archive is left exactly as it was. These run outside any event loop and stream rows to a file or a terminal, so they read synchronously;
every read goes through `_reading`, which turns sqlite3's errors into archiver's (failures.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import ParamSpec, TypeVar

from ...models import CheckRow, ReportRow, RunRecord, Screenshot, StampKind, StoredFetch, Timestamp
from . import Store, proofs
from . import export as exports
from . import report as reports
from .failures import store_error

P = ParamSpec("P")
T = TypeVar("T")


def _reading(fn: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(str(args[0].path), exc) from exc  # type: ignore[attr-defined]

    return wrapper


def _streaming(fn: Callable[P, Iterator[T]]) -> Callable[P, Iterator[T]]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        try:
            yield from fn(*args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(str(args[0].path), exc) from exc  # type: ignore[attr-defined]

    return wrapper


class Reader:
    """archiver.store.StoreReader over an archive.db file."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        try:
            self._store = Store(path, readonly=True)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from exc

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._store.close()

    @_reading
    def documents(self, paths: Sequence[str] | None = None) -> list[tuple[int, str]]:
        return reports.documents(self._store, paths)

    @_streaming
    def report_rows(self, doc_ids: Sequence[int]) -> Iterator[ReportRow]:
        return reports.report_rows(self._store, doc_ids)

    @_reading
    def last_check_time(self) -> str | None:
        return reports.last_check_time(self._store)

    @_reading
    def last_check_run(self) -> RunRecord | None:
        return reports.last_check_run(self._store)

    @_streaming
    def run_rows(self, run_id: int, *, problems_only: bool = False, documents: Sequence[int] = ()) -> Iterator[CheckRow]:
        return self._store.run_rows(run_id, problems_only=problems_only, documents=documents)

    @_reading
    def archived_copies(self, urls: Sequence[str]) -> dict[str, tuple[str, str]]:
        return reports.archived_copies(self._store, urls)

    @_streaming
    def stored_fetches(self, *, since: str | None = None, url: str | None = None,
                       document: str | None = None) -> Iterator[StoredFetch]:
        return exports.stored_fetches(self._store, since=since, url=url, document=document)

    @_streaming
    def timestamps(self) -> Iterator[Timestamp]:
        return proofs.timestamps(self._store.db.conn)

    @_reading
    def stamped_bytes(self, kind: StampKind, sha256: str) -> bytes | None:
        return proofs.subject(self._store.db.conn, kind, sha256)

    @_streaming
    def screenshots(self) -> Iterator[Screenshot]:
        return proofs.screenshots(self._store.db.conn)

    @_reading
    def thumbnail_index(self) -> dict[str, tuple[int, str]]:
        return proofs.thumbnail_index(self._store.db.conn)

    @_reading
    def thumbnail(self, shot_id: int) -> bytes | None:
        return proofs.thumbnail(self._store.db.conn, shot_id)
