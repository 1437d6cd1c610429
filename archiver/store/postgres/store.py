"""archiver.store.ArchiveStore on PostgreSQL: one async psycopg connection per open store.

The contract is SQLite's (store/interface.py), and the same suite checks both (tests/
test_store_contract.py). What differs is how it is kept:
- calls run on the connection one at a time, in the order they were made: each is a task started
  in call order that holds the store's lock for the whole call (psycopg serialises single
  statements only, so without it one call's statements would interleave with another's, even
  inside its transaction); a call once made runs to its end even when its caller is cancelled
  (`_call` shields the task), so cancelling a run never drops a write;
- ids come from the database (identity columns, `RETURNING id`), never from `max(id) + 1`, so two
  workers writing at once cannot collide; URLs are inserted `ON CONFLICT DO NOTHING` for the same reason;
- the run lock is a session advisory lock: the server drops it when the connection dies, as the OS
  drops SQLite's file lock when the process dies;
- driver errors leave as archiver's StoreError kinds, the URL's password never in them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import psycopg

from ...clock import iso, utcnow
from ...errors import StoreLocked
from ...models import (
    CaptureRow,
    CheckRecord,
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
from ..sqlite import captures as sqlite_captures
from ..sqlite import documents as sqlite_documents
from ..sqlite import evidence as sqlite_evidence
from ..sqlite import proofs
from . import checks, documents
from .connect import connect, redacted, store_error

T = TypeVar("T")

RUN_LOCK = 0x61726368697666  # pg_try_advisory_lock key of "one archiver run per database"
_CAPTURE_COLUMNS = sqlite_captures._COLUMNS  # the capture columns and SELECT are SQLite's, one copy
_CAPTURE_SELECT = sqlite_captures._SELECT


class PostgresStore:
    """A PostgreSQL store (`open_store("postgresql://…")`): it connects, and migrates, on its first
    call, so opening it needs no event loop; `await store.close()` when done."""

    def __init__(self, url: str, *, clock=utcnow):
        self.url = url
        self.clock = clock
        self._conn: asyncio.Future[psycopg.AsyncConnection] | None = None
        self._pending: set[asyncio.Task] = set()
        self._turn = asyncio.Lock()  # FIFO: calls take their turn in the order they were made

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is None:
            self._conn = asyncio.ensure_future(connect(self.url))
        return await self._conn

    async def _call(self, work: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        async def guarded() -> T:
            async with self._turn:
                conn = await self._connection()
                try:
                    return await work(conn)
                except psycopg.Error as exc:
                    raise store_error(self.url, exc) from None

        task = asyncio.ensure_future(guarded())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return await asyncio.shield(task)

    # -- lifecycle and runs ----------------------------------------------------------------
    def now(self) -> str:
        return iso(self.clock()) or ""

    async def lock(self) -> None:
        async def take(conn):
            row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK])).fetchone()
            return bool(row and row[0])

        if not await self._call(take):
            raise StoreLocked(f"{redacted(self.url)} is in use by another archiver run; wait for it to finish "
                              "or use another --db")

    async def close(self) -> None:
        """Close once the calls already made are done (the server drops the run lock with the session)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._conn is not None and self._conn.done() and not self._conn.exception():
            await self._conn.result().close()

    async def start_run(self, command: str) -> int:
        return await self._call(lambda c: _one(c, "INSERT INTO runs (command, started) VALUES (%s, %s) RETURNING id",
                                               [command, self.now()]))

    async def finish_run(self, run_id: int, outcome: str, summary: dict) -> None:
        await self._call(lambda c: c.execute("UPDATE runs SET finished = %s, outcome = %s, summary = %s WHERE id = %s",
                                             [self.now(), outcome, json.dumps(summary, sort_keys=True), run_id]))

    async def unfinished_run(self, command: str) -> int | None:
        return await self._call(lambda c: _one(
            c, "SELECT id FROM runs WHERE command = %s AND finished IS NULL ORDER BY id DESC LIMIT 1", [command]))

    async def mark_interrupted(self, run_id: int, summary: dict) -> None:
        await self._call(lambda c: c.execute("UPDATE runs SET outcome = 'interrupted', summary = %s WHERE id = %s",
                                             [json.dumps(summary, sort_keys=True), run_id]))

    async def checked_in_run(self, run_id: int) -> dict[str, bool]:
        return await self._call(lambda c: checks.checked_in_run(c, run_id))

    # -- documents and citations -----------------------------------------------------------
    async def save_document(self, path: str, fmt: str, sha256: str | None,
                            repaired: Iterable[Repaired]) -> DocumentChanges:
        items = list(repaired)
        return await self._call(lambda c: documents.save_document(c, path, fmt, sha256, items, self.now()))

    async def places_for(self, urls: list[str]) -> dict[str, list[Place]]:
        return await self._call(lambda c: documents.places_for(c, urls))

    async def first_cited(self, url: str) -> tuple[str | None, str | None, tuple[str, str] | None]:
        async def read(conn):
            row = await (await conn.execute(sqlite_documents.FIRST_CITED.replace("?", "%s"), [url])).fetchone()
            return sqlite_documents.first_cited(row)

        return await self._call(read)

    async def all_urls(self) -> list[str]:
        async def read(conn):
            return [u for (u,) in await (await conn.execute("SELECT url FROM urls ORDER BY id")).fetchall()]

        return await self._call(read)

    # -- checks ----------------------------------------------------------------------------
    async def known_urls(self, urls: list[str]) -> dict[str, KnownUrl]:
        return await self._call(lambda c: checks.known_urls(c, urls))

    async def stale_urls(self, urls: list[str], older_than: str) -> list[str]:
        return await self._call(lambda c: checks.stale_urls(c, urls, older_than))

    async def record_checks(self, records: Sequence[CheckRecord]) -> list[int]:
        items = list(records)
        return await self._call(lambda c: checks.record_checks(c, items))

    async def snapshot_body(self, sha256: str) -> tuple[bytes, str | None] | None:
        return await self._call(lambda c: checks.snapshot_body(c, sha256))

    async def evidence(self, url: str) -> Evidence:
        async def read(conn):
            rows = {sql: await (await conn.execute(sql.replace("?", "%s"), [url])).fetchone()
                    for sql in (sqlite_evidence.COPIES, sqlite_evidence.LIVE, sqlite_evidence.THEN)}
            cites = await (await conn.execute(sqlite_evidence.CITATIONS.replace("?", "%s"), [url])).fetchall()
            return sqlite_evidence.evidence_of(rows.__getitem__, cites)

        return await self._call(read)

    async def save_quotes(self, citation_ids: Sequence[int], checks: Sequence[QuoteCheck], now: str) -> None:
        async def write(conn):
            async with conn.transaction():
                for cid in citation_ids:
                    await conn.execute(sqlite_evidence.DELETE_QUOTES.replace("?", "%s"), [cid])
                rows = sqlite_evidence.quote_rows(checks, now)
                if rows:
                    async with conn.cursor() as cur:
                        await cur.executemany(sqlite_evidence.INSERT_QUOTE.replace("?", "%s"), rows)

        await self._call(write)

    async def held_back(self, run_id: int) -> list[HeldBack]:
        return await self._call(lambda c: checks.held_back(c, run_id))

    async def settle_inconclusive(self, settled: Sequence[Settled]) -> None:
        items = list(settled)
        await self._call(lambda c: checks.settle_inconclusive(c, items))

    async def run_counts(self, run_id: int) -> list[tuple[str, str, str, bool, int]]:
        return await self._call(lambda c: checks.run_counts(c, run_id))

    # -- archive captures and run-wide archive state ---------------------------------------
    async def archive_state(self, key: str) -> str | None:
        return await self._call(lambda c: _one(c, "SELECT value FROM archive_state WHERE key = %s", [key]))

    async def set_archive_state(self, key: str, value: str | None) -> None:
        if value is None:
            await self._call(lambda c: c.execute("DELETE FROM archive_state WHERE key = %s", [key]))
        else:
            await self._call(lambda c: c.execute(
                "INSERT INTO archive_state (key, value) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]))

    async def capture(self, url: str, need: str) -> CaptureRow | None:
        rows = await self._call(lambda c: _captures(
            c, " WHERE u.url = %s AND c.need = %s AND c.archive = 'wayback' ORDER BY c.id DESC LIMIT 1", [url, need]))
        return rows[0] if rows else None

    async def open_jobs(self) -> list[CaptureRow]:
        return await self._call(lambda c: _captures(
            c, " WHERE c.archive = 'wayback' AND c.state IN ('submitting', 'pending') ORDER BY c.id", []))

    async def open_capture(self, url: str, need: str, state: str, now: str, **fields: object) -> int:
        archive = fields.pop("archive", "wayback")
        _known_columns(fields)

        async def insert(conn):
            async with conn.transaction():
                url_id = (await documents.url_ids(conn, [url], now))[url]
                cols = ["url_id", "archive", "need", "state", "updated", *fields]
                return await _one(conn, f"INSERT INTO captures ({', '.join(cols)}) VALUES"
                                        f" ({', '.join('%s' for _ in cols)}) RETURNING id",
                                  [url_id, archive, need, state, now, *fields.values()])

        return await self._call(insert)

    async def begin_submit(self, capture_id: int, now: str) -> None:
        await self._call(lambda c: c.execute(
            "UPDATE captures SET state = 'submitting', submitted = %s, attempts = attempts + 1,"
            " next_attempt = NULL, error = NULL, updated = %s WHERE id = %s", [now, now, capture_id]))

    async def record_job(self, capture_id: int, job_id: str, now: str, reason: str | None = None) -> None:
        await self._call(lambda c: c.execute(
            "UPDATE captures SET job_id = %s, state = 'pending', reason = coalesce(%s, reason), updated = %s"
            " WHERE id = %s", [job_id, reason, now, capture_id]))

    async def finish_capture(self, capture_id: int, state: str, now: str, **fields: object) -> None:
        _known_columns(fields)
        values = {"state": state, "finished": now, **fields}
        sets = ", ".join(f"{k} = %s" for k in values)
        await self._call(lambda c: c.execute(f"UPDATE captures SET {sets}, updated = %s WHERE id = %s",
                                             [*values.values(), now, capture_id]))

    async def capture_submission(self, capture_id: int) -> tuple[str | None, str | None]:
        async def read(conn):
            row = await (await conn.execute("SELECT submitted, job_id FROM captures WHERE id = %s",
                                            [capture_id])).fetchone()
            return (row[0], row[1]) if row else (None, None)

        return await self._call(read)

    # -- evidence (the statements are SQLite's: store/sqlite/proofs.py) ---------------------
    async def unstamped(self, kind: StampKind, tsa: str) -> list[str]:
        async def read(conn):
            cur = await conn.execute(proofs.postgres(proofs.UNSTAMPED[kind]), [tsa])
            return [sha for sha, in await cur.fetchall()]

        return await self._call(read) if kind in proofs.UNSTAMPED else []

    async def save_timestamps(self, stamps: Sequence[Timestamp]) -> None:
        rows = [proofs.timestamp_args(s, self.now()) for s in stamps]

        async def write(conn):
            async with conn.transaction(), conn.cursor() as cur:
                await cur.executemany(proofs.postgres(proofs.SAVE_TIMESTAMP), rows)

        await self._call(write)

    async def screenshot_due(self, urls: Sequence[str]) -> list[str]:
        async def read(conn):
            due = []
            for url in urls:
                row = await (await conn.execute(proofs.postgres(proofs.SCREENSHOT_DUE), [url])).fetchone()
                due += [row[0]] if row else []
            return due

        return await self._call(read)

    async def save_screenshot(self, shot: Screenshot) -> None:
        await self._call(lambda c: c.execute(proofs.postgres(proofs.SAVE_SCREENSHOT), proofs.screenshot_args(shot)))


def _known_columns(fields: dict) -> None:
    bad = set(fields) - _CAPTURE_COLUMNS
    if bad:
        raise ValueError(f"unknown capture columns: {sorted(bad)}")


async def _one(conn: psycopg.AsyncConnection, sql: str, args: Sequence) -> Any:
    """The first column of the first row (an id, a value), or None."""
    row = await (await conn.execute(sql, args)).fetchone()
    return row[0] if row else None


async def _captures(conn: psycopg.AsyncConnection, where: str, args: Sequence) -> list[CaptureRow]:
    return [CaptureRow(*r) for r in await (await conn.execute(_CAPTURE_SELECT + where, args)).fetchall()]
