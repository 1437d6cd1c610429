"""A document's citations repaired: each on its own (its printed text, or the link target the markup
gives), then what needs the other citations: duplicates, and a cut host or a truncated URL inferred
from the other notes (docindex.py). The rules for one URL are in repair.py."""

from __future__ import annotations

import re
from dataclasses import replace

from ..extract.dates import Ambiguous
from ..models import Citation, Repaired
from ..urls.reserved import example_host
from ..urls.segment import DOI_RE, SPACE_CHARS
from .docindex import DocumentIndex
from .findings import finding
from .gates import hide_credentials
from .repair import UrlRepair, repair_url

__all__ = ["repair_citation", "repair_document", "repair_link", "repair_one"]


def repair_citation(citation: Citation) -> Repaired:
    """Repair one citation on its own (document-level findings come from repair_document)."""
    if citation.href is not None:
        return _to_repaired(citation, repair_link(citation.href, citation.raw))
    return _to_repaired(citation, repair_url(citation.raw))


_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def repair_link(href: str, printed: str = "") -> UrlRepair:
    """A link target the markup gives (`href`, a Markdown destination, a DOCX relationship, a PDF
    /URI). A relative one is never a host (`addons.html` is a file, not https://addons.html): it is
    reported and not checked. When the printed URL is damaged but the target intact, the target is
    used and a finding says so."""
    target = href.strip(SPACE_CHARS)
    if not _SCHEME_RE.match(target) and not target.startswith("//"):
        if DOI_RE.match(target):
            return repair_url(target)
        return UrlRepair(None, (finding("relative-link", f"{target!r} is relative and there is no base URL "
                                        "to resolve it against; not checked (give --base-url)"),), target, 1.0)
    result = repair_url("https:" + target if target.startswith("//") else target)
    if not printed or printed.strip() == target or result.url is None:
        return result
    shown = repair_url(printed)
    damage = sorted({f.name for f in shown.findings if f.code.startswith(("U1", "U2"))})
    if shown.url == result.url and not damage:
        return result
    why = (f"the printed URL has damage ({', '.join(damage)})" if shown.url in (None, result.url)
           else f"the printed URL reads {shown.url}")
    note = finding("link-target-used", f"{why}; the link target {result.url} is intact and used")
    return replace(result, findings=result.findings + (note,))


def _to_repaired(citation: Citation, result: UrlRepair) -> Repaired:
    return Repaired(citation, result.url, result.findings, result.candidates,
                    confidence=result.confidence, span=result.span, fragment=result.fragment)


def repair_document(citations: list[Citation]) -> list[Repaired]:
    """Repair every citation of one document, then add what needs the others: duplicates, and
    candidates for a cut host or a truncated URL inferred from the other citations."""
    repaired = [repair_one(c) for c in citations]
    index = DocumentIndex()
    keys = [index.add(rep) for rep in repaired]
    index.seal(lambda: keys)
    return [index.finish(rep) for rep in repaired]


def repair_one(c: Citation) -> Repaired:
    """A citation repaired on its own, or its no-url finding (the first pass of repair_document)."""
    if isinstance(c.accessed, Ambiguous):
        return _undated(c, c.accessed)
    if not c.raw:
        return _no_url(c)
    rep = _cut_at_line_end(c, repair_citation(c))
    rep = replace(rep, citation=hide_credentials(rep.citation))  # the password is kept nowhere (gates.py)
    reserved = example_host(rep.url or rep.span)
    return _example(rep, reserved) if reserved else rep


# A line that starts with a plain lowercase word, where a URL ending in "/" ended the line before:
# "https://www.iana.org/" / "assignments". Prose words that often follow a URL are not taken.
_NEXT_WORD = re.compile(r"[ \t]*\r?\n[ \t]*([a-z][a-z0-9_-]*[a-z0-9])(?=[\s.,;:)\]]|$)")
_PROSE = frozenset(["and", "or", "the", "for", "from", "to", "of", "in", "on", "at", "by", "with", "see", "as", "is",
                    "was", "are", "were", "which", "that", "where", "when", "accessed", "retrieved", "visited",
                    "viewed", "last", "available", "online", "via", "also"])


def _cut_at_line_end(c: Citation, rep: Repaired) -> Repaired:
    """A URL the typesetter wrapped before a plain word ("https://www.iana.org/" / "assignments")
    ends at the line end, leaving the site's home page or a folder, which would then be checked
    and found alive. Whether the word is the URL's rest or prose only the printed page can say: a
    finding with the joined URL as a candidate, never silence. A link target (PDF annotation,
    href) settles it and gets no finding."""
    folder = c.raw.endswith("/")
    if c.href is not None or rep.url is None or not c.note_text or not (folder or _MID_PATH.search(c.raw)):
        return rep
    pos = c.note_text.find(c.raw)
    after = (_NEXT_WORD if folder else _NEXT_PATH).match(c.note_text, pos + len(c.raw)) if pos >= 0 else None
    if after is None or after.group(1) in _PROSE:
        return rep
    return _cut_note(rep, after.group(1))


# A URL that ends at a line end inside a path segment ("…/sport/foot" / "ball/results", as xurl
# breaks anywhere): the next line's first word holds a "/" or is a file name, and is no "and/or".
_MID_PATH = re.compile(r"^https?://[^/\s]+/\S*[A-Za-z0-9]$")
_NEXT_PATH = re.compile(r"[ \t]*\r?\n[ \t]*((?!(?:and|he|his|s)/)[a-z0-9][\w.-]*/[\w./?=&%#-]*"
                        r"|[a-z0-9][\w-]*\.(?:s?html?|php|aspx?|pdf))(?=[\s,;:)\]]|\.(?:\s|$)|$)")


def _cut_note(rep: Repaired, word: str) -> Repaired:
    joined = (rep.url or "") + word
    note = finding("cut-at-line-end", f"the URL ends at a line end and the next line starts with {word!r}; "
                   f"if the typesetter wrapped it there the URL is {joined}: check the printed page")
    return replace(rep, findings=(*rep.findings, note), candidates=(*rep.candidates, joined))


def _undated(c: Citation, when: Ambiguous) -> Repaired:
    """An access date whose day/month order the document does not settle is dropped and said."""
    rep = repair_one(replace(c, accessed=None))
    note = finding("ambiguous-access-date", f"access date {when.printed!r} reads as {when:%d %B %Y} (day first) "
                   f"or {when.other:%d %B %Y} (month first), and no other date in the document decides; "
                   "not used: write it as YYYY-MM-DD")
    return replace(rep, findings=(*rep.findings, note))


def _example(rep: Repaired, host: str) -> Repaired:
    """A reserved name or documentation address is an example, not a source: said, never checked.
    A reserved top-level name (.example, .test, .invalid) has no public suffix, which is no error here."""
    note = finding("example-address", f"{host} is reserved for examples and documentation (RFC 2606, 5737, "
                   "3849); not checked or archived")
    kept = tuple(f for f in rep.findings if f.name != "impossible-host")
    return replace(rep, citation=replace(rep.citation, role="example"), findings=(*kept, note))


def _no_url(c: Citation) -> Repaired:
    return Repaired(c, None, (finding("no-url", "no URL in this note"),), (), confidence=1.0, span="")
