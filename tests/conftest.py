import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent

pytest_plugins = ["tests.conftest_web", "tests.conftest_wayback", "tests.conftest_postgres", "tests.report_fixture"]

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
               "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No test may reach beyond 127.0.0.1 through a proxy, or pick up real keys or config."""
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.lower(), raising=False)
    for var in list(os.environ):
        if var.startswith("ARCHIVER_") or var.startswith("IA_"):
            monkeypatch.delenv(var, raising=False)
    # The test web's hosts have reserved names (kill0.example, ok.test): the URLs a real document
    # cites that way are examples and are not checked, but the stages under test must fetch them.
    monkeypatch.setenv("ARCHIVER_ROLES", "citation,example")


@pytest.fixture(autouse=True)
def _rules_raise(monkeypatch):
    """In production a repair rule that raises becomes an invalid-url finding; here it fails the test."""
    monkeypatch.setattr("archiver.lint.repair.RAISE_BUGS", True)


@pytest.fixture(scope="session")
def expected():
    return json.loads((FIXTURES / "kazakhstan-2021-expected.json").read_text(encoding="utf-8"))["notes"]


@pytest.fixture()
def notes_path():
    return str(FIXTURES / "kazakhstan-2021-notes.txt")
