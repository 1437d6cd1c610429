"""The whole tool on PostgreSQL, and `archiver db copy` between the backends: a check, the report
and the WARC export on a postgresql:// store read as they do on archive.db, a password in the URL
shows nowhere, and an archive copied into PostgreSQL and back is the same archive (rows, ids,
snapshots, the report)."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver.cli.main import main
from tests.fakewayback import FakeWayback


def cli(*argv: str):
    return CliRunner().invoke(main, list(argv), catch_exceptions=False)


@pytest.fixture()
def wayback():
    with FakeWayback(clock=time.time) as fake:
        yield fake


@pytest.fixture()
def notes(tmp_path, test_web):
    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. {test_web.url('/ok')}\n2. {test_web.url('/gone')}\n3. {test_web.url('/ok')}\n"
                   f"4. {test_web.url('/moved')}\n", encoding="utf-8")
    return doc


def report_of(notes, db) -> list[dict]:
    result = cli("report", str(notes), "--db", db, "--format", "json")
    assert result.exit_code == 1, result.output  # /gone is broken
    rows = json.loads(result.stdout)["citations"]
    return [{k: v for k, v in row.items() if k not in ("checked_at", "first_seen", "drift_since")} for row in rows]


def test_check_and_report_on_postgresql_read_as_on_sqlite(notes, tmp_path, postgres_url):
    sqlite_db = str(tmp_path / "archive.db")
    for db in (sqlite_db, postgres_url):
        result = cli("check", str(notes), "--db", db, "--allow-private", "--format", "json")
        assert result.exit_code == 1, result.output
    on_pg, on_sqlite = report_of(notes, postgres_url), report_of(notes, sqlite_db)
    assert [r["state"] for r in on_pg] == ["alive", "failing", "alive", "alive"]
    assert on_pg == on_sqlite
    responses = []
    for db, out in ((sqlite_db, tmp_path / "a.warc.gz"), (postgres_url, tmp_path / "b.warc.gz")):
        assert cli("export", "--warc", str(out), "--db", db).exit_code == 0
        with open(out, "rb") as fh:
            responses.append(sorted(r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh)
                                    if r.rec_type in ("response", "revisit")))  # one body, two URLs: a revisit
    assert responses[0] == responses[1] and len(responses[0]) >= 2, responses


def test_archive_and_annotate_on_postgresql_do_as_on_sqlite(notes, tmp_path, postgres_url, wayback):
    outcomes = []
    for db, out in ((str(tmp_path / "archive.db"), tmp_path / "a.txt"), (postgres_url, tmp_path / "b.txt")):
        assert cli("check", str(notes), "--db", db, "--allow-private").exit_code == 1
        archived = cli("archive", str(notes), "--db", db, "--wayback-url", wayback.base_url, "--format", "json")
        actions = sorted((r["url"], r["action"], r["archive_url"]) for r in json.loads(archived.stdout)["results"])
        annotated = cli("annotate", str(notes), "--db", db, "-o", str(out))
        assert annotated.exit_code == 0, annotated.output
        outcomes.append((archived.exit_code, actions, out.read_text(encoding="utf-8")))
    assert outcomes[0] == outcomes[1]
    assert any(action == "queued" for _, action, _ in outcomes[0][1])  # no keys: live links wait for them


def test_a_password_in_the_url_shows_nowhere(notes, tmp_path, postgres_url):
    """Secrets never reach outputs or the database: not the run's summary line, the report's
    "database", or any row (the test cluster trusts loopback, so any password is accepted)."""
    import psycopg

    db = postgres_url.replace("archiver@", "archiver:hunter2-secret@")
    runs = [cli("run", str(notes), "--db", db, "--allow-private", "--no-archive", "--format", "json"),
            cli("report", str(notes), "--db", db, "--format", "json")]
    assert [r.exit_code for r in runs] == [1, 1]
    assert json.loads(runs[1].stdout)["summary"]["database"] == db.replace("hunter2-secret", "***")
    assert all("hunter2" not in r.stdout + r.stderr for r in runs)
    with psycopg.connect(postgres_url) as conn:
        tables = [t for (t,) in conn.execute("SELECT table_name FROM information_schema.tables"
                                             " WHERE table_schema = current_schema()")]
        for table in tables:
            assert conn.execute(f"SELECT count(*) FROM {table} t WHERE t::text LIKE '%%hunter2%%'").fetchone() == (0,)


def test_an_archive_copied_into_postgresql_and_back_is_the_same(notes, tmp_path, postgres_url):
    first, back = str(tmp_path / "archive.db"), str(tmp_path / "back.db")
    assert cli("check", str(notes), "--db", first, "--allow-private").exit_code == 1
    there = cli("db", "copy", first, postgres_url)
    assert there.exit_code == 0, there.output
    assert "stored pages verified by their SHA-256" in there.stderr
    again = cli("db", "copy", postgres_url, back)
    assert again.exit_code == 0, again.output
    tables = ("documents", "citations", "findings", "urls", "runs", "checks", "snapshots", "drift", "captures")

    def dump(path):
        conn = sqlite3.connect(path)
        try:
            return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}
        finally:
            conn.close()

    original, copied = dump(first), dump(back)
    assert original == copied and original["snapshots"] and original["checks"]
    assert report_of(notes, back) == report_of(notes, first) == report_of(notes, postgres_url)
    # the identity counters moved past the copied ids: a new check on PostgreSQL gets a new id
    assert cli("check", str(notes), "--db", postgres_url, "--allow-private").exit_code == 1


def test_a_copy_into_a_store_that_holds_an_archive_is_refused(notes, tmp_path, postgres_url):
    first = str(tmp_path / "archive.db")
    assert cli("check", str(notes), "--db", first, "--allow-private").exit_code == 1
    assert cli("db", "copy", first, postgres_url).exit_code == 0
    refused = cli("db", "copy", first, postgres_url)
    assert refused.exit_code == 3 and "is not empty" in refused.stderr
    assert "hunter" not in refused.stderr


def test_a_copy_from_an_archive_that_is_not_there_is_refused_and_makes_nothing(tmp_path, postgres_url):
    refused = cli("db", "copy", str(tmp_path / "nothing.db"), postgres_url)
    assert refused.exit_code == 3 and "no archive database here" in refused.stderr
    assert not (tmp_path / "nothing.db").exists()
