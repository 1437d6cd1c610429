"""A minimal HTTP/1.1 client on asyncio and httptools (llhttp's C parser): what the checker needs.

Why not a general client: measured in benchmarks/check_cpu.py, aiohttp's GET loop cost 0.32-0.44 ms
of CPU per URL and its import 0.24 s per run; this wire does the same GETs for less than half of
that. It does only what a link checker needs: one request at a time per connection, keep-alive
pools per (scheme, host, port) under a global limit, TLS through one lazily built context, and the
socket connected to the addresses the caller already resolved and checked (the private-address
guard in fetch.py), while Host, SNI and certificate checks use the name.

Against hostile servers: the head of a response (status line and headers) is capped in bytes and in
header count, every wait for bytes has the read timeout, bodies are delimited by Content-Length,
chunks or the connection's end (a body cut short is an error), 1xx responses are skipped, and a
body not consumed stops the socket being read (`pause_reading`) once HIGH_WATER bytes wait, so
the byte budget in check/budget.py holds. Errors are httpx's, the original kept as the cause.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time

import httptools

from .lazyhttpx import httpx

__all__ = ["Connection", "Origin", "Pool", "exchange"]

MAX_HEAD_BYTES = 64 * 1024  # status line and headers together
MAX_HEADERS = 256
MAX_REASON = 8 * 1024
HIGH_WATER = 256 * 1024  # body bytes buffered and not consumed: stop reading the socket ...
LOW_WATER = 64 * 1024  # ... until they fall below this
KEEPALIVE_EXPIRY = 15.0  # seconds an idle connection is kept

Origin = tuple[str, str, int]  # (scheme, host, port): a pool's key


class _HeadTooLarge(Exception):
    pass


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one request at a time, the response parsed by llhttp as it arrives."""

    def __init__(self, pool: Pool, origin: Origin):
        self.pool, self.origin = pool, origin
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser: httptools.HttpResponseParser | None = None
        self.waiter: asyncio.Future | None = None
        self.closed = self.discarded = False
        self.idle_since = 0.0

    # ------------------------------------------------------------ requests ---
    def send(self, head: bytes, body: bytes | None, *, head_only: bool, read_timeout: float | None) -> None:
        """Write a request and get ready for its response."""
        self.parser = httptools.HttpResponseParser(self)
        self.status, self.reason = 0, b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = self.head_bytes = self.header_bytes = 0  # head_bytes: received before the head ended
        self.headers_done = self.complete = self.keep_alive = self.framed = self.paused = False
        self.received, self.head_only, self.read_timeout = False, head_only, read_timeout
        self.error: Exception | None = None
        if self.closed or self.transport is None:
            self._fail(httpx.RemoteProtocolError("the connection closed before the request was sent"))
            return
        self.transport.write(head + body if body else head)

    async def head(self) -> None:
        """Wait for the status line and headers (1xx responses skipped)."""
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            await self._wait()

    async def read(self) -> bytes:
        """The next piece of the body, b"" at its end."""
        while not self.chunks:
            if self.complete:
                return b""
            if self.error is not None:
                raise self.error
            await self._wait()
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < LOW_WATER and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()
        return chunk

    @property
    def reusable(self) -> bool:
        """The response was read to its end and the connection may carry another request."""
        return self.complete and self.keep_alive and not self.chunks and not self.closed and self.error is None

    async def _wait(self) -> None:
        waiter = self.waiter = self.loop.create_future()
        timer = None if self.read_timeout is None else self.loop.call_later(self.read_timeout, _expire, waiter,
                                                                              self.read_timeout)
        try:
            await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: Exception, cause: BaseException | None = None) -> None:
        if self.error is None:
            error.__cause__ = cause
            self.error = error
        self.keep_alive = False
        self.close()
        self._wake()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    # ------------------------------------------------------------ asyncio ---
    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.lost(self)
        if self.parser is None or self.complete or self.error is not None:
            return
        if self.headers_done and not self.framed and not self.head_only:
            self.complete = True  # a body delimited by the connection's end: this is its end
            self.keep_alive = False
            self._wake()
        elif self.headers_done:
            self._fail(httpx.RemoteProtocolError("the server closed the connection before the body was complete"), exc)
        else:
            self._fail(httpx.RemoteProtocolError("the server closed the connection without a complete answer"), exc)

    def data_received(self, data: bytes) -> None:
        if self.parser is None or self.complete:  # bytes nobody asked for: this connection is done
            self.keep_alive = False
            self.close()
            return
        self.received = True
        if not self.headers_done:
            self.head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as e:
            self._fail(httpx.RemoteProtocolError("the server switched protocols (upgrade), which the checker does not speak"), e)
        except httptools.HttpParserError as e:
            if self.complete:  # bytes after the response: not reusable, the response stands
                self.keep_alive = False
                self.close()
                return
            limit = e.__context__ if isinstance(e.__context__, _HeadTooLarge) else None
            self._fail(httpx.RemoteProtocolError(str(limit) if limit else f"invalid HTTP response: {e}"), limit or e)
            return
        if not self.headers_done and self.head_bytes > MAX_HEAD_BYTES and self.error is None:
            self._fail(httpx.RemoteProtocolError(f"response head over {MAX_HEAD_BYTES} bytes (status line and headers)"))

    # ----------------------------------------------------- llhttp callbacks ---
    def on_message_begin(self) -> None:
        if self.complete:  # a second response to one request
            self.keep_alive = False

    def on_status(self, reason: bytes) -> None:
        if self.complete:
            return
        self.reason += reason
        if len(self.reason) > MAX_REASON:
            raise _HeadTooLarge(f"status line over {MAX_REASON} bytes")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.complete:
            return
        self.headers.append((name, value))
        self.header_bytes += len(name) + len(value) + 4
        if len(self.headers) > MAX_HEADERS:
            raise _HeadTooLarge(f"more than {MAX_HEADERS} header lines")
        if self.header_bytes > MAX_HEAD_BYTES:
            raise _HeadTooLarge(f"response head over {MAX_HEAD_BYTES} bytes (status line and headers)")

    def on_headers_complete(self) -> None:
        if self.complete:
            return
        assert self.parser is not None
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # 100 Continue, 103 Early Hints ...: the answer follows
            self.headers, self.reason, self.header_bytes = [], b"", 0
            return
        self.status = status
        self.keep_alive = self.parser.should_keep_alive()  # after message complete it says False
        for name, value in self.headers:
            lower = name.lower()
            if lower == b"content-length" or lower == b"transfer-encoding" and b"chunked" in value.lower():
                self.framed = True
        self.headers_done = True
        if self.head_only:
            self.complete, self.keep_alive = True, False  # the response to HEAD has no body
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.complete:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.complete or not self.headers_done:  # the end of a 1xx response
            return
        self.complete = True
        self._wake()


def _expire(waiter: asyncio.Future, seconds: float) -> None:
    if not waiter.done():
        waiter.set_exception(httpx.ReadTimeout(f"no bytes from the server for {seconds:g} s"))


class Pool:
    """Keep-alive connections per origin, at most `limit` open (idle or busy) in all.

    A connection comes back through `release` once its response was read to the end and both sides
    keep it alive; idle ones expire after `keepalive_expiry` seconds. When the limit is reached, an
    idle connection of another origin is closed to make room, else the request waits for one.
    """

    def __init__(self, limit: int, keepalive_expiry: float = KEEPALIVE_EXPIRY, ssl_context: ssl.SSLContext | None = None):
        self.limit, self.keepalive_expiry = max(1, limit), keepalive_expiry
        self._ssl = ssl_context
        self._idle: dict[Origin, list[Connection]] = {}
        self._open = 0  # connections counted against the limit: being dialled, busy or idle
        self._all: set[Connection] = set()
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self._swept = time.monotonic()

    def ssl_context(self) -> ssl.SSLContext:
        """One context for the pool, built on the first https connection (about 20 ms of CPU)."""
        if self._ssl is None:
            import certifi

            self._ssl = ssl.create_default_context(cafile=certifi.where())
        return self._ssl

    def idle(self, origin: Origin) -> Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.closed or now - conn.idle_since > self.keepalive_expiry:
                self.discard(conn)
                continue
            return conn
        return None

    async def connect(self, origin: Origin, addresses: list[str] | None, connect: float | None,
                      pool: float | None) -> Connection:
        """A new connection to `origin`, to `addresses` in turn (resolving the name only without them)."""
        await self._room(pool)
        self._open += 1
        try:
            conn = await self._dial(origin, addresses, connect)
            self._all.add(conn)
            return conn
        except BaseException:
            self._open -= 1
            self._wake_one()
            raise

    async def _dial(self, origin: Origin, addresses: list[str] | None, timeout: float | None) -> Connection:
        scheme, host, port = origin
        context = self.ssl_context() if scheme == "https" else None
        loop = asyncio.get_running_loop()
        last: BaseException | None = None
        candidates = sorted(addresses or [host], key=lambda a: ":" in a)  # IPv4 first, as browsers mostly end up
        for i, address in enumerate(candidates):
            try:
                async with asyncio.timeout(timeout):
                    _, conn = await loop.create_connection(
                        lambda: Connection(self, origin), address, port, ssl=context,
                        server_hostname=host if context is not None else None)
                return conn
            except TimeoutError as e:
                if i == len(candidates) - 1:
                    raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {timeout:g} s") from e
                last = e
            except (OSError, ssl.SSLError, ssl.CertificateError) as e:
                last = e
        raise httpx.ConnectError(f"cannot connect to {host}:{port}: {last}") from last

    async def _room(self, timeout: float | None) -> None:
        while self._open >= self.limit:
            victim = next((conns.pop(0) for conns in self._idle.values() if conns), None)
            if victim is not None:
                self.discard(victim)
                continue
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError as e:
                raise httpx.PoolTimeout(f"no free connection within {timeout:g} s ({self.limit} open)") from e
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def release(self, conn: Connection) -> None:
        """A connection whose request is done: kept for the next one if it can be, else closed."""
        if conn.parser is None or conn.discarded:  # released already
            return
        if not conn.reusable:
            self.discard(conn)
            return
        conn.parser = None
        conn.idle_since = now = time.monotonic()
        self._idle.setdefault(conn.origin, []).append(conn)
        self._wake_one()
        if now - self._swept > self.keepalive_expiry:
            self._sweep(now)

    def discard(self, conn: Connection) -> None:
        conn.close()
        if not conn.discarded:
            conn.discarded = True
            self._all.discard(conn)
            self._open -= 1
            self._wake_one()

    def lost(self, conn: Connection) -> None:
        """The server closed it: an idle connection is dropped at once."""
        if conn.parser is None:
            idle = self._idle.get(conn.origin)
            if idle and conn in idle:
                idle.remove(conn)
            self.discard(conn)

    def _sweep(self, now: float) -> None:
        self._swept = now
        for origin, idle in list(self._idle.items()):
            keep = [c for c in idle if not c.closed and now - c.idle_since <= self.keepalive_expiry]
            for conn in idle:
                if conn not in keep:
                    self.discard(conn)
            if keep:
                self._idle[origin] = keep
            else:
                del self._idle[origin]

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        """Close every connection, idle or busy."""
        for conn in list(self._all):
            self.discard(conn)
        self._idle.clear()


async def exchange(pool: Pool, origin: Origin, addresses: list[str] | None, head: bytes, body: bytes | None = None, *,
                   connect: float | None, read: float | None, wait: float | None, head_only: bool = False) -> Connection:
    """Send one request and wait for its response's head; the connection is the caller's until
    `pool.release`. A reused idle connection that fails before any byte of the response (the server
    closed it while it was idle) is retried once on a new connection; nothing else is retried here."""
    conn = pool.idle(origin)
    reused = conn is not None
    while True:
        if conn is None:
            conn = await pool.connect(origin, addresses, connect, wait)
        try:
            conn.send(head, body, head_only=head_only, read_timeout=read)
            await conn.head()
            return conn
        except httpx.TimeoutException:
            pool.discard(conn)
            raise
        except httpx.TransportError:
            pool.discard(conn)
            if not reused or conn.received:
                raise
            conn, reused = None, False
        except BaseException:  # cancelled (the URL's own time ran out) or a bug: never reused
            pool.discard(conn)
            raise
