"""Export what archive.db holds as WARC or WACZ files, whole or not at all.

A file is written beside its destination under a temporary name and renamed when complete, so
an interrupted export never leaves a half WARC that a replayer would half trust; a device, a FIFO
or `-` (stdout) is written in place (archiver/files.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from ..clock import iso, utcnow
from ..defaults import USER_AGENT
from ..errors import InputError
from ..files import output, scratch
from ..store import StoreReader, missing, open_reader
from .warc import WarcSummary, write_warc


@dataclass(frozen=True)
class ExportFilter:
    since: str | None = None  # ISO time: fetches at or after it
    url: str | None = None  # as cited or as served
    document: str | None = None  # only URLs this document cites

    def describe(self) -> str:
        given = [f"{k}={v}" for k, v in vars(self).items() if v]
        return "archiver checks" + (f" ({', '.join(given)})" if given else "")


def export_warc(db: str, out: str, filters: ExportFilter = ExportFilter(), *, user_agent: str | None = None,
                clock: Callable[[], datetime] = utcnow) -> WarcSummary:
    with _store(db) as store, output(out) as fh:
        return _write(store, _Counting(fh), os.path.basename(out), filters, user_agent, clock)


def export_wacz(db: str, out: str, filters: ExportFilter = ExportFilter(), *, user_agent: str | None = None,
                clock: Callable[[], datetime] = utcnow) -> WarcSummary:
    from .wacz import WARC_NAME, write_wacz

    # the WARC goes into the zip whole, after its digest is known: it waits in an unnamed file
    with _store(db) as store, scratch(out) as warc:
        summary = _write(store, _Counting(warc), WARC_NAME, filters, user_agent, clock)
        warc.seek(0)
        with output(out) as fh:
            write_wacz(fh, warc, summary.index, created=(iso(clock()) or "").replace("+00:00", "Z"),
                       title=filters.describe())
    summary.path = out
    return summary


class _Counting:
    """A file to write that knows its offset without seeking (stdout, a FIFO): the index records
    where each WARC record starts."""

    def __init__(self, fh):
        self._fh, self._offset = fh, 0

    def write(self, data) -> int:
        self._fh.write(data)
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        self._fh.flush()


def _write(store: StoreReader, fh, filename: str, filters: ExportFilter, user_agent: str | None, clock) -> WarcSummary:
    document = filters.document
    if document:
        document = store.documents([document])[0][1]
    fetches = store.stored_fetches(since=filters.since, url=filters.url, document=document)
    return write_warc(fh, fetches, filename=filename, created=iso(clock()) or "", description=filters.describe(),
                      user_agent=user_agent or USER_AGENT)


@contextmanager
def _store(db: str):
    if why := missing(db):
        raise InputError(why)
    with open_reader(db) as store:
        yield store
