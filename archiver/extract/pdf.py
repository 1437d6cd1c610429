"""PDF, through pypdf: the text of each page, and the `/URI` link annotations.

The text goes through the plain-text extractor, so notes sections, numbered notes and URLs
wrapped across lines are read as in a text file (a line that continues a note joins it). A link
annotation is the PDF's own record of where a link goes: when one covers a printed URL (its target
starts like the printed text, damage undone), the annotation's target is used, and a finding says
so when the printed text differed. pypdf was chosen over pdfminer.six by measurement on the test
fixtures (docs/decisions/pypdf.md).
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from io import BytesIO

from ..errors import InputError
from ..models import Citation
from ..urls.segment import DASH_RE, INVISIBLE_RE, WS_RE
from . import text as plain
from .common import sentence_around
from .pdfbudget import pages as budgeted
from .pdfbudget import plan

# pypdf says what it repaired ("EOF marker not found", "incorrect startxref pointer") through
# logging; with no handler anywhere Python prints it on stderr, and the library never prints. A
# program that configures logging still sees it; the text it could read is what counts here.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def _reader(data: bytes, source: str):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(data))
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"{source}: corrupt or truncated PDF ({exc}); get the file again") from None
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise InputError(f"{source}: the PDF is encrypted with a password; save an unencrypted copy")
        except (NotImplementedError, PdfReadError) as exc:
            raise InputError(f"{source}: the PDF is encrypted ({exc}); save an unencrypted copy") from None
    return reader


def read_pdf(data: bytes, source: str) -> tuple[str, list[str], int]:
    """(the text of all pages, the /URI targets in page order, the number of pages)."""
    reader = _reader(data, source)
    pages: list[str] = []
    uris: list[str] = []
    try:
        for page, readable in budgeted(reader, plan(reader, source)):
            pages.append((page.extract_text() or "") if readable else "")
            for annot in page.get("/Annots") or []:
                obj = annot.get_object()
                action = obj.get("/A")
                uri = action.get_object().get("/URI") if action is not None else None
                if obj.get("/Subtype") == "/Link" and uri:
                    uris.append(str(uri))
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged streams
        raise InputError(f"{source}: corrupt or truncated PDF ({type(exc).__name__}: {exc}); get the file again") from None
    return "\n".join(pages), uris, len(pages)


def notices(data: bytes, source: str) -> list[tuple[int, str, str]]:
    """U404 for each part of the PDF its budget leaves unread (archiver/extract/pdfbudget.py)."""
    reader = _reader(data, source)
    try:
        cut = plan(reader, source)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged streams
        raise InputError(f"{source}: corrupt or truncated PDF ({type(exc).__name__}: {exc}); get the file again") from None
    return [(0, "document-budget", message) for message in cut.notices(source)]


def _key(text: str) -> str:
    """A printed URL with its damage undone enough to compare: no spaces, hyphens for dashes."""
    return DASH_RE.sub("-", INVISIBLE_RE.sub("", WS_RE.sub("", text))).rstrip(".,;:)]»”\"'").lower()


class _Link:
    """A `/URI` link annotation: its target, page, and the printed text its rectangle covers."""

    __slots__ = ("uri", "page", "covered", "rect", "used")

    def __init__(self, uri: str, page: int, covered: str, rect: tuple[float, float, float, float]):
        self.uri, self.page, self.covered, self.rect, self.used = uri, page, covered, rect, False


def _layout(data: bytes, source: str) -> tuple[list[str], list[_Link]]:
    """Each page's text, and its link annotations with the text under each rectangle (pypdf's text
    positions), in one pass over the pages."""
    from pypdf import mult

    pages: list[str] = []
    links: list[_Link] = []
    try:
        reader = _reader(data, source)
        for n, (page, readable) in enumerate(budgeted(reader, plan(reader, source))):
            spots: list[tuple[float, float, str]] = []

            def visit(text, cm, tm, font, size, spots=spots):
                if text.strip():
                    m = mult(tm, cm)
                    spots.append((m[4], m[5], text))

            pages.append((page.extract_text(visitor_text=visit) or "") if readable else "")
            for annot in page.get("/Annots") or []:
                obj = annot.get_object()
                action = obj.get("/A")
                uri = str(action.get_object().get("/URI") or "") if action is not None else ""
                if obj.get("/Subtype") != "/Link" or not uri:
                    continue
                x0, y0, x1, y1 = (float(v) for v in obj.get("/Rect") or (0, 0, 0, 0))
                rect = (min(x0, x1) - 2, min(y0, y1) - 2, max(x0, x1) + 2, max(y0, y1) + 2)
                links.append(_Link(uri, n, _covered(spots, *rect), rect))
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged streams
        raise InputError(f"{source}: corrupt or truncated PDF ({type(exc).__name__}: {exc}); get the file again") from None
    return pages, links


def created(data: bytes, source: str) -> date | None:
    """The day the PDF says it was made (`/CreationDate` of its document information), a date of
    adding for the citations that print no access date; None when it does not say."""
    try:
        info = _reader(data, source).metadata
        stamp = info.creation_date if info else None
    except Exception:  # a malformed date or file only costs the inferred date; extraction reports the file
        return None
    return stamp.date() if stamp else None


def extract_pdf(data: bytes, source: str) -> Iterator[Citation]:
    pages, links = _layout(data, source)
    firsts, line = [], 1  # the document line each page starts on
    for body in pages:
        firsts.append(line)
        line += body.count("\n") + 1
    cited: list[Citation] = []
    for c in plain.extract("\n".join(pages), source):
        link = _covering(c.raw, bisect_right(firsts, c.line) - 1, links) if c.raw else None
        if link is not None:
            for other in links:
                other.used = other.used or other.uri == link.uri
            c = replace(c, href=link.uri)
        cited.append(c)
    # links on words, no URL printed: citations of the sentence the words are in, or of the note
    words = list(_linked_words(source, pages, firsts, [lk for lk in links if not lk.used]))
    yield from _into_notes(cited, words)


def _into_notes(cited: list[Citation], words: list[Citation]) -> Iterator[Citation]:
    """A link on the words of a note that prints no URL ("4. The survey (linked title)."): that note's
    citation, in place of its no-URL entry; other links on words come after, as citations of their
    sentence."""
    lines = [c.line for c in cited]
    for w in words:
        i = bisect_right(lines, w.line) - 1
        note = cited[i] if i >= 0 else None
        if note is not None and note.note is not None and not note.raw and _within(w.context, note.note_text):
            cited[i] = replace(w, line=note.line, note=note.note, context=note.context, note_text=note.note_text)
        else:
            cited.append(w)
    yield from cited


def _within(sentence: str | None, text: str | None) -> bool:
    return bool(sentence and text) and " ".join((sentence or "").split()) in " ".join((text or "").split())


def _linked_words(source: str, pages: list[str], firsts: list[int], links: list[_Link]) -> Iterator[Citation]:
    """A citation for each link annotation left, with the sentence holding the words its rectangle
    covers, on the line of the document's text they are on."""
    for link in links:
        if link.used:
            continue
        for other in links:
            other.used = other.used or other.uri == link.uri
        body, words = pages[link.page], link.covered
        pos = body.find(words) if words else -1
        context = sentence_around(body, pos + len(words) // 2) if pos >= 0 else (words or None)
        at = firsts[link.page] + (body.count("\n", 0, pos) if pos >= 0 else 0)
        yield Citation(source, at, None, link.uri, context, None, 0, context, href=link.uri)


def _covered(spots: list[tuple[float, float, str]], x0: float, y0: float, x1: float, y1: float) -> str:
    """The text a rectangle covers: the pieces that start inside it, else (a line drawn as one
    string, which starts left of the linked words) the pieces on its baselines."""
    rows = [(x, t) for x, y, t in spots if y0 <= y <= y1]
    inside = [t for x, t in rows if x0 <= x <= x1]
    return " ".join(t.strip() for t in (inside or [t for _, t in rows]))


def _covering(raw: str, page: int, links: list[_Link]) -> _Link | None:
    """The link annotation for the printed `raw`: one whose target starts like it (damage undone)
    and whose rectangle covers it on its page; else, where no rectangle covers it (a URL laid out
    as pieces pypdf places elsewhere), the first such target in page order."""
    key = _key(raw)
    if len(re.sub(r"^https?://", "", key)) < 4:  # "https://" alone starts every target
        return None
    # "https://www.statis-" / "tics.example.net": the hyphen may be the typesetter's, not the URL's
    unhyphenated = _key(_LINE_END_HYPHEN_RE.sub("", raw))
    fitting = [lk for lk in links if not lk.used and (_fits(key, lk.uri.lower()) or _fits(unhyphenated, lk.uri.lower()))]
    covering = [lk for lk in fitting if lk.page == page and (_under(key, lk.covered) or _under(unhyphenated, lk.covered))]
    best = covering or fitting
    return best[0] if best else None


_LINE_END_HYPHEN_RE = re.compile(r"-[ \t]*\n[ \t]*")


def _under(key: str, covered: str) -> bool:
    """Is the printed URL (its key) a word under a rectangle, or is a word under it the part of
    the URL on one line? ("https://x/report" is not under "https://x/report-2020".)"""
    return any(w == key or (len(w) >= 8 and w in key) for w in map(_key, covered.split()))


def _fits(key: str, target: str) -> bool:
    if target == key or target.startswith(key) or key.startswith(target):
        return True
    return re.sub(r"^https?://", "", target) == re.sub(r"^https?://", "", key)
