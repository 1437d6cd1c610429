"""The store: everything archiver has seen, behind one boundary.

`ArchiveStore` (store/interface.py) is what the stages may ask of a store; `open_store(url)` is the
only way a stage gets one. `StoreReader` is the read side of the offline readers (report, annotate,
export), which run outside any event loop; `open_reader(url)` gives one. `archive.db`, a plain path
or `sqlite:///path` opens the SQLite backend (store/sqlite/), the default, which needs no server;
`postgresql://…` opens the PostgreSQL one (store/postgres/, the `archiver[scale]` extra), imported
only then. All SQL lives under this package.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigError
from .interface import ArchiveStore, StoreReader

NEEDS_SCALE = "a postgresql:// store needs the PostgreSQL driver: pip install 'archiver[scale]'"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")  # a URL, not a file path

__all__ = ["ArchiveStore", "StoreReader", "copy_store", "is_postgres", "missing", "open_queue_db", "open_reader", "open_store",
           "redacted", "sqlite_path", "upgrade_store"]


def missing(url: str | os.PathLike, document: str = "PATH") -> str | None:
    """Why the readers (report, export) have no archive at `url` to read, or None when there is
    one: an archive.db that is not there. A PostgreSQL store is its server's to hold."""
    if is_postgres(url) or Path(sqlite_path(url)).is_file():
        return None
    return f"{url}: no archive database here; run `archiver run {document} --db {url}` first"


def redacted(url: str | os.PathLike) -> str:
    """`url` as it may be shown: a database URL's password, in the authority or as libpq's
    `?password=` parameter, replaced by `***` (a path is unchanged)."""
    text = os.fspath(url)
    if "://" not in text:
        return text
    parts = urlsplit(text)
    if parts.password is not None:
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "password" for k, _ in query):
        parts = parts._replace(query=urlencode([(k, "***" if k == "password" else v) for k, v in query], safe="*"))
    return urlunsplit(parts)


def is_postgres(url: str | os.PathLike) -> bool:
    """Whether `url` names a PostgreSQL store (`postgresql://…` or `postgres://…`)."""
    return os.fspath(url).startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str | os.PathLike) -> str:
    """The file path an `archive.db` path or `sqlite:///…` URL names."""
    text = os.fspath(url)
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") - 1:] if text.startswith("sqlite:////") else text[len("sqlite:///"):]
    if (found := _SCHEME.match(text)) is not None:
        scheme = found.group(1)
        raise ConfigError(f"--db {text}: archiver cannot open a {scheme}:// store; give a file path such as "
                          "archive.db, sqlite:///path/to/archive.db or postgresql://user@host/database")
    return text


def open_store(url: str | os.PathLike, **options: Any) -> ArchiveStore:
    """Open the store `url` names: a path or `sqlite:///path` (SQLite, the default), or
    `postgresql://…`. `await store.close()` when done."""
    if is_postgres(url):
        return _postgres("store").PostgresStore(os.fspath(url), **options)
    from .sqlite.threaded import ThreadedStore

    return ThreadedStore(sqlite_path(url), **options)


def open_reader(url: str | os.PathLike) -> StoreReader:
    """The read side of the store `url` names, for the report, annotate and export."""
    if is_postgres(url):
        return _postgres("reader").PostgresReader(os.fspath(url))
    from .sqlite.reader import Reader

    return Reader(sqlite_path(url))


def upgrade_store(url: str | os.PathLike, *, create: bool = False) -> None:
    """Bring the store `url` names to this archiver's schema (what any writing command does on
    opening it; the readers never do). A missing archive.db is an error unless `create`."""
    if not create and (why := missing(url)):
        from ..errors import InputError

        raise InputError(why)
    if is_postgres(url):
        _postgres("reader").PostgresReader(os.fspath(url)).close()  # migrates on opening
        return
    from .sqlite import Store

    Store(sqlite_path(url)).close()


def open_queue_db(url: str) -> Any:
    """The queue's own statements on the PostgreSQL database `url` (store/postgres/queue.py's
    QueueDb: shared host state, a run's checks as the workers record them); `await .open()` it."""
    return _postgres("queue").QueueDb(url)


def _postgres(module: str) -> Any:
    """store/postgres/`module`, or a clear error when the `scale` extra (psycopg) is not installed."""
    try:
        return importlib.import_module(f".postgres.{module}", __name__)
    except ImportError as exc:
        if exc.name is None or not exc.name.startswith("psycopg"):
            raise
        raise ConfigError(NEEDS_SCALE) from None


def copy_store(src: str, dst: str):
    """Copy the archive at `src` into the new, empty store `dst` (SQLite or PostgreSQL, either way),
    verified by row counts and snapshot digests (store/transfer.py); a `CopyReport` of what moved."""
    from .transfer import copy_store as copy

    return copy(src, dst)
