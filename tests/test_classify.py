"""Page-level verdicts from plain strings: no network."""

from __future__ import annotations

import html as htmllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.check.classify import (
    STATUSES,
    Probe,
    alive_of,
    classify_response,
    decode_body,
    detect_charset,
    extract_text,
    extract_title,
    similarity,
)
from tests.web import ARTICLE, CATCHALL, CATCHALL_REAL, CHALLENGE, LOGIN, PARKED, SOFT_EN, SOFT_RU

U = "https://example.org/2021/05/article"


def html(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


LONG = "<p>" + "The committee published its findings on regional water policy. " * 60 + "</p>"


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (ARTICLE, "ok"),  # mentions "not found" and "page not found", but is a long article
        (html("Budget 2021", LONG + "<p>Some files were not found in the archive.</p>"), "ok"),
        (SOFT_EN.format(path="/x"), "soft-404"),
        (html("Example News", "<h1>Page not found</h1>"), "soft-404"),  # h1 only
        (html("404", "<p>Nothing here.</p>"), "soft-404"),
        (html("Error 404 - Example", LONG), "soft-404"),  # title decides even on a long page
        (html("Example", "<p>Sorry, the page you requested could not be found.</p>"), "soft-404"),
        (SOFT_RU.format(path="/x"), "soft-404"),
        (html("Новости", "<h1>Страница не найдена</h1>"), "soft-404"),
        (html("Сайт", "<p>К сожалению, ничего не найдено.</p>"), "soft-404"),
        (html("Ошибка 404", "<p>Вернитесь на главную.</p>"), "soft-404"),
        (html("Flight 404 to Oslo: what happened", LONG), "ok"),  # 404 inside a title
        (html("Synthetic ok page 404", LONG), "ok"),
        (html("404 | Example", "<p>x</p>"), "soft-404"),
        (html("Example — 404", "<p>x</p>"), "soft-404"),
        (html("404 Not Found", "<p>x</p>"), "soft-404"),
        (PARKED, "parked"),
        (html("example.net", "<p>The domain example.net may be for sale.</p>"), "parked"),
        (html("example.ru", "<p>Этот домен продается!</p>"), "parked"),
        (html("Domain parking explained", LONG + "<p>Some sites say: buy this domain.</p>"), "ok"),
        (LOGIN, "login-required"),
        (CHALLENGE, "blocked"),
        (html("Attention Required! | Cloudflare", "<p>Sorry, you have been blocked</p>"), "blocked"),
        (html("DDoS-Guard", "<p>Checking your browser</p>"), "blocked"),
        (html("Our blog", LONG + "<script src='/cdn-cgi/challenge-platform/scripts/jsd/main.js'></script>"),
         "ok"),  # the script Cloudflare injects into ordinary pages
    ],
)
def test_page_verdicts(page: str, expected: str) -> None:
    status, alive = classify_response(200, {"content-type": "text/html"}, url=U, final_url=U, html=page)
    assert status == expected
    assert alive == STATUSES[expected][0]


@pytest.mark.parametrize(
    ("code", "headers", "expected", "alive"),
    [
        (404, {}, "not-found", False),
        (410, {}, "gone", False),
        (401, {}, "blocked", None),
        (403, {}, "blocked", None),
        (451, {}, "legal", None),
        (429, {}, "rate-limited", None),
        (503, {}, "server-error", False),
        (500, {}, "server-error", False),
        (400, {}, "client-error", False),
        (999, {}, "blocked", None),
        (503, {"cf-mitigated": "challenge"}, "blocked", None),
        (503, {"Server": "ddos-guard"}, "blocked", None),
        (304, {}, "http-error", None),
        (204, {}, "ok", True),
    ],
)
def test_status_codes(code, headers, expected, alive) -> None:
    assert classify_response(code, headers, url=U, html="") == (expected, alive)


def hop(url: str, status: int, location: str) -> dict:
    return {"url": url, "status": status, "location": location}


@pytest.mark.parametrize(
    ("chain", "final", "expected"),
    [
        ([hop(U, 301, "https://example.org/new")], "https://example.org/new", "redirected"),
        ([hop(U, 308, "https://example.com/a")], "https://example.com/a", "redirected"),
        ([hop(U, 302, "https://example.org/b")], "https://example.org/b", "ok"),
        ([hop(U, 302, "https://example.org/b"), hop("https://example.org/b", 301, "https://example.org/c")],
         "https://example.org/c", "ok"),  # the cited URL itself only moved temporarily
        ([hop("http://example.org/2021/05/article", 301, U)], U, "ok"),  # http -> https, same page
        ([hop(U, 301, "https://example.org/")], "https://example.org/", "homepage-redirect"),
        ([hop(U, 302, "https://example.org/index.php")], "https://example.org/index.php", "homepage-redirect"),
        ([hop(U, 302, "https://example.org/404.html")], "https://example.org/404.html", "homepage-redirect"),
        ([hop(U, 302, "https://example.org/login?next=/x")], "https://example.org/login?next=/x",
         "login-required"),
        ([hop(U, 302, "https://example.org/accounts/login/")], "https://example.org/accounts/login/",
         "login-required"),
        ([hop(U, 302, "https://sso.example.org/?return_to=https://example.org/x")],
         "https://sso.example.org/?return_to=https://example.org/x", "login-required"),
    ],
)
def test_redirect_verdicts(chain, final, expected) -> None:
    start = chain[0]["url"]
    status, _ = classify_response(200, {}, url=start, final_url=final, redirects=chain,
                                  html=html("A page", LONG))
    assert status == expected


def test_home_page_itself_is_not_a_homepage_redirect() -> None:
    chain = [hop("http://example.org/", 301, "https://example.org/")]
    status, _ = classify_response(200, {}, url="http://example.org/", final_url="https://example.org/",
                                  redirects=chain, html=html("Home", LONG))
    assert status == "ok"


def test_probe_similar_page_is_soft404() -> None:
    probe = Probe(200, title=extract_title(CATCHALL), text=extract_text(CATCHALL))
    status, alive = classify_response(200, {}, url=U, html=CATCHALL, probe=probe)
    assert (status, alive) == ("soft-404", False)
    # the same site's real page differs from the probe
    assert classify_response(200, {}, url=U, html=CATCHALL_REAL, probe=probe)[0] == "ok"
    # a probe that 404s says nothing
    assert classify_response(200, {}, url=U, html=CATCHALL, probe=Probe(404))[0] == "ok"
    # the home page of a catch-all site is not a soft 404
    assert classify_response(200, {}, url="https://example.org/", html=CATCHALL, probe=probe)[0] == "ok"


def test_similarity() -> None:
    assert similarity("a b c d e f", "a b c d e f") == 1.0
    assert similarity("", "a b c") == 0.0
    assert similarity(extract_text(ARTICLE), extract_text(CATCHALL)) < 0.1


def test_extract_title_and_text() -> None:
    page = ("<html><head><title> A &amp; B\n title </title><style>p{}</style></head><body>"
            "<nav>Menu</nav><!-- hidden --><script>var x = '<p>';</script><p>Hello&nbsp;<b>world</b></p>"
            "\n\n<p>again</p><footer>(c) 2021</footer></body></html>")
    assert extract_title(page) == "A & B title"
    assert extract_text(page) == "Hello world again"  # &nbsp; is whitespace too
    assert extract_title("<p>no title</p>") is None
    assert extract_title("<title></title>") is None


@pytest.mark.parametrize(
    ("body", "ctype", "charset"),
    [
        ("привет".encode("cp1251"), "text/html; charset=windows-1251", "windows-1251"),
        (b"<meta charset='koi8-r'>" + "привет".encode("koi8-r"), "text/html", "koi8-r"),
        (b"<meta http-equiv='Content-Type' content='text/html; charset=windows-1251'>", "text/html",
         "windows-1251"),
        ("héllo".encode(), "text/html", "utf-8"),
        (b"\xef\xbb\xbfhi", "text/html", "utf-8"),
        (b"<meta charset='no-such-codec'>hi", "text/html; charset=bogus", "utf-8"),
    ],
)
def test_detect_charset(body: bytes, ctype: str, charset: str) -> None:
    assert detect_charset(body, ctype) == charset


def test_detect_charset_falls_back_to_charset_normalizer() -> None:
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 20
    assert detect_charset(text.encode("cp1251"), "text/html") in ("cp1251", "windows-1251")


def test_decode_body_skips_binary() -> None:
    assert decode_body(b"%PDF-1.4 ...", "application/pdf") == (None, None)
    assert decode_body(b"", "text/html") == (None, None)
    assert decode_body(b"ok", "text/plain") == ("ok", "utf-8")


def test_status_registry_matches_the_status_type_and_alive_of() -> None:
    from typing import get_args

    from archiver.models import Status

    assert set(STATUSES) == set(get_args(Status))
    for name, (alive, description) in STATUSES.items():
        assert alive_of(name) is alive and description.strip(), name


HOSTILE_CHARSETS = ("rot13", "base64", "zlib", "hex", "idna", "punycode", "undefined", "uu", "bz2",
                    "unicode_escape", "raw_unicode_escape", "utf-7", "charmap")


@pytest.mark.parametrize("name", HOSTILE_CHARSETS)
def test_a_codec_that_is_not_a_charset_falls_back_to_detection(name: str) -> None:
    """Issue 11: a page naming a non-text codec crashed the worker with LookupError."""
    page = "<html><head><title>Новости</title></head><body><p>Сегодня шёл дождь.</p></body></html>"
    for ctype, body in ((f"text/html; charset={name}", page.encode()),
                        ("text/html", f"<meta charset='{name}'>{page}".encode())):
        assert detect_charset(body, ctype) == "utf-8"
        text, charset = decode_body(body, ctype)
        assert charset == "utf-8" and "Новости" in text


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(["a", "Z", "b c", " ", "  ", "\n", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\xa0",
                                 "\u3000", "\u2028", "\u200b", "é", "<b>", "&amp;", "&nbsp;", "&#10;", "<", ">"])).map("".join))
def test_clean_collapses_whitespace_as_str_split(fragment):
    from archiver.check.page import _TAG, _clean

    assert _clean(fragment) == " ".join(htmllib.unescape(_TAG.sub(" ", fragment)).split())


def _pages_and_probes():
    """Pages short and long (the test pages above, long catch-all pages, real pages), each with the
    probes that make the verdict read its text in different ways."""
    from pathlib import Path

    long_shop = html("Shop", "<h1>Our shop</h1>" + "<p>Browse our teapots, cups and kettles in every colour.</p>" * 120)
    long_article = html("Teapots through the ages", "<p>" + "Tea was first brewed in China, then traded west. " * 200)
    pages = [p for p, _ in PAGES] + [long_shop, long_article, LONG * 3, html("404", LONG * 3)]
    pages += [p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parent.parent / "benchmarks" / "docs")
                                                            .glob("*.html"))]
    for page in pages:
        title, text = extract_title(page), extract_text(page)
        probes = [None, Probe(404), Probe(None), Probe(200, title, text), Probe(404, title, text),
                  Probe(200, "Shop", extract_text(long_shop)), Probe(200, title, text[: len(text) * 2 // 3]),
                  Probe(404, "Not found", text[: len(text) // 2])]
        for probe in probes:
            yield page, probe


PAGES = test_page_verdicts.pytestmark[0].args[1]


def test_a_texts_start_gives_the_whole_texts_verdict() -> None:
    """fetch reads only the start of a long page's text (page.main_text): every verdict is the one the
    whole text gives, the comparisons with the probe included (they read the whole when they need it)."""
    from archiver.check.classify import VERDICT_TEXT
    from archiver.check.page import main_text

    partial = 0
    for page, probe in _pages_and_probes():
        start, whole = main_text(page, VERDICT_TEXT)
        partial += not whole
        for url in (U, "https://example.org/"):
            expected = classify_response(200, {}, url=url, html=page, text=extract_text(page), probe=probe)
            assert classify_response(200, {}, url=url, html=page, text=start, text_whole=whole,
                                     probe=probe) == expected, (page[:80], probe)
    assert partial >= 5 * 8  # the long pages were judged by their start
