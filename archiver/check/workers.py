"""Check URLs in several processes: one event loop per core, each owning a share of the hosts.

Why: one event loop is CPU-bound long before the network is busy. Each worker process runs
`fetch.check_urls` for the hosts dealt to it (round-robin by host, in order of first appearance),
so per-host limits and the soft-404 probe cache hold exactly as in one process, and the global
concurrency is split between them. The parent alone writes archive.db.

The protocol is one pipe per worker, read by the parent's event loop only when it is ready for
more (no reader threads, no unbounded queue on either side):
- results travel in pickled batches (the hops, not the bytes, are what cost), a batch closed at
  `worker.BATCH` results or `worker.BATCH_BYTES` of bodies;
- backpressure: while one batch is in the pipe, a worker fills the next and then stops pulling
  results; `check_urls` then stops starting fetches (once its queue of `concurrency` results is
  full), and the bodies it holds stay within the
  worker's share of the byte budget (check/budget.py). A worker holds at most that plus the
  2 batches on their way (and a pickled copy of the one in the pipe), however many large bodies
  the run meets and however slow the parent is at writing them;
- a worker exits the moment the parent is gone (SIGKILL included), whatever it was doing, from
  its first milliseconds on (check/boot.py, its entry point, arms that before the heavy imports):
  no orphan finishes the URLs it had queued.
"""

from __future__ import annotations

import asyncio
import functools
import io
import multiprocessing as mp
import os
import pickle
import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import cast

from ..models import CheckResult
from ..urls.keys import origin_of
from . import boot
from .fetch import FetchSettings

__all__ = ["check_urls_in_processes"]

# ------------------------------------------------------------ parent ---

async def check_urls_in_processes(urls: Iterable[str], settings: FetchSettings,
                                  processes: int) -> AsyncGenerator[CheckResult, None]:
    """Like fetch.check_urls, with the hosts split over `processes` worker processes."""
    # spawn: nothing of this (possibly threaded) process is forked, and the workers are our own
    # children, so their CPU and memory show in the run's accounting.
    ctx = mp.get_context("spawn")
    share = replace(settings, concurrency=max(1, settings.concurrency // processes),
                    body_budget=max(1, settings.body_budget // processes))
    inboxes = [ctx.Queue(maxsize=max(2, share.concurrency // 4)) for _ in range(processes)]
    pipes = [ctx.Pipe(duplex=False) for _ in range(processes)]
    # The settings travel as bytes, unpickled only after boot.worker has armed the parent watch.
    workers = [_start(ctx, f"archiver-check-{i}", (pickle.dumps(share), inbox, writer))
               for i, (inbox, (_, writer)) in enumerate(zip(inboxes, pipes))]
    for _, writer in pipes:
        writer.close()  # the workers hold the write ends: a dead worker reads as end of file
    readers = [reader for reader, _ in pipes]
    stop = threading.Event()
    dealt = [0]
    feeder = threading.Thread(target=_feed, args=(urls, inboxes, stop, dealt), daemon=True, name="archiver-feed")
    feeder.start()
    received = 0
    try:
        async for batch in _messages(readers):
            for result in batch:
                received += 1
                yield result
        feeder.join(5)
        if received != dealt[0]:
            raise RuntimeError(f"check workers returned {received} results for {dealt[0]} URLs")
    finally:
        stop.set()
        for w in workers:
            if w.is_alive():
                w.terminate()
        for w in workers:
            w.join(5)
        for q in inboxes:
            q.cancel_join_thread()
            q.close()
        for reader in readers:
            reader.close()


async def _messages(readers: list[Connection]) -> AsyncIterator[list[CheckResult]]:
    """Batches from the workers until each has said it is done; read only when asked for more."""
    loop = asyncio.get_running_loop()
    open_ = list(readers)
    while open_:
        for ready in wait(open_, timeout=0) or await _readable(loop, open_):
            reader = cast(Connection, ready)
            try:
                message = pickle.loads(reader.recv_bytes())
            except EOFError:
                raise RuntimeError("a check worker died (killed, or out of memory?)") from None
            if message is None:
                open_.remove(reader)
            elif isinstance(message, str):
                raise RuntimeError(f"a check worker failed: {message}")
            else:
                yield message


async def _readable(loop: asyncio.AbstractEventLoop, readers: list) -> list:
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    for reader in readers:
        loop.add_reader(reader.fileno(), wake)
    try:
        await ready
    finally:
        for reader in readers:
            loop.remove_reader(reader.fileno())
    return wait(readers, timeout=0)


def _feed(urls: Iterable[str], inboxes: list, stop: threading.Event, dealt: list[int], chunk: int = 8) -> None:
    """Deal URLs to the workers in small chunks, every URL of one host to the same worker."""
    owner: dict[str, int] = {}
    pending: list[list[str]] = [[] for _ in inboxes]
    try:
        for url in urls:
            if stop.is_set():
                return
            index = owner.setdefault(origin_of(url), len(owner) % len(inboxes))
            pending[index].append(url)
            dealt[0] += 1
            if len(pending[index]) >= chunk:
                inboxes[index].put(pending[index])
                pending[index] = []
    finally:
        if not stop.is_set():
            for inbox, rest in zip(inboxes, pending):
                if rest:
                    inbox.put(rest)
                inbox.put(None)


# ------------------------------------------------- spawning, setpriv ---

def _start(ctx, name: str, args: tuple) -> mp.process.BaseProcess:
    """Start boot.worker(*args) in a spawned process, under `setpriv --pdeathsig KILL` where there is
    one (check/boot.py: the kernel then kills the worker with its parent from its first instruction)."""
    process_class = _SetprivProcess if _setpriv() else ctx.Process
    process = process_class(target=boot.worker, args=args, daemon=True, name=name)
    process.start()
    return process


@functools.cache
def _setpriv() -> str | None:
    """util-linux's setpriv, if it knows --pdeathsig (2.33, 2018, and later)."""
    path = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    if path is None:
        return None
    try:
        usage = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "--pdeathsig" in usage else None


if sys.platform != "win32":
    from multiprocessing import popen_spawn_posix, reduction, resource_tracker, spawn, util
    from multiprocessing.context import SpawnProcess, set_spawning_popen

    class _SetprivPopen(popen_spawn_posix.Popen):
        def _launch(self, process_obj):
            """The standard library's spawn (popen_spawn_posix.Popen._launch, Python 3.11-3.13), the
            command run through setpriv."""
            fds = self._fds  # type: ignore[attr-defined]
            tracker_fd = resource_tracker.getfd()
            fds.append(tracker_fd)
            prep_data = spawn.get_preparation_data(process_obj._name)
            fp = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, fp)
                reduction.dump(process_obj, fp)
            finally:
                set_spawning_popen(None)
            parent_r = child_w = child_r = parent_w = None
            try:
                parent_r, child_w = os.pipe()
                child_r, parent_w = os.pipe()
                cmd = spawn.get_command_line(tracker_fd=tracker_fd, pipe_handle=child_r)
                fds.extend([child_r, child_w])
                setpriv = cast(str, _setpriv())
                command = [setpriv, "--pdeathsig", "KILL", "--", *cmd]
                self.pid = util.spawnv_passfds(os.fsencode(setpriv), command, fds)
                self.sentinel = parent_r
                with open(parent_w, "wb", closefd=False) as f:
                    f.write(fp.getbuffer())
            finally:
                self.finalizer = util.Finalize(self, _close_fds, [fd for fd in (parent_r, parent_w) if fd is not None])
                for fd in (child_r, child_w):
                    if fd is not None:
                        os.close(fd)

    def _close_fds(*fds: int) -> None:
        for fd in fds:
            os.close(fd)

    class _SetprivProcess(SpawnProcess):
        @staticmethod
        def _Popen(process_obj):
            return _SetprivPopen(process_obj)
