""""Does it still say that?": the quotations of a citing sentence, looked for in each copy of the page.

A quotation is text between quotation marks of any script ("…", “…”, «…», „…“, „…”, ‘…’, 「…」) of
at least MIN_WORDS words, or a shorter one that is the page's title (a note that gives the title).
Comparison is on normalised text: Unicode NFKC, case folded, ё as е, punctuation dropped and
whitespace collapsed, so a curly apostrophe or a line break does not hide a quote.

Verdicts: `still-says-it` (the live page has it), `no-longer-says-it` (the live page does not, or is
gone, but archiver's snapshot or the chosen capture does), `not-found` (in no copy).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote as percent

from ..models import QuoteCheck, QuoteVerdict

__all__ = ["MIN_WORDS", "check_quotes", "fragment_link", "normalise", "quotations"]

MIN_WORDS = 3  # "so-called" scare quotes are shorter; a quoted claim is longer
_PAIRS = re.compile(r'"([^"\n]{3,500})"|“([^”“\n]{3,500})”|«([^«»\n]{3,500})»|„([^„“”\n]{3,500})[“”]'
                    r"|‘([^‘’\n]{3,500})’|「([^「」\n]{3,500})」|『([^『』\n]{3,500})』")
_NOT_WORD = re.compile(r"[^\w]+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(_NOT_WORD.sub(" ", text).split())


def quotations(context: str | None, title: str | None = None) -> list[tuple[str, str]]:
    """(quote, kind) of a citing sentence: kind "title" when it is the page's title."""
    out: dict[str, str] = {}
    for m in _PAIRS.finditer(context or ""):
        q = " ".join(next(g for g in m.groups() if g).split()).strip()
        is_title = bool(title) and normalise(q) == normalise(title or "")
        if is_title or len(normalise(q).split()) >= MIN_WORDS:
            out.setdefault(q, "title" if is_title else "quote")
    return list(out.items())


def _found(quote: str, text: str | None) -> bool | None:
    return None if text is None else normalise(quote) in normalise(text)


def fragment_link(url: str, quote: str) -> str:
    """`url` scrolled to `quote` with a text fragment (#:~:text=): the whole quote when short, else its
    first and last four words (start,end). Dashes, commas and ampersands are escaped as the syntax asks."""
    def enc(s: str) -> str:
        return percent(s, safe="").replace("-", "%2D")

    words = quote.split()
    directive = enc(quote) if len(words) <= 8 else f"{enc(' '.join(words[:4]))},{enc(' '.join(words[-4:]))}"
    return f"{url.split('#', 1)[0]}#:~:text={directive}"


def verdict_of(live: bool | None, snapshot: bool | None, capture: bool | None) -> QuoteVerdict:
    if live:
        return "still-says-it"
    return "no-longer-says-it" if snapshot or capture else "not-found"


def check_quotes(citations: Iterable[tuple[int, str | None, str | None]], *, live: str | None, then: str | None,
                 capture: str | None, capture_url: str | None,
                 titles: tuple[str | None, str | None, str | None] = (None, None, None)) -> list[QuoteCheck]:
    """The quote checks of the citations (id, citing text, access date) against the texts of the
    live page, archiver's snapshot from the citation's time and the chosen capture (None: no such
    copy); `titles`, the same copies' titles: a quotation that is the title is looked for there too."""
    out = []
    title = next((t for t in (titles[1], titles[0], titles[2]) if t), None)
    copies = [None if text is None else f"{t or ''} {text}" for text, t in zip((live, then, capture), titles)]
    for cid, context, _accessed in citations:
        for q, kind in quotations(context, title):
            live_has, then_has, capture_has = (_found(q, copy) for copy in copies)
            link = fragment_link(capture_url, q) if capture_url and capture_has else None
            out.append(QuoteCheck(cid, q, kind, verdict_of(live_has, then_has, capture_has),  # type: ignore[arg-type]
                                  live_has, then_has, capture_has, link))
    return out
