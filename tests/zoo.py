"""A server zoo on loopback: servers that answer as real ones do, byte for byte, and a forward proxy.

`Zoo` answers each request path with the raw bytes registered for it (`zoo.add(path, raw)`, or a
function of the request head): legacy framings, stacked encodings, junk after a response. It keeps
every request head it read (`zoo.heads`) and counts connections.

`ForwardProxy` is an HTTP forward proxy that logs every request (`proxy.log`: ("GET", absolute URL)
or ("CONNECT", "host:port"), and the Proxy-Authorization it got), each request a client sends on a
connection it keeps alive too. It resolves names through its own
table (`hosts`, default: everything to 127.0.0.1), as a proxy on another network would.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

Raw = bytes | Callable[[bytes], bytes]


def private_ca(where: Path, *names: str) -> tuple[Path, ssl.SSLContext]:
    """A CA of the test's own (trustme; its PEM written to where/ca.pem) and a server context with a
    certificate it issued for `names` (default: pinned.example and localhost)."""
    import trustme

    ca = trustme.CA()
    pem = where / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("pinned.example", "localhost"))).configure_cert(server)
    return pem, server


class _Threaded:
    """An asyncio server in a thread: `with X() as x:` starts it, x.port is its port."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self.port = 0
        self.bind = "127.0.0.1"  # the address listened on (set before entering: "::1" for IPv6)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, self.bind, 0,
                                                                          ssl=self._ssl(), limit=1 << 20))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def _ssl(self) -> ssl.SSLContext | None:
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.run_until_complete(asyncio.sleep(0))  # the cancelled handlers finish
        self._loop.close()


class Zoo(_Threaded):
    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.routes: dict[str, Raw] = {}
        self.default: Raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"  # any other path
        self.heads: list[bytes] = []
        self.connections = 0
        self._context = ssl_context

    def _ssl(self) -> ssl.SSLContext | None:
        return self._context

    def add(self, path: str, raw: Raw) -> str:
        self.routes[path] = raw
        return path

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{'https' if self._context else 'http'}://{host}:{self.port}{path}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                path = head.split(b" ", 2)[1].decode()
                raw = self.routes.get(path, self.default)
                data = raw(head) if callable(raw) else raw
                writer.write(data)
                await writer.drain()
                if (b"connection: close" in data.split(b"\r\n\r\n", 1)[0].lower() or data.startswith(b"HTTP/1.0")
                        or b"\r\nconnection: close\r\n" in head.lower()):  # as servers do, for either side
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()


class ForwardProxy(_Threaded):
    """`log`: (method, target) of every request, `auth` its Proxy-Authorization, `agents` its User-Agent.
    With `password` ("user:password"), a request without those credentials is answered 407; with `refuse`,
    every request is answered with those bytes."""

    def __init__(self, hosts: dict[str, str] | None = None, password: str | None = None,
                 refuse: bytes | None = None) -> None:
        super().__init__()
        self.hosts = hosts or {}
        self.refuse = refuse  # the proxy's own answer to every request (a 403 by its rules, a 502), logged
        self.log: list[tuple[str, str]] = []
        self.auth: list[str | None] = []
        self.agents: list[str | None] = []
        self.wanted = "Basic " + base64.b64encode(password.encode()).decode() if password else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _address(self, host: str) -> str:
        return self.hosts.get(host, "127.0.0.1")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Every request on a client's connection is logged: a plain request goes upstream on a connection
        of its own (Connection: close) and its answer comes back whole; a CONNECT becomes a tunnel."""
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
                lines = [ln for ln in head.decode("latin-1").split("\r\n")[1:] if ln]
                auth = [ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("proxy-authorization:")]
                self.log.append((method, target))
                self.auth.append(auth[0] if auth else None)
                self.agents.append(next((ln.split(":", 1)[1].strip() for ln in lines
                                         if ln.lower().startswith("user-agent:")), None))
                if self.wanted and self.auth[-1] != self.wanted:
                    writer.write(b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="zoo"'
                                 b"\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                if self.refuse is not None:
                    writer.write(self.refuse)
                    await writer.drain()
                    return
                if method == "CONNECT":
                    host, _, port = target.rpartition(":")
                    up_reader, up_writer = await asyncio.open_connection(self._address(host.strip("[]")), int(port))
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
                    return
                if not await self._forward(method, target, lines, reader, writer):
                    return
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, OSError):
            pass
        finally:
            writer.close()

    async def _forward(self, method: str, target: str, lines: list[str], reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> bool:
        """One plain request upstream and its answer back; whether the client's connection stays open."""
        parts = urlsplit(target)
        up_reader, up_writer = await asyncio.open_connection(self._address(parts.hostname or ""), parts.port or 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kept = [ln for ln in lines if not ln.lower().startswith(("proxy-", "connection:"))]
        length = next((int(ln.split(":", 1)[1]) for ln in kept if ln.lower().startswith("content-length:")), 0)
        up_writer.write((f"{method} {path} HTTP/1.1\r\n" + "".join(f"{ln}\r\n" for ln in kept)
                         + "Connection: close\r\n\r\n").encode("latin-1") + await reader.readexactly(length))
        answer = await up_reader.read()  # to the upstream's close: the whole answer, however framed
        up_writer.close()
        writer.write(answer)
        await writer.drain()
        head = answer.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0].lower()
        return not (head.startswith(b"http/1.0") or b"connection: close" in head or b"content-length" not in head
                    and b"transfer-encoding" not in head)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
