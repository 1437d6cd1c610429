"""Export what archive.db holds as WARC or WACZ files, whole or not at all.

A file is written beside its destination under a temporary name and renamed when complete, so
an interrupted export never leaves a half WARC that a replayer would half trust; a device, a FIFO
or `-` (stdout) is written in place (archiver/files.py).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from ..clock import iso, utcnow
from ..defaults import USER_AGENT
from ..errors import InputError
from ..files import STDOUT, output, scratch
from ..lint.gates import last_gate
from ..models import Screenshot, StoredFetch
from ..network import Network
from ..proof import tsa
from ..proof.verify import TOKENS_DIR
from ..store import StoreReader, missing, open_reader
from .warc import WarcSummary, write_warc


@dataclass(frozen=True)
class Stamping:
    """Where the export's digest is stamped (docs/proof.md): the authority and how to reach it."""

    tsa: str
    network: Network
    timeout: float


@dataclass(frozen=True)
class ExportFilter:
    since: str | None = None  # ISO time: fetches at or after it
    url: str | None = None  # as cited or as served
    document: str | None = None  # only URLs this document cites

    def __post_init__(self) -> None:
        # a URL typed with its user name and password (as cited): archive.db holds it without them
        # (lint/gates.py), and the filter is written into the WARC's warcinfo record
        if self.url:
            object.__setattr__(self, "url", last_gate(self.url)[0] or self.url)

    def describe(self) -> str:
        given = [f"{k}={v}" for k, v in vars(self).items() if v]
        return "archiver checks" + (f" ({', '.join(given)})" if given else "")


def export_warc(db: str, out: str, filters: ExportFilter = ExportFilter(), *, user_agent: str | None = None,
                clock: Callable[[], datetime] = utcnow, stamping: Stamping | None = None) -> WarcSummary:
    """With `stamping`, the WARC's SHA-256 (taken as it is written) is stamped once the file is
    complete, and the token written beside it as OUT.tsr (stdout gets no token file)."""
    with _store(db) as store, output(out) as fh:
        counting = _Counting(fh)
        summary = _write(store, counting, os.path.basename(out), filters, user_agent, clock)
    if stamping and _stamp(summary, stamping, counting.sha256.hexdigest(), os.path.basename(out)) \
            and os.fspath(out) != STDOUT:
        assert summary.stamp
        with output(f"{out}.tsr") as fh:
            fh.write(summary.stamp.token)
    return summary


def export_wacz(db: str, out: str, filters: ExportFilter = ExportFilter(), *, user_agent: str | None = None,
                clock: Callable[[], datetime] = utcnow, stamping: Stamping | None = None) -> WarcSummary:
    """The RFC 3161 tokens archive.db holds for the exported snapshots and screenshots go in as
    timestamps/*.tsr; with `stamping`, datapackage.json's digest is stamped into datapackage-digest.json."""
    from .wacz import WARC_NAME, write_wacz

    # the WARC goes into the zip whole, after its digest is known: it waits in an unnamed file
    with _store(db) as store, scratch(out) as warc:
        exported: set[str] = set()
        summary = _write(store, _Counting(warc), WARC_NAME, filters, user_agent, clock, exported)
        extras = _tokens(store, exported, summary)

        def stamp(sha256_hex: str) -> dict | None:
            if stamping and _stamp(summary, stamping, sha256_hex, os.path.basename(out)):
                assert summary.stamp
                return {"tsa": summary.stamp.tsa, "genTime": summary.stamp.gen_time,
                        "token": base64.b64encode(summary.stamp.token).decode("ascii")}
            return None

        warc.seek(0)
        with output(out) as fh:
            write_wacz(fh, warc, summary.index, created=(iso(clock()) or "").replace("+00:00", "Z"),
                       title=filters.describe(), extras=extras, stamp=stamp)
    summary.path = out
    return summary


class _Counting:
    """A file to write that knows its offset without seeking (stdout, a FIFO): the index records
    where each WARC record starts."""

    def __init__(self, fh):
        self._fh, self._offset = fh, 0
        self.sha256 = hashlib.sha256()  # of what was written: the WARC's digest, for its token

    def write(self, data) -> int:
        self._fh.write(data)
        self.sha256.update(data)
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        self._fh.flush()


def _write(store: StoreReader, fh, filename: str, filters: ExportFilter, user_agent: str | None, clock,
           exported: set[str] | None = None) -> WarcSummary:
    """Write the WARC, screenshots after the fetches; the SHA-256 of every body and screenshot
    written is added to `exported`."""
    document = filters.document
    if document:
        document = store.documents([document])[0][1]
    fetches = iter(store.stored_fetches(since=filters.since, url=filters.url, document=document))
    first = next(fetches, None)
    if first is None and filters.url:  # a URL mistyped: said, and nothing written
        raise InputError(f"--url {filters.url}: archiver has no stored fetch of this URL (as cited or as served); "
                         "`archiver report --format json` lists the URLs archive.db holds")
    fetches = itertools.chain([first] if first else [], fetches)
    exported = set() if exported is None else exported
    urls: set[str] = set()
    return write_warc(fh, _noting(fetches, exported, urls), filename=filename, created=iso(clock()) or "",
                      description=filters.describe(), user_agent=user_agent or USER_AGENT,
                      screenshots=_screenshots(store, urls, filters.since, exported))


def _noting(fetches: Iterable[StoredFetch], exported: set[str], urls: set[str]) -> Iterator[StoredFetch]:
    for fetch in fetches:
        exported.add(fetch.sha256)
        urls.add(fetch.url)
        yield fetch


def _screenshots(store: StoreReader, urls: set[str], since: str | None, exported: set[str]) -> Iterator[Screenshot]:
    """The screenshots of the exported URLs (read once their fetches are written and `urls` is full);
    their SHA-256 is added to `exported`."""
    for shot in store.screenshots():
        if shot.url in urls and (not since or shot.taken >= since):
            exported.add(shot.sha256)
            yield shot


def _tokens(store: StoreReader, exported: set[str], summary: WarcSummary) -> Iterator[tuple[str, bytes]]:
    """timestamps/<kind>-<sha256>.tsr for each token over an exported snapshot or screenshot (the first
    per digest), read from the store as the WACZ is written; `summary.tokens` counts them."""
    seen: set[str] = set()
    for stamp in store.timestamps():
        name = f"{TOKENS_DIR}{stamp.kind}-{stamp.sha256}.tsr"
        if stamp.kind != "export" and stamp.sha256 in exported and name not in seen:
            seen.add(name)
            summary.tokens += 1
            yield name, stamp.token


def _stamp(summary: WarcSummary, stamping: Stamping, sha256_hex: str, name: str) -> bool:
    """Stamp an export's digest into `summary`; a failure is said in `summary.stamp_error`, the
    export is kept (an unstamped file is still evidence)."""
    try:
        summary.stamp = tsa.stamp_now(stamping.tsa, "export", sha256_hex, network=stamping.network,
                                      timeout=stamping.timeout, name=name)
    except (tsa.TsaUnavailable, tsa.TsaRefused) as exc:
        summary.stamp_error = f"time-stamping authority {tsa.tsa_name(stamping.tsa)}: {exc}"
    return summary.stamp is not None


@contextmanager
def _store(db: str):
    if why := missing(db):
        raise InputError(why)
    with open_reader(db) as store:
        yield store
