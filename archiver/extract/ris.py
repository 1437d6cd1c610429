"""RIS, the tagged export of Zotero, EndNote, Mendeley and most library catalogues.

A record runs from `TY  - ` to `ER  - `; its `ID` stands in for the note number (else its place in
the file), `TI`/`T1` is the context. URLs come from `UR` (one or more), `DO` (as https://doi.org/…)
and URLs printed in `N1` notes; the access date from `Y2` (Zotero's and EndNote's "Access Date"),
else "Accessed …" in a note. `DA` is not an access date: Zotero writes the work's own date there.

A small reader rather than rispy: rispy splits `UR` at `;` (a `;jsessionid=` URL becomes two),
drops a last record that has no `ER` without a word, and gives no line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ..models import Citation
from .biblio import entry_citations
from .common import parse_date

# "TY  - JOUR": two characters (a capital, then a capital or digit), two spaces, a hyphen; the
# value after one space. Exporters differ on trailing spaces, on "ER  -" with no space and on one
# space before the hyphen ("TY - JOUR"), which Zotero's RIS translator accepts too (the same
# leniency as extract/__init__.py's _RIS_SIGN, which recognises a file without its name).
_TAG = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")


def records(text: str) -> Iterator[tuple[int, dict[str, list[str]], bool]]:
    """(line of `TY`, tag -> values, closed by `ER`) for each record. A line without a tag continues
    the value before it (a long URL wrapped by the exporter is joined without a space)."""
    fields: dict[str, list[str]] | None = None
    start = 0
    last = ""
    for number, line in enumerate(text.splitlines(), 1):
        m = _TAG.match(line.rstrip())
        if m is None:
            if fields is not None and last and line.strip():
                fields[last][-1] += ("" if fields[last][-1].endswith("/") else " ") + line.strip()
            continue
        tag, value = m.group(1), (m.group(2) or "").strip()
        if tag == "TY":
            if fields is not None:
                yield start, fields, False
            fields, start, last = {"TY": [value]}, number, "TY"
        elif tag == "ER":
            if fields is not None:
                yield start, fields, True
            fields, last = None, ""
        elif fields is not None:
            fields.setdefault(tag, []).append(value)
            last = tag
    if fields is not None:
        yield start, fields, False


def extract(text: str, source: str) -> Iterator[Citation]:
    for ordinal, (line, fields, _) in enumerate(records(text), 1):
        key = (fields.get("ID") or [""])[0] or str(ordinal)
        title = (fields.get("TI") or fields.get("T1") or [""])[0]
        entry = {"title": title, "url": " ".join(fields.get("UR", [])), "note": " ".join(fields.get("N1", [])),
                 "doi": (fields.get("DO") or [""])[0]}
        yield from entry_citations(source, line, key, entry, access_date((fields.get("Y2") or [""])[0]))


_RIS_DATE = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[/ T].*)?")


def access_date(value: str) -> date | None:
    """`2021/02/01/` (the RIS specification), `2021-02-01 10:15:00` (Zotero), or any date archiver reads."""
    if m := _RIS_DATE.fullmatch(value.strip()):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return parse_date(value)


def notices(text: str) -> list[tuple[int, str, str]]:
    """A record the file ends inside (no `ER`): read as it stands, and said."""
    return [(line, "unreadable-entry", f"RIS record at line {line} has no ER line (is the file cut short?); "
             "read as it stands") for line, _, closed in records(text) if not closed]
