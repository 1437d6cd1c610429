"""HTTP plumbing for the checker: httpx's API over aiohttp's wire, and bodies decoded with a
bound on the DECODED size, so a gzip bomb stops at the cap instead of inflating in memory first.
"""

from __future__ import annotations

import contextlib
import hashlib
import ssl
import zlib
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING

import brotli
import httpx

if TYPE_CHECKING:
    import aiohttp

    from .budget import Lease

__all__ = ["AiohttpTransport", "WireHeaders", "WireResponse", "drain", "read_capped"]


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's API over aiohttp's connection pool and C HTTP parser.

    Measured in benchmarks/check_bench.py: httpcore (pool scans, anyio streams, h11 in pure Python)
    cost more CPU per request than everything archiver does with a page. aiohttp's pool and llhttp
    parser do the same work for a fraction of it, so the checker keeps httpx's Request/Response
    (and httpx.MockTransport in tests) and swaps only the wire. HTTP/1.1 only; bodies arrive raw
    (`auto_decompress=False`) so `read_capped` bounds the DECODED size. aiohttp's errors become
    httpx's, the aiohttp error kept as the cause (fetch.py reads DNS and TLS causes from the chain).
    """

    def __init__(self, ssl_context: ssl.SSLContext, *, limit: int, limit_per_host: int = 0,
                 keepalive_expiry: float = 15.0):
        self._ssl, self._limit, self._per_host = ssl_context, limit, limit_per_host
        self._keepalive = keepalive_expiry
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._per_host, ssl=self._ssl,
                                         keepalive_timeout=self._keepalive, ttl_dns_cache=300)
        # A cookie jar for `get` (a site that sets a cookie and redirects to itself must see it
        # again); requests through httpx carry httpx's cookies, and aiohttp's jar adds nothing new.
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None),
                                     trust_env=False)

    async def get(self, url: httpx.URL | str, headers: dict[str, str], timeout: httpx.Timeout) -> WireResponse:
        """GET without httpx's per-request machinery (Request, auth, cookies, Response: about 0.3 ms
        of CPU per URL, measured): the checker's hot path. Same errors as handle_async_request."""
        import aiohttp

        if self._session is None:
            self._session = self._open()
        limits = aiohttp.ClientTimeout(total=None, connect=timeout.pool, sock_connect=timeout.connect,
                                       sock_read=timeout.read)
        with _mapped():
            resp = await self._session.request("GET", yarl_url(url), headers=headers, allow_redirects=False,
                                               timeout=limits)
        return WireResponse(resp)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import aiohttp

        if self._session is None:
            self._session = self._open()
        t = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(total=None, connect=t.get("pool"), sock_connect=t.get("connect"),
                                        sock_read=t.get("read"))
        body = await request.aread() if request.method not in ("GET", "HEAD") else None
        with _mapped():
            resp = await self._session.request(
                request.method, yarl_url(request.url), headers=request.headers.multi_items(), data=body,
                allow_redirects=False, timeout=timeout, skip_auto_headers=("Content-Type",))
        return httpx.Response(resp.status, headers=resp.raw_headers, stream=_AiohttpStream(resp),
                              extensions={"http_version": b"HTTP/1.1",
                                          "reason_phrase": (resp.reason or "").encode("latin-1", "replace")})

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def yarl_url(url: httpx.URL | str):
    """httpx (or check/target.py, with the same result) has already normalised and percent-encoded
    the URL: tell yarl not to do it again."""
    import yarl

    return yarl.URL(str(url), encoded=True)


class WireHeaders:
    """The reading side of httpx.Headers (get, in, multi_items) over aiohttp's raw header bytes,
    decoded once as httpx decodes them: all ASCII, else all UTF-8, else ISO-8859-1; names in lower
    case. httpx.Headers decodes again on every access (about 40 us per response, measured)."""

    __slots__ = ("_items",)

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

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value, several joined with ", " (as httpx and RFC 9110 do), or `default`."""
        key = key.lower()
        values = [v for k, v in self._items if k == key]
        return ", ".join(values) if values else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and any(k == key.lower() for k, _ in self._items)

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)


class WireResponse:
    """What the checker reads of a response (status_code, headers, aiter_raw, aiter_bytes, aclose),
    straight from aiohttp."""

    is_stream_consumed = False

    def __init__(self, resp):
        self._resp = resp
        self.status_code = resp.status
        self.headers = WireHeaders(resp.raw_headers)

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        with _mapped():
            async for chunk in self._resp.content.iter_any():
                yield chunk

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Decoded by httpx (stacked or unusual content encodings)."""
        return httpx.Response(self.status_code, headers=self._resp.raw_headers,
                              stream=_AiohttpStream(self._resp)).aiter_bytes()

    async def aclose(self) -> None:
        self._resp.release()


class _AiohttpStream(httpx.AsyncByteStream):
    def __init__(self, resp):
        self._resp = resp

    async def __aiter__(self):
        with _mapped():
            async for chunk in self._resp.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._resp.release()  # back to the pool when the body was read to the end, else closed


@contextlib.contextmanager
def _mapped():
    """aiohttp's exceptions as httpx's (the original kept as __cause__)."""
    import aiohttp

    try:
        yield
    except aiohttp.ClientError as exc:  # timeouts included; asyncio.timeout's own pass through
        raise _httpx_error(exc) from exc


def _httpx_error(exc: Exception) -> Exception:
    import aiohttp

    text = str(exc) or type(exc).__name__
    if isinstance(exc, getattr(aiohttp, "ConnectionTimeoutError", ())):
        return httpx.ConnectTimeout(text)
    if isinstance(exc, (aiohttp.ServerTimeoutError, TimeoutError)):
        return httpx.ReadTimeout(text)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(text)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(text)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(text)
    if isinstance(exc, (aiohttp.ClientResponseError, aiohttp.ServerDisconnectedError)):
        return httpx.RemoteProtocolError(text)
    return httpx.ReadError(text)


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
