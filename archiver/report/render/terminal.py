"""The report for a terminal: a summary, then one table per document, note by note.

A plain renderer of our own: rich's tables were too slow for the long reports `archiver run`
prints by default (docs/decisions/terminal-table.md). Colour only when asked
(cli.py asks when stdout is a terminal). Cells are padded and wrapped by display width (wcwidth,
loaded for the first cell that is not ASCII), so CJK text and emoji, two columns each, keep the
borders aligned. Control characters in values (an ESC in a hostile page
title) are shown as \\xNN, never sent to the terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from itertools import groupby

from ...models import ReportRow
from ..editor import EditorReport
from .common import (
    ROLE_HEADINGS,
    archive_text,
    dated,
    drift_text,
    finding_text,
    newly_broken_lines,
    printable,
    summary_lines,
    verdict,
    where,
)

ANSI = {"bold": "1", "dim": "2", "red": "31", "bold red": "1;31", "green": "32", "yellow": "33"}
STATE_STYLE = {"dead": "bold red", "failing": "red", "unrecovered": "bold red", "unknown": "yellow",
               "unchecked": "yellow", "revived": "green", "alive": "green"}
COLUMNS = (("note", 0), ("URL", 5), ("state", 2), ("archived copy", 4), ("findings, drift, action", 5))
NOTE_WIDTH = 7
CONTEXT_CHARS = 160  # the citing text in the table (every other format carries it whole)

Line = tuple[str, str]  # (text, style)


def render(report: EditorReport, *, colour: bool = False, width: int = 120) -> Iterator[str]:
    paint = _painter(colour)
    s = report.summary
    head = [paint(printable(line), "bold" if i == 0 else "") for i, line in enumerate(summary_lines(s))]
    head += [paint("  " + printable(line), "red") for line in newly_broken_lines(s)]
    yield "\n".join(head) + "\n"
    widths = _widths(width)
    for (document, role), rows in groupby(report.rows(), key=lambda r: (r.document, r.role)):
        title = paint(printable(document), "bold") + (f"\n{ROLE_HEADINGS[role]}" if role in ROLE_HEADINGS else "")
        yield "\n" + title + "\n" + _rule(widths, "┌", "┬", "┐")
        yield _line(widths, [[(name, "bold")] for name, _ in COLUMNS], paint) + _rule(widths, "├", "┼", "┤")
        for i, row in enumerate(rows):
            cells = [[(where(row), "")], _url(row), _state(row), _archived(row), _notes(row)]
            yield ("" if i == 0 else _rule(widths, "├", "┼", "┤")) + _line(widths, cells, paint)
        yield _rule(widths, "└", "┴", "┘")


def _widths(width: int) -> list[int]:
    room = max(width - 3 * len(COLUMNS) - 1 - NOTE_WIDTH, 40)
    total = sum(ratio for _, ratio in COLUMNS)
    widths = [NOTE_WIDTH] + [room * ratio // total for _, ratio in COLUMNS[1:]]
    widths[1] += room - sum(widths[1:])
    return widths


def _painter(colour: bool):
    def paint(text: str, style: str) -> str:
        return f"\x1b[{ANSI[style]}m{text}\x1b[0m" if colour and style and text else text
    return paint


def _rule(widths: list[int], left: str, mid: str, right: str) -> str:
    return left + mid.join("─" * (w + 2) for w in widths) + right + "\n"


def _line(widths: list[int], cells: list[list[Line]], paint) -> str:
    wrapped = [_wrap(cell, w) for cell, w in zip(cells, widths)]
    out = []
    for n in range(max(len(c) for c in wrapped)):
        parts = []
        for cell, w in zip(wrapped, widths):
            text, style = cell[n] if n < len(cell) else ("", "")
            pad = w - (len(text) if text.isascii() else cell_len(text))
            parts.append(" " + (paint(text, style) if text else "") + " " * pad + " ")
        out.append("│" + "│".join(parts) + "│")
    return "\n".join(out) + "\n"


def _wrap(cell: list[Line], width: int) -> list[Line]:
    out: list[Line] = []
    for text, style in cell:
        for piece in printable(text).split("\n"):
            if not piece.isascii() and cell_len(piece) != len(piece):  # CJK, emoji: two columns each
                out += [(chunk, style) for chunk in wrap_cells(piece, width)]
            elif len(piece) <= width and "\t" not in piece:  # most cells: no need for textwrap's regexes
                out.append((piece.strip(), style))
            else:
                out += [(chunk, style) for chunk in textwrap.wrap(piece, width, break_on_hyphens=False) or [""]]
    return out


def wrap_cells(text: str, width: int) -> list[str]:
    """Lines of at most `width` terminal columns (display width, not characters): words kept whole
    where they fit, a longer word cut at a column, never inside a character."""
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        size = cell_len(word)
        if line and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
        pieces = chop_cells(word, width) if size > width else [word]
        lines += pieces[:-1]
        line, used = pieces[-1], cell_len(pieces[-1])
    return [*lines, line]


def cell_len(text: str) -> int:
    """Terminal columns of `text`: CJK and emoji take two, combining marks and joiners none."""
    if text.isascii():
        return len(text)
    from wcwidth import width

    return width(text)


def chop_cells(text: str, width: int) -> list[str]:
    """`text` cut into pieces of at most `width` columns, never inside a grapheme (an emoji with its
    skin tone, a flag, a letter with its accent)."""
    from wcwidth import iter_graphemes
    from wcwidth import width as columns

    pieces: list[str] = []
    piece, used = "", 0
    for grapheme in iter_graphemes(text):
        size = columns(grapheme)
        if piece and used + size > width:
            pieces.append(piece)
            piece, used = "", 0
        piece, used = piece + grapheme, used + size
    return [*pieces, piece]


def _url(row: ReportRow) -> list[Line]:
    lines = [(row.url or "(no URL recovered)", "")]
    if row.url and row.raw != row.url:
        lines.append((f"printed: {row.raw}", "dim"))
    if row.url is None and row.candidates:
        lines.append(("candidates: " + ", ".join(row.candidates), "dim"))
    if row.final_url:
        lines.append((f"-> {row.final_url}", "dim"))
    if row.accessed or row.added:
        lines.append((dated(row), "dim"))
    if row.context and row.context.strip() not in (row.raw, row.url):  # a note that is only its URL says nothing more
        lines.append((f"cited: {_shorten(row.context, CONTEXT_CHARS)}", "dim"))
    return lines


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _state(row: ReportRow) -> list[Line]:
    lines = [(verdict(row), STATE_STYLE.get(row.state, ""))]
    if row.newly_broken:
        lines.append(("newly broken", "bold red"))
    if row.title:
        lines.append((row.title, "dim"))
    return lines


def _archived(row: ReportRow) -> list[Line]:
    if not row.archive_url:
        return [("none", "red" if row.broken else "dim")] + ([(archive_text(row), "red")] if row.capture_verdict else [])
    return [(row.archive_url, ""), (archive_text(row), "")]


def _notes(row: ReportRow) -> list[Line]:
    lines = [(finding_text(f), "red" if f.severity == "error" else "") for f in row.findings]
    if row.drift_changes or row.quote_verdict:
        lines.append((drift_text(row), "yellow"))
    if row.acknowledged:
        lines.append((f"acknowledged: {row.acknowledged}", "dim"))
    if row.action:
        lines.append((row.action, "bold"))
    return lines
