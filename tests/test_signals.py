"""Ctrl-C and SIGTERM stop a check promptly: workers gone, nothing half-written, the next run resumes."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.procs import children

FAST, SLOW = 8, 4
SLOW_DELAY = 8  # seconds: still in flight when the signal arrives, with margin for a loaded machine


def start(tmp_path, test_web, *extra):
    """Start a check of fast and slow pages; return once the slow ones are in flight."""
    doc = tmp_path / "notes.txt"
    token = tmp_path.name  # fresh paths for each test: the test web counts hits per path
    urls = [test_web.url(f"/page/{token}-{i}", ("main", "other")[i % 2]) for i in range(FAST)]
    urls += [test_web.url(f"/slow?delay={SLOW_DELAY}&n={i}", ("main", "other")[i % 2]) for i in range(SLOW)]
    doc.write_text("".join(f"{i}. {u}\n" for i, u in enumerate(urls, start=1)), encoding="utf-8")
    db = tmp_path / "archive.db"
    cmd = [sys.executable, "-m", "archiver", "check", str(doc), "--db", str(db), "--allow-private",
           "--per-host", "4", *extra]
    slow_before = test_web.hits("/slow", "main") + test_web.hits("/slow", "other")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_sigint_default)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # every fast page answered, every slow one in flight
        slow = test_web.hits("/slow", "main") + test_web.hits("/slow", "other") - slow_before
        fast = sum(test_web.hits(f"/page/{token}-{i}", ("main", "other")[i % 2]) for i in range(FAST))
        if slow >= SLOW and fast >= FAST:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the pages were never requested")
    time.sleep(0.3)  # the fast results reach the parent
    return proc, cmd, db


def _sigint_default():
    """A shell without job control starts background commands with SIGINT ignored, and children
    inherit that (so would the archiver under test, and a Ctrl-C test would prove nothing): give
    the child the default disposition, as a terminal's foreground job has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(proc, sig, *, group: bool):
    workers = {pid: _cmdline(pid) for pid in children(proc.pid)}
    sent = time.monotonic()
    if group:  # what a terminal does on Ctrl-C: the whole foreground process group
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return time.monotonic() - sent, workers, out, err


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "group", "code", "processes"), [
    (signal.SIGINT, True, 130, "2"),    # Ctrl-C on a terminal, worker processes
    (signal.SIGINT, False, 130, "2"),   # SIGINT to the parent alone
    (signal.SIGTERM, False, 143, "2"),  # kill, systemd, cron's timeout
    (signal.SIGINT, False, 130, "1"),   # one process
])
def test_signal_stops_check_within_2_seconds_and_the_next_run_resumes(tmp_path, test_web, sig, group, code,
                                                                       processes):
    proc, cmd, db = start(tmp_path, test_web, "--processes", processes)
    elapsed, workers, out, err = stop(proc, sig, group=group)
    assert proc.returncode == code, err
    assert elapsed < 2.0, f"took {elapsed:.2f} s to stop"
    assert "Traceback" not in err and "interrupted" in err
    spawned = [pid for pid, cmdline in workers.items() if "spawn_main" in cmdline]
    assert processes == "1" or len(spawned) == int(processes)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in workers):
        time.sleep(0.05)
    left = {pid: cmdline for pid, cmdline in workers.items() if os.path.exists(f"/proc/{pid}")}
    assert not left, f"orphaned processes: {left}"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    first = conn.execute("SELECT count(*) FROM checks").fetchone()[0]
    assert first < FAST + SLOW  # the slow pages in flight were left unrecorded
    assert conn.execute("SELECT finished, outcome FROM runs").fetchall() == [(None, "interrupted")]
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert conn.execute("SELECT count(*), count(DISTINCT url_id) FROM checks").fetchone() == (FAST + SLOW,) * 2
    assert conn.execute("SELECT count(*), max(outcome) FROM runs").fetchone() == (1, "ok")  # resumed, not restarted


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline") as fh:
            return fh.read().replace("\0", " ")
    except OSError:
        return ""


def test_interrupt_cancels_the_running_stage_and_raises_keyboard_interrupt():
    """What SIGTERM does where SIGINT is ignored (terminal._on_sigterm): the stage's task is
    cancelled, so its cleanup runs at an await as under Ctrl-C, and the stage raises KeyboardInterrupt."""
    import asyncio

    from archiver import api

    assert api.interrupt() is False  # no stage running: the handler raises KeyboardInterrupt itself
    cleaned = []

    async def stage():
        asyncio.get_running_loop().call_later(0.05, api.interrupt)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cleaned.append("cancelled at its await")
            raise

    with pytest.raises(KeyboardInterrupt):
        api._run_async(stage())
    assert cleaned == ["cancelled at its await"] and api.interrupt() is False
