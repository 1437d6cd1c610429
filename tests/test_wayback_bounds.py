"""Every reply the archive stage reads is bounded (issue 25 item 2).

A hostile Wayback Machine (tests/fakewayback.py's `hostile` modes) answers every request with 300 MB
of JSON, a 1 MB gzip body that inflates to 1 GiB, a 429 asking for a day's pause, or a byte a
second. Each run ends within its deadlines with the link still queued, and the memory Python
allocated during the run (tracemalloc's peak, the server's constant blocks included) stays under a
bound set by the reply cap, not by what the server sent (the 300 MB reply took 3.2 GB before, the
bomb 7.6 GB).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import tracemalloc

import httpx
import pytest

from archiver.clock import epoch_of
from archiver.store.sqlite import captures
from archiver.store.sqlite.threaded import ThreadedStore
from archiver.wayback.client import WaybackClient, WaybackConfig
from archiver.wayback.policy import ArchiveSettings, archive_urls
from archiver.wayback.replies import retry_after
from tests.archiving import ALIVE, KEYS, make_store
from tests.fakewayback import FakeWayback, ScaledClock, gzip_bomb

MiB = 1024 * 1024
URLS = [f"https://bounded.example/{i}" for i in range(3)]
REQUEST_DEADLINE = 2.0  # real seconds for one whole request
MEMORY_BOUND = 40 * MiB  # the reply cap (4 MiB) and its copies, the event loop, the store: not the reply


def _archive(tmp_path, fake: FakeWayback, **config):
    clock = ScaledClock(scale=60)  # pacing and retry sleeps pass quickly; request deadlines are real time
    store = make_store(tmp_path, clock, dict.fromkeys(URLS, ALIVE))

    async def go():
        aio = ThreadedStore.borrowing(store)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                settings = WaybackConfig(base_url=fake.base_url, keys=KEYS, request_deadline=REQUEST_DEADLINE,
                                         **config)
                client = WaybackClient(http, settings, clock=clock, sleep=clock.sleep)
                return await archive_urls(aio, client, None, ArchiveSettings())
        finally:
            await aio.close()

    gzip_bomb()  # built before measuring: it is the server's, not the client's
    tracemalloc.start()
    started = time.monotonic()
    try:
        report = asyncio.run(go())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    took = time.monotonic() - started
    rows = [(r.url, r.state, r.next_attempt, r.reason) for r in captures.all_rows(store)]
    store.close()
    return report, peak, took, rows


@pytest.mark.parametrize("kind", ["huge", "bomb", "trickle", "retry-after"])
def test_a_hostile_wayback_ends_in_time_with_the_links_queued_under_a_memory_bound(tmp_path, kind):
    with FakeWayback() as fake:
        fake.hostile = kind
        report, peak, took, rows = _archive(tmp_path, fake)
        sent = len(fake.requests)
    assert report.outage, report.as_dict()
    assert {r.action for r in report.results} == {"queued"}, report.summary
    assert sorted(r[0] for r in rows) == URLS and {r[1] for r in rows} == {"queued"}, rows
    assert peak < MEMORY_BOUND, f"{peak / MiB:.0f} MiB allocated at the peak"
    # five unusable answers open the breaker (a few more were in flight); each within the deadline
    assert sent <= 5 + len(URLS), sent
    assert took < sent * REQUEST_DEADLINE + 20, f"{took:.0f} s"
    print(f"{kind}: {sent} requests, {took:.1f} s, peak {peak / MiB:.1f} MiB")
    if kind == "retry-after":  # not waited out: queued until the time the server asked for
        assert "asked archiver to wait until" in report.outage and report.resume_at
        for _, _, due, reason in rows:
            assert abs(epoch_of(due) - epoch_of(report.resume_at)) < 5 and "until" in reason
        assert epoch_of(report.resume_at) > time.time() + 80000  # the day asked for, not our backoff
    else:
        assert "unreachable" in report.outage and "requests in a row" in report.outage


def test_what_each_hostile_reply_is_called(tmp_path):
    expected = {"huge": "reply larger than", "bomb": "reply larger than", "trickle": "no complete reply within"}
    for kind, words in expected.items():
        (tmp_path / kind).mkdir()
        with FakeWayback() as fake:
            fake.hostile = kind
            report, *_ = _archive(tmp_path / kind, fake)
        assert words in report.outage, (kind, report.outage)


def test_the_stage_deadline_stops_sending_and_keeps_the_queue(tmp_path):
    with FakeWayback() as fake:
        fake.hostile = "trickle"
        report, _, took, rows = _archive(tmp_path, fake, stage_deadline=60.0)  # one simulated minute: 1 s
    assert "time limit" in report.outage, report.outage
    assert {r[1] for r in rows} == {"queued"}
    assert took < REQUEST_DEADLINE + 10


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), ("", None), (None, None),
    ("-5", None), ("1.5", None),
])
def test_retry_after_values(value, seconds):
    assert retry_after(value, time.time()) == seconds


def test_a_retry_after_date_in_the_future():
    now = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    assert retry_after("Thu, 01 Jan 2026 01:00:00 GMT", now) == 3600.0


def test_a_short_retry_after_is_waited_out(tmp_path):
    """Under `max_wait`, a 429's Retry-After pauses the family and the work goes on in this run."""
    from archiver.wayback.pacing import Breaker

    clock = ScaledClock(scale=60)
    client = WaybackClient(httpx.AsyncClient(), WaybackConfig(max_wait=300), clock=clock, sleep=clock.sleep)
    client.pause("lookup", clock() + 120, "HTTP 429 with Retry-After: 120 s")
    assert client.outage is None and client.cdx_pacer.paused_until >= clock() + 119
    client.pause("save", clock() + 3600, "HTTP 429 with Retry-After: 3600 s")
    assert client.outage and "asked archiver to wait until" in client.outage and "3600" in client.outage
    assert isinstance(client.breakers["save"], Breaker) and client.resume_at and client.resume_at > clock() + 3500


def test_cli_archive_is_stopped_by_sigterm_within_a_second_while_reading_a_trickle(tmp_path, test_web):
    """SIGTERM took 41 s to act while the stage inflated a bomb; a reply read in steps stops at once."""
    import os
    import signal
    import subprocess
    import sys

    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. {test_web.url('/page/sigterm')}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    env = {**os.environ, "IA_ACCESS_KEY": "A", "IA_SECRET_KEY": "S"}
    with FakeWayback() as fake:
        check = subprocess.run([sys.executable, "-m", "archiver", "check", str(doc), "--db", str(db),
                                "--allow-private"], capture_output=True, text=True, timeout=120, env=env)
        assert check.returncode == 0, check.stderr
        fake.hostile = "trickle"
        proc = subprocess.Popen([sys.executable, "-m", "archiver", "archive", str(doc), "--db", str(db),
                                 "--wayback-url", fake.base_url], stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 60
            while not fake.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            assert fake.requests, "the archive stage never asked the Wayback Machine"
            time.sleep(0.5)  # inside the trickling reply
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 143, err
    assert "Traceback" not in err, err
    assert took < 3, f"{took:.1f} s from SIGTERM to exit"
    states = [r[0] for r in sqlite3.connect(db).execute("SELECT state FROM captures")]
    assert "submitting" not in states


@pytest.mark.parametrize("kind", ["huge", "bomb"])
def test_a_capture_fetched_raw_is_bounded_too(kind):
    """Capture QA reads each copy in its id_ form (archiver/captures/raw.py) through the same bounded
    read: the first RAW_LIMIT decoded bytes are judged, the rest is never inflated nor read."""
    from archiver.captures.raw import RAW_LIMIT, Candidate, fetch_and_judge

    with FakeWayback() as fake:
        fake.hostile = kind
        candidate = Candidate("wayback", "20200101000000", f"{fake.base_url}/web/20200101000000/https://a.example/")

        async def go():
            async with httpx.AsyncClient(timeout=30) as http:
                return await fetch_and_judge(http, candidate, "https://a.example/", None, "test")

        gzip_bomb()
        tracemalloc.start()
        try:
            judged, status = asyncio.run(go())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert status == 200 and judged.error is None, judged
    assert peak < RAW_LIMIT * 16, f"{peak / MiB:.0f} MiB at the peak"  # the cap and judging it; not 1 GiB
