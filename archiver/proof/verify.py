"""`archiver verify`: check, offline, that what archiver stamped is what it holds now.

For archive.db: every token verifies with the authority's chain and is over the digest recorded,
and the snapshot or screenshot it names still hashes to that digest (a body changed in the
database after it was stamped fails). For a WACZ: every file's digest in datapackage.json, the
datapackage's digest, the export's token over it, and each snapshot's or screenshot's token over
a record the WARC holds. For a WARC with OUT.warc.gz.tsr beside it: the token over the file.
Nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArchiveLoadFailed

from ..store import StoreReader
from . import tsa

TOKENS_DIR = "timestamps/"  # in a WACZ: timestamps/<kind>-<sha256>.tsr
DIGEST_KEY = "timestamp"  # in a WACZ's datapackage-digest.json: the export's token


@dataclass(frozen=True)
class Verdict:
    what: str  # "snapshot 3fa2…", "all.wacz: datapackage.json"
    why: str | None = None  # None: verified
    gen_time: str | None = None  # the time a verified token attests


@dataclass
class VerifyReport:
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def bad(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.why]

    @property
    def tokens(self) -> int:
        return sum(1 for v in self.verdicts if v.gen_time)


def _token(what: str, token: bytes, sha256_hex: str, chain: tsa.Chain) -> Verdict:
    why = tsa.verify(token, sha256_hex, chain)
    return Verdict(what, f"token: {why}" if why else None, None if why else tsa.gen_time(token))


def verify_store(reader: StoreReader, chain: tsa.Chain) -> VerifyReport:
    report = VerifyReport()
    for stamp in reader.timestamps():
        what = f"{stamp.kind} {stamp.sha256}" + (f" ({stamp.name})" if stamp.name else "")
        if stamp.kind != "export":
            data = reader.stamped_bytes(stamp.kind, stamp.sha256)
            if data is None:
                report.verdicts.append(Verdict(what, f"the {stamp.kind} is gone from the store"))
                continue
            if hashlib.sha256(data).hexdigest() != stamp.sha256:
                report.verdicts.append(Verdict(what, f"the stored {stamp.kind} no longer hashes to the stamped "
                                                     "digest: it changed after it was stamped"))
                continue
        report.verdicts.append(_token(what, stamp.token, stamp.sha256, chain))
    return report


def verify_file(path: str, chain: tsa.Chain) -> VerifyReport:
    """A WACZ (by its content), or any file with its token beside it as FILE.tsr."""
    if zipfile.is_zipfile(path):
        return verify_wacz(path, chain)
    report = VerifyReport()
    name = os.path.basename(path)
    if not os.path.exists(path + ".tsr"):
        report.verdicts.append(Verdict(name, f"no token: {name}.tsr is not beside it"))
        return report
    with open(path + ".tsr", "rb") as fh:
        report.verdicts.append(_token(name, fh.read(), tsa.sha256_file(path), chain))
    return report


def verify_wacz(path: str, chain: tsa.Chain) -> VerifyReport:
    report = VerifyReport()
    name = os.path.basename(path)
    try:
        with zipfile.ZipFile(path) as zf:
            _check_wacz(zf, name, chain, report)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, zlib.error) as exc:  # json's errors are ValueErrors
        report.verdicts.append(Verdict(name, f"not a readable WACZ: {exc}"))
    return report


def _check_wacz(zf: zipfile.ZipFile, name: str, chain: tsa.Chain, report: VerifyReport) -> None:
    package = zf.read("datapackage.json")
    for res in json.loads(package).get("resources", []):
        try:
            same = res.get("hash") == "sha256:" + _zip_digest(zf, res["path"])
        except (zipfile.BadZipFile, KeyError, EOFError, zlib.error) as exc:  # a damaged member: its CRC fails
            report.verdicts.append(Verdict(f"{name}: {res['path']}", f"unreadable: {exc}"))
            continue
        if not same:
            report.verdicts.append(Verdict(f"{name}: {res['path']}", "its digest differs from datapackage.json"))
    digest = json.loads(zf.read("datapackage-digest.json"))
    package_sha = hashlib.sha256(package).hexdigest()
    if digest.get("hash") != "sha256:" + package_sha:
        report.verdicts.append(Verdict(f"{name}: datapackage.json", "its digest differs from datapackage-digest.json"))
    elif stamp := digest.get(DIGEST_KEY):
        report.verdicts.append(_token(f"{name}: datapackage.json", base64.b64decode(stamp["token"]), package_sha,
                                      chain))
    if not digest.get(DIGEST_KEY) and not any(n.startswith(TOKENS_DIR) for n in zf.namelist()):
        report.verdicts.append(Verdict(f"{name}", "no token: it was exported without a time-stamping authority "
                                                  "and holds no snapshot's token, so nothing attests when it existed"))
    held: set[str] = set()
    try:
        held.update(_record_digests(zf))
    except (zipfile.BadZipFile, EOFError, zlib.error, ArchiveLoadFailed) as exc:  # said above as unreadable
        report.verdicts.append(Verdict(f"{name}: its WARC", f"records past the damage cannot be read ({exc})"))
    for entry in sorted(n for n in zf.namelist() if n.startswith(TOKENS_DIR) and n.endswith(".tsr")):
        kind, _, sha = entry[len(TOKENS_DIR):-4].partition("-")
        what = f"{name}: {kind} {sha}"
        if sha not in held:
            report.verdicts.append(Verdict(what, "no record in the WARC has the stamped digest"))
        else:
            report.verdicts.append(_token(what, zf.read(entry), sha, chain))


def _zip_digest(zf: zipfile.ZipFile, name: str) -> str:
    h = hashlib.sha256()
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _record_digests(zf: zipfile.ZipFile) -> Iterator[str]:
    """The SHA-256 of each response and resource record's payload in the WACZ's WARCs."""
    for warc in (n for n in zf.namelist() if n.startswith("archive/")):
        with zf.open(warc) as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type in ("response", "resource"):
                    h = hashlib.sha256()
                    stream = rec.content_stream()
                    while chunk := stream.read(1 << 16):
                        h.update(chunk)
                    yield h.hexdigest()
