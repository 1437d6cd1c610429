"""Bibliographies: BibTeX (through bibtexparser) and CSL-JSON (Zotero's export).

An entry is a note: its key (BibTeX) or id (CSL-JSON) stands in for the note number, its title is
the context. URLs come from `url`, `howpublished = {\\url{…}}`, `doi` (as https://doi.org/…) and
URLs printed in `note`; the access date from `urldate` / `accessed` / urlbst's `lastchecked` (or
bibtexconv's `url.checked`, when it fetched the URL to record its size and digest), else
"Accessed …" in `note`.
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
from typing import Any

from ..errors import InputError
from ..models import Citation
from ..urls.segment import DOI_RE
from .common import note_citations, parse_accessed, parse_date
from .history import iso_day, with_added

# LaTeX that URLs and notes carry in .bib files, undone in this order: math-mode tildes ($\sim$,
# $\thicksim$, $\tilde{}$: what authors type to get a printed "~"), \textasciitilde, \~{}, \char`\~,
# \string~, then \_ \% \& \# \$, \slash, \url{…} and \href{…}{…}, and last the braces left over.
_LATEX = [(re.compile(r"\$\s*\\(?:sim|thicksim|tilde\{\s*\}|widetilde\{\s*\})\s*\$|\\textasciitilde(?:\{\}|\s)?|"
                      r"\\~(?:\{\})?|\{?\\char`?\\?~\}?|\{?\\char\s?126\}?|\\string~|\\textasciitilde\b"), "~"),
          (re.compile(r"\\(?:textunderscore|_)\{?\}?"), "_"), (re.compile(r"\\([%&#$])"), r"\1"),
          (re.compile(r"\\slash\b\s?(?:\{\})?"), "/"),
          (re.compile(r"\\url\{([^{}]*)\}"), r" \1 "), (re.compile(r"\\href\{([^{}]*)\}\{[^{}]*\}"), r" \1 "),
          (re.compile(r"[{}]"), "")]
# biblatex's eprinttype (and arXiv's own BibTeX, archivePrefix) -> the URL an eprint id resolves at
EPRINTS = {"arxiv": "https://arxiv.org/abs/{}", "hdl": "https://hdl.handle.net/{}",
           "handle": "https://hdl.handle.net/{}", "jstor": "https://www.jstor.org/stable/{}",
           "pubmed": "https://pubmed.ncbi.nlm.nih.gov/{}/", "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
           "pmcid": "https://www.ncbi.nlm.nih.gov/pmc/articles/{}/", "googlebooks": "https://books.google.com/books?id={}",
           "urn": "https://nbn-resolving.org/{}", "ssrn": "https://ssrn.com/abstract={}"}
_NOT_TEXT = frozenset(["id", "type", "language", "citation-key", "accessed", "issued", "urldate", "doi",
                       "isbn", "issn", "pmid", "pmcid", "eprint", "eprinttype", "archiveprefix", "key"])


def unlatex(value: str) -> str:
    for rx, repl in _LATEX:
        value = rx.sub(repl, value)
    return value


def entry_citations(source: str, line: int, key: str, fields: dict[str, str],
                    accessed: date | None, *, any_field: bool = False) -> Iterator[Citation]:
    """The citations of one entry: its URLs in field order (`url`, `howpublished`, `note`, then any
    other field, then the DOI and eprint), each with the entry's access date and its field."""
    title = fields.get("title") or None
    note_text = " ".join(v for k, v in fields.items() if k in ("url", "howpublished", "note"))
    accessed = accessed or parse_accessed(fields.get("note", ""), ambiguous=True)
    seen: set[str] = set()
    found: list[tuple[str, str, str | None]] = []  # (field, raw, href)
    for name in _field_order(fields, any_field):
        value = fields[name]
        spans = [c.raw for c in note_citations(source, line, key, value, context=title, empty_ok=False,
                                               allow_fragment=name in ("url", "howpublished", "note"))]
        if not spans and name == "url" and len(value.split()) == 1:
            spans = [value.strip()]  # url = {hub.docker.com}: repair says it lacks a scheme
        found += [(name, raw, None) for raw in spans]
    found += [(name, url, url) for name, url in _resolved(fields)]
    index = 0
    for name, raw, href in found:
        doi = DOI_RE.match(raw.strip())
        one = doi.group(1).lower() if doi else raw  # url = {http://dx.doi.org/10.1/x} beside doi = {10.1/x}
        if one not in seen:  # a URL printed in two fields is one citation, from the first
            seen.add(one)
            yield Citation(source, line, key, raw, title, accessed, index, note_text, href=href, field=name)
            index += 1


def _field_order(fields: dict[str, str], any_field: bool) -> list[str]:
    """`url`, `howpublished`, `note`, then (CSL-JSON) any other text field that may hold a URL."""
    first = [k for k in ("url", "howpublished", "note") if fields.get(k)]
    if not any_field:
        return first
    return first + [k for k, v in fields.items() if k not in first and _root(k) not in _NOT_TEXT
                    and v and ("/" in v or "doi" in v.lower() or "www" in v.lower())]


def _root(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0].lower()


def _resolved(fields: dict[str, str]) -> Iterator[tuple[str, str]]:
    """The DOI as https://doi.org/…, a biblatex eprint through its resolver."""
    lower = {k.lower(): v for k, v in fields.items()}
    doi = lower.get("doi", "").strip()
    printed = DOI_RE.match(doi)
    doi = printed.group(1) if printed else doi
    if doi:
        yield next(k for k in fields if k.lower() == "doi"), "https://doi.org/" + doi
    eprint = lower.get("eprint", "").strip()
    kind = (lower.get("eprinttype") or lower.get("archiveprefix") or "").strip().lower()
    if eprint and re.match(r"(?i)^https?://", eprint):
        yield "eprint", eprint
    elif eprint and kind in EPRINTS:
        yield "eprint", EPRINTS[kind].format(eprint)


@functools.lru_cache(maxsize=1)  # annotate reads the whole file's entries
def _library(text: str):
    import logging

    import bibtexparser

    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # the library logs; archiver reports
    return bibtexparser.parse_string(text)


PIECE = 1024 * 1024  # characters parsed at a time: a bibliography of any size takes this much at once
_ENTRY_START = re.compile(r"(?m)^[ \t]*@\s*\w+\s*[{(]")


def _pieces(text: str) -> Iterator[tuple[int, Any]]:
    """(lines before it, bibtexparser's library) for each piece of about PIECE characters, cut
    where an entry starts: 1,000,000 entries took 1.39 GB parsed at once. A file under PIECE is
    one piece, read exactly as before."""
    start, line = 0, 0
    while start < len(text):
        cut = _ENTRY_START.search(text, start + PIECE) if len(text) - start > PIECE else None
        end = cut.start() if cut else len(text)
        piece = text[start:end]
        yield line, _library.__wrapped__(piece)
        line += piece.count("\n")
        start = end


def extract_bibtex(text: str, source: str, notices: list[tuple[int, str, str]]) -> Iterator[Citation]:
    """The entries' citations, a piece at a time; each entry bibtexparser could not read goes into
    `notices` (U403) as it is met, and a file in which none could be read is an InputError."""
    strings: dict[str, str] = {}  # @String macros, carried from piece to piece
    read, first = False, None
    for offset, library in _pieces(text):
        strings.update({s.key.lower(): unlatex(str(s.value)).strip('"') for s in library.strings})
        failed = _failures(library, offset)
        first = first or (failed[0][2] if failed else None)
        read = read or bool(library.entries) or any(_is_duplicate(b) for b in library.failed_blocks)
        recovered = [b.ignore_error_block for b in library.failed_blocks if _is_duplicate(b)]
        for entry in sorted([*library.entries, *recovered], key=lambda e: e.start_line or 0):
            fields = {k.lower(): unlatex(_expand(str(f.value), strings)) for k, f in entry.fields_dict.items()}
            when = (parse_date(fields.get("urldate", "")) or parse_date(fields.get("accessed", ""))
                    or parse_date(fields.get("lastchecked", "")) or parse_date(fields.get("url.checked", "")[:10]))
            added = next((f for f in _ADDED if iso_day(fields.get(f))), "dateadded")
            yield from with_added(entry_citations(source, offset + (entry.start_line or 0) + 1, entry.key, fields,
                                                  when), iso_day(fields.get(added)), f"BibTeX {added}")
        notices += failed
    if first and not read:
        raise InputError(f"{source}: no BibTeX entry could be read ({first}); fix it, or export the "
                         "bibliography again")


# When the entry was added to the library: Zotero through Better BibTeX (dateadded), BibDesk
# (date-added), JabRef (creationdate). Never an access date; see extract/history.py.
_ADDED = ("dateadded", "date-added", "creationdate")

_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^\s,{}()=]+)\s*,")


def _failures(library, offset: int) -> list[tuple[int, str, str]]:
    """A U403 notice per entry bibtexparser could not read (or read only in part)."""
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock

    out = []
    for block in library.failed_blocks:
        line = offset + (block.start_line or 0) + 1
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


MAX_DEPTH = 64  # CSL-JSON nests five levels at most; a deeper file is not a bibliography


def load_json(text: str, source: str):
    """The CSL-JSON value, or InputError naming the file: invalid, or nested deeper than MAX_DEPTH
    (a deep enough file made json raise RecursionError, a traceback that lost the run's other
    documents)."""
    deep = f"{source}: not CSL-JSON: values nested more than {MAX_DEPTH} levels deep"
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source}: not valid CSL-JSON ({exc}); export it from Zotero again") from None
    except RecursionError:
        raise InputError(deep) from None
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(deep)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def extract_csl(text: str, source: str) -> Iterator[Citation]:
    items = load_json(text, source)
    if isinstance(items, dict):
        items = items.get("items", [items])
    pos, line = 0, 1
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        ident = _get(item, "id")
        key = str(ident or _get(item, "citation-key") or i + 1)
        found = text.find(json.dumps(key) if isinstance(ident, str) else key, pos)
        if found >= 0:
            line += text.count("\n", pos, found)  # counted once, in step: linear time
            pos = found
        added = _get(item, "dateAdded") or _get(item, "date-added")
        yield from with_added(entry_citations(source, line, key, _csl_fields(item), _csl_date(_get(item, "accessed")),
                                              any_field=True), iso_day(added) or _csl_date(added), "CSL-JSON dateAdded")


def _get(item: dict, name: str):
    """A CSL variable, whatever the case of its key (`URL`, `url`, `Url`)."""
    if name in item:
        return item[name]
    return next((v for k, v in item.items() if str(k).lower() == name.lower()), None)


def _csl_fields(item: dict) -> dict[str, str]:
    """The entry's text fields under their own names, the standard ones found case-insensitively;
    strings inside lists and objects (an author's `literal`) are read too, named by their path."""
    fields: dict[str, str] = {}
    for name in ("title", "URL", "DOI", "note"):
        value = _get(item, name)
        if isinstance(value, str | int | float) and str(value):
            fields[{"URL": "url", "DOI": "doi"}.get(name, name)] = str(value)
    taken = {"title", "url", "doi", "note"}
    for k, v in item.items():
        if str(k).lower() not in taken:
            for path, text in _strings(str(k), v):
                fields[path] = text
    return fields


def _strings(path: str, value, depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list) and depth < 4:
        for i, v in enumerate(value):
            yield from _strings(f"{path}[{i}]", v, depth + 1)
    elif isinstance(value, dict) and depth < 4:
        for k, v in value.items():
            yield from _strings(f"{path}.{k}", v, depth + 1)


def _csl_date(value) -> date | None:
    """CSL dates: {"date-parts": [[2021, 1, 12]]}, {"raw": "2021-01-12"}, {"literal": "January 12,
    2021"} or a string. A date without its day ([[2021, 1]]) is no day of access: none."""
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
    return parse_date(str(value.get("raw") or value.get("literal") or ""))
