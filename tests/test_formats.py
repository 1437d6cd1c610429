"""The reference report's notes come out right from every format archiver reads, from fixtures
the tests build themselves (tests/formats_build.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.lint import lint_paths

from . import formats_build as build


def _kaztag_links(expected) -> dict[str, str]:
    """Hyperlink targets as Word keeps them: intact, under damaged printed text (single-URL notes)."""
    return {n: v["urls"][0] for n, v in expected.items() if len(v["urls"]) == 1}


BUILDERS = {
    "docx-footnotes": lambda p, e: build.build_docx(p / "r.docx", kind="footnote"),
    "docx-footnotes-hyperlinks": lambda p, e: build.build_docx(p / "r.docx", kind="footnote", links=_kaztag_links(e)),
    "docx-endnotes": lambda p, e: build.build_docx(p / "r.docx", kind="endnote"),
    "odt": lambda p, e: build.build_odt(p / "r.odt"),
    "bibtex": lambda p, e: build.build_bibtex(p / "r.bib"),
    "csljson": lambda p, e: build.build_csl(p / "r.json"),
    "pdf": lambda p, e: build.build_pdf(p / "r.pdf"),
    "pdf-link-annotations": lambda p, e: build.build_pdf(p / "r.pdf", links=_kaztag_links(e)),
}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def by_note(request, tmp_path_factory, expected):
    path = BUILDERS[request.param](tmp_path_factory.mktemp(request.param), expected)
    (doc,) = list(lint_paths([str(path)]))
    assert doc.error is None, doc.error
    out: dict[str, list] = {}
    for rep in doc.repaired:
        out.setdefault(rep.citation.note, []).append(rep)
    return request.param, out


def test_every_format_recovers_the_editors_urls(by_note, expected):
    fmt, notes = by_note
    got = {n: [r.url for r in reps if r.url] for n, reps in notes.items()}
    want = {n: v["urls"] for n, v in expected.items() if v["urls"]}
    assert {n: got.get(n, []) for n in want} == want, fmt


def test_every_format_flags_note_25_with_its_kaztag_candidate(by_note, expected):
    _, notes = by_note
    (rep,) = notes["25"]
    assert rep.url is None
    assert [f.severity for f in rep.findings if f.name == "missing-host"] == ["error"]
    assert list(rep.candidates) == expected["25"]["candidates"]


def test_notes_carry_their_citing_sentence_or_title(by_note):
    fmt, notes = by_note
    ctx = notes["7"][0].citation.context
    if fmt.startswith("pdf"):
        # a notes section without the body: the note, as printed, is its own citing text
        assert ctx.startswith("https://zonakz.net/2020/12/28/") and ctx.endswith("agitatorov/")
        return
    assert ctx == ("Claim 7" if fmt in ("bibtex", "csljson") else "Claim number 7 is sourced."), fmt


def _lint(path):
    (doc,) = list(lint_paths([str(path)]))
    return {n: [r for r in doc.repaired if r.citation.note == n] for n in {r.citation.note for r in doc.repaired}}


@pytest.mark.parametrize("builder", [build.build_bibtex, build.build_csl])
def test_bibliographies_give_each_entry_its_access_date(tmp_path, builder):
    notes = _lint(builder(tmp_path / "refs"))
    assert {r.citation.accessed for reps in notes.values() for r in reps} == {date(2021, 2, 1)}


def test_hyperlink_target_is_used_and_said(tmp_path, expected):
    notes = _lint(build.build_docx(tmp_path / "r.docx", links=_kaztag_links(expected)))
    (rep,) = notes["10"]
    assert rep.url == "https://eurasianet.org/kazakhstan-vote-unfolds-against-backdrop-of-mass-detentions"
    assert [f.name for f in rep.findings] == ["link-target-used"]
    assert "typographic-dash" in rep.findings[0].message


def test_bibtex_fields_macros_and_doi(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text(r"""@String{kt = "https://kaztag.kz/ru/news/"}
@misc{a, howpublished = {\url{https://example.org/a\_b}}, note = {Accessed 12 January 2021}}
@misc{b, url = kt # "x-y", urldate = {2021-03-04}}
@article{c, doi = {10.1000/xyz123}}
@misc{d, url = {https://example.org/a_b}, urldate = {2022-05-06}}
""", encoding="utf-8")
    (doc,) = list(lint_paths([str(bib)]))
    got = [(r.citation.note, r.url, r.citation.accessed) for r in doc.repaired]
    assert got == [("a", "https://example.org/a_b", date(2021, 1, 12)),
                   ("b", "https://kaztag.kz/ru/news/x-y", date(2021, 3, 4)),
                   ("c", "https://doi.org/10.1000/xyz123", None),
                   ("d", "https://example.org/a_b", date(2022, 5, 6))]  # same URL, its own date


@pytest.mark.parametrize("name,content,fmt", [
    ("README", "# Title\n\nSee [x](https://a.org/x).\n", "markdown"),
    ("page.txt", "<!DOCTYPE html><html><body><a href='https://a.org/x'>x</a></body></html>", "html"),
    ("refs", "@misc{a, url = {https://a.org/x}}\n", "bibtex"),
    ("items.json", '[{"id": "a", "type": "webpage", "URL": "https://a.org/x"}]', "csljson"),
])
def test_detection_by_content(tmp_path, name, content, fmt):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    (doc,) = list(lint_paths([str(p)]))
    assert doc.document.format == fmt
    assert [r.url for r in doc.repaired] == ["https://a.org/x"]


def test_docx_by_content_and_stdin(tmp_path):
    data = build.build_docx(tmp_path / "r.docx").read_bytes()
    result = CliRunner().invoke(main, ["lint", "-", "--format", "json"], input=data, catch_exceptions=False)
    cits = json.loads(result.stdout)["citations"]
    assert [c["url"] for c in cits if c["note"] == "1"] == ["https://rus.azattyq.org/a/31041509.html"]


@pytest.mark.parametrize("name,data,says", [
    ("broken.docx", b"PK\x03\x04garbage", "corrupt or truncated"),
    ("cut.odt", b"PK\x03\x04\x14\x00\x00\x00", "corrupt or truncated"),
    ("bad.json", b'[{"id": "a", "URL": ', "not valid CSL-JSON"),
])
def test_corrupt_files_are_named_exit_3_and_others_still_run(tmp_path, notes_path, name, data, says):
    p = tmp_path / name
    p.write_bytes(data)
    result = CliRunner().invoke(main, ["lint", str(p), notes_path, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 3
    assert f"archiver: error: {p}: " in result.stderr and says in result.stderr
    assert len(json.loads(result.stdout)["citations"]) == 32


def test_pdf_link_annotation_is_preferred_and_said(tmp_path, expected):
    notes = _lint(build.build_pdf(tmp_path / "r.pdf", links=_kaztag_links(expected)))
    (rep,) = notes["2"]  # printed with en dashes and a space, wrapped; the annotation is intact
    assert rep.url == expected["2"]["urls"][0]
    assert [f.name for f in rep.findings] == ["link-target-used"]


def test_scanned_pdf_gets_a_warning_saying_why(tmp_path):
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(tmp_path / "scan.pdf"))
    c.rect(50, 50, 400, 600, fill=1)  # a page image stands in for the scan: no text layer
    c.save()
    result = CliRunner().invoke(main, ["lint", str(tmp_path / "scan.pdf")], catch_exceptions=False)
    assert result.exit_code == 0
    assert "U401 no-citations: no citation found: the PDF's 1 page(s) have no text layer" in result.stdout


def test_encrypted_pdf_is_a_clear_error(tmp_path, notes_path):
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(build.build_pdf(tmp_path / "r.pdf")))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    with open(tmp_path / "locked.pdf", "wb") as fh:
        writer.write(fh)
    result = CliRunner().invoke(main, ["lint", str(tmp_path / "locked.pdf"), notes_path], catch_exceptions=False)
    assert result.exit_code == 3
    assert "locked.pdf: the PDF is encrypted with a password; save an unencrypted copy" in result.stderr


def test_undecodable_bytes_are_reported_with_their_line(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_bytes("1. https://a.org/x\n2. https://b.org/\xff-y\n".encode().replace(b"\xc3\xbf", b"\xff"))
    result = CliRunner().invoke(main, ["lint", str(p)], catch_exceptions=False)
    assert f"{p}:2: U402 undecodable-bytes: bytes that are not UTF-8 on line 2" in result.stdout


def test_document_without_citations_says_why(tmp_path):
    p = tmp_path / "prose.txt"
    p.write_text("Just prose, no links at all.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", str(p)], catch_exceptions=False)
    assert "U401 no-citations: no citation found: no URL, no numbered notes and no notes section" in result.stdout
