"""Write archive links back into a document: the confident repairs applied, and after each link that
has an archived copy, the copy to cite.

- HTML: Robust Links (https://robustlinks.mementoweb.org/spec/): `data-originalurl`,
  `data-versionurl` and `data-versiondate` on the `<a>`, and a visible "archived" link after it;
- Markdown: ` ([archived](URL))` after the link (after `[text][ref]` for a reference-style link: the
  definition line stays a definition);
- plain text: ` [archived: URL, YYYY-MM-DD]` at the end of the note.

Why edits by position instead of re-serialising a parsed tree: the rest of the document must come
back byte for byte (an editor diffs it), and a parser would normalise quotes, entities and spacing.
Links that already carry the annotation are left alone, so annotating twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from ..extract import Document, extract
from ..extract.html import _SKIP_SCHEMES

if TYPE_CHECKING:
    from bs4 import Tag

# Markdown links on one line, `[text](url "title")` and `<url>`. Unrolled loops (normal* (special
# normal*)*), where no character can match two ways: linear time even on an unclosed `[` or `(`.
_INLINE = re.compile(r"!?\[[^\[\]\n]*(?:\[[^\]\n]*\][^\[\]\n]*)*\]\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?"
                     r"(?:\s+[\"'(][^)\n]*)?\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")


def attr(tag: Tag | None, name: str) -> str:
    """A bs4 tag's attribute as one string ("" when absent; a multi-valued one such as class, joined)."""
    value = tag.get(name) if tag is not None else None
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _is_marker(a: Tag) -> bool:
    """A footnote marker (`<sup><a href="#fn1">`), not a citation."""
    return attr(a, "href").startswith("#") and (a.find_parent("sup") is not None
                                                or "footnote-ref" in (a.get_attribute_list("class") or []))

Copies = dict[str, tuple[str, str]]  # url -> (archive URL, 14-digit timestamp)
_NOTE_START = re.compile(r"^\s*(?:\[\d+\]|\d+[.)]|\^\d+)\s")


def day(ts14: str) -> str:
    return f"{ts14[:4]}-{ts14[4:6]}-{ts14[6:8]}"


def annotate_text(doc: Document, copies: Copies, *, base_url: str | None = None) -> tuple[str, int, set[str]]:
    """The document's text with archive links added, how many were added, and the keys of `copies`
    whose link now carries its copy (added now or before): any other URL of `copies` the document
    cites was left, and is said."""
    return _BY_FORMAT[doc.format](doc, copies, base_url)


def _insert(text: str, edits: Iterable[tuple[int, str]]) -> str:
    """Apply insertions (offset, text) from the last to the first, so offsets stay valid."""
    for offset, piece in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:offset] + piece + text[offset:]
    return text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer(r"\n", text):
        starts.append(m.end())
    return starts


# ------------------------------------------------------------------ HTML ---
def _html(doc: Document, copies: Copies, base_url: str | None) -> tuple[str, int, set[str]]:
    from bs4 import BeautifulSoup, Tag

    text = doc.text
    soup = BeautifulSoup(text, "html.parser")
    base_tag = soup.find("base", href=True)
    base = urljoin(base_url or "", attr(base_tag, "href")) if isinstance(base_tag, Tag) else base_url
    starts, edits, done = _line_starts(text), [], set()
    for a in soup.find_all("a", href=True):
        href = attr(a, "href").strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES) or _is_marker(a):
            continue
        url = urljoin(base, href) if base else href
        if a.has_attr("data-versionurl"):  # annotated before
            done.add(url)
            continue
        if url not in copies or a.sourceline is None:
            continue
        archive_url, ts = copies[url]
        start = starts[a.sourceline - 1] + (a.sourcepos or 0)
        tag_end = _tag_end(text, start)
        close = re.compile(r"</a\s*>", re.I).search(text, tag_end)
        if tag_end < 0 or close is None:
            continue
        at = tag_end - (2 if text[tag_end - 2:tag_end] == "/>" else 1)  # before the tag's `>` or `/>`
        edits.append((at, f' data-originalurl="{escape(url)}" data-versionurl="{escape(archive_url)}"'
                               f' data-versiondate="{day(ts)}"'))
        edits.append((close.end(), f' (<a href="{escape(archive_url)}" class="archived-copy">archived</a>)'))
        done.add(url)
    return _insert(text, edits), len(edits) // 2, done


def _tag_end(text: str, start: int) -> int:
    """The offset just after the `>` closing the start tag at `start` (quotes respected); -1 if none."""
    quote = None
    for i in range(start, min(len(text), start + 100_000)):
        ch = text[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == ">":
            return i + 1
    return -1


# -------------------------------------------------------------- Markdown ---
def _markdown(doc: Document, copies: Copies, base_url: str | None) -> tuple[str, int, set[str]]:
    """After each link: `[text](url)`, `<url>`, a bare URL, or the use of a reference definition
    (`[text][ref]`; the definition line itself is never edited, see annotate_markdown); after the
    element of a URL in raw HTML (`<a href="url">…</a>`), never inside its tag."""
    from .markdown import references

    text = doc.text
    lines = text.splitlines(keepends=True)
    starts = _line_starts(text)
    refs = references(text)
    edits: list[tuple[int, str]] = []
    done: set[str] = set()
    used: set[tuple[int, int]] = set()
    for c in extract(doc):
        if c.raw not in copies:
            continue
        archive_url, _ = copies[c.raw]
        labels = refs.labels.get(c.href or c.raw, set()) | refs.labels.get(c.raw, set())
        for n in range(c.line - 1, min(len(lines), c.line + 20)):
            if n in refs.definitions:
                continue
            end = _link_end(lines[n], c.raw, lambda e, n=n: (n, e) not in used, labels)  # type: ignore[misc]
            if end is not None:
                used.add((n, end))
                if f"([archived]({archive_url}))" not in lines[n][end:end + len(archive_url) + 16]:
                    edits.append((starts[n] + end, f" ([archived]({archive_url}))"))
                done.add(c.raw)
                break
    return _insert(text, edits), len(edits), done


def _link_end(line: str, url: str, free: Callable[[int], bool], labels: set[str]) -> int | None:
    """Where the first not yet annotated link to `url` on this line ends: after `[..](url)`,
    `<url>`, a use of one of the reference `labels` defined for it, or the bare URL."""
    from .markdown import use_ends

    for rx in (_INLINE, _AUTOLINK):
        for m in rx.finditer(line):
            if m.group(1) == url and free(m.end()):
                return m.end()
    for end in use_ends(line, labels) if labels else ():
        if free(end):
            return end
    pos = line.find(url)
    while pos >= 0:
        after = _after_element(line, pos) if _in_tag(line, pos) else pos + len(url)
        if after is not None and free(after):
            return after
        pos = line.find(url, pos + 1)
    return None


def _in_tag(line: str, pos: int) -> bool:
    """Whether `pos` is inside an HTML tag (`<a href="…">`): raw HTML in Markdown."""
    return line.rfind("<", 0, pos) > line.rfind(">", 0, pos)


def _after_element(line: str, pos: int) -> int | None:
    """Past the end of the element whose start tag holds `pos`: its `</a>` (or other end tag) on
    this line, else the tag's own `>` for an element without content (`<img …>`); None when the
    tag does not close on this line (an annotation inside it would break the HTML)."""
    start = line.rfind("<", 0, pos)
    name = re.match(r"<([A-Za-z][\w-]*)", line[start:])
    tag_end = _tag_end(line, start)
    if name is None or tag_end < 0:
        return None
    close = re.compile(rf"</{re.escape(name.group(1))}\s*>", re.I).search(line, tag_end)
    return close.end() if close else tag_end


# ------------------------------------------------------------------ text ---
def _text(doc: Document, copies: Copies, base_url: str | None) -> tuple[str, int, set[str]]:
    lines = doc.text.splitlines(keepends=True)
    notes: dict[int, list[str]] = {}  # the note's last line -> annotations, in order
    done: set[str] = set()
    for c in extract(doc):
        url = _repaired_in(c.raw, copies)
        if url is None:
            continue
        archive_url, ts = copies[url]
        first = next((n for n in range(c.line - 1, min(len(lines), c.line + 20)) if c.raw in lines[n]), c.line - 1)
        last = _note_end(lines, first)
        tag = f"[archived: {archive_url}, {day(ts)}]"
        if tag not in lines[last] and tag not in notes.get(last, []):
            notes.setdefault(last, []).append(tag)
        done.add(url)
    for n, tags in notes.items():
        body = lines[n].rstrip("\r\n")
        lines[n] = body.rstrip() + " " + " ".join(tags) + lines[n][len(body):]
    return "".join(lines), sum(map(len, notes.values())), done


def _repaired_in(raw: str, copies: Copies) -> str | None:
    """The URL of `copies` that this printed text is (the text was repaired before annotating, so
    only wrappers and trailing punctuation can remain around it)."""
    if raw in copies:
        return raw
    stripped = raw.strip("<>\"'«»()[]").rstrip(".,;:")
    return stripped if stripped in copies else None


def _note_end(lines: list[str], first: int) -> int:
    n = first
    while n + 1 < len(lines) and lines[n + 1].strip() and not _NOTE_START.match(lines[n + 1]):
        n += 1
    return n


_BY_FORMAT = {"html": _html, "markdown": _markdown, "text": _text}
FORMATS = tuple(_BY_FORMAT)
