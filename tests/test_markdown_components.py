"""Links of the components Markdown embeds (MDX, JSX): `<Card href="…">`, as lychee's extractor
tests test_nested_html and test_mdx_multiline_jsx expect (benchmarks/public_suites.py)."""

from __future__ import annotations

from archiver.lint.run import lint_paths


def urls(tmp_path, text: str, name: str = "page.mdx.md") -> list[str]:
    doc = tmp_path / name
    doc.write_text(text, encoding="utf-8")
    (found,) = lint_paths([str(doc)])
    return [r.url for r in found.repaired if r.url]


def test_an_href_on_a_component_is_a_link(tmp_path):
    mdx = ('# Guides\n\n<CardGroup cols={2}>\n  <Card\n    title="Install"\n    href="https://docs.example.net/install"\n'
           '  >\n    Set up.\n  </Card>\n  <Card title="API" href="https://docs.example.net/api">Reference</Card>\n'
           "</CardGroup>\n\nSee [the blog](https://blog.example.net/post).\n")
    assert urls(tmp_path, mdx) == ["https://docs.example.net/install", "https://docs.example.net/api",
                                   "https://blog.example.net/post"]


def test_html_elements_svg_and_in_page_targets_are_not_components(tmp_path):
    md = ('<div>\n<link href="https://cdn.example.net/style.css">\n<svg><image href="https://cdn.example.net/i.png"/>'
          '<use href="#icon"/></svg>\n<Tab href="#install">Install</Tab>\n</div>\n')
    assert urls(tmp_path, md) == []
