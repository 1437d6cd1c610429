"""The report for machines: JSON (a summary and every citation with every column) and CSV.

The JSON keys and CSV columns are contracts other tools read: add, never rename or remove.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from ..editor import COLUMNS, EditorReport
from .common import finding_text


def render_json(report: EditorReport) -> Iterator[str]:
    yield '{"summary": ' + json.dumps(report.summary, ensure_ascii=False) + ',\n "citations": ['
    for i, row in enumerate(report.rows()):
        item = row.as_dict()
        yield ("," if i else "") + "\n  " + json.dumps({k: item[k] for k in COLUMNS}, ensure_ascii=False)
    yield "\n]}\n"


def render_csv(report: EditorReport) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for row in report.rows():
        item = row.as_dict()
        item["candidates"] = " ".join(row.candidates)
        item["findings"] = "; ".join(finding_text(f) for f in row.findings)
        w.writerow(["" if item[k] is None else item[k] for k in COLUMNS])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
