"""What every extractor shares: turning a note into citations, access dates, citing sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ..models import Citation
from ..urls.segment import split_note
from .dates import ACCESS_WORDS, MONTHS, accessed_across, accessed_in, parse_accessed, parse_date

__all__ = ["MONTHS", "accessed_in", "parse_accessed", "parse_date", "iter_lines", "sentence_around", "excerpt",
           "spans_in", "accessed_per_span", "note_citations", "CONTEXT_LIMIT"]

# Where str.splitlines() breaks a line: \r\n, and each of these on its own.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def iter_lines(text: str) -> Iterator[str]:
    """text.splitlines(), a line at a time: a 100,000-note document is not held twice."""
    start = 0
    for m in _LINE_BREAK.finditer(text):
        yield text[start:m.start()]
        start = m.end()
    if start < len(text):
        yield text[start:]


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]?(?:\d{1,3})?\s+(?=[\"'“«(]?[A-ZА-ЯЁ0-9])")


CONTEXT_LIMIT = 400  # characters of citing text kept with a citation


def sentence_around(text: str, pos: int, limit: int = CONTEXT_LIMIT, window: int = 600) -> str:
    """The sentence of `text` that contains position `pos` (whitespace collapsed, capped).

    Only `window` characters either side are looked at, so a long text costs the same per call; a
    sentence longer than `limit` is cut around `pos`, so the cited place stays in view."""
    if len(text) > 2 * window:
        lo = max(0, pos - window)
        text, pos = text[lo:pos + window], pos - lo
    para_start = max(text.rfind("\n\n", 0, pos) + 2, 0) if "\n\n" in text[:pos] else 0
    para_end = text.find("\n\n", pos)
    para_end = len(text) if para_end < 0 else para_end
    start = para_start
    for m in _SENTENCE_END.finditer(text, para_start, pos):
        start = m.end()
    stop = _SENTENCE_END.search(text, pos, para_end)
    end = stop.start() + len(stop.group(0).rstrip()) if stop else para_end
    return excerpt(text[start:end], pos - start, limit)


def excerpt(text: str, pos: int = 0, limit: int = CONTEXT_LIMIT) -> str:
    """`text` with whitespace collapsed; when longer than `limit`, the `limit` characters around
    `pos` with an ellipsis where it was cut. A line of 40,000 URLs gives each a short context,
    not the whole line each (which made lint's output grow with the square of the URLs)."""
    if len(text) > 3 * limit:
        lo = max(0, pos - limit)
        text, pos = text[lo:pos + 2 * limit], pos - lo
        if lo:
            text, pos = "\u2026" + text, pos + 1
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    at = len(" ".join(text[:max(pos, 0)].split()))  # where pos went once whitespace collapsed
    lo = min(max(0, at - limit // 4), len(flat) - limit + 1)
    head = "\u2026" if lo else ""
    cut = flat[lo:lo + limit - 1 - len(head)]
    return head + cut + "\u2026"


def spans_in(text: str, *, allow_fragment: bool = True) -> list[tuple[int, str]]:
    """The URL spans of `text` with their offsets (found left to right, in one pass)."""
    out: list[tuple[int, str]] = []
    offset = 0
    for span in split_note(text, allow_fragment=allow_fragment):
        pos = text.find(span, offset)
        if pos < 0:
            pos = offset
        out.append((pos, span))
        offset = pos + len(span)
    return out


def accessed_per_span(text: str, spans: list[tuple[int, int]]) -> list[date | None]:
    """Each URL's own access date: the one stated after it (up to the next URL), else one stated
    before it (back to the previous URL) that the previous URL did not take. In
    "https://a (accessed 1 May 2021); https://b" b gets no date: dates are never inherited."""
    if not spans or not any(w in text.lower() for w in ACCESS_WORDS):
        return [None] * len(spans)
    dates: list[date | None] = []
    prev_end, prev_took_after = 0, False
    for i, (start, end) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        after = accessed_in(text[end:max(end, nxt)], before_next=i + 1 < len(spans))
        when = after
        if when is None and not prev_took_after:
            when = accessed_in(text[prev_end:max(prev_end, start)], before_next=False)
        if when is None:  # "downloaded from URL on 20/03/2022"
            when = accessed_across(text[prev_end:max(prev_end, start)], text[end:max(end, nxt)])
        dates.append(when)
        prev_end, prev_took_after = end, after is not None
    return dates


def note_citations(
    source: str, line: int, note: str | None, text: str, *, context: str | None = None,
    allow_fragment: bool = True, empty_ok: bool = True,
) -> Iterator[Citation]:
    """One Citation per URL span of a note; a numbered note without a URL yields one with raw=''.
    Each URL gets its own access date (accessed_per_span); free text (note None) also gets the
    sentence around each URL as its context."""
    spans = spans_in(text, allow_fragment=allow_fragment)
    if not spans:
        if note is not None and empty_ok:
            yield Citation(source, line, note, "", context, parse_accessed(text), 0, text)
        return
    dates = accessed_per_span(text, [(pos, pos + len(span)) for pos, span in spans])
    newlines, counted = 0, 0
    for i, (pos, span) in enumerate(spans):
        newlines += text.count("\n", counted, pos)
        counted = pos
        # a given context longer than a sentence (a line of 40,000 URLs) gives way to the text around
        ctx = context if context is not None and len(context) <= CONTEXT_LIMIT else None
        if note is None:
            ctx = ctx or sentence_around(text, pos)
            yield Citation(source, line + newlines, note, span, ctx, dates[i], i, ctx)
        else:
            ctx = ctx if context is None or ctx is not None else sentence_around(text, pos)
            yield Citation(source, line + newlines, note, span, ctx, dates[i], i, text)
