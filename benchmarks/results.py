"""Keep benchmarks/RESULTS.md current: a script run with `--results` replaces its own section there.

A section lies between `<!-- results: NAME -->` and `<!-- results: NAME end -->`; a new NAME is
added at the end of the file. Each section says when, on what and how it was measured, so a figure
is never read without its conditions.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def provenance() -> str:
    """When, which code, which machine: the line each generated section starts with."""
    root = Path(__file__).parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "n/a"
    return (f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} at {commit}, Python "
            f"{platform.python_version()}, {os.cpu_count()} cores, load average {load} when written.")


def write_section(name: str, command: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or add) the section NAME with `body`, headed by the command that produced it."""
    begin, end = f"<!-- results: {name} -->", f"<!-- results: {name} end -->"
    block = f"{begin}\n`{command}`\n\n{provenance()}\n\n{body.strip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"{path}: section {name!r} written", file=sys.stderr)
