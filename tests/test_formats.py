"""The reference report's notes come out right from every format archiver reads, from fixtures
the tests build themselves (tests/formats_build.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from archiver.lint.run import lint_paths

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
    "ris": lambda p, e: build.build_ris(p / "r.ris"),
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
    assert ctx == ("Claim 7" if fmt in ("bibtex", "csljson", "ris") else "Claim number 7 is sourced."), fmt


def _lint(path):
    (doc,) = list(lint_paths([str(path)]))
    return {n: [r for r in doc.repaired if r.citation.note == n] for n in {r.citation.note for r in doc.repaired}}


@pytest.mark.parametrize("builder", [build.build_bibtex, build.build_csl, build.build_ris])
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
    ("export.txt", "TY  - ELEC\nUR  - https://a.org/x\nER  - \n", "ris"),
    ("one-space", "TY - ELEC\nUR - https://a.org/x\nER - \n", "ris"),
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
    ("cut.bib", b"@misc{a, title = {Claim}, url = {https://a.org/x}", "no BibTeX entry could be read (entry 'a' at line 1"),
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


def test_bibtex_entry_that_cannot_be_read_is_named_and_the_rest_still_read(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("""@misc{ok1, url = {https://a.org/x}}

@misc{bad1, url = {https://b.org/y}, title = {unclosed
@misc{ok2, url = {https://c.org/z}}
@misc{ok1, url = {https://d.org/w}}
@misc{two, url = {https://e.org/1}, url = {https://e.org/2}}
""", encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", str(bib), "--format", "json"], catch_exceptions=False)
    cits = json.loads(result.stdout)["citations"]
    assert [(c["note"], c["url"]) for c in cits if c["url"]] == [
        ("ok1", "https://a.org/x"), ("ok2", "https://c.org/z"), ("ok1", "https://d.org/w"), ("two", "https://e.org/2")]
    said = [(c["line"], f["code"], f["message"]) for c in cits if not c["url"] for f in c["findings"]]
    assert said == [
        (3, "U403", "entry 'bad1' at line 3 cannot be read by bibtexparser (unbalanced braces or quotes, a missing "
                    "comma or key?); its URLs are not read: fix the entry"),
        (5, "U403", "entry 'ok1' at line 5 repeats a key used earlier; it is read too, but give it a key of its own"),
        (6, "U403", "entry 'two' at line 6 gives 'url' twice; only the last value is read"),
    ]
    text = CliRunner().invoke(main, ["lint", str(bib)], catch_exceptions=False).stdout
    assert f"{bib}:3: U403 unreadable-entry: entry 'bad1' at line 3 cannot be read" in text


def test_ris_fields_dates_and_records(tmp_path):
    ris = tmp_path / "zotero.ris"
    ris.write_text("""Exported by a reference manager

TY  - ELEC
ID  - r1
TI  - A page
UR  - https://example.org/a;jsessionid=1?x=2
UR  - https://example.org/second
Y2  - 2021/03/04/
DA  - 2019/01/01/
ER  -\x20

TY  - JOUR
DO  - 10.1000/xyz123
N1  - Mirror at https://mirror.example.org/long/
path/x accessed 5 June 2022
ER  -

TY  - ELEC
ID  - cut
UR  - https://example.org/last
""", encoding="utf-8")
    (doc,) = list(lint_paths([str(ris)]))
    got = [(r.citation.note, r.url, r.citation.accessed, r.citation.line) for r in doc.repaired if r.url]
    assert got == [("r1", "https://example.org/a;jsessionid=1?x=2", date(2021, 3, 4), 3),
                   ("r1", "https://example.org/second", date(2021, 3, 4), 3),
                   ("2", "https://mirror.example.org/long/path/x", date(2022, 6, 5), 12),
                   ("2", "https://doi.org/10.1000/xyz123", date(2022, 6, 5), 12),
                   ("cut", "https://example.org/last", None, 18)]
    (notice,) = [r for r in doc.repaired if not r.url]
    assert notice.citation.line == 18
    assert [(f.code, f.message) for f in notice.findings] == [
        ("U403", "RIS record at line 18 has no ER line (is the file cut short?); read as it stands")]
