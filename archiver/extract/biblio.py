"""Bibliographies: BibTeX (through bibtexparser) and CSL-JSON (Zotero's export).

An entry is a note: its key (BibTeX) or id (CSL-JSON) stands in for the note number, its title is
the context. URLs come from `url`, `howpublished = {\\url{…}}`, `doi` (as https://doi.org/…) and
URLs printed in `note`; the access date from `urldate` / `accessed`, else "Accessed …" in `note`.
Each entry keeps its own date, even when two entries cite the same URL.

Never silent: an entry bibtexparser cannot read is a U403 warning naming its line and key (its URLs
are lost, so the user must know); one whose key or field is repeated is read and said; a file in
which no entry at all can be read is an InputError (exit 3), like any corrupt document.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from datetime import date

from ..errors import InputError
from ..models import Citation
from ..urls.segment import DOI_RE
from .common import note_citations, parse_accessed, parse_date

# LaTeX escapes that URLs and notes carry in .bib files: \_ \% \& \# \$ \~{} {\textunderscore}
_LATEX = [(re.compile(r"\\(?:textunderscore|_)\{?\}?"), "_"), (re.compile(r"\\([%&#$])"), r"\1"),
          (re.compile(r"\\(?:textasciitilde|~)\{\}"), "~"), (re.compile(r"\\url\{([^{}]*)\}"), r" \1 "),
          (re.compile(r"\\href\{([^{}]*)\}\{[^{}]*\}"), r" \1 "), (re.compile(r"[{}]"), "")]


def unlatex(value: str) -> str:
    for rx, repl in _LATEX:
        value = rx.sub(repl, value)
    return value


def entry_citations(source: str, line: int, key: str, fields: dict[str, str],
                    accessed: date | None) -> Iterator[Citation]:
    """The citations of one entry: its URLs in field order, each with the entry's access date."""
    title = fields.get("title") or None
    note_text = " ".join(v for k, v in fields.items() if k in ("url", "howpublished", "note"))
    accessed = accessed or parse_accessed(fields.get("note", ""))
    seen: set[str] = set()
    index = 0
    for name in ("url", "howpublished", "note"):
        if not fields.get(name):
            continue
        for c in note_citations(source, line, key, fields[name], context=title, empty_ok=False):
            if c.raw not in seen:
                seen.add(c.raw)
                yield Citation(source, line, key, c.raw, title, accessed, index, note_text)
                index += 1
    doi = fields.get("doi", "").strip()
    printed = DOI_RE.match(doi)
    doi = printed.group(1) if printed else doi
    if doi:
        url = "https://doi.org/" + doi
        if url not in seen:
            yield Citation(source, line, key, url, title, accessed, index, note_text, href=url)


@functools.lru_cache(maxsize=1)  # read_document judges the file, extract reads it: one parse
def _library(text: str):
    import logging

    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # the library logs; archiver reports
    return bibtexparser.parse_string(text)


def extract_bibtex(text: str, source: str) -> Iterator[Citation]:
    library = _library(text)
    strings = {s.key.lower(): unlatex(str(s.value)).strip('"') for s in library.strings}
    recovered = [b.ignore_error_block for b in library.failed_blocks if _is_duplicate(b)]
    for entry in sorted([*library.entries, *recovered], key=lambda e: e.start_line or 0):
        fields = {k.lower(): unlatex(_expand(str(f.value), strings)) for k, f in entry.fields_dict.items()}
        when = parse_date(fields.get("urldate", "")) or parse_date(fields.get("accessed", ""))
        yield from entry_citations(source, (entry.start_line or 0) + 1, entry.key, fields, when)


_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^\s,{}()=]+)\s*,")


def bibtex_notices(text: str, path: str) -> list[tuple[int, str, str]]:
    """A U403 notice per entry bibtexparser could not read (or read only in part); InputError when
    it could read no entry at all."""
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    library = _library(text)
    out = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        m = _KEY.match(block.raw or "")
        name = f"entry {m.group(1)!r}" if m else "an entry"
        if isinstance(block, DuplicateBlockKeyBlock):
            why = "repeats a key used earlier; it is read too, but give it a key of its own"
        elif isinstance(block, DuplicateFieldKeyBlock):
            fields = str(block.error).partition(":")[2].partition(". Note")[0].strip() or "a field"
            why = f"gives {fields} twice; only the last value is read"
        else:
            why = ("cannot be read by bibtexparser (unbalanced braces or quotes, a missing comma or key?); "
                   "its URLs are not read: fix the entry")
        out.append((line, "unreadable-entry", f"{name} at line {line} {why}"))
    if out and not library.entries and not any(_is_duplicate(b) for b in library.failed_blocks):
        raise InputError(f"{path}: no BibTeX entry could be read ({out[0][2]}); fix it, or export the "
                         "bibliography again")
    return out


def _is_duplicate(block) -> bool:
    """A block bibtexparser set aside for a repeated key or field, whose entry it still holds."""
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    return isinstance(block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock))


def _expand(value: str, strings: dict[str, str]) -> str:
    """`kt # "abc"`: @String macros and concatenation, which bibtexparser 2 leaves as written."""
    if "#" not in value and value.lower() not in strings:
        return value
    parts = re.split(r"\s+#\s+", value)
    return "".join(strings.get(p.strip().lower(), p.strip().strip('"')) for p in parts)


def extract_csl(text: str, source: str) -> Iterator[Citation]:
    items = json.loads(text)
    if isinstance(items, dict):
        items = items.get("items", [items])
    pos, line = 0, 1
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        key = str(item.get("id") or item.get("citation-key") or i + 1)
        found = text.find(json.dumps(key) if isinstance(item.get("id"), str) else key, pos)
        if found >= 0:
            line += text.count("\n", pos, found)  # counted once, in step: linear time
            pos = found
        fields = {"title": str(item.get("title") or ""), "url": str(item.get("URL") or ""),
                  "doi": str(item.get("DOI") or ""), "note": str(item.get("note") or "")}
        yield from entry_citations(source, line, key, fields, _csl_date(item.get("accessed")))


def _csl_date(value) -> date | None:
    """CSL dates: {"date-parts": [[2021, 1, 12]]}, {"raw": "2021-01-12"} or a string."""
    if isinstance(value, str):
        return parse_date(value)
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and len(parts[0]) == 3:
        try:
            return date(*(int(p) for p in parts[0]))
        except (TypeError, ValueError):
            return None
    return parse_date(str(value.get("raw", "")))
