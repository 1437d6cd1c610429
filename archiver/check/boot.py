"""The entry point of a check worker process: bind the worker's life to its parent's, then import the rest.

Why: a spawned worker is a fresh interpreter that must import httpx and archiver (about
0.6 s, several seconds on a loaded machine) and unpickle its settings. A worker that began to
watch its parent only after that could outlive a parent killed during its start-up by as long.
This module imports nothing but the standard library (`archiver/__init__.py` imports lazily), and
the parent sends the settings as bytes, so the watch begins within milliseconds of the
interpreter starting, before anything heavy:
- on Linux, prctl(PR_SET_PDEATHSIG, SIGKILL): the kernel kills the worker the moment its parent
  dies, even while the worker holds the GIL in a long C call (a regex over a 50 MiB page);
- everywhere, a thread waiting on the parent's sentinel ends the process when it is gone.
The kernel's signal follows the parent *thread* that started the worker: check_urls_in_processes
starts them from the thread running its event loop, which outlives them. Both also hold when the
parent died before they were armed: the sentinel is then readable at
once, and a changed parent pid after prctl means the parent is already gone.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
from multiprocessing.connection import wait

__all__ = ["ORPHAN_EXIT", "exit_with_parent", "worker"]

ORPHAN_EXIT = 70  # a worker's exit code when its parent died
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def worker(settings: bytes, inbox, conn) -> None:
    """The target of a check worker process (`settings`: a pickled FetchSettings)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    exit_with_parent()
    from .worker import worker_main  # the heavy imports, only now

    worker_main(settings, inbox, conn)


def exit_with_parent() -> None:
    """End this process at once when its parent process is gone (SIGKILL included)."""
    parent = mp.parent_process()
    if parent is None:
        return
    _die_with_parent(parent.pid)

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(ORPHAN_EXIT)

    threading.Thread(target=watch, daemon=True, name="archiver-parent-watch").start()


def _die_with_parent(parent_pid: int | None) -> None:
    """Linux: ask the kernel for SIGKILL when the parent dies. Elsewhere, or if prctl is not
    there, the sentinel watch alone does it."""
    if not sys.platform.startswith("linux") or parent_pid is None:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # it died before the signal was armed: we were reparented
        os._exit(ORPHAN_EXIT)

