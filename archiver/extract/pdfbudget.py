"""How much of a PDF archiver reads: pages, objects and content-stream operators, per document.

Why: pypdf's cost grows with what a file declares, not with its size. A 16 MB file of 100,000 pages
took 70 s and 2.4 GB; 25 KB holding 500,000 drawing operators on one page took 80 s (text extraction
grows faster than linearly in a page's operators); a page tree that names one page 100,000 times
took pypdf 52 s just to list. So the page tree is walked here first, under a budget, and cut at
`MAX_PAGES` before pypdf lists it; each page's content is measured (decoded, its tokens counted at C
speed) before its text is extracted. A page over `PAGE_TOKENS` keeps its link annotations but not
its text; after `DOCUMENT_TOKENS`, or `MAX_PAGES` pages, the rest is not read. Each cut is a U404
finding saying which pages, never a silent partial result. More than `MAX_OBJECTS` objects is a
document archiver does not read at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

__all__ = ["MAX_PAGES", "PAGE_TOKENS", "DOCUMENT_TOKENS", "MAX_OBJECTS", "Plan", "pages", "plan"]

MAX_PAGES = 2_000
PAGE_TOKENS = 100_000  # about 3 s of pypdf's text extraction for one page
DOCUMENT_TOKENS = 2_000_000
MAX_OBJECTS = 1_000_000
_MAX_DEPTH = 64  # page tree levels; a real tree has a handful


@dataclass
class Plan:
    """Which pages to read the text of, and what was left out (for the U404 finding)."""

    pages: int = 0  # pages in the tree (counted up to MAX_PAGES + 1)
    readable: list[bool] = field(default_factory=list)  # per page kept: read its text
    cut: str | None = None  # why reading stopped before the last page

    def notices(self, path: str) -> list[str]:
        out = []
        heavy = [i + 1 for i, ok in enumerate(self.readable) if not ok]
        if heavy:
            shown = ", ".join(map(str, heavy[:10])) + (" …" if len(heavy) > 10 else "")
            out.append(f"the text of page(s) {shown} was not read: over {PAGE_TOKENS:,} drawing and text "
                       "operators on one page; their link annotations were")
        if self.cut:
            out.append(self.cut)
        return out


def _objects(reader) -> int:
    return sum(len(v) for v in reader.xref.values()) + len(getattr(reader, "xref_objStm", {}) or {})


def _dict(obj):
    obj = obj.get_object() if obj is not None else None
    return obj if hasattr(obj, "get") and hasattr(obj, "keys") else None


def _kids(node) -> list | None:
    """A /Pages node's kids, or None for a page (a node without /Kids, or typed /Page)."""
    kids = node.get("/Kids") if node.get("/Type") != "/Page" else None
    kids = kids.get_object() if kids is not None else None
    return list(kids) if isinstance(kids, list) else None


def _cut_tree(reader, source: str) -> int:
    """Count the page tree's leaves in order, cutting the /Kids arrays after the MAX_PAGES-th so
    pypdf lists no more (the reader's parsed objects are ours to change). Returns MAX_PAGES + 1
    when it cut. Every node visited costs one unit of `work`, so a tree of empty or cyclic nodes
    ends too."""
    from pypdf.generic import ArrayObject, NameObject

    root = _dict(reader.trailer["/Root"].get_object().get("/Pages"))
    rootkids = _kids(root) if root is not None else None
    if rootkids is None:
        return 0
    stack, leaves, work = [[root, rootkids, 0]], 0, 0
    while stack:
        frame = stack[-1]
        node, kids, i = frame
        if i >= len(kids):
            stack.pop()
            continue
        if leaves >= MAX_PAGES:  # cut here and in every ancestor, after the kid being read
            for n, k, j in stack:
                n[NameObject("/Kids")] = ArrayObject(k[:j])
            return MAX_PAGES + 1
        work += 1
        if work > 4 * MAX_PAGES + 100_000:
            raise InputError(f"{source}: the PDF's page tree is too large or loops; print it to a new PDF")
        frame[2] += 1
        kid = _dict(kids[i])
        sub = _kids(kid) if kid is not None else None
        if kid is not None and sub is None:
            leaves += 1
        elif sub is not None and len(stack) < _MAX_DEPTH and all(kid is not f[0] for f in stack):
            stack.append([kid, sub, 0])
    return leaves


def _tokens(page) -> int:
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    return data.count(b" ") + data.count(b"\n") + data.count(b"\r") + data.count(b"\t")


def plan(reader, source: str) -> Plan:
    """Measure a PDF before its text is read (InputError when it has too many objects to read)."""
    objects = _objects(reader)
    if objects > MAX_OBJECTS:
        raise InputError(f"{source}: the PDF has {objects:,} objects, more than archiver reads "
                         f"({MAX_OBJECTS:,}); split it or print it to a new PDF")
    out = Plan(pages=_cut_tree(reader, source))
    spent = 0
    for index, page in enumerate(reader.pages):
        tokens = _tokens(page)
        if spent + min(tokens, PAGE_TOKENS) > DOCUMENT_TOKENS:
            out.cut = (f"pages {index + 1} and after were not read: the document has more than "
                       f"{DOCUMENT_TOKENS:,} drawing and text operators")
            return out
        out.readable.append(tokens <= PAGE_TOKENS)
        spent += tokens if tokens <= PAGE_TOKENS else 0
    if out.pages > MAX_PAGES:
        out.cut = f"only the first {MAX_PAGES:,} pages were read: the PDF has more"
    return out


def pages(reader, budget: Plan) -> Iterator[tuple[Any, bool]]:
    """(page, whether to read its text) for each page the plan keeps."""
    return zip(reader.pages, budget.readable, strict=False)
