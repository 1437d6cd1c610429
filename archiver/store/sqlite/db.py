"""The connection wrapper under Store: transactions that nest, and rows as dicts.

This was sqlite-utils' `Database`, of which the store used `atomic()`, `query()` and one upsert. A
check run paid 0.15 s of CPU to import it (dateutil, pluggy and more) and, on every open, a scan of
every installed package's entry points for sqlite-utils plugins (another 0.05-0.1 s, and any
installed plugin could change archive.db's connection). The same behaviour is these few lines.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator, Sequence

__all__ = ["Database"]


class Database:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        conn.execute("PRAGMA recursive_triggers=on")  # as sqlite-utils set it

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        """One transaction; a nested block is a savepoint inside the open one."""
        conn = self.conn
        if conn.in_transaction:
            savepoint = f"atomic_{secrets.token_hex(8)}"
            conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                if conn.in_transaction:  # a RAISE(ROLLBACK) may have ended the whole transaction
                    conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        conn.execute("BEGIN")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def query(self, sql: str, params: Sequence = ()) -> Iterator[dict]:
        """The rows of a SELECT as dicts (column name -> value)."""
        cursor = self.conn.execute(sql, params)
        keys = [d[0] for d in cursor.description]
        return (dict(zip(keys, row, strict=True)) for row in cursor)
