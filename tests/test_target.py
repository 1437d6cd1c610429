"""The checker's URL parse (check/target.py): its fast path must give exactly httpx's answers."""

from __future__ import annotations

import re

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.check.target import join, parse
from archiver.urls.keys import origin_of

# Pieces that sit on either side of the fast path's borders: case, ports, dot segments, escapes,
# characters httpx encodes, user info, fragments, IPv4 look-alikes, IDNA.
_PIECES = ["http", "https", "HTTP", "ftp", "://", ":", "/", "//", ".", "..", "./", "../", "?", "#", "@", "%", "%2f",
           "%zz", "%4", "a", "Z", "ex-ample", "-", "_", "~", "0", "1", "80", "443", "8080", "65536", "99999", "127",
           "0.0.1", "256", "01", "[::1]", "é", "ü", " ", "|", "[", "]", "{", "^", "`", "\"", "'", "(", "*", "=", "&",
           ";", "+", ",", "!", "$", "\\", "\t", "xn--bcher-kva", ".com", "www."]
_urls = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)
_plain_urls = st.tuples(st.sampled_from(["http://", "https://"]), st.sampled_from(["a.org", "ex-ample.com", "127.0.0.2",
                                                                                    "10.1.2.3", "1.2.3", "h"]),
                        st.sampled_from(["", ":80", ":443", ":8080", ":1"]), _urls).map("".join)


def _httpx(url: str):
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return None


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_urls, _plain_urls))
def test_parse_agrees_with_httpx(url):
    expected = _httpx(url)
    if expected is None:
        with pytest.raises((httpx.InvalidURL, TypeError, ValueError)):
            parse(url)
        return
    t = parse(url)
    assert (t.url, t.scheme, t.host, t.port) == (str(expected), expected.scheme,
                                                 expected.raw_host.decode("ascii"), expected.port)
    netloc = expected.netloc.decode("ascii")
    if expected.port is not None and expected.port == {"http": 80, "https": 443}.get(expected.scheme):  # kept by httpx
        # after an upper-case scheme (HTTPS://a.org:443): the key drops it all the same
        netloc = netloc.rpartition(":")[0]
    assert t.key == f"{expected.scheme}://{netloc}"
    assert t.with_path("/p") == str(expected.copy_with(path="/p", query=None, fragment=None))


@settings(max_examples=1500, deadline=None)
@given(_plain_urls, st.one_of(_urls, _plain_urls, _urls.map(lambda u: "/" + u)))
def test_join_agrees_with_httpx(base, location):
    b = _httpx(base)
    if b is None:
        return
    try:
        expected = str(b.join(location))
    except (httpx.InvalidURL, ValueError):
        with pytest.raises((httpx.InvalidURL, ValueError)):
            join(parse(base), location)
        return
    assert join(parse(base), location) == expected


@pytest.mark.parametrize("url", ["http://127.0.0.2:18900/ok/1", "https://example.org/a/b?c=d&e=%20f",
                                 "http://h.example:8080/x'y(z)"])
def test_plain_urls_take_the_fast_path(url):
    assert parse(url).plain and parse(url).url == url


@pytest.mark.parametrize("url", ["HTTP://a.org/", "http://a.org:80/", "http://a.org/./x", "http://a.org/x#f",
                                 "http://u@a.org/", "http://bücher.de/", "http://a.org/x y", "http://[::1]/"])
def test_other_urls_go_through_httpx(url):
    assert not parse(url).plain


@pytest.mark.parametrize("url", ["http://a.orgé..", "https://straße.de../x"])
def test_two_trailing_dots_are_an_empty_label_as_httpx_says(url):
    """One trailing dot is the DNS root; a second is an empty label, which httpx refuses too."""
    assert _httpx(url) is None
    with pytest.raises((httpx.InvalidURL, TypeError, ValueError)):
        parse(url)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_plain_urls, st.tuples(st.sampled_from(["http://", "HTTPS://"]),
                                        st.sampled_from(["Straße.de", "xn--strae-oqa.de", "пример.рф", "ÉCOLE.fr."]),
                                        st.sampled_from(["", ":80", ":443", ":8443"]), _urls).map("".join)))
def test_the_host_key_has_one_form(url):
    """urls/keys.origin_of (which worker process owns a host, the outage guard's count) and Target.key
    (per-host limits, the probe cache) give one key for every URL the checker fetches."""
    try:
        t = parse(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return
    if t.scheme not in ("http", "https") or not re.fullmatch(r"[a-z0-9_.\-]+\.?|[0-9a-f:.]+", t.host) \
            or (t.port or 0) > 65535:
        return  # never fetched: the guard refuses such a host (check/guard.py), no socket has such a port
    assert origin_of(t.url) == t.key  # the run keys the URLs lint wrote, normal forms (raw ones: test_facts.py)
