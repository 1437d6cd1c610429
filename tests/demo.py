"""The offline demo: `python -m tests.demo` from a clone, after `pip install -e .`.

It starts the test suite's loopback web (tests/web.py) and fake Wayback Machine
(tests/fakewayback.py) on 127.0.0.1, writes a small document citing them (a live page, a page that
is gone, a soft 404, a redirect, a bot wall, a parked domain, and a URL that print damaged), and
runs the real `archiver run` on it as a separate process, with the flags a run against local servers
needs. Nothing leaves the machine. The document, archiver.toml and archive.db stay in `--dir` (a
temporary directory by default) for you to try the other commands on while the servers are gone:
`archiver report`, `archiver export`, `sqlite3 archive.db`.

Exit status: 0 when the run ended as designed (exit 1: the document cites broken links on purpose),
else archiver's own.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.fakewayback import FakeWayback
from tests.web import TestWeb

# Fake keys: the fake Wayback Machine only wants SPN2's Authorization header to be present.
DEMO_KEYS = {"IA_ACCESS_KEY": "demo-access-key", "IA_SECRET_KEY": "demo-secret-key"}

# Pacing for a server on this machine; the real Wayback Machine gets the defaults (6 saves a minute).
CONFIG = """\
# the demo's settings: a fast local fake Wayback Machine, so no pacing or waiting
saves_per_minute = 600
cdx_per_minute = 6000
poll_interval = 0.2
poll_timeout = 20
"""


def document(web: TestWeb) -> str:
    """Eight numbered notes; note 2 carries an access date, note 7 is damaged as print damages it."""
    return ("Notes\n\n"
            f"1. Smith, J. On broken links. {web.url('/ok')}\n"
            f"2. Ministry report (2020), {web.url('/gone')}, accessed 12 January 2021.\n"
            f"3. Ministry news, {web.url('/soft404-ru')}\n"
            f"4. The study, {web.url('/moved')}\n"
            f"5. Press release, {web.url('/challenge')}\n"
            f"6. Old project site, {web.url('/parked')}\n"
            f"7. Annual report, {web.url('/page/annual–report')}\n"
            f"8. Statistics, {web.url('/page/2021')}\n")


def seed(wayback: FakeWayback, web: TestWeb) -> None:
    """Captures the Wayback Machine already holds: three of the gone page, one of the soft 404."""
    gone = web.url("/gone")
    for timestamp in ("20201201000000", "20210110120000", "20210115000000"):
        wayback.seed(gone, timestamp)
    wayback.seed(web.url("/soft404-ru"), "20190101000000")


def run_demo(workdir: Path, out=sys.stdout) -> int:
    """Serve, write, run; returns archiver's exit code."""
    with TestWeb() as web, FakeWayback(clock=time.time) as wayback:
        seed(wayback, web)
        notes = workdir / "notes.txt"
        notes.write_text(document(web), encoding="utf-8")
        (workdir / "archiver.toml").write_text(CONFIG, encoding="utf-8")
        argv = ["archiver", "run", "notes.txt", "--db", "archive.db", "--allow-private",
                "--wayback-url", wayback.base_url]
        print(f"local web on {web.url('/')}, fake Wayback Machine on {wayback.base_url}", file=out)
        print(f"in {workdir}: notes.txt, archiver.toml\n", file=out)
        print(notes.read_text(encoding="utf-8"), file=out)
        print(f"$ {shlex.join(argv)}", file=out, flush=True)
        env = {**os.environ, **DEMO_KEYS, "NO_PROXY": "127.0.0.1"}
        command = [sys.executable, "-m", "archiver", *argv[1:]]
        done = subprocess.run(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        print(f"exit {done.returncode}", file=out, flush=True)
        return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="where to write notes.txt and archive.db (default: a new temporary directory)")
    args = parser.parse_args(argv)
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="archiver-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    code = run_demo(workdir.resolve())
    if code in (0, 1):
        print(f"\nThe run ended as designed (exit 1: this document cites broken links on purpose).\n"
              f"Try: cd {workdir} && archiver report --format html -o report.html", flush=True)
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
