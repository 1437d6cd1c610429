"""What the archive stage's tests share: keys, a store seeded with links in given states, and one
archive run against the fake Wayback Machine on virtual time (the `store_factory` fixture, in
conftest_wayback.py, builds on `make_store`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import httpx

from archiver.models import Citation, Repaired
from archiver.store.sqlite import Store
from archiver.store.sqlite.threaded import ThreadedStore
from archiver.wayback.client import WaybackClient, WaybackConfig, WaybackKeys
from archiver.wayback.policy import ArchiveSettings, archive_urls
from tests.fakewayback import ClockedTransport

ACCESS, SECRET = "ACCESSKEY123", "SECRETKEY456"
KEYS = WaybackKeys.of(ACCESS, SECRET)


def make_store(tmp_path, clock, links: dict[str, tuple[str, str | None, date | None]]) -> Store:
    """links: url -> (urls.state, urls.last_status, accessed date); note numbers follow the order."""
    store = Store(tmp_path / "archive.db", clock=lambda: datetime.fromtimestamp(clock(), UTC))
    reps = [Repaired(Citation("doc.md", i + 1, str(i + 1), url, accessed=acc), url)
            for i, (url, (_, _, acc)) in enumerate(links.items())]
    store.save_document("doc.md", "markdown", None, reps)
    for url, (state, status, _) in links.items():
        store.db.conn.execute("UPDATE urls SET state = ?, last_status = ? WHERE url = ?", [state, status, url])
    return store


def run(store, fake, clock, urls=None, *, keys=KEYS, settings=None, dry_run=False, **config):
    async def go():
        aio = ThreadedStore.borrowing(store)
        try:
            async with httpx.AsyncClient(timeout=5, transport=ClockedTransport(clock)) as http:
                client = WaybackClient(http, WaybackConfig(base_url=fake.base_url, keys=keys, **config),
                                       clock=clock, sleep=clock.sleep)
                return await archive_urls(aio, client, urls, settings or ArchiveSettings(), dry_run=dry_run)
        finally:
            await aio.close()
    return asyncio.run(go())


def by_url(report) -> dict:
    return {r.url: r for r in report.results}


def dump(store) -> str:
    return "\n".join(store.db.conn.iterdump())


ALIVE = ("alive", "ok", None)
