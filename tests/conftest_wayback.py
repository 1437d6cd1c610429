"""Pytest plugin: the fake Wayback Machine (tests/fakewayback.py) as fixtures."""

from __future__ import annotations

import pytest

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
