"""Processes as Linux shows them, for the tests that kill archiver and time how long its workers outlive it.

A process is held by a pidfd from the moment it is seen, so a reused pid cannot be mistaken for it,
and `Exits.wait` sleeps in poll(2) until one ends: the time is taken when the kernel reports the exit,
not at the next turn of a sampling loop.
"""

from __future__ import annotations

import contextlib
import os
import select
import time


def stat(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: state, ppid, ..."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children(pid: int) -> list[int]:
    return [int(e) for e in os.listdir("/proc") if e.isdigit() and (st := stat(int(e))) and int(st[1]) == pid]


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has exited, only not yet reaped)."""
    st = stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


class Exits:
    """The processes added, each held by a pidfd; `wait` times their ends."""

    def __init__(self) -> None:
        self.fds: dict[int, int] = {}

    def add(self, pid: int) -> None:
        if pid not in self.fds:
            with contextlib.suppress(ProcessLookupError):  # already gone and reaped: never seen, never counted
                self.fds[pid] = os.pidfd_open(pid)

    def wait(self, since: float, timeout: float) -> dict[int, float]:
        """Seconds from `since` (a time.monotonic()) to each process's end; the ones still running
        after `timeout` seconds are missing from the answer."""
        poller = select.poll()
        pids = {}
        for pid, fd in self.fds.items():
            poller.register(fd, select.POLLIN)
            pids[fd] = pid
        ended: dict[int, float] = {}
        while len(ended) < len(pids) and (left := since + timeout - time.monotonic()) > 0:
            for fd, _ in poller.poll(left * 1000):
                ended[pids[fd]] = time.monotonic() - since
                poller.unregister(fd)
        return ended

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()
