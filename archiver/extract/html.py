"""HTML: `<a href>` links and footnote structures, relative links resolved against `<base>` or
--base-url.

A link inside a footnote (`<li id="fn1">`, `<aside>`, `<div class="footnote">`) gets the note number
of the `<sup><a href="#fn1">` that points at it, and that marker's sentence as its context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin

if TYPE_CHECKING:  # bs4 is imported on first use: plain-text lint never needs it
    from bs4 import BeautifulSoup, Tag

from ..models import Citation
from .common import parse_accessed, sentence_around

SUFFIXES = (".html", ".htm", ".xhtml")

_NOTE_ID = re.compile(r"(?i)^(?:fn|footnote|note|endnote|ref|cite_note)[-_:]?(?:[a-z_-]*?)(\d+)$")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")


def extract(text: str, source: str, *, base_url: str | None = None) -> Iterator[Citation]:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(text, "html.parser")
    base_tag = soup.find("base", href=True)
    base = attr(base_tag, "href") or base_url if isinstance(base_tag, Tag) else base_url
    if isinstance(base_tag, Tag) and base_url:
        base = urljoin(base_url, attr(base_tag, "href"))
    markers = _markers(soup)
    per_note: dict[str, int] = {}
    for a in soup.find_all("a", href=True):
        href = attr(a, "href").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES) or _is_marker(a):
            continue
        url = urljoin(base, href) if base else href
        container = _note_container(a)
        note = _note_number(container) if container is not None else None
        if note is not None and container is not None:
            note_text = container.get_text(" ", strip=True)
            context = markers.get(attr(container, "id"))
        else:
            note_text = _block_text(a)
            context = _sentence_of(a)
        idx = per_note.get(note or f"line{a.sourceline}", 0)
        per_note[note or f"line{a.sourceline}"] = idx + 1
        yield Citation(source, a.sourceline or 0, note, url, context, parse_accessed(note_text), idx,
                       note_text)


def _markers(soup: BeautifulSoup) -> dict[str, str]:
    """note id -> the sentence that carries the marker pointing at it."""
    out: dict[str, str] = {}
    for a in soup.find_all("a", href=re.compile(r"^#")):
        if _is_marker(a):
            out.setdefault(attr(a, "href")[1:], _sentence_of(a))
    return out


def _is_marker(a: Tag) -> bool:
    return attr(a, "href").startswith("#") and (a.find_parent("sup") is not None
                                                 or "footnote-ref" in (a.get_attribute_list("class") or []))


def _note_container(a: Tag) -> Tag | None:
    for parent in a.parents:
        if getattr(parent, "name", None) in (None, "body", "html", "[document]"):
            return None
        if _NOTE_ID.match(attr(parent, "id")):
            return parent
    return None


def _note_number(container: Tag) -> str | None:
    m = _NOTE_ID.match(attr(container, "id"))
    return m.group(1) if m else None


def _block_text(a: Tag) -> str:
    block = a.find_parent(["p", "li", "td", "dd", "blockquote", "figcaption", "h1", "h2", "h3"]) or a.parent
    return block.get_text(" ", strip=True) if block else a.get_text(" ", strip=True)


def _sentence_of(a: Tag) -> str:
    block = a.find_parent(["p", "li", "td", "dd", "blockquote", "figcaption"]) or a.parent
    if block is None:
        return a.get_text(" ", strip=True)
    marker = "\x00ARCHIVER\x00"
    pieces = []
    for el in block.descendants:
        if el is a:
            pieces.append(marker)
        if isinstance(el, str) and not any(p is a for p in el.parents) or isinstance(el, str):
            pieces.append(str(el))
    text = " ".join("".join(pieces).split())
    pos = text.find(marker)
    return sentence_around(text.replace(marker, ""), max(pos, 0))


def attr(tag: Tag | None, name: str) -> str:
    """A tag's attribute as one string ("" when absent; a multi-valued one such as class, joined)."""
    value = tag.get(name) if tag is not None else None
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)
