"""The report as Markdown: a summary, then one table per document, note by note.

Every value is escaped: a page title or citing sentence cannot open a link, an HTML tag or a new
table cell; only http(s) URLs become autolinks.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from ...models import ReportRow
from ..editor import EditorReport
from .common import ROLE_HEADINGS, dated, row_words, summary_parts
from .escape import md
from .escape import md_link as link

HEADER = ("| note | cited URL | state | archived copy | findings and fixes | drift | accessed | citing text |\n"
          "|---|---|---|---|---|---|---|---|\n")


def render(report: EditorReport) -> Iterator[str]:
    lines, newly = summary_parts(report.summary)
    yield "# Citation report\n\n" + "".join(f"- {md(line)}\n" for line in lines)
    yield "".join(f"  - {md(line)}\n" for line in newly) + "\n"
    for (document, role), rows in groupby(report.rows(), key=lambda r: (r.document, r.role)):
        heading = f"*{md(ROLE_HEADINGS[role])}*\n\n" if role in ROLE_HEADINGS else ""
        yield f"## {md(document)}\n\n{heading}" + HEADER
        for row in rows:
            yield _row(row)
        yield "\n"


def _row(row: ReportRow) -> str:
    url = link(row.url) or "*none recovered*" + (" (candidates: " + ", ".join(map(link, row.candidates)) + ")"
                                               if row.candidates else "")
    if row.url and row.raw != row.url:
        url += f"<br>printed: {md(row.raw)}"
    if row.final_url:
        url += f"<br>redirects to {link(row.final_url)}"
    words = row_words(row)
    state = md(words.verdict) + (" **newly broken**" if row.newly_broken else "")
    if row.title:
        state += f"<br>title: {md(row.title)}"
    archived = f"{link(row.archive_url)} ({md(words.archived)})" if row.archive_url else md(words.archived)
    if row.quote_link:
        archived += f"<br>{link(row.quote_link)} (the quote)"
    findings = "<br>".join(md(text) for text in words.findings)
    if row.action:
        findings += ("<br>" if findings else "") + f"**{md(row.action)}**"
    if row.acknowledged:
        findings += f"<br>acknowledged: {md(row.acknowledged)}"
    return (f"| {md(words.where)} | {url} | {state} | {archived} | {findings} | {md(words.drift)} | "
            f"{md(dated(row, word=''))} | {md(row.context)} |\n")
