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


# ---------------------------------------------------------------- check ---
def check_result_json(outcome, notes: list[str]) -> dict:
    r = outcome.result
    return {
        "url": r.url,
        "status": r.status,
        "alive": r.alive,
        "http_status": r.http_status,
        "final_url": r.final_url,
        "redirects": list(r.redirects),
        "state": outcome.state,
        "previous_state": outcome.previous,
        "sha256": r.snapshot.sha256 if r.snapshot else None,
        "elapsed_ms": r.elapsed_ms,
        "error": r.error,
        "checked_at": r.checked_at.isoformat() if r.checked_at else None,
        "content_changed": outcome.drift is not None,
        "notes": notes,
    }


def check_json(run, notes_for) -> str:
    payload = {
        "results": [check_result_json(o, notes_for(o.url)) for o in run.outcomes],
        "summary": {**run.summary(), "offline_reason": run.offline_reason},
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


def check_lines(run, notes_for) -> str:
    out = []
    for o in sorted(run.outcomes, key=lambda o: (_state_rank(o.state), o.url)):
        r = o.result
        notes = ",".join(notes_for(o.url))
        extra = f" -> {r.final_url}" if r.final_url and r.final_url != r.url else ""
        err = f" ({r.error})" if r.error else ""
        out.append(f"{o.state:<12} {r.status:<18} {r.http_status or '-':>3}  {r.url}{extra}{err}"
                   + (f"  [note {notes}]" if notes else ""))
    s = run.summary()
    out.append(check_summary_line(s))
    if run.offline:
        out.append(f"network unavailable: {run.offline_reason}; recorded as inconclusive, no link changed state")
    return "\n".join(out) + "\n"


def check_summary_line(s: dict) -> str:
    states = ", ".join(f"{v} {k}" for k, v in s["by_state"].items()) or "nothing checked"
    return (f"checked {s['checked']} URLs: {states}; newly failing {s['newly_failing']}, "
            f"newly dead {s['newly_dead']}, revived {s['revived']}, content changed {s['changed_content']}")


def check_csv(run, notes_for) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["url", "state", "status", "alive", "http_status", "final_url", "elapsed_ms", "error", "notes"])
    for o in run.outcomes:
        r = o.result
        w.writerow([r.url, o.state, r.status, r.alive, r.http_status or "", r.final_url or "",
                    r.elapsed_ms or "", r.error or "", " ".join(notes_for(o.url))])
    return buf.getvalue()


def check_markdown(run, notes_for) -> str:
    out = ["| note | URL | state | status | HTTP |", "|---|---|---|---|---|"]
    for o in sorted(run.outcomes, key=lambda o: (_state_rank(o.state), o.url)):
        r = o.result
        out.append(f"| {', '.join(notes_for(o.url))} | {_md(r.url)} | {o.state} | {r.status} | {r.http_status or ''} |")
    out.append("")
    out.append(check_summary_line(run.summary()))
    return "\n".join(out) + "\n"


def check_html(run, notes_for) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(', '.join(notes_for(o.url)))}</td><td><a href=\"{html.escape(o.url)}\">"
        f"{html.escape(o.url)}</a></td><td>{o.state}</td><td>{o.result.status}</td>"
        f"<td>{o.result.http_status or ''}</td></tr>"
        for o in sorted(run.outcomes, key=lambda o: (_state_rank(o.state), o.url)))
    return _page("archiver check", "<tr><th>note</th><th>URL</th><th>state</th><th>status</th><th>HTTP</th></tr>" + rows)


def _state_rank(state: str) -> int:
    return {"dead": 0, "failing": 1, "inconclusive": 2, "unknown": 3, "revived": 4, "alive": 5}.get(state, 6)


CHECK_RENDERERS = {"text": check_lines, "json": check_json, "csv": check_csv, "markdown": check_markdown,
                   "html": check_html}
