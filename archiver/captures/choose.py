"""Which capture to cite: the closest good one to the access date, before it first, then after it
(as InternetArchiveBot orders them), judged one at a time until one is good.

Captures the archive recorded with status 200 (or whose status it does not say) come first, then
other 2xx/3xx ones; 4xx/5xx captures are never candidates. At most `tries` are fetched for a URL,
so a URL with a hundred soft-404 captures costs a handful of requests, not a hundred.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from .raw import Candidate, Judged

__all__ = ["Choice", "choose", "ordered"]


@dataclass(frozen=True)
class Choice:
    """The outcome for one URL in one archive: the capture chosen (None: no good one among those
    judged), and what every judged capture was."""

    chosen: Judged | None
    judged: tuple[Judged, ...]

    @property
    def skipped(self) -> tuple[Judged, ...]:
        return tuple(j for j in self.judged if j is not self.chosen and j.status is not None)

    def words(self, basis: str | None) -> str:
        """"capture verified (wayback 2019-03-01, closest good capture to the access date); bad captures
        skipped: wayback 2019-05-01: soft-404, ..."; `basis` None when the capture was not chosen by date."""
        parts = []
        if self.chosen is not None:
            v = self.chosen.verdict
            head = "capture verified" if v == "verified" else "capture differs from what was cited"
            why = [f"closest good capture to the {basis}"] if basis else []
            if self.chosen.similarity is not None:
                why.append(f"{self.chosen.similarity:.0%} like archiver's snapshot")
            parts.append(f"{head} ({', '.join([f'{self.chosen.candidate.archive} {self.chosen.candidate.day}', *why])})")
        elif any(j.status is None for j in self.judged) and not self.skipped:
            parts.append("capture not verified: " + "; ".join(j.words() for j in self.judged))
        else:
            parts.append("no good capture")
        if self.skipped:
            parts.append("bad captures skipped: " + "; ".join(j.words() for j in self.skipped))
        return "; ".join(parts)


def _usable(status: str | None) -> bool:
    return status in (None, "-") or status[:1] in ("2", "3")


def ordered(candidates: Iterable[Candidate], ref: str) -> list[Candidate]:
    """`candidates` in the order they are tried against the 14-digit reference time `ref`."""
    out: list[Candidate] = []
    cands = list(dict.fromkeys(candidates))
    for tier in ([c for c in cands if c.status in (None, "200")],
                 [c for c in cands if c.status not in (None, "200") and _usable(c.status)]):
        out += sorted((c for c in tier if c.timestamp <= ref), key=lambda c: c.timestamp, reverse=True)
        out += sorted((c for c in tier if c.timestamp > ref), key=lambda c: c.timestamp)
    return out


async def choose(candidates: list[Candidate], ref: str, judge: Callable[[Candidate], Awaitable[Judged | None]],
                 tries: int) -> Choice:
    """Judge `candidates` in order until one is good, at most `tries` of them; `judge` returns None
    when it must stop (the archive's outage guard opened)."""
    judged: list[Judged] = []
    for cand in ordered(candidates, ref)[:max(1, tries)]:
        j = await judge(cand)
        if j is None:
            break
        judged.append(j)
        if j.good:
            return Choice(j, tuple(judged))
    return Choice(None, tuple(judged))
