"""Connecting to a PostgreSQL store and bringing its schema forward, with psycopg 3's async API.

psycopg is imported here, and this module only by `open_store` for a `postgresql://` URL: the
default (SQLite) path never loads it, and it comes with the optional extra `archiver[scale]`.
Errors leave as archiver's own StoreError kinds, with the URL's password never in the message.
"""

from __future__ import annotations

import asyncio

from ...errors import ConfigError, StoreDamaged, StoreDenied, StoreError, StoreFull
from .. import redacted
from . import schema

try:
    import psycopg
    from psycopg import errors as pgerrors
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ConfigError("a postgresql:// store needs the PostgreSQL driver: pip install 'archiver[scale]'") from exc

__all__ = ["connect", "migrate", "redacted", "store_error"]

# pg_advisory_xact_lock key under which one process at a time migrates ("archiver" in ASCII, truncated)
MIGRATION_LOCK = 0x61726368697665


def store_error(url: str, exc: psycopg.Error) -> StoreError:
    """archiver's StoreError kind for a driver error on the store `url` names."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where = redacted(url)
    if isinstance(exc, pgerrors.DiskFull | pgerrors.OutOfMemory | pgerrors.ProgramLimitExceeded):
        return StoreFull(f"{where}: the database server is out of room: {text}")
    if isinstance(exc, pgerrors.InsufficientPrivilege | pgerrors.InvalidPassword | pgerrors.InvalidAuthorizationSpecification):
        return StoreDenied(f"{where}: the database refused archiver: {text}")
    if isinstance(exc, pgerrors.DataCorrupted | pgerrors.IndexCorrupted):
        return StoreDamaged(f"{where}: the database reports damage: {text}")
    return StoreError(f"{where}: {text}")


async def connect(url: str) -> psycopg.AsyncConnection:
    """An autocommit connection to `url` (transactions are explicit), its schema brought forward."""
    await asyncio.to_thread(migrate, url)
    try:
        return await psycopg.AsyncConnection.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise store_error(url, exc) from None


def migrate(url: str, *, version: int = schema.VERSION) -> None:
    """Bring the database to schema `version`: idempotent, in one transaction (a failed step leaves
    the database as it was), one process at a time (an advisory lock held to the commit), so workers
    starting together migrate it once. Synchronous: it runs once per open, on a connection of its own."""
    try:
        with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            current = _version(conn, url)
            if current > schema.VERSION:
                raise StoreError(f"{redacted(url)} has schema version {current}, newer than this archiver knows "
                                 f"({schema.VERSION}); upgrade archiver")
            if current == 0:
                conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                steps = [(version, schema.create(version))]
            else:
                steps = [(v, sql) for v, sql in schema.upgrade(current) if v <= version]
            for step, statements in steps:
                for sql in statements:
                    conn.execute(sql.encode())
                conn.execute("INSERT INTO schema_version VALUES (%s)", [step])
    except psycopg.Error as exc:
        raise store_error(url, exc) from None


def _version(conn: psycopg.Connection, url: str) -> int:
    """The recorded schema version (0 for an empty database); refuses a database that holds tables
    of something else, rather than adding archiver's beside them."""
    tables = {name for (name,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    if "schema_version" not in tables:
        if tables:
            raise StoreError(f"{redacted(url)} holds tables ({', '.join(sorted(tables)[:5])}) but no schema_version: "
                             "it is not an archive database; archiver leaves it untouched. Give a new database.")
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0) if row else 0
