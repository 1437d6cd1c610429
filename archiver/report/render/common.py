"""Wording shared by the report's formats, so the terminal, Markdown and HTML say the same thing."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ...models import Finding, ReportRow


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 error", "2 errors": a count and its noun, plural by English's regular rule unless given
    ("1 fetch", "2 fetches")."""
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


def is_web(url: str | None) -> bool:
    """Only http(s) URLs become links: never javascript:, data: or anything a page could abuse."""
    if not url:
        return False
    try:
        return urlsplit(url.strip()).scheme.lower() in ("http", "https") and url == url.strip()
    except ValueError:
        return False


def day(ts14: str | None) -> str:
    """A 14-digit archive timestamp as a date (YYYY-MM-DD)."""
    return f"{ts14[:4]}-{ts14[4:6]}-{ts14[6:8]}" if ts14 and len(ts14) >= 8 else ""


def where(row: ReportRow) -> str:
    return row.note if row.note else f"line {row.line}"


def verdict(row: ReportRow) -> str:
    """"dead: gone (HTTP 410)" and the like."""
    if row.status is None:
        return row.state
    http = f" (HTTP {row.http_status})" if row.http_status else ""
    return f"{row.state}: {row.status}{http}"


# The heading over a document's URLs that are not citations (the report lists citations first, untitled).
ROLE_HEADINGS = {
    "example": "Examples: reserved names and documentation addresses (not checked unless --roles example)",
    "navigation": "Navigation links: the page's header, menus, sidebars and footer "
                  "(not checked unless --roles navigation)",
    "resource": "Resources: images, stylesheets, scripts (not checked unless --roles resource)",
}


def dated(row: ReportRow, *, word: str = "accessed ") -> str:
    """"accessed 2021-03-04" as the note prints it (`word` is "" under an "accessed" heading); else
    "added about 2021-03-04 (git history)" when the document's own history dates the citation: an
    inferred date, never called an access date."""
    if row.accessed:
        return f"{word}{row.accessed}"
    return f"added about {row.added} ({row.added_by})" if row.added else ""


def finding_text(f: Finding) -> str:
    return f"{f.code} {f.name}: {f.message}" + (f" -> {f.fix}" if f.fix else "")


# capture QA's verdict on the copy to cite, and the quote checks', as every format words them
QA_WORDS = {"verified": "capture verified", "differs": "differs from what was cited", "bad": "bad capture skipped"}
QUOTE_WORDS = {"still-says-it": "still says it", "no-longer-says-it": "no longer says it",
               "not-found": "not found in any copy"}


def drift_text(row: ReportRow) -> str:
    quote = f"quote {QUOTE_WORDS.get(row.quote_verdict, row.quote_verdict)}: “{row.quote}”" if row.quote_verdict else ""
    if not row.drift_changes:
        return quote
    times = "once" if row.drift_changes == 1 else f"{row.drift_changes} times"
    low = f", lowest similarity {row.drift_similarity:.0%}" if row.drift_similarity is not None else ""
    return f"changed {times} since {row.drift_since[:10]}{low}" + (f"; {quote}" if quote else "")


def archive_text(row: ReportRow) -> str:
    """"matched 2021-01-10, capture verified, bad capture skipped"; "bad capture skipped" alone when
    every capture judged was bad (no copy offered)."""
    qa = [QA_WORDS[row.capture_verdict]] if row.capture_verdict in QA_WORDS else []
    if not row.archive_url:
        return ", ".join(qa)
    if row.capture_verdict != "bad" and row.capture_qa and "bad captures skipped" in row.capture_qa:
        qa.append(QA_WORDS["bad"])
    return ", ".join([f"{row.archive_kind or 'capture'} {day(row.archive_timestamp)}", *qa])


def summary_lines(s: dict) -> list[str]:
    """The summary every format opens with, as plain sentences."""
    states = ", ".join(f"{n} {state}" for state, n in s["by_state"].items()) or "no citations"
    docs = len(s["documents"])
    lines = [f"{counted(s['citations'], 'citation')} in {counted(docs, 'document')}: {states}.",
             f"Needs action: {s['needs_action']}. Pages changed since cited: {s['content_changed']}. "
             f"With an archived copy: {s['with_archived_copy']}; broken without one: {s['broken_without_copy']}."]
    run = s.get("last_run")
    if run and (run["outcome"] not in ("ok", "problems") or not run["judged"]):
        lines.append(run_line(run))
    last = "the last run" if not run or run["judged"] else "the last run that judged links"
    since = f" (check run of {s['last_check']})" if s.get("last_check") else ""
    if s["newly_broken"]:
        lines.append(f"Newly broken since {last}{since}: {len(s['newly_broken'])}.")
    elif s.get("last_check"):
        lines.append(f"Nothing newly broken in {last}{since}.")
    elif not run:
        lines.append("No check has run yet: run `archiver check` or `archiver run`.")
    return lines


def run_line(run: dict) -> str:
    """How the newest check run ended when it is not the run the states come from: an outage, an
    interruption, a run still going (or killed), or a run that could judge nothing."""
    when, n = run["started"], run["not_judged"]
    urls = counted(n, "URL")
    if run["outcome"] == "offline":
        why = f" ({run['offline_reason']})" if run.get("offline_reason") else ""
        return (f"The last check run ({when}) found the network unavailable{why}: {urls} not judged, no link "
                "changed state. Run `archiver check` again when this machine is online.")
    if run["outcome"] == "interrupted":
        return (f"The last check run ({when}) was interrupted after {run['checked']} of {run['to_check']} URLs; "
                "the next `archiver check` or `archiver run` resumes it.")
    if run["outcome"] == "unfinished":  # a killed run writes no counts
        return (f"The last check run ({when}) has not finished (still running, or killed); "
                "the next `archiver check` or `archiver run` resumes it.")
    return f"The last check run ({when}) judged no link: {urls} not judged."


def summary_parts(s: dict) -> tuple[list[str], list[str]]:
    """The summary's sentences and the newly broken links under them: what every format opens with,
    each marking them up its own way."""
    return summary_lines(s), newly_broken_lines(s)


@dataclass(frozen=True)
class RowWords:
    """The words of one report row that Markdown and HTML mark up, each its own way."""

    where: str  # "2" or "line 14"
    verdict: str  # "failing: gone (HTTP 410)"
    archived: str  # "matched 2021-01-10"
    findings: tuple[str, ...]
    drift: str


def row_words(row: ReportRow) -> RowWords:
    return RowWords(where(row), verdict(row), archive_text(row), tuple(finding_text(f) for f in row.findings),
                    drift_text(row))


def newly_broken_lines(s: dict) -> list[str]:
    out = []
    for n in s["newly_broken"]:
        where_ = f"note {n['note']}" if n["note"] else f"line {n['line']}"
        http = f" HTTP {n['http_status']}" if n["http_status"] else ""
        out.append(f"{n['document']} {where_}: {n['url']} ({n['status']}{http})")
    return out


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0, 9), *range(11, 32), 127, *range(128, 160)]}


def printable(text: str) -> str:
    """Control characters (an ESC from a hostile page title) shown as \\xNN, never sent to a terminal."""
    if text.isprintable():  # the common case, checked in C
        return text
    return text.translate(_CONTROL)
