"""Outputs written as Unix tools write them (archiver/files.py): every command that writes a file
(export --warc/--wacz, annotate -o, report -o, run --report-out) replaces a regular file whole,
writes a FIFO or a character device in place (never renaming a regular file over it), writes
through a symbolic link as `cp` does, gives a new file the umask's mode and names the path when
the disk is full."""

import gzip
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver import api
from archiver.cli.main import main


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def commands(built, folder: Path):
    """Each writing command as a function of its output path, and a check of what it wrote."""
    db = built.settings.db
    notes = folder / "notes.txt"
    shutil.copy(built.folder / "notes.txt", notes)
    return {
        "export --warc": (lambda out: invoke("export", "--db", db, "--warc", out),
                          lambda data: gzip.decompress(data).startswith(b"WARC/1.1")),
        "export --wacz": (lambda out: invoke("export", "--db", db, "--wacz", out),
                          lambda data: data.startswith(b"PK\x03\x04") and b"datapackage.json" in data),
        "annotate -o": (lambda out: invoke("annotate", "--db", db, str(notes), "-o", out),
                        lambda data: b"[archived: " in data),
        "report -o": (lambda out: invoke("report", "--db", db, "--format", "json", "-o", out),
                      lambda data: data.startswith(b"{")),
        "run --report-out": (lambda out: invoke("run", "--db", db, "--lint-only", str(notes), "--format", "csv",
                                                "--report-out", out),
                             lambda data: data.startswith(b"document,")),
    }


COMMANDS = ["export --warc", "export --wacz", "annotate -o", "report -o", "run --report-out"]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_fifo_is_written_in_place_and_stays_a_fifo(pipeline_db, tmp_path, name):
    run, valid = commands(pipeline_db, tmp_path)[name]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = bytearray()
    reader = threading.Thread(target=lambda: got.extend(fifo.read_bytes()))
    reader.start()
    result = run(str(fifo))
    reader.join(30)
    assert result.exit_code in (0, 1), result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert valid(bytes(got)), bytes(got[:200])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "pipe"]  # no temporary left


@pytest.mark.parametrize("name", COMMANDS)
def test_a_character_device_is_written_in_place(pipeline_db, tmp_path, name):
    """A copy of /dev/null (major 1, minor 3) made in the test's folder: renaming over it would
    turn it into a regular file, as `-o /dev/null` once did to the machine's own."""
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a character device needs root (CAP_MKNOD)")
    run, _ = commands(pipeline_db, tmp_path)[name]
    result = run(str(device))
    assert result.exit_code in (0, 1), result.output
    st = os.lstat(device)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "null"]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_symbolic_link_is_written_through(pipeline_db, tmp_path, name):
    run, valid = commands(pipeline_db, tmp_path)[name]
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "out.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link"
    link.symlink_to(target)
    result = run(str(link))
    assert result.exit_code in (0, 1), result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert valid(target.read_bytes())
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its mode
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out.bin"]


def test_a_dangling_symbolic_link_creates_its_target(pipeline_db, tmp_path):
    link = tmp_path / "link.warc.gz"
    link.symlink_to(tmp_path / "made.warc.gz")
    assert invoke("export", "--db", pipeline_db.settings.db, "--warc", str(link)).exit_code == 0
    assert link.is_symlink() and gzip.decompress((tmp_path / "made.warc.gz").read_bytes()).startswith(b"WARC/1.1")


@pytest.mark.parametrize("name", COMMANDS)
def test_a_new_file_takes_its_mode_from_the_umask(pipeline_db, tmp_path, name):
    run, valid = commands(pipeline_db, tmp_path)[name]
    out = tmp_path / "out.bin"
    old = os.umask(0o022)
    try:
        result = run(str(out))
    finally:
        os.umask(old)
    assert result.exit_code in (0, 1), result.output
    assert valid(out.read_bytes()) and stat.S_IMODE(out.stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_owner_where_the_user_may(pipeline_db, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    out = tmp_path / "report.json"
    out.write_text("old", encoding="utf-8")
    os.chown(out, 65534, 65534)
    assert invoke("report", "--db", pipeline_db.settings.db, "--format", "json", "-o", str(out)).exit_code in (0, 1)
    st = out.stat()
    assert (st.st_uid, st.st_gid) == (65534, 65534) and out.read_text(encoding="utf-8").startswith("{")


def test_dash_is_stdout(pipeline_db, tmp_path):
    db = pipeline_db.settings.db
    warc = subprocess.run([sys.executable, "-m", "archiver", "export", "--db", db, "--warc", "-"],
                          capture_output=True, check=True, cwd=tmp_path).stdout
    assert gzip.decompress(warc).startswith(b"WARC/1.1")
    wacz = subprocess.run([sys.executable, "-m", "archiver", "export", "--db", db, "--wacz", "-"],
                          capture_output=True, check=True, cwd=tmp_path).stdout
    (tmp_path / "got.wacz").write_bytes(wacz)
    with zipfile.ZipFile(tmp_path / "got.wacz") as z:  # written without seeking, still a valid zip
        assert z.testzip() is None and "datapackage.json" in z.namelist()
    assert list(tmp_path.iterdir()) == [tmp_path / "got.wacz"]


FULL_DISK = """
import resource, sys
from archiver.cli.main import main
resource.setrlimit(resource.RLIMIT_FSIZE, (500, 500))
sys.argv = ["archiver", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("name", ["export --warc", "export --wacz", "annotate -o", "report -o"])
def test_a_write_that_does_not_fit_names_the_path_and_keeps_the_old_file(pipeline_db, tmp_path, name):
    """RLIMIT_FSIZE makes every write past 500 bytes fail (EFBIG) as a full disk would. The
    archive is a copy in rollback-journal mode: a WAL database's readers write its -shm index."""
    db, notes = str(tmp_path / "copy.db"), tmp_path / "notes.txt"
    shutil.copy(pipeline_db.folder / "notes.txt", notes)
    with sqlite3.connect(pipeline_db.settings.db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    out = tmp_path / "out.bin"
    out.write_bytes(b"what was there")
    args = {"export --warc": ["export", "--db", db, "--warc", str(out)],
            "export --wacz": ["export", "--db", db, "--wacz", str(out)],
            "annotate -o": ["annotate", "--db", db, str(notes), "-o", str(out)],
            "report -o": ["report", "--db", db, "--format", "json", "-o", str(out)]}[name]
    done = subprocess.run([sys.executable, "-c", FULL_DISK, *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert str(out) in done.stderr and "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert out.read_bytes() == b"what was there"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "notes.txt", "out.bin"]


def test_the_library_writes_the_same_way(pipeline_db, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = bytearray()
    reader = threading.Thread(target=lambda: got.extend(fifo.read_bytes()))
    reader.start()
    api.export_warc(str(fifo), pipeline_db.settings)
    reader.join(30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and gzip.decompress(bytes(got)).startswith(b"WARC/1.1")
