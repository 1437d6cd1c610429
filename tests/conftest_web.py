"""Fixtures for tests that need the loopback test web (see tests/web.py).

Use from a conftest with `pytest_plugins = ["tests.conftest_web"]`.
"""

from __future__ import annotations

import pytest

from tests.web import TestWeb

PROXY_VARIABLES = (
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSLKEYLOGFILE",
)


@pytest.fixture(scope="session")
def test_web():
    """The running test web, shared by the session; per-path state is keyed by unique paths."""
    with TestWeb() as web:
        yield web


@pytest.fixture
def no_proxy_env(monkeypatch):
    """Clear proxy and certificate variables (both cases) so httpx goes straight to 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
