"""Progress as a person sees it: in a terminal (a pseudo-terminal the test reads like a screen), in a
log file, and not at all with --quiet; Ctrl-C typed at the terminal stops a check at once."""

import re
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from tests.fakewayback import FakeWayback
from tests.pty_screen import Screen

CHECK_LINE = r"^check: (\d+)/{total} URLs \((\d+)%\) · [\d.]+/(s|min) · {when} (\d+ s|\d+ min \d\d s)"
STOPPED_WITHIN = 2.0  # seconds from Ctrl-C to exit: the promise is 1 s, doubled for a loaded machine


def notes(tmp_path, test_web, fast: int, slow: int = 0, delay: int = 60) -> str:
    token = tmp_path.name  # fresh paths for each test: the test web counts hits per path
    urls = [test_web.url(f"/page/{token}-{i}", ("main", "other")[i % 2]) for i in range(fast)]
    urls += [test_web.url(f"/slow?delay={delay}&n={token}-{i}", ("main", "other")[i % 2]) for i in range(slow)]
    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i}. {u}\n" for i, u in enumerate(urls, start=1)), encoding="utf-8")
    return str(doc)


@pytest.mark.slow
def test_a_check_in_a_terminal_shows_total_rate_and_eta_and_ctrl_c_stops_it(tmp_path, test_web):
    fast, slow = 290, 10
    doc, db = notes(tmp_path, test_web, fast, slow), tmp_path / "archive.db"
    with Screen(["check", doc, "--db", db, "--allow-private", "--per-host", "8"], columns=100, cwd=tmp_path) as screen:
        seen = screen.wait_for(CHECK_LINE.format(total=fast + slow, when="ETA"), timeout=120)
        assert int(seen.group(2)) == int(seen.group(1)) * 100 // (fast + slow)
        screen.wait_for(rf"^check: {fast}/{fast + slow} URLs", timeout=120)  # the slow ones are in flight
        line = next(line for line in screen.lines() if line.startswith("check: "))
        assert len(line) < screen.columns  # one line, cut to the terminal's width
        sent = time.monotonic()
        screen.ctrl_c()
        code = screen.finish(timeout=30)
        took = time.monotonic() - sent
    assert code == 130, "\n".join(screen.lines())
    assert took < STOPPED_WITHIN, f"took {took:.2f} s to stop"
    shown = "\n".join(screen.lines())
    assert "interrupted (SIGINT)" in shown and "Traceback" not in shown
    assert not any(line.startswith("check: ") for line in screen.lines())  # the status line is erased
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM checks").fetchone() == (fast,)  # every answer kept, the slow ones not
    assert conn.execute("SELECT finished, outcome FROM runs").fetchall() == [(None, "interrupted")]


@pytest.mark.slow
def test_progress_in_a_log_file_is_whole_lines_and_quiet_says_nothing(tmp_path, test_web):
    """stderr to a file: a plain line every 10 s while the check runs (the slow pages keep it running
    12 s), no carriage returns or escape codes; with --quiet, nothing at all."""
    doc = notes(tmp_path, test_web, 60, 2, delay=12)
    runs = {}
    for name, extra in (("log", []), ("quiet", ["-q"])):
        cmd = [sys.executable, "-m", "archiver", "check", doc, "--db", str(tmp_path / f"{name}.db"), "--allow-private",
               *extra]
        log = open(tmp_path / name, "w")  # noqa: SIM115 (closed below, after both runs)
        runs[name] = (subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log), log)
    for proc, log in runs.values():
        assert proc.wait(timeout=120) == 0
        log.close()
    text = (tmp_path / "log").read_text()
    assert "\r" not in text and "\x1b" not in text
    progress = [line for line in text.splitlines() if line.startswith("check: ") and "URLs (" in line]
    assert 1 <= len(progress) <= 3, text
    assert all(re.match(CHECK_LINE.format(total=62, when="(ETA|none done for)"), line) for line in progress), progress
    assert (tmp_path / "quiet").read_text() == ""


def test_the_archive_stage_shows_its_pacing(tmp_path, test_web):
    """Save Page Now allows a few submissions a minute: the wait for the next one is on the screen."""
    links = [test_web.url(f"/page/{tmp_path.name}-{i}") for i in range(3)]
    doc, db = tmp_path / "notes.txt", tmp_path / "archive.db"
    doc.write_text("".join(f"{i}. {u}\n" for i, u in enumerate(links, start=1)), encoding="utf-8")
    (tmp_path / "archiver.toml").write_text("saves_per_minute = 20\npoll_interval = 0.2\n", encoding="utf-8")
    keys = {"IA_ACCESS_KEY": "test-access", "IA_SECRET_KEY": "test-secret"}
    assert CliRunner().invoke(main, ["check", str(doc), "--db", str(db), "--allow-private"]).exit_code == 0
    with FakeWayback(clock=time.time) as wayback, \
            Screen(["archive", doc, "--db", db, "--wayback-url", wayback.base_url], cwd=tmp_path,
                   env={**keys, "NO_PROXY": "127.0.0.1"}) as screen:
        seen = screen.wait_for(r"^archive: (\d)/3 URLs \(\d+%\).* · next submission in (\d) s", timeout=60)
        assert 1 <= int(seen.group(2)) <= 3
        assert screen.finish(timeout=60) == 0, "\n".join(screen.lines())
    assert "3 submitted" in "\n".join(screen.lines())
