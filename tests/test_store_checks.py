"""Checks reach the store in groups (check/recorder.py): what a killed run can lose is bounded in
time and count, a group is written whole or not at all, and the stage decides what the store keeps."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time
from collections import Counter

import pytest

from archiver.check.fetch import FetchSettings, make_client
from archiver.check.recorder import Recorder
from archiver.check.run import run_checks
from archiver.check.state import ConfirmPolicy
from archiver.errors import StoreError
from archiver.models import CheckRecord, CheckResult, Drift, Snapshot, UrlState
from archiver.store.sqlite import Store
from archiver.store.sqlite.threaded import ThreadedStore


def _committed(path) -> int:
    """Checks another connection can see: only committed ones (what survives a SIGKILL)."""
    with sqlite3.connect(path) as conn:
        return conn.execute("select count(*) from checks").fetchone()[0]


def page(text: str) -> Snapshot:
    body = f"<html><body><p>{text} and more words of the page</p></body></html>".encode()
    return Snapshot(sha256=hashlib.sha256(body).hexdigest(), body=body, content_type="text/html", size=len(body),
                    text=f"{text} and more words of the page")


def record(path, results, *, run_id=None, size=100, between=None) -> list[tuple[CheckRecord, int]]:
    """Put `results` through a Recorder on the store at `path`; `between(i)` runs after the i-th put."""
    written: list[tuple[CheckRecord, int]] = []

    async def go():
        with Store(path) as store:
            aio = ThreadedStore.borrowing(store)
            try:
                rid = run_id if run_id is not None else await aio.start_run("check")
                recorder = Recorder(aio, rid, ConfirmPolicy(), time_now, lambda r, i: written.append((r, i)),
                                    seconds=3600, size=size)
                try:
                    for i, result in enumerate(results):
                        await recorder.put(result)
                        if between:
                            await between(i)
                finally:
                    await recorder.close()
            finally:
                await aio.close()

    asyncio.run(go())
    return written


def time_now():
    from archiver.clock import utcnow

    return utcnow()


def test_a_group_is_written_every_size_checks_and_at_close(tmp_path) -> None:
    path = tmp_path / "a.db"
    seen = []

    async def look(i):
        await asyncio.sleep(0.05)  # the writer's turn
        seen.append(_committed(path))

    results = [CheckResult(f"http://example.test/{i}", "not-found", False, 404) for i in range(7)]
    record(path, results, size=3, between=look)
    assert seen == [0, 0, 3, 3, 3, 6, 6]  # never more than a group unwritten
    assert _committed(path) == 7


def test_a_group_whose_write_fails_is_lost_whole_and_stops_the_run(tmp_path) -> None:
    """A write that fails (here a foreign key: run 999 does not exist, after the snapshot row was
    written) loses its group, as a kill would, leaves no part of any check, and raises archiver's
    own error."""
    path = tmp_path / "a.db"
    results = [CheckResult("http://example.test/ok", "ok", True, 200, snapshot=page("hi")),
               CheckResult("http://example.test/new", "ok", True, 200)]
    with pytest.raises(StoreError, match="the database failed"):
        record(path, results, run_id=999)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM checks").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM urls").fetchone() == (0,)


def test_the_stage_decides_states_and_drift_within_a_group(tmp_path) -> None:
    """A URL checked twice in a group starts its second check from the first one's state; a page
    whose bytes and text changed gets a drift row measured by the stage; a snapshot is stored once;
    the ids handed back are the rows' (the outage guard settles held-back checks by them)."""
    path = tmp_path / "a.db"
    results = [CheckResult("http://a.test/1", "not-found", False, 404),
               CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("one")),
               CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("two")),
               CheckResult("http://a.test/2", "ok", True, 200, snapshot=page("one")),
               CheckResult("http://a.test/3", "dns-error", None, transport_failure=True)]
    written = record(path, results)
    states = [(r.previous.state, r.new.state if r.new else None) for r, _ in written]
    assert states == [("unchecked", "failing"), ("failing", "alive"), ("alive", "alive"),
                      ("unchecked", "alive"), ("unchecked", None)]
    drift = written[2][0].drift
    assert drift is not None and drift.old_sha256 == page("one").sha256 and 0 < drift.similarity < 1
    with Store(path) as store:
        conn = store.db.conn
        assert [i for _, i in written] == [r[0] for r in conn.execute("SELECT id FROM checks ORDER BY id")]
        assert [h.check_id for h in store.held_back(1)] == [written[4][1]]
        assert conn.execute("SELECT count(*) FROM snapshots").fetchone() == (2,)
        assert conn.execute("SELECT similarity FROM drift").fetchall() == [(drift.similarity,)]
        assert conn.execute("SELECT state, last_sha256 FROM urls WHERE url = 'http://a.test/1'").fetchone() == (
            "alive", page("two").sha256)


def test_only_markup_changed_is_no_drift(tmp_path) -> None:
    path = tmp_path / "a.db"
    same_text = Snapshot(sha256="cd" * 32, body=page("one").body.replace(b"<p>", b"<p class='x'>"),
                         content_type="text/html", size=1)
    written = record(path, [CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("one")),
                            CheckResult("http://a.test/1", "ok", True, 200, snapshot=same_text)])
    assert [r.drift for r, _ in written] == [None, None]


def test_a_quiet_run_commits_within_the_group_time(tmp_path, test_web) -> None:
    """One quick page, then a slow one: the quick check is committed while the slow one is in flight."""
    path = tmp_path / "a.db"
    settings = FetchSettings(allow_private=True, probe_soft404=False)
    urls = [test_web.url("/page/quiet-fast"), test_web.url("/slow?delay=3", "other")]
    seen = []

    async def go():
        with Store(path) as store:
            aio = ThreadedStore.borrowing(store)
            async with make_client(settings) as client:
                task = asyncio.ensure_future(run_checks(aio, urls, client, settings))
                deadline = time.monotonic() + 2.5
                while time.monotonic() < deadline and not seen:
                    await asyncio.sleep(0.05)
                    if _committed(path) >= 1:
                        seen.append(time.monotonic())
                await task
            await aio.close()

    started = time.monotonic()
    asyncio.run(go())
    assert seen and seen[0] - started < 2.5, "the first check waited for the slow one to be committed"
    assert _committed(path) == 2


def test_run_counts_are_the_run_rows_counted(tmp_path) -> None:
    """The run's summary comes from `run_counts` (one row per kind of check); it must say what
    counting every CheckRow says: held-back checks as inconclusive, first checks from unchecked,
    a changed page as content changed."""
    alive, failing, unchecked = UrlState("alive"), UrlState("failing", 1), UrlState()
    when = "2026-01-01T00:00:00+00:00"
    with Store(tmp_path / "a.db") as store:
        run_id = store.start_run("check")
        store.record_checks([
            CheckRecord(CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("one")), run_id, when,
                        unchecked, alive)])
        store.record_checks([
            CheckRecord(CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("two")), run_id, when,
                        alive, alive, Drift(page("one").sha256, 0.5, "text changed")),
            CheckRecord(CheckResult("http://a.test/2", "not-found", False, 404), run_id, when, unchecked, failing),
            CheckRecord(CheckResult("http://a.test/3", "dns-error", None, transport_failure=True), run_id, when,
                        unchecked, None),
            CheckRecord(CheckResult("http://a.test/4", "ok", True, 200), run_id, when, unchecked, alive)])
        rows = Counter((r.status, r.state, r.previous_state or "unchecked", r.content_changed)
                       for r in store.run_rows(run_id))
        counts = {(status, state, previous, bool(changed)): n
                  for status, state, previous, changed, n in store.run_counts(run_id)}
        assert counts == dict(rows)
        assert counts[("ok", "alive", "alive", True)] == 1 and counts[("dns-error", "inconclusive", "unchecked", False)] == 1
