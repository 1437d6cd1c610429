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
