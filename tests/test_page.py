"""Reading a page (check/page.py): the main text read only as far as it is needed is exactly the
start of the whole page's text, on real pages and on markup built to cut comments, dropped blocks,
tags and entities at every place a piece can end."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.check.page import extract_text, extract_title, main_text
from tests import web

DOCS = Path(__file__).parent.parent / "benchmarks" / "docs"
REAL = sorted(DOCS.glob("*.html"))


def assert_start_of_text(html: str, at_least: int) -> tuple[str, bool]:
    text, whole = main_text(html, at_least)
    full = extract_text(html)
    if whole:
        assert text == full
    else:
        assert full.startswith(text) and len(text) >= at_least  # whole=False: maybe not all of it
    return text, whole


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
@pytest.mark.parametrize("at_least", [1, 40, 500, 4000, 20000])
def test_the_start_of_a_real_pages_text(path: Path, at_least: int) -> None:
    assert_start_of_text(path.read_text(encoding="utf-8"), at_least)


def test_a_long_page_is_read_only_in_part() -> None:
    """The benchmark's ordinary page (miniweb: 20 KB, mostly text): 4,000 characters are not all of it."""
    page = web.page("Synthetic ok page 17", "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 6, 60)
    text, whole = assert_start_of_text(page, 4000)
    assert not whole and len(page) > 16000
    assert main_text(page) == (extract_text(page), True)  # no at_least: all of it


@pytest.mark.parametrize("page", [web.ARTICLE, web.SOFT_EN.format(path="/x"), web.PARKED, web.LOGIN, web.CHALLENGE])
def test_a_short_page_is_read_whole(page: str) -> None:
    assert main_text(page, 4000) == (extract_text(page), True)


TOKENS = ["word", "Wörd", " ", "  ", "\n", "\t", "\xa0", "\u3000", "<p>", "</p>", "<b", ">", "<", "<a href='>'>",
          "<!--", "-->", "<!-", "--", "-", "!", "<script>", "</script>", "<SCRIPT type=x>", "</Script >", "</script",
          "<style>", "</style>", "<head>", "</head>", "<header>", "</header>", "<nav>", "</nav>", "<svg/>",
          "&amp;", "&amp", "&#", "&#38;", "&#x26", "&nbsp;", ";", "&"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=120).map("".join), st.integers(1, 40))
def test_the_start_of_any_markups_text(html: str, at_least: int) -> None:
    assert_start_of_text(html, at_least)


def test_markup_names_match_in_ascii_case_only():
    """`<SCRIPT>` is a script block and `<TITLE>` a title in any ASCII case, but `<\u017fcript>` (a long
    s) is an unknown element whose text shows, and `<t\u0131tle>` (a dotless i) is no title: browsers
    match tag names in ASCII case only, and Python's re.I alone folds Unicode too."""
    assert extract_text("<SCRIPT>var x</Script><p>Hello</p>") == "Hello"
    assert extract_text("<\u017fcript>shown</\u017fcript><p>Hello</p>") == "shown Hello"
    assert extract_title("<TITLE>Page</title>") == "Page"
    assert extract_title("<t\u0131tle>Page</t\u0131tle>") is None
    html = "<\u017fcript>" + "word " * 3000 + "</\u017fcript>"
    start, _ = main_text(html, 100)
    assert start.startswith("word word") and extract_text(html).startswith(start)
