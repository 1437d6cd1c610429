"""Pytest plugin: the fake Wayback Machine (tests/fakewayback.py) as fixtures."""

from __future__ import annotations

import pytest

from tests.archiving import make_store
from tests.fakewayback import FakeWayback, VirtualClock


@pytest.fixture
def wayback_clock() -> VirtualClock:
    """Virtual time shared by the fake server and the client: nothing really waits."""
    return VirtualClock()


@pytest.fixture
def fake_wayback(wayback_clock):
    """A running fake Wayback on 127.0.0.1 (port 0) on `wayback_clock`; `.base_url`, `.requests`."""
    with FakeWayback(clock=wayback_clock) as fake:
        yield fake


@pytest.fixture
def store_factory(tmp_path, wayback_clock):
    """make(links) -> a Store on archive.db with `links` (see tests.archiving.make_store), closed at the end."""
    stores = []

    def make(links):
        stores.append(make_store(tmp_path, wayback_clock, links))
        return stores[-1]
    yield make
    for s in stores:
        s.close()
