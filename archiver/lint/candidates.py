"""Candidates for a URL the document lost part of, inferred from the document's other URLs.

Note 25 of the reference report prints `kz/ru/news/aktivist-…`: its scheme and host were cut off.
Notes 20, 21 and 27 cite `https://kaztag.kz/ru/news/…`, so `https://kaztag.kz/ru/news/aktivist-…`
is offered (never used without a person's say-so).
"""

from __future__ import annotations

import bisect
from urllib.parse import urlsplit

from ..models import Repaired

__all__ = ["UrlIndex"]


class UrlIndex:
    """The document's URLs, indexed for candidate inference (built once, only when needed)."""

    DEPTH = 4  # leading path segments compared

    def __init__(self, urls: list[str]):
        self.sorted = sorted(set(urls))
        self.prefixes: dict[str, set[tuple[str, ...]]] = {}  # "https://host" -> leading segments
        for url in self.sorted:
            p = urlsplit(url)
            segs = tuple(s for s in p.path.split("/") if s)[: self.DEPTH]
            bucket = self.prefixes.setdefault(f"{p.scheme}://{p.netloc}", set())
            bucket.update(segs[:k] for k in range(1, len(segs) + 1))

    def candidates(self, rep: Repaired) -> list[str]:
        frag = rep.fragment or ""
        names = {f.name for f in rep.findings}
        if "truncated-url" in names and "missing-host" not in names:
            return self._completions(frag)
        return self._hosts_for(frag)

    def _completions(self, prefix: str) -> list[str]:
        """URLs of the document that a truncated URL may have been."""
        if not prefix:
            return []
        i = bisect.bisect_left(self.sorted, prefix)
        out: list[str] = []
        while i < len(self.sorted) and self.sorted[i].startswith(prefix) and len(out) < 5:
            if self.sorted[i] != prefix:
                out.append(self.sorted[i])
            i += 1
        return out

    def _hosts_for(self, frag: str) -> list[str]:
        """Hosts whose name ends the fragment's first label and whose paths share its leading
        segments: "kz/ru/news/x" + "https://kaztag.kz/ru/news/y" -> "https://kaztag.kz/ru/news/x"."""
        head, _, path = frag.partition("/")
        head = head.lower()
        segs = tuple(s for s in path.split("/") if s)[: self.DEPTH]
        if not head or not segs:
            return []
        scored: dict[str, int] = {}
        for base, prefixes in self.prefixes.items():
            host = (urlsplit(base).hostname or "").lower()
            if not (host == head or host.endswith(head) and ("." in head or host[-len(head) - 1] in ".-")):
                continue
            shared = next((k for k in range(len(segs), 0, -1) if segs[:k] in prefixes), 0)
            if shared:
                scored[base] = shared
        if not scored:
            return []
        best = max(scored.values())
        return [f"{base}/{path}" for base, score in sorted(scored.items()) if score == best]
