"""Documents as bombs (issue 25 item 3): each ends with a named error or a finding, under a memory
bound, and a run mixing them with a good document still reads, checks and records the good one.

Each bomb is built here, compactly: a DOCX and an ODT whose body inflates past the part limit, a
DOCX at a ratio no real document has, a PDF whose page tree names one page 100,000 times, a PDF
page with 500,000 drawing operators, a CSL-JSON value nested 100,000 deep. Peak memory is the
resident size of the `archiver` process (tests/peak.py): before,
the DOCX took 4.2 GB and the 100,000 pages 2.4 GB; the nesting raised RecursionError (exit 1, the
other documents lost).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tracemalloc
import zipfile
import zlib

import pytest

from archiver.extract import read_document
from archiver.extract.biblio import PIECE, extract_bibtex
from archiver.extract.office import PART_LIMIT
from archiver.extract.pdfbudget import MAX_PAGES
from tests.peak import run_archiver

MiB = 1024 * 1024
RSS_BOUND_KB = 300 * 1024  # the interpreter, lxml, pypdf and one document's worth of work

def archiver(*args: str) -> tuple[subprocess.CompletedProcess, int]:
    return run_archiver(*args, timeout=300)


def office_bomb(path, inflated: int, part: str = "word/document.xml"):
    """A package whose main part is `inflated` bytes of one text run, written streamed."""
    head = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b"<w:body><w:p><w:r><w:t>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if path.suffix == ".odt":
            z.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        with z.open(part, "w", force_zip64=True) as fh:
            fh.write(head)
            block = b"a" * MiB
            for _ in range(inflated // MiB):
                fh.write(block)
            fh.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return path


def pdf(path, objects: list[bytes]):
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def pdf_pages(path, pages: int, content: bytes):
    """`pages` pages, all the same page object (a 600 KB file for 100,000), with `content` compressed."""
    packed = zlib.compress(content, 9)
    return pdf(path, [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join([b"3 0 R"] * pages) + b"] /Count %d >>" % pages,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])


TEXT = b"BT /F1 12 Tf 72 720 Td (See https://bomb.example.org/page for more.) Tj ET\n"


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bombs")
    return {
        "docx": office_bomb(d / "body.docx", PART_LIMIT + MiB),
        "odt": office_bomb(d / "body.odt", PART_LIMIT + MiB, "content.xml"),
        "ratio": office_bomb(d / "ratio.docx", 4 * MiB),
        "pages": pdf_pages(d / "pages.pdf", 100_000, TEXT),
        "operators": pdf_pages(d / "operators.pdf", 1, TEXT + b"0 0 m 1 1 l S\n" * 500_000),
        "nested": _write(d / "nested.csl.json", '[{"id": "a", "URL": "https://bomb.example.org/a", "note": '
                         + "[" * 100_000 + "]" * 100_000 + "}]"),
    }


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


NAMED = {"docx": "the part word/document.xml inflates to", "odt": "the part content.xml inflates to",
         "ratio": "times its packed size", "nested": "nested more than 64 levels deep"}
FOUND = {"pages": f"U404 document-budget: only the first {MAX_PAGES:,} pages were read",
         "operators": "U404 document-budget: the text of page(s) 1 was not read"}


@pytest.mark.parametrize("kind", [*NAMED, *FOUND])
def test_each_bomb_ends_with_a_named_error_or_a_finding_under_a_memory_bound(bombs, kind):
    proc, peak_kb = archiver("lint", str(bombs[kind]))
    assert "Traceback" not in proc.stderr, proc.stderr
    if kind in NAMED:
        assert proc.returncode == 3, proc.stderr
        assert f"archiver: error: {bombs[kind]}: " in proc.stderr and NAMED[kind] in proc.stderr, proc.stderr
    else:
        assert proc.returncode in (0, 1), proc.stderr
        assert FOUND[kind] in proc.stdout, proc.stdout
    assert peak_kb < RSS_BOUND_KB, f"{kind}: {peak_kb // 1024} MB resident at the peak"
    print(f"{kind}: exit {proc.returncode}, {peak_kb // 1024} MB")


def test_the_pages_read_still_give_their_citations(bombs):
    proc, _ = archiver("lint", str(bombs["pages"]), "--format", "json")
    data = json.loads(proc.stdout)
    assert data["summary"]["citations"] >= MAX_PAGES  # one URL on each page read
    assert {c["url"] for c in data["citations"] if c.get("url")} == {"https://bomb.example.org/page"}


def test_a_run_mixing_bombs_with_a_good_document_records_the_good_one(bombs, tmp_path, test_web):
    good = _write(tmp_path / "good.md", f"Notes\n\n1. See {test_web.url('/page/among-bombs')}\n")
    db = tmp_path / "a.db"
    docs = [str(bombs[k]) for k in ("docx", "nested", "ratio")] + [str(good), str(bombs["operators"])]
    proc, peak_kb = archiver("check", *docs, "--db", str(db), "--allow-private")
    assert proc.returncode == 3, proc.stderr
    for kind in ("docx", "nested", "ratio"):
        assert f"{bombs[kind]}: " in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    with sqlite3.connect(db) as conn:
        urls = dict(conn.execute("SELECT url, state FROM urls").fetchall())
        checks = conn.execute("SELECT count(*) FROM checks").fetchone()[0]
    assert urls.get(test_web.url("/page/among-bombs")) == "alive", urls
    assert checks >= 1
    assert peak_kb < RSS_BOUND_KB


def test_a_large_bibliography_is_read_a_piece_at_a_time(tmp_path):
    """Memory does not grow with the number of entries: 1,000,000 took 1.39 GB read at once. Here
    three pieces' worth; the allocations at the peak stay near one piece's (the whole text is the
    caller's), and every entry, line number and @String macro comes through."""
    entry = "@misc{{k{0},\n  title = src # {{ {0}}},\n  url = {{https://bib.example.org/{0}}}\n}}\n"
    count = 3 * PIECE // len(entry.format(99999)) + 10
    text = '@string{src = "Source"}\n' + "".join(entry.format(i) for i in range(count))
    notices: list = []
    tracemalloc.start()
    try:
        seen = 0
        last = None
        for c in extract_bibtex(text, "big.bib", notices):
            seen += 1
            last = c
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count and notices == []
    assert last is not None and last.raw == f"https://bib.example.org/{count - 1}"
    assert last.line == text.count("\n", 0, text.index(f"@misc{{k{count - 1},")) + 1
    assert last.context == f"Source {count - 1}"
    assert peak < 40 * MiB, f"{peak / MiB:.0f} MiB at the peak for {count:,} entries"


def test_a_bad_entry_in_a_later_piece_is_named_with_its_line(tmp_path):
    good = "".join(f"@misc{{g{i},\n  url = {{https://bib.example.org/{i}}}\n}}\n" for i in range(PIECE // 40))
    path = _write(tmp_path / "refs.bib", good + "@misc{broken,\n  url = {https://bib.example.org/x\n")
    doc = read_document(str(path))
    from archiver.extract import extract

    assert list(extract(doc))
    (line, name, message), = doc.notices
    assert name == "unreadable-entry" and "'broken'" in message
    assert line == good.count("\n") + 1
