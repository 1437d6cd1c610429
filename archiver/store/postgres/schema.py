"""The PostgreSQL schema, generated from the one schema archiver has: SQLite's migration history
(store/sqlite/schema.py). Nobody keeps a second copy by hand, so the two cannot drift.

How: the migrations run in an in-memory SQLite database, and its catalog (`PRAGMA table_xinfo`,
`index_list`, `foreign_key_list`) is written out as PostgreSQL DDL: INTEGER PRIMARY KEY becomes an
identity column, BLOB becomes BYTEA, REAL DOUBLE PRECISION; other integers stay BIGINT (archive.db's
0/1 flags included), so a row reads the same from either backend. A new PostgreSQL database gets the
whole schema at the latest version in one transaction. One at an older version is brought forward
migration by migration from the difference between the catalogs before and after each one: new
tables, columns, indexes and views. A migration that changes data or removes something cannot be
derived that way; it is refused with a message saying so, and such a migration needs its
PostgreSQL form written next to it (there is none yet). Views are SQL text and mostly run as
written; those whose SQLite functions PostgreSQL lacks are in `VIEWS`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ...errors import StoreError
from ..sqlite.schema import MIGRATIONS

__all__ = ["VERSION", "Catalog", "catalog", "create", "upgrade"]

VERSION = len(MIGRATIONS)

# views whose SQLite text uses functions PostgreSQL spells differently (json_each, json_extract)
VIEWS = {
    "headers": """CREATE VIEW headers AS
    SELECT k.id AS check_id, j.value ->> 0 AS name, j.value ->> 1 AS value
    FROM checks k, jsonb_array_elements(k.headers::jsonb) AS j(value)""",
}

_TYPES = {"INTEGER": "BIGINT", "TEXT": "TEXT", "BLOB": "BYTEA", "REAL": "DOUBLE PRECISION", "": "TEXT"}
_DATA_WRITES = {sqlite3.SQLITE_INSERT: "INSERT INTO", sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE FROM",
                sqlite3.SQLITE_DROP_TABLE: "DROP TABLE"}


@dataclass(frozen=True)
class Catalog:
    """A schema as PostgreSQL statements, by object: what a migration's difference is taken over."""
    tables: dict[str, str]                   # name -> CREATE TABLE
    columns: dict[tuple[str, str], str]      # (table, column) -> its definition
    indexes: dict[str, str]                  # name -> CREATE INDEX
    views: dict[str, str]                    # name -> CREATE VIEW
    order: tuple[str, ...]                   # tables, each after those it references


def catalog(version: int = VERSION) -> Catalog:
    """The schema SQLite's first `version` migrations build, as PostgreSQL statements."""
    conn = sqlite3.connect(":memory:")
    try:
        for sql in MIGRATIONS[:version]:
            conn.executescript(sql)
        return _read(conn)
    finally:
        conn.close()


def create(version: int = VERSION) -> list[str]:
    """The statements that make a new, empty PostgreSQL database hold the schema at `version`."""
    cat = catalog(version)
    return [*(cat.tables[t] for t in cat.order), *cat.indexes.values(), *cat.views.values()]


def upgrade(current: int) -> list[tuple[int, list[str]]]:
    """(version, its statements) for each migration after `current`, derived from the catalogs."""
    steps = []
    for version in range(current + 1, VERSION + 1):
        writes = _data_writes(version)
        if writes:
            raise StoreError(f"archive schema migration {version} changes data ({', '.join(sorted(writes))}), which "
                             "cannot be derived for PostgreSQL; it needs its PostgreSQL form written out")
        before, after = catalog(version - 1), catalog(version)
        steps.append((version, _difference(version, before, after)))
    return steps


def _difference(version: int, before: Catalog, after: Catalog) -> list[str]:
    gone = [*map(".".join, set(before.columns) - set(after.columns)), *(set(before.indexes) - set(after.indexes))]
    changed = [".".join(key) for key, sql in before.columns.items() if key in after.columns and after.columns[key] != sql]
    if gone or changed:
        raise StoreError(f"archive schema migration {version} removes or changes {', '.join(sorted(gone + changed))}, "
                         "which cannot be derived for PostgreSQL; it needs its PostgreSQL form written out")
    views = [v for v, sql in after.views.items() if before.views.get(v) != sql]
    statements = [f"DROP VIEW IF EXISTS {v}" for v in (*views, *(set(before.views) - set(after.views)))]
    statements += [after.tables[t] for t in after.order if t not in before.tables]
    statements += [f"ALTER TABLE {t} ADD COLUMN {sql}" for (t, c), sql in after.columns.items()
                   if t in before.tables and (t, c) not in before.columns]
    statements += [sql for name, sql in after.indexes.items() if name not in before.indexes]
    return statements + [after.views[v] for v in views]


def _data_writes(version: int) -> set[str]:
    """What migration `version` writes besides the schema (row inserts, updates, deletes, dropped tables)."""
    conn = sqlite3.connect(":memory:")
    try:
        for sql in MIGRATIONS[:version - 1]:
            conn.executescript(sql)
        writes: set[str] = set()
        # dropping a view reads to SQLite's authorizer as a DELETE FROM it: no data is written
        views = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}

        def watch(action, table, *_):
            if action in _DATA_WRITES and table and not table.startswith("sqlite_") and table not in views:
                writes.add(f"{_DATA_WRITES[action]} {table}")
            return sqlite3.SQLITE_OK

        conn.set_authorizer(watch)
        conn.executescript(MIGRATIONS[version - 1])
        return writes
    finally:
        conn.close()


def _read(conn: sqlite3.Connection) -> Catalog:
    names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    tables, columns, indexes, refs = {}, {}, {}, {}
    for table in names:
        cols, constraints, refs[table] = _columns(conn, table)
        columns.update({(table, c.split()[0]): c for c in cols})
        tables[table] = f"CREATE TABLE {table} (\n    " + ",\n    ".join(cols + constraints) + "\n)"
        for _, name, unique, origin, _partial in conn.execute(f"PRAGMA index_list({table})"):
            if origin == "c":
                keys = ", ".join(c for _, _, c in conn.execute(f"PRAGMA index_info({name})"))
                indexes[name] = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} ({keys})"
    views = {name: VIEWS.get(name, sql) for name, sql in
             conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name")}
    return Catalog(tables, columns, indexes, views, tuple(_dependency_order(refs)))


def _columns(conn: sqlite3.Connection, table: str) -> tuple[list[str], list[str], set[str]]:
    """(column definitions, table constraints, tables referenced) of one SQLite table."""
    keys = [row for row in conn.execute(f"PRAGMA table_xinfo({table})") if row[5]]
    foreign = {row[3]: row for row in conn.execute(f"PRAGMA foreign_key_list({table})")}
    cols = []
    for _, name, decl, notnull, default, pk, _hidden in conn.execute(f"PRAGMA table_xinfo({table})"):
        kind = _TYPES[decl.upper()]
        if pk and len(keys) == 1:
            cols.append(f"{name} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if kind == "BIGINT"
                        else f"{name} {kind} PRIMARY KEY")
            continue
        text = f"{name} {kind}" + (" NOT NULL" if notnull else "") + (f" DEFAULT {default}" if default else "")
        if name in foreign:
            _, _, parent, _, to, _, on_delete, _ = foreign[name]
            text += f" REFERENCES {parent}({to})" + (f" ON DELETE {on_delete}" if on_delete != "NO ACTION" else "")
        cols.append(text)
    constraints = [f"UNIQUE ({', '.join(c for _, _, c in conn.execute(f'PRAGMA index_info({name})'))})"
                   for _, name, _, origin, _ in conn.execute(f"PRAGMA index_list({table})") if origin == "u"]
    return cols, constraints, {row[2] for row in foreign.values()}


def _dependency_order(refs: dict[str, set[str]]) -> list[str]:
    order: list[str] = []

    def visit(table: str) -> None:
        if table not in order:
            for parent in sorted(refs[table] - {table}):
                visit(parent)
            order.append(table)

    for table in sorted(refs):
        visit(table)
    return order
