"""Renderers: turn results into text for people (lines, Markdown, HTML) or machines (JSON, CSV).

Only strings come out of here; cli.py decides where they go. CSV cells that a spreadsheet would
run as a formula are neutralised (archiver/report/csvout.py). The JSON shapes are contracts other
tools read: keys may be added, never renamed or removed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from ..lint.run import summarize
from ..models import Place, Repaired
from .csvout import CsvRows
from .render.common import counted
from .render.escape import e, html_link, md, md_link


def places_text(places) -> str:
    """'notes.txt: notes 2, 6; report.md: line 14': where a URL is cited, document by document."""
    by_doc: dict[str, list[Place]] = {}
    for p in places:
        by_doc.setdefault(p.document, []).append(p)
    parts = []
    for doc, ps in by_doc.items():
        notes = list(dict.fromkeys(p.note for p in ps if p.note))
        lines = [str(p.line) for p in ps if not p.note]
        bits = [("note " if len(notes) == 1 else "notes ") + ", ".join(notes)] if notes else []
        bits += [("line " if len(lines) == 1 else "lines ") + ", ".join(lines)] if lines else []
        parts.append(f"{doc}: {', '.join(bits)}")
    return "; ".join(parts)


def _place_of(rep: Repaired) -> Place:
    return Place(rep.citation.source, rep.citation.note, rep.citation.line)


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
        **({"field": c.field} if c.field else {}),  # a bibliography's field: the provenance within an entry
        **({"role": c.role} if c.role != "citation" else {}),  # example, navigation or resource
    }


# Lint renderers yield text chunks, a citation at a time: 100,000 notes are never one string. They
# read each document once, so they take a LintStream's documents as well as LintedDocuments; the
# summary, where one is shown, is asked for after the last citation (default: counted from `docs`).
class _Linted(Protocol):
    path: str

    @property
    def repaired(self) -> Iterable[Repaired]: ...


def _summary_of(docs: Iterable[_Linted], summary: Callable[[], dict] | None) -> Callable[[], dict]:
    return summary or (lambda: summarize(docs))  # type: ignore[arg-type]


def lint_json(docs: Iterable[_Linted], summary: Callable[[], dict] | None = None) -> Iterator[str]:
    total = _summary_of(docs, summary)
    yield '{"citations": ['
    sep = "\n  "
    for d in docs:
        for r in d.repaired:
            yield sep + json.dumps(citation_json(r), ensure_ascii=False)
            sep = ",\n  "
    yield '\n], "summary": ' + json.dumps(total(), ensure_ascii=False) + "}\n"


def lint_lines(docs: Iterable[_Linted], summary: Callable[[], dict] | None = None) -> Iterator[str]:
    """`path:line: note N: CODE name: message -> fix`, one line per finding, then a summary."""
    for d in docs:
        for rep in d.repaired:
            c = rep.citation
            where = f"{c.source}:{c.line}: " + (f"note {c.note}: " if c.note else "")
            for f in rep.findings:
                fix = f" -> {f.fix}" if f.fix else ""
                if f.name in ("missing-host", "truncated-url") and rep.candidates:
                    fix = " -> candidates: " + ", ".join(rep.candidates)
                yield f"{where}{f.code} {f.name}: {f.message}{fix}\n"
    s = _summary_of(docs, summary)()
    yield (f"{counted(s['citations'], 'citation')}, {counted(s['urls'], 'distinct URL')} in "
           f"{counted(s['documents'], 'document')}: {counted(s['error'], 'error')}, "
           f"{counted(s['warning'], 'warning')}, {s['info']} info; "
           f"{s['repaired']} repaired, {s['unrecovered']} unrecoverable\n")


def lint_csv(docs: Iterable[_Linted], summary: Callable[[], dict] | None = None) -> Iterator[str]:
    out = CsvRows()
    yield out.row(["source", "line", "note", "raw", "url", "code", "name", "severity", "message", "fix"])
    for d in docs:
        for rep in d.repaired:
            c = rep.citation
            yield "".join(out.row([c.source, c.line, c.note or "", c.raw, rep.url or "",
                                   *(f and [f.code, f.name, f.severity, f.message, f.fix or ""] or [""] * 5)])
                          for f in rep.findings or [None])


def lint_markdown(docs: Iterable[_Linted], summary: Callable[[], dict] | None = None) -> Iterator[str]:
    yield "| document | note | URL | findings |\n|---|---|---|---|\n"
    for d in docs:
        for rep in d.repaired:
            names = ", ".join(f"{f.severity}: {f.name}" for f in rep.findings) or "ok"
            url = rep.url or ("candidates: " + ", ".join(rep.candidates) if rep.candidates else "—")
            yield f"| {md(d.path)} | {md(_place_of(rep).label)} | {md_link(rep.url) or md(url)} | {md(names)} |\n"


def lint_html(docs: Iterable[_Linted], summary: Callable[[], dict] | None = None) -> Iterator[str]:
    head, tail = _page("archiver lint", "<tr><th>document</th><th>note</th><th>URL</th><th>findings</th></tr>"
                       "<!--rows-->").split("<!--rows-->")
    yield head
    for d in docs:
        for rep in d.repaired:
            names = "<br>".join(e(f"{f.severity}: {f.name}: {f.message}") for f in rep.findings)
            yield (f"<tr><td>{e(d.path)}</td><td>{e(_place_of(rep).label)}</td>"
                   f"<td>{html_link(rep.url)}</td><td>{names or 'ok'}</td></tr>")
    yield tail


def _page(title: str, table: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{e(title)}</title>"
            "<style>td,th{border:1px solid #ccc;padding:4px;text-align:left}table{border-collapse:collapse}"
            f"</style></head><body><h1>{e(title)}</h1><table>{table}</table></body></html>\n")


LINT_RENDERERS = {"text": lint_lines, "json": lint_json, "csv": lint_csv, "markdown": lint_markdown,
                  "html": lint_html}


# ---------------------------------------------------------------- check ---
# Check renderers take the run's rows from archive.db (an iterator, so 50,000 results never sit in
# memory at once) and yield text chunks.

CHECK_FIELDS = ("url", "status", "alive", "conclusive", "http_status", "final_url", "redirects", "state",
                "previous_state", "sha256", "elapsed_ms", "error", "checked_at", "content_changed", "acknowledged")


def check_json(rows, summary: dict):
    yield '{"results": ['
    for i, row in enumerate(rows):
        item = {k: getattr(row, k) for k in CHECK_FIELDS}
        item["notes"] = list(row.notes)
        item["places"] = [p.as_dict() for p in row.places]
        yield ("," if i else "") + "\n  " + json.dumps(item, ensure_ascii=False)
    yield '\n], "summary": ' + json.dumps(summary, ensure_ascii=False) + "}\n"


def check_lines(rows, summary: dict):
    for row in rows:
        where = places_text(row.places)
        extra = f" -> {row.final_url}" if row.final_url and row.final_url != row.url else ""
        err = f" ({row.error})" if row.error else ""
        ack = f"  (acknowledged: {row.acknowledged})" if row.acknowledged else ""
        yield (f"{row.state:<12} {row.status:<18} {row.http_status or '-':>3}  {row.url}{extra}{err}"
               + (f"  [{where}]" if where else "") + ack + "\n")
    yield check_summary_line(summary) + "\n"


def check_summary_line(s: dict, network: bool = True) -> str:
    states = ", ".join(f"{v} {k}" for k, v in s["by_state"].items()) or "nothing checked"
    line = (f"checked {counted(s['checked'], 'URL')}: {states}; newly failing {s['newly_failing']}, "
            f"newly dead {s['newly_dead']}, revived {s['revived']}, content changed {s['changed_content']}")
    if network and s.get("network_unavailable"):
        line += f"\nnetwork unavailable: {s.get('offline_reason')}; recorded as inconclusive, no link changed state"
    return line


def check_csv(rows, summary: dict):
    out = CsvRows()
    yield out.row(["url", "state", "status", "alive", "conclusive", "http_status", "final_url", "elapsed_ms",
                   "error", "notes", "cited_in"])
    for row in rows:
        yield out.row([row.url, row.state, row.status, row.alive, row.conclusive,
                       row.http_status or "", row.final_url or "", row.elapsed_ms or "", row.error or "",
                       " ".join(row.notes), places_text(row.places)])


def check_markdown(rows, summary: dict):
    yield "| cited in | URL | state | status | HTTP |\n|---|---|---|---|---|\n"
    for row in rows:
        yield (f"| {md(places_text(row.places))} | {md_link(row.url)} | {row.state} | {row.status} | "
               f"{row.http_status or ''} |\n")
    yield "\n" + check_summary_line(summary) + "\n"


def check_html(rows, summary: dict):
    yield _page("archiver check", "<tr><th>cited in</th><th>URL</th><th>state</th><th>status</th><th>HTTP</th></tr>"
                "<!--rows-->").split("<!--rows-->")[0]
    for row in rows:
        yield (f"<tr><td>{e(places_text(row.places))}</td><td>{html_link(row.url)}</td>"
               f"<td>{row.state}</td><td>{row.status}</td><td>{row.http_status or ''}</td></tr>\n")
    yield f"</table><p>{e(check_summary_line(summary))}</p></body></html>\n"


CHECK_RENDERERS = {"text": check_lines, "json": check_json, "csv": check_csv, "markdown": check_markdown,
                   "html": check_html}


def problem_lines(problems) -> str:
    """`notes.txt: note 3: dead link: not-found (HTTP 404) URL`, one line per problem; acknowledged
    ones end with `(acknowledged: reason)`."""
    out = []
    for p in problems:
        where = f"{p.place.document}: {p.place.label}: " if p.place.document else ""
        url = f" {p.url}" if p.kind == "link" and p.url else ""
        ack = f" (acknowledged: {p.acknowledged})" if p.acknowledged else ""
        out.append(f"{where}{'new ' if p.new else ''}{p.what}{url}{ack}\n")
    return "".join(out)


# -------------------------------------------------------------- archive ---
def archive_json(report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n"


def archive_summary_line(summary: dict) -> str:
    parts = ", ".join(f"{v} {k}" for k, v in summary.items() if v) or "nothing to do"
    return f"archive: {parts}"


def capture_summary_line(summary: dict) -> str:
    """"captures: 3 verified, 1 differs, 2 bad; quotes: 1 no-longer-says-it"."""
    quotes = ("still-says-it", "no-longer-says-it", "not-found")
    parts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in summary.items() if v and k != "urls" and k not in quotes)
    said = ", ".join(f"{summary[k]} {k.replace('-', ' ')}" for k in quotes if summary.get(k))
    return f"captures: {parts or 'nothing judged'}" + (f"; quotes: {said}" if said else "")


def capture_lines(captures) -> str:
    """The capture stage's results as text: verdict, URL, the copy, what QA saw, the quotes."""
    out = []
    for r in captures.results:
        link = f" -> {r.archive_url}" if r.archive_url else ""
        out.append(f"{r.verdict or 'not judged':<17} {r.url}{link}\n    {r.words}")
        out += [f"    quote {q.verdict}: “{q.quote}”" + (f" {q.link}" if q.link else "") for q in r.quotes]
    out.append(capture_summary_line(captures.summary))
    return "\n".join(out) + "\n"


def archive_lines(report) -> str:
    out = []
    for r in report.results:
        where = places_text(r.places)
        notes = f"  [{where}]" if where else ""
        link = f" -> {r.archive_url}" if r.archive_url else ""
        out.append(f"{r.action:<17} {r.url}{link}{notes}\n    {r.reason}")
    out.append(archive_summary_line(report.summary))
    return "\n".join(out) + "\n"


def archive_csv(report) -> str:
    out = CsvRows()
    return out.row(["url", "action", "archive_url", "timestamp", "job_id", "reason", "notes", "cited_in"]) + "".join(
        out.row([r.url, r.action, r.archive_url or "", r.timestamp or "", r.job_id or "", r.reason,
                 " ".join(r.notes), places_text(r.places)]) for r in report.results)


def archive_markdown(report) -> str:
    out = ["| cited in | URL | action | archive | reason |", "|---|---|---|---|---|"]
    for r in report.results:
        out.append(f"| {md(places_text(r.places))} | {md_link(r.url)} | {r.action} | {md_link(r.archive_url)} | {md(r.reason)} |")
    return "\n".join(out) + "\n\n" + archive_summary_line(report.summary) + "\n"


def archive_html(report) -> str:
    rows = "".join(
        f"<tr><td>{e(places_text(r.places))}</td><td>{e(r.url)}</td><td>{r.action}</td>"
        f"<td>{html_link(r.archive_url)}</td><td>{e(r.reason)}</td></tr>" for r in report.results)
    return _page("archiver archive", "<tr><th>cited in</th><th>URL</th><th>action</th><th>archive</th><th>reason</th></tr>"
                 + rows)


ARCHIVE_RENDERERS = {"text": archive_lines, "json": archive_json, "csv": archive_csv,
                     "markdown": archive_markdown, "html": archive_html}
