"""Writing an output file as Unix tools do (`cp`, `sort -o`, editors).

A regular file (or a new one) is written beside itself under a temporary name and renamed over
the old one when complete, so an interrupted write never leaves half a WARC or half a report. That
rename is only right for a regular file: renamed over /dev/null, a FIFO or a socket it would
replace the device with a regular file (as root, /dev/null for the whole machine). Those are
opened and written in place, and `-` is stdout. A symbolic link is followed, as `cp` follows it:
the file it points to is replaced and the link stays a link.

A new file's mode is what the umask makes of 0666, as for any tool's output; a replaced file keeps
its mode (and, where the user may, its owner). Every failure to write names the path (`OutputError`), a full disk included.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from .errors import OutputError

__all__ = ["STDOUT", "output", "scratch", "write_bytes"]

STDOUT = "-"


@contextlib.contextmanager
def output(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new content to: in place for stdout (`-`), a device or a
    FIFO; else a temporary file beside the target, renamed over it when the block ends without an
    exception (and removed when it raises). OSError while writing becomes OutputError naming `path`."""
    shown = os.fspath(path)
    if shown == STDOUT:
        out = sys.stdout.buffer
        yield out
        out.flush()
        return
    target = os.path.realpath(shown)  # through a symbolic link, as cp writes
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _failed(shown, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{shown}: is a directory; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        with _in_place(shown, target) as fh:
            yield fh
        return
    with _replacing(shown, target, st) as fh:
        yield fh


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` as the whole content of `path` (see `output`)."""
    with output(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def scratch(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """An unnamed temporary file to build part of `path`'s content in (the WARC inside a WACZ),
    gone when the block ends: beside a regular file (the disk its result goes to), in the system's
    temporary folder for stdout, a device or a FIFO (never in /dev). Its write errors name `path`."""
    shown = os.fspath(path)
    target = os.path.realpath(shown)
    folder = None if shown == STDOUT or (os.path.exists(target) and not os.path.isfile(target)) \
        else os.path.dirname(target)
    try:
        fh = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 (closed below, its errors named)
    except OSError as exc:
        raise _failed(shown, exc) from None
    try:
        yield fh
    except OSError as exc:
        if exc.errno == errno.EPIPE or exc.filename is not None:
            raise
        raise _failed(shown, exc) from None
    finally:
        with contextlib.suppress(OSError):  # what is still buffered fails as the write did
            fh.close()


@contextlib.contextmanager
def _in_place(shown: str, target: str) -> Iterator[BinaryIO]:
    try:
        fh = open(target, "wb")  # noqa: SIM115 (closed below, its errors named)
    except OSError as exc:
        raise _failed(shown, exc) from None
    try:
        yield fh
        fh.flush()
    except OSError as exc:
        if exc.errno == errno.EPIPE or not _ours(exc, target):
            raise
        raise _failed(shown, exc, replacing=False) from None
    finally:
        with contextlib.suppress(OSError):
            fh.close()


@contextlib.contextmanager
def _replacing(shown: str, target: str, st: os.stat_result | None) -> Iterator[BinaryIO]:
    folder, name = os.path.split(target)
    if not os.path.isdir(folder):
        raise OutputError(f"{shown}: its folder does not exist; create it or choose another path")
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
    try:
        # 0o666 through the umask, as any tool's new output; a replaced file keeps its own mode
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise _failed(shown, exc) from None
    try:
        with open(fd, "wb") as fh:
            if st is not None:  # the replaced file's mode, and its owner where we may (root), as cp keeps them
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
                with contextlib.suppress(PermissionError):
                    os.fchown(fd, st.st_uid, st.st_gid)
            yield fh
            fh.flush()
            os.fsync(fd)
        os.replace(tmp, target)
    except OSError as exc:
        if not _ours(exc, tmp, target):
            raise
        raise _failed(shown, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _ours(exc: OSError, *paths: str) -> bool:
    """Whether `exc` is about writing the output (no file named, or one of `paths`), not an error
    of the caller's own (a document it could not read) that happened inside the block."""
    return exc.filename is None or exc.filename in paths


def _failed(shown: str, exc: OSError, *, replacing: bool = True) -> OutputError:
    kept = "; nothing was written there (what it held is kept)" if replacing else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        why = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
               errno.EFBIG: "the file would be larger than this user may write"}[exc.errno]
        return OutputError(f"{shown}: cannot write: {why}{kept}. Free some space or choose another path.")
    return OutputError(f"{shown}: cannot write: {exc.strerror or exc}{kept}")
