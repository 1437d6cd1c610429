"""The report as one self-contained HTML file: no external assets, no script.

Every value is escaped; only http(s) URLs become links (a `javascript:` or `data:` URL is shown as
text); a Content-Security-Policy forbids scripts, so even a value that slipped past escaping could
not run. The filters (needs action, broken, changed, no archived copy, findings) are radio buttons
and CSS `:has()`, so they work with scripting off.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from itertools import groupby

from ...models import ReportRow
from ..editor import EditorReport, Thumbnails
from .common import ROLE_HEADINGS, dated, row_words, summary_parts
from .escape import e
from .escape import html_link as link

FILTERS = (("all", "all"), ("action", "needs action"), ("broken", "broken"), ("new", "newly broken"),
           ("changed", "changed since cited"), ("noarchive", "no archived copy"), ("findings", "URL findings"),
           ("quote", "quote not on the page"), ("qa", "copy differs or bad"))

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.5em;word-break:break-all}
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;
vertical-align:top}th{background:#f3f3f3;position:sticky;top:0}td{overflow-wrap:anywhere}
.small{color:#555;font-size:.9em}.state{font-weight:600}tr.error{background:#fdecea}tr.warning{background:#fff8e1}
.s-dead,.s-failing,.s-unrecovered{color:#b00020}.s-alive,.s-revived{color:#1b5e20}.s-unknown,.s-unchecked{color:#8a6d00}
.badge{color:#fff;background:#b00020;padding:0 4px;border-radius:3px;font-size:.85em}
.todo{font-weight:600}#filters{margin:1em 0;padding:.5em;background:#f7f7f7;border:1px solid #ddd}
#filters label{margin-right:1em;white-space:nowrap}code{font-size:.95em}
""" + "".join(f"body:has(#f-{key}:checked) tr.row:not(.{key}){{display:none}}\n" for key, _ in FILTERS[1:])

HEAD = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        f"<title>Citation report</title><style>{CSS}</style></head><body>\n")
COLUMNS = (("note", 4), ("cited URL", 17), ("state", 11), ("archived copy", 17), ("findings and fixes", 20),
           ("drift", 10), ("accessed", 7), ("citing text", 14))  # (heading, % of the width)
COLGROUP = "<colgroup>" + "".join(f"<col style=\"width:{w}%\">" for _, w in COLUMNS) + "</colgroup>"


def render(report: EditorReport) -> Iterator[str]:
    with report.thumbnails() as thumbs:
        yield from _render(report, thumbs)


def _render(report: EditorReport, thumbs: Thumbnails) -> Iterator[str]:
    s = report.summary
    lines, newly = summary_parts(s)
    # the screenshots' thumbnails are data: URLs in the file itself; nothing else may load
    head = HEAD.replace("default-src 'none';", "default-src 'none'; img-src data:;") if thumbs else HEAD
    yield head + "<h1>Citation report</h1>\n<section id=\"summary\">"
    yield "".join(f"<p>{e(line)}</p>" for line in lines)
    if newly:
        yield "<ul>" + "".join(f"<li>{e(line)}</li>" for line in newly) + "</ul>"
    yield f"<p class=\"small\">Generated {e(s['generated'])} from {e(s['database'])}.</p></section>\n<nav id=\"filters\">Show: "
    yield "".join(f"<label><input type=\"radio\" name=\"filter\" id=\"f-{key}\"{' checked' if key == 'all' else ''}> "
                  f"{label}</label>" for key, label in FILTERS) + "</nav>\n"
    for (document, role), rows in groupby(report.rows(), key=lambda r: (r.document, r.role)):
        heading = f"<p class=\"small role\">{e(ROLE_HEADINGS[role])}</p>" if role in ROLE_HEADINGS else ""
        yield (f"<h2>{e(document)}</h2>{heading}\n<table>{COLGROUP}<thead><tr>" + "".join(f"<th>{c}</th>" for c, _ in COLUMNS)
               + "</tr></thead><tbody>\n")
        for row in rows:
            yield _row(row, thumbs.take(row.url))
        yield "</tbody></table>\n"
    yield "</body></html>\n"


def _classes(row: ReportRow) -> str:
    tags = {"row": True, "action": row.needs_action, "broken": row.broken or row.state == "unrecovered",
            "new": row.newly_broken, "changed": bool(row.drift_changes), "findings": bool(row.findings),
            "noarchive": not row.archive_url, row.severity or "ok": True,
            "quote": row.quote_missing, "qa": row.capture_verdict in ("differs", "bad")}
    return " ".join(k for k, on in tags.items() if on)


def _row(row: ReportRow, thumb: tuple[bytes, str] | None = None) -> str:
    url = link(row.url) or "<em>none recovered</em>"
    if row.url is None and row.candidates:
        url += "<div class=\"small\">candidates: " + ", ".join(map(link, row.candidates)) + "</div>"
    if row.url and row.raw != row.url:
        url += f"<div class=\"small\">printed: <code>{e(row.raw)}</code></div>"
    if row.final_url:
        url += f"<div class=\"small\">redirects to {link(row.final_url)}</div>"
    words = row_words(row)
    state = f"<span class=\"state s-{e(row.state)}\">{e(words.verdict)}</span>"
    if row.newly_broken:
        state += " <span class=\"badge\">newly broken</span>"
    if row.title:
        state += f"<div class=\"small\">title: {e(row.title)}</div>"
    if thumb:
        state += (f"<div><img src=\"data:image/jpeg;base64,{base64.b64encode(thumb[0]).decode('ascii')}\" "
                  f"alt=\"screenshot, {e(thumb[1])}\" title=\"screenshot, {e(thumb[1])}\" "
                  "style=\"max-width:100%;border:1px solid #ccc\"></div>")
    archived = f"{link(row.archive_url)}<div class=\"small\">{e(words.archived)}</div>" if row.archive_url else \
        f"<div class=\"small\">{e(words.archived)}</div>"
    if row.quote_link:
        archived += f"<div class=\"small\">{link(row.quote_link)} (the quote)</div>"
    notes = "".join(f"<div>{e(text)}</div>" for text in words.findings)
    if row.acknowledged:
        notes += f"<div class=\"small\">acknowledged: {e(row.acknowledged)}</div>"
    if row.action:
        notes += f"<div class=\"todo\">{e(row.action)}</div>"
    cells = (e(words.where), url, state, archived, notes, e(words.drift), e(dated(row, word="")), e(row.context))
    return f"<tr class=\"{_classes(row)}\">" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>\n"
