"""HTML: `<a href>`, `<img src>`, URLs printed as text, and footnote structures; relative links
resolved against `<base>` or --base-url (and reported, never guessed into hosts, without either).

A link inside a footnote (`<li id="fn1">`, `<aside>`, `<div class="footnote">`) gets the note number
of the `<sup><a href="#fn1">` that points at it, and that marker's sentence as its context. Text in
`<pre>`, `<code>`, `<script>`, `<style>` and comments is not a citation.

Parsed with lxml (libxml2): linear on hostile markup, where the standard library's HTMLParser
is quadratic, so a document of unclosed tags cannot stall a run (docs/decisions/lxml.md).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import urljoin

from ..errors import InputError
from ..models import Citation, Role
from .common import accessed_in, excerpt, sentence_around, spans_in

_NOTE_ID = re.compile(r"(?i)^(?:fn|footnote|note|endnote|ref|cite_note)[-_:]?(?:[a-z_-]*?)(\d+)$")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#", "about:")
_NOT_PROSE = ("a", "script", "style", "pre", "code", "textarea", "template", "noscript", "kbd", "samp")
_BLOCKS = frozenset(["p", "li", "td", "dd", "blockquote", "figcaption", "h1", "h2", "h3", "h4", "dt", "cite"])
_LINKS = {"a": "href", "area": "href", "img": "src"}


def parse(text: str, source: str = "the document"):
    """The document's element tree, or None when there is nothing lxml can read. libxml2 stops
    reading at 256 nested elements (2048 with huge_tree) and keeps what came before: a page nested
    deeper is an InputError naming it, never a silent partial read."""
    import lxml.etree
    import lxml.html

    if not text.strip():
        return None
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=False, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None
    if any("Excessive depth" in e.message for e in parser.error_log):
        raise InputError(f"{source}: HTML nested deeper than the parser reads (2048 elements); the rest of the page "
                         "would be lost, so it is not read")
    return root


def extract(text: str, source: str, *, base_url: str | None = None, components: bool = False) -> Iterator[Citation]:
    """The page's links, images and URLs printed as text; with `components` (HTML inside Markdown),
    also the `href` of elements HTML does not define: MDX and JSX components (`<Card href="…">`)."""
    root = parse(text, source)
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
    if components:
        yield from _component_links(root, source, page, base)
    yield from _text_urls(root, source, page)


def _component_links(root, source: str, page: _Page, base: str | None) -> Iterator[Citation]:
    """`<Card href="…">` in MDX, `<Bar href="…">` in a Markdown file's JSX: an element HTML does not
    define (lxml's list of HTML tags), outside SVG and MathML, whose `href` is a link as `<a href>` is."""
    from lxml.html import defs

    for el in root.iter():
        href = (el.get("href") or "").strip() if isinstance(el.tag, str) and el.tag not in defs.tags else ""
        if not href or href.lower().startswith(_SKIP_SCHEMES) or next(el.iterancestors("svg", "math"), None) is not None:
            continue
        url = urljoin(base, href) if base else href
        yield page.citation(el, el.sourceline or 0, source, url, href=url)


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
    """What a citation needs from the page: footnote markers, notes, and each block's text once.

    A block's citations are found in it left to right from a cursor, so a paragraph holding
    thousands of links is read once, not once a link."""

    def __init__(self, root):
        self.markers: dict[str, str] = {}
        self._blocks: dict[int, str] = {}
        self._cursor: dict[int, tuple[int, bool]] = {}  # block -> (where the last citation ended, took a date after)
        self._per_block: dict[int, int] = {}
        self._markers_at: dict[int, int] = {}
        self._link_starts: dict[int, list[int]] = {}  # block -> where each of its links' words start
        self._kept: list = []  # lxml proxies behind the id() keys above, kept alive
        self.memo: dict = {}  # what the walks up the tree found (_up), per element
        for a in root.iter("a"):
            if _is_marker(a):
                self.markers.setdefault(a.get("href")[1:], self.sentence_of(a))

    def citation(self, el, line: int, source: str, url: str, href: str | None = None) -> Citation:
        container = _note_container(self.memo, el)
        note = _note_number(container) if container is not None else None
        holder = container if note is not None else _block(self.memo, el)
        text = self.note_text(container) if note is not None else self.block_text(el)
        if id(holder) not in self._link_starts:
            self._link_starts[id(holder)] = _link_starts(holder, text)
        pos, end = self._place(holder, text, el, url)
        context = self.markers.get(container.get("id", "")) if note is not None else sentence_around(text, pos)
        self._kept.append(holder)
        key = id(holder)
        idx = self._per_block.get(key, 0)
        self._per_block[key] = idx + 1
        return Citation(source, line, note, url, context, self._accessed(key, text, pos, end), idx,
                        excerpt(text, pos), href=href, role=_role(self.memo, el) if note is None else "citation")

    def note_text(self, container) -> str:
        key = id(container)
        if key not in self._blocks:
            self._kept.append(container)
            self._blocks[key] = " ".join(container.text_content().split())
        return self._blocks[key]

    def block_text(self, el) -> str:
        block = _block(self.memo, el)
        key = id(block)
        if key not in self._blocks:
            self._kept.append(block)
            self._blocks[key] = " ".join(block.text_content().split()) if block is not None else ""
        return self._blocks[key]

    def _place(self, holder, text: str, el, url: str) -> tuple[int, int]:
        """Where this citation is printed in its block's text: the URL, else the link's words,
        searched from the end of the block's previous citation."""
        start = self._cursor.get(id(holder), (0, False))[0]
        anchor = " ".join((el.text_content() if el.tag == "a" else "").split())
        for needle in (url, anchor):
            at = text.find(needle, start) if needle else -1
            if at >= 0:
                return at, at + len(needle)
        return start, start

    def _accessed(self, key: int, text: str, pos: int, end: int) -> date | None:
        """The date stated after this citation (up to the next URL), else before it back to the
        previous citation, unless that one took it: never a neighbour's date."""
        prev_end, prev_took = self._cursor.get(key, (0, False))
        url = _NEXT_URL.search(text, end, end + 400)
        starts = self._link_starts.get(key, [])
        link = starts[bisect.bisect_right(starts, end)] if bisect.bisect_right(starts, end) < len(starts) else None
        stop = min(x for x in (url.start() if url else None, link, end + 400) if x is not None)
        after = accessed_in(text[end:stop], before_next=stop < end + 400)
        when = after
        if when is None and not prev_took:
            when = accessed_in(text[max(prev_end, pos - 400):pos], before_next=False)
        self._cursor[key] = (max(end, prev_end), after is not None)
        return when

    def sentence_of(self, a) -> str:
        """The sentence of a footnote marker (markers are met in order, like citations)."""
        text = self.block_text(a)
        key = id(_block(self.memo, a))
        anchor = " ".join(a.text_content().split())
        at = text.find(anchor, self._markers_at.get(key, 0)) if anchor else -1
        self._markers_at[key] = max(at, 0) + len(anchor)
        return sentence_around(text, max(at, 0))


def _link_starts(holder, text: str) -> list[int]:
    """Where each link of a block to another site starts in its text: where the next citation's
    words begin (one pass). A relative link (Wikipedia's link to the publisher's article) sits
    inside a citation, between its URL and its "Retrieved …", so it ends nothing."""
    out, at = [], 0
    for a in holder.iter(*_LINKS):
        if not (a.get(_LINKS[a.tag]) or "").lower().startswith(("http:", "https:", "//")):
            continue
        words = " ".join((a.text_content() if a.tag == "a" else "").split())
        found = text.find(words, at) if words else -1
        if found >= 0:
            out.append(found)
            at = found + len(words)
    return out


_NEXT_URL = re.compile(r"(?i)https?:|www\.")


# Page chrome: HTML5 sectioning elements and ARIA landmarks that are not the page's content, and
# the ids MediaWiki gives its menus and footer (a saved Wikipedia page has 75 such links).
_CHROME_TAGS = frozenset(["header", "nav", "footer", "aside", "menu"])
_CHROME_ROLES = frozenset(["navigation", "banner", "contentinfo", "complementary", "menu", "menubar"])
_CHROME_IDS = re.compile(r"(?i)^(?:mw-(?:navigation|panel|head|footer|page-base|head-base)|footer|catlinks|"
                         r"p-[a-z-]+|sidebar|site-?nav(?:igation)?|top-?bar)$")
# MediaWiki's too: the "Retrieved from <permalink>" footer, maintenance banners ("Please help improve
# this article"), section edit links.
_CHROME_CLASSES = re.compile(r"(?i)(?:^|\s)(?:navbox|vector-menu|mw-footer|sidebar|site-nav|breadcrumbs?|printfooter|"
                             r"ambox|mw-editsection|mw-jump)(?:\s|$)")


_FOUND_NONE = object()  # an answer of "none" that ends the walk up (the body reached)


def _up(memo: dict, start, kind: str, own) -> object:
    """The first answer `own(node)` gives (None: ask the parent) on the way up from `start`,
    remembered for every element passed: links that share deep ancestors walk them once, so a page
    nested n deep with n links costs n steps, not n * n."""
    passed, node, answer = [], start, None
    while node is not None:
        if (hit := memo.get((id(node), kind))) is not None:
            answer = hit[0]
            break
        passed.append(node)
        if (answer := own(node)) is not None:
            break
        node = node.getparent()
    for n in passed:
        memo[id(n), kind] = (answer, n)  # the element is kept, so its id() is not reused
    return None if answer is _FOUND_NONE else answer


def _chrome(node) -> Role | None:
    if node.tag in _CHROME_TAGS or (node.get("role") or "").lower() in _CHROME_ROLES:
        return "navigation"
    if _CHROME_IDS.match(node.get("id") or "") or _CHROME_CLASSES.search(node.get("class") or ""):
        return "navigation"
    return None


def _role(memo: dict, el) -> Role:
    """resource for an image; navigation inside page chrome; else a citation."""
    if el.tag == "img":
        return "resource"
    return _up(memo, el, "role", _chrome) or "citation"  # type: ignore[return-value]


def _block(memo: dict, el):
    found = _up(memo, el, "block", lambda n: n if n.tag in _BLOCKS else None)
    if found is not None:
        return found
    return el.getparent() if el.getparent() is not None else el


def _is_marker(a) -> bool:
    href = a.get("href", "")
    if a.tag != "a" or not href.startswith("#"):
        return False
    return "footnote-ref" in (a.get("class") or "").split() or any(p.tag == "sup" for p in a.iterancestors())


def _note_container(memo: dict, el):
    start = el if el.tag in ("li", "aside", "div", "p") else el.getparent()
    return _up(memo, start, "note", _note_or_end) if start is not None else None


def _note_or_end(node):
    if node.tag in ("body", "html"):
        return _FOUND_NONE
    return node if node.get("id") and _NOTE_ID.match(node.get("id")) else None


def _note_number(container) -> str | None:
    m = _NOTE_ID.match(container.get("id", ""))
    return m.group(1) if m else None
