"""BibTeX and biblatex: `archiveurl` and `archivedate` after an entry's last field, in its own
indentation and comma style (see entries.py for the choice of fields and why edits by position)."""

from __future__ import annotations

import re

from .entries import ByEntry, newline
from .links import _insert, _line_starts, day

FIELDS = ("archiveurl", "archivedate")


def annotate(text: str, by_entry: ByEntry) -> tuple[str, int]:
    from ..extract.biblio import _library

    nl, starts, edits = newline(text), _line_starts(text), []
    for entry in _library(text).entries:
        if entry.key not in by_entry or any(f.lower() in FIELDS for f in entry.fields_dict):
            continue
        at = text.find(entry.raw, starts[entry.start_line] if entry.start_line < len(starts) else 0)
        close = at + len(entry.raw.rstrip()) - 1
        if at < 0 or text[close] not in "})":
            continue
        body_end = len(text[:close].rstrip())  # after the last field's value (or its comma)
        indent = _field_indent(entry.raw)
        archive_url, ts = by_entry[entry.key]
        comma = "" if text[body_end - 1] == "," else ","
        added = f"{comma}{nl}{indent}archiveurl = {{{archive_url}}},{nl}{indent}archivedate = {{{day(ts)}}}"
        edits.append((body_end, added + ("," if comma == "" else "")))
    return _insert(text, edits), len(edits)


def _field_indent(raw: str) -> str:
    m = re.search(r"\n([ \t]+)\w[\w-]*\s*=", raw)
    return m.group(1) if m else "  "
