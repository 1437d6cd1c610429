"""Bibliographies as people write them (issue 21): CSL-JSON keys in any case and URLs in any of its
text fields, BibTeX/biblatex `url`, `howpublished`, `note`, `eprint` + `eprinttype`, `doi`, hosts
without a scheme, and the LaTeX that ends up inside URLs."""

from __future__ import annotations

import json
from datetime import date

import pytest

from archiver.extract.biblio import unlatex
from archiver.lint.run import lint_paths


def _lint(path):
    (doc,) = lint_paths([str(path)])
    assert doc.error is None
    return [(r.citation.note, r.citation.field, r.url, r.citation.accessed, [f.name for f in r.findings])
            for r in doc.repaired if r.citation.raw]


def test_csl_json_keys_in_any_case_and_urls_in_any_field(tmp_path):
    items = [
        {"ID": "a1", "TYPE": "webpage", "url": "https://a.org/x", "title": "Docs at https://b.org/docs",
         "Note": "Mirror: https://c.org/m. Accessed 12 January 2021", "DOI": "doi:10.1000/182"},
        {"id": "a2", "type": "report", "author": [{"literal": "Team (https://team.org/about)"}], "Title": "T"},
        {"Id": "a3", "Url": "https://d.org/y", "Accessed": {"date-parts": [[2022, 3, 4]]}},
    ]
    path = tmp_path / "lower.json"
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    m = "multiple-urls-in-note"
    assert _lint(path) == [
        ("a1", "url", "https://a.org/x", date(2021, 1, 12), [m]),
        ("a1", "note", "https://c.org/m", date(2021, 1, 12), ["trailing-punctuation", m]),
        ("a1", "title", "https://b.org/docs", date(2021, 1, 12), [m]),
        ("a1", "doi", "https://doi.org/10.1000/182", date(2021, 1, 12), [m]),
        ("a2", "author[0].literal", "https://team.org/about", None, ["trailing-punctuation"]),
        ("a3", "url", "https://d.org/y", date(2022, 3, 4), []),
    ]


def test_bibtex_fields_eprints_and_hosts_without_a_scheme(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text(
        "@misc{docker, title = {Docker Hub}, url = {hub.docker.com}, urldate = {2022-01-02}}\n"
        "@misc{nohost, url = {notahost}}\n"
        "@article{arx, title = {T}, eprint = {2101.00001}, eprinttype = {arXiv}, doi = {https://dx.doi.org/10.1000/1}}\n"
        "@misc{arx2, eprint = {2101.00002}, archivePrefix = {arXiv}, howpublished = {\\url{https://q.org/a\\_b}}}\n"
        "@online{hdl, eprint = {2027/mdp.39015}, eprinttype = {hdl}, note = {DOI 10.1000/2}}\n",
        encoding="utf-8")
    m = "multiple-urls-in-note"
    assert _lint(path) == [
        ("docker", "url", "https://hub.docker.com", date(2022, 1, 2), ["missing-scheme"]),
        ("nohost", "url", None, None, ["missing-host"]),
        ("arx", "doi", "https://doi.org/10.1000/1", None, [m]),
        ("arx", "eprint", "https://arxiv.org/abs/2101.00001", None, [m]),
        ("arx2", "howpublished", "https://q.org/a_b", None, [m]),
        ("arx2", "eprint", "https://arxiv.org/abs/2101.00002", None, [m]),
        ("hdl", "note", "https://doi.org/10.1000/2", None, ["doi-link", m]),
        ("hdl", "eprint", "https://hdl.handle.net/2027/mdp.39015", None, [m]),
    ]


@pytest.mark.parametrize("latex,url", [
    ("https://www.cs.x.edu/$\\sim$user/", "https://www.cs.x.edu/~user/"),
    ("https://www.cs.x.edu/$\\thicksim$user/", "https://www.cs.x.edu/~user/"),
    ("https://www.cs.x.edu/$\\sim $user/", "https://www.cs.x.edu/~user/"),
    ("https://x.org/\\textasciitilde{}user/", "https://x.org/~user/"),
    ("https://x.org/\\textasciitilde user/", "https://x.org/~user/"),
    ("https://x.org/\\~{}user/", "https://x.org/~user/"),
    ("https://x.org/{\\char`\\~}user/", "https://x.org/~user/"),
    ("https://x.org/\\string~user/", "https://x.org/~user/"),
    ("https://x.org/a\\_b\\%20c\\&d=\\#e", "https://x.org/a_b%20c&d=#e"),
    ("https://x.org/{\\textunderscore}a\\slash b", "https://x.org/_a/b"),
])
def test_latex_in_urls(latex, url):
    assert unlatex(latex) == url


def test_latex_tilde_in_a_bib_entry(tmp_path):
    path = tmp_path / "t.bib"
    path.write_text("@misc{t, url = {https://www.cs.x.edu/$\\sim$user/page.html},\n"
                    "  note = {See http://y.org/\\textasciitilde{}a/ and https://z.org/$\\thicksim$b}}\n",
                    encoding="utf-8")
    assert [url for _, _, url, _, _ in _lint(path)] == [
        "https://www.cs.x.edu/~user/page.html", "http://y.org/~a/", "https://z.org/~b"]


def test_bibtexconv_url_checked_and_urlbst_lastchecked_are_the_access_date(tmp_path):
    """bibtexconv records when it fetched each URL (`url.checked`, with its size and MD5): the day it
    was accessed, for the entry's URL and DOI alike; `urldate` wins when both are given. urlbst's
    styles print `lastchecked` as "Last checked: …"."""
    path = tmp_path / "refs.bib"
    path.write_text(
        '@Misc{ Dre2012, title = "{Talk}", url = "https://duepublico.uni-duisburg-essen.de/a.pdf",\n'
        '\turl.size = "5915045", url.mime = "application/pdf", url.checked = "2015-05-06 22:13:55 CEST",\n'
        '\tdoi = "10.1109/AINA.2012.5"\n}\n'
        '@Misc{ both, url = "https://b.org/x", urldate = {2020-01-02}, url.checked = "2015-05-06 22:13:55 CEST"}\n'
        '@Misc{ urlbst, url = "https://c.org/y", lastchecked = {12 January 2021}}\n',
        encoding="utf-8")
    m = "multiple-urls-in-note"
    assert _lint(path) == [
        ("Dre2012", "url", "https://duepublico.uni-duisburg-essen.de/a.pdf", date(2015, 5, 6), [m]),
        ("Dre2012", "doi", "https://doi.org/10.1109/AINA.2012.5", date(2015, 5, 6), [m]),
        ("both", "url", "https://b.org/x", date(2020, 1, 2), []),
        ("urlbst", "url", "https://c.org/y", date(2021, 1, 12), []),
    ]


def test_csl_json_access_dates_in_every_form(tmp_path):
    items = [{"id": "a", "URL": "https://a.org/1", "accessed": {"date-parts": [["2021", "1", "12"]]}},
             {"id": "b", "URL": "https://b.org/2", "accessed": {"raw": "2021-01-13"}},
             {"id": "c", "URL": "https://c.org/3", "accessed": {"literal": "January 14, 2021"}},
             {"id": "d", "URL": "https://d.org/4", "accessed": "2021-01-15"},
             {"id": "e", "URL": "https://e.org/5", "accessed": {"date-parts": [[2021, 1]]}}]  # no day: none
    path = tmp_path / "items.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    assert [(n, d) for n, _, _, d, _ in _lint(path)] == [
        ("a", date(2021, 1, 12)), ("b", date(2021, 1, 13)), ("c", date(2021, 1, 14)), ("d", date(2021, 1, 15)),
        ("e", None)]


def test_a_doi_link_and_the_doi_field_of_one_entry_are_one_citation(tmp_path):
    """Exports write both `url = {http://dx.doi.org/…}` and `doi = {…}`: one URL, cited once."""
    path = tmp_path / "refs.bib"
    path.write_text("@article{h, url = {http://dx.doi.org/10.1000/ABC}, doi = {10.1000/abc}}\n"
                    "@article{i, doi = {10.1000/xyz}, note = {doi:10.1000/xyz}}\n", encoding="utf-8")
    assert [(n, f, u) for n, f, u, _, _ in _lint(path)] == [
        ("h", "url", "https://doi.org/10.1000/ABC"), ("i", "note", "https://doi.org/10.1000/xyz")]
