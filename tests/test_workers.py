"""Worker processes: backpressure (a stalled parent stops the fetching) and no orphans, start-up included."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from archiver.check.fetch import FetchSettings
from archiver.check.worker import send_in_batches
from archiver.check.workers import check_urls_in_processes
from archiver.models import CheckResult, Snapshot
from tests import procs


def _result(i: int, size: int = 0) -> CheckResult:
    snap = Snapshot(sha256=str(i), body=b"", content_type=None, size=size) if size else None
    return CheckResult(url=f"http://example.test/{i}", status="ok", alive=True, snapshot=snap)


def test_send_in_batches_stops_pulling_while_the_parent_does_not_read() -> None:
    """A stuck send: the sender pulls the batch in the pipe plus one more, then waits."""
    pulled = []

    async def source():
        for i in range(1000):
            pulled.append(i)
            yield _result(i)

    async def go():
        gate = asyncio.Event()
        sent: list[list] = []

        async def send(batch):
            sent.append(batch)
            await gate.wait()

        task = asyncio.ensure_future(send_in_batches(source(), send, batch=10))
        await asyncio.sleep(0.2)
        stalled = len(pulled)
        gate.set()
        await task
        return stalled, sent

    stalled, sent = asyncio.run(go())
    assert stalled <= 1 + 10 + 1  # the batch in the pipe, the next one full, the one that found it full
    assert sum(len(b) for b in sent) == 1000 and max(len(b) for b in sent) <= 10


def test_send_in_batches_closes_a_batch_at_the_byte_limit() -> None:
    async def source():
        for i in range(20):
            yield _result(i, size=600)

    async def go():
        sent = []

        async def send(batch):
            sent.append(len(batch))
            await asyncio.sleep(0.01)

        await send_in_batches(source(), send, batch=100, batch_bytes=1000)
        return sent

    sent = asyncio.run(go())
    assert sum(sent) == 20 and max(sent) <= 2  # 2 x 600 bytes reach the 1000-byte limit


def test_workers_stop_fetching_while_the_parent_does_not_read(test_web) -> None:
    """2 MiB bodies; the parent takes one result and stalls: the workers fetch a bounded number
    (about 2 x concurrency + 2 batches each), not all 120 URLs."""
    urls = [test_web.url(f"/huge?bound={i}", ("main", "other")[i % 2]) for i in range(120)]
    settings = FetchSettings(concurrency=4, per_host=2, allow_private=True, probe_soft404=False)
    before = test_web.hits("/huge", "main") + test_web.hits("/huge", "other")

    async def go():
        gen = check_urls_in_processes(urls, settings, processes=2)
        results = [await gen.__anext__()]
        await asyncio.sleep(3)  # the parent "writes to disk" for a long time
        stalled = test_web.hits("/huge", "main") + test_web.hits("/huge", "other") - before
        async for r in gen:
            results.append(r)
        return stalled, results

    stalled, results = asyncio.run(go())
    assert len(results) == 120 and all(r.status == "ok" and r.snapshot.size == 2 * 1024 * 1024 for r in results)
    assert stalled <= 24, f"{stalled} bodies fetched while the parent read nothing"


def test_no_worker_outlives_a_sigkilled_parent_by_a_second(tmp_path, test_web) -> None:
    """SIGKILL `archiver check` while its workers have slow fetches in flight and URLs queued."""
    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i + 1}. {test_web.url(f'/page/orphan{i}?delay=3', ('main', 'other')[i % 2])}\n"
                           for i in range(40)), encoding="utf-8")
    cmd = [sys.executable, "-m", "archiver", "check", str(doc), "--db", str(tmp_path / "a.db"),
           "--allow-private", "--concurrency", "8", "--per-host", "4", "--processes", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and test_web.hits_matching("/page/orphan", "main") < 2:
            time.sleep(0.05)
        workers = [pid for pid in procs.children(proc.pid) if procs.running(pid)]
        assert len(workers) >= 2, "the check ran in worker processes"
        os.kill(proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        proc.wait()
        while time.monotonic() - killed < 1.0 and any(procs.running(pid) for pid in workers):
            time.sleep(0.02)
        assert not [pid for pid in workers if procs.running(pid)], "a worker outlived its parent by more than 1 s"
        hits = test_web.hits_matching("/page/orphan", "main") + test_web.hits_matching("/page/orphan", "other")
        time.sleep(3.5)  # long enough for a surviving worker to have started the queued URLs
        later = test_web.hits_matching("/page/orphan", "main") + test_web.hits_matching("/page/orphan", "other")
        assert later == hits, "URLs were fetched after the parent died"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_worker_killed_while_starting_dies_with_its_parent(tmp_path, test_web) -> None:
    """SIGKILL `archiver check` the moment its first worker process appears, before the worker has
    imported anything (check/boot.py): every process it started is gone within 1 s. Under load the
    sampling can first see the worker after it started its parent watch; then the attempt still has to
    hold the bound, and the scenario runs again (at most 5 times) until a kill lands on a starting worker."""
    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i + 1}. {test_web.url(f'/page/boot{i}', ('main', 'other')[i % 2])}\n"
                           for i in range(10)), encoding="utf-8")
    for attempt in range(5):
        starting, ended, started = _kill_at_first_worker(doc, tmp_path / f"a{attempt}.db")
        # every attempt killed a parent with live children: each must hold the bound, counted or not
        assert len(ended) == started, "a process outlived its parent by 10 s"
        assert max(ended.values(), default=0.0) <= 1.0, f"a process outlived its parent by {max(ended.values()):.2f} s"
        if starting:
            break
    assert starting, "the kill never landed while a worker was starting (5 attempts)"


def _kill_at_first_worker(doc, db) -> tuple[list[int], dict, int]:
    """(workers seen with one thread when the parent was killed, seconds each child outlived it, children)."""
    cmd = [sys.executable, "-m", "archiver", "check", str(doc), "--db", str(db), "--allow-private", "--processes", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    exits = procs.Exits()
    try:
        workers: list[int] = []
        while proc.poll() is None and not workers:  # sampling /proc for the first worker, 5 ms apart
            workers = [pid for pid in procs.children(proc.pid) if b"resource_tracker" not in procs.cmdline(pid)]
            time.sleep(0.005)
        for pid in procs.children(proc.pid):
            exits.add(pid)
        starting = [pid for pid in workers if procs.threads(pid) == 1]
        killed = time.monotonic()
        os.kill(proc.pid, signal.SIGKILL)
        return starting, exits.wait(killed, timeout=10), len(exits.fds)
    finally:
        exits.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
