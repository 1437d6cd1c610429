"""`archiver browse`: Datasette over an archive.db built by the real pipeline (tests/report_fixture.py),
served by the real command in a subprocess and read in headless Chromium (Debian's package, as
tests/test_report_browser.py does): the canned query of broken citations, full-text search over
snapshot text, a snapshot's page; and the metadata describes every table, view and column."""

from __future__ import annotations

import hashlib
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from archiver import api
from archiver.browse.metadata import QUERIES, TABLES, metadata

from .test_report_browser import chromium


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(pipeline_db, tmp_path_factory):
    """`archiver browse` on the pipeline's database, until the module's tests are done."""
    db = pipeline_db.settings.db
    port = _free_port()
    log = tmp_path_factory.mktemp("browse") / "stderr.txt"
    before = hashlib.sha256(Path(db).read_bytes()).hexdigest()
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "archiver", "browse", "--db", db, "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).close()
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.1)
        yield base, pipeline_db
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, log.read_text()
    assert "snapshots indexed for search; serving http://127.0.0.1:" in log.read_text()
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == before  # browsing wrote nothing


def dom(tmp_path, url: str) -> BeautifulSoup:
    return BeautifulSoup(chromium(tmp_path, "--dump-dom", url), "html.parser")


def _rows(page: BeautifulSoup) -> list[dict[str, str]]:
    table = page.select_one("table.rows-and-columns")
    assert table is not None, page.get_text()[:2000]
    heads = [th.get("data-column") or th.get_text(strip=True) for th in table.select("thead th")]
    return [dict(zip(heads, (td.get_text(strip=True) for td in tr.select("td")))) for tr in table.select("tbody tr")]


def test_broken_citations_query_shows_what_the_report_calls_broken(served, tmp_path):
    base, built = served
    page = dom(tmp_path, f"{base}/archive/broken_by_document")
    assert page.h1.get_text(strip=True) == "Broken citations by document and note"
    shown = {(r["document"], r["note"], r["url"], r["state"]) for r in _rows(page)}
    report = api.report(built.paths, built.settings)
    expected = {(row.document, row.note, row.url, row.state) for row in report.rows() if row.state in ("failing", "dead")}
    assert shown == expected and len(shown) == 3
    gone = next(r for r in _rows(page) if r["url"].endswith("/gone"))
    assert gone["copy_to_cite"].endswith(f"/web/20210110120000/{gone['url']}")  # the capture matched to it
    assert gone["status"] == "gone" and gone["http_status"] == "410"


def test_full_text_search_finds_a_phrase_from_a_snapshot(served, tmp_path):
    base, built = served
    with sqlite3.connect(built.settings.db) as conn:
        sha, text = conn.execute("SELECT sha256, text FROM snapshots WHERE text LIKE '%Link rot is the process%'").fetchone()
    assert "Link rot is the process" in text
    page = dom(tmp_path, f"{base}/search/search?q={quote(chr(34) + 'link rot is the process' + chr(34))}")
    rows = _rows(page)
    assert [r["sha256"] for r in rows] == [sha]
    assert "[Link rot is the process]" in rows[0]["excerpt"]  # the phrase, highlighted
    assert page.select_one(f'a[href="/-/snapshot/{sha}"]') is not None  # the digest opens the snapshot's page
    nothing = dom(tmp_path, f"{base}/search/search?q=nowhereword")
    assert nothing.select("table.rows-and-columns tbody tr") == [] and "Search the pages archiver kept" in nothing.get_text()


def test_snapshot_page_shows_digest_headers_text_and_links(served, tmp_path):
    base, built = served
    with sqlite3.connect(built.settings.db) as conn:
        sha, url, copy = conn.execute(
            "SELECT k.sha256, u.url, p.archive_url FROM checks k JOIN urls u ON u.id = k.url_id "
            "JOIN captures p ON p.url_id = u.id WHERE u.url LIKE '%/gone' AND k.sha256 IS NOT NULL "
            "AND p.archive_url IS NOT NULL ORDER BY k.checked_at DESC, p.timestamp DESC LIMIT 1").fetchone()
    page = dom(tmp_path, f"{base}/-/snapshot/{sha}")
    assert page.select_one("#digest").get_text() == sha
    assert page.select_one("#live-url")["href"] == url
    assert page.select_one("#archived-copy")["href"] == copy
    headers = {r["name"].lower(): r["value"] for r in _rows(page)}
    assert headers["content-type"].startswith("text/html")
    assert "Gone" in page.select_one("#text").get_text()


def test_metadata_describes_every_table_view_and_column(pipeline_db):
    with sqlite3.connect(pipeline_db.settings.db) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        for name in names:
            assert name in TABLES, f"{name} has no description in archiver/browse/metadata.py"
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({name})")]
            assert sorted(TABLES[name][1]) == sorted(columns), name
        for query in QUERIES.values():
            conn.execute(query["sql"]).fetchall()  # every canned query runs on a real database
    assert set(metadata()["databases"]["archive"]["queries"]) == {
        "broken_by_document", "newly_broken", "changed_since_cited", "cite_instead", "captures_by_archive"}


def test_browse_binds_to_loopback_by_default_and_says_what_is_missing(tmp_path):
    from click.testing import CliRunner

    from archiver.cli.main import main

    option = next(p for p in main.commands["browse"].params if p.name == "host")
    assert option.default == "127.0.0.1"
    result = CliRunner().invoke(main, ["browse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 3 and "no archive database here" in result.stderr


def test_a_capture_judged_bad_is_never_the_copy_to_cite(pipeline_db, tmp_path):
    from archiver.browse.plugin import _COPY

    db = tmp_path / "judged.db"
    with sqlite3.connect(pipeline_db.settings.db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        gone = conn.execute("SELECT url FROM urls WHERE url LIKE '%/gone'").fetchone()["url"]
        assert conn.execute(_COPY, [gone]).fetchone() is not None
        broken = {r["url"]: r["copy_to_cite"] for r in conn.execute(QUERIES["broken_by_document"]["sql"])}
        assert broken[gone]
        conn.execute("UPDATE captures SET verdict = 'bad' WHERE url_id = (SELECT id FROM urls WHERE url = ?)", [gone])
        assert conn.execute(_COPY, [gone]).fetchone() is None
        broken = {r["url"]: r["copy_to_cite"] for r in conn.execute(QUERIES["broken_by_document"]["sql"])}
        assert broken[gone] is None
