"""Page-level verdicts against the loopback web: strong evidence before calling a real page a soft-404
on a host with real 404s, and client-side redirects (meta refresh, script) counted as redirects."""

import asyncio

import pytest

from archiver.check.classify import Probe, classify_response, client_redirect
from archiver.check.fetch import FetchSettings, check_one, make_client
from tests.web import NEWS_NOT_FOUND, SOFT_EN

FS = FetchSettings(allow_private=True, retries=0, read_timeout=5, total_timeout=10)


def verdict(url: str) -> str:
    async def go():
        async with make_client(FS) as client:
            return await check_one(client, url, FS)

    return asyncio.run(go()).status


@pytest.mark.parametrize(("path", "host", "status"), [
    ("/news/hiker-not-found", "main", "ok"),  # a headline with "not found" on a host with real 404s
    ("/soft404", "main", "soft-404"),  # a tiny page whose text says "could not be found": still caught
    ("/anything", "soft-en", "soft-404"),  # a host that answers 200 "Page not found" for everything
    ("/meta-home", "main", "homepage-redirect"),  # <meta http-equiv=refresh> to the home page
    ("/script-home", "main", "homepage-redirect"),  # window.location.href = '/index.html'
    ("/script-login", "main", "login-required"),  # location.replace("/login?next=...")
    ("/meta-article", "main", "ok"),  # a refresh to another deep page is not a dead link
])
def test_verdicts_on_the_loopback_web(test_web, path, host, status):
    assert verdict(test_web.url(path, host)) == status


def test_headline_alone_is_not_enough_when_the_host_answers_real_404s():
    url = "https://news.example/2026/hiker"
    assert classify_response(200, url=url, html=NEWS_NOT_FOUND, probe=Probe(404))[0] == "ok"
    assert classify_response(200, url=url, html=NEWS_NOT_FOUND, probe=Probe(200))[0] == "soft-404"  # unknown host
    assert classify_response(200, url=url, html=NEWS_NOT_FOUND)[0] == "soft-404"  # no probe: phrases decide
    tiny = SOFT_EN.format(path="/2026/hiker")
    assert classify_response(200, url=url, html=tiny, probe=Probe(404))[0] == "soft-404"
    # the host's own 404 page served with 200 is a soft-404 whatever its words
    error_page = ("<html><head><title>Example News</title></head><body>" + "<p>We moved things around. "
                  "Try the search box or the sections menu to find what you were reading.</p>" * 3 + "</body></html>")
    probe = Probe(404, title="Example News", text=" ".join(["We moved things around. Try the search box or the "
                                                             "sections menu to find what you were reading."] * 3))
    assert classify_response(200, url=url, html=error_page, probe=probe)[0] == "soft-404"


@pytest.mark.parametrize(("html", "target"), [
    ("<meta http-equiv='refresh' content='0; url=/'>", "https://a.example/"),
    ('<META HTTP-EQUIV="Refresh" CONTENT="3;URL=https://b.example/new">', "https://b.example/new"),
    ("<meta content=\"0;url='/x/y'\" http-equiv=\"refresh\">", "https://a.example/x/y"),
    ("<meta http-equiv='refresh' content='30; url=/'>", None),  # a slow refresh is a page, not a redirect
    ("<meta http-equiv='refresh' content='5'>", None),  # reloads itself
    ("<script>document.location = '/home'</script>", "https://a.example/home"),
    ("<script>location.assign(\"/login\")</script>", "https://a.example/login"),
    ("<script>if (x) { location.href = '#top' }</script>", None),
    # attribute names match in ASCII case only, as browsers match them: a dotless i, a long s or the
    # Kelvin sign is another name (re.I alone folded them into i, s and k)
    ("<meta http-equ\u0131v='refresh' content='0; url=/'>", None),
    ("<meta http-equiv='refre\u017fh' content='0; url=/'>", None),
])
def test_client_redirect(html, target):
    assert client_redirect("https://a.example/deep/page", html, "") == target


def test_a_script_redirect_on_a_long_page_is_not_a_redirect():
    text = "word " * 200
    assert client_redirect("https://a.example/deep", "<script>location.href='/'</script>", text) is None


def test_login_walled_platforms_are_cannot_tell_in_the_check_stage_too():
    """One list (archiver.facts): lint warns (U302), archive does not submit, check cannot tell."""
    html = "<html><head><title>Facebook</title></head><body>" + "<p>See posts, photos and more.</p>" * 30 + "</body>"
    for url in ("https://www.facebook.com/groups/x/permalink/1", "https://m.facebook.com/story.php?id=1",
                "https://x.com/someone/status/1"):
        assert classify_response(200, url=url, html=html) == ("login-required", None)
    assert classify_response(404, url="https://www.facebook.com/gone", html=html)[0] == "not-found"
