"""Credentials in cited URLs (issue 25 item 4): `http://alice:secret@host/…` gets a lint finding
(U308 credentials-in-url), and the password reaches no output of any command, no export, no row
of archive.db and no request to the (fake) Wayback Machine."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from archiver import api
from tests.fakewayback import FakeWayback
from tests.test_secrets import FORMATS, ArchiverRuns, _texts

PASSWORD, USER = "Pa55-w0rd-Zq9", "alice-Xu7"
CONFIG = "[wayback]\nsaves_per_minute = 6000\ncdx_per_minute = 60000\npoll_interval = 0.05\npoll_timeout = 5\n"


def _with_credentials(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{USER}:{PASSWORD}@{rest}"


def test_lint_says_so_and_emits_the_url_without_them(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text(f"1. Report, http://{USER}:{PASSWORD}@stat.gov.kz/r.pdf, accessed 2 May 2021.\n"
                   f"2. [Minutes](https://{USER}@stat.gov.kz/m.html)\n"
                   "3. https://medium.com/@someone/post\n", encoding="utf-8")
    found = api.lint([str(doc)])
    reps = list(found.documents[0].repaired)
    assert [r.url for r in reps] == ["http://stat.gov.kz/r.pdf", "https://stat.gov.kz/m.html",
                                     "https://medium.com/@someone/post"]
    assert [[f.code for f in r.findings if f.code == "U308"] for r in reps] == [["U308"], ["U308"], []]
    assert "a user name and password" in next(f.message for f in reps[0].findings if f.code == "U308") and \
        "a user name (" in \
        next(f.message for f in reps[1].findings if f.code == "U308")
    for fmt in FORMATS:
        out = subprocess.run([sys.executable, "-m", "archiver", "lint", str(doc), "--format", fmt],
                             capture_output=True, text=True, cwd=tmp_path)
        assert "credentials-in-url" in out.stdout, fmt
        assert PASSWORD not in out.stdout + out.stderr and USER not in out.stdout + out.stderr, fmt


def test_a_password_reaches_no_output_export_row_or_wayback_request(tmp_path, test_web):
    cited = [_with_credentials(test_web.url(f"/page/cred-{i}")) for i in range(2)] + [test_web.url("/ok")]
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(cited)), encoding="utf-8")
    (tmp_path / "page.html").write_text(f'<p>See <a href="{cited[0]}">the page</a> ({cited[1]}).</p>',
                                        encoding="utf-8")
    (tmp_path / "archiver.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "IA_ACCESS_KEY": "AKcredtest1234", "IA_SECRET_KEY": "SKcredtest5678"}
    archiver = ArchiverRuns(tmp_path, env)

    docs = ["notes.txt", "page.html"]
    with FakeWayback(save_per_minute=None) as fake:
        base = ["--db", "archive.db", "--wayback-url", fake.base_url]
        archiver("run", *docs, *base, "--allow-private", "--report-format", "json", "--report-out", "report.json")
        for fmt in FORMATS:
            archiver("archive", *docs, *base, "--format", fmt)
            archiver("report", *docs, "--db", "archive.db", "--format", fmt)
            archiver("check", *docs, "--db", "archive.db", "--allow-private", "--format", fmt)
        archiver("annotate", "notes.txt", "--db", "archive.db", "-o", "annotated.txt")
        archiver("export", "--db", "archive.db", "--warc", "out.warc.gz", "--wacz", "out.wacz")
        one = archiver("export", "--db", "archive.db", "--warc", "one.warc.gz", "--url", cited[0])  # as cited
        assert one.returncode == 0 and b"(1 response," in one.stderr, one.stderr
        sent = [json.dumps([r.method, r.path, r.query, r.form, r.headers]) for r in fake.requests]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    urls = {c["url"] for c in report["citations"]}
    assert {test_web.url("/page/cred-0"), test_web.url("/page/cred-1")} <= urls  # checked without them
    assert any("/page/cred-0" in s for s in sent), "the URL went to the Wayback Machine, without the password"
    assert any("U308" in json.dumps(c["findings"]) for c in report["citations"])
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        rows = [repr(row) for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                for row in conn.execute(f"SELECT * FROM {table}")]
    files = [p for p in tmp_path.iterdir() if p.is_file() and p.name not in ("notes.txt", "page.html")]
    blobs = archiver.outputs + [t for p in files for t in _texts(p)] + [s.encode() for s in sent + rows]
    assert {"archive.db", "report.json", "out.warc.gz", "out.wacz", "one.warc.gz", "annotated.txt"} <= {p.name for p in files}
    for secret in (PASSWORD, USER):
        hits = [i for i, blob in enumerate(blobs) if secret.encode() in blob]
        assert not hits, f"{secret} in {hits}"
