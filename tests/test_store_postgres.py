"""The PostgreSQL store's schema and connection, on a throwaway cluster (tests/conftest_postgres.py):
the schema generated from SQLite's migrations matches what SQLite builds, migrating is idempotent
and safe when several processes start at once, an older database is brought forward, a database of
something else is refused, a password never reaches a message; the default path never loads psycopg."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest

from archiver.errors import StoreError
from archiver.models import CheckRecord, CheckResult, UrlState
from archiver.store import open_store
from tests.conftest import REPO

WHEN = "2026-01-01T00:00:00+00:00"


def _pg():
    from archiver.store.postgres import connect, schema

    return connect, schema


async def _catalog(conn) -> dict[str, set[str]]:
    cur = await conn.execute("SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE table_schema = current_schema()")
    tables: dict[str, set[str]] = {}
    for table, column in await cur.fetchall():
        tables.setdefault(table, set()).add(column)
    return tables


def _sqlite_catalog(path) -> dict[str, set[str]]:
    from archiver.store import upgrade_store

    upgrade_store(path, create=True)  # creates and migrates archive.db as archiver does
    conn = sqlite3.connect(path)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {n: {row[1] for row in conn.execute(f"PRAGMA table_xinfo({n})")} for n in names}
    finally:
        conn.close()


def test_the_generated_schema_is_the_one_sqlite_builds(postgres_url, tmp_path):
    connect, schema = _pg()

    async def go():
        conn = await connect.connect(postgres_url)
        try:
            pg = await _catalog(conn)
            cur = await conn.execute("SELECT max(version) FROM schema_version")
            return pg, (await cur.fetchone())[0]
        finally:
            await conn.close()

    pg, version = asyncio.run(go())
    assert version == schema.VERSION
    assert pg == _sqlite_catalog(tmp_path / "archive.db")  # every table, view and column, no more


def test_migrating_is_idempotent_and_once_when_many_start_together(postgres_url):
    connect, schema = _pg()

    async def go():
        conns = await asyncio.gather(*(connect.connect(postgres_url) for _ in range(4)))
        again = await connect.connect(postgres_url)
        try:
            cur = await again.execute("SELECT version FROM schema_version ORDER BY version")
            return [v for (v,) in await cur.fetchall()]
        finally:
            for conn in (*conns, again):
                await conn.close()

    assert asyncio.run(go()) == [schema.VERSION]


def test_an_older_database_is_brought_forward(postgres_url):
    connect, schema = _pg()
    older = 4  # before migration 5; those after it are brought forward too

    async def go():
        import psycopg

        connect.migrate(postgres_url, version=older)
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
            cur = await conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            before = {n for (n,) in await cur.fetchall()}
        conn = await connect.connect(postgres_url)
        try:
            cur = await conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
            after = {n for (n,) in await cur.fetchall()}
            cur = await conn.execute("SELECT version FROM schema_version ORDER BY version")
            versions = [v for (v,) in await cur.fetchall()]
            cur = await conn.execute("SELECT role, added, added_by FROM citations")  # migration 6's columns
            cur = await conn.execute("SELECT verdict, similarity, qa FROM captures")  # migration 7's
            cur = await conn.execute("SELECT archive_url FROM latest_status")  # migration 8 remade it
            return before, after, versions
        finally:
            await conn.close()

    before, after, versions = asyncio.run(go())
    assert versions == list(range(older, schema.VERSION + 1))
    assert after - before >= {"checks_run", "drift_url",  # what migration 5 adds
                              "quotes_pkey", "quotes_citation_id_quote_key",  # ... and migration 7
                              "timestamps_pkey", "screenshots_pkey", "screenshots_url"}  # ... and migration 9


def test_a_migration_that_rewrites_data_is_refused_not_guessed():
    _, schema = _pg()
    with pytest.raises(StoreError, match=r"migration 4 changes data \(.*UPDATE checks.*\)"):
        schema.upgrade(3)


def test_the_views_read_the_rows(postgres_url):
    connect, _ = _pg()

    async def go():
        conn = await connect.connect(postgres_url)
        try:
            await conn.execute("INSERT INTO urls (url, first_seen) VALUES ('https://a.test/', 'now')")
            await conn.execute("""INSERT INTO checks (url_id, checked_at, status, alive, headers)
                                  VALUES (1, 'now', 'ok', 1, '[["Server", "x"], ["Content-Type", "text/html"]]')""")
            await conn.execute("INSERT INTO documents (path, first_seen, last_seen) VALUES ('d.txt', 'now', 'now')")
            await conn.execute("""INSERT INTO citations (document_id, raw, line, url_id, first_seen, last_seen)
                                  VALUES (1, 'https://a.test/', 3, 1, 'now', 'now')""")
            cur = await conn.execute("SELECT name, value FROM headers WHERE check_id = 1")
            headers = await cur.fetchall()
            cur = await conn.execute("SELECT document, line, url, status, conclusive FROM latest_status")
            return headers, await cur.fetchall()
        finally:
            await conn.close()

    headers, latest = asyncio.run(go())
    assert headers == [("Server", "x"), ("Content-Type", "text/html")]
    assert latest == [("d.txt", 3, "https://a.test/", "ok", True)]


def test_two_stores_writing_the_same_new_urls_at_once_both_succeed(postgres_url):
    """Workers will share one store: two writers recording checks of the same new URLs at the same
    time both succeed, and each URL has one row (the inserts meet on the URL's unique key). SQLite
    keeps one run per archive.db (its run lock), so this is PostgreSQL's alone."""
    async def go():
        stores = [open_store(postgres_url), open_store(postgres_url)]
        try:
            runs = [await s.start_run("check") for s in stores]
            urls = [f"https://shared.test/{i}" for i in range(300)]
            batches = [[CheckRecord(CheckResult(u, "ok", True, 200), run, WHEN, UrlState(), UrlState("alive"))
                        for u in urls] for run in runs]
            ids = await asyncio.gather(*(s.record_checks(b) for s, b in zip(stores, batches)))
            assert len(set(ids[0]) | set(ids[1])) == 600
            assert set(await stores[0].known_urls(urls)) == set(urls)
            assert len(await stores[1].all_urls()) == 300
        finally:
            for s in stores:
                await s.close()

    asyncio.run(go())


def test_a_database_of_something_else_is_left_untouched(postgres_url):
    connect, _ = _pg()

    async def go():
        import psycopg

        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
            await conn.execute("CREATE TABLE invoices (id int)")
        with pytest.raises(StoreError, match="holds tables \\(invoices\\) but no schema_version"):
            await connect.connect(postgres_url)
        async with await psycopg.AsyncConnection.connect(postgres_url, autocommit=True) as conn:
            return await _catalog(conn)

    assert asyncio.run(go()) == {"invoices": {"id"}}


def test_a_password_never_reaches_the_message(postgres_server):
    connect, _ = _pg()
    port = postgres_server.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql://archiver:hunter2-secret@127.0.0.1:{port}/no_such_database"
    with pytest.raises(StoreError) as failed:
        asyncio.run(connect.connect(url))
    assert "hunter2" not in str(failed.value) and "archiver:***@127.0.0.1" in str(failed.value)
    assert "no_such_database" in str(failed.value)


@pytest.mark.parametrize("url,shown", [
    ("postgresql://u:hunter2@db.test:5432/a", "postgresql://u:***@db.test:5432/a"),
    ("postgresql://u:p%40ss@db.test/a?sslmode=require", "postgresql://u:***@db.test/a?sslmode=require"),
    ("postgresql://db.test/a?user=u&password=hunter2", "postgresql://db.test/a?user=u&password=***"),
    ("postgresql://u@db.test/a", "postgresql://u@db.test/a"),
    ("archive.db", "archive.db"),
])
def test_a_password_is_shown_as_stars(url, shown):
    from archiver.store import redacted

    assert redacted(url) == shown


def test_the_default_path_never_imports_the_postgresql_or_queue_packages(tmp_path, test_web):
    """SQLite needs no server and no extra: a check, the report, annotate and export on archive.db
    load neither psycopg nor procrastinate (the `scale` extra), even when both are installed."""
    doc, db = tmp_path / "doc.txt", tmp_path / "archive.db"
    doc.write_text(f"1. {test_web.url('/ok')}\n2. {test_web.url('/gone')}\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from archiver.cli.main import main\n"
        "import archiver.api, archiver.report, archiver.export, archiver.annotate\n"
        f"for argv in (['check', {str(doc)!r}, '--db', {str(db)!r}, '--allow-private'],\n"
        f"             ['report', {str(doc)!r}, '--db', {str(db)!r}]):\n"
        "    result = CliRunner().invoke(main, argv)\n"
        "    assert result.exit_code in (0, 1), (argv, result.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_binary', 'procrastinate')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert sqlite3.connect(db).execute("SELECT count(*) FROM checks").fetchone() == (2,)  # it did check


def test_a_cluster_left_by_a_killed_test_session_is_stopped_by_the_next(postgres_server):
    """A pytest killed without teardown (`timeout`'s SIGTERM, SIGKILL) leaves its cluster running;
    the next session's fixture stops it and removes its directory."""
    from tests.conftest_postgres import _bindir, reap_orphans

    code = ("import os, sys, time\n"
            "from tests.conftest_postgres import _bindir, cluster\n"
            "with cluster(_bindir()) as url:\n"
            "    print(url, flush=True)\n"
            "    time.sleep(600)\n")
    child = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    url = child.stdout.readline().strip()
    import psycopg

    psycopg.connect(url).close()  # it runs
    child.kill()
    child.wait()
    child.stdout.close()
    bindir = _bindir()
    assert bindir is not None
    reaped = reap_orphans(bindir)
    assert [r.name.split("-")[2] for r in reaped] == [str(child.pid)] and not reaped[0].exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2).close()
