"""Opening archive.db: what archiver refuses to open, and what it says (issue 11, item 9)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from archiver.errors import StoreError
from archiver.store.sqlite import Store


def _archiver(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archiver", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_a_new_file_becomes_an_archive_database(tmp_path: Path) -> None:
    with Store(tmp_path / "new.db") as store:
        assert store.version >= 1


def test_an_unrelated_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "photos.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"photos\.db is an SQLite database but not an archive database.*photos"):
        Store(path)
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"photos"}


@pytest.mark.parametrize("value", ["'one'", "1.5", "x'00'"])
def test_a_non_numeric_schema_version_is_a_clear_error(tmp_path: Path, value: str) -> None:
    path = tmp_path / "archive.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"INSERT INTO schema_version VALUES ({value})")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema_version holds .* not a version number"):
        Store(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (999)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this archiver knows"):
        Store(path)


def test_cli_names_the_file_and_exits_3(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("1. https://example.org/a\n", encoding="utf-8")
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    proc = _archiver("run", "notes.txt", "--lint-only", "--db", "other.db", cwd=tmp_path)
    assert proc.returncode == 3
    assert "other.db is an SQLite database but not an archive database" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def full_disk(tmp_path: Path):
    """A 2 MiB tmpfs (root can mount one; this project's machines and CI run as root): room for a new
    archive.db with its whole schema and write-ahead log (about 0.5 MiB at migration 9), and little more."""
    mount = tmp_path / f"full-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_names_the_path_and_says_to_free_space(full_disk: Path) -> None:
    (full_disk / "notes.txt").write_text("1. https://example.org/a\n2. https://example.org/b\n", encoding="utf-8")
    first = _archiver("run", "notes.txt", "--lint-only", "--db", "archive.db", cwd=full_disk)
    assert first.returncode == 0, first.stderr
    with open(full_disk / "fill", "wb") as f:  # fill the disk to the last byte
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    proc = _archiver("run", "notes.txt", "--lint-only", "--db", "archive.db", cwd=full_disk)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert f"The disk holding {full_disk} is full" in proc.stderr, proc.stderr
    assert "archive.db" in proc.stderr, proc.stderr
    (full_disk / "fill").unlink()
    again = _archiver("run", "notes.txt", "--lint-only", "--db", "archive.db", cwd=full_disk)
    assert again.returncode == 0, again.stderr
    assert sqlite3.connect(full_disk / "archive.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)
