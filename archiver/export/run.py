"""Export what archive.db holds as WARC or WACZ files, whole or not at all.

The file is written beside its destination under a temporary name and renamed when complete, so
an interrupted export never leaves a half WARC that a replayer would half trust.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from ..clock import iso, utcnow
from ..defaults import USER_AGENT
from ..errors import InputError
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
    with _store(db) as store, _replacing(out) as tmp, open(tmp, "wb") as fh:
        return _write(store, fh, os.path.basename(out), filters, user_agent, clock)


def export_wacz(db: str, out: str, filters: ExportFilter = ExportFilter(), *, user_agent: str | None = None,
                clock: Callable[[], datetime] = utcnow) -> WarcSummary:
    from .wacz import WARC_NAME, write_wacz

    with _store(db) as store, _replacing(out) as tmp:
        warc_tmp = tmp + ".warc.gz"
        try:
            with open(warc_tmp, "wb") as fh:
                summary = _write(store, fh, WARC_NAME, filters, user_agent, clock)
            write_wacz(tmp, warc_tmp, summary.index, created=(iso(clock()) or "").replace("+00:00", "Z"),
                       title=filters.describe())
        finally:
            if os.path.exists(warc_tmp):
                os.unlink(warc_tmp)
    summary.path = out
    return summary


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


@contextmanager
def _replacing(out: str):
    """A temporary path beside `out`, renamed to `out` on success and removed on failure."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise InputError(f"{out}: its folder does not exist; create it or choose another path")
    fd, tmp = tempfile.mkstemp(prefix=".archiver-", suffix=".part", dir=folder)
    os.close(fd)
    try:
        yield tmp
        if os.path.exists(tmp):
            os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
