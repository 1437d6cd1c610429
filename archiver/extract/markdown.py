"""Markdown, parsed by markdown-it-py (CommonMark, with footnotes and tables).

Links, autolinks, images and reference definitions come from the parser, so `[![CI](img)](link)`
is two URLs and a relative `[20.x](CHANGELOG_V20.md)` stays relative. Raw HTML blocks and inline
HTML go through the HTML extractor. Code spans, code blocks and HTML comments are not citations.
Bare URLs in prose are found as in plain text, damage included. A footnote `[^n]: …` is note n,
and its citing sentence is the body sentence that carries `[^n]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

from ..models import Citation, Role
from . import html as html_extractor
from .common import accessed_per_span, note_citations, sentence_around, spans_in


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    # footnote_tail would drop definitions no `[^n]` refers to and move the rest to the end: keep
    # every definition, in place. Pandoc's inline notes `^[...]` (footnote_inline) have no label and
    # their text would leave the paragraph: read as prose, their URLs are found as in plain text.
    md = (MarkdownIt("commonmark", {"html": True}).use(footnote_plugin).enable("table")
          .disable(["footnote_tail", "footnote_inline"]))
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # javascript: links are still cited (U304)
    return md


@dataclass
class _Inline:
    """One inline run as plain text: link texts kept, code blanked, breaks as newlines."""

    text: str = ""
    links: list[tuple[int, str]] = field(default_factory=list)  # (offset in text, href)
    masked: list[tuple[int, int]] = field(default_factory=list)  # text ranges that are link texts
    markers: list[tuple[int, str]] = field(default_factory=list)  # footnote references
    html: list[str] = field(default_factory=list)  # inline HTML tags
    images: set[tuple[int, str]] = field(default_factory=set)  # the links that are images (resources)


def _flatten(children) -> _Inline:
    out, parts, pos = _Inline(), [], 0
    link_start = None
    for tok in children:
        piece = ""
        if tok.type in ("text", "text_special"):
            piece = tok.content
        elif tok.type in ("softbreak", "hardbreak"):
            piece = "\n"
        elif tok.type == "code_inline":
            piece = " " * (len(tok.content) + 2)
        elif tok.type in ("em_open", "em_close", "strong_open", "strong_close", "s_open", "s_close"):
            piece = tok.markup  # keep `__init__` in a bare URL as printed
        elif tok.type == "link_open":
            out.links.append((pos, tok.attrs.get("href", "")))
            link_start = pos
        elif tok.type == "link_close" and link_start is not None:
            out.masked.append((link_start, pos))
            link_start = None
        elif tok.type == "image":
            out.links.append((pos, tok.attrs.get("src", "")))
            out.images.add(out.links[-1])
            piece = tok.content
        elif tok.type == "footnote_ref":
            piece = f"[^{tok.meta['label']}]"
            out.markers.append((pos, tok.meta["label"]))
        elif tok.type == "html_inline":
            out.html.append(tok.content)
        parts.append(piece)
        pos += len(piece)
    out.text = "".join(parts)
    return out


def extract(text: str, source: str, *, base_url: str | None = None) -> Iterator[Citation]:
    env: dict = {}
    tokens = _parser().parse(text, env)
    runs = {i: _flatten(tok.children or []) for i, tok in enumerate(tokens) if tok.type == "inline" and tok.map}
    contexts: dict[str, str] = {}
    for run in runs.values():  # a definition may come before the sentence that refers to it
        for off, label in run.markers:
            contexts.setdefault(label, sentence_around(run.text, off))
    footnote: tuple[str, list] | None = None  # (label, [(line, _Inline)])
    used = {href for run in runs.values() for _, href in run.links}
    for i, tok in enumerate(tokens):
        if tok.type == "footnote_reference_open":
            footnote = (tok.meta["label"], [])
        elif tok.type == "footnote_reference_close" and footnote is not None:
            yield from _footnote(source, footnote, contexts.get(footnote[0]), base_url)
            footnote = None
        elif tok.type == "html_block" and tok.map:
            yield from _html(source, tok.content, tok.map[0], base_url)
        elif i in runs:
            if footnote is not None:
                footnote[1].append((tok.map[0] + 1, runs[i]))
            else:
                yield from _prose(source, tok.map[0] + 1, runs[i], base_url)
    yield from _unused_references(source, env.get("references", {}), used, base_url)


def _resolve(href: str, base_url: str | None) -> str:
    return urljoin(base_url, href) if base_url and href and not href.startswith("#") else href


def _prose(source: str, line: int, run: _Inline, base_url: str | None) -> Iterator[Citation]:
    """Links and bare URLs of one paragraph, heading, list item or table cell (free text)."""
    found = [(off, href, True) for off, href in run.links if href and not href.startswith("#")]
    found += [(off, raw, False) for off, raw in spans_in(_masked(run), allow_fragment=False)]
    found.sort(key=lambda f: f[0])  # stable: a badge's link before its image
    dates = accessed_per_span(run.text, [(off, off + len(u)) for off, u, _ in found])
    newlines, counted = 0, 0
    for i, (off, url, is_link) in enumerate(found):
        newlines += run.text.count("\n", counted, max(off, counted))  # counted once: linear time
        counted = max(off, counted)
        at = line + newlines
        href = _resolve(url, base_url) if is_link else None
        role: Role = "resource" if is_link and (off, url) in run.images else "citation"
        yield Citation(source, at, None, href or url, sentence_around(run.text, off), dates[i], i,
                       run.text, href=href, role=role)
    for tag in run.html:
        yield from _html(source, tag, line - 1, base_url)


def _masked(run: _Inline) -> str:
    """The run's text with link texts blanked, so `<https://x>` is not found twice."""
    if not run.masked:
        return run.text
    chars = list(run.text)
    for a, b in run.masked:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _footnote(source: str, footnote: tuple[str, list], context: str | None,
              base_url: str | None) -> Iterator[Citation]:
    label, runs = footnote
    if not runs:
        return
    line = runs[0][0]
    body = "\n".join(run.text for _, run in runs)
    links: list[tuple[int, str]] = []  # (offset in body, resolved target)
    base = 0
    for _, run in runs:
        links += [(base + off, _resolve(href, base_url)) for off, href in run.links
                  if href and not href.startswith("#")]
        base += len(run.text) + 1
    if not links:
        yield from note_citations(source, line, label, body, context=context)
        return
    dates = accessed_per_span(body, [(off, off) for off, _ in links])
    for i, (_, href) in enumerate(links):
        yield Citation(source, line, label, href, context, dates[i], i, body, href=href)


def _unused_references(source: str, refs: dict, used: set[str], base_url: str | None) -> Iterator[Citation]:
    """A reference definition no link uses is still a URL the document cites."""
    for ref in refs.values():
        href = ref.get("href", "")
        if href and href not in used and not href.startswith("#"):
            line = (ref.get("map") or [0])[0] + 1
            target = _resolve(href, base_url)
            yield Citation(source, line, None, target, None, None, 0, None, href=target)


def _html(source: str, fragment: str, line_offset: int, base_url: str | None) -> Iterator[Citation]:
    for c in html_extractor.extract(fragment, source, base_url=base_url, components=True):
        yield Citation(c.source, c.line + line_offset, c.note, c.raw, c.context, c.accessed, c.index,
                       c.note_text, href=c.href)
