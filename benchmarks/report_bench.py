#!/usr/bin/env python3
"""Seconds of CPU to render `archiver report` for a large document, per format.

The document is lint_bench's (the reference notes repeated with fresh numbers, a third needing
repairs), recorded into a fresh archive.db with `run --lint-only` (nothing fetched: the report's
query still joins checks, drift and captures for every citation). CPU time, not wall time, so a
busy machine does not inflate the figures.

    python benchmarks/report_bench.py              # 20,000 notes
    python benchmarks/report_bench.py -n 50000
    python benchmarks/report_bench.py --results    # ... and replace its section of benchmarks/RESULTS.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archiver import api  # noqa: E402
from archiver.report.render import REPORT_FORMATS, renderer  # noqa: E402
from benchmarks.lint_bench import make_document  # noqa: E402
from benchmarks.results import write_section  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=20_000, help="notes in the document")
    parser.add_argument("--results", action="store_true", help="also write the figures into benchmarks/RESULTS.md")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    doc = folder / "notes.txt"
    make_document(args.n, doc)
    settings = api.load_settings(environ={}, db=str(folder / "archive.db"))
    api.run([str(doc)], settings, lint_only=True)
    lines = [f"{args.n:,} notes; CPU seconds to render the whole report (summary pass + rows pass), output size:"]
    print(lines[0])
    for fmt in REPORT_FORMATS:
        start = time.process_time()
        size = sum(len(chunk) for chunk in renderer(fmt)(api.report([str(doc)], settings)))
        spent = time.process_time() - start
        lines.append(f"  {fmt:<9} {spent:6.2f} s  {size / 2**20:6.1f} MiB  {spent / args.n * 1e6:5.0f} µs/note")
        print(lines[-1])
    if args.results:
        write_section(f"report_bench n={args.n}", f"python benchmarks/report_bench.py -n {args.n}",
                      "```\n" + "\n".join(lines) + "\n```")


if __name__ == "__main__":
    main()
