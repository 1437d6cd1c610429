"""Dates of adding inferred from a document's own history (archiver/extract/history.py): a git
repository's blame, DOCX and ODT revision marks and creation dates, Zotero's and BibDesk's dateAdded.
Every fixture is built here: a real git repository with commits at chosen dates, DOCX and ODT
packages as Word and LibreOffice write them, bibliography exports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from archiver.extract import extract, read_document
from archiver.extract.history import git_line_dates

W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
CORE = ('<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dcterms:created xsi:type="dcterms:W3CDTF">2018-11-20T09:15:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2022-02-01T10:00:00Z</dcterms:modified></cp:coreProperties>')


def dated(path) -> dict[str, tuple]:
    """raw URL -> (accessed, added, added_by) as extraction gives them."""
    return {c.raw: (c.accessed, c.added, c.added_by) for c in extract(read_document(str(path)))}


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="A", GIT_AUTHOR_EMAIL="a@example.org", GIT_COMMITTER_NAME="A",
               GIT_COMMITTER_EMAIL="a@example.org", HOME=str(repo))
    if when:
        env.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE="2025-01-01T00:00:00+00:00")
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    if shutil.which("git") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("git is missing under CI")
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    return tmp_path


def test_git_history_dates_each_line_by_its_own_commit(repo):
    doc = repo / "notes.md"
    doc.write_text("# Notes\n\n1. A report: https://old.example.org/report\n", encoding="utf-8")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-qm", "first", when="2019-05-02T23:30:00-0400")  # 2019-05-03 in UTC: the author's day counts
    with doc.open("a", encoding="utf-8") as fh:
        fh.write("2. Data: https://data.example.net/set, accessed 12 March 2021\n"
                 "3. Later: https://later.example.com/page\n")
    git(repo, "commit", "-qam", "second", when="2021-07-01T12:00:00+0000")
    with doc.open("a", encoding="utf-8") as fh:
        fh.write("4. Not committed: https://draft.example.com/\n")
    assert dated(doc) == {
        "https://old.example.org/report": (None, date(2019, 5, 2), "git history"),
        "https://data.example.net/set,": (date(2021, 3, 12), None, None),  # a printed date is never replaced
        "https://later.example.com/page": (None, date(2021, 7, 1), "git history"),
        "https://draft.example.com/": (None, None, None),  # no commit yet: nothing to infer from
    }


def test_a_line_added_above_leaves_the_older_line_its_own_date(repo):
    doc = repo / "sources.md"
    doc.write_text("# Sources\n\n- https://a.example.org/x\n", encoding="utf-8")
    git(repo, "add", "sources.md")
    git(repo, "commit", "-qm", "one", when="2020-01-10T10:00:00+0000")
    doc.write_text("# Sources\n\n- https://new.example.org/y\n- https://a.example.org/x\n", encoding="utf-8")
    git(repo, "commit", "-qam", "two", when="2020-06-15T10:00:00+0000")
    got = dated(doc)
    assert got["https://a.example.org/x"][1:] == (date(2020, 1, 10), "git history")
    assert got["https://new.example.org/y"][1:] == (date(2020, 6, 15), "git history")


def test_outside_a_repository_or_untracked_nothing_is_inferred(tmp_path, repo):
    loose = tmp_path / "loose"
    loose.mkdir()
    assert git_line_dates(str(loose / "none.md"), "") == {}
    untracked = repo / "untracked.md"
    untracked.write_text("https://u.example.org/\n", encoding="utf-8")
    assert git_line_dates(str(untracked), "https://u.example.org/\n") == {}
    assert dated(untracked) == {"https://u.example.org/": (None, None, None)}


def test_no_filter_of_the_documents_repository_runs(repo, tmp_path):
    """Blaming the working tree would run the repository's clean filter on the edited file: a
    document's repository may bring one (a config and .gitattributes in a tarball). Only HEAD is blamed."""
    marker = tmp_path / "filter-ran"
    (repo / ".gitattributes").write_text("*.md filter=probe\n", encoding="utf-8")
    doc = repo / "notes.md"
    doc.write_text("- https://old.example.org/a\n", encoding="utf-8")
    git(repo, "add", "notes.md", ".gitattributes")
    git(repo, "commit", "-qm", "one", when="2019-02-03T10:00:00+0000")
    git(repo, "config", "filter.probe.clean", f"touch {marker}; cat")
    doc.write_text("- https://new.example.org/b\n- https://old.example.org/a\n", encoding="utf-8")  # edited, uncommitted
    assert dated(doc) == {"https://new.example.org/b": (None, None, None),
                          "https://old.example.org/a": (None, date(2019, 2, 3), "git history")}
    assert not marker.exists()


def _docx(path: Path, paragraphs: list[str], rels: dict[str, str], core: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", f"<w:document {W_NS}><w:body>{''.join(paragraphs)}</w:body></w:document>")
        z.writestr("word/_rels/document.xml.rels", f'<Relationships xmlns="{RELS_NS}">' + "".join(
            f'<Relationship Id="{i}" Type="{HYPERLINK}" Target="{t}" TargetMode="External"/>' for i, t in rels.items())
            + "</Relationships>")
        if core:
            z.writestr("docProps/core.xml", CORE)
    return path


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_docx_revision_marks_then_the_creation_date(tmp_path):
    ins = '<w:ins w:id="{}" w:author="Editor" w:date="{}">{}</w:ins>'
    paragraphs = [
        f"<w:p>{_r('Original: https://orig.example.org/a')}</w:p>",
        # a URL typed with track changes on, inside an older paragraph
        f"<w:p>{_r('See ')}{ins.format(1, '2020-04-05T08:00:00Z', _r('https://typed.example.org/b'))}</w:p>",
        # a hyperlink on words, inserted
        f"<w:p>{_r('The ')}" + ins.format(2, "2021-09-09T17:00:00Z",
                                          '<w:hyperlink r:id="rId7">' + _r("agency report") + "</w:hyperlink>") + "</w:p>",
        # a whole new paragraph (its paragraph mark inserted), with a printed access date
        '<w:p><w:pPr><w:rPr><w:ins w:id="3" w:author="E" w:date="2022-01-03T00:00:00Z"/></w:rPr></w:pPr>'
        f"{_r('New: https://new.example.org/c accessed 2 January 2022; https://new.example.org/d')}</w:p>",
    ]
    got = dated(_docx(tmp_path / "paper.docx", paragraphs, {"rId7": "https://agency.example.org/report.pdf"}))
    assert got == {
        "https://orig.example.org/a": (None, date(2018, 11, 20), "DOCX created"),
        "https://typed.example.org/b": (None, date(2020, 4, 5), "DOCX revision mark"),
        "https://agency.example.org/report.pdf": (None, date(2021, 9, 9), "DOCX revision mark"),
        "https://new.example.org/c": (date(2022, 1, 2), None, None),
        "https://new.example.org/d": (None, date(2022, 1, 3), "DOCX revision mark"),
    }
    bare = dated(_docx(tmp_path / "bare.docx", paragraphs[:1], {}, core=False))
    assert bare == {"https://orig.example.org/a": (None, None, None)}


def test_odt_tracked_insertion_then_the_creation_date(tmp_path):
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
          'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')
    changes = ('<text:tracked-changes><text:changed-region text:id="ct1"><text:insertion><office:change-info>'
               '<dc:creator>Editor</dc:creator><dc:date>2021-02-03T10:11:12</dc:date></office:change-info>'
               '</text:insertion></text:changed-region></text:tracked-changes>')
    content = (f"<office:document-content {ns}><office:body><office:text>{changes}"
               "<text:p>Old: https://old.example.org/</text:p>"
               '<text:p>Added <text:change-start text:change-id="ct1"/>https://added.example.org/x'
               '<text:change-end text:change-id="ct1"/></text:p>'
               "</office:text></office:body></office:document-content>")
    meta = (f"<office:document-meta {ns}><office:meta><meta:creation-date>2017-08-09T10:00:00</meta:creation-date>"
            "</office:meta></office:document-meta>")
    path = tmp_path / "paper.odt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
        z.writestr("meta.xml", meta)
    assert dated(path) == {"https://old.example.org/": (None, date(2017, 8, 9), "ODT created"),
                           "https://added.example.org/x": (None, date(2021, 2, 3), "ODT revision mark")}


def test_reference_managers_date_added(tmp_path):
    csl = tmp_path / "zotero.csl.json"
    csl.write_text(json.dumps([
        {"id": "a", "type": "webpage", "URL": "https://a.example.org/", "dateAdded": "2019-03-04T12:00:00Z"},
        {"id": "b", "type": "webpage", "url": "https://b.example.org/", "date-added": "2020-05-06",
         "accessed": {"date-parts": [[2020, 5, 7]]}},
        {"id": "c", "type": "webpage", "URL": "https://c.example.org/"}]), encoding="utf-8")
    assert dated(csl) == {"https://a.example.org/": (None, date(2019, 3, 4), "CSL-JSON dateAdded"),
                          "https://b.example.org/": (date(2020, 5, 7), None, None),
                          "https://c.example.org/": (None, None, None)}
    bib = tmp_path / "refs.bib"
    bib.write_text("@misc{bibdesk, url = {https://d.example.org/}, date-added = {2018-01-02 10:00:00 +0000}}\n"
                   "@misc{jabref, url = {https://e.example.org/}, creationdate = {2021-11-12T08:00:00}}\n"
                   "@misc{bbt, url = {https://f.example.org/}, dateadded = {2022-12-13}, urldate = {2023-01-01}}\n",
                   encoding="utf-8")
    assert dated(bib) == {"https://d.example.org/": (None, date(2018, 1, 2), "BibTeX date-added"),
                          "https://e.example.org/": (None, date(2021, 11, 12), "BibTeX creationdate"),
                          "https://f.example.org/": (date(2023, 1, 1), None, None)}


def test_the_report_says_added_about_never_accessed(repo):
    from archiver import api
    from archiver.config import Settings
    from archiver.report.render import REPORT_RENDERERS

    doc = repo / "notes.md"
    doc.write_text("# Notes\n\n1. https://old.example.org/report\n2. https://b.example.org/, accessed 3 March 2021\n",
                   encoding="utf-8")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-qm", "first", when="2019-05-02T10:00:00+0000")
    settings = Settings(db=str(repo / "archive.db"))
    api.run([str(doc)], settings, lint_only=True)
    rows = {r.url: r for r in api.report(None, settings).rows()}
    old = rows["https://old.example.org/report"]
    assert (old.accessed, old.added, old.added_by) == (None, "2019-05-02", "git history")
    assert rows["https://b.example.org/"].accessed == "2021-03-03" and rows["https://b.example.org/"].added is None
    text = "".join(REPORT_RENDERERS["text"](api.report(None, settings), width=400))
    assert "added about 2019-05-02 (git history)" in text and "accessed 2019" not in text
    html = "".join(REPORT_RENDERERS["html"](api.report(None, settings)))
    assert "<td>added about 2019-05-02 (git history)</td>" in html


def test_a_pdf_is_dated_by_its_creation_date(tmp_path):
    pytest.importorskip("reportlab")
    from io import BytesIO

    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(40, 800, "1. Report https://stats.example.org/2019/report.pdf")
    c.drawString(40, 788, "2. Data https://data.example.org/set, accessed 2 May 2019")
    c.save()
    writer = PdfWriter(clone_from=PdfReader(BytesIO(buf.getvalue())))
    writer.add_metadata({"/CreationDate": "D:20190610093000+02'00'"})
    path = tmp_path / "paper.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    assert dated(path) == {"https://stats.example.org/2019/report.pdf": (None, date(2019, 6, 10), "PDF created"),
                           "https://data.example.org/set,": (date(2019, 5, 2), None, None)}
