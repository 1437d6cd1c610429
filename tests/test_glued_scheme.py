"""A word glued to the front of a URL's scheme (`xhttps://…`, `name@http://…`, `12https://…`): the URL
is recovered from its intact http(s)://, the glued word is removed with U115 glued-prefix and a
confidence below 1; it was dropped with no URL and no finding."""

from __future__ import annotations

import pytest

from archiver.lint.repair import repair_url
from archiver.lint.run import lint_paths


@pytest.mark.parametrize(("printed", "prefix", "url"), [
    ("see xhttps://www.bbc.co.uk/news/uk-1 for more", "x", "https://www.bbc.co.uk/news/uk-1"),
    ("write to editor@http://www.lemonde.fr/a.html today", "editor@", "http://www.lemonde.fr/a.html"),
    ("test.example@http://lenta.ru/news/1", "test.example@", "http://lenta.ru/news/1"),  # linkify-it line 96
    ("12https://www.gov.uk/guidance/b", "12", "https://www.gov.uk/guidance/b"),  # a footnote mark
    ("the report.https://www.oecd.org/c/", "report.", "https://www.oecd.org/c/"),
    ("см.http://www.kremlin.ru/d", "см.", "http://www.kremlin.ru/d"),
])
def test_glued_word_is_removed_with_a_finding(tmp_path, printed, prefix, url):
    doc = tmp_path / "notes.txt"
    doc.write_text(printed + "\n", encoding="utf-8")
    (found,) = lint_paths([str(doc)])
    assert [(r.url, r.span, r.confidence, [(f.code, f.name, f.severity, f.message, f.fix) for f in r.findings])
            for r in found.repaired] == [
        (url, url, 0.85, [("U115", "glued-prefix", "warning", f"removed {prefix!r} glued to the front of the URL", url)])]


@pytest.mark.parametrize(("printed", "url", "codes"), [
    ("hhttps://www.bbc.co.uk/a", "https://www.bbc.co.uk/a", ["U108"]),  # a broken scheme, not a glued word
    ("git+https://github.com/a/b", "https://github.com/a/b", []),  # "+" is no glue: as before
    ("详见https://www.gov.cn/a/b.htm。", "https://www.gov.cn/a/b.htm", []),  # CJK: no finding, as before
    ("https://web.archive.org/web/2020/xhttps://www.bbc.co.uk/a", "https://web.archive.org/web/2020/xhttps://www.bbc.co.uk/a", []),
    ("write to editor@lemonde.fr https://www.lemonde.fr/a.html", "https://www.lemonde.fr/a.html", []),  # a space: no glue
    ("editor@lemonde.fr,https://www.lemonde.fr/b.html", "https://www.lemonde.fr/b.html", []),  # "," ends the address
])
def test_what_is_not_a_glued_word(tmp_path, printed, url, codes):
    doc = tmp_path / "notes.txt"
    doc.write_text(printed + "\n", encoding="utf-8")
    (found,) = lint_paths([str(doc)])
    assert [(r.url, [f.code for f in r.findings]) for r in found.repaired] == [(url, codes)]


def test_a_link_target_with_a_glued_word():
    """repair_url alone (a Markdown or HTML link target) removes it the same way."""
    fixed = repair_url("name@https://www.bbc.co.uk/a")
    assert (fixed.url, fixed.span, fixed.confidence, [f.code for f in fixed.findings]) == (
        "https://www.bbc.co.uk/a", "https://www.bbc.co.uk/a", 0.85, ["U115"])
    assert repair_url(fixed.url).url == fixed.url  # idempotent


@pytest.mark.parametrize("printed", ["the_http://bbc.co.uk/a handler", "editor@lemonde.fr", "report.http:// is cut"])
def test_no_url_where_none_is_printed(tmp_path, printed):
    """An identifier ("_" joins it, as linkify-it's not-links want), an address alone, a scheme with no host."""
    doc = tmp_path / "notes.txt"
    doc.write_text(printed + "\n", encoding="utf-8")
    (found,) = lint_paths([str(doc)])
    assert [(r.url, [f.code for f in r.findings]) for r in found.repaired] == [(None, ["U401"])]
