"""WARC export (ISO 28500) through warcio: what archiver fetched, as evidence other tools replay.

Each stored fetch becomes a request record and a response record with the response's headers as
received, the body's bytes, WARC-Date set to the fetch time, and block and payload digests. Each
hop of its redirect chain comes first, as a response record of its own (the 3xx with its Location,
all archive.db keeps of a hop) with its request, as WARC 1.1 records a redirect. A body
seen again (same SHA-256) is written as a `revisit` record (identical-payload-digest profile)
pointing at the first, so daily checks of an unchanged page do not repeat its bytes.

Two honest adjustments, both declared in the record:
- archiver stores bodies decoded, so `Content-Encoding` and `Transfer-Encoding` are removed and
  `Content-Length` set to the stored size; the originals stay as `X-Archive-Orig-*` headers (the
  convention of pywb) and the WARC header `WARC-Archiver-Transformed` says what was changed;
- archiver does not store request headers, so request records are rebuilt from the URL and the
  User-Agent archiver sends, and say so in `WARC-Archiver-Transformed`.
A body cut at --max-body carries `WARC-Truncated: length`.

Record ids are derived from the database's check ids, so exporting the same rows twice gives the
same records (dates come from the rows; the warcinfo's from the injected clock).
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.client import responses
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .. import __version__
from ..models import Screenshot, StoredFetch, Timestamp

_DROPPED = ("content-encoding", "transfer-encoding", "content-length")


@dataclass(frozen=True)
class IndexEntry:
    """One response or revisit record, where it sits in the file (for a CDXJ index and pages)."""

    url: str
    ts14: str
    mime: str
    status: int | None
    digest: str  # the payload digest, "sha1:BASE32"
    offset: int
    length: int
    title: str | None
    revisit: bool


@dataclass
class WarcSummary:
    path: str
    fetches: int = 0
    responses: int = 0
    revisits: int = 0
    redirects: int = 0  # redirect hops, each a response record of its own
    index: list[IndexEntry] = field(default_factory=list, repr=False)
    screenshots: int = 0  # resource records of screenshots (docs/proof.md)
    tokens: int = 0  # RFC 3161 tokens of the exported snapshots, included in a WACZ
    stamp: Timestamp | None = None  # the export's own token (docs/proof.md)
    stamp_error: str | None = None  # why the export could not be stamped


def payload_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(iso_time: str) -> str:
    """'2026-01-02T03:04:05+00:00' -> '2026-01-02T03:04:05Z' (the times in archive.db are UTC)."""
    return iso_time[:19] + "Z"


def write_warc(fh, fetches: Iterable[StoredFetch], *, filename: str, created: str, description: str,
               user_agent: str, screenshots: Iterable[Screenshot] = ()) -> WarcSummary:
    """Write a warcinfo record, then the records of `fetches`, gzip member per record, to `fh`;
    then each of `screenshots` as a `resource` record (read after the fetches)."""
    writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
    summary = WarcSummary(filename)
    info = {"software": f"archiver/{__version__}", "format": "WARC File Format 1.1",
            "description": description, "isPartOf": "archiver export",
            "http-header-user-agent": user_agent}
    payload = "".join(f"{k}: {v}\r\n" for k, v in info.items()).encode("utf-8")
    writer.write_record(writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(payload), length=len(payload), warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Record-ID": _record_id(filename, "warcinfo"), "WARC-Date": warc_date(created),
                           "WARC-Filename": filename}))
    first: dict[str, tuple[str, str]] = {}  # sha256 -> (uri, WARC-Date) of the response that holds the bytes
    for fetch in fetches:
        summary.fetches += 1
        hops = list(_write_hops(writer, fh, fetch, user_agent))
        summary.index += hops
        summary.redirects += len(hops)
        summary.index.append(_write_fetch(writer, fh, fetch, first, user_agent))
        if summary.index[-1].revisit:
            summary.revisits += 1
        else:
            summary.responses += 1
    for shot in screenshots:
        summary.index.append(_write_screenshot(writer, fh, shot))
        summary.screenshots += 1
    return summary


def _write_screenshot(writer: WARCWriter, fh, shot: Screenshot) -> IndexEntry:
    """A screenshot as a `resource` record under `urn:view:<URL>`, the name Webrecorder's tools give
    a page's screenshot; WARC-Refers-To-Target-URI names the page it shows."""
    date = warc_date(shot.taken)
    digest = payload_digest(shot.png)
    offset = fh.tell()
    writer.write_record(writer.create_warc_record(
        f"urn:view:{shot.url}", "resource", payload=io.BytesIO(shot.png), length=len(shot.png),
        warc_content_type="image/png", warc_headers_dict={
            "WARC-Date": date, "WARC-Record-ID": _record_id(f"{shot.url}:{shot.sha256}", "screenshot"),
            "WARC-Payload-Digest": digest, "WARC-Refers-To-Target-URI": shot.final_url or shot.url,
            "WARC-Archiver-Screenshot": f"headless Chromium, full page, {shot.width}x{shot.height} px"}))
    return IndexEntry(f"urn:view:{shot.url}", _ts14(date), "image/png", None, digest, offset, fh.tell() - offset,
                      None, False)


def _write_hops(writer: WARCWriter, fh, fetch: StoredFetch, user_agent: str) -> Iterator[IndexEntry]:
    """Each hop of the stored redirect chain as its own `response` record (the 3xx with its
    Location) and its request, before the page it led to: a replay follows the chain as archiver
    met it. archive.db keeps a hop's status and Location only, so that is all the record holds."""
    date = warc_date(fetch.checked_at)
    for i, hop in enumerate(fetch.redirects):
        url, status, location = hop.get("url"), hop.get("status"), hop.get("location")
        if not (isinstance(url, str) and isinstance(status, int) and isinstance(location, str)):
            continue
        http = StatusAndHeaders(f"{status} {responses.get(status, 'Redirect')}",
                                [("Location", location), ("Content-Length", "0")], protocol="HTTP/1.1")
        key = f"{fetch.check_id}:{i}"
        offset = fh.tell()
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(b""), length=0, http_headers=http,
                                           warc_headers_dict={
            "WARC-Date": date, "WARC-Record-ID": _record_id(key, "redirect"),
            "WARC-Archiver-Transformed": "redirect hop rebuilt from the stored chain: status and Location as "
                                         "received; its other headers and any body are not stored"})
        writer.write_record(record)
        length = fh.tell() - offset
        writer.write_record(_request(writer, f"redirect:{key}", url, date, user_agent,
                                     record.rec_headers.get_header("WARC-Record-ID")))
        yield IndexEntry(url, _ts14(date), "unk", status, payload_digest(b""), offset, length, None, False)


def _write_fetch(writer: WARCWriter, fh, fetch: StoredFetch, first: dict, user_agent: str) -> IndexEntry:
    uri = fetch.final_url or fetch.url
    date = warc_date(fetch.checked_at)
    headers, changed = response_headers(fetch)
    http = StatusAndHeaders(f"{fetch.http_status} {responses.get(fetch.http_status or 0, 'Unknown')}", headers,
                            protocol="HTTP/1.1")
    digest = payload_digest(fetch.body)
    extra = {"WARC-Date": date, "WARC-Record-ID": _record_id(fetch.check_id, "response")}
    if changed:
        extra["WARC-Archiver-Transformed"] = changed
    if fetch.truncated:
        extra["WARC-Truncated"] = "length"
    if uri != fetch.url:
        extra["WARC-Archiver-Cited-URI"] = fetch.url
    revisit = fetch.sha256 in first
    offset = fh.tell()
    if revisit:
        ref_uri, ref_date = first[fetch.sha256]
        record = writer.create_revisit_record(uri, digest, ref_uri, ref_date, http_headers=http,
                                              warc_headers_dict=extra)
    else:
        record = writer.create_warc_record(uri, "response", payload=io.BytesIO(fetch.body), length=len(fetch.body),
                                           http_headers=http, warc_headers_dict=extra)
        first[fetch.sha256] = (uri, date)
    writer.write_record(record)
    length = fh.tell() - offset
    writer.write_record(_request(writer, fetch.check_id, uri, date, user_agent,
                                 record.rec_headers.get_header("WARC-Record-ID")))
    mime = (fetch.content_type or "").split(";")[0].strip() or "unk"
    return IndexEntry(uri, _ts14(date), "warc/revisit" if revisit else mime, fetch.http_status, digest, offset,
                      length, fetch.title, revisit)


def response_headers(fetch: StoredFetch) -> tuple[list[tuple[str, str]], str]:
    """The headers as received, adjusted to the decoded body; and what was changed ("" if nothing)."""
    out, changed = [], []
    for name, value in fetch.headers:
        low = name.lower()
        if low == "content-length" and value.strip() == str(len(fetch.body)):
            continue  # the same as the stored body: written once, below
        if low in _DROPPED:
            out.append((f"X-Archive-Orig-{name}", value))
            changed.append(f"{name}: {value}")
        else:
            out.append((name, value))
    out.append(("Content-Length", str(len(fetch.body))))
    if not changed:
        return out, ""
    return out, ("body stored decoded; removed " + ", ".join(changed) + f"; Content-Length set to {len(fetch.body)}")


def _request(writer: WARCWriter, key, uri: str, date: str, user_agent: str, concurrent: str):
    parts = urlsplit(uri)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    http = StatusAndHeaders(f"GET {target} HTTP/1.1", [("Host", parts.netloc), ("User-Agent", user_agent),
                                                       ("Accept-Encoding", "gzip, deflate, br")],
                            is_http_request=True)
    return writer.create_warc_record(uri, "request", http_headers=http, warc_headers_dict={
        "WARC-Date": date, "WARC-Record-ID": _record_id(key, "request"),
        "WARC-Concurrent-To": concurrent,
        "WARC-Archiver-Transformed": "request rebuilt from the URL and archiver's User-Agent; "
                                     "request headers are not stored"})


def _record_id(key, kind: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'archiver:{kind}:{key}')}>"


def _ts14(date: str) -> str:
    return "".join(ch for ch in date if ch.isdigit())[:14]
