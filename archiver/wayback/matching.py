"""Dead links: pairing a dead, failing, soft-404 or parked link with the Wayback capture nearest
the citation's access date (before it first, then after, status 200 preferred), as
InternetArchiveBot does. Never a submission: that would archive the error page.

`match` works on the archiving run (`policy._Run`, passed as `run`): its store, client,
settings and clock, and its `result`, `write`, `link` and `outage_reason`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..clock import epoch_of, ts14

if TYPE_CHECKING:
    from .policy import ArchiveResult, _Run

__all__ = ["choose_capture", "match", "reference_time"]


def _usable(status: str) -> bool:
    return status == "-" or status[:1] in ("2", "3")


def _day(ts: str) -> int:
    return datetime.strptime(ts[:8], "%Y%m%d").toordinal()


def reference_time(accessed: str | None, first_seen: str | None, added: tuple[str, str] | None,
                   now: float) -> tuple[str, str]:
    """(the 14-digit time a copy should be closest to, what it is): the citation's access date, else
    when the document's history says it was added (`added`: date and source; never called an access
    date), else when archiver first saw the citation, else now."""
    if accessed:
        return accessed.replace("-", "")[:8] + "235959", "access date"
    if added:
        return added[0].replace("-", "")[:8] + "235959", f"date the citation was added ({added[1]})"
    if first_seen:
        return ts14(epoch_of(first_seen) or now), "date archiver first saw the citation"
    return ts14(now), "date of this run"


def choose_capture(rows: list[dict], ref_ts: str, basis: str) -> tuple[dict, str] | None:
    """The capture closest to `ref_ts`: status 200 before it, else 200 after it, else another
    usable status (2xx/3xx/revisit) before, then after. 4xx/5xx captures are never chosen."""
    ok = [r for r in rows if r.get("statuscode") == "200"]
    other = [r for r in rows if r.get("statuscode") != "200" and _usable(r.get("statuscode", ""))]
    for tier in (ok, other):
        before = [r for r in tier if r["timestamp"] <= ref_ts]
        after = [r for r in tier if r["timestamp"] > ref_ts]
        pick = max(before, key=lambda r: r["timestamp"]) if before else (
            min(after, key=lambda r: r["timestamp"]) if after else None)
        if pick is None:
            continue
        gap = abs(_day(pick["timestamp"]) - _day(ref_ts))  # calendar days, as a reader counts them
        side = "before" if before else "after"
        return pick, (f"closest capture with status {pick['statuscode']} {side} the {basis} "
                      f"{ref_ts[:4]}-{ref_ts[4:6]}-{ref_ts[6:8]} ({gap} days {side})")
    return None


async def match(run: _Run, url: str, verdict: str) -> ArchiveResult:
    cur = await run.store.capture(url, "match")
    now = run.clock()
    if cur and cur.state == "matched" and cur.timestamp:
        return run.result(url, "matched", cur.reason or "", archive_url=cur.archive_url,
                           timestamp=cur.timestamp)
    if cur and cur.state == "none" and now - (epoch_of(cur.finished) or 0) < \
            run.s.no_capture_recheck_days * 86400:
        return run.result(url, "no-capture", cur.reason or "no usable capture")
    ref, basis = reference_time(*await run.store.first_cited(url), now)
    found = await run.client.around(url, ref, limit=run.s.match_candidates)
    if not found.ok:
        if run.client.outage:
            return run.result(url, "queued", f"link is {verdict}; {run.outage_reason()}")
        return run.result(url, "failed", f"link is {verdict}; CDX lookup failed: {found.error}")
    chosen = choose_capture(list(found.rows), ref, basis)
    if chosen is None:
        reason = f"link is {verdict}; no usable capture in the Wayback Machine"
        await run.write(url, cur, "none", need="match", reason=reason)
        return run.result(url, "no-capture", reason)
    row, why = chosen
    link = run.link(row["timestamp"], url)
    reason = f"link is {verdict}; {why}"
    await run.write(url, cur, "matched", need="match", timestamp=row["timestamp"],
               archive_url=link, status_code=row.get("statuscode"), reason=reason)
    return run.result(url, "matched", reason, archive_url=link, timestamp=row["timestamp"])
