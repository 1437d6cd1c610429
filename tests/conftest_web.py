"""Fixtures for tests that need the loopback test web (see tests/web.py); proxies and certificate
variables are cleared for every test by the autouse fixture in tests/conftest.py."""

from __future__ import annotations

import pytest

from tests.web import TestWeb


@pytest.fixture(scope="session")
def test_web():
    """The running test web, shared by the session; per-path state is keyed by unique paths."""
    with TestWeb() as web:
        yield web
