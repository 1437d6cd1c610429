"""The start of a check: its first requests leave while the document's citations are still being
recorded, and every citation is in archive.db by the end however the run ends (done, offline,
interrupted), or by the end of the next run when the process was killed."""

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from archiver.cli.main import main

CITATIONS = 6000  # about 0.3 s of recording: the first request arrives well inside it
DISTINCT = 4  # URLs fetched


class HeldSite:
    """A site that notes how many citations archive.db held when its first request arrived, and
    holds that first answer until the test releases it (or, with `until_recorded`, until every
    citation is committed: which cannot happen unless recording goes on while a request is in flight)."""

    def __init__(self, db, *, until_recorded: bool = False):
        self.db, self.until_recorded = db, until_recorded
        self.arrived, self.release = threading.Event(), threading.Event()
        self.first_count: int | None = None
        self.all_recorded_while_held = False
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with site._lock:
                    first = not site.arrived.is_set()
                    if first:
                        site.first_count = site.citations()
                        site.arrived.set()
                if first:
                    site.hold()
                body = b"<html><head><title>A page</title></head><body><p>Some text of a page.</p></body></html>"
                self.send_response(200 if self.path.startswith("/page") else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def citations(self) -> int:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT count(*) FROM citations").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0
        finally:
            conn.close()

    def hold(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.release.is_set():
            if self.until_recorded and self.citations() == CITATIONS:
                self.all_recorded_while_held = True
                return
            time.sleep(0.02)

    def document(self, tmp_path):
        doc = tmp_path / "notes.txt"
        doc.write_text("".join(f"{i}. {self.base}/page/{i % DISTINCT}\n" for i in range(1, CITATIONS + 1)),
                       encoding="utf-8")
        return doc

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def site(tmp_path):
    made = []

    def make(**kw):
        made.append(HeldSite(tmp_path / "archive.db", **kw))
        return made[-1]

    yield make
    for s in made:
        s.close()


def counts(db) -> dict:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        q = {"citations": "SELECT count(*) FROM citations WHERE removed IS NULL", "documents": "SELECT count(*) FROM documents",
             "checks": "SELECT count(*) FROM checks", "runs": "SELECT count(*) FROM runs"}
        return {k: conn.execute(sql).fetchone()[0] for k, sql in q.items()} | {
            "outcomes": [r[0] for r in conn.execute("SELECT outcome FROM runs ORDER BY id")]}
    finally:
        conn.close()


def test_the_first_request_leaves_while_the_citations_are_recorded(tmp_path, site):
    web = site(until_recorded=True)
    doc = web.document(tmp_path)
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(web.db), "--allow-private", "--format", "json"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert web.first_count == 0  # the document's transaction was still open when the request arrived
    assert web.all_recorded_while_held  # and it was committed while that request waited for its answer
    c = counts(web.db)
    assert (c["citations"], c["documents"], c["outcomes"]) == (CITATIONS, 1, ["ok"])
    assert c["checks"] == DISTINCT


@pytest.mark.parametrize("offline", ["canary", "hosts"])
def test_an_offline_run_still_records_every_citation(tmp_path, offline):
    doc = tmp_path / "notes.txt"
    if offline == "canary":  # the canary is asked first: the run stops before any page is fetched
        lines = [f"{i}. http://127.0.0.1:9/page/{i % DISTINCT}" for i in range(1, CITATIONS + 1)]
        extra = ["--canary", "https://canary.invalid/"]
    else:  # 12 hosts fail and none answers: the outage guard stops the run early
        lines = [f"{i}. https://site{i % 12}.invalid/a" for i in range(1, CITATIONS + 1)]
        extra = []
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "archive.db"
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(db), "--allow-private", *extra],
                                catch_exceptions=False)
    assert result.exit_code == 3 and "network unavailable" in result.stderr
    c = counts(db)
    assert (c["citations"], c["documents"], c["outcomes"]) == (CITATIONS, 1, ["offline"])


def _start(tmp_path, web, sigint=signal.SIG_DFL):
    doc = web.document(tmp_path)
    cmd = [sys.executable, "-m", "archiver", "check", str(doc), "--db", str(web.db), "--allow-private"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    if not web.arrived.wait(60):
        proc.kill()
        pytest.fail("no request arrived")
    return proc, cmd


@pytest.mark.slow
@pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"])
def test_a_run_interrupted_at_its_first_request_records_every_citation_and_resumes(tmp_path, site, sigint):
    """SIGTERM cancels the run's task; where SIGINT is ignored (a job started in the background by
    a shell, or by cron through one) it raises KeyboardInterrupt wherever the code is, most likely
    inside a step of the recording, whose document is then recorded again from its start."""
    web = site()
    proc, cmd = _start(tmp_path, web, sigint)
    proc.send_signal(signal.SIGTERM)  # while the citations are being recorded
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "interrupted" in err
    assert web.first_count == 0
    c = counts(web.db)
    assert (c["citations"], c["documents"], c["checks"], c["outcomes"]) == (CITATIONS, 1, 0, ["interrupted"])
    web.release.set()
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    c = counts(web.db)
    assert (c["citations"], c["documents"], c["checks"], c["outcomes"]) == (CITATIONS, 1, DISTINCT, ["ok"])


@pytest.mark.slow
def test_a_run_killed_at_its_first_request_leaves_a_whole_database_and_the_next_run_finishes(tmp_path, site):
    web = site()
    proc, cmd = _start(tmp_path, web)
    proc.kill()  # SIGKILL while the citations are being recorded: their transaction is lost whole
    proc.communicate(timeout=60)
    c = counts(web.db)
    assert c["citations"] in (0, CITATIONS) and c["checks"] == 0 and c["outcomes"] == [None]
    web.release.set()
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    c = counts(web.db)
    assert (c["citations"], c["documents"], c["checks"], c["outcomes"]) == (CITATIONS, 1, DISTINCT, ["ok"])


def test_a_document_is_recorded_in_one_transaction(tmp_path):
    """A save that fails at its 200th citation leaves none of the document's citations, and says so
    with archiver's own error, not sqlite3's."""
    import asyncio
    from dataclasses import replace

    from archiver import api
    from archiver.errors import StoreError
    from archiver.store import open_store

    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i}. https://example.org/{i}\n" for i in range(1, 301)), encoding="utf-8")
    (linted,) = api.lint([str(doc)]).documents
    broken = list(linted.repaired)
    broken[199] = replace(broken[199], citation=replace(broken[199].citation, line=object()))  # cannot be bound
    db = tmp_path / "archive.db"

    async def save(repaired):
        store = open_store(db)
        try:
            return await store.save_document(str(doc), "text", None, repaired)
        finally:
            await store.close()

    with pytest.raises(StoreError):
        asyncio.run(save(broken))
    assert counts(db)["citations"] == 0 and counts(db)["documents"] == 0
    changes = asyncio.run(save(linted.repaired))
    assert changes.added == 300 and counts(db)["citations"] == 300
