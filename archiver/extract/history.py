"""When a citation was added, for one that prints no access date: the document's own history.

Why: a dead link is matched to the Wayback capture nearest its access date, and most citations print
none. The document often knows roughly when each was written: the git commit that last changed its
line, the revision mark around a DOCX paragraph (`w:ins w:date`) or an ODT tracked change, the
`dateAdded` a reference manager exported, and, last, when the DOCX or ODT file was created. Such a
date is *inferred*: it is stored apart from `accessed` (`Citation.added`, with `added_by` naming its
source), chooses a capture only when no access date is printed, and is never shown as an access date.

Git is asked once per document (`git blame --porcelain HEAD`, linear in the file), only when a
citation needs it and only for the text formats, whose citation lines are the file's lines. Only the
committed file is blamed, with fsmonitor, hooks and textconv off, so no filter or hook of the
document's repository runs: it is not ours to run code from.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from ..models import Citation
from .common import iter_lines

__all__ = ["GIT_TIMEOUT", "TEXT_FORMATS", "created", "docx_inserted", "from_git", "git_line_dates", "iso_day",
           "odt_inserted", "odt_insertions", "revised", "with_added"]

GIT_TIMEOUT = 30.0  # seconds for one `git blame`; a longer history gives no inferred dates, never a hang
TEXT_FORMATS = ("text", "markdown", "html", "bibtex", "csljson", "ris")  # citation line = file line
_HEADER = re.compile(r"([0-9a-f]{40}) \d+ (\d+)(?: \d+)?$")
_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})")  # 2019-03-04, 2019-03-04T12:00:00Z, 2019-03-04 12:00 +0000


def iso_day(value: object) -> date | None:
    """The day an ISO 8601 timestamp starts with (Zotero's `dateAdded`, BibDesk's `date-added`,
    JabRef's `creationdate`, DOCX and ODT metadata), else None."""
    m = _ISO_DAY.match(value) if isinstance(value, str) else None
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def with_added(citations: Iterator[Citation], when: date | None, by: str) -> Iterator[Citation]:
    """`citations`, those without an access date or an inferred date given `when` (from `by`)."""
    for c in citations:
        if when is not None and c.accessed is None and c.added is None:
            c = replace(c, added=when, added_by=by)
        yield c


def git_line_dates(path: str, text: str) -> dict[int, date]:
    """line of `text` (1-based) -> the day the commit that last changed that line was written (author
    date, in the author's time zone), for a file in a git work tree; empty when it is not one, git is
    missing, the file is not committed or git takes longer than GIT_TIMEOUT.

    Only the committed file (HEAD) is blamed, never the working tree: blaming the working tree runs
    the repository's own clean filters (`.gitattributes` + `filter.*.clean` in its config), code a
    document's repository may bring. A line of the document as it is now is dated when the same
    text is a committed line; an uncommitted or edited line has no date."""
    if path == "-" or not os.path.isfile(path):
        return {}
    folder, name = os.path.split(os.path.abspath(path))
    command = ["git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "blame", "--porcelain",
               "--no-textconv", "HEAD", "--", name]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {"GIT_OPTIONAL_LOCKS": "0"}
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, timeout=GIT_TIMEOUT, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    committed = _blamed(done.stdout.decode("utf-8", "replace"))
    return {n: committed[line] for n, line in enumerate(iter_lines(text.lstrip("\ufeff")), 1) if line in committed}


def _blamed(porcelain: str) -> dict[str, date]:
    """`git blame --porcelain`'s output as committed line text -> the earliest day a line with that
    text was last changed: each line's header names its commit, whose author-time and author-tz come
    with the commit's first line only, and the line's text follows after a tab."""
    times: dict[str, list[str]] = {}
    rows: list[tuple[str, str]] = []  # (commit, line text)
    commit = ""
    for row in porcelain.split("\n"):
        if row.startswith("\t"):
            rows.append((commit, row[1:].rstrip("\r").lstrip("\ufeff")))
            continue
        m = _HEADER.match(row)
        if m:
            commit = m.group(1)
        elif row.startswith(("author-time ", "author-tz ")):
            times.setdefault(commit, []).append(row.split(" ", 1)[1])
    days = {sha: _day(*t[:2]) for sha, t in times.items() if len(t) >= 2}
    out: dict[str, date] = {}
    for sha, line in rows:
        day = days.get(sha)
        if day is not None and (line not in out or day < out[line]):
            out[line] = day
    return out


def _day(seconds: str, tz: str) -> date | None:
    """A commit's author date as its author's calendar saw it (`1551700800`, `+0100`)."""
    try:
        sign = -1 if tz.startswith("-") else 1
        offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])) * sign
        return datetime.fromtimestamp(int(seconds), UTC).astimezone(timezone(offset)).date()
    except (ValueError, OverflowError, OSError):
        return None


def from_git(citations: Iterator[Citation], path: str, text: str) -> Iterator[Citation]:
    """Each citation without a date dated by the commit that last changed its line (`text` is the
    document as read); git is asked only when the first such citation comes."""
    days: dict[int, date] | None = None
    for c in citations:
        if c.accessed is None and c.added is None and c.raw:
            if days is None:
                days = git_line_dates(path, text)
            day = days.get(c.line)
            if day is not None:
                c = replace(c, added=day, added_by="git history")
        yield c


# -- DOCX and ODT: revision marks, then when the file was created -----------------------------------
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"


def docx_inserted(elements, rels: dict[str, str]) -> tuple[date | None, list[tuple[str, date]]]:
    """What Word's track changes say about the paragraphs `elements`: the day a whole paragraph was
    inserted (its paragraph mark is, `w:pPr/w:rPr/w:ins`), and each inserted run's text and link
    targets with its day (`w:ins w:date`), for the citations printed inside one."""
    whole: date | None = None
    runs: list[tuple[str, date]] = []
    for p in elements:
        for ins in p.iter(f"{W}ins"):
            day = iso_day(ins.get(f"{W}date"))
            if day is None:
                continue
            if ins.getparent() is not None and ins.getparent().tag == f"{W}rPr":
                whole = max(whole, day) if whole else day  # a paragraph mark: the paragraph is new
                continue
            links = " ".join(rels.get(h.get(f"{R}id"), "") for h in ins.iter(f"{W}hyperlink"))
            runs.append(("".join(t.text or "" for t in ins.iter(f"{W}t")) + " " + links, day))
    return whole, runs


def revised(citations: Iterator[Citation], marks: tuple[date | None, list[tuple[str, date]]],
            by: str) -> Iterator[Citation]:
    """Citations printed inside an inserted run (or in an inserted paragraph) dated by the mark."""
    whole, runs = marks
    for c in citations:
        day = next((d for text, d in runs if c.raw and (c.raw in text or (c.href or "\0") in text)), whole)
        if day is not None and c.accessed is None and c.added is None:
            c = replace(c, added=day, added_by=by)
        yield c


def odt_insertions(root) -> dict[str, date]:
    """ODT's tracked insertions: change id -> the day of its `office:change-info/dc:date`."""
    out: dict[str, date] = {}
    for region in root.iter(f"{TEXT}changed-region"):
        info = region.find(f"{TEXT}insertion/{OFFICE}change-info/{DC}date")
        day = iso_day(info.text if info is not None else None)
        ident = region.get(f"{TEXT}id") or region.get("{http://www.w3.org/XML/1998/namespace}id")
        if day and ident:
            out[ident] = day
    return out


def odt_inserted(p, insertions: dict[str, date]) -> tuple[date | None, list[tuple[str, date]]]:
    """A paragraph with a tracked insertion starting in it, dated by the latest such insertion."""
    days = [insertions[s.get(f"{TEXT}change-id")] for s in p.iter(f"{TEXT}change-start", f"{TEXT}change")
            if s.get(f"{TEXT}change-id") in insertions]
    return (max(days) if days else None), []


def created(data: bytes, fmt: str) -> date | None:
    """When a DOCX (`docProps/core.xml` dcterms:created) or ODT (`meta.xml` meta:creation-date) was
    created; None when it does not say or the part cannot be read."""
    import zipfile
    from io import BytesIO

    import lxml.etree

    try:
        z = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        return None

    name, tag = ("docProps/core.xml", f"{DCTERMS}created") if fmt == "docx" else ("meta.xml", f"{META}creation-date")
    if name not in z.namelist():
        return None
    try:
        root = lxml.etree.fromstring(z.read(name), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
    except Exception:  # a corrupt metadata part only costs the inferred date
        return None
    found = root.find(f".//{tag}")
    return iso_day(found.text if found is not None else None)
