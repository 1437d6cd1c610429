"""The checker's session (check/http/session.py) under the load that lost a wake-up in the hand-written
pool it replaced (issue 19): more requests than connections, some cancelled while they wait."""

from __future__ import annotations

import asyncio
import random
import time

from archiver.check.http import Session, Timeout
from tests.zoo import Zoo

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def slowly(head: bytes) -> bytes:
    time.sleep(0.005)  # the zoo answers one request at a time: requests queue for the pool's connections
    return OK


def test_no_request_waiting_for_a_connection_misses_the_release_that_should_wake_it() -> None:
    """2 connections, 60 requests, every third cancelled at a random moment (waiting, connecting or
    reading): each other request gets a connection and its answer; a lost wake-up would leave some
    waiting for ever (the wait_for turns that into a failure, not a hung suite)."""
    rng = random.Random(19)

    async def get(session: Session, url: str) -> int:
        async with session.get(url) as response:
            async for _ in response.raw():
                pass
            return response.status_code

    async def go(url: str) -> list[int | str]:
        async with Session(limit=2, user_agent="test", timeout=Timeout(5, 5)) as session:
            tasks = [asyncio.create_task(get(session, url)) for _ in range(60)]
            for task in tasks[::3]:
                asyncio.get_running_loop().call_later(rng.uniform(0, 0.15), task.cancel)
            done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
            return ["cancelled" if isinstance(r, asyncio.CancelledError) else r for r in done]

    with Zoo() as zoo:
        outcomes = asyncio.run(go(zoo.url(zoo.add("/", slowly))))
    assert all(o == 200 for o in outcomes[1::3] + outcomes[2::3]), outcomes
    assert set(outcomes[::3]) <= {200, "cancelled"} and "cancelled" in outcomes, outcomes
