"""`archiver export`: WARC and WACZ from a database the real pipeline built, read back and verified."""

import base64
import gzip
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver import api
from archiver.cli.main import main
from tests.report_fixture import FIXED_NOW

WARCIO = str(Path(sys.executable).parent / "warcio")


def export(db, *args):
    return CliRunner().invoke(main, ["export", "--db", db, *args], catch_exceptions=False)


def records(path):
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            yield rec, rec.content_stream().read()


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def stored(db):
    """(served URL, fetch time, sha256 of the body archiver stored), one per check with a body."""
    conn = sqlite3.connect(db)
    return [(final or url, at[:19] + "Z", sha) for url, final, at, sha in conn.execute(
        "select u.url, k.final_url, k.checked_at, k.sha256 from checks k join urls u on u.id = k.url_id"
        " where k.sha256 is not null")]


@pytest.fixture()
def warc(pipeline_db, tmp_path):
    out = tmp_path / "all.warc.gz"
    result = export(pipeline_db.settings.db, "--warc", str(out))
    assert result.exit_code == 0 and "export:" in result.stderr
    return out


def test_warc_reads_back_digests_verify_and_bodies_match_the_store(pipeline_db, warc):
    got = list(records(warc))
    assert got[0][0].rec_type == "warcinfo" and b"software: archiver/" in got[0][1]
    bodies = stored(pipeline_db.settings.db)
    responses = [(r, body) for r, body in got if r.rec_type == "response" and not _is_hop(r)]
    revisits = [r for r, _ in got if r.rec_type == "revisit"]
    hops = [r for r, _ in got if _is_hop(r)]
    requests = [r for r, _ in got if r.rec_type == "request"]
    assert len(requests) == len(responses) + len(revisits) + len(hops) and len(responses) + len(revisits) == len(bodies)
    assert revisits, "the second run saw unchanged pages: those are revisits"
    for rec, body in responses:
        h = rec.rec_headers
        assert h.get_header("WARC-Payload-Digest") == sha1_b32(body)
        key = (h.get_header("WARC-Target-URI"), h.get_header("WARC-Date"), hashlib.sha256(body).hexdigest())
        assert key in bodies
        assert int(rec.http_headers.get_header("Content-Length")) == len(body)
    concurrent = {r.rec_headers.get_header("WARC-Concurrent-To") for r in requests}
    assert concurrent == {r.rec_headers.get_header("WARC-Record-ID") for r, _ in got if r.rec_type in ("response", "revisit")}


def _is_hop(rec):
    return rec.rec_type == "response" and "redirect hop" in (rec.rec_headers.get_header("WARC-Archiver-Transformed") or "")


def test_each_redirect_hop_is_a_response_record_of_its_own(pipeline_db, tmp_path):
    """The cited /moved answered 301 to /article: the WARC holds the 301 with its Location, then the
    page, as WARC 1.1 records a redirect; read back with warcio."""
    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    out = tmp_path / "moved.warc.gz"
    result = export(pipeline_db.settings.db, "--warc", str(out), "--url", f"{web}/moved")
    assert result.exit_code == 0 and "redirect hops)" in result.stderr
    got = [r for r, _ in records(out) if r.rec_type in ("response", "revisit")]
    chains = json.loads(sqlite3.connect(pipeline_db.settings.db).execute(
        "select k.redirects from checks k join urls u on u.id = k.url_id where u.url = ? and k.sha256 is not null"
        " order by k.checked_at, k.id limit 1", [f"{web}/moved"]).fetchone()[0])
    assert chains and chains[0]["url"] == f"{web}/moved"
    hop, page = got[0], got[1]
    assert hop.rec_type == "response" and hop.rec_headers.get_header("WARC-Target-URI") == f"{web}/moved"
    assert hop.http_headers.get_statuscode() == str(chains[0]["status"]) and chains[0]["status"] in (301, 302, 303, 307, 308)
    assert hop.http_headers.get_header("Location") == f"{web}/article"
    assert page.rec_headers.get_header("WARC-Target-URI") == f"{web}/article"
    assert page.http_headers.get_statuscode() == "200"
    assert sum(_is_hop(r) for r in got) == sum(len(json.loads(c)) for (c,) in sqlite3.connect(
        pipeline_db.settings.db).execute("select k.redirects from checks k join urls u on u.id = k.url_id"
                                         " where u.url = ? and k.sha256 is not null", [f"{web}/moved"]))


def test_warc_passes_warcio_check(warc):
    proc = subprocess.run([WARCIO, "check", "-v", str(warc)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "digest pass" in proc.stdout and "digest fail" not in proc.stdout


def test_a_decoded_body_says_its_content_encoding_was_removed(pipeline_db, warc):
    got = list(records(warc))
    gz = [r for r, _ in got if r.rec_type in ("response", "revisit")
          and r.rec_headers.get_header("WARC-Target-URI").endswith("/gzip")]
    assert gz
    rec = gz[0]
    assert rec.http_headers.get_header("Content-Encoding") is None
    assert rec.http_headers.get_header("X-Archive-Orig-Content-Encoding") == "gzip"
    assert "content-encoding: gzip" in rec.rec_headers.get_header("WARC-Archiver-Transformed").lower()
    # /gzip serves the same article as /ok, so its bytes are a revisit of that response: decoded HTML
    digest = rec.rec_headers.get_header("WARC-Payload-Digest")
    bodies = [body for r, body in got if r.rec_type == "response" and r.rec_headers.get_header("WARC-Payload-Digest") == digest]
    assert len(bodies) == 1 and bodies[0].startswith(b"<!DOCTYPE html>")
    assert int(rec.http_headers.get_header("Content-Length")) == len(bodies[0])


def test_filters_url_document_since(pipeline_db, tmp_path):
    db, web = pipeline_db.settings.db, f"http://127.0.0.1:{pipeline_db.web_port}"
    one = tmp_path / "one.warc.gz"
    export(db, "--warc", str(one), "--url", f"{web}/ok")
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r, _ in records(one) if r.rec_type != "warcinfo"}
    assert uris == {f"{web}/ok"}
    doc = tmp_path / "doc.warc.gz"
    export(db, "--warc", str(doc), "--document", str(pipeline_db.folder / "clean.md"))
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r, _ in records(doc) if r.rec_type != "warcinfo"}
    assert uris == {f"{web}/article", f"{web}/gzip"}
    later = tmp_path / "later.warc.gz"
    export(db, "--warc", str(later), "--since", "2999-01-01")
    assert [r.rec_type for r, _ in records(later)] == ["warcinfo"]


def test_export_is_deterministic_and_needs_a_target(pipeline_db, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = tmp_path / "a" / "x.warc.gz", tmp_path / "b" / "x.warc.gz"
    api.export_warc(str(a), pipeline_db.settings, clock=lambda: FIXED_NOW)
    api.export_warc(str(b), pipeline_db.settings, clock=lambda: FIXED_NOW)
    assert gzip.decompress(a.read_bytes()) == gzip.decompress(b.read_bytes())
    result = export(pipeline_db.settings.db)
    assert result.exit_code == 2 and "--warc" in result.stderr


def wacz_problems(path) -> list[str]:
    """What `wacz validate` checks, without its 50 dependencies: required files, every file listed in
    datapackage.json with its sha256 and size, the datapackage digest, the WARC stored uncompressed,
    pages.jsonl's shape, and every CDXJ line pointing at a record of its URL and digest."""
    problems = []
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        for required in ("datapackage.json", "datapackage-digest.json", "archive/data.warc.gz",
                         "indexes/index.cdx", "pages/pages.jsonl"):
            if required not in names:
                problems.append(f"missing {required}")
        package = json.loads(zf.read("datapackage.json"))
        listed = {r["path"]: r for r in package["resources"]}
        if set(listed) != names - {"datapackage.json", "datapackage-digest.json"}:
            problems.append(f"listed {sorted(listed)} but the zip holds {sorted(names)}")
        for name, res in listed.items():
            data = zf.read(name)
            if res["hash"] != "sha256:" + hashlib.sha256(data).hexdigest() or res["bytes"] != len(data):
                problems.append(f"{name}: digest or size differs from datapackage.json")
        digest = json.loads(zf.read("datapackage-digest.json"))
        if digest["hash"] != "sha256:" + hashlib.sha256(zf.read("datapackage.json")).hexdigest():
            problems.append("datapackage-digest.json does not match datapackage.json")
        if zf.getinfo("archive/data.warc.gz").compress_type != zipfile.ZIP_STORED:
            problems.append("the WARC is deflated inside the zip")
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()]
        if pages[0].get("format") != "json-pages-1.0" or not all("url" in p and "ts" in p for p in pages[1:]):
            problems.append("pages.jsonl has the wrong shape")
        warc = zf.read("archive/data.warc.gz")
        for line in zf.read("indexes/index.cdx").decode().splitlines():
            _, _, body = line.split(" ", 2)
            entry = json.loads(body)
            chunk = warc[int(entry["offset"]):int(entry["offset"]) + int(entry["length"])]
            rec = next(iter(ArchiveIterator(io.BytesIO(chunk))))
            if rec.rec_headers.get_header("WARC-Target-URI") != entry["url"] or \
                    rec.rec_headers.get_header("WARC-Payload-Digest") != entry["digest"]:
                problems.append(f"index line does not point at its record: {line[:80]}")
    return problems


def test_wacz_is_valid(pipeline_db, tmp_path):
    out = tmp_path / "all.wacz"
    result = export(pipeline_db.settings.db, "--wacz", str(out))
    assert result.exit_code == 0
    assert wacz_problems(out) == []
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        lines = zf.read("indexes/index.cdx").decode().splitlines()
    assert lines == sorted(lines) and len(lines) >= len(pages) >= 8
    assert not list(tmp_path.glob(".archiver-*"))  # no temporary file left behind


def test_wacz_check_catches_a_tampered_file(pipeline_db, tmp_path):
    out, bad = tmp_path / "all.wacz", tmp_path / "bad.wacz"
    api.export_wacz(str(out), pipeline_db.settings)
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b"All Pages", b"All Pagez")
            dst.writestr(info, data)
    assert any("pages/pages.jsonl" in p for p in wacz_problems(bad))
