"""Markdown: inline links, autolinks, reference definitions, footnotes `[^n]: ...` and bare URLs.

A footnote's citing sentence is the sentence of the body that carries its `[^n]` reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..models import Citation
from .common import note_citations, parse_accessed, sentence_around

SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")

_FOOTNOTE_DEF = re.compile(r"^\s{0,3}\[\^([^\]\s]+)\]:\s*(.*)$")
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]^][^\]]*)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*)?\s*$")
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?((?:[^()\s<>]+|\([^()\s]*\))+)>?(?:\s+[\"'(][^)]*)?\)")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
_FOOTREF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def extract(text: str, source: str) -> Iterator[Citation]:
    text = _CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)  # keep line numbers
    lines = text.splitlines()
    refs = {m.group(1): _sentence_at(text, m.start()) for m in _FOOTREF.finditer(text)}
    note: tuple[int, str, list[str]] | None = None
    for i, ln in enumerate(lines, start=1):
        fm = _FOOTNOTE_DEF.match(ln)
        ends_note = fm or not ln.strip() or not ln.startswith((" ", "\t"))
        if note is not None and ends_note:
            yield from _footnote(source, note, refs)
            note = None
        if fm:
            note = (i, fm.group(1), [fm.group(2)])
            continue
        if note is not None:
            note[2].append(ln.strip())
            continue
        yield from _line_links(source, i, ln, text, lines)
    if note is not None:
        yield from _footnote(source, note, refs)


def _footnote(source: str, note: tuple[int, str, list[str]], refs: dict) -> Iterator[Citation]:
    line, label, parts = note
    body = "\n".join(parts)
    links = [m.group(1) for m in _INLINE.finditer(body)] + [m.group(1) for m in _AUTOLINK.finditer(body)]
    if links:
        accessed = parse_accessed(body)
        for idx, url in enumerate(links):
            yield Citation(source, line, label, url, refs.get(label), accessed, idx, body)
    else:
        yield from note_citations(source, line, label, body, context=refs.get(label))


def _line_links(source: str, lineno: int, ln: str, text: str, lines: list[str]) -> Iterator[Citation]:
    rd = _REF_DEF.match(ln)
    if rd:
        yield Citation(source, lineno, None, rd.group(2), None, parse_accessed(ln), 0, ln)
        return
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, str]] = []
    for rx in (_INLINE, _AUTOLINK):
        for m in rx.finditer(ln):
            if not any(a <= m.start() < b for a, b in taken):
                taken.append(m.span())
                found.append((m.start(1), m.group(1)))
    rest = ln
    for a, b in taken:
        rest = rest[:a] + " " * (b - a) + rest[b:]
    for cit in note_citations(source, lineno, None, rest, allow_fragment=False):
        found.append((rest.find(cit.raw), cit.raw))
    offset = sum(len(x) + 1 for x in lines[: lineno - 1])
    for idx, (pos, url) in enumerate(sorted(found)):
        yield Citation(source, lineno, None, url, _sentence_at(text, offset + max(pos, 0)),
                       parse_accessed(ln), idx, ln)


def _sentence_at(text: str, pos: int) -> str:
    plain = _INLINE.sub(lambda m: re.sub(r"^!?\[|\]\(.*$", "", m.group(0)).ljust(len(m.group(0))), text)
    return sentence_around(plain, pos)
