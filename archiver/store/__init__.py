"""The store: everything archiver has seen, behind one boundary.

`ArchiveStore` (store/interface.py) is what the stages may ask of a store; `open_store(url)` is the
only way a stage gets one. `StoreReader` is the read side of the offline readers (report, annotate,
export), which run outside any event loop; `open_reader(url)` gives one. `archive.db`, a plain path
or `sqlite:///path` opens the SQLite backend (store/sqlite/), the default, which needs no server.
All SQL lives under this package.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError
from .interface import ArchiveStore, StoreReader

__all__ = ["ArchiveStore", "StoreReader", "open_reader", "open_store", "sqlite_path"]


def sqlite_path(url: str | os.PathLike) -> str:
    """The file path an `archive.db` path or `sqlite:///…` URL names."""
    text = os.fspath(url)
    if text.startswith("sqlite:///"):
        return text[len("sqlite:///") - 1:] if text.startswith("sqlite:////") else text[len("sqlite:///"):]
    if "://" in text.split("/", 1)[0] + "/" and not text.startswith("file:"):
        scheme = text.split("://", 1)[0]
        raise ConfigError(f"--db {text}: archiver cannot open a {scheme}:// store; give a file path such as "
                          "archive.db or sqlite:///path/to/archive.db")
    return text


def open_store(url: str | os.PathLike, **options: Any) -> ArchiveStore:
    """Open the store `url` names: a path or `sqlite:///path` (SQLite, the default). `await
    store.close()` when done."""
    from .sqlite.threaded import ThreadedStore

    return ThreadedStore(sqlite_path(url), **options)


def open_reader(url: str | os.PathLike) -> StoreReader:
    """The read side of the store `url` names, for the report, annotate and export."""
    from .sqlite.reader import Reader

    return Reader(sqlite_path(url))
