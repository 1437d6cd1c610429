"""The checker's HTTP session: aiohttp, configured so that archiver owns only what is archiver's.

aiohttp (its C parser, pool, TLS, proxies, happy eyeballs) does HTTP as clients in the field do:
legacy framings that browsers read (bare LF, folded header lines, Content-Length beside chunked,
HTTP/1.0 bodies delimited by the close), proxies (CONNECT for https) and TLS, and a connection
that got bytes after its response is never used again. archiver keeps five things:

- the resolver (resolver.GuardResolver): sockets go only to the addresses the private-address guard
  approved; Host, SNI and the certificate check name the host;
- decoding (decode.py): automatic decompression is off, every layer of a stacked Content-Encoding is
  undone under one cap on decoded bytes;
- cookies: no jar shared between URLs; each redirect chain keeps its own (check/cookies.py);
- limits: requests per host and in all (check/hosts.py, check/slots.py), and bodies held at once
  (check/budget.py); the pool's own limit is only a backstop above them;
- which proxy a URL goes through (archiver/network.py, shared with the Wayback client): every
  request names its proxy, or none. aiohttp's own reading of the environment (`trust_env`, through
  urllib) knows no ALL_PROXY and neither the CIDR nor the host:port forms of NO_PROXY, and it would
  put back the environment's proxy on a request that NO_PROXY or `--proxy` settled: so it is off.

aiohttp refuses a response with both Content-Length and Transfer-Encoding (a response-smuggling
guard in its parser that cannot be turned off); that one request is asked again through httpcore with
the same resolver, proxy, trust and caps (legacy.py), and read as browsers read it, chunked first.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp import http_exceptions
from yarl import URL

from ...network import Network
from .resolver import GuardResolver

__all__ = ["Headers", "Response", "Session", "Timeout", "ACCEPT_ENCODING"]

ACCEPT_ENCODING = "gzip, deflate, br"  # what decode.py undoes
MAX_HEAD_LINE = 64 * 1024  # a status or header line (aiohttp's default, 8 KiB, is below real CSP headers)
MAX_HEADERS = 256
KEEPALIVE = 15.0  # seconds an idle connection is kept


@dataclass(frozen=True)
class Timeout:
    """Per connect and per read, in seconds (None: no limit). A URL's whole time limit is the
    checker's own (fetch.FetchSettings.total_timeout), which stops while the URL waits its turn."""

    connect: float | None = None
    read: float | None = None


class Headers:
    """A response's headers as the checker reads them (get, in, multi_items), names in lower case and
    decoded once: all ASCII, else all UTF-8, else ISO-8859-1. Several of a name are joined with ", "
    (RFC 9110) by `get`."""

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
        return self._values.get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)


class Response:
    """What the checker reads of a response: status_code, headers and the raw body (`raw()`)."""

    __slots__ = ("status_code", "headers", "_raw")

    def __init__(self, status: int, raw_headers: Iterable[tuple[bytes, bytes]], raw: Callable[[], AsyncIterator[bytes]]):
        self.status_code = status
        self.headers = Headers(raw_headers)
        self._raw = raw

    def raw(self) -> AsyncIterator[bytes]:
        """The body as sent (content codings not undone), piece by piece."""
        return self._raw()


def chunked_beside_length(exc: BaseException) -> bool:
    """Whether aiohttp refused a response only for its Content-Length beside chunked framing."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen) is http_exceptions.BadHttpMessage and "can't be present with" in str(seen):
            return "Content-Length" in str(seen) and "Transfer-Encoding" in str(seen)
        seen = seen.__cause__ or seen.__context__
    return False


class Session:
    """One per run (the CLI or api builds it; fetch.make_client). `resolver.approve` is the guard's
    door; `proxy_for` says where a URL's request goes."""

    def __init__(self, *, limit: int, user_agent: str, timeout: Timeout, network: Network | None = None):
        self.network = network or Network()
        self.timeout = timeout
        self.headers = {"user-agent": user_agent, "accept": "*/*", "accept-encoding": ACCEPT_ENCODING}
        proxies = self.network.proxies()
        self._route = self.network.router()  # the environment as the run began, as curl reads it
        self.resolver = GuardResolver(frozenset(h for h in (urlsplit(p).hostname for p in proxies) if h))
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None
        self._proxy_auth: dict[str, tuple[URL, dict[str, str] | None]] = {}

    def _open(self) -> aiohttp.ClientSession:
        """The aiohttp session, made at the first request (it needs the running loop)."""
        connector = aiohttp.TCPConnector(
            limit=self._limit, limit_per_host=0, resolver=self.resolver, use_dns_cache=False,
            ssl=self.network.ssl_context(), keepalive_timeout=KEEPALIVE)
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False, trust_env=False,
            headers=self.headers, skip_auto_headers=("Accept-Encoding",),
            timeout=aiohttp.ClientTimeout(total=None, connect=None, sock_connect=self.timeout.connect,
                                          sock_read=self.timeout.read),
            max_line_size=MAX_HEAD_LINE, max_field_size=MAX_HEAD_LINE, max_headers=MAX_HEADERS)
        return self._session

    def proxy_for(self, url: str) -> str | None:
        return self._route(url)

    def _proxy(self, url: str) -> tuple[URL | None, dict[str, str] | None]:
        """The proxy for `url` without its credentials, and the headers for the proxy that carry them
        (aiohttp sends an Authorization among them to the proxy as Proxy-Authorization, on CONNECT
        for https, on the request itself for http)."""
        proxy = self.proxy_for(url)
        if proxy is None:
            return None, None
        known = self._proxy_auth.get(proxy)
        if known is None:
            parsed = URL(proxy)
            headers = None
            if parsed.user is not None:
                token = base64.b64encode(f"{parsed.user}:{parsed.password or ''}".encode()).decode("ascii")
                headers = {"Authorization": f"Basic {token}"}
            known = self._proxy_auth[proxy] = (parsed.with_user(None), headers)
        return known

    @contextlib.asynccontextmanager
    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> AsyncIterator[Response]:
        """GET `url` (in httpx's normal form: sent as it is), redirects not followed. The connection goes
        back to the pool only when the body was read to its end."""
        session = self._session or self._open()
        proxy, proxy_headers = self._proxy(url)
        answered = False
        try:
            async with session.get(URL(url, encoded=True), headers=headers, allow_redirects=False,
                                   proxy=proxy, proxy_headers=proxy_headers) as resp:
                answered = True
                yield Response(resp.status, resp.raw_headers, resp.content.iter_any)
                return
        except aiohttp.ClientResponseError as exc:
            if answered or not chunked_beside_length(exc):
                raise
        from .legacy import legacy_get  # httpcore: loaded for such a page only

        async with legacy_get(url, {**self.headers, **(headers or {})}, resolver=self.resolver,
                              ssl_context=self.network.ssl_context(), proxy=proxy, proxy_headers=proxy_headers,
                              timeout=(self.timeout.connect, self.timeout.read)) as (status, raw_headers, body):
            yield Response(status, raw_headers, lambda: body)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
