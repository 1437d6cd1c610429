"""DOIs in every printed form become https://doi.org/ links (issue 21)."""

from __future__ import annotations

import pytest

from archiver.lint.repair import repair_url
from archiver.lint.run import lint_paths
from archiver.urls.segment import split_note


@pytest.mark.parametrize("note,span,url,names", [
    ("DOI 10.17487/RFC9110, June 2022.", "DOI 10.17487/RFC9110", "https://doi.org/10.17487/RFC9110", ["doi-link"]),
    ("DOI: 10.1016/S0140-6736(20)30183-5.", "DOI: 10.1016/S0140-6736(20)30183-5",
     "https://doi.org/10.1016/S0140-6736(20)30183-5", ["doi-link"]),
    ("doi:10.1000/xyz123;", "doi:10.1000/xyz123", "https://doi.org/10.1000/xyz123", ["doi-link"]),
    ("(doi: 10.1000/xyz123)", "doi: 10.1000/xyz123", "https://doi.org/10.1000/xyz123",
     ["trailing-punctuation", "doi-link"]),
    ("see doi.org/10.1257/aeri.20210748.", "doi.org/10.1257/aeri.20210748",
     "https://doi.org/10.1257/aeri.20210748", ["doi-link"]),
    ("at dx.doi.org/10.1000/182, or", "dx.doi.org/10.1000/182", "https://doi.org/10.1000/182", ["doi-link"]),
    ("info:doi/10.1000/182.", "info:doi/10.1000/182", "https://doi.org/10.1000/182", ["doi-link"]),
    ("http://dx.doi.org/10.1000/182", "http://dx.doi.org/10.1000/182", "https://doi.org/10.1000/182", ["doi-link"]),
    ("https://doi.org/10.1000/182", "https://doi.org/10.1000/182", "https://doi.org/10.1000/182", []),
    # the SICI form of older journal DOIs holds "<" and ">"; "<br>" after a DOI is markup
    ("doi:10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0.",
     "doi:10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
     "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0", ["doi-link"]),
    ("doi:10.1000/182<br>", "doi:10.1000/182", "https://doi.org/10.1000/182", ["doi-link"]),
])
def test_printed_dois(note, span, url, names):
    (found,) = split_note(note)
    result = repair_url(found)
    assert (result.url, result.span, [f.name for f in result.findings]) == (url, span, names)
    assert repair_url(result.url).url == result.url  # idempotent


@pytest.mark.parametrize("prose", ["the DOI 10.5 percent rise", "doi: none given", "DOI 10 of 12"])
def test_not_a_doi(prose):
    assert split_note(prose) == []


def test_an_rfc_reference_list(tmp_path):
    """References as the RFC series prints them: 'DOI 10.17487/RFCnnnn' and the URL in <...>."""
    doc = tmp_path / "rfc.txt"
    doc.write_text(
        "References\n\n"
        "[HTTP]     Fielding, R., Ed., Nottingham, M., Ed., and J. Reschke, Ed., \"HTTP Semantics\",\n"
        "           STD 97, RFC 9110, DOI 10.17487/RFC9110, June 2022,\n"
        "           <https://www.rfc-editor.org/info/rfc9110>.\n\n"
        "[URI]      Berners-Lee, T., Fielding, R., and L. Masinter, \"Uniform Resource Identifier\n"
        "           (URI): Generic Syntax\", STD 66, RFC 3986, DOI 10.17487/RFC3986, January 2005.\n",
        encoding="utf-8")
    (linted,) = lint_paths([str(doc)])
    assert [r.url for r in linted.repaired if r.url] == [
        "https://doi.org/10.17487/RFC9110", "https://www.rfc-editor.org/info/rfc9110",
        "https://doi.org/10.17487/RFC3986"]


def test_a_doi_that_lost_its_first_digit(tmp_path):
    """bibtexconv's own example bibliography has `doi = "0.3778/…"`: the link is kept, and said (U116)."""
    path = tmp_path / "refs.bib"
    path.write_text('@Article{ a, doi = "0.3778/j.issn.1002-8331.1508-0186"}\n@Article{ b, doi = "10.3778/j.issn.1"}\n',
                    encoding="utf-8")
    (linted,) = lint_paths([str(path)])
    assert [(r.url, [f.code for f in r.findings]) for r in linted.repaired] == [
        ("https://doi.org/0.3778/j.issn.1002-8331.1508-0186", ["U116"]), ("https://doi.org/10.3778/j.issn.1", [])]
    assert repair_url("https://dx.doi.org/20.500.1/x").findings[0].name == "not-a-doi"
    assert repair_url("https://doi.org/").findings == () and repair_url("https://www.doi.org/the-identifier/").findings == ()
