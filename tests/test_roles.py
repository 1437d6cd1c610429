"""Every extracted URL has a role (issue 21): citation, example, navigation or resource; check and
archive take citations unless --roles says more."""

from __future__ import annotations

import pytest

from archiver import api
from archiver.config import Settings, load_settings
from archiver.errors import ConfigError
from archiver.lint.run import lint_paths
from archiver.urls.reserved import example_host

PAGE = """<!DOCTYPE html><html><head><link rel="stylesheet" href="https://cdn.org/s.css"></head><body>
<header><a href="https://site.org/">Home</a></header>
<nav role="navigation"><a href="https://site.org/about">About</a></nav>
<div id="mw-navigation"><a href="https://site.org/random">Random</a></div>
<main><p>The report <a href="https://source.org/report">says so</a>.
<img src="https://site.org/chart.png" alt="chart"></p>
<ol><li id="cite_note-1"><a href="https://source.org/note">Source</a>. Retrieved 2021-03-04.</li></ol>
<aside><a href="https://site.org/related">Related</a></aside></main>
<footer><a href="https://site.org/privacy">Privacy</a></footer>
<div class="navbox"><a href="https://site.org/series">Series</a></div>
</body></html>"""


def _roles(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (doc,) = lint_paths([str(path)])
    return [(r.citation.raw, r.citation.role, r.url, [f.name for f in r.findings]) for r in doc.repaired]


def test_html_roles(tmp_path):
    got = [(raw, role) for raw, role, _, _ in _roles(tmp_path, PAGE, "page.html")]
    assert got == [("https://site.org/", "navigation"), ("https://site.org/about", "navigation"),
                   ("https://site.org/random", "navigation"), ("https://source.org/report", "citation"),
                   ("https://site.org/chart.png", "resource"), ("https://source.org/note", "citation"),
                   ("https://site.org/related", "navigation"), ("https://site.org/privacy", "navigation"),
                   ("https://site.org/series", "navigation")]


def test_markdown_images_and_pandoc_attributes(tmp_path):
    text = ("See ![schema](https://site.org/schema.png){#fig:schema} and [the spec](https://spec.org/a).\n\n"
            "Raw data at https://data.org/set{#tbl:data} too.\n")
    assert [(raw, role) for raw, role, _, _ in _roles(tmp_path, text, "a.md")] == [
        ("https://site.org/schema.png", "resource"), ("https://spec.org/a", "citation"),
        ("https://data.org/set", "citation")]


@pytest.mark.parametrize("url,host", [
    ("https://example.com/x", "example.com"), ("http://www.example.org/", "www.example.org"),
    ("https://api.example/v1", "api.example"), ("https://site.test/", "site.test"), ("http://x.invalid", "x.invalid"),
    ("https://192.0.2.10/a", "192.0.2.10"), ("http://198.51.100.1/", "198.51.100.1"), ("https://203.0.113.255/", "203.0.113.255"),
    ("http://[2001:db8::1]/", "2001:db8::1"), ("example.net/path", "example.net"),
    ("https://example.company.com/", None), ("https://myexample.com/", None), ("https://192.0.3.1/", None),
    ("https://[2001:db9::1]/", None),
])
def test_reserved_hosts(url, host):
    assert example_host(url) == host


def test_examples_are_said_and_not_checked(tmp_path):
    text = "1. https://example.com/api\n2. https://site.test/page\n3. https://real.org/page\n"
    assert _roles(tmp_path, text, "notes.txt") == [
        ("https://example.com/api", "example", "https://example.com/api", ["example-address"]),
        ("https://site.test/page", "example", "https://site.test/page", ["example-address"]),
        ("https://real.org/page", "citation", "https://real.org/page", []),
    ]
    path = tmp_path / "page.html"
    path.write_text(PAGE.replace("https://source.org/note", "https://example.com/note"), encoding="utf-8")
    found = api.lint([str(path)], Settings())
    assert api.urls_of(found, Settings().role_set()) == ["https://source.org/report"]
    wanted = load_settings(None, environ={}, roles="citation, resource, example").role_set()
    assert api.urls_of(found, wanted) == ["https://source.org/report", "https://site.org/chart.png",
                                          "https://example.com/note"]


def test_an_unknown_role_is_a_configuration_error():
    with pytest.raises(ConfigError, match="unknown role"):
        load_settings(None, environ={}, roles="citation,links")


def test_lint_json_names_the_roles_that_are_not_citations(tmp_path):
    import json

    from click.testing import CliRunner

    from archiver.cli.main import main

    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    out = CliRunner().invoke(main, ["lint", str(path), "--format", "json"], catch_exceptions=False).output
    roles = [(c["raw"], c.get("role")) for c in json.loads(out)["citations"]]
    assert roles[2:6] == [("https://site.org/random", "navigation"), ("https://source.org/report", None),
                          ("https://site.org/chart.png", "resource"), ("https://source.org/note", None)]


def test_check_takes_citations_unless_roles_says_more(tmp_path, test_web, monkeypatch):
    """`archiver check` fetches the citation only; `--roles citation,navigation,resource` fetches the
    page chrome's link and the image too; the example host is never fetched (no request leaves)."""
    import json

    from click.testing import CliRunner

    from archiver.cli.main import main

    monkeypatch.delenv("ARCHIVER_ROLES")  # conftest lets every other test fetch its reserved test hosts
    page = tmp_path / "page.html"
    page.write_text(f'<html><body><header><a href="{test_web.url("/")}">Home</a></header>\n'
                    f'<main><p>The report <a href="{test_web.url("/ok")}">says so</a>.\n'
                    f'<img src="{test_web.url("/article")}" alt="chart"> <a href="https://example.org/x">x</a></p>'
                    "</main></body></html>", encoding="utf-8")

    def check(db, *roles):
        args = ["check", str(page), "--db", str(db), "--allow-private", "--processes", "1", *roles]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        out = CliRunner().invoke(main, ["report", "--db", str(db), "--format", "json"], catch_exceptions=False).stdout
        return {c["url"].rsplit("/", 1)[1] or "/": (c["role"], c["state"]) for c in json.loads(out)["citations"]}

    def hits():  # the local web is the session's: other tests' requests count too, so compare before and after
        return [test_web.hits(path) for path in ("/ok", "/", "/article")]

    before = hits()
    assert check(tmp_path / "a.db") == {"ok": ("citation", "alive"), "/": ("navigation", "unchecked"),
                                        "article": ("resource", "unchecked"), "x": ("example", "unchecked")}
    assert [after - was for after, was in zip(hits(), before)] == [1, 0, 0]
    before = hits()
    assert check(tmp_path / "b.db", "--roles", "citation,navigation,resource") == {
        "ok": ("citation", "alive"), "/": ("navigation", "alive"), "article": ("resource", "alive"), "x": ("example", "unchecked")}
    assert [after - was for after, was in zip(hits(), before)][1:] == [1, 1]
