"""PDF, through pypdf: the text of each page, and the `/URI` link annotations.

The text goes through the plain-text extractor, so notes sections, numbered notes and URLs
wrapped across lines are read as in a text file (a line that continues a note joins it). A link
annotation is the PDF's own record of where a link goes: when one covers a printed URL (its target
starts like the printed text, damage undone), the annotation's target is used, and a finding says
so when the printed text differed. pypdf was chosen over pdfminer.six by measurement on the test
fixtures (docs/decisions/pypdf.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from io import BytesIO

from ..errors import InputError
from ..models import Citation
from ..urls.segment import DASH_RE, INVISIBLE_RE, WS_RE
from . import text as plain
from .common import sentence_around


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
        for page in reader.pages:
            pages.append(page.extract_text() or "")
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


def _key(text: str) -> str:
    """A printed URL with its damage undone enough to compare: no spaces, hyphens for dashes."""
    return DASH_RE.sub("-", INVISIBLE_RE.sub("", WS_RE.sub("", text))).rstrip(".,;:)]»”\"'").lower()


def extract_pdf(data: bytes, source: str) -> Iterator[Citation]:
    text, uris, _ = read_pdf(data, source)
    free = list(dict.fromkeys(uris))
    for c in plain.extract(text, source):
        href = _covering(c.raw, free) if c.raw else None
        if href is not None:
            free.remove(href)
            c = replace(c, href=href)
        yield c
    if free:  # links on words, no URL printed: citations of the sentence the words are in
        yield from _linked_words(data, source, set(free))


def _linked_words(data: bytes, source: str, wanted: set[str]) -> Iterator[Citation]:
    """A citation for each link annotation in `wanted`, with the sentence holding the words its
    rectangle covers (pypdf's text positions), on the line of the document's text they are on."""
    from pypdf import mult

    line = 1
    for page in _reader(data, source).pages:
        spots: list[tuple[float, float, str]] = []

        def visit(text, cm, tm, font, size, spots=spots):
            if text.strip():
                m = mult(tm, cm)
                spots.append((m[4], m[5], text))

        body = page.extract_text(visitor_text=visit) or ""
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            action = obj.get("/A")
            uri = str(action.get_object().get("/URI") or "") if action is not None else ""
            if obj.get("/Subtype") != "/Link" or uri not in wanted:
                continue
            wanted.discard(uri)
            x0, y0, x1, y1 = (float(v) for v in obj.get("/Rect"))
            words = _covered(spots, min(x0, x1) - 2, min(y0, y1) - 2, max(x0, x1) + 2, max(y0, y1) + 2)
            pos = body.find(words) if words else -1
            context = sentence_around(body, pos) if pos >= 0 else (words or None)
            at = line + (body.count("\n", 0, pos) if pos >= 0 else 0)
            yield Citation(source, at, None, uri, context, None, 0, context, href=uri)
        line += body.count("\n") + 1


def _covered(spots: list[tuple[float, float, str]], x0: float, y0: float, x1: float, y1: float) -> str:
    """The text a rectangle covers: the pieces that start inside it, else (a line drawn as one
    string, which starts left of the linked words) the pieces on its baselines."""
    rows = [(x, t) for x, y, t in spots if y0 <= y <= y1]
    inside = [t for x, t in rows if x0 <= x <= x1]
    return " ".join(t.strip() for t in (inside or [t for _, t in rows]))


def _covering(raw: str, uris: list[str]) -> str | None:
    """The annotation target that covers the printed `raw`, if any (the first, in page order)."""
    key = _key(raw)
    if len(key) < 8:
        return None
    for uri in uris:
        target = uri.lower()
        if target == key or target.startswith(key) or key.startswith(target):
            return uri
        if re.sub(r"^https?://", "", target) == re.sub(r"^https?://", "", key):
            return uri
    return None
