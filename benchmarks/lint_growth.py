#!/usr/bin/env python3
"""Growth of `archiver lint`: time on 1, 4 and 16 MB single-line inputs (linear time is the claim),
and peak memory of the whole CLI on the 100,000-note document in each output format.

Peak memory is the child process's peak RSS (`wait4`'s ru_maxrss: interpreter, imports, data), with
its output written to /dev/null; `archiver --help` gives the floor (interpreter and imports alone).
Seconds and CPU seconds are of the same child.

    python benchmarks/lint_growth.py              # both parts
    python benchmarks/lint_growth.py --sizes 1 4  # MB, time only
    python benchmarks/lint_growth.py --sizes --notes 20000
    python benchmarks/lint_growth.py --sizes --notes 0 --urls 10000 20000 40000  # URLs alone on one line

The --urls part is `archiver lint --format json` on one line holding only URLs (minified HTML and
exported bibliographies look so): each citation's context used to be the whole line, which made the
output, and the time, grow with the square of the URLs (40,000 took 296 s). tests/test_linear.py
counts the work; this times it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from installed import byte_compile  # noqa: E402


def single_line(mb: int, path: Path) -> None:
    """Prose with a damaged URL every ~200 bytes, on one line."""
    unit = ("Observers were barred from the polling station, says https://kaztag.kz/ru/news/na–vybory–v–mazhilis "
            "and the commission did not answer. ")
    path.write_text(unit * (mb * 1_000_000 // len(unit.encode("utf-8"))), encoding="utf-8")


def timed(path: Path) -> tuple[float, int]:
    """Seconds to lint and render (as `archiver lint` does, output discarded), and the citations."""
    from archiver.lint.run import LintStream
    from archiver.report.results import lint_lines

    start = time.perf_counter()
    stream = LintStream([str(path)])
    for _ in lint_lines(stream, stream.summary):
        pass
    return time.perf_counter() - start, stream.summary()["citations"]


# Linux hands a child the peak RSS of the process that forked it (at exec), so a child forked by this
# process, which has just linted 16 MB, would report at least that. A fresh, small Python starts it.
_WRAPPER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
"""


def child(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MB) of a child process, output to /dev/null."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True, check=True)
    wall, cpu, rss = map(float, out.stdout.split())
    return wall, cpu, rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1, 4, 16])
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--urls", type=int, nargs="*", default=[])
    args = ap.parse_args()
    byte_compile()  # time archiver as installed (installed.py)
    tmp = Path(tempfile.mkdtemp())
    if args.sizes:
        print("| single line | seconds | citations | s per MB |\n|---|---|---|---|")
    for mb in args.sizes:
        p = tmp / f"line-{mb}.txt"
        single_line(mb, p)
        secs, n = timed(p)
        print(f"| {mb} MB | {secs:.2f} | {n:,} | {secs / mb:.2f} |", flush=True)
    if args.urls:
        print("\n| URLs on one line | seconds | CPU seconds | output MB |\n|---|---|---|---|")
    for n in args.urls:
        p = tmp / f"urls-{n}.txt"
        p.write_text(" ".join(f"https://site{i}.org/path/{i}/page" for i in range(n)) + "\n", encoding="utf-8")
        secs, cpu, _ = child([sys.executable, "-m", "archiver", "lint", str(p), "--format", "json"])
        out = subprocess.run([sys.executable, "-m", "archiver", "lint", str(p), "--format", "json"],
                             capture_output=True, check=False).stdout
        print(f"| {n:,} | {secs:.1f} | {cpu:.1f} | {len(out) / 1e6:.1f} |", flush=True)
    if args.notes:
        from lint_bench import make_document

        doc = tmp / "notes.txt"
        make_document(args.notes, doc)
        cli = [sys.executable, "-m", "archiver"]
        _, _, floor = child([*cli, "--help"])
        print(f"\n| output ({args.notes:,} notes, {doc.stat().st_size / 1e6:.1f} MB) | seconds | CPU seconds | "
              f"peak RSS MB |\n|---|---|---|---|\n| (`archiver --help`: interpreter and imports) | | | {floor:.0f} |")
        for fmt in ("text", "json", "csv", "markdown", "html"):
            secs, cpu, rss = child([*cli, "lint", str(doc), "--format", fmt])
            print(f"| {fmt} | {secs:.1f} | {cpu:.1f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
