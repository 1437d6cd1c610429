"""CSV that is safe to open in a spreadsheet, written a row at a time.

Why every text cell is checked: the values come from documents and servers (page titles, citing
text, URLs, error messages), and a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection). As OWASP
advises (https://owasp.org/www-community/attacks/CSV_Injection), such a cell is written with a
leading `'`, which spreadsheets show as text; numbers are written as they are. Every CSV output
writes a boolean the same way, `true` or `false` as JSON does, and nothing (None) as an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value as it is safe to write: a text starting like a formula gets a leading `'`; a
    boolean is `true` or `false`, None an empty cell."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvRows:
    """Turns rows into CSV text, one row at a time (a long report never sits in memory)."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf)

    def row(self, values: Iterable[object]) -> str:
        self._writer.writerow([cell(v) for v in values])
        out = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        return out
