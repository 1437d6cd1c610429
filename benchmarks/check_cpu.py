"""Where `archiver check`'s CPU goes, in CPU seconds (not sampled wall time), on the check_bench web.

    .venv/bin/python benchmarks/check_cpu.py            # N=2000, latency 10 ms, 3 rounds

1. fixed cost: the whole CLI on ONE URL (Python, imports, archive.db, lint, report), median;
2. the same 2,000 URLs through `check_urls` in this process (guard, host gates, probe, page
   analysis, verdict), against a bare GET loop on aiohttp (the checker's HTTP, check/http/) with the
   same 64 in flight that only reads each body and follows redirects: what HTTP alone costs in this
   process model;
3. the synchronous stages of one whole-CLI run (tuned), timed with process_time around each call.
CPU of a subprocess is user + system from /usr/bin/time; in-process figures are process_time.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import check_bench as cb


async def _checker(urls: list[str]) -> float:
    from archiver.check.fetch import FetchSettings, check_urls, make_client

    fs = FetchSettings(concurrency=64, per_host=64, per_host_max=64, allow_private=True)
    async with make_client(fs) as client:
        started = time.process_time()
        async for _ in check_urls(client, urls, fs):
            pass
        return time.process_time() - started


async def _bare_aiohttp(urls: list[str]) -> float:
    """GETs only on a plain aiohttp session, 64 in flight: what HTTP alone costs."""
    import aiohttp
    import yarl

    todo = list(reversed(urls))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128), auto_decompress=False) as s:
        started = time.process_time()

        async def worker() -> None:
            while todo:
                url = todo.pop()
                for _ in range(12):
                    async with s.get(url, allow_redirects=False) as r:
                        await r.read()
                        if r.status == 429:
                            await asyncio.sleep(float(r.headers.get("retry-after", "1")))
                            continue
                        if r.status in (301, 302, 303, 307, 308) and "location" in r.headers:
                            url = str(r.url.join(yarl.URL(r.headers["location"])))
                            continue
                        break

        await asyncio.gather(*(worker() for _ in range(64)))
        return time.process_time() - started


def stages_main(argv: list[str]) -> None:
    """Run the CLI with process_time accumulators around its synchronous stages (a subprocess)."""
    import atexit

    from archiver import api
    from archiver.check import judge
    from archiver.cli import main as cli
    from archiver.store.sqlite import Store

    acc: dict[str, float] = {}

    def wrap(mod, name: str, label: str) -> None:
        f = getattr(mod, name)

        @functools.wraps(f)
        def timed(*a, **k):
            t = time.process_time()
            try:
                return f(*a, **k)
            finally:
                acc[label] = acc.get(label, 0.0) + time.process_time() - t
        setattr(mod, name, timed)

    for mod, name, label in [(api, "lint", "lint the document"),
                             (judge, "_analyse", "page analysis (decode, title, main text)"),
                             (judge, "classify_response", "verdict (classify_response)"),
                             (Store, "save_document", "record its citations (store thread)"),
                             (Store, "record_checks", "store the checks (store thread: SQLite, zlib)")]:
        wrap(mod, name, label)
    atexit.register(lambda: print("STAGES " + json.dumps(acc), file=sys.stderr))
    sys.argv = ["archiver", *argv]
    cli.main()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--port", type=int, default=18800)
    a = p.parse_args()
    cb.byte_compile()  # time archiver as installed (installed.py)
    out = Path(f"/tmp/archiver-bench/cpu{a.n}")
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(cb.BENCH / "make_urls.py"), "-n", str(a.n), "--port", str(a.port),
                    "--host-mode", "ips", "--out-dir", str(out)], check=True, stdout=subprocess.DEVNULL)
    urls = (out / "urls.txt").read_text().split()
    (out / "one.txt").write_text(urls[0] + "\n")
    fixed, checker, bare = [], [], []
    web = cb.MiniWeb(out, "cpu", a.port, 10, 200)
    try:
        for _ in range(a.rounds):
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(f"{out / 'one.db'}{suffix}").unlink(missing_ok=True)
            fixed.append(cb.timed([cb.ARCHIVER, "check", str(out / "one.txt"), "--db", str(out / "one.db"),
                                   "--allow-private", "--format", "json"], out, "one")["cpu_s"])
            checker.append(asyncio.run(_checker(urls)) / len(urls) * 1000)
            bare.append(asyncio.run(_bare_aiohttp(urls)) / len(urls) * 1000)
        cmd = cb.command("archiver", "tuned", out, 64)
        whole = cb.timed([sys.executable, __file__, "--stages", *cmd[1:]], out, "stages")
    finally:
        web.stop()
    stages = json.loads((out / "stages.stderr").read_text().split("STAGES ", 1)[1].splitlines()[0])
    print(f"N = {a.n}, latency 10 ms, {a.rounds} rounds, load average {cb.load()}")
    print(f"fixed cost of one run (one URL, whole CLI): {statistics.median(fixed):.2f} s CPU (median of {fixed})")
    print(f"check_urls in one process: {statistics.median(checker):.2f} ms CPU per URL; a bare GET loop on "
          f"aiohttp: {statistics.median(bare):.2f} ms per URL")
    print(f"one whole-CLI run (tuned): {whole['cpu_s']:.2f} s CPU = {whole['cpu_s'] / a.n * 1000:.2f} ms per URL, of which")
    for label, seconds in stages.items():
        print(f"  {seconds:5.2f} s  {label}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--stages"]:
        stages_main(sys.argv[2:])
    else:
        sys.exit(main())
