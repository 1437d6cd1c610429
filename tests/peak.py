"""The peak resident size of one `archiver` run, read by the process itself at exit.

Why not the process's own ru_maxrss: Linux folds the high-water mark of the address space a process
gives up at exec into its ru_maxrss (fs/exec.c, exec_mmap), and subprocess starts a child with vfork
or fork, so that address space is the test process's. A child started by a pytest process that has
grown to 400 MB over the whole suite reported at least 400 MB however little it used itself: this is
why the hostile-server suite measured 236-247 MB alone and 402-413 MB inside the whole run
(benchmarks/lint_growth.py works around the same). VmHWM in /proc/self/status is the high-water mark of
the address space the process has had since its exec, its own alone.

The check workers are counted through RUSAGE_CHILDREN: what a worker inherits at exec is archiver's
own size when it started them (never the test process's), and archiver's own peak is counted anyway.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_WRAPPER = ("import atexit, resource, runpy, sys\n"
            "def peak():\n"
            "    with open('/proc/self/status') as status:\n"
            "        own = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))\n"
            "    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "    print(f'peak-rss-kb {max(own, child)}', file=sys.stderr)\n"
            "atexit.register(peak)\n"
            "sys.argv[0] = 'archiver'\n"
            "runpy.run_module('archiver', run_name='__main__', alter_sys=True)\n")


def run_archiver(*args: str, timeout: float, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, int]:
    """Run `archiver *args` in a fresh interpreter: (the finished process, its peak resident size in kB,
    the largest of its own and its workers')."""
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    peak = [int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("peak-rss-kb ")]
    assert peak, proc.stderr
    return proc, peak[0]
