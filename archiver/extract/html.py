"""HTML: `<a href>`, `<img src>`, URLs printed as text, and footnote structures; relative links
resolved against `<base>` or --base-url (and reported, never guessed into hosts, without either).

A link inside a footnote (`<li id="fn1">`, `<aside>`, `<div class="footnote">`) gets the note number
of the `<sup><a href="#fn1">` that points at it, and that marker's sentence as its context. Text in
`<pre>`, `<code>`, `<script>`, `<style>` and comments is not a citation.

Parsed with lxml (libxml2): linear on hostile markup, where the standard library's HTMLParser
is quadratic (30,000 unclosed `<a href="` took 293 s through it, 4 ms through lxml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

from ..models import Citation
from .common import parse_accessed, sentence_around, spans_in

_NOTE_ID = re.compile(r"(?i)^(?:fn|footnote|note|endnote|ref|cite_note)[-_:]?(?:[a-z_-]*?)(\d+)$")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#", "about:")
_NOT_PROSE = ("a", "script", "style", "pre", "code", "textarea", "template", "noscript", "kbd", "samp")
_BLOCKS = frozenset(["p", "li", "td", "dd", "blockquote", "figcaption", "h1", "h2", "h3", "h4", "dt", "cite"])
_LINKS = {"a": "href", "area": "href", "img": "src"}


def parse(text: str):
    """The document's element tree, or None when there is nothing lxml can read."""
    import lxml.etree
    import lxml.html

    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=False)
    try:
        return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def extract(text: str, source: str, *, base_url: str | None = None) -> Iterator[Citation]:
    root = parse(text)
    if root is None:
        return
    base_el = root.find(".//base[@href]")
    base = base_el.get("href") if base_el is not None else base_url
    if base_el is not None and base_url:
        base = urljoin(base_url, base_el.get("href"))
    page = _Page(root)
    for el in root.iter(*_LINKS):
        href = (el.get(_LINKS[el.tag]) or "").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES) or _is_marker(el):
            continue
        url = urljoin(base, href) if base else href
        yield page.citation(el, el.sourceline or 0, source, url, href=url)
    yield from _text_urls(root, source, page)


def _text_urls(root, source: str, page: _Page) -> Iterator[Citation]:
    """URLs printed as text, outside links and code (footnote lists often print them so)."""
    # lxml makes element proxies on demand: hold them, or an id() could be reused by another
    kept = [d for el in root.iter(*_NOT_PROSE) for d in el.iter()]
    hidden = {id(d) for d in kept}
    for el in root.iter():
        own = el.text if isinstance(el.tag, str) and id(el) not in hidden else None
        parent = el.getparent()
        tail = el.tail if parent is not None and id(parent) not in hidden else None
        for piece, holder in ((own, el), (tail, parent)):
            if piece and "/" in piece:
                for _, span in spans_in(piece, allow_fragment=False):
                    yield page.citation(holder, el.sourceline or 0, source, span)


class _Page:
    """What a citation needs from the page: footnote markers, notes, and each block's text once."""

    def __init__(self, root):
        self.markers: dict[str, str] = {}
        self._blocks: dict[int, str] = {}
        self._per_block: dict[int, int] = {}
        self._kept: list = []  # lxml proxies behind the id() keys above, kept alive
        for a in root.iter("a"):
            if _is_marker(a):
                self.markers.setdefault(a.get("href")[1:], self.sentence_of(a))

    def citation(self, el, line: int, source: str, url: str, href: str | None = None) -> Citation:
        container = _note_container(el)
        note = _note_number(container) if container is not None else None
        if note is not None:
            note_text = " ".join(container.text_content().split())
            context = self.markers.get(container.get("id", ""))
        else:
            note_text = self.block_text(el)
            context = self.sentence_of(el, url)
        holder = container if note is not None else _block(el)
        self._kept.append(holder)
        key = id(holder)
        idx = self._per_block.get(key, 0)
        self._per_block[key] = idx + 1
        return Citation(source, line, note, url, context, parse_accessed(note_text), idx, note_text, href=href)

    def block_text(self, el) -> str:
        block = _block(el)
        key = id(block)
        if key not in self._blocks:
            self._kept.append(block)
            self._blocks[key] = " ".join(block.text_content().split()) if block is not None else ""
        return self._blocks[key]

    def sentence_of(self, el, url: str = "") -> str:
        text = self.block_text(el)
        anchor = " ".join((el.text_content() if el.tag == "a" else "").split())
        pos = text.find(url) if url and url in text else (text.find(anchor) if anchor else 0)
        return sentence_around(text, max(pos, 0))


def _block(el):
    if el.tag in _BLOCKS:
        return el
    for parent in el.iterancestors():
        if parent.tag in _BLOCKS:
            return parent
    return el.getparent() if el.getparent() is not None else el


def _is_marker(a) -> bool:
    href = a.get("href", "")
    if a.tag != "a" or not href.startswith("#"):
        return False
    return "footnote-ref" in (a.get("class") or "").split() or any(p.tag == "sup" for p in a.iterancestors())


def _note_container(el):
    for parent in ([el] if el.tag in ("li", "aside", "div", "p") else []) + list(el.iterancestors()):
        if parent.tag in ("body", "html"):
            return None
        if parent.get("id") and _NOTE_ID.match(parent.get("id")):
            return parent
    return None


def _note_number(container) -> str | None:
    m = _NOTE_ID.match(container.get("id", ""))
    return m.group(1) if m else None
