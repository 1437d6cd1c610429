"""The report for a terminal: a summary, then the citations document by document, note by note.

It fits the width it is given (the CLI passes the terminal's, or $COLUMNS). Wide (100 columns and
more), each citation is a row of three columns: note, state, and the citation's lines; narrower,
a list: a heading line per citation (note and state) with its lines under it. Either way a URL is
never cut: each URL (as cited, as printed, where it redirects, the archived copy to cite) stands
whole on a line of its own or after a short label, so a terminal selection copies it, and a URL
longer than the line runs past it (the terminal wraps it; it is still one line of text). Only
prose (findings, the citing text, the page title) is wrapped, by display width: CJK and emoji take
two columns (wcwidth, loaded for the first text that is not ASCII).

Colour only when asked (the CLI asks when stdout is a terminal and NO_COLOR is unset). Control
characters in values (an ESC in a hostile page title) are shown as \\xNN, never sent to the terminal.
"""

from __future__ import annotations

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
WIDE = 100  # from this width on, note and state get columns of their own
NOTE_COLUMN, STATE_COLUMN = 10, 30  # in the wide layout (a longer state wraps inside its column)
INDENT = 2  # the narrow layout's lines under each heading
CONTEXT_CHARS = 160  # the citing text as the report shows it (every other format carries it whole)

Line = tuple[str, str]  # (text, style)


def render(report: EditorReport, *, colour: bool = False, width: int = 120) -> Iterator[str]:
    paint = _painter(colour)
    width = max(width, 20)
    s = report.summary
    head = [(text, "bold" if i == 0 else "") for i, line in enumerate(summary_lines(s)) for text, _ in _prose(line, width, "")]
    head += [("  " + text, "red") for line in newly_broken_lines(s) for text, _ in _prose(line, width - 2, "")]
    yield "".join(paint(text, style) + "\n" for text, style in head)
    wide = width >= WIDE
    for (document, role), rows in groupby(report.rows(), key=lambda r: (r.document, r.role)):
        heading = [paint(printable(document), "bold")]
        if role in ROLE_HEADINGS:  # a document's citations come first; then its examples, navigation, resources
            heading += [text for text, _ in _prose(ROLE_HEADINGS[role], width, "")]
        yield "\n" + "\n".join(heading) + "\n" + "─" * min(width, 100) + "\n"
        if wide:
            yield paint(_pad("note", NOTE_COLUMN) + _pad("state", STATE_COLUMN) + "citation", "bold") + "\n"
        for i, row in enumerate(rows):
            yield ("" if i == 0 else "\n") + (_wide(row, width, paint) if wide else _narrow(row, width, paint))


def _painter(colour: bool):
    def paint(text: str, style: str) -> str:
        return f"\x1b[{ANSI[style]}m{text}\x1b[0m" if colour and style and text else text
    return paint


def _wide(row: ReportRow, width: int, paint) -> str:
    """Note | state | the citation's lines, the columns padded by display width."""
    body = _lines(row, width - NOTE_COLUMN - STATE_COLUMN)
    state = [(piece, style) for text, style in _state(row) for piece in wrap_cells(text, STATE_COLUMN - 2)]
    out = []
    for n in range(max(len(body), len(state))):
        note = _pad(where(row), NOTE_COLUMN) if n == 0 else " " * NOTE_COLUMN
        text, style = state[n] if n < len(state) else ("", "")
        line = note + paint(text, style) + " " * (STATE_COLUMN - cell_len(text))
        text, style = body[n] if n < len(body) else ("", "")
        out.append((line + paint(text, style)).rstrip())
    return "\n".join(out) + "\n"


def _narrow(row: ReportRow, width: int, paint) -> str:
    """A heading (note, state) and the citation's lines under it."""
    head = " · ".join(paint(text, style) for text, style in _state(row))
    out = [paint(f"note {where(row)}" if row.note else where(row), "bold") + " · " + head]
    out += [" " * INDENT + paint(text, style) for text, style in _lines(row, width - INDENT)]
    return "\n".join(out) + "\n"


def _state(row: ReportRow) -> list[Line]:
    lines = [(verdict(row), STATE_STYLE.get(row.state, ""))]
    if row.newly_broken:
        lines.append(("newly broken", "bold red"))
    return lines


def _lines(row: ReportRow, width: int) -> list[Line]:
    """The citation's lines in `width` columns: URLs whole, prose wrapped."""
    out: list[Line] = []
    out += _url_line("", row.url, width, "") if row.url else [("(no URL recovered)", "bold")]
    if row.url and row.raw != row.url:
        out += _url_line("printed: ", row.raw, width, "dim")
    if row.url is None and row.candidates:
        out += _prose("candidates: " + ", ".join(row.candidates), width, "dim")
    if row.final_url:
        out += _url_line("-> ", row.final_url, width, "dim")
    if row.archive_url:
        out += _url_line(f"archived ({archive_text(row)}): ", row.archive_url, width, "")
    else:
        qa = f" ({archive_text(row)})" if row.capture_verdict else ""  # every capture judged was bad
        out.append((f"no archived copy{qa}", "red" if row.broken or qa else "dim"))
    if row.title:
        out += _prose(f"title: {row.title}", width, "dim")
    if row.accessed or row.added:
        out.append((dated(row), "dim"))
    if row.context and row.context.strip() not in (row.raw, row.url):  # a note that is only its URL says nothing more
        out += _prose(f"cited: {_shorten(row.context, CONTEXT_CHARS)}", width, "dim")
    for f in row.findings:
        out += _prose(finding_text(f), width, "red" if f.severity == "error" else "")
    if row.drift_changes or row.quote_verdict:
        out += _prose(drift_text(row), width, "yellow")
    if row.acknowledged:
        out += _prose(f"acknowledged: {row.acknowledged}", width, "dim")
    if row.action:
        out += _prose(f"action: {row.action}", width, "bold")
    return out


def _url_line(label: str, url: str, width: int, style: str) -> list[Line]:
    """`label` and `url` on one line when they fit, else the URL whole on a line of its own (under
    the label, indented)."""
    url = printable(url)
    if not label or cell_len(label) + cell_len(url) <= width:
        return [(label + url, style)]
    return [(label.rstrip(), style), ("  " + url, style)]


def _prose(text: str, width: int, style: str) -> list[Line]:
    """Wrapped to `width` columns, its continuation lines indented; a URL in it is never cut."""
    first, *rest = wrap_cells(printable(text), width)
    lines = [(first, style)]
    if rest:
        lines += [("  " + line, style) for line in wrap_cells(" ".join(rest), width - 2)]
    return lines


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_len(text), 1)


def wrap_cells(text: str, width: int) -> list[str]:
    """Lines of at most `width` terminal columns (display width, not characters): words kept whole
    where they fit; a longer word is cut at a column, never inside a character, unless it holds a
    URL ("://"), which stays whole and runs past the width."""
    width = max(width, 1)
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        size = cell_len(word)
        if line and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
        pieces = chop_cells(word, width) if size > width and "://" not in word else [word]
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
