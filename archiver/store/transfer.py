"""`archiver db copy SRC DST`: move an archive from one store to another (archive.db into PostgreSQL
and back), every table row for row with its ids, then verified.

Why rows and ids as they are: the tables reference each other by id (citations -> urls, checks ->
runs), and a copy that renumbered them would have to rewrite every reference. Both backends have
the same tables and columns (the PostgreSQL schema is generated from SQLite's), so a row copies as
it is; PostgreSQL's identity counters are then moved past the copied ids. The destination must be
empty: a copy never merges into or overwrites an archive. Verified afterwards: the same number of
rows in every table, and every snapshot's body hashing to its SHA-256 on the destination.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, InputError, StoreError
from . import NEEDS_SCALE, is_postgres, missing, open_reader, redacted, sqlite_path, upgrade_store
from .postgres import schema  # generates nothing here: only the table order and columns

BATCH = 1000


@dataclass(frozen=True)
class CopyReport:
    """What a copy moved and what its check found."""
    rows: dict[str, int]        # table -> rows, equal on both sides
    snapshots: int              # snapshots whose body hashes to their SHA-256 on the destination


def copy_store(src: str, dst: str) -> CopyReport:
    """Copy the archive at `src` into the new, empty store `dst`; verify it; say what moved."""
    cat = schema.catalog()
    tables = [t for t in cat.order if t != "schema_version"]
    columns = {t: [c for (table, c) in cat.columns if table == t] for t in tables}
    if why := missing(src):  # opening it would make a new, empty archive.db, and copy nothing
        raise InputError(why)
    open_reader(src).close()  # a foreign source fails here, with the reader's message
    upgrade_store(dst, create=True)  # the destination's schema
    with _Side(src) as source, _Side(dst) as target:
        full = [t for t in tables if target.count(t)]
        if full:
            raise StoreError(f"{target.name} is not empty ({', '.join(full)} hold rows): archiver copies only into a "
                             "new, empty store, so nothing there is overwritten or merged")
        for table in tables:
            target.insert(table, columns[table], source.rows(table, columns[table]))
        target.finish([t for t in tables if "IDENTITY" in cat.tables[t]])
        rows = {t: source.count(t) for t in tables}
        differ = {t: (n, target.count(t)) for t, n in rows.items() if target.count(t) != n}
        if differ:
            raise StoreError(f"the copy in {target.name} differs from {source.name}: rows {differ}")
        snapshots = target.verified_snapshots()
        if {s for s, in source.rows("snapshots", ["sha256"])} != {s for s, in target.rows("snapshots", ["sha256"])}:
            raise StoreError(f"the copy in {target.name} holds other snapshots than {source.name}")
    return CopyReport(rows, snapshots)


class _Side:
    """One end of a copy, SQLite or PostgreSQL, through a plain synchronous connection."""

    def __init__(self, url: str):
        self.postgres = is_postgres(url)
        if self.postgres:
            try:
                import psycopg
            except ImportError:
                raise ConfigError(NEEDS_SCALE) from None
            self.name = redacted(url)
            self.conn: Any = psycopg.connect(url)
        else:
            self.name = sqlite_path(url)
            self.conn = sqlite3.connect(self.name)
        self.mark = "%s" if self.postgres else "?"

    def __enter__(self) -> _Side:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def count(self, table: str) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple]:
        key = "id" if "id" in columns else columns[0]
        cur = self.conn.cursor()
        cur.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}")
        while batch := cur.fetchmany(BATCH):
            yield from batch

    def insert(self, table: str, columns: list[str], rows: Iterator[tuple]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(self.mark for _ in columns)})"
        cur, batch = self.conn.cursor(), []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cur.executemany(sql, batch)
                batch = []
        cur.executemany(sql, batch)

    def finish(self, identities: list[str]) -> None:
        """Commit; on PostgreSQL, move the identity counters of these tables past the ids copied in."""
        if self.postgres:
            for table in identities:
                self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
                                  " HAVING max(id) IS NOT NULL")
        self.conn.commit()

    def verified_snapshots(self) -> int:
        done = 0
        for sha, body in self.rows("snapshots", ["sha256", "body"]):
            if body is not None and hashlib.sha256(zlib.decompress(bytes(body))).hexdigest() != sha:
                raise StoreError(f"{self.name}: snapshot {sha} does not hash to its SHA-256 after the copy")
            done += 1
        return done
