"""The readers (report, export, annotate) only read archive.db: an editor who may only read the
file and its folder gets the report, and no reader changes a byte of a file, archiver's or not.

Root ignores file modes, so the commands run in a child without the capabilities that let root
write what it may not (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER dropped from its
bounding set before exec); run as another user, the modes bind it all the same.
"""

import ctypes
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.store.sqlite.schema import MIGRATIONS

PR_CAPBSET_DROP = 24
CAPS_OVER_FILE_MODES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _as_an_ordinary_user():
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in CAPS_OVER_FILE_MODES:
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def archiver(*args, cwd):
    """The CLI in a child process bound by file modes, as an editor without write access is."""
    return subprocess.run([sys.executable, "-m", "archiver", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, preexec_fn=_as_an_ordinary_user, timeout=120)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in `folder` by the SHA-256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture()
def locked(pipeline_db, tmp_path):
    """A copy of the pipeline's archive.db (WAL mode, closed cleanly: no -wal, no -shm) mode 0444
    in a folder mode 0555, with the documents it holds; and a writable folder for the outputs."""
    shelf, out = tmp_path / "shelf", tmp_path / "out"
    shelf.mkdir()
    out.mkdir()
    with sqlite3.connect(pipeline_db.settings.db) as src, sqlite3.connect(shelf / "archive.db") as dst:
        src.backup(dst)
    for name in ("notes.txt", "article.md"):
        shutil.copy(pipeline_db.folder / name, shelf / name)
    (shelf / "archive.db").chmod(0o444)
    shelf.chmod(0o555)
    probe = archiver("--version", cwd=out)
    assert probe.returncode == 0, probe.stderr
    yield shelf, out
    shelf.chmod(0o755)


def test_the_child_really_cannot_write_there(locked):
    shelf, out = locked
    done = subprocess.run([sys.executable, "-c", f"open({str(shelf / 'archive.db')!r}, 'ab')"], capture_output=True,
                          text=True, preexec_fn=_as_an_ordinary_user)
    assert "Permission denied" in done.stderr


def test_report_export_and_annotate_read_a_database_they_may_not_write(locked):
    shelf, out = locked
    before = snapshot(shelf)
    db = shelf / "archive.db"
    report = archiver("report", "--db", db, "--format", "json", cwd=out)
    assert report.returncode in (0, 1), report.stderr
    assert "readonly" not in report.stderr and "permission" not in report.stderr.lower()
    assert {c["url"] for c in json.loads(report.stdout)["citations"] if c["url"]}
    export = archiver("export", "--db", db, "--warc", out / "e.warc.gz", "--wacz", out / "e.wacz", cwd=out)
    assert export.returncode == 0, export.stderr
    assert (out / "e.warc.gz").stat().st_size > 1000 and (out / "e.wacz").stat().st_size > 1000
    annotated = archiver("annotate", "--db", db, shelf / "notes.txt", "-o", out / "notes.md", cwd=out)
    assert annotated.returncode == 0, annotated.stderr
    assert "[archived: " in (out / "notes.md").read_text(encoding="utf-8")
    assert snapshot(shelf) == before  # not a byte changed, nothing made beside it


def test_a_reader_beside_a_running_writer_reads_what_it_wrote(pipeline_db, tmp_path):
    """While a writer holds archive.db open its -wal and -shm exist: the read-only reader uses
    them (read-only) and sees the rows not yet checkpointed."""
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    with sqlite3.connect(pipeline_db.settings.db) as src, sqlite3.connect(shelf / "archive.db") as dst:
        src.backup(dst)
    writer = sqlite3.connect(shelf / "archive.db", isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE documents SET path = path || '.moved'")
        for name in os.listdir(shelf):
            (shelf / name).chmod(0o444)
        shelf.chmod(0o555)
        report = archiver("report", "--db", shelf / "archive.db", "--format", "json", cwd=tmp_path)
        assert report.returncode in (0, 1), report.stderr
        assert all(c["document"].endswith(".moved") for c in json.loads(report.stdout)["citations"])
    finally:
        shelf.chmod(0o755)
        writer.close()


def test_a_foreign_sqlite_file_is_refused_and_left_exactly_as_it_was(tmp_path):
    foreign = tmp_path / "invoices.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.close()
    before = snapshot(tmp_path)
    for args in (["report", "--db", foreign], ["export", "--db", foreign, "--warc", tmp_path / "x.warc.gz"],
                 ["check", "--db", foreign, "--allow-private", "--stale", "1d", "nothing.txt"]):
        (tmp_path / "nothing.txt").write_text("no links\n", encoding="utf-8")
        done = archiver(*args, cwd=tmp_path)
        (tmp_path / "nothing.txt").unlink()
        assert done.returncode == 3, (args, done.stderr)
        assert "not an archive database" in done.stderr and "untouched" in done.stderr
        assert snapshot(tmp_path) == before, args  # no -wal, no -shm, and still journal_mode=delete
    assert foreign.read_bytes()[18:20] == b"\x01\x01"  # the header's legacy (rollback) journal, not WAL (2)


def test_a_missing_database_is_named_and_not_created(tmp_path):
    for args in (["report"], ["export", "--warc", tmp_path / "x.warc.gz"]):
        done = archiver(*args, "--db", tmp_path / "nope.db", cwd=tmp_path)
        assert done.returncode == 3 and "no archive database here" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_older_archive_is_read_after_its_owner_upgrades_it(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript("".join(MIGRATIONS[:3]) + """
        CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1), (2), (3);""")
    conn.close()
    before = snapshot(tmp_path)
    refused = archiver("report", "--db", db, cwd=tmp_path)
    assert refused.returncode == 3 and f"archiver db upgrade {db}" in refused.stderr, refused.stderr
    assert snapshot(tmp_path) == before
    upgraded = subprocess.run([sys.executable, "-m", "archiver", "db", "upgrade", str(db)], capture_output=True,
                              text=True, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    assert archiver("report", "--db", db, cwd=tmp_path).returncode == 0
