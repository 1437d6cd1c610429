"""The one legacy framing aiohttp will not read: `Content-Length` beside `Transfer-Encoding: chunked`.

aiohttp refuses such a response (a request-smuggling guard since 3.8, aio-libs/aiohttp#6182; the
llhttp switch that would allow it, lenient_chunked_length, is not exposed). RFC 9112 section 6.3 says
the chunked framing wins and the length is ignored, and browsers, curl and httpx (h11) read the page.
So that one request is asked again through httpcore, the HTTP/1.1 core under httpx (h11 frames it,
chunked first), with everything the aiohttp session keeps:

- a connection of its own, closed after the answer: a misframed answer never reaches another request;
- sockets only to the addresses the private-address guard approved, through the session's own
  GuardResolver (its network backend asks it, as aiohttp's connector does); Host, SNI and the
  certificate check name the host;
- the same proxy and its credentials, the same trust (the session's SSL context), the same timeouts;
- the body handed back raw, read by the caller under the same caps and decoders (decode.py).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

import httpcore
from yarl import URL

from .resolver import GuardResolver

if TYPE_CHECKING:
    import ssl

__all__ = ["legacy_get"]

Answer = tuple[int, list[tuple[bytes, bytes]], AsyncIterator[bytes]]


class _Pinned(httpcore.AsyncNetworkBackend):
    """Connects to the addresses the session's resolver holds for a host (the guard's, or a proxy's)."""

    def __init__(self, resolver: GuardResolver) -> None:
        self._resolver = resolver
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        found = await self._resolver.resolve(host, port, socket.AF_UNSPEC)
        error: Exception = OSError(f"no address for {host!r}")
        for address in found:
            try:
                return await self._backend.connect_tcp(address["host"], port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


@contextlib.asynccontextmanager
async def legacy_get(url: str, headers: Mapping[str, str], *, resolver: GuardResolver, ssl_context: ssl.SSLContext,
                     proxy: URL | None, proxy_headers: Mapping[str, str] | None,
                     timeout: tuple[float | None, float | None]) -> AsyncIterator[Answer]:
    """GET `url` once more on a connection of its own, closed after the answer: (status, raw headers,
    the body as sent)."""
    backend = _Pinned(resolver)
    pool: httpcore.AsyncConnectionPool
    if proxy is None:
        pool = httpcore.AsyncConnectionPool(ssl_context=ssl_context, max_connections=1, max_keepalive_connections=0,
                                            network_backend=backend)
    else:  # aiohttp takes the proxy's credentials as Authorization; a proxy reads Proxy-Authorization
        auth = [("Proxy-Authorization", v) for k, v in (proxy_headers or {}).items() if k.lower() == "authorization"]
        pool = httpcore.AsyncHTTPProxy(str(proxy), proxy_headers=auth, ssl_context=ssl_context, max_connections=1,
                                       max_keepalive_connections=0, network_backend=backend)
    connect, read = timeout
    sent = {**headers, "host": _host_header(url), "connection": "close"}
    extensions = {"timeout": {"connect": connect, "read": read, "write": read, "pool": connect}}
    with _as_builtin():
        async with pool, pool.stream("GET", url, headers=list(sent.items()), extensions=extensions) as resp:
            yield resp.status, resp.headers, _body(resp.aiter_stream())


def _host_header(url: str) -> str:
    """The Host header as aiohttp sends it: the port only when it is not the scheme's default."""
    u = URL(url, encoded=True)
    host = u.raw_host or ""
    host = f"[{host}]" if ":" in host else host
    return host if u.port is None or u.is_default_port() else f"{host}:{u.port}"


async def _body(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    with _as_builtin():
        async for piece in stream:
            yield piece


@contextlib.contextmanager
def _as_builtin() -> Iterator[None]:
    """httpcore's errors as the exceptions failures.map_exception reads (their causes kept: a TLS
    error under a ConnectError is still a tls-error)."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise TimeoutError(str(exc) or type(exc).__name__) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as exc:
        raise ConnectionError(str(exc) or type(exc).__name__) from exc
