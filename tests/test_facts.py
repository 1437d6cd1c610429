"""The shared facts (archiver/urls/keys.py, archiver/clock.py): URL keys and the one list of login-walled platforms."""

import pytest

from archiver.clock import epoch_of, iso_of_epoch, ts14
from archiver.lint.repair import repair_url
from archiver.urls.keys import LOGIN_WALLED, login_walled_platform, origin_of


@pytest.mark.parametrize("a, b", [
    ("http://Example.org/a", "http://example.org:80/b"),
    ("https://example.org", "https://example.org:443/x?y"),
    ("https://user:pw@example.org/", "https://example.org/"),
])
def test_origin_fills_default_ports_and_ignores_case_and_userinfo(a, b):
    assert origin_of(a) == origin_of(b)


@pytest.mark.parametrize("url", [
    "http://example.org/a", "http://Example.ORG:80/a", "https://example.org:443/", "http://example.org:8080/x?y",
    "https://user:pw@example.org/", "HTTP://A.org/", "http://fqdn.example./x", "http://[::1]:8080/", "http://[::1]:80/",
    "https://straße.de/", "https://xn--strae-oqa.de/", "https://ÉCOLE.fr/a", "http://foo_bar.tumblr.com/post",
    "http://127.0.0.1:8000/", "https://пример.рф:8443/путь"])
def test_the_origin_is_the_checkers_host_key(url):
    """One form of a host's key: the lint/worker side (origin_of) and the request side (Target.key) agree,
    so one host's URLs go to one worker process and share its per-host limits there."""
    from archiver.check.target import parse

    assert origin_of(url) == parse(url).key


def test_origins_differ_by_scheme_and_port():
    assert len({origin_of("http://a.org/"), origin_of("https://a.org/"), origin_of("http://a.org:8080/")}) == 3


@pytest.mark.parametrize("platform", LOGIN_WALLED)
def test_every_login_walled_platform_gets_the_lint_warning(platform):
    url = f"https://m.{platform}/some/post/1"
    assert login_walled_platform(url) == platform
    rep = repair_url(url)
    assert "login-walled-platform" in [f.name for f in rep.findings]


def test_lookalike_hosts_are_not_login_walled():
    assert login_walled_platform("https://notfacebook.com/x") is None
    assert login_walled_platform("https://x.com.example.org/") is None


def test_time_forms_round_trip():
    when = epoch_of("2021-01-12T10:00:00+00:00")
    assert ts14(when) == "20210112100000" and epoch_of("20210112100000") == when
    assert iso_of_epoch(when) == "2021-01-12T10:00:00+00:00"
    assert epoch_of("2021") == epoch_of("2021-01-01") and epoch_of("garbage") is None
