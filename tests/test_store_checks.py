"""Group commit of checks: what a killed run can lose is bounded in time and count."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import time

import pytest

from archiver.check.fetch import FetchSettings, make_client
from archiver.check.run import run_checks
from archiver.models import CheckResult, Snapshot, UrlState
from archiver.store.sqlite import Store
from archiver.store.sqlite.checks import GroupCommit, record_check


def _committed(path) -> int:
    """Checks another connection can see: only committed ones (what survives a SIGKILL)."""
    with sqlite3.connect(path) as conn:
        return conn.execute("select count(*) from checks").fetchone()[0]


def test_group_commits_every_size_checks_and_at_close(tmp_path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        group = GroupCommit(store, seconds=3600, size=3)
        for i in range(7):
            record_check(store, CheckResult(url=f"http://example.test/{i}", status="not-found", alive=False,
                                            http_status=404), run_id=None, decide=lambda prev: prev)
            assert _committed(path) == (i + 1) // 3 * 3  # never more than 2 uncommitted
        group.close()
        assert _committed(path) == 7


def test_a_check_that_fails_before_writing_leaves_its_group(tmp_path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        group = GroupCommit(store, seconds=3600, size=100)
        ok = CheckResult(url="http://example.test/ok", status="ok", alive=True, http_status=200)
        record_check(store, ok, run_id=None, decide=lambda prev: prev)
        with pytest.raises(RuntimeError):
            record_check(store, ok, run_id=None, decide=lambda prev: (_ for _ in ()).throw(RuntimeError("bug")))
        group.close()
        assert _committed(path) == 1


def test_a_check_that_fails_while_writing_rolls_back_its_group_and_never_half(tmp_path) -> None:
    """A write that fails mid-check (here a foreign key: run 999 does not exist, after the snapshot row
    was written) loses the open group, as a kill would, and leaves no part of the failed check. The
    group's rows reach SQLite when it commits, so that is where the failure is raised."""
    path = tmp_path / "a.db"
    with Store(path) as store:
        group = GroupCommit(store, seconds=3600, size=100)
        ok = CheckResult(url="http://example.test/ok", status="ok", alive=True, http_status=200)
        record_check(store, ok, run_id=None, decide=lambda prev: prev)
        group.flush()
        record_check(store, ok, run_id=None, decide=lambda prev: prev)  # in the group that is lost
        page = Snapshot(sha256="ab" * 32, body=b"<p>hi</p>", content_type="text/html", size=9)
        record_check(store, CheckResult(url="http://example.test/new", status="ok", alive=True,
                                        http_status=200, snapshot=page), run_id=999, decide=lambda prev: prev)
        with pytest.raises(sqlite3.IntegrityError):
            group.flush()
        conn = store.db.conn
        assert not conn.in_transaction and group.count == 0
        assert conn.execute("SELECT count(*) FROM snapshots").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM checks").fetchone() == (1,)
        record_check(store, ok, run_id=None, decide=lambda prev: prev)  # the run could go on: a new group
        group.close()
        assert _committed(path) == 2


def test_a_quiet_run_commits_within_the_group_time(tmp_path, test_web) -> None:
    """One quick page, then a slow one: the quick check is committed while the slow one is in flight."""
    path = tmp_path / "a.db"
    settings = FetchSettings(allow_private=True, probe_soft404=False)
    urls = [test_web.url("/page/quiet-fast"), test_web.url("/slow?delay=3", "other")]
    seen = []

    async def go():
        with Store(path) as store:
            async with make_client(settings) as client:
                task = asyncio.ensure_future(run_checks(store, urls, client, settings))
                deadline = time.monotonic() + 2.5
                while time.monotonic() < deadline and not seen:
                    await asyncio.sleep(0.05)
                    if _committed(path) >= 1:
                        seen.append(time.monotonic())
                await task

    started = time.monotonic()
    asyncio.run(go())
    assert seen and seen[0] - started < 2.5, "the first check waited for the slow one to be committed"
    assert _committed(path) == 2


def test_run_counts_are_the_run_rows_counted(tmp_path) -> None:
    """The run's summary comes from `run_counts` (one row per kind of check); it must say what
    counting every CheckRow says: held-back checks as inconclusive, first checks from unchecked,
    a changed page as content changed."""
    from collections import Counter

    def page(text: str) -> Snapshot:
        body = f"<html><body><p>{text}</p></body></html>".encode()
        return Snapshot(sha256=hashlib.sha256(body).hexdigest(), body=body, content_type="text/html", size=len(body))

    def alive(prev):
        return UrlState(state="alive")

    with Store(tmp_path / "a.db") as store:
        run_id = store.start_run("check")
        for url, result, decide in [
            ("http://a.test/1", CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("one")), alive),
            ("http://a.test/1", CheckResult("http://a.test/1", "ok", True, 200, snapshot=page("two")), alive),
            ("http://a.test/2", CheckResult("http://a.test/2", "not-found", False, 404),
             lambda prev: UrlState(state="failing", failures=1)),
            ("http://a.test/3", CheckResult("http://a.test/3", "dns-error", None, transport_failure=True),
             lambda prev: None),
            ("http://a.test/4", CheckResult("http://a.test/4", "ok", True, 200), alive),
        ]:
            record_check(store, result, run_id=run_id, decide=decide, similarity=lambda a, b: 0.5)
        rows = Counter((r.status, r.state, r.previous_state or "unchecked", r.content_changed)
                       for r in store.run_rows(run_id))
        counts = {(status, state, previous, bool(changed)): n
                  for status, state, previous, changed, n in store.run_counts(run_id)}
        assert counts == dict(rows)
        assert counts[("ok", "alive", "alive", True)] == 1 and counts[("dns-error", "inconclusive", "unchecked", False)] == 1


def test_a_group_sees_its_own_queued_checks(tmp_path) -> None:
    """Inside an open group the rows wait in memory: a URL checked twice in the group starts its second
    check from the first one's state, a page whose previous snapshot is still queued gets its drift row,
    a snapshot queued once is stored once, and the ids returned are the ids the rows get (the outage
    guard settles held-back checks by them)."""
    def page(text: str) -> Snapshot:
        body = f"<html><body><p>{text} and more words</p></body></html>".encode()
        return Snapshot(sha256=hashlib.sha256(body).hexdigest(), body=body, content_type="text/html",
                        size=len(body), text=f"{text} and more words")

    path = tmp_path / "a.db"
    with Store(path) as store:
        run_id = store.start_run("check")
        group = GroupCommit(store, seconds=3600, size=100)
        seen: list[UrlState] = []

        def count(prev: UrlState) -> UrlState:
            seen.append(prev)
            return UrlState(state="alive", failures=prev.failures + 1)

        ids = [record_check(store, CheckResult("http://a.test/1", "ok", True, 200, snapshot=page(text)),
                            run_id=run_id, decide=count, similarity=lambda a, b: 0.5)["check_id"]
               for text in ("one", "one", "two")]
        ids.append(record_check(store, CheckResult("http://a.test/2", "ok", True, 200, snapshot=page("one")),
                                run_id=run_id, decide=count)["check_id"])
        held = record_check(store, CheckResult("http://a.test/3", "dns-error", None, transport_failure=True),
                            run_id=run_id, decide=lambda prev: None)["check_id"]
        assert _committed(path) == 0
        group.close()
        conn = store.db.conn
        assert [s.failures for s in seen] == [0, 1, 2, 0]
        assert conn.execute("SELECT id FROM checks ORDER BY id").fetchall() == [(i,) for i in [*ids, held]]
        assert [r[0] for r in store.held_back(run_id)] == [held]
        assert conn.execute("SELECT count(*) FROM snapshots").fetchone() == (2,)
        assert conn.execute("SELECT similarity FROM drift").fetchall() == [(0.5,)]
        assert conn.execute("SELECT failures, last_sha256 FROM urls WHERE url = 'http://a.test/1'").fetchone() == (
            3, page("two").sha256)


def test_a_timed_commit_that_fails_is_raised_by_the_next_check(tmp_path) -> None:
    """The timer commits a quiet group from the event loop, where an exception would only be logged:
    it rolls the group back and the next check (or close) raises it, so the run stops."""
    path = tmp_path / "a.db"
    with Store(path) as store:
        group = GroupCommit(store, seconds=3600, size=100)
        record_check(store, CheckResult("http://a.test/1", "ok", True, 200), run_id=999, decide=lambda prev: prev)
        group._on_timer()  # as the loop calls it
        assert store.db.conn.execute("SELECT count(*) FROM checks").fetchone() == (0,)
        with pytest.raises(sqlite3.IntegrityError):
            record_check(store, CheckResult("http://a.test/2", "ok", True, 200), run_id=None,
                         decide=lambda prev: prev)
        record_check(store, CheckResult("http://a.test/2", "ok", True, 200), run_id=None, decide=lambda prev: prev)
        group.close()
        assert _committed(path) == 1
