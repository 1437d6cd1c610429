"""Plain text: numbered note lists (`25.`, `[25]`, `25)`, `^25`), free text, and sources.txt lists.

A numbered line is a note when the document has no notes heading, or when it comes after one
("Notes", "References", "Sources", "Примечания", ...): numbered lists in the body (recommendations,
steps) are prose. Lines that follow a note without a number of their own continue it, which is how
PDFs and e-mail wrap long URLs. In the body, a footnote marker glued to a word ("at a briefing1
that") gives the note its citing sentence; a note no body sentence refers to is its own citing text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from ..models import Citation
from .common import iter_lines, note_citations, sentence_around

_NOTE_RE = re.compile(r"^\s{0,8}(?:\[(\d{1,6})\]|\^(\d{1,6})|(\d{1,6})[.)])\s+(\S.*)$")
_BRACKETED_RE = re.compile(r"^\s{0,8}(?:\[(\d{1,6})\]|\^(\d{1,6}))\s")
# A line that starts with a URL (sources.txt, a bullet list of links) is a citation on its own.
_URL_LINE_RE = re.compile(r"(?i)^\s*(?:[-*•+]\s+)?(?:https?:/|www\.)")
_HEADING_RE = re.compile(
    r"(?i)^\s*#*\s*(notes?|endnotes|footnotes|references|sources|bibliography|works cited|links|"
    r"примечания|источники|ссылки|литература|сноски)\s*:?\s*$"
)


def extract(text: str, source: str) -> Iterator[Citation]:
    heading = next((i for i, ln in enumerate(iter_lines(text)) if _HEADING_RE.match(ln)), None)
    body = "\n".join(islice(iter_lines(text), heading)) if heading is not None else ""
    markers = _MarkerFinder(body)
    note: tuple[int, str, list[str]] | None = None  # (first line, number, text lines)
    para: tuple[int, list[str]] | None = None

    def flush() -> Iterator[Citation]:
        nonlocal note, para
        if note is not None:
            line, number, parts = note
            # the citing sentence in the body, else the note itself: in a list of notes with no body
            # (sources.txt, a notes section on its own) the note is all that cites the source
            yield from note_citations(source, line, number, "\n".join(parts),
                                      context=markers.sentence(number) or " ".join(" ".join(parts).split()))
            note = None
        if para is not None:
            line, parts = para
            yield from note_citations(source, line, None, "\n".join(parts), allow_fragment=False)
            para = None

    for i, ln in enumerate(iter_lines(text), start=1):
        if ln.lstrip().startswith("#") and not _HEADING_RE.match(ln):
            yield from flush()  # sources.txt comment
            continue
        m = _NOTE_RE.match(ln)
        in_notes = heading is None or i > heading + 1 or _BRACKETED_RE.match(ln)
        if m and in_notes:
            yield from flush()
            number = m.group(1) or m.group(2) or m.group(3)
            note = (i, number, [m.group(4)])
        elif not ln.strip():
            yield from flush()
        elif note is None and _URL_LINE_RE.match(ln):
            yield from flush()
            yield from note_citations(source, i, None, ln.strip(), context=ln.strip(), allow_fragment=False)
        elif note is not None:
            note[2].append(ln.strip())
        elif para is not None:
            para[1].append(ln)
        else:
            para = (i, [ln])
    yield from flush()


class _MarkerFinder:
    """Finds the sentence in the body that carries footnote marker N ("briefing1 that")."""

    def __init__(self, body: str):
        self.body = body
        self.pos = 0

    def sentence(self, number: str) -> str | None:
        if not self.body:
            return None
        pattern = re.compile(
            rf"(?:(?<=[^\W\d_])|(?<=[^\W\d_][.,;:”\")])){re.escape(number)}(?=[\s.,;:]|$)")
        m = pattern.search(self.body, self.pos)
        if not m:
            return None
        self.pos = m.end()  # markers appear in order; a later note starts its search after this one
        return sentence_around(self.body, m.start())


def has_notes(text: str) -> bool:
    """Does the text have a notes heading or a numbered note line?"""
    return any(_HEADING_RE.match(ln) or _NOTE_RE.match(ln) for ln in iter_lines(text))
