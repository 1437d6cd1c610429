"""The citation lifecycle in archive.db: edits replace citations, history is kept, renames are recognised,
and an archive.db of schema version 1 is brought forward without losing a row."""

import sqlite3
from datetime import datetime

from archiver import api
from archiver.store.sqlite import Store
from archiver.store.sqlite.schema import MIGRATIONS


def settings_for(tmp_path):
    return api.load_settings(db=str(tmp_path / "archive.db"), allow_private=True, processes=1)


def write(path, test_web, notes: dict[str, str]) -> None:
    path.write_text("Notes:\n\n" + "".join(f"{n}. {test_web.url(p)}\n" for n, p in notes.items()), encoding="utf-8")


def latest(db) -> list[tuple]:
    conn = sqlite3.connect(db)
    return conn.execute("SELECT note, url, state FROM latest_status").fetchall()


def test_edit_and_rerun_replaces_citations_and_keeps_history(tmp_path, test_web):
    notes, settings = tmp_path / "notes.txt", settings_for(tmp_path)
    write(notes, test_web, {"1": "/ok", "2": "/gone", "3": "/notfound", "4": "/page/four"})
    api.check([str(notes)], settings)
    # note 2 is edited to a working link and note 3 deleted; a line added on top shifts every line
    notes.write_text("Notes (revised):\n\n\n" + f"1. {test_web.url('/ok')}\n2. {test_web.url('/page/two')}\n"
                     f"4. {test_web.url('/page/four')}\n", encoding="utf-8")
    report = api.check([str(notes)], settings)
    assert report.summary["checked"] == 3
    assert latest(tmp_path / "archive.db") == [
        ("1", test_web.url("/ok"), "alive"), ("2", test_web.url("/page/two"), "alive"),
        ("4", test_web.url("/page/four"), "alive")]
    conn = sqlite3.connect(tmp_path / "archive.db")
    history = conn.execute("SELECT note, raw, line, removed IS NOT NULL, first_seen <= last_seen FROM citations"
                           " ORDER BY id").fetchall()
    assert [(n, r.rsplit("/", 1)[-1], gone) for n, r, _, gone, _ in history] == [
        ("1", "ok", 0), ("2", "gone", 1), ("3", "notfound", 1), ("4", "four", 0), ("2", "two", 0)]
    assert history[0][2] == 4  # note 1 kept its row (and first_seen); its line moved
    assert all(ordered for *_, ordered in history)
    # the URL no longer cited keeps its state and checks, but leaves the report's notes
    assert conn.execute("SELECT state FROM urls WHERE url = ?", [test_web.url("/gone")]).fetchone() == ("failing",)


def test_a_citation_that_comes_back_is_current_again(tmp_path, test_web):
    notes, settings = tmp_path / "notes.txt", settings_for(tmp_path)
    write(notes, test_web, {"1": "/ok", "2": "/page/x"})
    api.run([str(notes)], settings, lint_only=True)
    write(notes, test_web, {"1": "/ok"})
    api.run([str(notes)], settings, lint_only=True)
    write(notes, test_web, {"1": "/ok", "2": "/page/x"})
    api.run([str(notes)], settings, lint_only=True)
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("SELECT count(*), count(removed) FROM citations").fetchone() == (2, 0)


def test_a_renamed_document_keeps_its_history(tmp_path, test_web):
    old, new, settings = tmp_path / "draft.txt", tmp_path / "final.txt", settings_for(tmp_path)
    write(old, test_web, {"1": "/ok", "2": "/page/a", "3": "/page/b", "4": "/page/c"})
    api.run([str(old)], settings, lint_only=True)
    first = sqlite3.connect(tmp_path / "archive.db").execute("SELECT min(first_seen) FROM citations").fetchone()
    old.rename(new)  # same bytes: recognised by its SHA-256
    api.run([str(new)], settings, lint_only=True)
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("SELECT path, previous_path FROM documents").fetchall() == [(str(new), str(old))]
    assert conn.execute("SELECT count(*), min(first_seen) FROM citations").fetchone() == (4, first[0])
    # moved again and edited (one note added): most citations are the same, so the same document
    write(tmp_path / "published.txt", test_web, {"1": "/ok", "2": "/page/a", "3": "/page/b", "4": "/page/c",
                                                  "5": "/page/d"})
    new.unlink()
    with Store(tmp_path / "archive.db") as store:
        changes = store.save_document(str(tmp_path / "published.txt"), "text", "other-sha",
                                      api.lint([str(tmp_path / "published.txt")]).documents[0].repaired)
    assert (changes.renamed_from, changes.added, changes.kept, changes.removed) == (str(new), 1, 4, 0)
    assert conn.execute("SELECT count(*) FROM documents").fetchone() == (1,)


def test_a_document_still_on_disk_is_never_taken_for_a_rename(tmp_path, test_web):
    a, b, settings = tmp_path / "a.txt", tmp_path / "b.txt", settings_for(tmp_path)
    write(a, test_web, {"1": "/ok", "2": "/page/a", "3": "/page/b"})
    b.write_bytes(a.read_bytes())  # a copy, both kept
    api.run([str(a), str(b)], settings, lint_only=True)
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("SELECT count(*) FROM documents").fetchone() == (2,)
    assert conn.execute("SELECT count(*) FROM latest_status").fetchone() == (6,)


def test_version_1_database_is_migrated_with_its_rows(tmp_path):
    db = tmp_path / "archive.db"
    conn = sqlite3.connect(db)
    conn.executescript(MIGRATIONS[0] + """
        CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);
        INSERT INTO documents VALUES (1, 'notes.txt', 'text', 'abc', '2026-01-01T00:00:00+00:00',
                                      '2026-01-01T00:00:00+00:00');
        INSERT INTO urls (id, url, host, first_seen, state, last_checked)
            VALUES (1, 'http://a.example/x', 'a.example', '2026-01-01T00:00:00+00:00', 'alive',
                    '2026-01-02T00:00:00+00:00'),
                   (2, 'http://b.example/y', 'b.example', '2026-01-01T00:00:00+00:00', 'unchecked',
                    '2026-01-02T00:00:00+00:00');
        INSERT INTO citations (id, document_id, line, note, idx, raw, url_id, first_seen, last_seen) VALUES
            (1, 1, 3, '1', 0, 'http://a.example/x', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
            (2, 1, 4, '2', 0, 'http://a.example/x', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
            (3, 1, 5, '3', 0, 'http://b.example/y', 2, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
        INSERT INTO findings (citation_id, code, name, severity, message) VALUES (2, 'U301', 'duplicate-url',
            'warning', 'same URL as note 1');
        INSERT INTO checks (url_id, checked_at, status, alive, inconclusive) VALUES
            (1, '2026-01-02T00:00:00+00:00', 'ok', 1, 0), (2, '2026-01-02T00:00:00+00:00', 'dns-error', 0, 1);
    """)
    conn.close()
    with Store(db) as store:
        assert store.version == len(MIGRATIONS)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT id, raw, occurrence, note FROM citations ORDER BY id").fetchall() == [
        (1, "http://a.example/x", 0, "1"), (2, "http://a.example/x", 1, "2"), (3, "http://b.example/y", 0, "3")]
    assert conn.execute("SELECT citation_id, code FROM findings").fetchall() == [(2, "U301")]
    assert conn.execute("SELECT url, last_conclusive FROM urls ORDER BY id").fetchall() == [
        ("http://a.example/x", "2026-01-02T00:00:00+00:00"), ("http://b.example/y", None)]
    # the outage check says "cannot tell", not dead
    assert conn.execute("SELECT note, alive, conclusive FROM latest_status").fetchall() == [
        ("1", 1, 1), ("2", 1, 1), ("3", None, 0)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _run_in(folder, *args, monkeypatch):
    from click.testing import CliRunner

    from archiver.cli.main import main

    monkeypatch.chdir(folder)
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def test_document_identity_does_not_depend_on_the_directory(tmp_path, test_web, monkeypatch):
    """The same file given from two directories is one document; a copy still on disk is never a
    rename, from wherever archiver runs; a real move is recognised from anywhere."""
    work, db = tmp_path / "work", tmp_path / "archive.db"
    work.mkdir()
    write(work / "a.txt", test_web, {"1": "/ok", "2": "/page/a", "3": "/page/b"})
    (work / "b.txt").write_bytes((work / "a.txt").read_bytes())  # a copy, both kept
    assert _run_in(work, "run", "a.txt", "--db", db, "--lint-only", monkeypatch=monkeypatch).exit_code == 0
    assert _run_in(tmp_path, "run", "work/b.txt", "--db", db, "--lint-only", monkeypatch=monkeypatch).exit_code == 0
    assert _run_in(tmp_path, "run", "work/a.txt", "--db", db, "--lint-only", monkeypatch=monkeypatch).exit_code == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT path, previous_path FROM documents ORDER BY id").fetchall() == [
        ("work/a.txt", None), ("work/b.txt", None)]
    assert conn.execute("SELECT count(*), count(removed) FROM citations").fetchone() == (6, 0)
    report = _run_in(work, "report", "a.txt", "--db", db, "--format", "json", monkeypatch=monkeypatch)
    assert report.exit_code == 0 and '"documents": ["work/a.txt"]' in report.stdout
    (work / "a.txt").rename(work / "final.txt")  # moved: recognised by its bytes, run from the other directory
    assert _run_in(work, "run", "final.txt", "--db", db, "--lint-only", monkeypatch=monkeypatch).exit_code == 0
    assert conn.execute("SELECT path, previous_path FROM documents ORDER BY id").fetchall() == [
        ("final.txt", "work/a.txt"), ("work/b.txt", None)]


def test_version_3_headers_become_a_json_column_and_a_view(tmp_path):
    """Schema 4 keeps each check's headers, in the order received, as JSON on the check; the
    `headers` view shows them as the table did, and the WARC export reads them back."""
    from archiver.store.sqlite.export import stored_fetches

    db = tmp_path / "archive.db"
    conn = sqlite3.connect(db)
    conn.executescript("".join(MIGRATIONS[:3]) + """
        CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1), (2), (3);
        INSERT INTO urls (id, url, host, first_seen) VALUES (1, 'http://a.example/x', 'a.example', '2026-01-01');
        INSERT INTO snapshots (sha256, body, size, first_seen) VALUES ('s1', x'789c4b040000620062', 1, '2026');
        INSERT INTO checks (id, url_id, checked_at, status, alive, http_status, sha256) VALUES
            (1, 1, '2026-01-02T00:00:00+00:00', 'ok', 1, 200, 's1'),
            (2, 1, '2026-01-03T00:00:00+00:00', 'dns-error', NULL, NULL, NULL);
        INSERT INTO headers (check_id, name, value) VALUES
            (1, 'server', 'x'), (1, 'content-type', 'text/html'), (1, 'set-cookie', 'a="1"; b'),
            (1, 'set-cookie', 'c=2');
    """)
    conn.close()
    with Store(db) as store:
        assert store.version == len(MIGRATIONS) >= 4
        [fetch] = stored_fetches(store)
        assert fetch.headers == (("server", "x"), ("content-type", "text/html"), ("set-cookie", 'a="1"; b'),
                                 ("set-cookie", "c=2"))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT id, headers FROM checks ORDER BY id").fetchall() == [
        (1, '[["server","x"],["content-type","text/html"],["set-cookie","a=\\"1\\"; b"],["set-cookie","c=2"]]'),
        (2, "[]")]
    assert conn.execute("SELECT check_id, name, value FROM headers").fetchall() == [
        (1, "server", "x"), (1, "content-type", "text/html"), (1, "set-cookie", 'a="1"; b'), (1, "set-cookie", "c=2")]
    assert conn.execute("SELECT type FROM sqlite_master WHERE name = 'headers'").fetchone() == ("view",)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_version_4_gets_run_and_drift_indexes_and_reads_a_run_without_a_scan(tmp_path):
    """Schema 5 indexes checks by run and drift by URL: a schema-4 archive.db with two runs keeps its
    rows, and reading one run (counts, rows, resume, held-back checks) searches the index instead of
    scanning every check of every run."""
    db = tmp_path / "archive.db"
    conn = sqlite3.connect(db)
    conn.executescript("".join(MIGRATIONS[:4]) + """
        CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1), (2), (3), (4);
        INSERT INTO runs (id, command, started) VALUES (1, 'check', '2026-01-01'), (2, 'check', '2026-01-02');
        INSERT INTO urls (id, url, host, first_seen) VALUES (1, 'http://a.example/x', 'a.example', '2026-01-01'),
                                                          (2, 'http://b.example/y', 'b.example', '2026-01-01');
        INSERT INTO checks (id, url_id, run_id, checked_at, status, alive, inconclusive, state, headers) VALUES
            (1, 1, 1, '2026-01-01T00:00:00+00:00', 'ok', 1, 0, 'alive', '[]'),
            (2, 2, 1, '2026-01-01T00:00:00+00:00', 'dns-error', NULL, 1, NULL, '[]'),
            (3, 1, 2, '2026-01-02T00:00:00+00:00', 'ok', 1, 0, 'alive', '[]');
        INSERT INTO drift (url_id, detected_at, old_sha256, new_sha256) VALUES (1, '2026-01-02', 'a', 'b');
    """)
    conn.close()
    with Store(db) as store:
        assert store.version == len(MIGRATIONS) >= 5
        assert store.checked_in_run(1) == {"http://a.example/x": True, "http://b.example/y": False}
        assert [r.url for r in store.held_back(1)] == ["http://b.example/y"]
        assert [r.url for r in store.run_rows(2)] == ["http://a.example/x"]
        queries: list[str] = []
        store.db.conn.set_trace_callback(queries.append)
        store.checked_in_run(2), store.held_back(2), store.run_counts(2), list(store.run_rows(2))
        store.db.conn.set_trace_callback(None)
        plans = {q: " | ".join(r[3] for r in store.db.conn.execute("EXPLAIN QUERY PLAN " + q))
                 for q in queries if "run_id = 2" in q}
    assert len(plans) == 5, plans  # the four, and the places of the URLs run_rows reads
    for query, plan in plans.items():
        assert "USING INDEX checks_run" in plan or "USING COVERING INDEX checks_run" in plan, (query, plan)
        assert "SCAN k" not in plan and "SCAN checks" not in plan and "SCAN d" not in plan, (query, plan)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM checks").fetchone() == (3,)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")} >= {
        "checks_run", "drift_url", "checks_url"}
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_reading_a_document_again_keeps_ids_flags_new_findings_and_revives_removed(tmp_path):
    """save_document reads what the document had once: a citation read again keeps its id and
    first_seen, only findings it did not have are new, one gone is removed and one back is current
    again with its old id; findings are replaced, never duplicated."""
    from archiver.models import Citation, Finding, Repaired

    dash = Finding("A101", "typographic-dash", "warning", "en dash in the URL")
    space = Finding("A102", "space-in-url", "warning", "space in the URL")

    def rep(line, raw, *findings):
        return Repaired(Citation("doc.md", line, str(line), raw), raw.replace("–", "-"), findings)

    times = iter(f"2026-01-0{d}T00:00:00+00:00" for d in range(1, 10))
    with Store(tmp_path / "archive.db", clock=lambda: datetime.fromisoformat(next(times))) as store:
        def read(*reps):
            changes = store.save_document("doc.md", "markdown", None, reps)
            rows = store.db.conn.execute("SELECT id, raw, line, first_seen, removed FROM citations ORDER BY id").fetchall()
            found = store.db.conn.execute("SELECT citation_id, code FROM findings ORDER BY citation_id, code").fetchall()
            return changes, rows, found

        c1, rows, found = read(rep(1, "http://a.test/x–y", dash), rep(2, "http://b.test/"))
        assert [f.new for f in c1.findings] == [True] and (c1.added, c1.removed, c1.kept) == (2, 0, 0)
        a_id, b_id = rows[0][0], rows[1][0]
        c2, rows, found = read(rep(3, "http://a.test/x–y", dash, space))  # b gone, a moved and gained a finding
        assert [(f.finding.code, f.new) for f in c2.findings] == [("A101", False), ("A102", True)]
        assert (c2.added, c2.removed, c2.kept) == (0, 1, 1)
        assert rows == [(a_id, "http://a.test/x–y", 3, "2026-01-01T00:00:00+00:00", None),
                        (b_id, "http://b.test/", 2, "2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00")]
        assert found == [(a_id, "A101"), (a_id, "A102")]
        c3, rows, found = read(rep(1, "http://a.test/x–y"), rep(2, "http://b.test/"))  # b back, a fixed
        assert c3.findings == () and (c3.added, c3.removed, c3.kept) == (1, 0, 1)
        assert [(r[0], r[4]) for r in rows] == [(a_id, None), (b_id, None)] and found == []


def test_a_long_document_links_every_citation_to_its_own_url_row(tmp_path):
    """save_document looks a document's URLs up and inserts the new ones in bulk (500 to an `IN`):
    with 1,200 distinct URLs, 300 of them already known, 5 hosts, a repeated URL and one citation
    without a URL, each citation points at the row of its own URL, known rows keep their id and
    first_seen, and new rows get their host."""
    from archiver.models import Citation, Repaired

    urls = [f"http://h{i % 5}.example/page/{i}" for i in range(1200)]
    with Store(tmp_path / "a.db") as store:
        known = {u: store.url_id(u, "2020-01-01") for u in urls[::4]}
        reps = [Repaired(Citation("doc.txt", i + 1, str(i + 1), u), u) for i, u in enumerate(urls)]
        reps += [Repaired(Citation("doc.txt", 2000, "x", urls[7]), urls[7]),
                 Repaired(Citation("doc.txt", 2001, "y", "htp:/broken"), None)]
        changes = store.save_document(str(tmp_path / "doc.txt"), "text", "sha", reps)
        conn = store.db.conn
        linked = conn.execute("SELECT c.raw, u.url, u.host, u.first_seen, u.id FROM citations c"
                              " LEFT JOIN urls u ON u.id = c.url_id").fetchall()
    assert changes.added == 1202 and len(linked) == 1202
    for raw, url, host, first_seen, url_id in linked:
        if raw == "htp:/broken":
            assert url is None
            continue
        assert url == raw and host == raw.split("/")[2]
        if url in known:
            assert (url_id, first_seen) == (known[url], "2020-01-01")
        else:
            assert first_seen != "2020-01-01"
