"""Peak memory of `archiver check` under attack: 50 MiB pages and gzip bombs over many ports.

    .venv/bin/python benchmarks/attack_bench.py                 # 40 and 200 URLs, 1 and 2 processes
    .venv/bin/python benchmarks/attack_bench.py --urls 100 --processes 2
    .venv/bin/python benchmarks/attack_bench.py --urls 120 --processes 1 --body-budget 64  # MiB

A hostile server in this process listens on 25 ports of 127.0.0.1 (25 "hosts"). Half the URLs are
50 MiB HTML pages (each different, served as fast as loopback allows), half are gzip bombs
(256 MiB of zeros in ~250 KB). archiver runs at its defaults (`--allow-private` only; its body
cap, max_body, is 50 MiB of DECODED bytes), as a child process; its memory is the peak of PSS
summed over its process tree (benchmarks/check_bench.py). The bound to meet: memory does not grow
with the number of large bodies nor with the concurrency, only with the byte budget for bodies in
flight (`body_budget`, check/budget.py). Every path answers the same page, so the big pages are
`soft-404` (the probe matches) and the bombs `ok`, in every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bench import ARCHIVER, byte_compile, timed  # noqa: E402

MIB = 1024 * 1024


def _bomb(decoded: int = 256 * MIB) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    return b"".join(z.compress(zeros) for _ in range(decoded // MIB)) + z.flush()


class HostileWeb:
    """50 MiB pages at /big/<n>, gzip bombs at /bomb/<n>, on `ports` ports; in a thread."""

    def __init__(self, ports: int = 25):
        self.count = ports
        self.ports: list[int] = []
        self.bomb = _bomb()
        self.chunk = (b"<p>" + b"lorem ipsum dolor sit amet " * 37 + b"</p>\n") * 1024  # ~1 MiB of HTML
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True).start()
        self._ready.wait(30)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        servers = [await asyncio.start_server(self._serve, "127.0.0.1", 0) for _ in range(self.count)]
        self.ports = [s.sockets[0].getsockname()[1] for s in servers]
        self._ready.set()
        await self._stop.wait()

    def stop(self) -> None:
        if self._loop:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                if path.startswith("/bomb/"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                                 b"Content-Length: %d\r\n\r\n" % len(self.bomb) + self.bomb)
                else:
                    unique = f"<html><head><title>Big page {path}</title></head><body>".encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n"
                                 % (len(unique) + 50 * len(self.chunk)) + unique)
                    for _ in range(50):
                        writer.write(self.chunk)
                        await writer.drain()
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # the client stopped reading at its cap and closed: what we want to see
        finally:
            writer.close()


def run(web: HostileWeb, n: int, processes: int, work: Path, body_budget: int | None = None) -> dict:
    if body_budget is not None:  # archiver reads archiver.toml from its working directory
        (work / "archiver.toml").write_text(f"[check]\nbody_budget = {body_budget * MIB}\n")
    urls = [f"http://127.0.0.1:{web.ports[i % len(web.ports)]}/{('big', 'bomb')[i % 2]}/{i}" for i in range(n)]
    (work / "urls.txt").write_text("\n".join(urls) + "\n")
    db = work / f"attack-{n}-{processes}.db"
    cmd = [ARCHIVER, "check", str(work / "urls.txt"), "--db", str(db), "--allow-private",
           "--processes", str(processes), "--format", "json"]
    row = timed(cmd, work, f"attack-{n}-{processes}")
    out = json.loads((work / f"attack-{n}-{processes}.stdout").read_text() or "{}")
    statuses: dict[str, int] = {}
    for r in out.get("results", []):
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    return {"urls": n, "processes": processes, "body_budget_mib": body_budget or 256, **row, "statuses": statuses}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--urls", type=int, nargs="+", default=[40, 200])
    p.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    p.add_argument("--ports", type=int, default=25)
    p.add_argument("--body-budget", type=int, help="MiB of bodies in flight (default: archiver's, 256)")
    a = p.parse_args(argv)
    byte_compile()  # time archiver as installed (installed.py)
    web = HostileWeb(a.ports)
    rows = []
    with tempfile.TemporaryDirectory(prefix="archiver-attack-") as tmp:
        for n in a.urls:
            for processes in a.processes:
                rows.append(run(web, n, processes, Path(tmp), a.body_budget))
                print(json.dumps(rows[-1]), file=sys.stderr)
    web.stop()
    print(f"{a.ports} ports, half 50 MiB pages and half gzip bombs (256 MiB decoded), archiver check at defaults\n")
    print("| URLs | processes | body_budget MiB | wall s | CPU s | peak PSS MB (all processes) | statuses |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
        print(f"| {r['urls']} | {r['processes']} | {r['body_budget_mib']} | {r['wall_s']} | {r['cpu_s']} | {r['pss_mb']} | {statuses} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
