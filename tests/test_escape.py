"""One set of escapers (archiver/report/render/escape.py) for every Markdown and HTML output: the check
and archive results escape a hostile value as the editor's report does, and link only http(s) URLs.
The outputs are read back with the parsers a reader would use (markdown-it, lxml)."""

import lxml.html
from markdown_it import MarkdownIt

from archiver.models import CheckRow, Place
from archiver.report.results import archive_html, archive_markdown, check_html, check_markdown
from archiver.wayback.policy import ArchiveReport, ArchiveResult

HOSTILE = "javascript:alert(1)"
PLACE = Place("notes | *draft*.md", "3", 7)


def row(url: str) -> CheckRow:
    return CheckRow(url, "ok", True, 200, None, (), "alive", "alive", None, 12, None, "2026-01-01T00:00:00+00:00",
                    False, places=(PLACE,))


def md_table(text: str) -> list[list[str]]:
    """The cells of the first Markdown table in `text`, as the inline text a reader sees."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    rows, cells = [], None
    for t in tokens:
        if t.type == "tr_open":
            cells = []
        elif t.type == "inline" and cells is not None:
            cells.append("".join(c.content for c in t.children if c.type in ("text", "code_inline"))
                         or t.content)
        elif t.type == "tr_close":
            rows.append(cells)
            cells = None
    return rows


def test_check_markdown_keeps_a_hostile_cell_in_its_column():
    text = "".join(check_markdown([row("https://a.example/x_y*z"), row(HOSTILE)], {"checked": 2, "by_state": {},
                                  "newly_failing": 0, "newly_dead": 0, "revived": 0, "changed_content": 0}))
    header, *body = md_table(text)
    assert len(header) == 5 and all(len(cells) == 5 for cells in body)
    assert body[0][0] == "notes | *draft*.md: note 3"  # the `|` and `*` are text, not a cell and emphasis
    assert "href" not in MarkdownIt("commonmark").enable("table").render(text).split(HOSTILE)[0][-40:]


def test_html_results_link_only_web_urls():
    page = "".join(check_html([row("https://a.example/"), row(HOSTILE)], {"checked": 2, "by_state": {},
                              "newly_failing": 0, "newly_dead": 0, "revived": 0, "changed_content": 0}))
    hrefs = [a.get("href") for a in lxml.html.fromstring(page).iter("a")]
    assert hrefs == ["https://a.example/"]
    archived = ArchiveReport([ArchiveResult("https://b.example/", "matched", archive_url=HOSTILE, reason="<b>x</b>",
                                            places=(PLACE,))])
    tree = lxml.html.fromstring(archive_html(archived))
    assert [a.get("href") for a in tree.iter("a")] == [] and "<b>x</b>" in tree.text_content()
    assert "href" not in archive_markdown(archived).split(HOSTILE)[0][-10:]
