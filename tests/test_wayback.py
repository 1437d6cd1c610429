"""The Wayback client: reply parsing, classification, pacing, and the real protocol against the fake."""

from __future__ import annotations

import asyncio
import contextlib
import random
from urllib.parse import parse_qs

import httpx
import pytest

from archiver.wayback.client import (
    AUTH,
    PERMANENT,
    QUOTA_ACCOUNT_DAY,
    QUOTA_URL_DAY,
    RATE_LIMITED,
    SESSION_LIMIT,
    TARGET_THROTTLED,
    TRANSIENT,
    Backoff,
    Pacer,
    Secret,
    WaybackClient,
    WaybackConfig,
    WaybackKeys,
    classify,
    parse_begin_in,
    parse_cdx,
    parse_job_status,
    parse_save_reply,
)
from tests.fakewayback import ClockedTransport, FakeWayback, VirtualClock

KEYS = WaybackKeys.of("ACCESSKEY123", "SECRETKEY456")
URL = "https://example.org/page"


@contextlib.asynccontextmanager
async def client_for(fake: FakeWayback, clock: VirtualClock, keys: WaybackKeys | None = KEYS, **config):
    async with httpx.AsyncClient(timeout=5, transport=ClockedTransport(clock)) as http:
        yield WaybackClient(http, WaybackConfig(base_url=fake.base_url, keys=keys, **config),
                            clock=clock, sleep=clock.sleep, rng=random.Random(7))


# -- keys and config ---------------------------------------------------------------------------


def test_secret_never_shows():
    keys = WaybackKeys.of("ACCESSKEY123", "SECRETKEY456")
    config = WaybackConfig(keys=keys)
    for text in (repr(keys), str(keys), repr(config), str(config), f"{keys.access}", repr(keys.secret)):
        assert "ACCESSKEY123" not in text and "SECRETKEY456" not in text
    assert keys.header() == "LOW ACCESSKEY123:SECRETKEY456"
    assert Secret("x") == Secret("x")


@pytest.mark.parametrize("env, present", [
    ({"IA_ACCESS_KEY": "a", "IA_SECRET_KEY": "s"}, True),
    ({"IA_ACCESS_KEY": "a"}, False),
    ({"IA_ACCESS_KEY": " ", "IA_SECRET_KEY": "s"}, False),
    ({}, False),
])
def test_keys_from_env(env, present):
    from archiver.config import load_settings

    keys = load_settings(environ=env).wayback_config().keys
    assert (keys is not None) == present
    if keys:
        assert keys.header() == "LOW a:s"


def test_one_base_url_points_every_endpoint():
    public = WaybackConfig()
    assert public.availability_endpoint == "https://archive.org/wayback/available"
    assert public.cdx_endpoint == "https://web.archive.org/cdx/search/cdx"
    own = WaybackConfig(base_url="http://127.0.0.1:9/")
    assert own.save_endpoint == "http://127.0.0.1:9/save"
    assert own.status_endpoint == "http://127.0.0.1:9/save/status"
    assert own.cdx_endpoint == "http://127.0.0.1:9/cdx/search/cdx"
    assert own.availability_endpoint == "http://127.0.0.1:9/wayback/available"
    assert WaybackConfig(base_url="http://h", cdx_url="http://c/cdx").cdx_endpoint == "http://c/cdx"


# -- parsing every reply shape (§1.3, §1.4) -------------------------------------------------


@pytest.mark.parametrize("status, body, job, cls, extra", [
    (200, '{"url":"u","job_id":"spn2-abc"}', "spn2-abc", None, {}),
    (200, '{"url":"u","job_id":"ac58789b-f3ca","message":"Your capture will begin in 20s."}', "ac58789b-f3ca",
     None, {"begin_in": 20.0}),
    (200, '{"url":"u","job_id":"j","message":"The same snapshot had been made 2 minutes ago."}', "j", None, {}),
    (200, '{"status":"error","status_ext":"error:too-many-daily-captures","message":"This URL has been '
          'already captured 5 times today"}', None, QUOTA_URL_DAY, {}),
    (200, '{"status":"error","message":"You cannot make more than 30000 captures per day."}', None,
     QUOTA_ACCOUNT_DAY, {}),
    (200, '{"status":"error","message":"You have reached your daily not-logged-in captures limit of (200,) '
          'webpages"}', None, QUOTA_ACCOUNT_DAY, {}),
    (200, '{"status":"error","status_ext":"error:user-session-limit","message":"..."}', None, SESSION_LIMIT, {}),
    (200, '{"status":"error","message":"You have already reached the limit of active sessions"}', None,
     SESSION_LIMIT, {}),
    (200, '{"status":"error","message":"Please try again in ~10 min. Crawling this host is paused"}', None,
     TARGET_THROTTLED, {"retry_after": 600.0}),
    (200, '{"status":"error","message":"Cannot start capture"}', None, TRANSIENT, {}),
    (200, '{"status":"error","status_ext":"error:blocked-url","message":"blocked"}', None, PERMANENT, {}),
    (200, '{"status":"error","status_ext":"error:brand-new-code"}', None, PERMANENT, {}),
    (200, "<html>limit of active sessions</html>", None, SESSION_LIMIT, {}),
    (200, "", None, TRANSIENT, {"error": "empty reply"}),
    (401, "You need to be logged in to use Save Page Now.", None, AUTH, {}),
    (429, "<html>Too Many Requests</html>", None, RATE_LIMITED, {}),
    (400, "bad", None, PERMANENT, {}),
    (502, "", None, TRANSIENT, {"maybe_captured": False}),
    (509, "", None, TRANSIENT, {}),
    (520, "", None, TRANSIENT, {"maybe_captured": False}),
    (523, "", None, TRANSIENT, {"maybe_captured": True}),
])
def test_parse_save_reply(status, body, job, cls, extra):
    result = parse_save_reply("u", status, body)
    assert result.job_id == job
    assert result.accepted == (job is not None)
    assert result.retry_class == cls
    for name, value in extra.items():
        assert getattr(result, name) == value


@pytest.mark.parametrize("ext, cls", [
    ("error:bad-gateway", TRANSIENT), ("error:read-timeout", TRANSIENT), ("error:celery", TRANSIENT),
    ("error:not-found", PERMANENT), ("error:blocked-url", PERMANENT), ("error:invalid-url-syntax", PERMANENT),
    ("error:too-many-daily-captures", QUOTA_URL_DAY), ("error:user-session-limit", SESSION_LIMIT),
    ("error:too-many-requests", TARGET_THROTTLED), ("error:max-daily-bandwidth", QUOTA_ACCOUNT_DAY),
    ("error:something-new", PERMANENT), (None, PERMANENT),
])
def test_classify_status_ext(ext, cls):
    assert classify(ext)[0] == cls


@pytest.mark.parametrize("message, seconds", [
    ("Your capture will begin in 20s.", 20), ("capture will start in 1 hour 2 minutes 3 seconds", 3723),
    ("capture will begin in 45 s", 45), ("The same snapshot had been made 2 minutes ago.", 0), (None, 0),
])
def test_parse_begin_in(message, seconds):
    assert parse_begin_in(message) == seconds


def test_parse_job_status_shapes():
    pending = parse_job_status("j", 200, '{"status":"pending","job_id":"j","ressources":["a","b"],"download_size":5}')
    assert (pending.status, pending.resources, pending.download_size) == ("pending", ("a", "b"), 5)
    ok = parse_job_status("j", 200, '{"status":"success","timestamp":"20180326070330","original_url":"http://b/",'
                                    '"http_status":200,"resources":[]}')
    assert (ok.status, ok.timestamp, ok.original_url, ok.http_status) == ("success", "20180326070330", "http://b/", 200)
    err = parse_job_status("j", 200, '{"status":"error","status_ext":"error:invalid-host-resolution",'
                                     '"message":"Couldn\'t resolve host"}')
    assert (err.status, err.retry_class) == ("error", PERMANENT)
    gone = parse_job_status("j", 404, '{"status":"error","message":"not found"}')
    assert (gone.status, gone.request_status) == ("unknown", 404)
    assert parse_job_status("j", 200, "<html>").status == "unknown"


@pytest.mark.parametrize("body, rows, key", [
    ("", 0, None),
    ("[]", 0, None),
    ('[["timestamp","statuscode"],["20200101000000","200"]]', 1, None),
    ('[["timestamp"],["20200101000000"],["20200102000000"],[],["org%2Carchive%29%2F+19980109140106%21"]]', 2,
     "org%2Carchive%29%2F+19980109140106%21"),
])
def test_parse_cdx(body, rows, key):
    result = parse_cdx(200, body)
    assert result.ok and len(result.rows) == rows and result.resume_key == key


def test_parse_cdx_errors():
    assert not parse_cdx(200, "org.archive.wayback.exception.AdministrativeAccessControlException: "
                              "Blocked Site Error").ok
    assert parse_cdx(429, "").error and parse_cdx(503, "").error and parse_cdx(200, "{").error


# -- pacing ------------------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_caps():
    backoff = Backoff(60, 1800, 0.1, random.Random(3))
    delays = [backoff.next_delay() for _ in range(8)]
    for i, d in enumerate(delays[:5]):
        base = 60 * 2 ** i
        assert base <= d <= min(base * 1.1, 1800)
    assert delays[-1] == 1800 and max(delays) <= 1800
    backoff.reset()
    assert 60 <= backoff.next_delay() <= 66


def test_pacer_spacing_on_virtual_clock():
    clock = VirtualClock()
    pacer = Pacer(6, clock, clock.sleep)
    times = []

    async def go():
        async def one():
            await pacer.acquire()
            times.append(clock())
        await asyncio.gather(*(one() for _ in range(12)))
    asyncio.run(go())
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 10 - 1e-9
    assert all(sum(1 for t in times if start <= t < start + 60) <= 6 for start in times)


# -- against the fake server ---------------------------------------------------------------


def test_cdx_query_semantics(fake_wayback, wayback_clock):
    for ts, status in [("20040101000000", "200"), ("20041231120000", "404"), ("20050601000000", "200"),
                       ("20100101000000", "301"), ("20200101000000", "200")]:
        fake_wayback.seed(URL, ts, status)
    fake_wayback.seed("https://example.org/page/sub", "20060101000000")

    async def go():
        async with client_for(fake_wayback, wayback_clock) as c:
            years = await c.cdx(URL, to="2004")
            assert [r["timestamp"] for r in years.rows] == ["20040101000000", "20041231120000"]
            since = await c.cdx(URL, from_="2005")
            assert len(since.rows) == 3
            not200 = await c.cdx(URL, filters=("!statuscode:200",))
            assert {r["statuscode"] for r in not200.rows} == {"404", "301"}
            last = await c.cdx(URL, limit=-1)
            assert last.rows[0]["timestamp"] == "20200101000000"
            closest = await c.around(URL, "20100301000000", limit=2)
            assert [r["timestamp"] for r in closest.rows] == ["20100101000000", "20050601000000"]
            prefix = await c.cdx("https://example.org/page/*")
            assert len(prefix.rows) == 6
            first = await c.cdx(URL, limit=2, show_resume_key=True)
            assert len(first.rows) == 2 and first.resume_key
            rest = await c.cdx(URL, limit=10, resume_key=first.resume_key)
            assert len(rest.rows) == 3 and rest.resume_key is None
            empty = await c.cdx("https://nothing.example/")
            assert empty.ok and empty.rows == ()
            fake_wayback.cdx_empty = ""
            assert (await c.cdx("https://nothing.example/")).rows == ()
            default = await c.cdx(URL, fl=(), limit=1)
            assert set(default.rows[0]) == {"urlkey", "timestamp", "original", "mimetype", "statuscode",
                                            "digest", "length"}
            fake_wayback.cdx_blocked.add(URL)
            assert "blocked" in (await c.cdx(URL)).error
    asyncio.run(go())


def test_availability_at_custom_base(fake_wayback, wayback_clock):
    fake_wayback.seed(URL, "20150101000000")
    fake_wayback.seed(URL, "20200101000000")

    async def go():
        async with client_for(fake_wayback, wayback_clock) as c:
            near = await c.availability(URL, "2014")
            assert near.available and near.timestamp == "20150101000000"
            assert near.archive_url == f"{fake_wayback.base_url}/web/20150101000000/{URL}"
            assert (await c.availability(URL)).timestamp == "20200101000000"
            assert not (await c.availability("https://nothing.example/")).available
    asyncio.run(go())
    assert fake_wayback.count("/wayback/available") == 3


def test_save_sends_the_documented_form(fake_wayback, wayback_clock):
    async def go():
        async with client_for(fake_wayback, wayback_clock) as c:
            first = await c.save(URL, if_not_archived_within="30d")
            again = await c.save(URL)
            status = await c.job_status(first.job_id)
            user = await c.user_status()
            return first, again, status, user
    first, again, status, user = asyncio.run(go())
    assert first.accepted and first.job_id.startswith("spn2-")
    assert again.job_id == first.job_id and "same snapshot" in again.message
    assert status.status == "success" and len(status.timestamp) == 14
    assert user.available == 5 and user.daily_captures == 1
    sent = fake_wayback.saves()[0]
    assert sent.headers["authorization"] == "LOW ACCESSKEY123:SECRETKEY456"
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.form == parse_qs(f"url={URL}&skip_first_archive=1&if_not_archived_within=30d")
    assert "capture_outlinks" not in sent.form
    job = fake_wayback.jobs[first.job_id]
    assert job.options["skip_first_archive"] and not job.options["capture_outlinks"]
    assert fake_wayback.saves()[1].at - sent.at >= 10  # paced at 6/min


def test_fake_enforces_auth_and_strict_booleans(fake_wayback):
    with httpx.Client() as http:
        anon = http.post(f"{fake_wayback.base_url}/save", data={"url": URL})
        assert anon.status_code == 401 and "logged in" in anon.text
        http.post(f"{fake_wayback.base_url}/save", data={"url": URL, "capture_all": "true", "force_get": "on"},
                  headers={"Authorization": "LOW a:b"})
        assert http.get(f"{fake_wayback.base_url}/save/status/nope").status_code == 404
        assert http.get(f"{fake_wayback.base_url}/save/status/system").json() == {"status": "ok"}
    job = next(iter(fake_wayback.jobs.values()))
    assert job.options["capture_all"] is False and job.options["force_get"] is True


def test_no_keys_means_no_post(fake_wayback, wayback_clock):
    async def go():
        async with client_for(fake_wayback, wayback_clock, keys=None) as c:
            return await c.save(URL)
    result = asyncio.run(go())
    assert result.retry_class == AUTH and "IA_ACCESS_KEY" in result.error
    assert fake_wayback.saves() == []


def test_cdx_429_backs_off_and_retries(fake_wayback, wayback_clock):
    fake_wayback.cdx_per_minute = 2
    fake_wayback.seed(URL, "20200101000000")

    async def go():
        async with client_for(fake_wayback, wayback_clock) as c:
            results = [await c.cdx(URL) for _ in range(4)]
            return results, dict(c.stats)
    results, stats = asyncio.run(go())
    assert all(r.ok and r.rows for r in results)
    assert stats["cdx_429"] >= 1
    times = [r.at for r in fake_wayback.requests if r.path == "/cdx/search/cdx"]
    after_429 = [b - a for a, b in zip(times, times[1:]) if b - a > 30]
    assert after_429 and min(after_429) >= 60  # paused ≥ 60 s after a 429


def test_save_429_pauses_all_submissions(fake_wayback, wayback_clock):
    fake_wayback.save_per_minute = 1

    async def go():
        async with client_for(fake_wayback, wayback_clock, save_per_minute=60) as c:
            a = await c.save("https://a.example/")
            b = await c.save("https://b.example/")
            c2 = await c.save("https://c.example/")
            return a, b, c2
    a, b, c2 = asyncio.run(go())
    assert a.accepted and b.retry_class == RATE_LIMITED and c2.accepted
    posts = fake_wayback.saves()
    assert posts[2].at - posts[1].at >= 60


def test_timemap_and_replay(fake_wayback):
    fake_wayback.seed(URL, "20150101000000")
    fake_wayback.seed(URL, "20200101000000")
    with httpx.Client() as http:
        tm = http.get(f"{fake_wayback.base_url}/web/timemap/link/{URL}")
        assert 'rel="first memento"' in tm.text and 'rel="last memento"' in tm.text
        exact = http.get(f"{fake_wayback.base_url}/web/20150101000000/{URL}")
        assert exact.status_code == 200 and "Memento-Datetime" in exact.headers
        near = http.get(f"{fake_wayback.base_url}/web/2016/{URL}")
        assert near.status_code == 302 and "20150101000000" in near.headers["location"]
