"""The check stage as a run: confirmation over time, outage guard, lock, resume, drift, the store."""

import asyncio
import contextlib
import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from archiver.check.fetch import FetchSettings, make_client
from archiver.check.outage import origin_memo
from archiver.check.run import interleave_hosts, run_checks
from archiver.check.state import ConfirmPolicy
from archiver.cli.main import main
from archiver.errors import StoreLocked
from archiver.store.sqlite import Store
from archiver.store.sqlite.checks import run_checks_rows
from archiver.store.sqlite.threaded import ThreadedStore
from archiver.urls.keys import origin_of
from tests.procs import children
from tests.web import MutableSite

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FS = FetchSettings(allow_private=True, retries=0, read_timeout=5, total_timeout=10)


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def check(store, urls, clock, **kw):
    async def go():
        aio = ThreadedStore.borrowing(store)
        try:
            async with make_client(FS) as client:
                return await run_checks(aio, urls, client, FS, clock=clock, **kw)
        finally:
            await aio.close()

    return asyncio.run(go())


def state_of(store, url):
    return store.url_row(url)["state"]


@pytest.fixture()
def site():
    s = MutableSite()
    yield s
    s.close()


@pytest.fixture()
def store(tmp_path):
    with Store(tmp_path / "archive.db") as s:
        yield s


def test_dead_only_after_three_failures_a_day_apart_then_revived(store, site):
    clock = Clock()
    policy = ConfirmPolicy(checks=3, spacing=timedelta(hours=24))
    check(store, [site.url], clock, policy=policy)
    assert state_of(store, site.url) == "alive"
    site.status = 404
    expected = [(timedelta(hours=1), "failing", 1), (timedelta(hours=5), "failing", 1),  # same night
                (timedelta(hours=26), "failing", 2), (timedelta(hours=51), "dead", 3),
                (timedelta(hours=60), "dead", 3)]
    for offset, state, failures in expected:
        clock.now = T0 + offset
        run = check(store, [site.url], clock, policy=policy)
        row = store.url_row(site.url)
        assert (row["state"], row["failures"]) == (state, failures), offset
    assert run.summary()["newly_dead"] == 0
    site.status = 200
    clock.now = T0 + timedelta(hours=70)
    run = check(store, [site.url], clock, policy=policy)
    assert state_of(store, site.url) == "revived"
    assert run.summary()["revived"] == 1
    site.status = 500
    clock.now = T0 + timedelta(hours=71)
    check(store, [site.url], clock, policy=policy)
    assert (store.url_row(site.url)["state"], store.url_row(site.url)["failures"]) == ("failing", 1)


def test_a_success_resets_the_count(store, site):
    clock = Clock()
    site.status = 404
    check(store, [site.url], clock)
    clock.now += timedelta(days=2)
    check(store, [site.url], clock)
    assert store.url_row(site.url)["failures"] == 2
    site.status = 200
    clock.now += timedelta(days=2)
    check(store, [site.url], clock)
    assert (state_of(store, site.url), store.url_row(site.url)["failures"]) == ("alive", 0)


def test_cannot_tell_changes_nothing(store, test_web):
    clock = Clock()
    url = test_web.url("/challenge")
    run = check(store, [url], clock)
    assert run.by_status == {"blocked": 1}
    assert state_of(store, url) == "unknown"


def test_outage_guard_marks_nothing(store):
    clock = Clock()
    urls = [f"https://host{i}.invalid/page" for i in range(5)]
    run = check(store, urls, clock)
    assert run.offline and "5 of 5 host names do not exist and no host answered" in run.offline_reason
    conn = store.db.conn
    assert conn.execute("select count(*) from checks where inconclusive = 1").fetchone()[0] == 5
    assert {r[0] for r in conn.execute("select state from urls")} == {"unchecked"}
    assert conn.execute("select outcome from runs").fetchone()[0] == "offline"


async def unreachable_resolver(host, port):
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


def test_outage_guard_stops_early_on_a_large_offline_run(store):
    urls = [f"https://host{i}.example/page/{j}" for i in range(30) for j in range(3)]
    run = check(store, urls, Clock(), resolver=unreachable_resolver)
    assert run.offline and "resolver unreachable" in run.offline_reason
    assert run.checked < len(urls)


def test_names_that_do_not_exist_do_not_stop_a_run_early(store, test_web):
    """The resolver's "no such name" comes fast and proves nothing about the network: the run goes on
    to the hosts that can tell, and with one of them answering the twelve lapsed domains are failing."""
    urls = [f"https://lapsed{i}.invalid/page" for i in range(12)] + [test_web.url("/ok")]
    run = check(store, urls, Clock())
    assert not run.offline, run.offline_reason
    assert run.checked == len(urls) and run.by_state == {"failing": 12, "alive": 1}


def test_one_dead_host_among_live_ones_is_failing(store, test_web):
    urls = [test_web.url("/ok"), test_web.url("/ok", "other"), test_web.url("/", "catchall"),
            "https://gone-for-good.invalid/x"]
    run = check(store, urls, Clock())
    assert not run.offline
    assert state_of(store, "https://gone-for-good.invalid/x") == "failing"
    row = store.db.conn.execute("select inconclusive, k.state from checks k join urls u on u.id = k.url_id "
                                "where u.url like '%invalid%'").fetchone()
    assert row == (0, "failing")


def test_names_that_do_not_exist_are_failing_when_the_canary_answered(store, test_web):
    """The canary answered, so the resolver works: its "no such name" is the hosts' own answer."""
    urls = [f"https://lapsed{i}.invalid/x" for i in range(5)]
    run = check(store, urls, Clock(), canary=test_web.url("/ok"))
    assert not run.offline, run.offline_reason
    assert run.by_state == {"failing": 5} and run.by_status == {"dns-error": 5}


def test_unreachable_canary_means_offline(store, test_web):
    run = check(store, [test_web.url("/ok")], Clock(), canary="https://canary.invalid/")
    assert run.offline and "canary" in run.offline_reason
    assert store.url_row(test_web.url("/ok")) is None or state_of(store, test_web.url("/ok")) == "unchecked"


def test_snapshot_is_content_addressed_and_compressed(store, test_web):
    url = test_web.url("/ok")
    run = check(store, [url, test_web.url("/article")], Clock())
    shas = {r.sha256 for r in run_checks_rows(store, run.run_id)}
    assert len(shas) == 1  # same bytes, one snapshot row
    (body, size, title) = store.db.conn.execute("select body, size, title from snapshots").fetchone()
    import hashlib

    raw = zlib.decompress(body)
    assert len(raw) == size and hashlib.sha256(raw).hexdigest() in shas
    assert title == "On broken links in citations"
    headers = store.db.conn.execute("select count(*) from headers").fetchone()[0]
    assert headers >= 4


def test_drift_is_recorded_when_text_changes(store, site):
    clock = Clock()
    check(store, [site.url], clock)
    clock.now += timedelta(hours=1)
    run = check(store, [site.url], clock)
    assert run.summary()["changed_content"] == 0
    site.body = b"<html><head><title>A</title></head><body><p>second, rewritten text</p></body></html>"
    clock.now += timedelta(hours=1)
    run = check(store, [site.url], clock)
    assert run.summary()["changed_content"] == 1
    (summary,) = store.db.conn.execute("select summary from drift").fetchone()
    assert summary.startswith("text changed")


def test_stale_skips_recent_checks(store, test_web):
    clock = Clock()
    url = test_web.url("/page/stale")
    check(store, [url], clock)
    clock.now += timedelta(hours=2)
    run = check(store, [url], clock, stale=timedelta(days=1))
    assert run.checked == 0 and run.skipped_fresh == 1
    clock.now += timedelta(days=2)
    run = check(store, [url], clock, stale=timedelta(days=1))
    assert run.checked == 1


def test_latest_status_view(tmp_path, test_web):
    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. {test_web.url('/notfound')}\n2. {test_web.url('/ok')}\n", encoding="utf-8")
    db = tmp_path / "a.db"
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(db), "--allow-private"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    rows = sqlite3.connect(db).execute("select note, state, status, http_status from latest_status order by note").fetchall()
    assert rows == [("1", "failing", "not-found", 404), ("2", "alive", "ok", 200)]


def test_check_json_contract(tmp_path, test_web):
    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. {test_web.url('/moved')}\n2. {test_web.url('/gone')}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(tmp_path / "a.db"), "--allow-private",
                                       "--format", "json"], catch_exceptions=False)
    payload = json.loads(result.stdout)
    by_url = {r["url"]: r for r in payload["results"]}
    moved = by_url[test_web.url("/moved")]
    assert {"url", "status", "alive", "http_status", "final_url", "redirects", "state", "sha256",
            "elapsed_ms", "error", "notes"} <= set(moved)
    assert (moved["status"], moved["alive"], moved["state"], moved["notes"]) == ("redirected", True, "alive", ["1"])
    assert moved["final_url"] == test_web.url("/article") and moved["redirects"][0]["status"] == 301
    assert moved["previous_state"] == "unchecked" and moved["content_changed"] is False
    gone = by_url[test_web.url("/gone")]
    assert (gone["status"], gone["alive"], gone["state"]) == ("gone", False, "failing")
    assert payload["summary"]["newly_failing"] == 1


def test_private_addresses_refused_by_default(tmp_path, test_web):
    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. {test_web.url('/ok')}\n", encoding="utf-8")
    hits = test_web.hits("/ok")
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(tmp_path / "a.db"), "--format", "json"],
                                catch_exceptions=False)
    (r,) = json.loads(result.stdout)["results"]
    assert r["status"] == "skipped" and "refused private address 127.0.0.1" in r["error"]
    assert test_web.hits("/ok") == hits


def test_offline_cli_says_network_unavailable(tmp_path):
    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i}. https://site{i}.invalid/a\n" for i in range(1, 6)), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(tmp_path / "a.db")], catch_exceptions=False)
    assert result.exit_code == 3
    assert "network unavailable" in result.stderr
    states = sqlite3.connect(tmp_path / "a.db").execute("select distinct state from urls").fetchall()
    assert states == [("unchecked",)]


def test_lock_keeps_two_runs_apart(tmp_path, test_web):
    db = tmp_path / "a.db"
    with Store(db) as first:
        first.lock()
        with Store(db) as second, pytest.raises(StoreLocked, match="in use by another archiver run"):
            second.lock()
        doc = tmp_path / "n.txt"
        doc.write_text(f"1. {test_web.url('/ok')}\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["check", str(doc), "--db", str(db), "--allow-private"])
        assert result.exit_code == 3 and "in use by another archiver run" in result.stderr
    with Store(db) as third:
        third.lock()  # released when the first closed


def test_interleave_hosts():
    urls = ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://c/2"]
    assert interleave_hosts(urls) == ["http://a/1", "http://b/1", "http://c/1", "http://a/2", "http://c/2", "http://a/3"]


ORIGIN_CASES = ["http://a.org", "http://a.org/x", "HTTP://A.org:80/x", "https://a.org:443?q=/x", "http://a.org?q=/x",
                "http://a.org#f/x", "http://u@a.org/", "http://[::1]:8080/x", "http://[::1/x", "http://a.org:bad/x",
                "http://a.org:bad/y", "http://a.org:99999/x", "mailto:x/y", "a/b", "", "//a.org/x", "http://a.org\\b/c"]


def test_origin_memo_is_origin_of():
    origin = origin_memo()
    for url in ORIGIN_CASES * 2:  # the second time from the memo
        assert origin(url) == origin_of(url), url


@given(st.lists(st.text(alphabet="htps:/.aAb?#@[]8\\", max_size=16), max_size=30))
def test_origin_memo_agrees_whatever_came_before(urls):
    origin = origin_memo()
    assert [origin(u) for u in urls + urls] == [origin_of(u) for u in urls + urls]


def test_resume_after_sigkill(tmp_path, test_web):
    """Kill a run mid-way; the rerun checks only what the first did not finish."""
    n = 24
    paths = [f"/page/resume{i}?delay=0.4" for i in range(n)]
    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i + 1}. {test_web.url(p, ('main', 'other')[i % 2])}\n" for i, p in enumerate(paths)),
                   encoding="utf-8")
    db = tmp_path / "a.db"
    cmd = [sys.executable, "-m", "archiver", "check", str(doc), "--db", str(db), "--allow-private",
           "--concurrency", "4", "--per-host", "2", "--per-host-max", "2", "--processes", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    done = 0
    while time.monotonic() < deadline and done < 6:
        time.sleep(0.1)
        if db.exists():
            with contextlib.suppress(sqlite3.OperationalError):
                done = sqlite3.connect(db).execute("select count(*) from checks").fetchone()[0]
    workers = children(proc.pid)
    assert workers, "the check ran in worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")], "orphaned workers kept running"
    first = sqlite3.connect(db).execute("select count(*) from checks").fetchone()[0]
    assert 6 <= first < n
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select count(distinct url_id) from checks").fetchone()[0] == n
    assert conn.execute("select count(*) from checks").fetchone()[0] == n  # none checked twice
    assert conn.execute("select count(*) from runs").fetchone()[0] == 1  # the killed run was resumed
    for i, p in enumerate(paths):
        host = ("main", "other")[i % 2]
        assert 1 <= test_web.hits(p.split("?")[0], host) <= 2  # at most once more (the in-flight ones)


def test_text_excerpt_kept_and_drift_compares_full_text(store, site):
    head = "<html><head><title>Long</title></head><body><p>" + " ".join(f"w{i}" for i in range(3000))
    site.body = (head + "ending one</p></body></html>").encode()
    clock = Clock()
    check(store, [site.url], clock)
    (text,) = store.db.conn.execute("select text from snapshots").fetchone()
    assert len(text) == 4000 and text.startswith("w0 w1 w2")
    site.body = (head + "ending two</p></body></html>").encode()  # a change past the excerpt
    clock.now += timedelta(hours=1)
    run = check(store, [site.url], clock)
    assert run.changed_content == 1
    (similarity,) = store.db.conn.execute("select similarity from drift").fetchone()
    assert 0.9 < similarity < 1.0


def test_worker_processes_give_the_same_verdicts_and_keep_host_limits(store, test_web):
    paths = ["/ok", "/notfound", "/gone", "/moved", "/soft404", "/parked", "/challenge", "/legal"]
    urls = [test_web.url(p, h) for p in paths for h in ("main", "other")] + \
        [test_web.url(f"/page/w{i}?delay=0.2", h) for i in range(6) for h in ("main", "other")]
    fs = FetchSettings(allow_private=True, retries=0, per_host=2, per_host_max=2, concurrency=8)
    test_web.reset_stats()

    async def go(processes):
        aio = ThreadedStore.borrowing(store)
        try:
            async with make_client(fs) as client:
                return await run_checks(aio, urls, client, fs, clock=Clock(), processes=processes)
        finally:
            await aio.close()

    run = asyncio.run(go(2))
    rows = {r.url: r.status for r in run_checks_rows(store, run.run_id)}
    assert len(rows) == len(urls)
    for h in ("main", "other"):
        assert rows[test_web.url("/soft404", h)] == "soft-404"
        assert rows[test_web.url("/moved", h)] == "redirected"
        assert rows[test_web.url("/challenge", h)] == "blocked"
        assert test_web.peak_in_flight(h) <= 2
    single = asyncio.run(go(1))
    assert {r.url: r.status for r in run_checks_rows(store, single.run_id)} == rows


def test_text_report_in_document_order_with_document_and_note(tmp_path, test_web, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.txt").write_text(f"1. {test_web.url('/page/b1')}\n", encoding="utf-8")
    (tmp_path / "a.md").write_text(f"Intro\n\nSee <{test_web.url('/ok')}> and [x]({test_web.url('/gone')}).\n\n"
                                   f"[^3]: {test_web.url('/challenge')}\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text(f"Notes\n\n4. {test_web.url('/page/b1')}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "b.txt", "a.md", "c.txt", "--db", "a.db", "--allow-private"],
                                catch_exceptions=False)
    lines = result.stdout.splitlines()[:-1]
    assert [(line.split()[0], line.split("  [")[1]) for line in lines] == [
        ("alive", "b.txt: note 1; c.txt: note 4]"), ("alive", "a.md: line 3]"), ("failing", "a.md: line 3]"),
        ("unknown", "a.md: note 3]")]


def test_check_of_one_document_shows_its_places_in_its_order(tmp_path, test_web, monkeypatch):
    """issue 23 "Order and scope": once archive.db holds two documents citing the same URL, `check a.txt`
    lists a.txt's places only, in a.txt's order (b.txt, recorded first, neither shown nor first);
    two documents come in the order given; a --stale run's still-broken links too."""
    monkeypatch.chdir(tmp_path)
    ok, gone, missing = test_web.url("/ok"), test_web.url("/gone"), test_web.url("/notfound")
    (tmp_path / "b.txt").write_text(f"Notes\n\n1. {ok}\n2. {missing}\n3. {gone}\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(f"Notes\n\n1. {gone}\n2. {ok}\n", encoding="utf-8")

    def check(*args):
        result = CliRunner().invoke(main, ["check", *args, "--db", "a.db", "--allow-private"], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    assert check("b.txt", "a.txt")[0] == 1
    code, out, _ = check("a.txt")
    assert code == 1 and "b.txt" not in out
    assert [line.split("  [")[1] for line in out.splitlines()[:-1]] == ["a.txt: note 1]", "a.txt: note 2]"]
    code, out, _ = check("a.txt", "--format", "csv")
    assert "b.txt" not in out and [r["url"] for r in csv.DictReader(io.StringIO(out))] == [gone, ok]
    assert check("a.txt", "--quiet") == (1, f"a.txt: note 1: failing link: gone (HTTP 410) {gone}\n", "")
    code, out, _ = check("a.txt", "b.txt")
    assert [line.split("  [")[1] for line in out.splitlines()[:-1]] == [
        "a.txt: note 1; b.txt: note 3]", "a.txt: note 2; b.txt: note 1]", "b.txt: note 2]"]
    code, out, _ = check("a.txt", "b.txt", "--quiet")
    assert [line.split(":")[0] for line in out.splitlines()] == ["a.txt", "b.txt", "b.txt"]
    code, out, err = check("a.txt", "--stale", "1d")  # nothing checked: the skipped broken link is a.txt's
    assert code == 1 and f"a.txt: note 1: failing link: gone (HTTP 410) {gone}" in err and "b.txt" not in err
