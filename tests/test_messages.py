"""What archiver says when something is wrong: honest, one line, with the way out."""

import json
import sqlite3
import subprocess
import sys

from click.testing import CliRunner

from archiver.cli.main import main
from archiver.store.sqlite.failures import failure_message


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_damaged_database_says_so_and_how_to_recover(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("".join(f"{i}. https://example.org/{i}\n" for i in range(1, 200)),
                                        encoding="utf-8")
    assert invoke("run", "notes.txt", "--lint-only", "--format", "none").exit_code == 0
    with open(tmp_path / "archive.db", "r+b") as fh:  # overwrite pages in the middle of the file
        fh.seek(4096 * 3)
        fh.write(b"\xff" * 4096 * 4)
    result = invoke("run", "notes.txt", "--lint-only", "--format", "none")
    assert result.exit_code == 3
    assert "archive.db is damaged" in result.stderr and '".recover"' in result.stderr and "restore a copy" in \
        result.stderr
    assert "recorded before is intact" not in result.stderr and "Traceback" not in result.stderr


def test_permission_problems_say_permission_denied():
    for text in ("attempt to write a readonly database", "unable to open database file"):
        message = failure_message("archive.db", sqlite3.OperationalError(text))
        assert message.startswith("archive.db: permission denied") and "writable" in message


def test_a_refused_connection_is_one_line_with_its_root_cause(tmp_path, test_web):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "notes.txt").write_text(f"1. http://127.0.0.1:{port}/x\n2. {test_web.url('/ok')}\n", encoding="utf-8")
    result = invoke("check", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db"), "--allow-private",
                    "--processes", "1", "--format", "json")
    refused = json.loads(result.stdout)["results"][0]
    assert refused["status"] == "connection-error"
    assert refused["error"].startswith("ConnectionRefusedError: ") and ";" not in refused["error"]


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`archiver check ... | head -1`: the rows stream out; once the reader is gone, archiver stops
    without a word (exit 141, as a process stopped by SIGPIPE)."""
    doc = tmp_path / "notes.txt"  # private addresses: every URL is `skipped` at once, nothing is fetched
    doc.write_text("".join(f"{i}. http://127.0.0.1:9/a/{i}/{'x' * 80}\n" for i in range(1, 3000)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "archiver", "check", str(doc), "--db", str(tmp_path / "a.db"),
                             "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141, err
    assert "error" not in err and "Broken pipe" not in err and "Traceback" not in err  # progress lines only


def test_the_progress_line_is_rewritten_in_place_and_erased():
    """A check's progress on a terminal: one line, throttled, without the URL's control characters,
    and nothing of it left once the run ends."""
    import io

    from archiver.cli.terminal import StatusLine

    out = io.StringIO()
    line = StatusLine(out, every=3600)
    line.show("checking: 1 checked; alive https://example.org/\x1b[31m")
    line.show("checking: 2 checked; alive https://example.org/b")  # within `every`: not drawn
    line.clear()
    assert out.getvalue() == "\r\x1b[2Kchecking: 1 checked; alive https://example.org/?[31m\r\x1b[2K"
