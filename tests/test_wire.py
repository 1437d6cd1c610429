"""check/wire.py against real servers on 127.0.0.1 (port 0): keep-alive, stale connections, limits,
body framings, flow control, and the socket going to the address the guard checked."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

import httpx
import pytest

from archiver.check import wire
from archiver.check.fetch import Client, FetchSettings, check_one
from archiver.check.transport import WireTransport

T = httpx.Timeout(5.0)
Answer = Callable[[bytes, int, int], Awaitable[bytes | None]]  # (request head, connection no, request no) -> bytes


def ok(body: bytes = b"hello", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


class Server:
    """Reads request heads and writes what `answer` returns (None: close the connection; so does an
    answer with Connection: close, once written)."""

    def __init__(self, answer: Answer, ssl_context: ssl.SSLContext | None = None):
        self.answer, self.ssl = answer, ssl_context
        self.connections = 0
        self.heads: list[bytes] = []

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.ssl)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{'https' if self.ssl else 'http'}://{host}:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        try:
            for n in range(1000):
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                data = await self.answer(head, number, n)
                if data is None:
                    break
                writer.write(data)
                await writer.drain()
                if b"\r\nConnection: close\r\n" in data.split(b"\r\n\r\n")[0] + b"\r\n":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def run(coro):
    return asyncio.run(coro)


async def body_of(transport: WireTransport, url: str, timeout: httpx.Timeout = T, **kw) -> tuple[int, bytes]:
    resp = await transport.get(url, {"user-agent": "t"}, timeout, **kw)
    try:
        return resp.status_code, b"".join([c async for c in resp.aiter_raw()])
    finally:
        await resp.aclose()


def failure_count(answer, error: type[Exception], message: str) -> int:
    """Fetch "/" from a server answering with `answer`: `error` (matching `message`) must be raised.
    The number of connections the server saw."""
    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            try:
                with pytest.raises(error, match=message):
                    await body_of(t, server.url())
            finally:
                await t.aclose()
            return server.connections

    return run(go())


def test_keep_alive_reuses_one_connection() -> None:
    async def answer(head, conn, n):
        return ok(b"page %d" % n)

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            got = [await body_of(t, server.url(f"/{i}")) for i in range(3)]
            await t.aclose()
            return got, server.connections, server.heads

    got, connections, heads = run(go())
    assert got == [(200, b"page 0"), (200, b"page 1"), (200, b"page 2")]
    assert connections == 1
    assert heads[1].startswith(b"GET /1 HTTP/1.1\r\nHost: 127.0.0.1:")


def test_a_connection_closed_while_idle_is_retried_once_on_a_new_one() -> None:
    async def answer(head, conn, n):
        return None if n == 1 else ok(b"conn %d" % conn)  # the 2nd request on a connection: closed unanswered

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            first = await body_of(t, server.url())
            second = await body_of(t, server.url())
            await t.aclose()
            return first, second, server.connections

    assert run(go()) == ((200, b"conn 1"), (200, b"conn 2"), 2)


def test_a_new_connection_closed_unanswered_is_an_error_not_retried() -> None:
    async def answer(head, conn, n):
        return None

    assert failure_count(answer, httpx.RemoteProtocolError, "without a complete answer") == 1


def test_a_reused_connection_that_answered_part_is_not_retried() -> None:
    async def answer(head, conn, n):
        return ok() if n == 0 else b"HTTP/1.1 200 OK\r\nContent-Le"

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            await body_of(t, server.url())
            task = asyncio.ensure_future(body_of(t, server.url(), httpx.Timeout(5.0, read=0.5)))
            with pytest.raises(httpx.ReadTimeout):
                await task
            await t.aclose()
            return server.connections

    assert run(go()) == 1


@pytest.mark.parametrize(("head", "message"), [
    (b"X-Big: " + b"a" * 70_000 + b"\r\n", "response head over 65536 bytes"),
    (b"".join(b"X-%d: 1\r\n" % i for i in range(300)), "more than 256 header lines"),
])
def test_hostile_heads_stop_at_the_limit(head: bytes, message: str) -> None:
    async def answer(h, conn, n):
        return b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: 0\r\n\r\n"

    assert failure_count(answer, httpx.RemoteProtocolError, message) == 1  # a fresh connection's error: not retried


def test_chunked_close_delimited_and_1xx_bodies() -> None:
    async def answer(head, conn, n):
        path = head.split(b" ")[1]
        if path == b"/chunked":
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        if path == b"/early":
            return b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + ok(b"after hints")
        return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"  # then the server closes

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            got = [await body_of(t, server.url(p)) for p in ("/chunked", "/early", "/chunked", "/close", "/chunked")]
            await t.aclose()
            return got, server.connections

    got, connections = run(go())
    assert [b for _, b in got] == [b"hello world", b"after hints", b"hello world", b"until the end", b"hello world"]
    assert connections == 2  # kept alive until the close-delimited body


def test_a_body_cut_short_is_an_error() -> None:
    async def answer(head, conn, n):
        return b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nonly ten b"

    assert failure_count(answer, httpx.RemoteProtocolError, "before the body was complete") == 1


def test_reading_pauses_while_the_body_is_not_consumed() -> None:
    size = 8 * 1024 * 1024

    async def answer(head, conn, n):
        return ok(b"x" * size)

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            resp = await t.get(server.url(), {}, T)
            conn = resp._conn
            for _ in range(100):  # let the server write as much as the socket takes
                await asyncio.sleep(0.01)
            buffered, paused = conn.buffered, conn.paused
            total = sum([len(c) async for c in resp.aiter_raw()])
            await resp.aclose()
            await t.aclose()
            return buffered, paused, total, conn.paused

    buffered, paused, total, paused_after = run(go())
    assert paused and buffered <= wire.HIGH_WATER + 512 * 1024
    assert total == size and not paused_after


def test_no_bytes_for_the_read_timeout_is_a_read_timeout() -> None:
    async def answer(head, conn, n):
        await asyncio.sleep(3)
        return ok()

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=4)
            try:
                with pytest.raises(httpx.ReadTimeout):
                    await body_of(t, server.url(), httpx.Timeout(5.0, read=0.2))
            finally:
                await t.aclose()

    run(go())


def test_the_pool_limit_makes_a_request_wait_then_time_out() -> None:
    async def answer(head, conn, n):
        return ok()

    async def go():
        async with Server(answer) as server:
            t = WireTransport(limit=1)
            held = await t.get(server.url("/a"), {}, T)  # its body not read: the one connection is busy
            with pytest.raises(httpx.PoolTimeout):
                await t.get(server.url("/b", host="localhost"), {}, httpx.Timeout(5.0, pool=0.2), ["127.0.0.1"])
            await held.aclose()  # not read to the end: closed, which frees room
            got = await body_of(t, server.url("/b", host="localhost"), addresses=["127.0.0.1"])
            await t.aclose()
            return got, t._pool._ssl

    got, context = run(go())
    assert got == (200, b"hello")
    assert context is None  # no https URL, no TLS context built


def test_httpx_requests_go_through_handle_async_request() -> None:
    async def answer(head, conn, n):
        if head.startswith(b"HEAD"):
            return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
        return ok(head.split(b"\r\n")[0])

    async def go():
        async with Server(answer) as server, httpx.AsyncClient(transport=WireTransport(limit=4)) as client:
            got = await client.get(server.url("/q?a=1"))
            head = await client.head(server.url("/h"))
            again = await client.get(server.url("/again"))
            return got, head, again, server.connections

    got, head, again, connections = run(go())
    assert (got.status_code, got.text, got.reason_phrase) == (200, "GET /q?a=1 HTTP/1.1", "OK")
    assert (head.status_code, head.content) == (200, b"")
    assert again.text == "GET /again HTTP/1.1"
    assert connections == 2  # a HEAD's connection is not reused (its framing may lie)


def test_the_socket_goes_to_the_address_the_guard_checked() -> None:
    """The name resolves once, in the guard; the wire never asks again, so a second, different answer
    (DNS rebinding) cannot redirect the connection. Host still names the URL's host."""
    answers = [["127.0.0.1"], ["10.0.0.1"]]

    async def resolver(host: str, port: int) -> list[str]:
        return answers.pop(0)

    async def answer(head, conn, n):
        return ok(b"<html><title>pinned</title><body>" + b"words " * 50 + b"</body></html>",
                  b"Content-Type: text/html\r\n")

    async def go():
        s = FetchSettings(allow_private=True, probe_soft404=False)
        async with Server(answer) as server, Client(WireTransport(limit=4), timeout=T) as client:
            result = await check_one(client, server.url("/", host="rebinding.invalid"), s, resolver=resolver)
            return result, server.heads

    result, heads = run(go())
    assert result.status == "ok", result.error
    assert answers == [["10.0.0.1"]]  # asked once
    assert b"\r\nHost: rebinding.invalid:" in heads[0]


def test_tls_names_the_host_while_the_socket_goes_to_the_checked_address() -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pinned.example").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def answer(head, conn, n):
        return ok(b"secret")

    async def go():
        async with Server(answer, server_ctx) as server:
            t = WireTransport(limit=4, ssl_context=client_ctx)
            got = await body_of(t, server.url("/", host="pinned.example"), addresses=["127.0.0.1"])
            with pytest.raises(httpx.ConnectError) as info:  # the certificate does not name 127.0.0.1
                await body_of(t, server.url("/"), addresses=["127.0.0.1"])
            await t.aclose()
            return got, info.value

    got, error = run(go())
    assert got == (200, b"secret")
    assert isinstance(error.__cause__, ssl.SSLCertVerificationError)


@pytest.mark.parametrize("url", ["http://a.com/", "http://a.com", "http://a.com?x=1", "https://u:p@A.com:8443/p/q?x#f",
                                 "http://[::1]:8080/x", "http://[::1]/x?y", "http://127.0.0.1:5/ok/1", "http://a.com/#frag",
                                 "http://x.org/a?b?c/d", "https://xn--bcher-kva.example/%C3%A9?q=%20", "http://a.com/;p=1"])
def test_split_reads_a_url_as_httpx_does(url: str) -> None:
    from archiver.check.transport import _split

    u = httpx.URL(url)
    origin, target, host_header = _split(str(u))
    assert origin == (u.scheme, u.raw_host.decode("ascii"), u.port or {"http": 80, "https": 443}[u.scheme])
    assert target == u.raw_path.decode("ascii")
    assert host_header == u.netloc.decode("ascii")


@pytest.mark.parametrize(("url", "error"), [("ftp://a.com/", httpx.UnsupportedProtocol),
                                            ("http://a.com/a b", httpx.InvalidURL),
                                            ("http://a.com/a\r\nX-Injected: 1", httpx.InvalidURL)])
def test_split_refuses_what_it_cannot_request(url: str, error: type[Exception]) -> None:
    from archiver.check.transport import _split

    with pytest.raises(error):
        _split(url)
