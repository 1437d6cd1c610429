"""The procrastinate App on an archive's PostgreSQL database, and the rule for retrying its jobs.

The queue's tables (procrastinate's, and the host table of store/postgres/queue.py) live in the
archive's database beside the archive's own, so a job, the checks it records and the host state it
reads are in one transactional store. procrastinate's schema is created when a queue first opens
the database (one process at a time, under an advisory lock); upgrading it between procrastinate
versions is procrastinate's migration (`procrastinate schema --migrate`, docs/deployment.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from ..clock import utcnow
from ..errors import ConfigError
from ..store import NEEDS_SCALE

try:
    import procrastinate
    import psycopg
    from procrastinate import retry as pretry
    from procrastinate import schema
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ConfigError(NEEDS_SCALE.replace("the PostgreSQL driver", "psycopg and procrastinate")) from exc

__all__ = ["ARCHIVE_TASK", "CHECK_TASK", "QUEUE", "HostBusy", "open_app", "retry_stalled"]

QUEUE = "archiver"
CHECK_TASK = "archiver.check"
ARCHIVE_TASK = "archiver.archive"
SCHEMA_LOCK = 0x6172636869767172  # pg_advisory_xact_lock key: one process creates procrastinate's schema


class HostBusy(Exception):
    """The job's host is paused or its slot is over the host's limit: run the job again in `seconds`."""

    def __init__(self, seconds: float):
        super().__init__(f"host busy for {seconds:.1f} s")
        self.seconds = seconds


class WhenFree(pretry.BaseRetryStrategy):
    """A job deferred for its host is retried when the host is free, as often as it takes (it keeps its
    id, so it stays first among its lock's jobs and the slot's later jobs wait behind it); any other
    exception fails the job (a bug: the waiter reports it)."""

    def get_retry_decision(self, *, exception: BaseException, job) -> pretry.RetryDecision | None:
        if isinstance(exception, HostBusy):
            return pretry.RetryDecision(retry_at=utcnow() + timedelta(seconds=exception.seconds))
        return None


def ensure_schema(url: str) -> None:
    """Create procrastinate's tables in `url`'s database unless they are there (idempotent)."""
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_LOCK])
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if not (row and row[0]):
            conn.execute(schema.SchemaManager.get_schema().encode())


@contextlib.asynccontextmanager
async def open_app(url: str, *, pool_size: int = 4) -> AsyncIterator[procrastinate.App]:
    """The queue's App on `url`, open; a worker registers the tasks it runs (archiver/queue/checks.py)."""
    import asyncio

    from ..store import open_store

    store = open_store(url)  # the archive's schema first: procrastinate's tables beside it, never alone
    try:
        await store.all_urls()
    finally:
        await store.close()
    await asyncio.to_thread(ensure_schema, url)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=pool_size))
    async with app.open_async():
        yield app


async def retry_stalled(app: procrastinate.App, seconds: float) -> int:
    """Put back in the queue the jobs of workers silent for `seconds` (killed, or their machine gone):
    a live worker beats its heartbeat every `seconds` / 4, so a job is never run twice at once.
    How many were put back."""
    again = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        try:
            await app.job_manager.retry_job(job)
            again += 1
        except procrastinate.exceptions.ConnectorException:  # another waiter or worker retried it first
            continue
    return again
