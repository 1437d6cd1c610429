"""A hostile web server on loopback: what archiver must survive when it fetches whatever a document cites.

One asyncio server in a thread, speaking raw bytes so it can break HTTP on purpose, plus an optional
TLS listener whose certificate (made by `trustme`) no public CA signed. Every behaviour is a path:

  /dribble-headers   the status line and headers one byte every `every` seconds, never finished
  /dribble-body      honest headers, then the body one byte every `every` seconds
  /stall             accepts and never answers
  /loop              a redirect loop (302 to itself with a counter that cycles)
  /chain/N           N redirects in a row before a page
  /garbage           words that look like DNS/TLS errors, then random bytes, instead of HTTP
  /bad-status        a status line that is not HTTP ("HTTP/1.1 2x0 OK")
  /bad-length        Content-Length: -1
  /short             Content-Length promises more than is sent, then the connection closes
  /bad-chunked       a chunked body with a chunk size that is not hex
  /huge-header       one 1 MiB header line
  /many-headers      100,000 header lines
  /huge?mib=N        an N MiB page (default 60), streamed
  /bomb/gzip|deflate|br  256 MiB of zeros as a compression bomb
  /charset/NAME?where=header|meta  a page declaring charset NAME
  /page/...          an ordinary page; on the host's probe path (/archiver-probe-*) headers are
                     dribbled when the server was made with `dribble_probe=True`

A server made with `catch_all=N` answers EVERY path, the probe's included, with the same N MiB page
of words (its title names the path), `rate` bytes a second: a site that serves one page for
everything, under load (benchmarks/attack_bench.py).
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import threading
import zlib
from urllib.parse import parse_qs, urlsplit

PAGE = ("<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1>"
        + "<p>An ordinary article with enough text to be judged as a real page, about {title}.</p>" * 8
        + "</body></html>")


def _head(status: str, headers: list[tuple[str, str]]) -> bytes:
    return (f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


@functools.cache
def _bomb(kind: str, mib: int = 256) -> bytes:
    """`mib` MiB of zeros compressed with gzip, deflate or br (built once per server; about 1 MB)."""
    chunk = b"\0" * (1 << 20)
    if kind == "br":
        import brotli

        comp = brotli.Compressor(quality=5)
        return b"".join(comp.process(chunk) for _ in range(mib)) + comp.finish()
    comp = zlib.compressobj(1, zlib.DEFLATED, 31 if kind == "gzip" else 15)
    return b"".join(comp.compress(chunk) for _ in range(mib)) + comp.flush()


class HostileWeb:
    """`with HostileWeb() as web:` then `web.url("/garbage")`, `web.tls_url("/page/x")`."""

    __test__ = False

    def __init__(self, *, dribble_probe: bool = False, tls: bool = False, catch_all: int = 0, rate: int = 0):
        self.dribble_probe = dribble_probe
        self.catch_all, self.rate = catch_all, rate
        self.port = self.tls_port = 0
        self.ca = None
        self._tls = tls
        self._bombs: dict[str, bytes] = {}
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.probe_hits = 0
        self._error: BaseException | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def tls_url(self, path: str) -> str:
        return f"https://localhost:{self.tls_port}{path}"

    def __enter__(self) -> HostileWeb:
        self._thread = threading.Thread(target=self._thread_main, name="hostile-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(30) or self._error:
            raise RuntimeError(f"hostile web did not start: {self._error!r}")
        return self

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by __enter__
            self._error = exc
            self._ready.set()

    def __exit__(self, *exc) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        tasks: set[asyncio.Task] = set()

        async def handler(reader, writer):
            tasks.add(asyncio.current_task())
            try:
                await self._serve(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError, ssl.SSLError, OSError):
                pass
            finally:
                tasks.discard(asyncio.current_task())
                writer.transport.abort()

        servers = [await asyncio.start_server(handler, "127.0.0.1", 0)]
        self.port = servers[0].sockets[0].getsockname()[1]
        if self._tls:
            import trustme

            self.ca = trustme.CA()
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ca.issue_cert("localhost", "127.0.0.1").configure_cert(ctx)
            servers.append(await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ctx))
            self.tls_port = servers[1].sockets[0].getsockname()[1]
        for kind in ("gzip", "deflate", "br") if not self.catch_all else ():  # built before any request,
            self._bombs[kind] = await asyncio.to_thread(_bomb, kind)  # so no check waits for one
        self._ready.set()
        await self._stop.wait()
        for s in servers:
            s.close()
        for t in list(tasks):
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            parts = line.decode("latin-1").split()
            while await reader.readline() not in (b"\r\n", b"\n", b""):
                pass
            if len(parts) < 2:
                return
            url = urlsplit(parts[1])
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            if not await self._route(url.path, q, writer):
                return

    async def _dribble(self, writer, data: bytes, every: float) -> None:
        for i in range(len(data)):
            writer.write(data[i:i + 1])
            await writer.drain()
            await asyncio.sleep(every)

    async def _catch_all(self, path: str, writer) -> None:
        head = f"<html><head><title>Page {path}</title></head><body>".encode()
        chunk = (b"<p>" + b"lorem ipsum dolor sit amet " * 37 + b"</p>\n") * 64  # 64 KiB of words
        count = (self.catch_all << 20) // len(chunk)
        writer.write(_head("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(head) + count * len(chunk)))])
                     + head)
        for _ in range(count):
            writer.write(chunk)
            await writer.drain()
            if self.rate:
                await asyncio.sleep(len(chunk) / self.rate)

    async def _route(self, path: str, q: dict, writer) -> bool:  # noqa: C901 - one branch per behaviour
        every = float(q.get("every", 0.5))
        ok = lambda body, ctype="text/html; charset=utf-8": _head("200 OK", [  # noqa: E731
            ("Content-Type", ctype), ("Content-Length", str(len(body)))]) + body
        if path.startswith("/archiver-probe-"):
            self.probe_hits += 1
        if self.catch_all:
            await self._catch_all(path, writer)
        elif path.startswith("/archiver-probe-"):
            if self.dribble_probe:
                await self._dribble(writer, _head("404 Not Found", [("Content-Length", "0")]) * 1000, every)
                return False
            writer.write(_head("404 Not Found", [("Content-Length", "0")]))
        elif path == "/dribble-headers":
            await self._dribble(writer, _head("200 OK", [("X-Pad", "a" * 10_000)]), every)
            return False
        elif path == "/dribble-body":
            body = PAGE.format(title="dribbled").encode() * 10
            writer.write(_head("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]))
            await self._dribble(writer, body, every)
            return False
        elif path == "/stall":
            await asyncio.sleep(3600)
        elif path == "/loop":
            n = (int(q.get("n", 0)) + 1) % 3
            writer.write(_head("302 Found", [("Location", f"/loop?n={n}"), ("Content-Length", "0")]))
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            if n > 0:
                writer.write(_head("302 Found", [("Location", f"/chain/{n - 1}"), ("Content-Length", "0")]))
            else:
                writer.write(ok(PAGE.format(title="end of the chain").encode()))
        elif path == "/garbage":
            # words the checker must not read as a DNS or TLS failure, then noise
            writer.write(b"SSL TLS CERTIFICATE_VERIFY Name or service not known\r\n" + os.urandom(4096))
            return False
        elif path == "/bad-status":
            writer.write(b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok")
        elif path == "/bad-length":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: -1\r\n\r\nhello")
            return False
        elif path == "/short":
            writer.write(_head("200 OK", [("Content-Type", "text/html"), ("Content-Length", "100000")]) + b"<html>cut")
            await writer.drain()
            return False
        elif path == "/bad-chunked":
            writer.write(_head("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
                         + b"zz\r\nhello\r\n0\r\n\r\n")
            return False
        elif path == "/huge-header":
            writer.write(_head("200 OK", [("X-Huge", "h" * (1 << 20)), ("Content-Length", "2")]) + b"ok")
        elif path == "/many-headers":
            writer.write(_head("200 OK", [(f"X-H{i}", "v") for i in range(100_000)] + [("Content-Length", "2")])
                         + b"ok")
        elif path == "/huge":
            mib = int(q.get("mib", 60))
            writer.write(_head("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(mib << 20))]))
            chunk = (b"<p>" + b"x" * 1017 + b"</p>\n") * 1024
            for _ in range(mib):
                writer.write(chunk)
                await writer.drain()
        elif path.startswith("/bomb/"):
            kind = path.rsplit("/", 1)[1]
            body = self._bombs[kind]
            writer.write(_head("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", kind),
                                          ("Content-Length", str(len(body)))]) + body)
        elif path.startswith("/charset/"):
            name = path.rsplit("/", 1)[1]
            page = PAGE.format(title="Новости дня").encode()
            if q.get("where") == "meta":
                writer.write(ok(f"<meta charset='{name}'>".encode() + page, "text/html"))
            else:
                writer.write(ok(page, f"text/html; charset={name}"))
        elif path.startswith("/page/"):
            writer.write(ok(PAGE.format(title=path).encode()))
        else:
            writer.write(_head("404 Not Found", [("Content-Length", "0")]))
        await writer.drain()
        return True
