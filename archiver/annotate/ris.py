"""RIS: `DB` (the archive and the capture's day) and `AN` (the archived copy) before a record's
`ER` line (see entries.py for the choice of tags and why edits by position)."""

from __future__ import annotations

import re

from .entries import ByEntry, archive_name, newline
from .links import _insert, _line_starts

TAGS = ("DB", "AN")


def annotate(text: str, by_entry: ByEntry) -> tuple[str, int]:
    from ..extract.ris import records

    nl, starts, edits = newline(text), _line_starts(text), []
    lines = text.splitlines(keepends=True)
    for ordinal, (line, fields, closed) in enumerate(records(text), 1):
        key = (fields.get("ID") or [""])[0] or str(ordinal)
        if key not in by_entry or any(t in fields for t in TAGS):
            continue
        archive_url, ts = by_entry[key]
        added = f"DB  - {archive_name(archive_url, ts)}{nl}AN  - {archive_url}{nl}"
        end = _record_end(lines, line - 1)
        if closed:
            edits.append((starts[end], added))
        else:  # the file ends inside the record: the fields go at the end
            tail = "" if text.endswith(("\n", "\r")) else nl
            edits.append((len(text), tail + added))
    return _insert(text, edits), len(edits)


def _record_end(lines: list[str], first: int) -> int:
    """The index of the `ER` line closing the record that starts at line index `first`."""
    for n in range(first + 1, len(lines)):
        if re.match(r"ER {1,2}-", lines[n]):
            return n
    return len(lines)
