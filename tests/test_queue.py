"""The queue on PostgreSQL (archiver/queue/): three `archiver worker` processes on one database and
`archiver check --queue` against the local web, which counts per host what arrives and when.

What must hold (issue 20): every URL is checked exactly once in the run; no host ever has more
requests in flight than the run's per-host limit, whichever workers send them; a 429 with
Retry-After from one host pauses that host for every worker; a worker SIGKILLed with jobs in hand
has them finished by the others once its heartbeat is older than --stall-timeout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

PER_HOST = 2
RETRY_AFTER = 3  # seconds the rate-limited host asks for
STALL = 3.0


def _worker(db: str, tmp_path, n: int) -> subprocess.Popen:
    with open(tmp_path / f"worker-{n}.log", "w") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "archiver", "worker", "--db", db, "--concurrency", "4",
                                 "--stall-timeout", str(STALL)], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)


def _doing(db: str, tmp_path, n: int) -> int:
    """Jobs worker `n` has in hand (its id in procrastinate's table, from its first line)."""
    import psycopg

    said = re.search(r"worker (\d+): taking jobs", (tmp_path / f"worker-{n}.log").read_text())
    if said is None:
        return 0
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' AND worker_id = %s",
                           [int(said.group(1))]).fetchone()
    return row[0] if row else 0


@pytest.mark.slow
def test_three_workers_one_database(tmp_path, test_web, postgres_url):
    import psycopg

    test_web.reset_stats()
    pages = [test_web.url(f"/page/queue-{i}?delay=0.2", ("main", "other")[i % 2]) for i in range(60)]
    limited = test_web.url(f"/ratelimit/queue-{os.getpid()}?after={RETRY_AFTER}", "other")
    urls = [pages[1], limited, *pages[:1], *pages[2:]]
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
    workers = [_worker(postgres_url, tmp_path, n) for n in range(3)]
    check = None
    try:
        check = subprocess.Popen(
            [sys.executable, "-m", "archiver", "check", "notes.txt", "--db", postgres_url, "--queue", "--allow-private",
             "--per-host", str(PER_HOST), "--per-host-max", str(PER_HOST), "--stall-timeout", str(STALL),
             "--format", "json"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # the first worker seen with jobs in hand is killed: which one takes jobs first is the workers'
        # race (one started late can find every job taken), so no worker is named in advance
        deadline = time.monotonic() + 60
        while not any(holding := [_doing(postgres_url, tmp_path, n) for n in range(3)]):
            assert time.monotonic() < deadline and check.poll() is None, "no worker took a job"
            time.sleep(0.05)
        killed = next(n for n, jobs in enumerate(holding) if jobs)
        held = _doing(postgres_url, tmp_path, killed)
        workers[killed].send_signal(signal.SIGKILL)
        workers[killed].wait()
        out, err = check.communicate(timeout=180)
    finally:
        for proc in [*workers, *([check] if check else [])]:
            proc.kill()
            proc.communicate()
    assert check.returncode == 0, err + "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(3))
    rows = json.loads(out)["results"] if out.strip().startswith("{") else json.loads(out)
    assert {r["url"] for r in rows} == set(urls)

    with psycopg.connect(postgres_url) as conn:
        run = conn.execute("SELECT max(id) FROM runs WHERE command = 'check'").fetchone()[0]
        per_url = Counter(u for (u,) in conn.execute("SELECT u.url FROM checks k JOIN urls u ON u.id = k.url_id"
                                                     " WHERE k.run_id = %s", [run]))
        statuses = dict(conn.execute("SELECT u.url, k.status FROM checks k JOIN urls u ON u.id = k.url_id"
                                     " WHERE k.run_id = %s", [run]).fetchall())
    assert set(per_url) == set(urls) and set(per_url.values()) == {1}, per_url  # exactly once each
    assert statuses[limited] == "ok", statuses[limited]  # asked again after the pause, and served

    for host in ("main", "other"):  # never more in flight at the server than the limit, all workers together
        assert test_web.peak_in_flight(host) <= PER_HOST, (host, test_web.peak_in_flight(host))
    hits = Counter({u: test_web.hits(u.split(str(test_web.ports["main"]))[-1].split("?")[0], "main") for u in pages[::2]})
    hits += Counter({u: test_web.hits(u.split(str(test_web.ports["other"]))[-1].split("?")[0], "other")
                     for u in pages[1::2]})
    again = [u for u, n in hits.items() if n > 1]
    assert len(again) <= held, (held, again)  # only the killed worker's requests in flight were sent twice

    other = test_web.requests_to("other")
    first_429 = next(t for t, p in other if p.startswith("/ratelimit/"))
    during = [p for t, p in other if first_429 + 0.5 < t < first_429 + RETRY_AFTER - 0.2]
    assert during == [], during  # the host rested for every worker
    assert any(t >= first_429 + RETRY_AFTER - 0.2 for t, p in other if p.startswith("/ratelimit/"))
    print(f"\nqueue: 3 workers, {len(urls)} URLs, worker {killed} killed holding {held} jobs; "
          f"{len(again)} URLs asked twice; "
          f"peak in flight main {test_web.peak_in_flight('main')}, other {test_web.peak_in_flight('other')}")


def test_queue_needs_postgresql(tmp_path, test_web):
    """--queue on an archive.db is a usage error that names the way forward, and nothing is checked."""
    from click.testing import CliRunner

    from archiver.cli.main import main

    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/page/queue-sqlite')}\n", encoding="utf-8")
    db = str(tmp_path / "archive.db")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "notes.txt"), "--db", db, "--queue", "--allow-private"])
    assert result.exit_code == 2, result.output
    assert "postgresql://" in result.output and "db copy" in result.output
    assert test_web.hits("/page/queue-sqlite") == 0
    result = CliRunner().invoke(main, ["worker", "--db", db])
    assert result.exit_code == 2 and "postgresql://" in result.output


SAVE_WINDOW = 3.0  # seconds: all workers together take at most SAVES captures in any such window
SAVES = 2


@pytest.mark.slow
def test_workers_share_the_save_page_now_budget(tmp_path, test_web, postgres_url):
    """`run --queue`: the checks and then one archive job per URL, by 3 workers sharing a budget of
    2 captures per 3 s: the fake Wayback sees each URL submitted once and never more than 2 POSTs in
    any 3 s."""
    from tests.fakewayback import FakeWayback

    live = [test_web.url(f"/page/queue-spn-{os.getpid()}-{i}", ("main", "other")[i % 2]) for i in range(7)]
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(live)), encoding="utf-8")
    (tmp_path / "archiver.toml").write_text(f"[wayback]\nsaves_per_minute = {SAVES * 60 / SAVE_WINDOW:g}\n"
                                            "cdx_per_minute = 60000\npoll_interval = 0.1\npoll_timeout = 20\n",
                                            encoding="utf-8")
    env = {**os.environ, "IA_ACCESS_KEY": "QUEUEACCESS", "IA_SECRET_KEY": "QUEUESECRET"}
    with FakeWayback(save_per_minute=None, capture_seconds=0.3) as fake:
        workers = _wayback_workers(postgres_url, tmp_path, env, fake.base_url)
        try:
            done = subprocess.run([sys.executable, "-m", "archiver", "run", "notes.txt", "--db", postgres_url, "--queue",
                                   "--allow-private", "--wayback-url", fake.base_url, "--stall-timeout", str(STALL),
                                   "--format", "none"], cwd=tmp_path, env=env, capture_output=True, text=True,
                                  timeout=float(os.environ.get("QUEUE_TEST_TIMEOUT", 180)))
        finally:
            for proc in workers:
                proc.kill()
                proc.communicate()
            logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(3))
            print(logs[-5000:])
        assert done.returncode == 0, done.stderr + logs
        posts = sorted(r.at for r in fake.requests if r.method == "POST" and r.path.rstrip("/") == "/save")
        per_url = Counter(job.url for job in fake.jobs.values())
    assert set(per_url) == set(live) and set(per_url.values()) == {1}, per_url  # each submitted once
    assert len(posts) == len(live)
    busiest = max(sum(1 for t in posts if start <= t < start + SAVE_WINDOW) for start in posts)
    assert busiest <= SAVES, (busiest, [round(t - posts[0], 2) for t in posts])
    assert posts[-1] - posts[0] >= SAVE_WINDOW * (len(live) - 1) // SAVES - 0.5  # the budget paced them
    print(f"\nqueue SPN: {len(posts)} captures by 3 workers in {posts[-1] - posts[0]:.1f} s, at most {busiest} "
          f"in any {SAVE_WINDOW:g} s")


@pytest.mark.slow
def test_worker_rechecks_on_its_schedule(tmp_path, test_web, postgres_url):
    """`worker --recheck CRON`: the queue itself starts a check run of every cited URL, with no
    command run after the documents were recorded (procrastinate's periodic task, every 2 s here)."""
    import psycopg

    urls = [test_web.url(f"/page/queue-recheck-{os.getpid()}-{i}", ("main", "other")[i % 2]) for i in range(4)]
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)), encoding="utf-8")
    recorded = subprocess.run([sys.executable, "-m", "archiver", "run", "notes.txt", "--db", postgres_url, "--lint-only"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert recorded.returncode == 0, recorded.stderr
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "archiver", "worker", "--db", postgres_url, "--allow-private",
                                   "--recheck", "* * * * * */2", "--stall-timeout", str(STALL)],
                                  cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        finished = None
        while finished is None and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.5)
            with psycopg.connect(postgres_url) as conn:
                row = conn.execute("SELECT id FROM runs WHERE command = 'check' AND finished IS NOT NULL"
                                   " ORDER BY id LIMIT 1").fetchone()
            finished = row[0] if row else None
    finally:
        worker.kill()
        worker.communicate()
    assert finished is not None, (tmp_path / "worker.log").read_text()[-3000:]
    with psycopg.connect(postgres_url) as conn:
        checked = {u for (u,) in conn.execute("SELECT u.url FROM checks k JOIN urls u ON u.id = k.url_id"
                                              " WHERE k.run_id = %s", [finished])}
    assert checked == set(urls)


@pytest.mark.slow
def test_workers_heed_the_accounts_status_and_a_killed_workers_capture_is_resumed(tmp_path, test_web, postgres_url):
    """The account's /save/status/user is the budget's word too: it has 1 session (the workers' budget
    says 3) and 5 captures left today for 7 URLs. A worker is SIGKILLed while its capture is
    pending; after --stall-timeout another polls that job to its end. The fake Wayback sees each URL
    posted at most once, no POST refused (none over the session or the day), 5 captures, and the
    other 2 URLs queued until the next UTC day."""
    import psycopg

    from tests.fakewayback import FakeWayback

    live = [test_web.url(f"/page/queue-account-{os.getpid()}-{i}", ("main", "other")[i % 2]) for i in range(7)]
    (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(live)), encoding="utf-8")
    (tmp_path / "archiver.toml").write_text("[wayback]\nsaves_per_minute = 600\ncdx_per_minute = 60000\n"
                                            "poll_interval = 0.1\npoll_timeout = 30\n", encoding="utf-8")
    env = {**os.environ, "IA_ACCESS_KEY": "QUEUEACCESS", "IA_SECRET_KEY": "QUEUESECRET"}
    with FakeWayback(save_per_minute=None, capture_seconds=1.0, max_sessions=1, daily_limit=5) as fake:
        workers = _wayback_workers(postgres_url, tmp_path, env, fake.base_url)
        try:
            run = subprocess.Popen([sys.executable, "-m", "archiver", "run", "notes.txt", "--db", postgres_url, "--queue",
                                    "--allow-private", "--wayback-url", fake.base_url, "--stall-timeout", str(STALL),
                                    "--format", "json"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            killed = _kill_while_pending(postgres_url, tmp_path, workers, run)
            out, err = run.communicate(timeout=float(os.environ.get("QUEUE_TEST_TIMEOUT", 180)))
        finally:
            for proc in workers:
                proc.kill()
                proc.communicate()
            logs = "".join((tmp_path / f"worker-{n}.log").read_text() for n in range(3))
        posted = Counter(s.form["url"][0] for s in fake.saves())
        jobs = Counter(job.url for job in fake.jobs.values())
    assert run.returncode in (0, 1), err + logs
    assert set(posted.values()) == {1}, posted  # no URL posted twice, the killed worker's included
    assert posted == jobs and len(jobs) == 5, (posted, jobs)  # every POST accepted: none over 1 session or the day
    assert killed in jobs
    with psycopg.connect(postgres_url) as conn:
        states = dict(conn.execute("SELECT u.url, c.state FROM captures c JOIN urls u ON u.id = c.url_id"
                                   " WHERE u.url = ANY(%s) ORDER BY c.id", [live]).fetchall())
        quota = conn.execute("SELECT value FROM archive_state WHERE key = 'quota_until'").fetchone()
    assert {u: s for u, s in states.items() if u in jobs} == dict.fromkeys(jobs, "success"), states
    assert sorted(s for u, s in states.items() if u not in jobs) == ["queued", "queued"], states
    assert quota is not None and quota[0].endswith("T00:00:00+00:00")
    print(f"\nqueue account: {sum(posted.values())} POSTs for {len(live)} URLs, the killed worker's {killed} resumed")


def _wayback_workers(db: str, tmp_path, env: dict, wayback: str) -> list[subprocess.Popen]:
    """3 workers with keys, sharing a Save Page Now budget over SAVE_WINDOW seconds."""
    workers = []
    for n in range(3):
        with open(tmp_path / f"worker-{n}.log", "w") as log:
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "archiver", "worker", "--db", db, "--concurrency", "4", "--stall-timeout",
                 str(STALL), "--save-window", str(SAVE_WINDOW), "--wayback-url", wayback],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def _kill_while_pending(db: str, tmp_path, workers: list, run: subprocess.Popen) -> str:
    """SIGKILL the worker whose archive job has a capture pending at Save Page Now; its URL."""
    import psycopg

    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline and run.poll() is None, "no capture was ever pending"
        with psycopg.connect(db) as conn:
            try:
                row = conn.execute(
                    "SELECT j.worker_id, u.url FROM captures c JOIN urls u ON u.id = c.url_id"
                    " JOIN procrastinate_jobs j ON j.task_name = 'archiver.archive' AND j.status = 'doing'"
                    " AND j.args->>'url' = u.url WHERE c.state = 'pending' LIMIT 1").fetchone()
            except psycopg.errors.UndefinedTable:  # the first worker has not made the tables yet
                row = None
        if row is not None:
            break
        time.sleep(0.05)
    worker_id, url = row
    ids = {int(m.group(1)): n for n in range(len(workers))
           if (m := re.search(r"worker (\d+): taking jobs", (tmp_path / f"worker-{n}.log").read_text()))}
    workers[ids[worker_id]].send_signal(signal.SIGKILL)
    workers[ids[worker_id]].wait()
    return url
