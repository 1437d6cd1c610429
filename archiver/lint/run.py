"""Lint: extract and repair the citations of documents, before anything is fetched."""

from __future__ import annotations

import gc
import os
from array import array
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InputError
from ..extract import Document, extract, read_document, why_no_citations
from ..models import Citation, Repaired, is_notice
from .docindex import DocumentIndex, repeated
from .document import repair_document, repair_one
from .findings import SEVERITIES, at_least, finding

if TYPE_CHECKING:  # the spill (pickle, tempfile) loads when a LintStream is read: `check` does not
    from .spill import Spill

# A repair is applied by --diff (and used without a warning) from this confidence up.
CONFIDENT = 0.8


@dataclass
class LintedDocument:
    path: str
    document: Document | None
    repaired: list[Repaired] = field(default_factory=list)
    error: str | None = None  # the document could not be read


def lint_paths(paths: Iterable[str], *, base_url: str | None = None,
               fmt: str | None = None) -> Iterator[LintedDocument]:
    """Lint each document in turn; an unreadable one is reported and the others still processed."""
    for path in paths:
        try:  # a corrupt package is found while extracting: it is an unreadable document too
            doc = read_document(path, fmt)
            with _gc_paused():
                repaired = repair_document(list(extract(doc, base_url=base_url)))
            notices = list(doc.notices)
            if not repaired:
                notices.append((0, "no-citations", f"no citation found: {why_no_citations(doc)}"))
        except InputError as exc:
            yield LintedDocument(path, None, error=str(exc))
            continue
        yield LintedDocument(path, doc, [_notice(path, *n) for n in notices] + repaired)


@dataclass
class StreamedDocument:
    """A document of a LintStream: `repaired` reads its citations back, each finished with its
    document-level findings, as they are iterated (once)."""

    path: str
    format: str | None
    error: str | None  # the document could not be read
    repaired: Iterator[Repaired]


class LintStream:
    """Lint documents one at a time, holding one document's citations on disk, not in memory.

    Each document is read, extracted and repaired in a first pass that writes every repaired
    citation to a Spill and keeps a DocumentIndex (hashes); iterating its `repaired` reads them back
    with their duplicates, multiple-URL notes and candidates added, each released once it is
    written. The summary is counted as they go by: `summary()` after the last document. The output
    is the same as `lint_paths`' (the same DocumentIndex makes both)."""

    def __init__(self, paths: Iterable[str], *, base_url: str | None = None, fmt: str | None = None):
        self._paths, self._base_url, self._fmt = list(paths), base_url, fmt
        self.tally = Tally()
        self._urls = array("q")  # hash of every URL written, for the distinct count
        self._ranges: list[tuple[int, int]] = []  # each readable document's citations in the spill
        self._distinct: int | None = None

    def __iter__(self) -> Iterator[StreamedDocument]:
        from .spill import Spill

        with Spill() as spill:
            for path in self._paths:
                yield self._document(path, spill)
            self._distinct = self._count_urls(spill)

    @property
    def errors(self) -> list[str]:
        """One message per document that could not be read (the others were still linted)."""
        return list(self.tally.unreadable)

    def at_least(self, severity: str) -> bool:
        return summary_at_least(self.summary(), severity)

    def summary(self) -> dict:
        if self._distinct is None:
            raise RuntimeError("LintStream.summary() before every document was iterated")
        return self.tally.summary(self._distinct)

    def _document(self, path: str, spill: Spill) -> StreamedDocument:
        start = spill.mark()
        try:  # a corrupt package is found while extracting: it is an unreadable document too
            doc = read_document(path, self._fmt)
            index = DocumentIndex()
            with _gc_paused():
                for citation in extract(doc, base_url=self._base_url):
                    rep = repair_one(citation)
                    spill.append(rep, index.add(rep))
            end = spill.mark()
            notices = list(doc.notices)
            if end == start:
                notices.append((0, "no-citations", f"no citation found: {why_no_citations(doc)}"))
        except InputError as exc:
            self.tally.document(False, str(exc))
            return StreamedDocument(path, None, str(exc), iter(()))
        fmt = doc.format
        del doc  # its text is not needed any more: freed before the index grows
        index.seal(lambda: spill.keys(start, end))
        self.tally.document(True)
        self._ranges.append((start, end))
        return StreamedDocument(path, fmt, None, self._finished(path, notices, index, spill.read(start, end)))

    def _finished(self, path: str, notices: list[tuple[int, str, str]], index: DocumentIndex,
                  stored: Iterator[Repaired]) -> Iterator[Repaired]:
        for rep in [_notice(path, *n) for n in notices]:
            self.tally.add(rep)
            yield rep
        for rep in map(index.finish, stored):
            self.tally.add(rep)
            if rep.url:
                self._urls.append(hash(rep.url))
            yield rep

    def _count_urls(self, spill: Spill) -> int:
        """Distinct URLs, exactly: hashes that occur once are one URL each; the URLs behind a hash
        that repeats are read back and compared as strings."""
        hashes, self._urls = self._urls, array("q")
        multi = repeated(hashes)
        distinct = len(set(hashes))
        if not multi:
            return distinct
        same = {url for start, end in self._ranges for url, _ in spill.keys(start, end)
                if url and hash(url) in multi}
        return distinct - len(multi) + len(same)


def _notice(path: str, line: int, name: str, message: str) -> Repaired:
    """A finding about the document as a whole, carried like a citation without a URL, so that every
    output format shows it (never silent)."""
    return Repaired(Citation(path, line, None, ""), None, (finding(name, message),), span="")


@contextmanager
def _gc_paused():
    """Extraction allocates a few objects per citation and keeps them all: the cyclic collector
    would rescan the growing heap again and again, while finding nothing to free, so a long
    document's lint time would grow faster than its size. It runs again, on whatever is left, when the document is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def summary_at_least(summary: dict, severity: str) -> bool:
    """True when the summary counts any finding at or above `severity` ("error", "warning" or "info")."""
    return any(summary[s] for s in SEVERITIES if at_least(s, severity))


def worst_at_least(docs: Iterable[LintedDocument], threshold: str) -> bool:
    return any(at_least(f.severity, threshold) for d in docs for r in d.repaired for f in r.findings)


class Tally:
    """The lint summary, counted as citations go by (distinct URLs are counted by the caller)."""

    def __init__(self) -> None:
        self.documents = 0
        self.unreadable: list[str] = []
        self.citations = self.unrecovered = self.repaired = 0
        self.by_severity = {"error": 0, "warning": 0, "info": 0}
        self.by_name: dict[str, int] = {}

    def document(self, readable: bool, error: str | None = None) -> None:
        self.documents += readable
        if error:
            self.unreadable.append(error)

    def add(self, r: Repaired) -> None:
        self.citations += not is_notice(r.citation.raw, r.url, r.findings)  # a finding about the document (_notice)
        for f in r.findings:
            self.by_severity[f.severity] += 1
            self.by_name[f.name] = self.by_name.get(f.name, 0) + 1
        if r.url is None and r.citation.raw:
            self.unrecovered += 1
        elif r.url and r.url != r.citation.raw:
            self.repaired += 1

    def summary(self, urls: int) -> dict:
        return {
            "documents": self.documents,
            "unreadable": list(self.unreadable),
            "citations": self.citations,
            "urls": urls,
            "unrecovered": self.unrecovered,
            "repaired": self.repaired,
            **self.by_severity,
            "by_finding": dict(sorted(self.by_name.items())),
        }


def summarize(docs: list[LintedDocument]) -> dict:
    tally = Tally()
    for d in docs:
        tally.document(d.document is not None, d.error)
        for r in d.repaired:
            tally.add(r)
    return tally.summary(len({r.url for d in docs for r in d.repaired if r.url}))


def confident_repairs(repaired: list[Repaired], min_confidence: float = CONFIDENT) -> list[Repaired]:
    """The repairs sure enough to apply to the document (by `--diff` and `annotate`)."""
    return [rep for rep in repaired
            if rep.url and rep.confidence >= min_confidence and rep.span and rep.span != rep.url]


def fixed_text(doc: Document, repaired: list[Repaired], min_confidence: float = CONFIDENT) -> str:
    """The document with its confident repairs applied (what `lint --diff` shows)."""
    lines = doc.text.splitlines(keepends=True)
    for rep in confident_repairs(repaired, min_confidence):
        first = rep.citation.line - 1
        chunk = "".join(lines[first:first + 1 + rep.span.count("\n")])
        if rep.url and rep.span in chunk:
            new = chunk.replace(rep.span, rep.url, 1)
            lines[first:first + 1 + rep.span.count("\n")] = new.splitlines(keepends=True) or [""]
    return "".join(lines)


def display_path(path: str) -> str:
    """A path as a diff header shows it: relative to the current directory (`a/notes.md`, never
    `a//home/...`), as given when it cannot be (another drive)."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def unified_diff(doc: Document, repaired: list[Repaired]) -> str:
    return text_diff(doc, fixed_text(doc, repaired))


def text_diff(doc: Document, after: str) -> str:
    """The document's text against `after`, as a unified diff that `git apply` takes."""
    import difflib

    shown = display_path(doc.path)
    return "".join(difflib.unified_diff(doc.text.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{shown}", tofile=f"b/{shown}"))
