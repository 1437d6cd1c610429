"""One capture in its original bytes, judged with the verdicts of a live page (check/classify.py).

Why the raw form: a replay page carries the archive's toolbar and rewritten links, so its text is not
the page's. The Wayback Machine's `id_` mode (and pywb's) serves the bytes as captured; other Memento
archives are read as they serve their mementos. A reply with `Memento-Datetime` is a capture (an
archived 404 or redirect included); one without is the archive speaking for itself (its error, or a
redirect to another capture), never held against the capture (wayback-api.md §5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from ..check.classify import classify_response, client_redirect, decode_body, extract_text, extract_title, similarity
from ..wayback.replies import fetch

__all__ = ["Candidate", "Judged", "RAW_LIMIT", "DIFFERS_BELOW", "fetch_and_judge", "judge", "raw_form"]

RAW_LIMIT = 2 * 1024 * 1024  # bytes read of one capture: a page's text is in its first 2 MB
DIFFERS_BELOW = 0.4  # similarity (word 3-shingles, classify.similarity) under which a copy differs
_WAYBACK_FORM = re.compile(r"^(?P<prefix>https?://[^?#]*?/)(?P<ts>\d{14})(?:[a-z]{2}_)?/(?P<url>.+)$")


@dataclass(frozen=True)
class Candidate:
    """A capture an archive lists for a URL."""

    archive: str  # "wayback", or the Memento archive's name
    timestamp: str  # 14 digits, UTC
    url: str  # the memento as a reader opens it
    status: str | None = None  # the HTTP status the archive recorded, when its index says

    @property
    def day(self) -> str:
        return f"{self.timestamp[:4]}-{self.timestamp[4:6]}-{self.timestamp[6:8]}"


@dataclass(frozen=True)
class Judged:
    """A candidate as capture QA saw it. `status` is a check status (docs/statuses.md) or
    "redirect-stub"; None when the archive could not serve it (`error`), which says nothing of the capture."""

    candidate: Candidate
    status: str | None
    error: str | None = None
    text: str | None = None
    title: str | None = None
    similarity: float | None = None  # to archiver's snapshot from the citation's time

    @property
    def good(self) -> bool:
        return self.status == "ok"

    @property
    def verdict(self) -> str | None:
        """verified | differs | bad; None when it could not be judged."""
        if self.status is None:
            return None
        if not self.good:
            return "bad"
        return "differs" if self.similarity is not None and self.similarity < DIFFERS_BELOW else "verified"

    def words(self) -> str:
        c = self.candidate
        if self.status is None:
            return f"{c.archive} {c.day}: not judged ({self.error})"
        sim = f", {self.similarity:.0%} like archiver's snapshot" if self.similarity is not None else ""
        return f"{c.archive} {c.day}: {self.status}{sim}"


def raw_form(url: str, mode: str = "id_") -> str:
    """The original-bytes address of a Wayback-style memento (<prefix>/<14 digits>id_/<url>), or its
    address in another replay `mode` (`if_`: without the archive's frame); any other memento address
    as it is."""
    m = _WAYBACK_FORM.match(url)
    return f"{m['prefix']}{m['ts']}{mode}/{m['url']}" if m else url


def judge(candidate: Candidate, original: str, code: int, headers: Mapping[str, str], body: bytes,
          then_text: str | None) -> Judged:
    """The verdict on one reply to the raw form of `candidate` (a capture of `original`)."""
    hdrs = {k.lower(): v for k, v in headers.items()}
    memento = "memento-datetime" in hdrs
    if 300 <= code < 400:
        if memento:
            return Judged(candidate, "redirect-stub", error=f"captured a redirect to {hdrs.get('location', '?')}")
        return Judged(candidate, None, error=f"the archive redirected to another capture (HTTP {code})")
    if code >= 400 and not memento:
        return Judged(candidate, None, error=f"the archive answered HTTP {code}")
    html, _ = decode_body(body, hdrs.get("content-type"), limit=RAW_LIMIT)
    html = html or ""
    text = extract_text(html) if html else ""
    title = extract_title(html) if html else None
    status, _ = classify_response(code, hdrs, url=original, html=html, title=title, text=text)
    if status == "ok" and html and client_redirect(original, html, text) and len(text) < 200:
        status = "redirect-stub"  # a meta refresh or script redirect and little else
    sim = similarity(text, then_text, limit=None) if status == "ok" and then_text and text else None
    return Judged(candidate, status, text=text, title=title, similarity=sim)


async def fetch_and_judge(http: httpx.AsyncClient, candidate: Candidate, original: str,
                          then_text: str | None, user_agent: str) -> tuple[Judged, int | None]:
    """(the verdict, the HTTP status or None for a transport error: the outage guard's input)."""
    # bounded as every archive reply is (wayback/replies.py): decoded a step at a time, one deadline
    reply = await fetch(http, "GET", raw_form(candidate.url), cap=RAW_LIMIT, truncate=True,
                        headers={"User-Agent": user_agent}, follow_redirects=False)
    if isinstance(reply, str):
        return Judged(candidate, None, error=reply), None
    return judge(candidate, original, reply.status, reply.headers, reply.body, then_text), reply.status
