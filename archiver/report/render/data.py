"""The report for machines: JSON (a summary and every citation with every column) and CSV.

The JSON keys and CSV columns are contracts other tools read: add, never rename or remove.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..csvout import CsvRows
from ..editor import COLUMNS, EditorReport
from .common import finding_text


def render_json(report: EditorReport) -> Iterator[str]:
    yield '{"summary": ' + json.dumps(report.summary, ensure_ascii=False) + ',\n "citations": ['
    for i, row in enumerate(report.rows()):
        item = row.as_dict()
        yield ("," if i else "") + "\n  " + json.dumps({k: item[k] for k in COLUMNS}, ensure_ascii=False)
    yield "\n]}\n"


def render_csv(report: EditorReport) -> Iterator[str]:
    """One row per citation; a cell a spreadsheet would run as a formula starts with `'` (csvout)."""
    out = CsvRows()
    yield out.row(COLUMNS)
    for row in report.rows():
        item = row.as_dict()
        item["candidates"] = " ".join(row.candidates)
        item["findings"] = "; ".join(finding_text(f) for f in row.findings)
        yield out.row([item[k] for k in COLUMNS])
