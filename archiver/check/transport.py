"""HTTP plumbing for the checker: httpx's API over the checker's own wire, and bodies decoded with a
bound on the DECODED size, so a gzip bomb stops at the cap instead of inflating in memory first.
"""

from __future__ import annotations

import functools
import hashlib
import re
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import brotli

from .lazyhttpx import httpx
from .wire import KEEPALIVE_EXPIRY, Connection, Origin, Pool, exchange

if TYPE_CHECKING:
    from .budget import Lease

__all__ = ["DEFAULT_HEADERS", "Client", "Timeout", "WireHeaders", "WireResponse", "WireTransport", "drain",
           "read_capped"]


@dataclass(frozen=True)
class Timeout:
    """httpx.Timeout's four limits in seconds (None: no limit), without importing httpx."""

    connect: float | None = 5.0
    read: float | None = 5.0
    write: float | None = 5.0
    pool: float | None = 5.0


# What an httpx.AsyncClient sends unless told otherwise, names in lower case as the wire sends them;
# the encodings are those read_capped decodes itself, bounding the decoded size.
DEFAULT_HEADERS = {"accept": "*/*", "accept-encoding": "gzip, deflate, br", "connection": "keep-alive"}


class Client:
    """The checker's client: its GETs go on `wire` with `headers` and `timeout`, without httpx
    (check/lazyhttpx.py). Anything else asked of it (`get`, `stream`, `post`, ...) is an
    httpx.AsyncClient's over the same wire, with the same headers and timeouts, built (and httpx
    imported) the first time."""

    follow_redirects = False

    def __init__(self, wire: WireTransport, *, headers: Mapping[str, str] | None = None,
                 timeout: Timeout | httpx.Timeout = Timeout()):
        self.wire = wire
        self.headers = {**DEFAULT_HEADERS, **{k.lower(): v for k, v in (headers or {}).items()}}
        self.timeout = timeout
        self._http: httpx.AsyncClient | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            t = self.timeout
            self._http = httpx.AsyncClient(
                transport=cast("httpx.AsyncBaseTransport", self.wire), headers=self.headers, follow_redirects=False,
                timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool))
        return self._http

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.http, name)

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await (self._http.aclose() if self._http is not None else self.wire.aclose())


class WireTransport:
    """httpx's transport API over the checker's own HTTP/1.1 wire (check/wire.py: asyncio and llhttp).

    Measured in benchmarks/check_cpu.py: httpcore (pool scans, anyio streams, h11 in pure Python)
    cost more CPU per request than everything archiver does with a page, and aiohttp after it about
    twice what this wire costs. The checker keeps httpx's Request/Response (and httpx.MockTransport
    in tests) and swaps only the wire. HTTP/1.1 only; bodies arrive raw, so `read_capped` bounds
    the DECODED size. Errors are httpx's, the cause kept (fetch.py reads DNS and TLS causes from
    the chain). No cookie jar here: each redirect chain keeps its own cookies (check/cookies.py).
    """

    def __init__(self, *, limit: int, keepalive_expiry: float = KEEPALIVE_EXPIRY, ssl_context: ssl.SSLContext | None = None):
        self._pool = Pool(limit, keepalive_expiry, ssl_context)

    async def get(self, url: httpx.URL | str, headers: dict[str, str], timeout: Timeout | httpx.Timeout,
                  addresses: list[str] | None = None) -> WireResponse:
        """GET without httpx's per-request machinery (Request, auth, cookies, Response: about 0.3 ms
        of CPU per URL, measured): the checker's hot path. The socket goes to `addresses` (those the
        caller resolved and checked) when given, Host and TLS still naming the URL's host."""
        origin, target, host_header = _split(str(url))
        lines = [f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\n"]
        lines += [f"{name}: {value}\r\n" for name, value in headers.items() if name.lower() != "host"]
        lines.append("\r\n")
        head = "".join(lines).encode("utf-8")
        conn = await exchange(self._pool, origin, addresses, head, connect=timeout.connect, read=timeout.read,
                              wait=timeout.pool)
        return WireResponse(self._pool, conn)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in _PORTS:
            raise httpx.UnsupportedProtocol(f"the wire speaks http and https, not {url.scheme!r}")
        origin = (url.scheme, url.raw_host.decode("ascii"), url.port or _PORTS[url.scheme])
        body = await request.aread()
        headers = request.headers.raw
        if body and request.headers.get("transfer-encoding", "").lower() == "chunked":
            body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
        head = b"".join([request.method.encode("ascii"), b" ", url.raw_path, b" HTTP/1.1\r\n",
                         *(name + b": " + value + b"\r\n" for name, value in headers), b"\r\n"])
        t = request.extensions.get("timeout", {})
        conn = await exchange(self._pool, origin, None, head, body or None, connect=t.get("connect"),
                              read=t.get("read"), wait=t.get("pool"), head_only=request.method == "HEAD")
        return httpx.Response(conn.status, headers=conn.headers, stream=_stream_type()(self._pool, conn),
                              extensions={"http_version": b"HTTP/1.1", "reason_phrase": conn.reason})

    async def aclose(self) -> None:
        self._pool.close()

    async def __aenter__(self) -> WireTransport:  # as httpx.AsyncBaseTransport, without subclassing it
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


_PORTS = {"http": 80, "https": 443}


# An absolute URL in httpx's normal form (check/target.py hands the wire only those): scheme, user
# info (dropped), host or [IPv6], port, then path and query without whitespace, and a fragment.
_URL = re.compile(r"(https?)://(?:[^@/?#]*@)?((\[[^\]/?#]*\]|[^:/?#@\[\]\s]+)(?::([0-9]{1,5}))?)([/?][^#\s]*)?(?:#.*)?\Z", re.S)


def _split(url: str) -> tuple[Origin, str, str]:
    """(origin, request target, Host header) of an absolute http(s) URL: one regular expression,
    2.5 us where urllib's urlsplit took 15 (measured, 2,000 distinct URLs)."""
    m = _URL.match(url)
    if m is None:
        if not url.startswith(("http://", "https://")):
            raise httpx.UnsupportedProtocol(f"the wire speaks http and https, not {url.partition(':')[0]!r}")
        raise httpx.InvalidURL(f"not a URL the wire can request: {url!r}")
    scheme, host_header, host, port, target = m.groups()
    if not target or target[0] != "/":
        target = "/" + (target or "")
    if host[0] == "[":
        host = host[1:-1]
    return (scheme, host.lower(), int(port) if port else _PORTS[scheme]), target, host_header


class WireHeaders:
    """The reading side of httpx.Headers (get, in, multi_items) over the wire's raw header bytes,
    decoded once as httpx decodes them: all ASCII, else all UTF-8, else ISO-8859-1; names in lower
    case. httpx.Headers decodes again on every access (about 40 us per response, measured). The
    values are looked up in a dict made once, several of a name joined with ", " (as httpx and RFC
    9110 do): a response's six lookups took 6-7 us scanning the list (measured)."""

    __slots__ = ("_items", "_values")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]):
        raw = list(raw)
        if all(k.isascii() and v.isascii() for k, v in raw):
            encoding = "ascii"
        else:
            try:
                for k, v in raw:
                    k.decode("utf-8")
                    v.decode("utf-8")
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = "iso-8859-1"
        self._items = [(k.lower().decode(encoding), v.decode(encoding)) for k, v in raw]
        values: dict[str, str] = {}
        for name, value in self._items:
            values[name] = f"{values[name]}, {value}" if name in values else value
        self._values = values

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value, several joined with ", " (as httpx and RFC 9110 do), or `default`."""
        return self._values.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)


class WireResponse:
    """What the checker reads of a response (status_code, headers, aiter_raw, aiter_bytes, aclose),
    straight from the wire. `aclose` gives the connection back to the pool when the body was read
    to its end and the connection is keep-alive, else closes it."""

    is_stream_consumed = False

    def __init__(self, pool: Pool, conn: Connection):
        self._pool, self._conn = pool, conn
        self.status_code = conn.status
        self.headers = WireHeaders(conn.headers)

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        read = self._conn.read
        while chunk := await read():
            yield chunk

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Decoded by httpx (stacked or unusual content encodings)."""
        return httpx.Response(self.status_code, headers=self._conn.headers,
                              stream=_stream_type()(self._pool, self._conn)).aiter_bytes()

    async def aclose(self) -> None:
        self._pool.release(self._conn)


@functools.cache
def _stream_type() -> type:
    """A body on the wire as httpx's stream type (made at first use: it subclasses httpx's)."""

    class WireStream(httpx.AsyncByteStream):
        def __init__(self, pool: Pool, conn: Connection):
            self._pool, self._conn = pool, conn

        async def __aiter__(self) -> AsyncIterator[bytes]:
            read = self._conn.read
            while chunk := await read():
                yield chunk

        async def aclose(self) -> None:
            self._pool.release(self._conn)

    return WireStream


async def drain(resp: httpx.Response, limit: int) -> None:
    if resp.is_stream_consumed:  # e.g. httpx.MockTransport responses are pre-read
        return
    read = 0
    async for chunk in resp.aiter_raw():
        read += len(chunk)
        if read > limit:
            break


def _codings(resp: httpx.Response) -> list[str]:
    """The response's content codings, identity left out."""
    codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
    return [c for c in codings if c and c != "identity"]


async def _decoded(resp: httpx.Response, codings: list[str], step: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The body decoded from `codings` (at least one) in pieces of at most `step` bytes, however
    compressible the input.

    httpx's own decoders inflate a whole network chunk at once: 64 KB of a gzip bomb becomes
    ~64 MB before a cap can look at it. Here zlib and brotli are asked for `step` bytes at a time.
    Stacked or unknown encodings fall back to httpx's decoding.
    """
    coding = codings[0] if len(codings) == 1 else None
    if coding in ("gzip", "x-gzip", "deflate"):
        z = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding != "deflate" else zlib.MAX_WBITS)
        first = True
        try:
            async for data in resp.aiter_raw():
                if first and coding == "deflate" and data[:1] and (data[0] & 0x0F) != 8:
                    z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without zlib header
                first = False
                while data:
                    yield z.decompress(data, step)
                    data = z.unconsumed_tail
            yield z.flush()
        except zlib.error as e:
            raise httpx.DecodingError(f"{coding}: {e}") from e
    elif coding == "br" and hasattr(brotli, "Decompressor") and hasattr(brotli.Decompressor, "can_accept_more_data"):
        b = brotli.Decompressor()
        try:
            async for data in resp.aiter_raw():
                yield b.process(data, output_buffer_limit=step)
                while not b.can_accept_more_data():
                    yield b.process(b"", output_buffer_limit=step)
        except brotli.error as e:
            raise httpx.DecodingError(f"br: {e}") from e
    else:
        async for chunk in resp.aiter_bytes():
            yield chunk


async def read_capped(resp: httpx.Response, cap: int, lease: Lease | None = None) -> tuple[bytes, str, bool]:
    """Decoded body up to `cap` bytes, its SHA-256, and whether more was left. Each piece's bytes are
    taken from `lease` (the run's byte budget) before the next is read: over budget, reading waits."""
    digest, parts, size, truncated = hashlib.sha256(), [], 0, False
    codings = _codings(resp)  # none, the usual case: read without a decoding layer
    async for chunk in _decoded(resp, codings) if codings else resp.aiter_raw():
        if len(chunk) > cap - size:
            chunk, truncated = chunk[: cap - size], True
        if lease is not None:
            await lease.take(len(chunk))
        digest.update(chunk)
        parts.append(chunk)
        size += len(chunk)
        if truncated:
            break
    return b"".join(parts), digest.hexdigest(), truncated
