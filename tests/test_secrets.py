"""Secrets (issue 11): a full run against a Wayback Machine that echoes our request headers into every
reply leaves neither key anywhere: not in archive.db or its WAL, stdout, stderr, any report or
output format, or the exports."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from archiver.wayback.redact import MASK
from tests.fakewayback import FakeWayback

# Keys with characters that change when percent-, JSON- or HTML-encoded.
ACCESS, SECRET = "AKtest+/=Access8841", 'SKtest&<"Secret5523'
CONFIG = "[wayback]\nsaves_per_minute = 6000\ncdx_per_minute = 60000\npoll_interval = 0.05\npoll_timeout = 5\n"
FORMATS = ("text", "json", "csv", "markdown", "html")


def _forms(key: str) -> list[bytes]:
    return [f.encode() for f in {key, quote(key, safe=""), json.dumps(key)[1:-1]}]


def _texts(path: Path) -> list[bytes]:
    """A file's bytes, and what is inside it when it is compressed (gzip, zip)."""
    data = path.read_bytes()
    out = [data]
    if data[:2] == b"\x1f\x8b":
        out.append(gzip.decompress(data))
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                member = z.read(name)
                out += [member] + ([gzip.decompress(member)] if member[:2] == b"\x1f\x8b" else [])
    return out


class ArchiverRuns:
    """`archiver` run as a user runs it, in one folder; every stdout and stderr kept for the leak checks."""

    def __init__(self, cwd: Path, env: dict[str, str]):
        self.cwd, self.env, self.outputs = cwd, env, []

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "archiver", *args], cwd=self.cwd, env=self.env,
                              capture_output=True, timeout=120)
        assert b"Traceback" not in proc.stderr, proc.stderr.decode()
        self.outputs.extend([proc.stdout, proc.stderr])
        return proc


@pytest.mark.slow
def test_no_key_reaches_any_output_of_a_full_run(tmp_path, test_web):
    urls = [test_web.url(f"/page/secret-{i}") for i in range(4)] + [test_web.url("/gone"), test_web.url("/ok")]
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
    (tmp_path / "archiver.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "IA_ACCESS_KEY": ACCESS, "IA_SECRET_KEY": SECRET}
    archiver = ArchiverRuns(tmp_path, env)

    with FakeWayback(save_per_minute=None) as fake:
        fake.echo_headers = True
        fake.seed(test_web.url("/gone"), "20200101000000")
        base = ["--db", "archive.db", "--wayback-url", fake.base_url]
        archiver("run", "notes.txt", *base, "--allow-private", "--report-format", "json",
                 "--report-out", "report.json")
        for fmt in FORMATS:  # (check output holds no Wayback text; one format of it is enough)
            archiver("archive", "notes.txt", *base, "--format", fmt)
            archiver("report", "notes.txt", "--db", "archive.db", "--format", fmt)
        archiver("check", "notes.txt", "--db", "archive.db", "--allow-private", "--format", "json")
        archiver("export", "--db", "archive.db", "--warc", "out.warc.gz", "--wacz", "out.wacz")
        saw = [r for r in fake.requests if "authorization" in r.headers]
    assert saw, "the keys were sent, so the echoes carried them"
    files = [p for p in tmp_path.iterdir() if p.is_file()]
    assert {"archive.db", "report.json", "out.warc.gz", "out.wacz"} <= {p.name for p in files}
    blobs = archiver.outputs + [t for p in files for t in _texts(p)]
    for key in (ACCESS, SECRET):
        for form in _forms(key):
            hits = [i for i, blob in enumerate(blobs) if form in blob]
            assert not hits, f"{form!r} found in output {hits}"
    assert any(MASK.encode() in blob for blob in blobs)  # the echoes were stored, redacted
