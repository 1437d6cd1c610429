"""What one citation's findings need from the rest of its document, gathered in a few bytes a citation.

A URL cited again is a duplicate of the first note that cited it; a note citing several URLs says so
on each; a URL whose host was cut off (note 25's `kz/ru/news/…`) gets candidates from the document's
other URLs, later ones included. So lint cannot finish a citation when it is repaired: it makes a
first pass over the document's repaired citations (`add`), then a second (`finish`) in document order.

Why hashes: keeping every URL and note key of a 100,000-note document as strings costs tens of MB.
The first pass keeps one 64-bit hash per key instead. A key whose hash occurs once occurs once (it can
be neither a duplicate nor one of several URLs of its note); only keys whose hash repeats are then
compared as strings, so the outcome is exact, never a guess from a hash. Candidates need the URLs
themselves, but only those that can answer a cut URL: the replay between the passes (`seal`) keeps just
the URLs whose host ends like a cut host or that start like a truncated URL.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from ..models import Repaired
from .candidates import UrlIndex
from .findings import finding

__all__ = ["DocumentIndex", "Keys", "dup_key", "repeated"]

# What the replay between the passes needs of a citation: its URL, and its note's key when it has a
# URL text (`add` returns them; lint keeps them on disk beside the citations).
Keys = tuple[str | None, tuple | None]


def dup_key(url: str) -> str:
    """The URL as compared for duplicates: scheme and host case-folded, fragment dropped."""
    url = url.split("#", 1)[0]
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


def repeated(hashes: array) -> set[int]:
    """The hashes that occur more than once."""
    ordered = sorted(hashes)
    return {h for h, nxt in zip(ordered, ordered[1:]) if h == nxt}


def _note_key(rep: Repaired) -> tuple:
    c = rep.citation
    return (c.source, c.line, c.note)


class _Answers:
    """Can a URL be a candidate: does it start like a truncated URL, or does its host end like a
    cut host? Most URLs contain no cut host's name at all, so that is tested first."""

    def __init__(self, heads: set[str], prefixes: set[str]):
        self.heads = tuple(sorted(heads))
        self.by_length: dict[int, set[str]] = {}  # truncated URLs by length: one slice and lookup each
        for p in prefixes:
            self.by_length.setdefault(len(p), set()).add(p)

    def __call__(self, url: str) -> bool:
        if any(url[:n] in same for n, same in self.by_length.items()):
            return True
        netloc = url.partition("//")[2].partition("/")[0].lower()  # holds the host, if not only it
        return any(h in netloc for h in self.heads) and (urlsplit(url).hostname or "").lower().endswith(self.heads)


class DocumentIndex:
    """First pass: `add` each repaired citation. Between the passes: `seal`. Second pass, in the same
    order: `finish` each one, which returns it with its document-level findings and candidates."""

    def __init__(self) -> None:
        self._dups: array | None = array("q")  # hash of each URL's dup_key
        self._notes: array | None = array("q")  # hash of each (source, line, note) that has a URL
        self._heads: set[str] = set()  # what is left of the cut hosts' names ("kz")
        self._prefixes: set[str] = set()  # truncated URLs
        self._cut = False  # some citation lost its host or its tail: candidates are needed
        self._dup_multi: set[int] = set()
        self._note_counts: dict[tuple, int] = {}
        self._note_multi: set[int] = set()
        self._first_note: dict[str, str] = {}
        self._index: UrlIndex | None = None

    def add(self, rep: Repaired) -> Keys:
        """Take one citation into account; returns its keys, for `seal`'s replay."""
        assert self._dups is not None and self._notes is not None, "add after seal"
        note = _note_key(rep) if rep.citation.raw else None
        if note is not None:
            self._notes.append(hash(note))
        if rep.url is None and rep.fragment:
            self._cut = True
            self._query(rep)
        elif rep.url:
            self._dups.append(hash(dup_key(rep.url)))
        return rep.url, note

    def seal(self, replay: Callable[[], Iterable[Keys]]) -> None:
        """Find the keys whose hashes repeat, then, only when needed, read the keys `add` returned
        again (`replay()`, in any order) to count those exactly and to index the URLs candidates need."""
        assert self._dups is not None and self._notes is not None, "sealed twice"
        self._dup_multi, self._note_multi = repeated(self._dups), repeated(self._notes)
        self._dups = self._notes = None
        if not (self._note_multi or self._cut):
            return
        urls: list[str] = []
        counts = self._note_counts
        answers = _Answers(self._heads, self._prefixes)
        for url, note in replay():
            if note is not None and self._note_multi and hash(note) in self._note_multi:
                counts[note] = counts.get(note, 0) + 1
            if url and self._cut and answers(url):
                urls.append(url)
        if self._cut:
            self._index = UrlIndex(urls)

    def _query(self, rep: Repaired) -> None:
        """Note what a cut citation will ask the index (see UrlIndex.candidates)."""
        frag = rep.fragment or ""
        names = {f.name for f in rep.findings}
        if "truncated-url" in names and "missing-host" not in names:
            if frag:
                self._prefixes.add(frag)
        else:
            head = frag.partition("/")[0].lower()
            if head:
                self._heads.add(head)

    def finish(self, rep: Repaired) -> Repaired:
        c = rep.citation
        if c.note is not None and self._note_multi and hash(_note_key(rep)) in self._note_multi:
            n = self._note_counts.get(_note_key(rep), 0)
            if n > 1:
                rep = replace(rep, findings=rep.findings + (finding(
                    "multiple-urls-in-note", f"note {c.note} cites {n} URLs; this is #{c.index + 1}"),))
        if rep.url is None and rep.fragment:
            assert self._index is not None, "finish before seal"
            return replace(rep, candidates=tuple(self._index.candidates(rep)))
        if rep.url and self._dup_multi:
            key = dup_key(rep.url)
            if hash(key) in self._dup_multi:
                earlier = self._first_note.get(key)
                if earlier is not None and earlier != c.note:
                    return replace(rep, findings=rep.findings + (finding(
                        "duplicate-url", f"same URL as note {earlier}" if earlier else "same URL as earlier"),))
                self._first_note.setdefault(key, c.note or "")
        return rep
