"""The Datasette instance of `archiver browse`: archive.db immutable (Datasette opens it read-only
and never takes a lock), the search index built into a temporary folder removed on exit, our
metadata, templates and hooks, bound to 127.0.0.1 unless asked otherwise."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from .metadata import ARCHIVE_DB, SEARCH_DB, metadata
from .search import build_index

TEMPLATES = Path(__file__).parent / "templates"


def datasette_for(folder: str):
    """A Datasette over `folder`'s archive.db and search.db (its names in URLs are the file names)."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="archiver-browse")
    return Datasette(immutables=[os.path.join(folder, f"{ARCHIVE_DB}.db"), os.path.join(folder, f"{SEARCH_DB}.db")],
                     metadata=metadata(), template_dir=str(TEMPLATES), settings={"sql_time_limit_ms": 5000})


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8001, on_ready: Callable[[str, int], None] | None = None) -> None:
    """Serve `db` until interrupted. `on_ready(url, snapshots indexed)` is told before serving starts."""
    if not os.path.isfile(db):
        raise InputError(f"{db}: no archive database here; run `archiver run` first, or give --db")
    import uvicorn

    with tempfile.TemporaryDirectory(prefix="archiver-browse-") as folder:
        # the names Datasette shows come from the file names: link archive.db whatever the user called it
        os.symlink(os.path.abspath(db), os.path.join(folder, f"{ARCHIVE_DB}.db"))
        indexed = build_index(db, os.path.join(folder, f"{SEARCH_DB}.db"))
        ds = datasette_for(folder)
        asyncio.run(ds.invoke_startup())
        if on_ready:
            on_ready(f"http://{host}:{port}/", indexed)
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
