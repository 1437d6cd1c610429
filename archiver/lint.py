"""Lint: extract and repair the citations of documents, before anything is fetched."""

from __future__ import annotations

import difflib
import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import InputError
from .extract import Document, extract, read_document, why_no_citations
from .findings import at_least, finding
from .models import Citation, Repaired
from .repair import repair_document

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


def _notice(path: str, line: int, name: str, message: str) -> Repaired:
    """A finding about the document as a whole, carried like a citation without a URL, so that every
    output format shows it (never silent)."""
    return Repaired(Citation(path, line, None, ""), None, (finding(name, message),), span="")


@contextmanager
def _gc_paused():
    """Extraction allocates a few objects per citation and keeps them all: the cyclic collector
    would rescan the growing heap again and again (measured: 1.4-1.8x slower on 20,000 notes)
    while finding nothing to free. It runs again, on whatever is left, when the document is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def worst_at_least(docs: Iterable[LintedDocument], threshold: str) -> bool:
    return any(at_least(f.severity, threshold) for d in docs for r in d.repaired for f in r.findings)


def summarize(docs: list[LintedDocument]) -> dict:
    by_severity = {"error": 0, "warning": 0, "info": 0}
    by_name: dict[str, int] = {}
    cits = [r for d in docs for r in d.repaired]
    for r in cits:
        for f in r.findings:
            by_severity[f.severity] += 1
            by_name[f.name] = by_name.get(f.name, 0) + 1
    return {
        "documents": sum(1 for d in docs if d.document),
        "unreadable": [d.error for d in docs if d.error],
        "citations": len(cits),
        "urls": len({r.url for r in cits if r.url}),
        "unrecovered": sum(1 for r in cits if r.url is None and r.citation.raw),
        "repaired": sum(1 for r in cits if r.url and r.url != r.citation.raw),
        **by_severity,
        "by_finding": dict(sorted(by_name.items())),
    }


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
    after = fixed_text(doc, repaired)
    shown = display_path(doc.path)
    return "".join(difflib.unified_diff(doc.text.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{shown}", tofile=f"b/{shown}"))
