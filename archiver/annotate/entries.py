"""Bibliographies (bibtex, csljson, ris): each entry's archived copy and its date written into the entry, in the fields
reference managers and citation processors read (the choice and the reasons: docs/reference-managers.md).

    BibTeX, biblatex  archiveurl = {URL} and archivedate = {YYYY-MM-DD}, after the entry's last field
    CSL-JSON          "archive": "Internet Archive, archived YYYY-MM-DD" and "archive_location": URL
    RIS               DB  - Internet Archive, archived YYYY-MM-DD and AN  - URL, before `ER  -`

Why edits by position and never a re-serialised library: the rest of the file must come back byte
for byte (keys, field order, comments, @String macros, braces, indentation, line endings), and every
writer (bibtexparser's, json.dumps, rispy's) normalises some of them. The parsers only say where an
entry is; the new lines are inserted into the original text. An entry that already has one of the
fields is left alone (annotating twice adds nothing; a value the user put there wins).
"""

from __future__ import annotations

from .links import day

ByEntry = dict[str, tuple[str, str]]  # entry key / id -> (archive URL, 14-digit timestamp)


def archive_name(archive_url: str, ts: str) -> str:
    """What the `archive` variable (CSL) and `DB` (RIS) say: the archive and the capture's day."""
    return f"Internet Archive, archived {day(ts)}"


def newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"
