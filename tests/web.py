"""A loopback "test web": real sockets on 127.0.0.1, one port per emulated host.

Every behaviour the checker must recognise has a path (see ROUTES in `_route`). The server runs
an asyncio loop in a background thread, speaks HTTP/1.1 with keep-alive, serves requests
concurrently, and counts requests per (host, path) and the peak number in flight per host, so
tests can assert that retries happened and that limits held.

Hosts:
  main, other  the ordinary site (unknown paths answer 404)
  soft-en      every path answers 200 "Page not found" (English soft 404s)
  soft-ru      every path answers 200 "Страница не найдена" (Russian soft 404s)
  catchall     every unknown path answers 200 with the same shop page, no "not found"
               phrase at all: only the random-path probe can tell
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOSTS = ("main", "other", "soft-en", "soft-ru", "catchall")

ARTICLE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>On broken links in citations</title>"
    "</head><body><nav><a href='/'>Home</a></nav><article><h1>On broken links in citations</h1>"
    + "<p>Link rot is the process by which hyperlinks stop pointing to the resources they cited. "
    "Studies of legal and scholarly citations found that a large share of cited URLs were not "
    "found a few years later, and that many more had drifted to different content.</p>" * 12
    + "<p>When a server answers 404 Not Found the reader at least knows. Worse are pages that say "
    "'page not found' with a 200 status.</p></article></body></html>"
)
HOME = ("<!DOCTYPE html><html><head><title>Test web</title></head><body><h1>Welcome</h1>"
        "<p>The home page of the test web.</p></body></html>")
SOFT_EN = ("<!DOCTYPE html><html><head><title>Page not found | Example</title></head><body>"
           "<h1>Page not found</h1><p>Sorry, the page {path} could not be found.</p></body></html>")
SOFT_EN_BODY_ONLY = ("<!DOCTYPE html><html><head><title>Example News</title></head><body>"
                     "<h2>Oops</h2><p>Sorry, the page you requested could not be found. It may have "
                     "been moved or deleted.</p></body></html>")
SOFT_RU = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Ошибка 404</title></head><body>"
           "<h1>Страница не найдена</h1><p>Запрашиваемая страница {path} не существует.</p>"
           "</body></html>")
CATCHALL = ("<!DOCTYPE html><html><head><title>Shop</title></head><body><h1>Our shop</h1>"
            + "<p>Browse our categories: garden tools, kitchen goods, toys and books. Free delivery "
            "on orders over fifty euros, returns within thirty days, and friendly support.</p>" * 3
            + "</body></html>")
CATCHALL_REAL = ("<!DOCTYPE html><html><head><title>Shop: the blue teapot</title></head><body>"
                 "<h1>The blue teapot</h1>" + "<p>A hand-made teapot in cobalt glaze, holds one "
                 "litre, ships in a wooden box with a certificate of origin.</p>" * 3 + "</body></html>")
PARKED = ("<!DOCTYPE html><html><head><title>example-old.com</title>"
          "<script src='https://www.parkingcrew.net/js/park.js'></script></head><body>"
          "<h1>example-old.com</h1><p>This domain is for sale! Buy this domain today.</p>"
          "<p>Related searches: cheap flights, insurance</p></body></html>")
LOGIN = ("<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method='post'>"
         "<label>Email <input type='email' name='email'></label>"
         "<label>Password <input type='password' name='password'></label>"
         "<button>Sign in</button></form></body></html>")
CHALLENGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
             "<noscript>Enable JavaScript and cookies to continue</noscript>"
             "<script>window._cf_chl_opt={cvId:'3'};</script></body></html>")
CP1251 = ("<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; "
          "charset=windows-1251'><title>Новости дня</title></head><body><h1>Новости дня</h1>"
          "<p>Сегодня в городе прошёл дождь.</p></body></html>").encode("cp1251")

# As text (after entities are decoded): <script>alert('title')</script><img src=x onerror=alert(1)> ...
HOSTILE_TITLE = ("&lt;script&gt;alert('title')&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; [bold]x[/] "
                 "\x1b[31mred")


NEWS_NOT_FOUND = ("<!DOCTYPE html><html><head><title>Missing hiker not found after three-day search</title></head>"
                  "<body><article><h1>Missing hiker not found after three-day search</h1>"
                  + "<p>Rescue teams said on Sunday that the hiker could not be found despite a search of the "
                  "valley by helicopter and dogs; volunteers will continue along the northern ridge.</p>" * 4
                  + "</article></body></html>")


def page(title: str, paragraph: str, repeat: int = 5) -> str:
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
            + f"<p>{paragraph}</p>" * repeat + "</body></html>")


@dataclass
class Reply:
    status: int
    body: bytes | str = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    reset_after: int | None = None  # send this many body bytes, then abort the connection
    content_type: str | None = "text/html; charset=utf-8"


REASONS = {200: "OK", 400: "Bad Request", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
           308: "Permanent Redirect", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           410: "Gone", 429: "Too Many Requests", 451: "Unavailable For Legal Reasons",
           503: "Service Unavailable"}


def _redirect(status: int, location: str) -> Reply:
    return Reply(status, "<html><body>moved</body></html>", [("Location", location)])


def _cookie_route(path: str, cookie: str) -> Reply:
    """Cookie checks as sites do them: a visitor without the cookie is redirected to get it."""
    sent = {pair.strip() for pair in cookie.split(";")}
    if path == "/cookie/a":  # A -> B (sets the cookie) -> A again, now with it
        return Reply(200, ARTICLE) if "visited=1" in sent else _redirect(302, "/cookie/set")
    if path == "/cookie/set":
        return Reply(302, "moved", [("Location", "/cookie/a"), ("Set-Cookie", "visited=1; Path=/; HttpOnly")])
    if path == "/cookie/self":  # sets the cookie and redirects to itself
        if "self=1" in sent:
            return Reply(200, ARTICLE)
        return Reply(302, "moved", [("Location", "/cookie/self"), ("Set-Cookie", "self=1; Max-Age=60")])
    # /cookie/never: the same cookie and the same redirect whatever the visitor sends: a real loop
    return Reply(302, "moved", [("Location", path), ("Set-Cookie", "n=1")])


class TestWeb:
    """Start with `with TestWeb() as web:`; then `web.url("/ok")`, `web.hits("/ok")`."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.ports: dict[str, int] = {}
        self.hits_by: collections.Counter = collections.Counter()
        self.in_flight: collections.Counter = collections.Counter()
        self.peak: collections.Counter = collections.Counter()
        self.last_headers: dict[tuple[str, str], dict[str, str]] = {}
        self.starts: list[tuple[float, str, str, int]] = []  # (monotonic time, host, path, in flight then)
        self._first_hit: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._bomb: bytes | None = None

    # -- public API --------------------------------------------------------
    def url(self, path: str = "/", host: str = "main") -> str:
        return f"http://127.0.0.1:{self.ports[host]}{path}"

    def hits(self, path: str, host: str = "main") -> int:
        with self._lock:
            return self.hits_by[(host, path)]

    def hits_matching(self, prefix: str, host: str = "main") -> int:
        """Requests to paths starting with `prefix` (e.g. "/archiver-probe-")."""
        with self._lock:
            return sum(n for (h, p), n in self.hits_by.items() if h == host and p.startswith(prefix))

    def headers_of(self, path: str, host: str = "main") -> dict[str, str]:
        """The (lower-cased) headers of the last request to `path`."""
        with self._lock:
            return dict(self.last_headers.get((host, path), {}))

    def peak_in_flight(self, host: str = "main") -> int:
        with self._lock:
            return self.peak[host]

    def requests_to(self, host: str) -> list[tuple[float, str]]:
        """(monotonic time it arrived, path) of every request to `host`, in order."""
        with self._lock:
            return [(t, p) for t, h, p, _ in self.starts if h == host]

    def reset_stats(self) -> None:
        with self._lock:
            self.hits_by.clear()
            self.peak.clear()
            self.starts.clear()

    def start(self) -> TestWeb:
        self._thread = threading.Thread(target=self._thread_main, name="test-web", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)
        self._thread = None

    def __enter__(self) -> TestWeb:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- server ------------------------------------------------------------
    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # surfaced by start()
            self._error = e
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        conns: set[asyncio.Task] = set()
        writers: set[asyncio.StreamWriter] = set()

        def make_handler(host: str):
            async def handler(reader, writer):
                conns.add(asyncio.current_task())
                writers.add(writer)
                try:
                    await self._serve(host, reader, writer)
                except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                    pass
                finally:
                    writers.discard(writer)
                    conns.discard(asyncio.current_task())
                    writer.close()
            return handler

        servers = []
        for host in HOSTS:
            server = await asyncio.start_server(make_handler(host), "127.0.0.1", 0, backlog=512)
            servers.append(server)
            self.ports[host] = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        for server in servers:
            server.close()
        for task in list(conns):
            task.cancel()
        await asyncio.gather(*conns, return_exceptions=True)
        for writer in list(writers):
            writer.close()
        for server in servers:
            await server.wait_closed()

    async def _serve(self, host: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        while True:
            first = await reader.read(1)
            if not first:
                return
            if first == b"\x16":  # a TLS ClientHello on this plain-HTTP port: answer in plain HTTP
                await self._send(writer, "GET", Reply(400, "bad request"), False)
                return
            line = first + await reader.readline()
            if not line.strip():
                continue
            try:
                method, target, _version = line.decode("latin-1").split()
            except ValueError:  # not HTTP (e.g. a TLS ClientHello): answer 400 and hang up
                await self._send(writer, "GET", Reply(400, "bad request"), False)
                return
            headers = {}
            while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            parts = urlsplit(target)
            with self._lock:
                self.hits_by[(host, parts.path)] += 1
                self.last_headers[(host, parts.path)] = headers
                self.in_flight[host] += 1
                self.peak[host] = max(self.peak[host], self.in_flight[host])
                self.starts.append((time.monotonic(), host, parts.path, self.in_flight[host]))
            try:
                reply = self._route(host, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                                    headers.get("cookie", ""))
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                keep = await self._send(writer, method, reply, headers.get("connection", "") != "close")
            finally:
                with self._lock:
                    self.in_flight[host] -= 1
            if not keep:
                return

    async def _send(self, writer, method: str, reply: Reply, keep_alive: bool) -> bool:
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        lines = [f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}",
                 f"Content-Length: {len(body)}",
                 "Connection: " + ("keep-alive" if keep_alive else "close")]
        if reply.content_type and not any(k.lower() == "content-type" for k, _ in reply.headers):
            lines.append(f"Content-Type: {reply.content_type}")
        lines += [f"{k}: {v}" for k, v in reply.headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if reply.reset_after is not None:
            writer.write(head + body[: reply.reset_after])
            await writer.drain()
            writer.transport.abort()
            return False
        writer.write(head if method == "HEAD" else head + body)
        await writer.drain()
        return keep_alive

    # -- routes ------------------------------------------------------------
    def _stateful_first(self, key: str) -> float:
        """Seconds since the first hit on `key` (0 on the first hit)."""
        now = time.monotonic()
        with self._lock:
            first = self._first_hit.setdefault(key, now)
            return now - first

    def _count(self, key: str) -> int:
        with self._lock:
            self.hits_by[("state", key)] += 1
            return self.hits_by[("state", key)]

    def _route(self, host: str, path: str, q: dict[str, str], cookie: str = "") -> Reply:
        if path.startswith("/cookie/"):
            return _cookie_route(path, cookie)
        if host == "soft-en":
            return Reply(200, SOFT_EN.format(path=path))
        if host == "soft-ru":
            return Reply(200, SOFT_RU.format(path=path))
        if host == "catchall":
            if path == "/teapot":
                return Reply(200, CATCHALL_REAL)
            return Reply(200, CATCHALL)
        fixed = {
            "/": Reply(200, HOME), "/index.html": Reply(200, HOME),
            "/ok": Reply(200, ARTICLE), "/article": Reply(200, ARTICLE),
            "/notfound": Reply(404, page("404 Not Found", "Not found")),
            "/gone": Reply(410, page("410 Gone", "Gone")),
            "/moved": _redirect(301, "/article"), "/moved308": _redirect(308, "/article"),
            "/temp": _redirect(302, "/temp2"), "/temp2": _redirect(307, "/article"),
            "/loop/a": _redirect(302, "/loop/b"), "/loop/b": _redirect(302, "/loop/a"),
            "/old": _redirect(301, "/"),
            "/soft404": Reply(200, SOFT_EN_BODY_ONLY),
            "/soft404-ru": Reply(200, SOFT_RU.format(path="/soft404-ru")),
            "/parked": Reply(200, PARKED),
            "/members": _redirect(302, "/login?next=/members"), "/login": Reply(200, LOGIN),
            "/account": Reply(200, LOGIN),
            "/challenge": Reply(403, CHALLENGE, [("Server", "cloudflare"), ("cf-mitigated", "challenge")]),
            "/auth": Reply(401, page("Unauthorized", "Credentials needed"), [("WWW-Authenticate", "Basic")]),
            "/legal": Reply(451, page("Unavailable", "Blocked in your country")),
            "/ratelimit-long": Reply(429, "slow down", [("Retry-After", "3600")]),
            "/down": Reply(503, page("Service Unavailable", "Try later")),
            "/reset": Reply(200, b"x" * 100_000, reset_after=1000),
            "/gzip": Reply(200, gzip.compress(ARTICLE.encode()), [("Content-Encoding", "gzip")]),
            "/huge": Reply(200, b"0123456789abcdef" * 131_072, content_type="text/plain"),
            "/cp1251": Reply(200, CP1251, content_type="text/html"),
            "/news/hiker-not-found": Reply(200, NEWS_NOT_FOUND),  # a real article, on a host with real 404s
            "/meta-home": Reply(200, "<html><head><meta http-equiv='refresh' content='0; url=/'></head>"
                                     "<body>Redirecting</body></html>"),
            "/meta-article": Reply(200, "<html><head><meta content=\"1;URL='/article'\" http-equiv=\"Refresh\">"
                                        "</head><body></body></html>"),
            "/script-home": Reply(200, "<html><head><script>window.location.href = '/index.html';</script></head>"
                                       "<body>Loading...</body></html>"),
            "/script-login": Reply(200, "<html><body><script>location.replace(\"/login?next=/x\")</script>"
                                        "</body></html>"),
        }
        if path in fixed:
            return fixed[path]
        if path == "/bomb":
            if self._bomb is None:
                self._bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=9)
            return Reply(200, self._bomb, [("Content-Encoding", "gzip")], content_type="text/plain")
        if path == "/slow":
            return Reply(200, page("Slow", "finally"), delay=float(q.get("delay", 2)))
        if path.startswith("/page/"):
            name = path.rsplit("/", 1)[-1]
            return Reply(200, page(f"Page {name}", f"Text of page {name}."), delay=float(q.get("delay", 0)))
        if path == "/websocket":  # a script opens a WebSocket to `to` (host:port); an image holds load 1 s
            return Reply(200, "<html><head><title>Live</title></head><body><p>Live figures.</p><script>"
                              f"new WebSocket('ws://{q.get('to', '')}/feed');</script><img src='/slow?delay=1'></body></html>")
        if path == "/hanging":  # its image answers after `delay` s: the load event waits that long
            return Reply(200, "<html><head><title>Hanging</title></head><body><p>The text is here.</p>"
                              f"<img src='/slow?delay={q.get('delay', '8')}'></body></html>")
        if path == "/tall":  # 3,000 CSS pixels of page: a full-page screenshot is that tall
            return Reply(200, "<html><head><title>Tall</title></head><body style='margin:0'>"
                              "<div style='height:3000px;background:linear-gradient(#fff,#36c)'>top</div></body></html>")
        if path.startswith("/hops/"):
            n = int(path.rsplit("/", 1)[-1])
            return _redirect(302, f"/hops/{n - 1}") if n > 0 else Reply(200, page("Landed", "after hops"))
        if path.startswith("/ratelimit/"):  # 429 until `after` seconds since the first hit
            after = q.get("after", "1")
            if self._stateful_first(path) < float(after):
                return Reply(429, "slow down", [("Retry-After", after)])
            return Reply(200, page("Finally", "served"))
        if path == "/hostile":  # a page whose title is markup: reports must show it as text
            return Reply(200, page(HOSTILE_TITLE, "A page with a hostile title."))
        if path.startswith("/drift/"):  # different text on every hit: content drift between checks
            n = self._count(path)
            return Reply(200, page(f"Version {n}", f"Entirely new wording number {n} " * 3 + "x" * n, repeat=2))
        if path.startswith("/breaks/"):  # 200 on the first hit, 404 after: newly broken in a second run
            if self._count(path) <= 1:
                return Reply(200, page("Still here", "for now"))
            return Reply(404, page("404 Not Found", "Not found"))
        if path.startswith("/flaky/"):  # 503 for the first `fails` hits, then 200
            if self._count(path) <= int(q.get("fails", 1)):
                return Reply(503, page("Service Unavailable", "Try later"))
            return Reply(200, page("Recovered", "served"))
        return Reply(404, page("404 Not Found", "Not found"))


class MutableSite:
    """A one-page site whose answer the test changes: for drift, death and revival."""

    def __init__(self):
        self.status, self.body = 200, b"<html><head><title>A</title></head><body><p>first text</p></body></html>"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path != "/doc":  # e.g. the soft-404 probe's random path
                    self.send_error(404)
                    return
                self.send_response(site.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(site.body)))
                self.end_headers()
                self.wfile.write(site.body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/doc"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_ports(n):
    """Ports on loopback where nothing listens: connection refused, as from a network that is down
    (names that do not exist would be the hosts' own answer: check/outage.py)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports
