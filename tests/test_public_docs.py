"""Real public documents vendored in benchmarks/docs/ (sources and licences in its LICENSES.md):
lint reads them as their authors meant, and says nothing false about them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archiver.lint.run import lint_paths

DOCS = Path(__file__).parent.parent / "benchmarks" / "docs"
WIKIPEDIA = DOCS / "wikipedia-now-and-then-here-and-there.html"

# The article's reference list as published (revision 615362491): note -> (URL, "Retrieved" date)
REFERENCES = {
    "1": ("http://www.animenewsnetwork.com/news/2009-05-05/adv-adds-grave-of-the-fireflies-now-and-then-here-and-there",
          None),
    "2": ("http://www.animenewsnetwork.com/news/2009-09-01/adv-films-shuts-down-transfers-assets-to-other-companies",
          date(2010, 1, 25)),
    "3": ("http://www.animeondvd.com/reviews2/disc_reviews/530.php", None),
    "4": ("http://www.animeondvd.com/reviews/viewreview.php?review=1253", None),
    "5": ("http://www.animeondvd.com/reviews2/disc_reviews/470.php", None),
    "6": ("http://www.scifi.com/sfw/anime/sfw8049.html", None),
    "7": ("http://www.nt2099.com/J-ENT/news/dvd-reviews/now-and-then-here-and-there-dvd-collection-a-j-ent-anime-"
          "dvd-review/", None),
    "8": ("http://www.animenewsnetwork.com/review/now-and-then-here-and-there/dvd", date(2010, 1, 7)),
}


def _lint(path: Path, **kw):
    (doc,) = list(lint_paths([str(path)], **kw))
    assert doc.error is None, doc.error
    return doc.repaired


@pytest.fixture(scope="module")
def wikipedia():
    return _lint(WIKIPEDIA)


def test_wikipedia_references_come_with_their_note_numbers_and_access_dates(wikipedia):
    noted = {r.citation.note: (r.url, r.citation.accessed) for r in wikipedia if r.citation.note and r.url}
    assert noted == REFERENCES


def test_wikipedia_reference_urls_are_read_from_the_links_untouched(wikipedia):
    for r in wikipedia:
        if r.citation.note in REFERENCES and r.url:
            assert r.citation.href == r.url
            assert r.confidence == 1.0


def test_wikipedia_relative_links_never_become_hosts(wikipedia):
    relative = [r for r in wikipedia if any(f.name == "relative-link" for f in r.findings)]
    assert len(relative) > 100  # /wiki/..., #cite_ref-1, /w/index.php?...: the article is full of them
    assert all(r.url is None for r in relative)
    assert any(r.citation.raw == "/wiki/Anime_News_Network" for r in relative)
    hosts = {urlsplit(r.url).hostname for r in wikipedia if r.url}
    assert all(h and "." in h and h.rsplit(".", 1)[1] in {"com", "org", "jp"} for h in hosts), hosts
    assert not {"wiki", "w", "anime_news_network", "index.php"} & hosts


def test_wikipedia_protocol_relative_links_are_https(wikipedia):
    urls = {r.url for r in wikipedia if r.url}
    assert "https://www.wikidata.org/wiki/Q2003423" in urls  # printed href="//www.wikidata.org/wiki/Q2003423"


@pytest.mark.parametrize("name", sorted(p.name for p in DOCS.iterdir() if p.suffix in (".html", ".md")))
def test_clean_public_documents_have_no_error_findings(name):
    repaired = _lint(DOCS / name)
    assert [r.url for r in repaired if r.url]
    assert [(r.citation.raw, f.code) for r in repaired for f in r.findings if f.severity == "error"] == []


def test_got_readme_badges_and_raw_html_come_out_whole():
    urls = {r.url for r in _lint(DOCS / "got-14.6.6-readme.md") if r.url}
    # [![Downloads](https://img.shields.io/npm/dm/got.svg)](https://npmjs.com/got): two URLs, not one merged
    assert {"https://img.shields.io/npm/dm/got.svg", "https://npmjs.com/got"} <= urls
    assert "https://depot.dev?utm_source=github&utm_medium=sindresorhus" in urls  # an <a href> in raw HTML
    assert not [u for u in urls if '"' in u or "<" in u or ">" in u]


def test_wikipedia_citations_are_its_references_and_external_links(wikipedia):
    """Of a saved Wikipedia page, what check takes by default (role citation) is its 8 references and
    its 4 external links; the menus, the footer, the "Retrieved from" permalink and the maintenance
    banner's "improve this article" edit link are navigation."""
    cited = [(r.citation.note, r.url) for r in wikipedia if r.url and r.citation.role == "citation"]
    assert [u for n, u in cited if n] == [REFERENCES[n][0] for n in sorted(REFERENCES, key=int)]
    assert [u for n, u in cited if not n] == [
        "http://www.geneon-ent.co.jp/rondorobe/anime/imaboku/", "http://www.anime-int.com/works/now/tv/index.html",
        "http://www.centralparkmedia.com/ntht", "http://www.animenewsnetwork.com/encyclopedia/anime.php?id=287"]
    navigation = {r.url for r in wikipedia if r.citation.role == "navigation"}
    assert "http://en.wikipedia.org/w/index.php?title=Now_and_Then,_Here_and_There&oldid=615362491" in navigation
    assert "https://en.wikipedia.org/w/index.php?title=Now_and_Then,_Here_and_There&action=edit" in navigation
