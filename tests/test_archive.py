"""The archiving policy against the fake Wayback, on real SQLite files and virtual time."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime

import httpx
import pytest

from archiver.clock import epoch_of
from archiver.clock import iso_of_epoch as iso
from archiver.store.sqlite import Store
from archiver.store.sqlite import captures as db
from archiver.wayback.client import WaybackClient, WaybackConfig
from archiver.wayback.policy import ArchiveSettings, choose_capture
from tests.archiving import ACCESS, ALIVE, KEYS, SECRET, by_url, dump, make_store, run
from tests.fakewayback import ClockedTransport, FakeWayback, ts14

DAY = 86400.0


# -- live links ------------------------------------------------------------------------------


def test_recent_capture_counts_as_archived_and_others_are_submitted(fake_wayback, wayback_clock, store_factory):
    a, b = "https://a.example/x", "https://b.example/y"
    fake_wayback.seed(a, ts14(wayback_clock() - 3 * DAY))
    fake_wayback.seed(b, ts14(wayback_clock() - 90 * DAY))  # too old: submit
    store = store_factory({a: ALIVE, b: ("revived", "ok", None)})
    report = run(store, fake_wayback, wayback_clock)
    res = by_url(report)
    assert res[a].action == "already-archived" and res[a].archive_url.startswith(fake_wayback.base_url + "/web/")
    assert res[b].action == "submitted" and res[b].job_id.startswith("spn2-")
    assert res[b].archive_url == f"{fake_wayback.base_url}/web/{res[b].timestamp}/{b}"
    assert res[b].notes == ("2",)
    assert [s.form["url"] for s in fake_wayback.saves()] == [[b]]
    assert fake_wayback.saves()[0].form["if_not_archived_within"] == ["30d"]
    assert report.summary["submitted"] == 1 and report.summary["already-archived"] == 1
    assert set(res[b].as_dict()) == {"url", "action", "archive_url", "timestamp", "job_id", "reason", "notes",
                                     "places"}
    json.dumps(report.as_dict())
    rows = {r.url: r for r in db.all_rows(store)}
    assert rows[b].state == "success" and rows[b].job_id == res[b].job_id and rows[b].attempts == 1
    # a second run finds both archived in archive.db: no lookups for them, no submissions
    cdx_before = fake_wayback.count("/cdx")
    again = by_url(run(store, fake_wayback, wayback_clock))
    assert {r.action for r in again.values()} == {"already-archived"}
    assert len(fake_wayback.saves()) == 1 and fake_wayback.count("/cdx") == cdx_before


def test_skips_login_walls_and_unchecked_links(fake_wayback, wayback_clock, store_factory):
    fb, tw, un, unk = ("https://www.facebook.com/p/1", "https://x.com/a/status/1", "https://u.example/",
                       "https://k.example/")
    vk = "https://vk.com/wall-1_2"  # lint warns about it (U302), so archive must not submit it either
    store = store_factory({fb: ALIVE, tw: ALIVE, vk: ALIVE, un: ("unchecked", None, None),
                           unk: ("unknown", "timeout", None)})
    res = by_url(run(store, fake_wayback, wayback_clock))
    assert {r.action for r in res.values()} == {"skipped"}
    assert "login" in res[fb].reason and "login" in res[vk].reason and "check" in res[un].reason
    assert fake_wayback.saves() == []
    forced = by_url(run(store, fake_wayback, wayback_clock, [fb],
                        settings=ArchiveSettings(force_login_walled=True)))
    assert forced[fb].action == "submitted"


def test_without_keys_lookups_still_work(fake_wayback, wayback_clock, store_factory):
    old, new, dead = "https://old.example/", "https://new.example/", "https://dead.example/"
    fake_wayback.seed(old, ts14(wayback_clock() - DAY))
    fake_wayback.seed(dead, "20200101000000")
    store = store_factory({old: ALIVE, new: ALIVE, dead: ("dead", "not-found", None)})
    res = by_url(run(store, fake_wayback, wayback_clock, keys=None))
    assert res[old].action == "already-archived"
    assert res[new].action == "queued" and "IA_ACCESS_KEY" in res[new].reason and "IA_SECRET_KEY" in res[new].reason
    assert res[dead].action == "matched"
    assert fake_wayback.saves() == [] and fake_wayback.count("/save") == 0


def test_dry_run_submits_and_writes_nothing(fake_wayback, wayback_clock, store_factory):
    live, dead = "https://live.example/", "https://dead.example/"
    fake_wayback.seed(dead, "20200101000000")
    store = store_factory({live: ALIVE, dead: ("dead", "not-found", None)})
    before = dump(store)
    report = run(store, fake_wayback, wayback_clock, dry_run=True)
    res = by_url(report)
    assert res[live].action == "queued" and "would submit" in res[live].reason
    assert res[dead].action == "matched"
    assert fake_wayback.saves() == [] and dump(store) == before


# -- dead links: choosing a capture --------------------------------------------------------


@pytest.mark.parametrize("rows, chosen, side", [
    # a 200 before the access date wins over a closer 200 after it and a closer 404 before it
    ([("20201201000000", "200"), ("20210110000000", "404"), ("20210113000000", "200")], "20201201000000", "before"),
    ([("20190101000000", "200"), ("20201201000000", "200")], "20201201000000", "before"),
    ([("20210301000000", "200"), ("20210120000000", "200"), ("20210105000000", "500")], "20210120000000", "after"),
    ([("20201230000000", "301"), ("20210120000000", "302")], "20201230000000", "before"),
    ([("20210112100000", "200")], "20210112100000", "before"),  # same day counts as before
    ([("20201230000000", "404"), ("20210120000000", "503")], None, None),
    ([], None, None),
])
def test_choose_capture(rows, chosen, side):
    got = choose_capture([{"timestamp": t, "statuscode": s} for t, s in rows], "20210112235959", "access date")
    if chosen is None:
        assert got is None
    else:
        assert got[0]["timestamp"] == chosen and side in got[1] and "days" in got[1]


def test_dead_links_are_matched_around_the_access_date(fake_wayback, wayback_clock, store_factory):
    dead, soft, parked, bare = ("https://d.example/a", "https://s.example/b", "https://p.example/c",
                                "https://n.example/d")
    for ts, status in [("20201201000000", "200"), ("20210110000000", "404"), ("20210115000000", "200"),
                       ("20230101000000", "200")]:
        fake_wayback.seed(dead, ts, status)
    fake_wayback.seed(soft, "20220101000000")
    fake_wayback.seed(parked, "20150101000000", "404")
    store = store_factory({dead: ("dead", "not-found", date(2021, 1, 12)),
                           soft: ("alive", "soft-404", date(2021, 1, 12)),
                           parked: ("failing", "parked", None), bare: ("dead", "not-found", None)})
    res = by_url(run(store, fake_wayback, wayback_clock))
    assert res[dead].action == "matched" and res[dead].timestamp == "20201201000000"
    assert "before the access date 2021-01-12 (42 days before)" in res[dead].reason
    assert res[soft].action == "matched" and "after" in res[soft].reason
    assert res[parked].action == "no-capture" and res[bare].action == "no-capture"
    assert fake_wayback.saves() == []
    rows = {r.url: r for r in db.all_rows(store)}
    assert rows[dead].need == "match" and rows[dead].state == "matched"
    assert rows[dead].archive_url == res[dead].archive_url and "42 days" in rows[dead].reason


def test_match_without_access_date_uses_first_seen(fake_wayback, wayback_clock, store_factory):
    url = "https://gone.example/"
    fake_wayback.seed(url, ts14(wayback_clock() - 400 * DAY))
    fake_wayback.seed(url, ts14(wayback_clock() + 10 * DAY))
    store = store_factory({url: ("dead", "not-found", None)})
    res = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert res.action == "matched" and "first saw the citation" in res.reason and "before" in res.reason


def test_match_without_access_date_uses_the_inferred_date_of_adding(fake_wayback, wayback_clock, store_factory):
    url = "https://moved.example/paper"
    for ts in ("20180301000000", "20190401000000", "20240101000000"):
        fake_wayback.seed(url, ts)
    store = store_factory({url: ("dead", "not-found", None)})
    store.db.conn.execute("UPDATE citations SET added = '2019-05-02', added_by = 'git history'")
    res = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert res.action == "matched" and res.timestamp == "20190401000000"
    assert "before the date the citation was added (git history) 2019-05-02 (31 days before)" in res.reason
    assert "access date" not in res.reason


# -- limits and refusals ----------------------------------------------------------------------


def test_account_quota_stops_all_submissions_for_the_day(fake_wayback, wayback_clock, store_factory):
    urls = [f"https://q{i}.example/" for i in range(5)]
    store = store_factory(dict.fromkeys(urls, ALIVE))
    fake_wayback.refusals[urls[1]] = "account-daily"
    res = by_url(run(store, fake_wayback, wayback_clock))
    assert res[urls[0]].action == "submitted"
    assert all(res[u].action == "queued" and "quota" in res[u].reason for u in urls[1:]), res
    assert len(fake_wayback.saves()) == 2
    until = db.get_state(store, "quota_until")
    midnight = datetime.fromtimestamp(wayback_clock(), UTC).date().toordinal() + 1
    assert datetime.fromisoformat(until).date().toordinal() == midnight and until.endswith("T00:00:00+00:00")
    assert {r.state for r in db.all_rows(store) if r.url != urls[0]} == {"queued"}
    # the same day: nothing is submitted
    again = by_url(run(store, fake_wayback, wayback_clock))
    assert len(fake_wayback.saves()) == 2 and again[urls[3]].action == "queued"
    # the next UTC day: the queue drains
    del fake_wayback.refusals[urls[1]]
    wayback_clock.now = epoch_of(until) + 60
    later = by_url(run(store, fake_wayback, wayback_clock))
    assert all(later[u].action == "submitted" for u in urls[1:])
    assert Counter(s.form["url"][0] for s in fake_wayback.saves())[urls[1]] == 2  # refused once, then saved


def test_the_accounts_status_says_its_day_is_spent_before_any_post(fake_wayback, wayback_clock, store_factory):
    """/save/status/user counts the captures of every client of the account: when it says the day's
    quota is used up, no POST is sent to be refused, and the stop is kept until the next UTC day."""
    urls = [f"https://spent{i}.example/" for i in range(3)]
    store = store_factory(dict.fromkeys(urls, ALIVE))
    fake_wayback.daily_limit = 2
    for i in range(2):  # another client of the account took the day's two
        fake_wayback._new_job(f"https://other-client{i}.example/", {}, wayback_clock())
    res = by_url(run(store, fake_wayback, wayback_clock))
    assert fake_wayback.saves() == []
    assert all(res[u].action == "queued" and "quota is used up (2 of 2)" in res[u].reason for u in urls), res
    until = db.get_state(store, "quota_until")
    assert until is not None and until.endswith("T00:00:00+00:00")


def test_url_daily_cap_counts_as_archived(fake_wayback, wayback_clock, store_factory):
    url = "https://capped.example/"
    fake_wayback.refusals[url] = "url-daily"
    store = store_factory({url: ALIVE})
    res = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert res.action == "already-archived" and "daily cap" in res.reason
    assert db.current(store, url, "save").state == "quota"
    run(store, fake_wayback, wayback_clock)
    assert len(fake_wayback.saves()) == 1


def test_429_backoff_never_exceeds_the_configured_rate(fake_wayback, wayback_clock, store_factory):
    fake_wayback.save_per_minute = 3  # the server is stricter than the client's 6/min
    urls = [f"https://r{i}.example/" for i in range(10)]
    store = store_factory(dict.fromkeys(urls, ALIVE))
    res = by_url(run(store, fake_wayback, wayback_clock))
    assert all(r.action == "submitted" for r in res.values())
    posts = fake_wayback.saves()
    times = [p.at for p in posts]
    assert min(b - a for a, b in zip(times, times[1:])) >= 10 - 1e-6  # ≤ 6/min, 429s included
    assert all(sum(1 for t in times if s <= t < s + 60) <= 6 for s in times)
    assert fake_wayback.rejected_429, "the test should provoke 429s"
    for rejected in fake_wayback.rejected_429:
        following = [t for t in times if t > rejected]
        assert not following or following[0] - rejected >= 60  # paused ≥ 60 s after each 429
    assert len({p.form["url"][0] for p in posts}) == 10
    assert db.get_state(store, "save_paused_until")


def test_5xx_are_retried_a_bounded_number_of_times(fake_wayback, wayback_clock, store_factory):
    ok, bad = "https://flaky.example/", "https://down.example/"
    store = store_factory({ok: ALIVE})
    fake_wayback.save_faults = [(502, False), (520, False)]
    res = by_url(run(store, fake_wayback, wayback_clock))[ok]
    assert res.action == "submitted" and db.current(store, ok, "save").attempts == 3
    store.url_id(bad)
    store.db.conn.execute("UPDATE urls SET state='alive', last_status='ok' WHERE url=?", [bad])
    fake_wayback.save_faults = [(502, False)] * 5
    res = by_url(run(store, fake_wayback, wayback_clock, [bad]))[bad]
    assert res.action == "queued" and "gave up after 3 tries" in res.reason
    assert len(fake_wayback.saves(bad)) == 3
    row = db.current(store, bad, "save")
    assert row.state == "queued" and row.next_attempt


def test_523_checks_cdx_before_resubmitting(fake_wayback, wayback_clock, store_factory):
    url = "https://slow.example/"
    store = store_factory({url: ALIVE})
    fake_wayback.save_faults = [(523, True)]  # error reply, but the capture landed
    res = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert res.action == "submitted" and res.timestamp and "CDX" in res.reason
    assert len(fake_wayback.saves()) == 1


def test_permanent_refusal_is_recorded_and_not_retried(fake_wayback, wayback_clock, store_factory):
    url = "https://tracker.example/"
    fake_wayback.refusals[url] = "blocked-url"
    store = store_factory({url: ALIVE})
    assert by_url(run(store, fake_wayback, wayback_clock))[url].action == "failed"
    assert db.current(store, url, "save").error.startswith("error:blocked-url")
    assert by_url(run(store, fake_wayback, wayback_clock))[url].action == "failed"
    assert len(fake_wayback.saves()) == 1


def test_transient_job_error_and_session_limit_are_retried(fake_wayback, wayback_clock, store_factory):
    a, b = "https://celery.example/", "https://busy.example/"
    fake_wayback.scripts[a] = ["pending", ("error", "error:celery", "Cannot start capture task")]
    fake_wayback.refuse_once[b] = "session-limit"
    store = store_factory({a: ALIVE, b: ALIVE})
    res = by_url(run(store, fake_wayback, wayback_clock))
    assert res[a].action == "submitted" and res[b].action == "submitted"
    assert len(fake_wayback.saves(a)) == 2 and len(fake_wayback.saves(b)) == 2
    assert fake_wayback.count("/save/status/user") >= 2  # the pre-flight, then waiting for a session


# -- polling and resuming -------------------------------------------------------------------


def test_polling_honours_begin_in(fake_wayback, wayback_clock, store_factory):
    url = "https://queue.example/"
    fake_wayback.begin_in[url] = 40
    store = store_factory({url: ALIVE})
    assert by_url(run(store, fake_wayback, wayback_clock))[url].action == "submitted"
    post = fake_wayback.saves()[0].at
    polls = [r.at for r in fake_wayback.requests if r.path.startswith("/save/status/spn2-")]
    assert polls[0] - post >= 40


def test_poll_timeout_leaves_unknown_and_never_resubmits(fake_wayback, wayback_clock, store_factory):
    url = "https://stuck.example/"
    fake_wayback.hold_pending = True
    store = store_factory({url: ALIVE})
    settings = ArchiveSettings(poll_timeout=30)
    first = by_url(run(store, fake_wayback, wayback_clock, settings=settings))[url]
    assert first.action == "submitted" and first.job_id and first.archive_url is None
    assert "later run checks CDX" in first.reason
    assert db.current(store, url, "save").state == "unknown"
    # within the hour: the job is polled again, not resubmitted
    fake_wayback.release()
    second = by_url(run(store, fake_wayback, wayback_clock, settings=settings))[url]
    assert second.action == "submitted" and second.timestamp
    assert len(fake_wayback.saves()) == 1


def test_unknown_job_found_later_in_cdx(fake_wayback, wayback_clock, store_factory):
    url = "https://late.example/"
    fake_wayback.hold_pending = True
    store = store_factory({url: ALIVE})
    run(store, fake_wayback, wayback_clock, settings=ArchiveSettings(poll_timeout=20))
    job = fake_wayback.jobs[db.current(store, url, "save").job_id]
    wayback_clock.now += 2 * 3600  # job status expired
    again = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert again.action == "queued" and "not resubmitting" in again.reason
    fake_wayback._land(job)  # the capture shows up in CDX
    final = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert final.action == "already-archived" and final.timestamp == ts14(job.submitted_at)
    assert len(fake_wayback.saves()) == 1


def test_a_submitting_row_is_reposted_and_the_server_dedups(fake_wayback, wayback_clock, store_factory):
    url = "https://window.example/"
    store = store_factory({url: ALIVE})
    fake_wayback.hold_pending = True

    async def post_then_crash():  # the POST lands, the process dies before recording the job id
        async with httpx.AsyncClient(transport=ClockedTransport(wayback_clock)) as http:
            client = WaybackClient(http, WaybackConfig(base_url=fake_wayback.base_url, keys=KEYS),
                                   clock=wayback_clock, sleep=wayback_clock.sleep)
            cid = db.open_row(store, url, "save", "queued", iso(wayback_clock()))
            async def begin() -> bool:
                db.begin_submit(store, cid, iso(wayback_clock()))
                return True

            return await client.save(url, before_post=begin)
    first = asyncio.run(post_then_crash())
    assert db.current(store, url, "save").state == "submitting"
    fake_wayback.release()
    res = by_url(run(store, fake_wayback, wayback_clock))[url]
    assert res.action == "submitted" and res.job_id == first.job_id
    assert len(fake_wayback.jobs) == 1  # two POSTs, one job, one capture
    assert len([c for c in fake_wayback.captures if c["original"] == url]) == 1


def test_no_duplicate_submission_after_sigkill(tmp_path):
    urls = [f"https://kill{i}.example/page" for i in range(6)]
    with FakeWayback(save_per_minute=None, hold_pending=True) as fake:
        store = make_store(tmp_path, time.time, dict.fromkeys(urls, ALIVE))
        store.close()
        dbfile = str(tmp_path / "archive.db")
        env = {**os.environ, "IA_ACCESS_KEY": ACCESS, "IA_SECRET_KEY": SECRET}
        (tmp_path / "notes.txt").write_text("".join(f"{i + 1}. {u}\n" for i, u in enumerate(urls)))
        (tmp_path / "archiver.toml").write_text("poll_interval = 0.05\npoll_timeout = 60\ncdx_per_minute = 6000\n"
                                                "saves_per_minute = 6000\n")
        cmd = [sys.executable, "-m", "archiver", "archive", "notes.txt", "--db", dbfile, "--wayback-url",
               fake.base_url, "--format", "json"]
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with sqlite3.connect(dbfile) as conn:
                    pending = conn.execute("SELECT count(*) FROM captures WHERE state='pending'").fetchone()[0]
                if pending >= 3 and pending == len(fake.saves()):
                    break
                time.sleep(0.05)
            else:
                pytest.fail("the first run never had 3 jobs pending")
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()
        killed_after = len(fake.saves())
        fake.release()
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        posts = Counter(s.form["url"][0] for s in fake.saves())
    assert killed_after >= 3
    assert posts == Counter(urls)  # every URL exactly once, across the kill
    assert {r["action"] for r in report["results"]} == {"submitted"}
    assert ACCESS not in done.stdout + done.stderr and SECRET not in done.stdout + done.stderr
    with Store(dbfile) as store:
        assert {r.state for r in db.all_rows(store)} == {"success"}


# -- secrets ---------------------------------------------------------------------------------


def test_keys_never_leak(fake_wayback, wayback_clock, store_factory, caplog):
    caplog.set_level(logging.DEBUG)
    urls = {"https://s1.example/": ALIVE, "https://s2.example/": ALIVE, "https://s3.example/": ALIVE,
            "https://s4.example/": ("dead", "not-found", date(2020, 5, 1))}
    fake_wayback.refusals["https://s2.example/"] = "blocked-url"
    fake_wayback.save_faults = [(523, False)]
    fake_wayback.scripts["https://s3.example/"] = [("error", "error:not-found", "404")]
    fake_wayback.seed("https://s4.example/", "20200401000000")
    store = store_factory(urls)
    report = run(store, fake_wayback, wayback_clock)
    blob = json.dumps(report.as_dict()) + dump(store) + caplog.text + repr(report)
    blob += "".join(str(r.__dict__) for r in caplog.records)
    assert ACCESS not in blob and SECRET not in blob
    assert "LOW " not in dump(store)
    assert fake_wayback.saves()[0].headers["authorization"] == f"LOW {ACCESS}:{SECRET}"  # they were used


def test_401_with_keys_is_transient_once_then_stops_submissions(fake_wayback, wayback_clock, store_factory):
    a, b, c = "https://k1.example/", "https://k2.example/", "https://k3.example/"
    store = store_factory({a: ALIVE})
    fake_wayback.refuse_keys = 1
    assert by_url(run(store, fake_wayback, wayback_clock))[a].action == "submitted"
    assert len(fake_wayback.saves(a)) == 2
    for url in (b, c):
        store.url_id(url)
        store.db.conn.execute("UPDATE urls SET state='alive', last_status='ok' WHERE url=?", [url])
    fake_wayback.refuse_keys = 99
    res = by_url(run(store, fake_wayback, wayback_clock, [b, c], settings=ArchiveSettings(max_concurrency=1)))
    assert {r.action for r in res.values()} == {"queued"}
    assert all("IA_ACCESS_KEY" in r.reason for r in res.values())
    assert len(fake_wayback.saves()) == 4  # a twice, b twice (transient once), c never
