"""Access dates as people print them: a small grammar, not a list of phrasings.

    access   := VERB FILLER* DATE                ("Retrieved 09/02/2022 from", "accessed on 12 Jan. 2021",
                                                  "last access for this and the following URLs: 20th Dec 19")
              | VERB FROM URL FILLER* on DATE    ("downloaded from https://x on 20/03/2022")
    VERB     := accessed | retrieved | viewed | consulted | downloaded | visited | checked | last access(ed)
                | cited (Vancouver's "[cited 2021 Jan 12]") and their common misspellings ("Retrived",
                "acessed"), Russian (дата обращения, просмотрено, загружено), Kazakh (қаралған күні, қаралды,
                алынған күні), German (Zugriff am, abgerufen am) and French (consulté le) forms
    DATE     := Y-M-D | D.M.Y | N/N/Y | N-N-Y | D(th) (of) Month Y | Month D(th), Y | D-Month-Y | Y Month D
                (Y: 4 or 2 digits; 4 in Y Month D)

Numeric dates with "/" or "-" and both numbers 12 or less are read in the document's order: one
date elsewhere in the document that can only be day-first (25/12/2021) or month-first (12/25/2021)
decides (`document_order`). When nothing decides, the date is an `Ambiguous`, which lint reports
(U306) instead of guessing. Two-digit years are 20yy below 70, else 19yy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date
from typing import Literal

__all__ = ["MONTHS", "Ambiguous", "parse_date", "parse_accessed", "accessed_in", "document_order", "ORDER",
           "in_order", "ACCESS_WORDS", "SCOPE_RE"]

Order = Literal["dmy", "mdy"]

MONTHS = {
    m: i + 1
    for i, names in enumerate([
        ("january", "jan", "января", "январь", "янв", "қаңтар", "қаңтардағы", "januar", "janvier", "janv"),
        ("february", "feb", "февраля", "февраль", "фев", "ақпан", "ақпандағы", "februar", "février", "févr"),
        ("march", "mar", "марта", "март", "мар", "наурыз", "наурыздағы", "märz", "mars"),
        ("april", "apr", "апреля", "апрель", "апр", "сәуір", "сәуірдегі", "avril", "avr"),
        ("may", "мая", "май", "мамыр", "мамырдағы", "mai"),
        ("june", "jun", "июня", "июнь", "июн", "маусым", "маусымдағы", "juni", "juin"),
        ("july", "jul", "июля", "июль", "июл", "шілде", "шілдедегі", "juli", "juillet", "juil"),
        ("august", "aug", "августа", "август", "авг", "тамыз", "тамыздағы", "août"),
        ("september", "sep", "sept", "сентября", "сентябрь", "сен", "сент", "қыркүйек", "қыркүйектегі", "septembre"),
        ("october", "oct", "октября", "октябрь", "окт", "қазан", "қазандағы", "oktober", "okt", "octobre"),
        ("november", "nov", "ноября", "ноябрь", "ноя", "қараша", "қарашадағы", "novembre"),
        ("december", "dec", "декабря", "декабрь", "дек", "желтоқсан", "желтоқсандағы", "dezember", "dez", "décembre",
         "déc"),
    ])
    for m in names
}

_VERB = (r"(?:last\s+)?(?:re?tri?e?i?ved|retreived|acc?c?ess?e?d?|viewed|consulted|downloaded|visited|checked|"
         r"date\s+(?:of\s+)?access(?:ed)?|дата\s+обращения|дата\s+доступа|просмотрено|проверено|загружено|"
         r"обращение|қаралған\s+күні|қаралды|алынған\s+күні|кірген\s+күні|жүгінген\s+күні|"
         r"(?<=\[)cited|(?:zuletzt\s+)?(?:zugriff|abgerufen)\s+am|consulté\s+le)")
ACCESS_WORDS = ("acc", "acess", "retr", "visit", "viewed", "consulted", "download", "checked", "обращ", "просмотр",
                "доступ", "провер", "загруж", "қара", "күні", "cited", "zugriff",
                "abgerufen", "consulté")
_FOLLOWING = r"for\s+(?:this|these)\s+and\s+(?:all\s+)?(?:the\s+)?following(?:\s+(?:urls?|links?|sources?|notes?|pages?))?"
_FILLER = rf"(?:\s*(?:on|at|in|date|{_FOLLOWING}|[:\-—–(\[,]))*\s*"
_MONTH = r"([^\W\d_]{3,12})\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th|-?го|-?е)?"
_YEAR = r"(\d{4}|\d{2})(?!\d)"
_DATE = (rf"(?P<when>\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[./-]\d{{1,2}}[./-]{_YEAR}|"
         rf"{_DAY}\.?(?:\s+of)?[\s-]+{_MONTH}[\s,-]+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR}|\d{{4}}\s+{_MONTH}\s+{_DAY}(?!\d))")
_ACCESSED_RE = re.compile(rf"(?i)(?<![^\W\d_]){_VERB}{_FILLER}{_DATE}")
_ON_DATE_RE = re.compile(rf"(?i)^[\s,;:)\]]*(?:on|at)?{_FILLER}{_DATE}")
_FROM_RE = re.compile(rf"(?i)(?<![^\W\d_]){_VERB}\s+(?:from|at|via)\s*:?\s*$")
SCOPE_RE = re.compile(rf"(?i){_FOLLOWING}")
_NUMERIC_RE = re.compile(r"(?<![\d./-])(\d{1,2})([/-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-])")

ORDER: ContextVar[Order | None] = ContextVar("archiver_date_order", default=None)


class Ambiguous(date):
    """A numeric date whose day/month order nothing decides: `self` reads it day first, `other`
    month first. Lint reports it (U306) and drops it, never guessing which one was meant."""

    other: date
    printed: str

    def __new__(cls, day_first: date, month_first: date, printed: str) -> Ambiguous:
        self = super().__new__(cls, day_first.year, day_first.month, day_first.day)
        self.other, self.printed = month_first, printed
        return self

    def __reduce__(self):  # pickled (lint's spill) with both readings
        return (_ambiguous, (date(self.year, self.month, self.day), self.other, self.printed))


def _ambiguous(day_first: date, month_first: date, printed: str) -> Ambiguous:
    return Ambiguous(day_first, month_first, printed)


def _year(text: str) -> int:
    y = int(text)
    return y if len(text) == 4 else (2000 + y if y < 70 else 1900 + y)


def parse_date(when: str, order: Order | None = None) -> date | None:
    """One printed date (an Ambiguous for N/N/Y that neither the numbers nor `order` settle)."""
    when = when.strip()
    order = order or ORDER.get()
    try:
        if m := re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", when):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})", when):
            return date(_year(m[3]), int(m[2]), int(m[1]))  # dotted dates are day first (GOST, Europe)
        if m := re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})", when):
            return _numeric(int(m[1]), int(m[2]), _year(m[3]), order, when)
        if m := re.fullmatch(rf"{_DAY}\.?(?:\s+of)?[\s-]+{_MONTH}[\s,-]+{_YEAR}", when, re.I):
            month = MONTHS.get(m[2].lower())
            return date(_year(m[3]), month, int(m[1])) if month else None
        if m := re.fullmatch(rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}", when, re.I):
            month = MONTHS.get(m[1].lower())
            return date(_year(m[3]), month, int(m[2])) if month else None
        if m := re.fullmatch(rf"(\d{{4}})\s+{_MONTH}\s+{_DAY}", when, re.I):  # Vancouver: "2021 Jan 12"
            month = MONTHS.get(m[2].lower())
            return date(int(m[1]), month, int(m[3])) if month else None
    except ValueError:
        return None
    return None


def _numeric(a: int, b: int, year: int, order: Order | None, printed: str) -> date | None:
    if a > 12 or (order == "dmy" and b <= 12):
        return date(year, b, a)
    if b > 12 or order == "mdy":
        return date(year, a, b)
    if a == b:
        return date(year, a, a)
    return Ambiguous(date(year, b, a), date(year, a, b), printed)


def document_order(text: str) -> Order | None:
    """The day/month order of the document's N/N/Y dates, from those only one order can read:
    day first when some date is 25/12, month first when some is 12/25, None when none or both."""
    votes: set[Order] = set()
    for m in _NUMERIC_RE.finditer(text):
        a, b = int(m[1]), int(m[3])
        if a > 12 >= b:
            votes.add("dmy")
        elif b > 12 >= a:
            votes.add("mdy")
        if len(votes) == 2:
            return None
    return votes.pop() if votes else None


def in_order(order: Order | None, citations: Iterator) -> Iterator:
    """Run an extractor with the document's date order in effect (set around each step only)."""
    while True:
        token = ORDER.set(order)
        try:
            item = next(citations)
        except StopIteration:
            return
        finally:
            ORDER.reset(token)
        yield item


def _mentions_access(text: str) -> bool:
    lower = text.lower()
    return any(w in lower for w in ACCESS_WORDS)


def parse_accessed(text: str, *, ambiguous: bool = False) -> date | None:
    """The access date a note states, if any (an Ambiguous one only when asked for)."""
    if not _mentions_access(text):  # most notes state none: skip the big regex
        return None
    m = _ACCESSED_RE.search(text)
    when = parse_date(m.group("when")) if m else None
    return None if isinstance(when, Ambiguous) and not ambiguous else when


def accessed_in(text: str, *, before_next: bool) -> date | None:
    """The access date stated in `text`; with `before_next`, not one that introduces the next URL
    ("Retrieved 2 June 2021 from https://b" belongs to b)."""
    if not _mentions_access(text):
        return None
    m = _ACCESSED_RE.search(text)
    if not m or (before_next and text[m.end():].strip(" ,:\n").lower() in ("from", "at", "via", "on")):
        return None
    return parse_date(m.group("when"))


def accessed_across(before: str, after: str) -> date | None:
    """"downloaded from URL on 20/03/2022": the verb before the URL, the date after it."""
    if not _FROM_RE.search(before[-80:]):
        return None
    m = _ON_DATE_RE.match(after)
    return parse_date(m.group("when")) if m else None
