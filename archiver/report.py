"""Renderers: turn results into text for people (lines, Markdown, HTML) or machines (JSON, CSV).

Only strings come out of here; cli.py decides where they go. The JSON shapes are contracts other
tools read: keys may be added, never renamed or removed.
"""

from __future__ import annotations

import csv
import html
import io
import json

from .lint import LintedDocument, summarize
from .models import Repaired


# ---------------------------------------------------------------- lint ---
def citation_json(rep: Repaired) -> dict:
    c = rep.citation
    return {
        "source": c.source,
        "line": c.line,
        "note": c.note,
        "raw": c.raw,
        "url": rep.url,
        "candidates": list(rep.candidates),
        "accessed": c.accessed.isoformat() if c.accessed else None,
        "context": c.context,
        "confidence": round(rep.confidence, 2),
        "findings": [f.as_dict() for f in rep.findings],
    }


def lint_json(docs: list[LintedDocument]) -> str:
    payload = {
        "citations": [citation_json(r) for d in docs for r in d.repaired],
        "summary": summarize(docs),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def lint_lines(docs: list[LintedDocument]) -> str:
    """`path:line: note N: CODE name: message -> fix`, one line per finding, then a summary."""
    out = []
    for d in docs:
        for rep in d.repaired:
            c = rep.citation
            where = f"{c.source}:{c.line}: " + (f"note {c.note}: " if c.note else "")
            for f in rep.findings:
                fix = f" -> {f.fix}" if f.fix else ""
                if f.name in ("missing-host", "truncated-url") and rep.candidates:
                    fix = " -> candidates: " + ", ".join(rep.candidates)
                out.append(f"{where}{f.code} {f.name}: {f.message}{fix}")
    s = summarize(docs)
    out.append(
        f"{s['citations']} citations, {s['urls']} distinct URLs in {s['documents']} document(s): "
        f"{s['error']} errors, {s['warning']} warnings, {s['info']} info; "
        f"{s['repaired']} repaired, {s['unrecovered']} unrecoverable"
    )
    return "\n".join(out) + "\n"


def lint_csv(docs: list[LintedDocument]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["source", "line", "note", "raw", "url", "code", "name", "severity", "message", "fix"])
    for d in docs:
        for rep in d.repaired:
            c = rep.citation
            for f in rep.findings or [None]:
                w.writerow([c.source, c.line, c.note or "", c.raw, rep.url or "",
                            *(f and [f.code, f.name, f.severity, f.message, f.fix or ""] or [""] * 5)])
    return buf.getvalue()


def lint_markdown(docs: list[LintedDocument]) -> str:
    out = ["| note | URL | findings |", "|---|---|---|"]
    for d in docs:
        for rep in d.repaired:
            names = ", ".join(f"{f.severity}: {f.name}" for f in rep.findings) or "ok"
            url = rep.url or ("candidates: " + ", ".join(rep.candidates) if rep.candidates else "—")
            out.append(f"| {rep.citation.note or rep.citation.line} | {_md(url)} | {_md(names)} |")
    return "\n".join(out) + "\n"


def lint_html(docs: list[LintedDocument]) -> str:
    rows = []
    for d in docs:
        for rep in d.repaired:
            names = "<br>".join(html.escape(f"{f.severity}: {f.name}: {f.message}") for f in rep.findings)
            url = html.escape(rep.url or "")
            rows.append(f"<tr><td>{html.escape(rep.citation.note or str(rep.citation.line))}</td>"
                        f"<td><a href=\"{url}\">{url}</a></td><td>{names or 'ok'}</td></tr>")
    return _page("archiver lint", "<tr><th>note</th><th>URL</th><th>findings</th></tr>" + "".join(rows))


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _page(title: str, table: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            "<style>td,th{border:1px solid #ccc;padding:4px;text-align:left}table{border-collapse:collapse}"
            f"</style></head><body><h1>{html.escape(title)}</h1><table>{table}</table></body></html>\n")


LINT_RENDERERS = {"text": lint_lines, "json": lint_json, "csv": lint_csv, "markdown": lint_markdown,
                  "html": lint_html}
