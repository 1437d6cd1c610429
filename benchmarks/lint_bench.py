#!/usr/bin/env python3
"""Citations per second of `archiver lint` on a generated 100,000-note document, side by side with
linkify-it-py's extraction on the same text, in one run.

The document repeats the reference report's 29 notes (damage included) with fresh note numbers, so
a third of the notes need repairs. archiver is timed end to end through the library (read, extract,
repair every URL, document-level duplicate and candidate inference); linkify-it-py only finds links
(it repairs nothing). Both are timed over the same file, best of --repeat runs.

    python benchmarks/lint_bench.py            # 100,000 notes
    python benchmarks/lint_bench.py -n 20000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def make_document(n: int, path: Path) -> None:
    notes = (REPO / "tests/fixtures/kazakhstan-2021-notes.txt").read_text(encoding="utf-8").splitlines()
    bodies = [re.sub(r"^\s*\d+\.\s+", "", ln) for ln in notes if ln.strip()]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Notes:\n\n")
        for i in range(n):
            body = bodies[i % len(bodies)]
            # vary the URLs so duplicates are rare, as in a real bibliography
            body = body.replace(".html", f"-{i}.html").replace("/news/", f"/news/{i}/")
            fh.write(f"  {i + 1}. {body}\n")


def bench_archiver(path: Path) -> tuple[float, int]:
    from archiver.lint.run import lint_paths

    t = time.perf_counter()
    (doc,) = list(lint_paths([str(path)]))
    return time.perf_counter() - t, sum(1 for r in doc.repaired if r.citation.raw)


def bench_linkify(path: Path) -> tuple[float, int]:
    from linkify_it import LinkifyIt

    linkify = LinkifyIt()
    t = time.perf_counter()
    text = path.read_text(encoding="utf-8")
    found = 0
    for line in text.splitlines():  # per note, as a citation extractor would
        matches = linkify.match(line)
        found += len(matches or ())
    return time.perf_counter() - t, found


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100_000, help="notes in the document (default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is reported")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "notes.txt"
        make_document(args.n, path)
        size = os.path.getsize(path) / 1e6
        rows = []
        for name, fn in (("archiver lint (extract + repair)", bench_archiver),
                         ("linkify-it-py 2.x (extract only)", bench_linkify)):
            best, count = min(fn(path) for _ in range(args.repeat))
            rows.append((name, best, count))
    print(f"document: {args.n} notes, {size:.1f} MB; best of {args.repeat}; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print("| tool | seconds | URLs found | URLs/s |")
    print("|---|---|---|---|")
    for name, secs, count in rows:
        print(f"| {name} | {secs:.2f} | {count} | {count / secs:,.0f} |")
    ratio = rows[1][1] / rows[0][1]
    print(f"\narchiver is {ratio:.2f}x linkify-it-py's speed while repairing; peak RSS {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
