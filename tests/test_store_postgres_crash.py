"""Crash safety on PostgreSQL: `archiver run --db postgresql://…` killed with SIGKILL at random points
and rerun each time, as tests/test_crash_safety.py does on archive.db (each run with two new
citations to check and archive, so every kill lands in work). The server rolls back what a
killed run had in flight and drops its run lock with its connection; after the last, uninterrupted
rerun that run has a check for every cited URL, no check is left inconclusive, every
live link is captured, and the fake Wayback made no capture twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.fakewayback import FakeWayback

KILLS = 8
CONFIG = """
[wayback]
saves_per_minute = 6000
cdx_per_minute = 60000
poll_interval = 0.1
poll_timeout = 20
"""


def _stage(url: str) -> str:
    """Where a kill landed, as the store shows it."""
    import psycopg

    with psycopg.connect(url) as conn:
        tables = {t for (t,) in conn.execute("SELECT table_name FROM information_schema.tables"
                                             " WHERE table_schema = current_schema()")}
        if "runs" not in tables or conn.execute("SELECT count(*) FROM runs WHERE command = 'check'").fetchone() == (0,):
            return "before checking"
        if conn.execute("SELECT count(*) FROM runs WHERE command = 'check' AND finished IS NULL").fetchone() != (0,):
            return "checking"
        if conn.execute("SELECT count(*) FROM captures WHERE state IN ('submitting', 'pending')").fetchone() != (0,):
            return "submitting or polling"
        return "archive lookups or after"


@pytest.mark.slow
def test_sigkill_at_random_points_then_rerun_on_postgresql(tmp_path, test_web, postgres_url, request):
    import psycopg

    seed = int(os.environ.get("ARCHIVER_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    live = [test_web.url(f"/page/pgcrash-{i}?delay=0.2", ("main", "other")[i % 2]) for i in range(6)]
    failing = [test_web.url("/notfound"), test_web.url("/gone", "other")]
    urls = live + failing
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
    (tmp_path / "archiver.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "IA_ACCESS_KEY": "PGCRASHACCESS", "IA_SECRET_KEY": "PGCRASHSECRET"}

    def start(fake: FakeWayback, db: str = postgres_url) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "archiver", "run", "notes.txt", "--db", db,
                                 "--allow-private", "--wayback-url", fake.base_url],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    with FakeWayback(save_per_minute=None, capture_seconds=0.6) as calibration:  # how long a whole run takes
        began = time.monotonic()
        proc = start(calibration, request.getfixturevalue("postgres_url_2"))
        _, err = proc.communicate(timeout=120)
        full = time.monotonic() - began
        assert proc.returncode == 1, err
    stages: Counter = Counter()
    with FakeWayback(save_per_minute=None, capture_seconds=0.6) as fake:
        for kill in range(KILLS):  # each run has new citations to check and archive, so each kill lands in work
            live += [test_web.url(f"/page/pgcrash-{kill}-{i}?delay=0.2", ("main", "other")[i % 2]) for i in range(2)]
            urls = live + failing
            (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
            proc = start(fake)
            time.sleep(rng.uniform(0.3, full))
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            stages[_stage(postgres_url)] += 1
        proc = start(fake)
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 1, f"seed {seed}: {err}"  # failing links: problems, not a crash

    with psycopg.connect(postgres_url) as conn:
        url_ids = {u: i for i, u in conn.execute("SELECT id, url FROM urls")}
        assert set(urls) <= set(url_ids)
        last = conn.execute("SELECT max(id) FROM runs WHERE command = 'check' AND finished IS NOT NULL").fetchone()[0]
        checked = {r for (r,) in conn.execute("SELECT DISTINCT url_id FROM checks WHERE run_id = %s", [last])}
        assert checked == {url_ids[u] for u in urls}, f"the last check run misses URLs (seed {seed})"
        assert conn.execute("SELECT count(*) FROM checks k JOIN runs r ON r.id = k.run_id"
                            " WHERE k.inconclusive <> 0 AND r.outcome <> 'offline'").fetchone() == (0,)
        states = dict(conn.execute("SELECT url, state FROM urls").fetchall())
        captures = dict(conn.execute(
            "SELECT u.url, c.state FROM captures c JOIN urls u ON u.id = c.url_id WHERE c.need = 'save'"
            " AND c.id IN (SELECT max(id) FROM captures GROUP BY url_id)").fetchall())
    assert all(states[u] == "alive" for u in live) and all(states[u] == "failing" for u in failing), states
    assert all(captures.get(u) == "success" for u in live), (seed, captures)
    jobs_per_url = Counter(job.url for job in fake.jobs.values())
    assert jobs_per_url and max(jobs_per_url.values()) == 1, (seed, jobs_per_url)  # no capture made twice
    print(f"\ncrash safety on PostgreSQL (seed {seed}): {KILLS} kills ({dict(stages)}), full run {full:.1f} s, "
          f"SPN2 jobs {sum(jobs_per_url.values())} for {len(live)} URLs")
