#!/usr/bin/env python3
"""Growth of `archiver lint`: time on 1, 4 and 16 MB single-line inputs (linear time is the claim),
and peak memory of the whole CLI on the 100,000-note document in each output format.

    python benchmarks/lint_growth.py              # both parts
    python benchmarks/lint_growth.py --sizes 1 4  # MB, time only
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def single_line(mb: int, path: Path) -> None:
    """Prose with a damaged URL every ~200 bytes, on one line."""
    unit = ("Observers were barred from the polling station, says https://kaztag.kz/ru/news/na–vybory–v–mazhilis "
            "and the commission did not answer. ")
    path.write_text(unit * (mb * 1_000_000 // len(unit.encode("utf-8"))), encoding="utf-8")


def timed(path: Path) -> tuple[float, int]:
    from archiver.lint import lint_paths

    start = time.perf_counter()
    (doc,) = list(lint_paths([str(path)]))
    return time.perf_counter() - start, len(doc.repaired)


def peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of a child process, output to /dev/null."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1, 4, 16])
    ap.add_argument("--notes", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    print("| single line | seconds | citations | s per MB |\n|---|---|---|---|")
    for mb in args.sizes:
        p = tmp / f"line-{mb}.txt"
        single_line(mb, p)
        secs, n = timed(p)
        print(f"| {mb} MB | {secs:.2f} | {n:,} | {secs / mb:.2f} |", flush=True)
    if args.notes:
        from lint_bench import make_document

        doc = tmp / "notes.txt"
        make_document(args.notes, doc)
        print(f"\n| output ({args.notes:,} notes) | seconds | peak RSS MB |\n|---|---|---|")
        for fmt in ("text", "json", "csv", "markdown", "html"):
            secs, rss = peak_rss_mb([sys.executable, "-m", "archiver", "lint", str(doc), "--format", fmt])
            print(f"| {fmt} | {secs:.1f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
