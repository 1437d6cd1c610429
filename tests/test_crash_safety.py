"""Crash safety (issue 11): `archiver run` killed with SIGKILL at 20 random points and rerun each time.

The run checks pages on the loopback test web (worker processes included) and archives them in the
fake Wayback on real time (fast pacing from archiver.toml), so kills land while fetching, while
writing checks, while submitting and while polling jobs. After every kill:
- `PRAGMA integrity_check` is ok;
- no worker outlives its parent by more than 1 s, in any phase: every fourth kill lands the moment the
  first worker process appears, while the workers are still starting (the interpreter, imports,
  unpickling); half the kills run the `archiver` script, whose imports spawn re-runs in each worker.
After the last, uninterrupted rerun:
- every check run that finished has a check for every cited URL, every URL has a settled state,
  and no check is left inconclusive;
- the fake Wayback made no capture twice: no URL got a second SPN2 job.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests import procs
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


def _kill_and_time_workers(proc: subprocess.Popen, after: float, at_start: bool,
                           survivals: dict[str, list[float]]) -> bool:
    """SIGKILL `proc` after `after` s, or (`at_start`) the moment its first worker appears; then time
    how long each of its child processes lives on (a pidfd each, taken as soon as it is seen).
    Kinds: a worker "starting" (one thread: not yet watching; two: importing) or "running", and
    multiprocessing's resource tracker, a "helper"."""
    exits = procs.Exits()
    deadline = time.monotonic() + after
    try:
        while proc.poll() is None:  # sampling /proc for new children, 10 ms apart
            seen = procs.children(proc.pid)
            for pid in seen:
                exits.add(pid)
            if (at_start and any(b"resource_tracker" not in procs.cmdline(p) for p in seen)) \
                    or (not at_start and time.monotonic() >= deadline):
                break
            time.sleep(0.01)
        kinds = {pid: "helper" if b"resource_tracker" in procs.cmdline(pid)
                 else "starting" if procs.threads(pid) <= 2 else "running" for pid in exits.fds}
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
        ended = exits.wait(killed_at, timeout=10)
        for pid, kind in kinds.items():
            survivals[kind].append(ended.get(pid, float("inf")))
        return len(ended) == len(exits.fds)
    finally:
        exits.close()


def _spread(survivals: dict[str, list[float]]) -> str:
    return ", ".join(f"{kind} {len(t)} (median {sorted(t)[len(t) // 2]:.2f} s, worst {max(t):.2f} s)"
                     for kind, t in survivals.items() if t)


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

    script = shutil.which("archiver", path=os.path.dirname(sys.executable))

    def start(fake: FakeWayback, db: str, via: str | None = None) -> subprocess.Popen:
        """`python -m archiver`, or the `archiver` script (its workers re-run the script's imports)."""
        command = [via] if via else [sys.executable, "-m", "archiver"]
        return subprocess.Popen([*command, "run", "notes.txt", "--db", db,
                                 "--allow-private", "--processes", "2", "--wayback-url", fake.base_url],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    with FakeWayback(save_per_minute=None, capture_seconds=0.6) as calibration:  # how long a whole run takes
        began = time.monotonic()
        proc = start(calibration, "calibration.db")
        _, err = proc.communicate(timeout=120)
        full = time.monotonic() - began
        assert proc.returncode == 1, err  # failing links: problems, not a crash

    survivals: dict[str, list[float]] = {"starting": [], "running": [], "helper": []}
    stages: Counter = Counter()
    with FakeWayback(save_per_minute=None, capture_seconds=0.6) as fake:
        for kill in range(KILLS):
            proc = start(fake, "archive.db", via=script if kill % 8 >= 4 else None)
            ended = _kill_and_time_workers(proc, rng.uniform(0.3, full), at_start=kill % 4 == 0, survivals=survivals)
            assert ended, f"workers outlived their parent by 10 s (seed {seed}): {survivals}"
            proc.communicate()
            conn = sqlite3.connect(tmp_path / "archive.db")
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",), f"seed {seed}"
            stages[_stage(conn)] += 1
            conn.close()
        proc = start(fake, "archive.db")
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 1, err

    workers = survivals["starting"] + survivals["running"]
    assert survivals["starting"] and survivals["running"], survivals  # both phases were hit
    assert max(workers) <= 1.0, f"a worker outlived its parent by {max(workers):.2f} s (seed {seed}): {survivals}"
    # multiprocessing's resource tracker fetches nothing; it ends when the last worker's end closes its pipe
    assert max(survivals["helper"], default=0) <= 3.0, survivals
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
    posts = Counter(r.form["url"][0] for r in fake.saves() if "url" in r.form)  # a POST cut by a kill has no form
    print(f"\ncrash safety (seed {seed}): {KILLS} kills ({dict(stages)}), full run {full:.1f} s, "
          f"outlived the parent by: {_spread(survivals)}, SPN2 jobs {sum(jobs_per_url.values())} for {len(live)} "
          f"URLs, POSTs {sum(posts.values())} (repeated {sum(n - 1 for n in posts.values())})")
