"""What every extractor shares: turning a note into citations, access dates, citing sentences."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ..models import Citation
from ..segment import split_note

MONTHS = {
    m: i + 1
    for i, names in enumerate([
        ("january", "jan", "января", "январь"), ("february", "feb", "февраля", "февраль"),
        ("march", "mar", "марта", "март"), ("april", "apr", "апреля", "апрель"),
        ("may", "мая", "май"), ("june", "jun", "июня", "июнь"), ("july", "jul", "июля", "июль"),
        ("august", "aug", "августа", "август"), ("september", "sep", "sept", "сентября", "сентябрь"),
        ("october", "oct", "октября", "октябрь"), ("november", "nov", "ноября", "ноябрь"),
        ("december", "dec", "декабря", "декабрь"),
    ])
    for m in names
}
_MONTH = r"([A-Za-zА-Яа-яё]{3,9})\.?"
# "accessed 12 January 2021", "Retrieved 2021-01-12", "accessed on January 12, 2021",
# "(accessed: 12.01.2021)", "last visited 12 Jan. 2021", "дата обращения: 12.01.2021".
_ACCESSED_RE = re.compile(
    r"(?i)(?:accessed|retrieved|last\s+(?:accessed|visited|checked)|viewed|consulted|visited|"
    r"дата\s+обращения|просмотрено|обращение)\s*(?:on|:|—|-)?\s*:?\s*"
    rf"(?P<when>\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}\.\d{{1,2}}\.\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|"
    rf"{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{4}})"
)


_ACCESS_WORDS = ("access", "retriev", "visit", "viewed", "consulted", "обращ", "просмотр")


def parse_accessed(text: str) -> date | None:
    """The access date a note states, if any."""
    lower = text.lower()
    if not any(w in lower for w in _ACCESS_WORDS):  # most notes state none: skip the big regex
        return None
    m = _ACCESSED_RE.search(text)
    if not m:
        return None
    return parse_date(m.group("when"))


def parse_date(when: str) -> date | None:
    when = when.strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", when):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", when):
            return date(int(m[3]), int(m[2]), int(m[1]))
        if m := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", when):
            a, b = int(m[1]), int(m[2])
            if a > 12:  # only unambiguous day/month orders
                return date(int(m[3]), b, a)
            if b > 12:
                return date(int(m[3]), a, b)
            return None
        if m := re.fullmatch(rf"(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})", when):
            month = MONTHS.get(m[2].lower())
            return date(int(m[3]), month, int(m[1])) if month else None
        if m := re.fullmatch(rf"{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})", when):
            month = MONTHS.get(m[1].lower())
            return date(int(m[3]), month, int(m[2])) if month else None
    except ValueError:
        return None
    return None


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]?(?:\d{1,3})?\s+(?=[\"'“«(]?[A-ZА-ЯЁ0-9])")


def sentence_around(text: str, pos: int, limit: int = 400, window: int = 2000) -> str:
    """The sentence of `text` that contains position `pos` (whitespace collapsed, capped).

    Only `window` characters either side are looked at, so a long text costs the same per call."""
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
    sentence = " ".join(text[start:end].split())
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def note_citations(
    source: str, line: int, note: str | None, text: str, *, context: str | None = None,
    allow_fragment: bool = True, empty_ok: bool = True,
) -> Iterator[Citation]:
    """One Citation per URL span of a note; a numbered note without a URL yields one with raw=''."""
    accessed = parse_accessed(text) if note is not None else None
    spans = split_note(text, allow_fragment=allow_fragment)
    if not spans:
        if note is not None and empty_ok:
            yield Citation(source, line, note, "", context, accessed, 0, text)
        return
    offset = 0
    for i, span in enumerate(spans):
        pos = text.find(span, offset)
        offset = pos + len(span) if pos >= 0 else offset
        span_line = line + text.count("\n", 0, max(pos, 0))
        if note is None:  # free text: the date and context of this URL's own sentence
            ctx = context if context is not None else sentence_around(text, max(pos, 0))
            yield Citation(source, span_line, note, span, ctx, parse_accessed(ctx) or parse_accessed(text), i, ctx)
        else:
            yield Citation(source, span_line, note, span, context, accessed, i, text)
