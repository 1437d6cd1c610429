"""The checker against the loopback test web and the server zoo (real sockets, tests/zoo.py)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import time
import uuid
from datetime import UTC, datetime

import pytest

from archiver.check.addresses import is_private as _is_private
from archiver.check.failures import map_exception as _map_exception
from archiver.check.fetch import USER_AGENT, FetchSettings, check_one, check_urls, make_client, parse_retry_after
from archiver.models import CheckResult
from tests.web import ARTICLE
from tests.zoo import ForwardProxy, Zoo

FAST = FetchSettings(allow_private=True, backoff_base=0.01, read_timeout=5, total_timeout=15,
                     max_body=1_000_000)


def check(url: str, settings: FetchSettings = FAST, **kwargs) -> CheckResult:
    async def go():
        async with make_client(settings) as client:
            return await check_one(client, url, settings, **kwargs)

    return asyncio.run(go())


def collect(urls, settings: FetchSettings = FAST) -> list[CheckResult]:
    async def go():
        async with make_client(settings) as client:
            return [r async for r in check_urls(client, urls, settings)]

    return asyncio.run(go())


def unique(prefix: str) -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    ("path", "host", "status", "alive", "code"),
    [
        ("/ok", "main", "ok", True, 200),  # a long article that mentions "not found"
        ("/notfound", "main", "not-found", False, 404),
        ("/gone", "main", "gone", False, 410),
        ("/moved", "main", "redirected", True, 200),
        ("/moved308", "main", "redirected", True, 200),
        ("/temp", "main", "ok", True, 200),
        ("/loop/a", "main", "too-many-redirects", False, None),
        ("/hops/12", "main", "too-many-redirects", False, None),
        ("/hops/3", "main", "ok", True, 200),
        ("/old", "main", "homepage-redirect", False, 200),
        ("/soft404", "main", "soft-404", False, 200),
        ("/soft404-ru", "main", "soft-404", False, 200),
        ("/some/article", "soft-en", "soft-404", False, 200),
        ("/статья", "soft-ru", "soft-404", False, 200),
        ("/products/old-item", "catchall", "soft-404", False, 200),  # only the probe can tell
        ("/teapot", "catchall", "ok", True, 200),
        ("/parked", "main", "parked", False, 200),
        ("/members", "main", "login-required", None, 200),
        ("/account", "main", "login-required", None, 200),
        ("/challenge", "main", "blocked", None, 403),
        ("/auth", "main", "blocked", None, 401),
        ("/legal", "main", "legal", None, 451),
        ("/ratelimit-long", "main", "rate-limited", None, 429),
        ("/down", "main", "server-error", False, 503),
        ("/reset", "main", "connection-error", False, None),
        ("/gzip", "main", "ok", True, 200),
        ("/cp1251", "main", "ok", True, 200),
        ("/", "main", "ok", True, 200),
    ],
)
def test_behaviour_table(test_web, path, host, status, alive, code) -> None:
    result = check(test_web.url(path, host))
    assert (result.status, result.alive, result.http_status) == (status, alive, code), result.error


def test_result_fields(test_web) -> None:
    fixed = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    result = check(test_web.url("/ok"), clock=lambda: fixed)
    assert result.checked_at == fixed
    assert result.elapsed_ms is not None and result.elapsed_ms >= 0
    assert result.final_url == test_web.url("/ok")
    assert ("content-type", "text/html; charset=utf-8") in result.headers
    snap = result.snapshot
    assert snap.sha256 == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert snap.title == "On broken links in citations"
    assert "Link rot is the process" in snap.text and "<p>" not in snap.text
    assert test_web.headers_of("/ok")["user-agent"] == USER_AGENT


def test_user_agent_configurable(test_web) -> None:
    path = unique("/page")
    check(test_web.url(path), FetchSettings(allow_private=True, user_agent="tester/1"))
    assert test_web.headers_of(path)["user-agent"] == "tester/1"


def test_server_error_then_ok_is_retried(test_web) -> None:
    path = unique("/flaky")
    result = check(test_web.url(path))
    assert (result.status, result.http_status) == ("ok", 200)
    assert test_web.hits(path) == 2


def test_server_error_retries_exhausted(test_web) -> None:
    before = test_web.hits("/down")
    result = check(test_web.url("/down"), FetchSettings(allow_private=True, backoff_base=0.01, retries=3))
    assert result.status == "server-error" and "after 4 attempts" in result.error
    assert test_web.hits("/down") - before == 4


def test_retry_after_is_honoured(test_web) -> None:
    path = unique("/ratelimit")
    started = time.monotonic()
    result = check(test_web.url(path + "?after=1"))
    assert result.status == "ok"
    assert test_web.hits(path) == 2
    assert time.monotonic() - started >= 1.0


def test_retry_after_over_cap_gives_up(test_web) -> None:
    before = test_web.hits("/ratelimit-long")
    result = check(test_web.url("/ratelimit-long"))
    assert result.status == "rate-limited" and "cap" in result.error
    assert test_web.hits("/ratelimit-long") - before == 1


def test_parse_retry_after() -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_redirect_chain_recorded(test_web) -> None:
    result = check(test_web.url("/temp"))
    assert result.redirects == (
        {"url": test_web.url("/temp"), "status": 302, "location": test_web.url("/temp2")},
        {"url": test_web.url("/temp2"), "status": 307, "location": test_web.url("/article")},
    )
    assert result.final_url == test_web.url("/article")


def test_redirect_loop_detected(test_web) -> None:
    result = check(test_web.url("/loop/a"))
    assert "loop" in result.error
    assert [hop["status"] for hop in result.redirects] == [302, 302]


def test_cookie_checks_are_passed_like_a_browser_passes_them(test_web) -> None:
    """A site that sets a cookie and redirects to get it back is alive, not a redirect loop; a
    redirect that repeats with the same cookies is still a loop."""
    there_and_back = check(test_web.url("/cookie/a"))
    assert (there_and_back.status, there_and_back.alive, there_and_back.http_status) == ("ok", True, 200)
    assert [hop["url"] for hop in there_and_back.redirects] == [test_web.url("/cookie/a"), test_web.url("/cookie/set")]
    assert test_web.headers_of("/cookie/a").get("cookie") == "visited=1"
    to_itself = check(test_web.url("/cookie/self"))
    assert (to_itself.status, to_itself.alive, len(to_itself.redirects)) == ("ok", True, 1)
    never = check(test_web.url("/cookie/never"))
    assert never.status == "too-many-redirects" and "loop" in never.error
    assert len(never.redirects) == 2  # the first repeat set a cookie it already had: a loop at the next


def test_cookies_stay_with_their_chain(test_web) -> None:
    """A cookie a chain was given is not sent when another URL of the same run is checked."""
    one_at_a_time = FetchSettings(allow_private=True, concurrency=1, per_host=1, per_host_max=1, read_timeout=5)
    first, second = collect([test_web.url("/cookie/a"), test_web.url("/cookie/self")], one_at_a_time)
    assert first.url.endswith("/cookie/a") and first.alive and second.alive
    assert test_web.headers_of("/cookie/self").get("cookie") == "self=1"  # not "visited=1; self=1"


def test_max_redirects_setting(test_web) -> None:
    settings = FetchSettings(allow_private=True, max_redirects=2)
    assert check(test_web.url("/hops/2"), settings).status == "ok"
    result = check(test_web.url("/hops/3"), settings)
    assert result.status == "too-many-redirects" and len(result.redirects) == 3


def test_body_cap_truncates(test_web) -> None:
    cap = 64 * 1024
    result = check(test_web.url("/huge"), FetchSettings(allow_private=True, max_body=cap))
    snap = result.snapshot
    assert (result.status, snap.truncated, snap.size, len(snap.body)) == ("ok", True, cap, cap)
    assert snap.sha256 == hashlib.sha256((b"0123456789abcdef" * 131_072)[:cap]).hexdigest()


def test_gzip_decoded_and_hashed(test_web) -> None:
    result = check(test_web.url("/gzip"))
    assert result.snapshot.body == ARTICLE.encode()
    assert result.snapshot.sha256 == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert not result.snapshot.truncated


def test_gzip_bomb_capped_on_decoded_bytes(test_web) -> None:
    result = check(test_web.url("/bomb"), FetchSettings(allow_private=True, max_body=1_000_000))
    assert result.snapshot.truncated and result.snapshot.size == 1_000_000


def test_gzip_bomb_memory_stays_bounded(test_web) -> None:
    import tracemalloc

    settings = FetchSettings(allow_private=True, max_body=1_000_000)
    check(test_web.url("/bomb"), settings)  # let the server build its bomb first
    tracemalloc.start()
    try:
        result = check(test_web.url("/bomb"), settings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.snapshot.size == 1_000_000
    assert peak < 16_000_000  # 20 MB of zeros behind 20 KB of gzip, never inflated at once (httpx: ~50 MB)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br", "gzip, identity"])
def test_content_encodings_decoded(coding: str) -> None:
    import gzip
    import zlib

    import brotli

    body = ARTICLE.encode() * 50
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    encoded = {"gzip": gzip.compress(body), "deflate": zlib.compress(body), "br": brotli.compress(body),
               "raw-deflate": raw.compress(body) + raw.flush(), "gzip, identity": gzip.compress(body)}[coding]
    header = "deflate" if coding == "raw-deflate" else coding

    with Zoo() as zoo:
        zoo.add("/page", b"HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
                % (header.encode(), len(encoded), encoded))
        snap = check(zoo.url("/page")).snapshot
    assert snap.body == body and snap.sha256 == hashlib.sha256(body).hexdigest()


def test_broken_gzip_is_a_decoding_failure() -> None:
    with Zoo() as zoo:
        zoo.add("/page", b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot gzip")
        result = check(zoo.url("/page"), FetchSettings(allow_private=True, retries=0))
    assert (result.status, result.transport_failure) == ("connection-error", False)
    assert "gzip" in result.error


def test_charset_from_meta(test_web) -> None:
    snap = check(test_web.url("/cp1251")).snapshot
    assert (snap.charset, snap.title) == ("windows-1251", "Новости дня")


def test_reset_mid_body(test_web) -> None:
    result = check(test_web.url("/reset"), FetchSettings(allow_private=True, retries=0))
    assert (result.status, result.transport_failure) == ("connection-error", True)


def test_read_timeout(test_web) -> None:
    settings = FetchSettings(allow_private=True, read_timeout=0.2, retries=0)
    started = time.monotonic()
    result = check(test_web.url("/slow?delay=2"), settings)
    assert (result.status, result.alive, result.transport_failure) == ("timeout", False, True)
    assert time.monotonic() - started < 1.5


def test_total_timeout(test_web) -> None:
    settings = FetchSettings(allow_private=True, read_timeout=10, total_timeout=0.3, retries=0)
    result = check(test_web.url("/slow?delay=2"), settings)
    assert result.status == "timeout" and "0.3 s" in result.error


def test_dns_error_fails_fast() -> None:
    started = time.monotonic()
    result = check("http://nonexistent.invalid/")  # RFC 6761: answered without the network
    assert (result.status, result.transport_failure) == ("dns-error", True)
    assert time.monotonic() - started < 2


def test_injected_resolver() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    result = check("https://archived.example/", resolver=resolver)
    assert result.status == "dns-error" and "Temporary failure" in result.error


def test_tls_error_against_plain_http_port(test_web) -> None:
    result = check(test_web.url("/ok").replace("http://", "https://"), FetchSettings(allow_private=True, retries=0))
    assert (result.status, result.transport_failure) == ("tls-error", True)


def test_connection_refused() -> None:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = check(f"http://127.0.0.1:{port}/", FetchSettings(allow_private=True, retries=1, backoff_base=0.01))
    assert (result.status, result.transport_failure) == ("connection-error", True)


def _connector_error(cause: OSError):
    import aiohttp
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("example.org", 443, True, True, None, None, None)
    return aiohttp.ClientConnectorError(key, cause)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (lambda: _connector_error(socket.gaierror(-2, "Name or service not known")), "dns-error"),
        (lambda: _connector_error(OSError(8, "nodename nor servname provided, or not known")), "dns-error"),
        (lambda: __import__("aiohttp").ConnectionTimeoutError(""), "timeout"),
        (lambda: __import__("aiohttp").ServerDisconnectedError(), "connection-error"),
        (lambda: __import__("aiohttp").ClientPayloadError("Response payload is not completed: SSL TLS DNS words"),
         "connection-error"),
        (lambda: _connector_error(ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")),
         "tls-error"),
        (lambda: _connector_error(ConnectionRefusedError(111, "Connect call failed")), "connection-error"),
    ],
)
def test_map_exception(exc, status) -> None:
    assert _map_exception(exc())[0] == status


def test_map_exception_follows_causes() -> None:
    try:
        try:
            raise socket.gaierror(-2, "whatever")
        except socket.gaierror as e:
            raise OSError("connect failed") from e
    except OSError as exc:
        assert _map_exception(exc)[:3:2] == ("dns-error", True)
    try:
        try:
            raise ssl.SSLCertVerificationError("bad cert")
        except ssl.SSLError as e:
            raise OSError("handshake") from e
    except OSError as exc:
        assert _map_exception(exc)[0] == "tls-error"


@pytest.mark.parametrize("url", ["ftp://example.org/file", "mailto:someone@example.org", "http://",
                                 "not a url", "http://exa mple.org/"])
def test_skipped(url: str) -> None:
    result = check(url)
    assert (result.status, result.alive, result.transport_failure) == ("skipped", None, False)


def test_private_address_refused_by_default(test_web) -> None:
    before = test_web.hits("/ok")
    result = check(test_web.url("/ok"), FetchSettings())
    assert result.status == "skipped"
    assert result.error == "refused private address 127.0.0.1 (use --allow-private)"
    assert test_web.hits("/ok") == before


@pytest.mark.parametrize(
    ("address", "private"),
    [("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.1", True), ("169.254.169.254", True),
     ("100.64.0.1", True), ("224.0.0.1", True), ("0.0.0.0", True), ("::1", True), ("fe80::1", True),
     ("::ffff:127.0.0.1", True), ("fd00::1", True), ("93.184.216.34", False),
     ("2606:2800:220:1:248:1893:25c8:1946", False)],
)
def test_is_private(address: str, private: bool) -> None:
    assert _is_private(address) is private


def test_private_guard_checks_resolved_names_and_redirects() -> None:
    """A public name's redirect to a private one is refused at the redirect. The public hop goes through
    a forward proxy on loopback (allowed: the user configured it), which answers for the name."""
    from archiver.network import Network

    async def resolver(host: str, port: int) -> list[str]:
        return {"public.example": ["93.184.216.34"], "intranet.example": ["10.0.0.5"]}[host]

    with Zoo() as zoo, ForwardProxy() as proxy:
        zoo.add("/page", b"HTTP/1.1 302 Found\r\nLocation: http://intranet.example/admin\r\nContent-Length: 0\r\n\r\n")
        settings = FetchSettings(network=Network(proxy=proxy.url))
        result = check("http://intranet.example/", settings, resolver=resolver)
        assert result.error == "refused private address 10.0.0.5 (use --allow-private)"
        result = check(f"http://public.example:{zoo.port}/page", settings, resolver=resolver)
        assert result.status == "skipped" and "10.0.0.5" in result.error
        assert result.redirects[0]["location"] == "http://intranet.example/admin"
        assert proxy.log == [("GET", f"http://public.example:{zoo.port}/page")]  # never the private one


def test_per_host_concurrency_bounded(test_web) -> None:
    test_web.reset_stats()
    urls = [test_web.url(f"/page/c{i}?delay=0.1", "other") for i in range(10)]
    settings = FetchSettings(allow_private=True, concurrency=8, per_host=2, per_host_max=2, probe_soft404=False)
    results = collect(urls, settings)
    assert len(results) == 10 and {r.status for r in results} == {"ok"}
    assert test_web.peak_in_flight("other") == 2


def test_per_host_concurrency_grows_to_the_cap_on_quick_answers(test_web) -> None:
    test_web.reset_stats()
    urls = [test_web.url(f"/page/grow{i}?delay=0.1", "other") for i in range(40)]
    settings = FetchSettings(allow_private=True, concurrency=10, per_host=2, per_host_max=5, probe_soft404=False)
    results = collect(urls, settings)
    assert {r.status for r in results} == {"ok"}
    assert test_web.peak_in_flight("other") == 5  # started at 2, grew, never past the cap


def test_per_host_concurrency_backs_off_on_503_429_and_timeouts() -> None:
    """On a web of its own: the abandoned slow request must not count in other tests' peaks."""
    from archiver.check.fetch import _Run
    from tests.web import TestWeb

    settings = FetchSettings(allow_private=True, per_host=2, per_host_max=8, probe_soft404=False, retries=1,
                             backoff_base=0.01, read_timeout=0.3)
    async def go(web):
        key = web.url("/", "other").rstrip("/")
        limits = []
        async with make_client(settings) as client:
            run = _Run(client, settings)

            async def batch(paths):
                await asyncio.gather(*(run.check(web.url(p, "other")) for p in paths))
                limits.append(run.hosts.limit_of(key))

            await batch([f"/page/aimd{i}?delay=0.05" for i in range(30)])
            await batch([f"/flaky/aimd{i}?fails=1" for i in range(6)])  # 503, then 200 on the retry
            await batch([f"/page/aimd-more{i}?delay=0.05" for i in range(6)])
            await batch(["/ratelimit/aimd?after=0.2"])
            await batch(["/slow?delay=2"])  # read timeout
            await run.close()
        return limits

    with TestWeb() as web:
        grown, after_503, regrown, after_429, after_timeout = asyncio.run(go(web))
    assert grown == 8
    assert after_503 <= 4 + 6 / 4  # halved once for the 503s that came together; +1/limit per retry's 200
    assert after_503 < regrown <= after_503 + 6 / after_503  # after a back-off: +1 per window, not per answer
    assert after_429 <= regrown / 2 + 1 / (regrown / 2)
    assert after_timeout <= max(1.0, after_429 / 2)


def test_a_per_host_limit_at_or_above_the_cap_is_fixed() -> None:
    from archiver.check.hosts import HostGate

    async def go():
        gate = HostGate(per_host=16, per_host_max=8, fast=1.0, interval=0.0)
        async with gate.slot("http://a") as host:
            gate.answered(host, 429, True, started=0.0)
            gate.timed_out(host, started=0.0)
        adaptive = HostGate(per_host=2, per_host_max=8, fast=1.0, interval=0.0)
        async with adaptive.slot("http://a") as host:
            adaptive.answered(host, 200, False, started=adaptive._monotonic())
        return gate.limit_of("http://a"), adaptive.limit_of("http://a")

    assert asyncio.run(go()) == (16, 3)


def test_global_concurrency_bounded(test_web) -> None:
    test_web.reset_stats()
    urls = [test_web.url(f"/page/g{i}?delay=0.1", "other") for i in range(9)]
    settings = FetchSettings(allow_private=True, concurrency=3, per_host=10, probe_soft404=False)
    collect(urls, settings)
    assert test_web.peak_in_flight("other") == 3


def test_per_host_interval(test_web) -> None:
    urls = [test_web.url(f"/page/i{i}", "other") for i in range(4)]
    settings = FetchSettings(allow_private=True, per_host=4, per_host_interval=0.1, probe_soft404=False)
    started = time.monotonic()
    collect(urls, settings)
    assert time.monotonic() - started >= 0.3


def test_probe_fetched_once_per_host(test_web) -> None:
    before = test_web.hits_matching("/archiver-probe-", "catchall")
    urls = [test_web.url(f"/gone-product-{i}", "catchall") for i in range(6)]
    results = collect(urls, FetchSettings(allow_private=True, concurrency=6, per_host=6))
    assert {r.status for r in results} == {"soft-404"}
    assert test_web.hits_matching("/archiver-probe-", "catchall") - before == 1


def test_check_urls_pulls_lazily(test_web) -> None:
    pulled = []

    def urls():
        for i in range(1000):
            pulled.append(i)
            yield test_web.url(f"/page/lazy{i}")

    async def go():
        settings = FetchSettings(allow_private=True, concurrency=2, per_host=2, probe_soft404=False)
        async with make_client(settings) as client:
            gen = check_urls(client, urls(), settings)
            first = await anext(gen)
            await gen.aclose()  # the consumer stops early: workers are cancelled cleanly
            return first

    first = asyncio.run(go())
    assert first.status == "ok"
    assert len(pulled) <= 10  # 2 workers + 2 queued + 1 being put, not 1000


def test_check_urls_async_iterable_and_all_results(test_web) -> None:
    async def urls():
        for i in range(20):
            yield test_web.url(f"/page/a{i}")
        yield "ftp://example.org/"

    results = collect(urls(), FetchSettings(allow_private=True, concurrency=4, per_host=4))
    assert len(results) == 21
    assert sorted(r.status for r in results).count("ok") == 20
    assert len({r.url for r in results}) == 21


def test_check_urls_input_error_raised() -> None:
    def urls():
        yield "ftp://example.org/"
        raise RuntimeError("input broke")

    with pytest.raises(RuntimeError, match="input broke"):
        collect(urls())


def test_make_client() -> None:
    async def go():
        client = make_client(FetchSettings(connect_timeout=3, read_timeout=7))
        async with client:
            assert client.headers["user-agent"] == USER_AGENT
            assert (client.timeout.connect, client.timeout.read) == (3, 7)

    asyncio.run(go())


def test_the_checkers_client_sends_what_browsers_and_httpx_send(test_web) -> None:
    """The encodings decode.py undoes, */*, our User-Agent; no cookie from another URL."""
    path = unique("/page")
    check(test_web.url(path))
    seen = test_web.headers_of(path)
    assert (seen["user-agent"], seen["accept"], seen["accept-encoding"]) == (USER_AGENT, "*/*", "gzip, deflate, br")
    assert "cookie" not in seen


@pytest.mark.parametrize(("host", "wire"), [
    ("straße.de", "xn--strae-oqa.de"), ("faß.de", "xn--fa-hia.de"), ("xn--strae-oqa.de", "xn--strae-oqa.de"),
    ("foo_bar.tumblr.com", "foo_bar.tumblr.com"), ("\u0645\u06cc\u200c\u0631\u0627\u062b.ir", "xn--mgbiq3f96a652j.ir"),
])
def test_idn_and_underscore_hosts_are_checked(test_web, host, wire) -> None:
    """The one host rule (urls/hosts.py) end to end: lint keeps the host, the checker asks for the name
    in its IDNA 2008 / UTS 46 form (resolved here to the loopback test web)."""
    from archiver.lint.repair import repair_url

    port = test_web.ports["main"]
    asked: list[str] = []

    async def resolver(name: str, _port: int) -> list[str]:
        asked.append(name)
        return ["127.0.0.1"]

    path = unique("/page")
    url = repair_url(f"http://{host}:{port}{path}").url
    assert url == f"http://{host}:{port}{path}"
    result = check(url, resolver=resolver)
    assert (result.status, result.http_status) == ("ok", 200), result.error
    assert asked == [wire]
    assert test_web.headers_of(path)["host"] == f"{wire}:{port}"
