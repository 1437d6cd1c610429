"""Repair rules, table-driven: real damage, and valid URLs that must pass untouched."""

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.lint.document import repair_document
from archiver.lint.repair import repair_url
from archiver.models import Citation
from archiver.urls.segment import split_note

REPAIRS = [
    # (printed, repaired URL, finding names)
    ("https://eurasianet.org/kazakhstan–vote–unfolds", "https://eurasianet.org/kazakhstan-vote-unfolds",
     {"typographic-dash"}),
    ("https://x.org/a‐b‑c‒d—e―f−g", "https://x.org/a-b-c-d-e-f-g", {"typographic-dash"}),
    ("https://misk.org.kz/ru/events/37df5545–eb48–475c–a217–940a5ddfa479/",
     "https://misk.org.kz/ru/events/37df5545-eb48-475c-a217-940a5ddfa479/", {"typographic-dash"}),
    ("https://x.org/annual\u00adreport", "https://x.org/annualreport", {"invisible-character"}),
    ("https://x.org/a\u200bb", "https://x.org/ab", {"invisible-character"}),
    ("https://x.org/a\u00a0b", "https://x.org/ab", {"invisible-character", "embedded-whitespace"}),
    ("https://x.org/a/ 123", "https://x.org/a/123", {"embedded-whitespace"}),
    ("https://x.org/a/\n123", "https://x.org/a/123", {"embedded-whitespace"}),
    ("https://x.org/page.", "https://x.org/page", {"trailing-punctuation"}),
    ("https://x.org/page),", "https://x.org/page", {"trailing-punctuation"}),
    ("https://x.org/page”", "https://x.org/page", {"trailing-punctuation"}),
    ("<https://x.org/page>", "https://x.org/page", {"wrapped-url"}),
    ("«https://x.org/page»", "https://x.org/page", {"wrapped-url"}),
    ('"https://x.org/page"', "https://x.org/page", {"wrapped-url"}),
    ("https://x.org/?a=1&amp;b=2", "https://x.org/?a=1&b=2", {"html-entity"}),
    ("https://https://x.org/a", "https://x.org/a", {"broken-scheme"}),
    ("https//x.org/a", "https://x.org/a", {"broken-scheme"}),
    ("https:/x.org/a", "https://x.org/a", {"broken-scheme"}),
    ("htps://x.org/a", "https://x.org/a", {"broken-scheme"}),
    ("http:\\\\x.org/a", "http://x.org/a", {"broken-scheme"}),
    ("www.rferl.org/a/1.html", "https://www.rferl.org/a/1.html", {"missing-scheme"}),
    ("rferl.org/a/b/1.html", "https://rferl.org/a/b/1.html", {"missing-scheme"}),
]

UNTOUCHED = [
    "https://rus.azattyq.org/a/31041509.html",
    "https://en.wikipedia.org/wiki/Kettling_(police_tactic)",
    "https://ru.wikipedia.org/wiki/Казахстан",
    "https://кремль.рф/events/president/news",
    "https://xn--h1alffa9f.xn--p1ai/",
    "https://example.com/%D0%BF%D1%83%D1%82%D1%8C?q=%20",
    "http://127.0.0.1:8080/a",
    "https://example.com/a#section-2",
    "https://example.com/a,b,c/d",
    "https://www.election.gov.kz/rus/news/acts/index.php?ID=5904",
    "https://example.com/a-b_c~d",
]


@pytest.mark.parametrize("printed,url,names", REPAIRS)
def test_repairs(printed, url, names):
    result = repair_url(printed)
    assert result.url == url
    assert {f.name for f in result.findings} == names
    assert all(f.fix == url for f in result.findings if f.code.startswith("U1") and f.fix)


@pytest.mark.parametrize("url", UNTOUCHED)
def test_valid_urls_pass_untouched(url):
    result = repair_url(url)
    assert result.url == url
    assert [f.name for f in result.findings] == []
    assert result.confidence == 1.0


def test_wikipedia_en_dash_warns_and_offers_both_forms():
    result = repair_url("https://en.wikipedia.org/wiki/Sino–Soviet_split")
    assert result.url == "https://en.wikipedia.org/wiki/Sino–Soviet_split"
    assert [f.name for f in result.findings] == ["ambiguous-dash"]
    assert result.candidates == ("https://en.wikipedia.org/wiki/Sino-Soviet_split",)
    assert result.findings[0].severity == "warning"


@pytest.mark.parametrize("printed,names", [
    ("https://x.org/reports/annual-rep…", {"truncated-url"}),
    ("https://x.org/reports/annual-rep...", {"truncated-url"}),
    ("kz/ru/news/aktivist–s–600–…", {"truncated-url", "missing-host", "typographic-dash"}),
    ("kz/ru/news/aktivist–s–600", {"missing-host", "typographic-dash"}),
    ("https://exa mple.com:99999/", {"embedded-whitespace", "invalid-url"}),
    ("https:///path/only", {"invalid-url"}),
])
def test_unrecoverable_is_an_error_with_no_url(printed, names):
    result = repair_url(printed)
    assert result.url is None
    assert {f.name for f in result.findings} == names
    assert any(f.severity == "error" for f in result.findings)


@pytest.mark.parametrize("url,names", [
    ("https://www.facebook.com/groups/x", {"login-walled-platform"}),
    ("https://m.facebook.com/story.php?id=1", {"login-walled-platform"}),
    ("https://x.com/user/status/1", {"login-walled-platform"}),
    ("https://twitter.com/user/status/1", {"login-walled-platform"}),
    ("https://www.linkedin.com/posts/a", {"login-walled-platform"}),
    ("https://www.tiktok.com/@a/video/1", {"login-walled-platform"}),
    ("https://www.instagram.com/p/C/?igshid=abc", {"login-walled-platform", "tracking-parameter"}),
    ("https://example.com/a?utm_source=x&id=3", {"tracking-parameter"}),
    ("https://example.com/a?fbclid=IwAR0", {"tracking-parameter"}),
    ("https://notfacebook.com/a", set()),
    ("https://box.com/a", set()),
])
def test_advice(url, names):
    result = repair_url(url)
    assert result.url == url  # advice never changes the URL
    assert {f.name for f in result.findings} == names


# An emitted `url` is always one httpx can fetch; anything else is a finding and `url` is None.
NEVER_EMITTED = [
    ("ftp://ftp.example.org/pub/report.pdf", "unsupported-scheme", "ftp:"),
    ("hxxp://evil.example.com/a", "unsupported-scheme", "defanged"),
    ("mailto:someone@example.org", "unsupported-scheme", "mailto:"),
    ("javascript:alert(1)", "unsupported-scheme", "javascript:"),
    ("data:text/html,hi", "unsupported-scheme", "data:"),
    ("user:pw@example.org/a/b", "invalid-url", "user name and password"),
    ("http://☃.net/", "impossible-host", "IDNA"),
    ("http://xn--/", "impossible-host", "xn--"),
    ("http://example.org:99999/", "invalid-url", "port 99999"),
    ("http://example.org/a\x1bb", "invalid-url", "U+001B"),
    ("http://example.org/a\x7fb", "invalid-url", "U+007F"),
    ("http://example.org/a\x00b", "invalid-url", "U+0000"),
    ("https://exa$mple.org/a", "impossible-host", "characters a host name cannot have"),
    ("https://-example.org/a", "impossible-host", "starts or ends with '-'"),
    ("https://www.rferl.o/a/1.html", "impossible-host", "looks cut off"),
    ("https://intranet/a", "impossible-host", "no public suffix"),
    ("https://example.notatld/a", "impossible-host", "'.notatld' is no top-level domain"),
]


@pytest.mark.parametrize("printed,name,says", NEVER_EMITTED)
def test_unfetchable_urls_are_findings_never_urls(printed, name, says):
    result = repair_url(printed)
    assert result.url is None
    (f,) = [f for f in result.findings if f.name == name]
    assert says in f.message


# Hosts a browser reaches are emitted as printed (the one host rule, urls/hosts.py: IDNA 2008 with the
# UTS 46 mapping; '_' allowed in a plain label, as DNS allows it). IDNA 2003 read `straße.de` as
# `strasse.de` and refused `foo_bar.tumblr.com`.
@pytest.mark.parametrize("printed", [
    "https://straße.de/impressum", "https://faß.de/", "https://xn--strae-oqa.de/impressum", "https://xn--fa-hia.de/",
    "https://foo_bar.tumblr.com/post/1", "https://_dmarc.example.org/", "http://می‌راث.ir/a",
])
def test_hosts_a_browser_reaches_are_checkable(printed):
    result = repair_url(printed)
    assert result.url == printed
    assert not {f.name for f in result.findings} & {"impossible-host", "invalid-url", "invisible-character"}


def test_a_zwnj_outside_a_valid_host_label_is_still_removed():
    result = repair_url("http://می‌راث.ir/a‌b")
    assert result.url == "http://می‌راث.ir/ab"
    assert [f.name for f in result.findings] == ["invisible-character"]
    assert repair_url("https://exam‌ple.com/x").url == "https://example.com/x"  # Latin: no ZWNJ is valid


def test_ideographic_space_is_whitespace_not_part_of_a_url():
    assert split_note("https://example.org/a\u3000and more") == ["https://example.org/a"]


@pytest.mark.parametrize("printed,url", [
    ("doi:10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
    ("doi: 10.1000/xyz123", "https://doi.org/10.1000/xyz123"),
])
def test_doi_becomes_a_doi_org_link(printed, url):
    result = repair_url(printed)
    assert result.url == url and [f.name for f in result.findings] == ["doi-link"]


@pytest.mark.parametrize("printed", ["addons.html/x", "CHANGELOG_V20.md", "docs/guide/intro", "kz"])
def test_missing_scheme_only_for_registrable_domains(printed):
    result = repair_url(printed)
    assert result.url is None
    assert "missing-scheme" not in {f.name for f in result.findings}


@pytest.mark.parametrize("href,printed,url,names", [
    ("addons.html", "", None, {"relative-link"}),
    ("CHANGELOG_V20.md", "", None, {"relative-link"}),
    ("../docs/a.md#x", "", None, {"relative-link"}),
    ("//cdn.example.org/a.js", "", "https://cdn.example.org/a.js", set()),
    ("mailto:x@example.org", "", None, {"unsupported-scheme"}),
    ("https://kaztag.kz/ru/news/a-b", "https://kaztag.kz/ru/news/a–b", "https://kaztag.kz/ru/news/a-b",
     {"link-target-used"}),
    ("https://kaztag.kz/ru/news/a-b", "https://kaztag.kz/ru/news/a-b", "https://kaztag.kz/ru/news/a-b", set()),
    ("https://a.org/x", "https://b.org/y", "https://a.org/x", {"link-target-used"}),
])
def test_link_targets(href, printed, url, names):
    from archiver.lint.document import repair_link

    result = repair_link(href, printed)
    assert result.url == url
    assert {f.name for f in result.findings} == names
    assert all(f.severity == "info" for f in result.findings)


def test_tracking_fix_drops_only_tracking_parameters():
    result = repair_url("https://example.com/a?utm_source=x&id=3&utm_medium=y")
    (f,) = result.findings
    assert f.fix == "https://example.com/a?id=3"


@pytest.mark.parametrize("note,spans", [
    # joins: a space after /, -, = or before a dash
    ("https://a.org/x–y –z", ["https://a.org/x–y –z"]),
    ("https://a.org/x– y", ["https://a.org/x– y"]),
    ("https://a.org/index.php?ID= 5904", ["https://a.org/index.php?ID= 5904"]),
    ("https://a.org/permalink/ 2886756481643616.", ["https://a.org/permalink/ 2886756481643616."]),
    # does not join
    ("https://a.org/report - final report", ["https://a.org/report"]),
    ("https://a.org/report/ and https://b.org/", ["https://a.org/report/", "https://b.org/"]),
    ("https://a.org/report accessed on 12 January 2021", ["https://a.org/report"]),
    ("https://a.org/report/ accessed on 12 January 2021", ["https://a.org/report/"]),
    ("https://a.org/x, https://b.org/y", ["https://a.org/x,", "https://b.org/y"]),
    ("https://a.org/x; https://b.org/y", ["https://a.org/x;", "https://b.org/y"]),
    ("https://a.org/x https://b.org/y", ["https://a.org/x", "https://b.org/y"]),
    ("see www.a.org/x.", ["www.a.org/x."]),
    ("Kettling is a police tactic for control of large crowds.", []),
    ("kz/ru/news/aktivist–s–600", ["kz/ru/news/aktivist–s–600"]),
    # a dash after a file extension is prose, inside a path it is a damaged hyphen
    ("https://a.org/report.pdf—see page 4", ["https://a.org/report.pdf"]),
    ("https://a.org/news.html–and more", ["https://a.org/news.html"]),
    ("https://a.org/kazakhstan–vote–unfolds.html", ["https://a.org/kazakhstan–vote–unfolds.html"]),
])
def test_split_note(note, spans):
    assert split_note(note) == spans


def test_split_free_text_ignores_dates_and_fractions():
    assert split_note("On 1/2/2021 and/or 3/4/5 things happened.", allow_fragment=False) == []


def _cit(note, raw, idx=0, line=None):
    return Citation("doc.txt", line or int(note), note, raw, None, None, idx, raw)


def test_document_duplicates_and_candidates():
    cits = [
        _cit("20", "https://kaztag.kz/ru/news/na–vybory"),
        _cit("21", "https://kaztag.kz/ru/news/na–vybory)"),
        _cit("22", "https://misk.org.kz/ru/events/1/"),
        _cit("25", "kz/ru/news/aktivist–s–600"),
    ]
    out = repair_document(cits)
    assert [f.message for f in out[1].findings if f.name == "duplicate-url"] == ["same URL as note 20"]
    assert out[3].url is None
    assert out[3].candidates == ("https://kaztag.kz/ru/news/aktivist-s-600",)


def test_truncated_url_candidates_from_same_document():
    cits = [_cit("1", "https://x.org/reports/annual-report-2021.pdf"), _cit("2", "https://x.org/reports/annual-rep…")]
    out = repair_document(cits)
    assert out[1].url is None
    assert out[1].candidates == ("https://x.org/reports/annual-report-2021.pdf",)


# ------------------------------------------------------------ properties ---
url_chars = st.sampled_from(list("abcxyz019-_/.?=&%#:–— \u00ad\u200b\u00a0()[]<>«»\"',;…") + ["https://", "www.", "кз"])
urlish = st.lists(url_chars, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(urlish, st.builds(lambda s: "https://" + s, urlish)))
def test_repair_is_idempotent(text):
    first = repair_url(text)
    if first.url is not None:
        again = repair_url(first.url)
        assert again.url == first.url
        assert not [f for f in again.findings if f.code.startswith(("U1", "U2"))]


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_unicode(text):
    result = repair_url(text)
    assert result.url is None or isinstance(result.url, str)
    for span in split_note(text):
        repair_url(span)
    repair_document([_cit("1", text)])


clean_chars = st.sampled_from(list("abcxyz0189-._~/%!$'*+,=:@?#"))


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["http://", "https://"]), st.sampled_from(["a.org", "x-y.example.com:8080", "127.0.0.1"]),
       st.lists(clean_chars, max_size=30).map("".join))
def test_fast_path_agrees_with_the_full_rules(scheme, host, path):
    from archiver.lint.repair import _is_clean, _repair_all_rules

    raw = f"{scheme}{host}/{path}"
    if _is_clean(raw):
        fast, full = repair_url(raw), _repair_all_rules(raw)
        assert (fast.url, fast.findings, fast.confidence) == (full.url, full.findings, full.confidence)


@pytest.mark.parametrize("text, url", [
    # reStructuredText, as package descriptions print it: the URL ends at '>', the next line is prose
    ("See `the changelog <https://docs.pytest.org/en/stable/changelog.html>`__\npage for fixes.\n",
     "https://docs.pytest.org/en/stable/changelog.html"),
    ('<a href="https://example.org/a"class="x">', "https://example.org/a"),
])
def test_markup_after_a_url_ends_it(text, url):
    assert split_note(text) == [url]


@pytest.mark.parametrize("raw,url,codes", [
    ("https://ＥＸＡＭＰＬＥ.org/a", "https://example.org/a", ["U113"]),  # full-width letters
    ("ªexample.org", "https://aexample.org", ["U109", "U113"]),  # a compatibility character, no scheme
    ("https://user@STRAßE.de:8080/x", "https://straße.de:8080/x", ["U113", "U308"]),  # case folded, ß kept, no user
    ("https://straße.de/x", "https://straße.de/x", []),  # a valid IDN maps to itself
])
def test_a_host_browsers_map_is_cited_mapped(raw, url, codes):
    """Browsers map a host with UTS 46 before looking it up; httpx and the archives refuse the
    unmapped form (the fuzz test found `ªexample.org`)."""
    result = repair_url(raw)
    assert (result.url, [f.code for f in result.findings]) == (url, codes)
    assert httpx.URL(result.url).host
    assert repair_url(result.url).url == result.url


@pytest.mark.parametrize("path", ["a" * 70_000, "ж" * 11_000])  # ASCII; Cyrillic, 6 characters a letter as sent
def test_a_url_longer_than_clients_accept_is_never_emitted(path):
    """httpx refuses a URL over 64 KiB and no server reads one; lint says so instead of emitting it."""
    result = repair_url(f"https://kaztag.kz/{path}")
    assert result.url is None
    [problem] = result.findings
    assert problem.name == "invalid-url" and "as sent" in problem.message and "65,536" in problem.message
    if path.isascii():
        with pytest.raises(httpx.InvalidURL):
            httpx.URL(f"https://kaztag.kz/{path}")
    else:  # httpx counts characters before it percent-encodes them; what it would send is longer
        assert len(str(httpx.URL(f"https://kaztag.kz/{path}"))) > 65_536


def test_a_long_url_clients_accept_is_emitted_unchanged():
    url = "https://kaztag.kz/" + "a" * 60_000
    assert repair_url(url).url == url
    httpx.URL(url)  # and a client takes it
