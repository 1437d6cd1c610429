"""The report for a terminal: a summary, then one table per document (rich), note by note.

Colour only when asked (cli.py asks when stdout is a terminal); values are rich `Text`, never
markup, so a page title such as "[bold]x" or an escape sequence prints as the characters it is.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from itertools import groupby
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..editor import EditorReport
from ..models import ReportRow
from .common import archive_text, drift_text, finding_text, newly_broken_lines, printable, summary_lines, verdict, where

STYLE = {"dead": "bold red", "failing": "red", "unrecovered": "bold red", "unknown": "yellow",
         "unchecked": "yellow", "revived": "green", "alive": "green"}
ROWS_PER_TABLE = 200  # a long document prints as several tables, so output starts at once


def render(report: EditorReport, *, colour: bool = False, width: int = 120) -> Iterator[str]:
    console = _console(colour, width)
    s = report.summary
    yield _capture(console, *[Text(printable(line), style="bold" if i == 0 else "")
                              for i, line in enumerate(summary_lines(s))],
                   *[Text("  " + printable(line), style="red") for line in newly_broken_lines(s)])
    for document, rows in groupby(report.rows(), key=lambda r: r.document):
        chunk: list[ReportRow] = []
        for row in rows:
            chunk.append(_clean(row))
            if len(chunk) == ROWS_PER_TABLE:
                yield _capture(console, _table(document, chunk))
                chunk = []
        if chunk:
            yield _capture(console, _table(document, chunk))


def _console(colour: bool, width: int) -> Console:
    return Console(file=io.StringIO(), force_terminal=colour, no_color=not colour, width=width,
                   color_system="standard" if colour else None, highlight=False, emoji=False, markup=False)


def _capture(console: Console, *renderables) -> str:
    with console.capture() as cap:
        console.print(*renderables, sep="\n")
    return cap.get()


def _clean(row: ReportRow) -> ReportRow:
    """The row with control characters made visible in every text field."""
    text: dict[str, Any] = {k: printable(v) for k, v in vars(row).items() if isinstance(v, str)}
    return replace(row, **text,
                   candidates=tuple(map(printable, row.candidates)),
                   findings=tuple(replace(f, message=printable(f.message), fix=f.fix and printable(f.fix))
                                  for f in row.findings))


def _table(document: str, rows: list[ReportRow]) -> Table:
    table = Table(title=Text(printable(document), style="bold"), title_justify="left", show_lines=True, expand=True)
    table.add_column("note", min_width=7, overflow="fold")
    for name, ratio in (("URL", 5), ("state", 2), ("archived copy", 4), ("findings, drift, action", 5)):
        table.add_column(name, ratio=ratio, overflow="fold")
    for row in rows:
        table.add_row(Text(where(row)), _url(row), _state(row), _archived(row), _notes(row))
    return table


def _url(row: ReportRow) -> Text:
    text = Text(row.url or "(no URL recovered)")
    if row.url and row.raw != row.url:
        text.append(f"\nprinted: {row.raw}", style="dim")
    if row.url is None and row.candidates:
        text.append("\ncandidates: " + ", ".join(row.candidates), style="dim")
    if row.final_url:
        text.append(f"\n-> {row.final_url}", style="dim")
    if row.accessed:
        text.append(f"\naccessed {row.accessed}", style="dim")
    return text


def _state(row: ReportRow) -> Text:
    text = Text(verdict(row), style=STYLE.get(row.state, ""))
    if row.newly_broken:
        text.append("\nnewly broken", style="bold red")
    if row.title:
        text.append(f"\n{row.title}", style="dim")
    return text


def _archived(row: ReportRow) -> Text:
    if not row.archive_url:
        return Text("none", style="red" if row.state in ("failing", "dead") else "dim")
    return Text(f"{row.archive_url}\n{archive_text(row)}")


def _notes(row: ReportRow) -> Text:
    text = Text()
    for f in row.findings:
        text.append(finding_text(f) + "\n", style="red" if f.severity == "error" else "")
    if row.drift_changes:
        text.append(drift_text(row) + "\n", style="yellow")
    if row.acknowledged:
        text.append(f"acknowledged: {row.acknowledged}\n", style="dim")
    if row.action:
        text.append(row.action, style="bold")
    text.rstrip()
    return text
