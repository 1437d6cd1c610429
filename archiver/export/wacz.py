"""WACZ export (Web Archive Collection Zipped 1.1.1): the WARC with its index, its page list and
a datapackage of digests, in one file ReplayWeb.page opens.

Layout: archive/data.warc.gz (stored, not deflated, so a replayer can seek into it),
indexes/index.cdx (CDXJ, sorted), pages/pages.jsonl (one line per URL, its newest fetch),
datapackage.json (every file's sha256 and size) and datapackage-digest.json (the sha256 of
datapackage.json). Written as any output is (archiver/files.py): a file whole or not at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from ipaddress import ip_address
from typing import BinaryIO
from urllib.parse import urlsplit

from .. import __version__
from ..urls.keys import DEFAULT_PORTS
from .warc import IndexEntry

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"


def surt(url: str) -> str:
    """Sort-friendly URI Reordering Transform: 'https://www.Example.org/a?b=1' -> 'org,example)/a?b=1'."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        ip_address(host)
        key = host
    except ValueError:
        labels = host.split(".")
        if labels and labels[0] == "www":
            labels = labels[1:]
        key = ",".join(reversed(labels))
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
        key += f":{parts.port}"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    return (key + ")" + (parts.path or "/") + (f"?{query}" if query else "")).lower()


def iter_index_lines(index: Iterable[IndexEntry], filename: str) -> Iterator[str]:
    """CDXJ lines (`surt timestamp {json}`), sorted, for a WACZ's indexes/index.cdx."""
    lines = []
    for e in index:
        body = {"url": e.url, "mime": e.mime, "status": str(e.status or ""), "digest": e.digest,
                "length": str(e.length), "offset": str(e.offset), "filename": filename}
        lines.append(f"{surt(e.url)} {e.ts14} {json.dumps(body, ensure_ascii=False)}\n")
    yield from sorted(lines)


def write_wacz(out: BinaryIO, warc: BinaryIO, index: Iterable[IndexEntry], *, created: str, title: str,
               extras: Iterable[tuple[str, bytes]] = (), stamp: Callable[[str], dict | None] | None = None) -> dict:
    """Zip the WARC read from `warc` with its index and pages into the file `out` (which need not
    seek: stdout or a FIFO); return the datapackage. `extras`: more files (path, bytes), each
    written as it comes and listed with its digest like the others (RFC 3161 tokens); `stamp(sha256 of datapackage.json)`: what
    to add to datapackage-digest.json under "timestamp" (the export's own token, which cannot be
    inside what it is over), or None."""
    index = list(index)
    files = {
        "indexes/index.cdx": "".join(iter_index_lines(index, WARC_NAME)).encode("utf-8"),
        "pages/pages.jsonl": _pages(index),
    }
    with zipfile.ZipFile(out, "w") as zf:
        resources = [_resource(f"archive/{WARC_NAME}", _copy_stored(zf, f"archive/{WARC_NAME}", warc))]
        for name, data in itertools.chain(files.items(), extras):
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
            resources.append(_resource(name, (hashlib.sha256(data).hexdigest(), len(data))))
        package = {"profile": "data-package", "title": title, "created": created, "wacz_version": WACZ_VERSION,
                   "software": f"archiver/{__version__}", "resources": resources}
        data = json.dumps(package, indent=2).encode("utf-8")
        zf.writestr("datapackage.json", data, compress_type=zipfile.ZIP_DEFLATED)
        digest: dict = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
        if stamp and (token := stamp(hashlib.sha256(data).hexdigest())):
            digest["timestamp"] = token
        zf.writestr("datapackage-digest.json", json.dumps(digest, indent=2), compress_type=zipfile.ZIP_DEFLATED)
    return package


def _pages(index: list[IndexEntry]) -> bytes:
    newest: dict[str, IndexEntry] = {}
    for entry in index:
        if entry.url.startswith("urn:"):  # a screenshot: a picture of a page, not a page
            continue
        if entry.url not in newest or entry.ts14 >= newest[entry.url].ts14:
            newest[entry.url] = entry
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}]
    for url, e in sorted(newest.items()):
        ts = f"{e.ts14[:4]}-{e.ts14[4:6]}-{e.ts14[6:8]}T{e.ts14[8:10]}:{e.ts14[10:12]}:{e.ts14[12:14]}Z"
        page = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, url)), "url": url, "ts": ts}
        if e.title:
            page["title"] = e.title
        lines.append(page)
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")


def _copy_stored(zf: zipfile.ZipFile, name: str, src: BinaryIO) -> tuple[str, int]:
    """Copy `src` into the zip as `name`, stored (not deflated, so a replayer can seek into it);
    its sha256 and size."""
    h, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_STORED
    with zf.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    return h.hexdigest(), size


def _resource(name: str, digest: tuple[str, int]) -> dict:
    return {"name": name.rsplit("/", 1)[-1], "path": name, "hash": f"sha256:{digest[0]}", "bytes": digest[1]}
