"""The checker's HTTP (check/http/) against the server zoo on loopback (tests/zoo.py): what real servers
send, legacy framings included, hostile answers, stacked encodings, the guard's addresses, TLS with a
private CA, IPv6, and proxies from the environment and the settings."""

from __future__ import annotations

import asyncio
import gzip
import os
import socket
import tracemalloc

import pytest

from archiver.check.failures import failure_kind
from archiver.check.fetch import FetchSettings, check_one, make_client
from archiver.models import CheckResult
from archiver.network import Network, shown
from tests.zoo import ForwardProxy, Zoo
from tests.zoo import private_ca as make_ca

S = FetchSettings(allow_private=True, probe_soft404=False, retries=0, read_timeout=5, total_timeout=15,
                  max_body=1_000_000)
PAGE = b"<html><head><title>A page</title></head><body>" + b"words of the page " * 40 + b"</body></html>"


def ok(body: bytes = PAGE, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def check(url: str, settings: FetchSettings = S, **kw) -> CheckResult:
    async def go():
        async with make_client(settings) as client:
            return await check_one(client, url, settings, **kw)

    return asyncio.run(go())


def check_all(urls: list[str], settings: FetchSettings = S, **kw) -> list[CheckResult]:
    """In one run, one after the other (a connection kept alive serves the next)."""
    async def go():
        async with make_client(settings) as client:
            return [await check_one(client, url, settings, **kw) for url in urls]

    return asyncio.run(go())


# -- framings a browser reads ---------------------------------------------------------------------

LEGACY = {
    "bare-lf": b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: %d\n\n" % len(PAGE) + PAGE,
    "obs-fold": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Folded: one\r\n  two\r\nContent-Length: %d\r\n\r\n"
                 % len(PAGE) + PAGE),
    "no-reason": b"HTTP/1.1 200\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(PAGE) + PAGE,
    "http10-close": b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE,  # the body ends with the connection
    "early-hints": b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + ok(),
    "chunked": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (PAGE[:100], PAGE[100:])) + b"0\r\n\r\n"),
    "http10-no-reason-bare-lf": b"HTTP/1.0 200\nContent-Type: text/html\n\n" + PAGE,
    # Content-Length beside chunked (read again through httpcore, check/http/legacy.py) with bare LF, obs-fold
    "cl-te-bare-lf": (b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 5\nTransfer-Encoding: chunked\n\n"
                      + b"%x\r\n%s\r\n0\r\n\r\n" % (len(PAGE), PAGE)),
    "cl-te-obs-fold": (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-F: a\r\n b\r\nContent-Length: 5\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(PAGE), PAGE)),
}


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_legacy_framings_read_as_browsers_read_them(name: str) -> None:
    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/" + name, LEGACY[name])))
    assert (result.status, result.http_status) == ("ok", 200), result.error
    assert result.snapshot.body == PAGE


def cl_te(body: bytes = PAGE, length: int = 5, extra: bytes = b"") -> bytes:
    """Content-Length beside chunked framing (the length wrong, as such servers send it)."""
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4096]), body[i:i + 4096]) for i in range(0, len(body), 4096))
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n%sTransfer-Encoding: chunked\r\n"
            b"\r\n%s0\r\n\r\n" % (length, extra, chunks))


def test_content_length_beside_chunked_is_read_chunked_first_as_browsers_do() -> None:
    """RFC 9112 6.3: chunked wins. aiohttp refuses the message; that request is asked again through
    httpcore (check/http/legacy.py) on a connection of its own, to the address the guard approved."""
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # a name only this resolver knows: the retry connects where the guard said

    with Zoo() as zoo:
        zoo.add("/cl-te", cl_te())
        result = check(zoo.url("/cl-te", host="legacy.example"), resolver=resolver)
        asked = [h for h in zoo.heads if h.startswith(b"GET /cl-te ")]
        after = check_all([zoo.url("/cl-te"), zoo.url(zoo.add("/next", ok()))])
    assert (result.status, result.http_status) == ("ok", 200), result.error
    assert result.snapshot.body == PAGE
    assert len(asked) == 2 and b"host: legacy.example:%d" % zoo.port in asked[1].lower()
    assert [r.status for r in after] == ["ok", "ok"]


def test_content_length_beside_chunked_keeps_the_caps_and_the_proxy(monkeypatch) -> None:
    """The second asking goes through the same proxy with the same credentials, and its body is read
    under the same cap and decoders (a gzip body far over the cap: truncated at it)."""
    big = gzip.compress(b"x" * (8 * S.max_body))
    with Zoo() as zoo, ForwardProxy() as proxy:
        zoo.add("/big", cl_te(big, extra=b"Content-Encoding: gzip\r\n"))
        settings = _settings(proxy=proxy.url.replace("http://", "http://editor:pw@"))
        result = check(zoo.url("/big"), settings)
        log, auth = list(proxy.log), list(proxy.auth)
    assert (result.status, result.snapshot.truncated, result.snapshot.size) == ("ok", True, S.max_body), result.error
    assert log == [("GET", zoo.url("/big"))] * 2 and auth == ["Basic ZWRpdG9yOnB3"] * 2


def test_content_length_beside_broken_chunks_is_still_a_connection_error() -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n"
    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/broken", raw)))
    assert (result.status, result.transport_failure) == ("connection-error", True), result.error


@pytest.mark.parametrize(("name", "raw", "alive"), [
    ("cut-short", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten b", False),
    ("huge-head", b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\nContent-Length: 0\r\n\r\n", None),
    ("many-headers", b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(300)) + b"Content-Length: 0\r\n\r\n",
     None),
    ("split", b"HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n", None),  # a bare CR
    ("nul", b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n", None),
    ("not-http", b"SSH-2.0-OpenSSH_9.6\r\n\r\n", False),
])
def test_hostile_answers_are_connection_errors_and_refusals_never_dead(name: str, raw: bytes, alive) -> None:
    """Refused for safety after a valid status line: cannot tell (alive None), so never dead. Not HTTP at
    all, or a body cut short: a failed check like any other."""
    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/" + name, raw)))
    assert (result.status, result.transport_failure, result.alive) == ("connection-error", True, alive), result.error


def test_keep_alive_serves_a_run_on_one_connection() -> None:
    with Zoo() as zoo:
        urls = [zoo.url(zoo.add(f"/{i}", ok())) for i in range(3)]
        results = check_all(urls)
        assert [r.status for r in results] == ["ok"] * 3
        assert zoo.connections == 1
        assert zoo.heads[1].startswith(b"GET /1 HTTP/1.1\r\n")


def test_junk_after_a_response_never_reaches_another_urls_check() -> None:
    evil = b"<html><title>EVIL</title><body>" + b"injected " * 40 + b"</body></html>"
    junk = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(evil), evil)
    with Zoo() as zoo:
        first = zoo.url(zoo.add("/first", ok() + junk))
        second = zoo.url(zoo.add("/second", ok()))
        results = check_all([first, second])
        assert [r.snapshot.body for r in results] == [PAGE, PAGE]
        assert zoo.connections == 2  # the connection that had bytes after its response was closed


# -- encodings ----------------------------------------------------------------------------------

def test_stacked_encodings_are_all_undone() -> None:
    twice = gzip.compress(gzip.compress(PAGE))
    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/twice", ok(twice, b"Content-Encoding: gzip, gzip\r\n"))))
    assert result.status == "ok" and result.snapshot.body == PAGE


def test_an_unknown_encoding_is_read_as_bytes() -> None:
    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/odd", ok(PAGE, b"Content-Encoding: x-unheard-of\r\n"))))
    assert result.status == "ok" and result.snapshot.body == PAGE


def test_a_stacked_gzip_bomb_stays_under_the_body_cap_in_memory() -> None:
    """`gzip, gzip` of 1 GiB of zeros is a few KB on the wire: every layer is undone a step at a time,
    so the page costs its cap (1 MB here) and a few steps, not the bomb's size."""
    inner = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)
    bomb = gzip.compress(inner, compresslevel=9)
    assert len(bomb) < 300_000
    with Zoo() as zoo:
        url = zoo.url(zoo.add("/bomb", ok(bomb, b"Content-Encoding: gzip, gzip\r\n")))
        tracemalloc.start()
        try:
            result = check(url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert result.status == "ok" and result.snapshot.truncated and result.snapshot.size == S.max_body
    assert peak < 12 * S.max_body  # the cap, its join, a few 256 KiB steps; the bomb is 256 MiB


# -- where sockets go -----------------------------------------------------------------------------

def test_the_socket_goes_to_the_address_the_guard_checked() -> None:
    """The name resolves once, in the guard; the session never asks again, so a second, different
    answer (DNS rebinding) cannot redirect the connection. Host still names the URL's host."""
    answers = [["127.0.0.1"], ["10.0.0.1"]]

    async def resolver(host: str, port: int) -> list[str]:
        return answers.pop(0)

    with Zoo() as zoo:
        zoo.add("/", ok())
        result = check(zoo.url("/", host="rebinding.invalid"), resolver=resolver)
        assert result.status == "ok", result.error
        assert answers == [["10.0.0.1"]]  # asked once
        assert b"\r\nHost: rebinding.invalid:" in zoo.heads[0]


def test_a_host_with_ipv6_and_ipv4_is_reached_on_the_one_that_answers() -> None:
    """Happy eyeballs over the approved addresses: ::1 has no server here, 127.0.0.1 has."""
    async def resolver(host: str, port: int) -> list[str]:
        return ["::1", "127.0.0.1"]

    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/dual", ok()), host="dual.example"), resolver=resolver)
    assert result.status == "ok", result.error


def test_the_guard_applies_to_every_address_of_a_host() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34", "fd00::1"]

    result = check("http://dual.example/", FetchSettings(retries=0), resolver=resolver)
    assert result.status == "skipped" and "fd00::1" in result.error


def test_an_ipv6_literal_is_checked() -> None:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no IPv6 loopback on this machine")

    async def go():
        async def answer(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(ok())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "::1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server, make_client(S) as client:
            return await check_one(client, f"http://[::1]:{port}/", S)

    result = asyncio.run(go())
    assert result.status == "ok", result.error


# -- TLS --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def private_ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


def test_a_private_ca_is_trusted_through_ssl_cert_file(private_ca, monkeypatch) -> None:
    pem, server_ctx = private_ca

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with Zoo(server_ctx) as zoo:
        url = zoo.url(zoo.add("/tls", ok()), host="pinned.example")
        untrusted = check(url, resolver=resolver)
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))
        trusted = check(url, resolver=resolver)
        by_option = check(url, FetchSettings(**{**S.__dict__, "network": Network(ca_bundle=str(pem))}), resolver=resolver)
        wrong_name = check(zoo.url("/tls"), resolver=resolver)  # the certificate does not name 127.0.0.1
    monkeypatch.delenv("SSL_CERT_FILE")
    assert (untrusted.status, untrusted.transport_failure) == ("tls-error", True)
    assert (trusted.status, by_option.status) == ("ok", "ok"), (trusted.error, by_option.error)
    assert wrong_name.status == "tls-error"
    # the server's own answer (evidence for the outage guard, check/run.py), not the network's
    assert failure_kind(untrusted.status, untrusted.error) == failure_kind(wrong_name.status, wrong_name.error) \
        == "certificate", (untrusted.error, wrong_name.error)


# -- proxies ----------------------------------------------------------------------------------------

def _settings(**network) -> FetchSettings:
    return FetchSettings(**{**S.__dict__, "network": Network(**network)})


def test_http_proxy_from_the_environment_carries_plain_requests(monkeypatch) -> None:
    with Zoo() as zoo, ForwardProxy() as proxy:
        url = zoo.url(zoo.add("/via", ok()))
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        result = check(url)
        assert result.status == "ok", result.error
        assert proxy.log == [("GET", url)]


def test_https_goes_through_connect_and_all_proxy_counts(private_ca, monkeypatch) -> None:
    pem, server_ctx = private_ca

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]  # a public address: the guard passes it, the proxy reaches the zoo

    with Zoo(server_ctx) as zoo, ForwardProxy() as proxy:
        url = zoo.url(zoo.add("/secure", ok()), host="pinned.example")
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        result = check(url, FetchSettings(**{**S.__dict__, "allow_private": False}), resolver=resolver)
        assert result.status == "ok", result.error
        assert proxy.log == [("CONNECT", f"pinned.example:{zoo.port}")]


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*", "{host}:{port}", ".example.test",
                                      "example.test", "10.0.0.0/8,127.0.0.0/8"])
def test_no_proxy_exceptions_go_direct(monkeypatch, no_proxy) -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with Zoo() as zoo, ForwardProxy() as proxy:
        host = "127.0.0.1" if "example" not in no_proxy else "www.example.test"
        url = zoo.url(zoo.add("/direct", ok()), host=host)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", no_proxy.format(host=host, port=zoo.port))
        result = check(url, resolver=resolver)
        other = check(zoo.url("/direct", host="elsewhere.test"), resolver=resolver)
        assert result.status == "ok" and other.status == "ok", (result.error, other.error)
        if no_proxy == "*":
            assert proxy.log == []
        else:
            assert proxy.log == [("GET", zoo.url("/direct", host="elsewhere.test"))]  # only the one not excepted


def test_the_proxy_option_wins_over_the_environment_and_its_password_is_never_shown(monkeypatch) -> None:
    with Zoo() as zoo, ForwardProxy() as proxy, ForwardProxy() as unused:
        url = zoo.url(zoo.add("/opt", ok()))
        monkeypatch.setenv("HTTP_PROXY", unused.url)
        with_creds = proxy.url.replace("http://", "http://editor:s3cret-pw@")
        settings = _settings(proxy=with_creds)
        result = check(url, settings)
        assert result.status == "ok", result.error
        assert proxy.log == [("GET", url)] and unused.log == []
        assert proxy.auth == ["Basic ZWRpdG9yOnMzY3JldC1wdw=="]  # sent to the proxy ...
    assert "s3cret" not in repr(settings) and "s3cret" not in shown(with_creds)  # ... and nowhere else
    assert "s3cret" not in repr(result)


def test_a_proxy_that_fails_is_a_transport_failure_naming_the_proxy(monkeypatch) -> None:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/p", ok())), _settings(proxy=f"http://127.0.0.1:{port}"))
    assert (result.status, result.transport_failure) == ("connection-error", True)
    assert "proxy" in result.error.lower()


def test_proxy_environment_is_cleared_for_every_test() -> None:
    assert not any(os.environ.get(v) for v in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE",
                                               "http_proxy", "https_proxy", "all_proxy", "no_proxy"))


# -- every stage, from the command line ---------------------------------------------------------------

def test_check_and_archive_go_through_the_proxy_option_and_never_print_its_password(tmp_path, monkeypatch) -> None:
    """`--proxy` on the command line carries the check and the archive stage's lookups; the password in it
    reaches the proxy and nothing else: not the database, stdout or stderr."""
    import sqlite3

    from click.testing import CliRunner

    from archiver.cli.main import main
    from tests.fakewayback import FakeWayback

    monkeypatch.chdir(tmp_path)
    (tmp_path / "archiver.toml").write_text("poll_interval = 0.05\ncdx_per_minute = 6000\n", encoding="utf-8")
    with Zoo() as zoo, ForwardProxy() as proxy, FakeWayback() as wayback:
        page = zoo.url(zoo.add("/cited", ok()))
        (tmp_path / "notes.txt").write_text(f"1. {page}\n", encoding="utf-8")
        option = proxy.url.replace("http://", "http://editor:s3cret-pw@")
        checked = CliRunner().invoke(main, ["check", "notes.txt", "--db", "a.db", "--allow-private", "--proxy", option],
                                     catch_exceptions=False)
        archived = CliRunner().invoke(main, ["archive", "notes.txt", "--db", "a.db", "--wayback-url", wayback.base_url,
                                             "--proxy", option], catch_exceptions=False)
        log, base = list(proxy.log), wayback.base_url
    assert checked.exit_code == 0, checked.stderr
    assert ("GET", page) in log
    assert any(method == "GET" and url.startswith(base) for method, url in log), log  # the lookups
    dump = "\n".join(sqlite3.connect(tmp_path / "a.db").iterdump())
    for text in (dump, checked.stdout, checked.stderr, archived.stdout, archived.stderr):
        assert "s3cret" not in text


def test_a_bad_proxy_or_ca_bundle_is_a_configuration_error(tmp_path) -> None:
    from click.testing import CliRunner

    from archiver.cli.main import main

    (tmp_path / "notes.txt").write_text("1. https://example.org/\n", encoding="utf-8")
    bad_proxy = CliRunner().invoke(main, ["check", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db"),
                                          "--proxy", "socks9://user:pw@"])
    no_file = CliRunner().invoke(main, ["check", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db"),
                                        "--ca-bundle", str(tmp_path / "missing.pem")])
    assert bad_proxy.exit_code == 2 and "not an http:// or https:// proxy" in bad_proxy.stderr
    assert "pw" not in bad_proxy.stderr.replace("proxy", "")
    assert no_file.exit_code == 2 and "missing.pem" in no_file.stderr


def test_a_run_where_most_hosts_fail_tls_says_so_and_names_the_remedy(tmp_path, private_ca) -> None:
    """As behind a TLS-inspecting proxy without its CA: verdicts held back (tls-error, inconclusive), exit 3,
    and the message says TLS failed and how to trust the CA. With --ca-bundle the same run is fine."""
    import contextlib
    import sqlite3

    from click.testing import CliRunner

    from archiver.cli.main import main

    pem, server_ctx = private_ca
    with contextlib.ExitStack() as stack:
        zoos = [stack.enter_context(Zoo(server_ctx)) for _ in range(4)]
        urls = [z.url(z.add("/tls", ok()), host="localhost") for z in zoos]
        (tmp_path / "notes.txt").write_text("".join(f"{i}. {u}\n" for i, u in enumerate(urls, 1)), encoding="utf-8")
        args = ["check", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db"), "--allow-private"]
        failed = CliRunner().invoke(main, args, catch_exceptions=False)
        rows = sqlite3.connect(tmp_path / "a.db").execute("select status, inconclusive from checks").fetchall()
        trusted = CliRunner().invoke(main, [*args, "--ca-bundle", str(pem)], catch_exceptions=False)
    assert failed.exit_code == 3
    assert "TLS failed on 4 of 4 hosts" in failed.stderr and "SSL_CERT_FILE or --ca-bundle" in failed.stderr
    assert rows == [("tls-error", 1)] * 4
    assert trusted.exit_code == 0, trusted.stderr


def test_a_fully_qualified_name_with_its_trailing_dot_is_checked() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with Zoo() as zoo:
        result = check(zoo.url(zoo.add("/fqdn", ok()), host="fqdn.example."), resolver=resolver)
    assert result.status == "ok", result.error


def test_a_socks_proxy_in_the_environment_is_a_configuration_error_not_an_outage(tmp_path, monkeypatch) -> None:
    from click.testing import CliRunner

    from archiver.cli.main import main

    (tmp_path / "notes.txt").write_text("1. https://example.org/\n", encoding="utf-8")
    monkeypatch.setenv("ALL_PROXY", "socks5://user:pw-secret@127.0.0.1:1080")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "SOCKS proxies are not supported" in result.stderr
    assert "pw-secret" not in result.stderr


def test_shown_never_shows_a_password_even_of_an_unparsable_proxy() -> None:
    for url in ("http://editor:pw-secret@proxy:3128", "http://editor:pw-secret@[::1", "socks5://u:pw-secret@h"):
        assert "pw-secret" not in shown(url) and "pw-secret" not in repr(Network(proxy=url))
        assert "pw-secret" not in (Network(proxy=url).problem() or "")
