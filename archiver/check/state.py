"""Dead only when confirmed: the life of a link across checks.

A link that fails once is `failing` (editors before publication see that at once). It becomes
`dead` only after N failed checks spaced at least T apart (defaults 3 and 24 h, as
InternetArchiveBot does), so one bad night on the server's side never kills a citation. A
success resets the count; a dead link that answers again is `revived`. An answer that cannot tell
(bot wall, login wall, 429) changes nothing but the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import iso
from ..models import BROKEN, CheckResult, UrlState


@dataclass(frozen=True)
class ConfirmPolicy:
    checks: int = 3
    spacing: timedelta = timedelta(hours=24)


def next_state(prev: UrlState, result: CheckResult, now: datetime, policy: ConfirmPolicy) -> UrlState:
    if result.alive is True:
        return UrlState(state="revived" if prev.state == "dead" else "alive")
    if result.alive is None:
        return prev if prev.state != "unchecked" else UrlState(state="unknown")
    stamp = iso(now)
    counts = prev.last_failed_at is None or _age(prev.last_failed_at, now) >= policy.spacing
    failures = prev.failures + 1 if counts or prev.failures == 0 else prev.failures
    if prev.state in ("alive", "revived", "unknown", "unchecked"):
        failures = 1
    dead = prev.state == "dead" or failures >= policy.checks
    return UrlState(
        state="dead" if dead else "failing",
        failures=failures,
        first_failed_at=prev.first_failed_at if prev.state in BROKEN else stamp,
        last_failed_at=stamp if counts or prev.last_failed_at is None else prev.last_failed_at,
        dead_since=(prev.dead_since or stamp) if dead else None,
    )


def _age(when: str, now: datetime) -> timedelta:
    return now - datetime.fromisoformat(when)
