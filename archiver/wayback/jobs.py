"""Following Save Page Now jobs: polling them, confirming captures in CDX, and finishing what a
killed run left behind (the crash-safety steps are in archiver/wayback/policy.py's docstring).

Functions of the archiving run (`policy._Run`, passed as `run`): they use its store, client,
settings, clock and sleep, and its `result`, `link`, `queue`, `refused` and `submit`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..clock import epoch_of, ts14
from ..models import CaptureRow
from .client import PERMANENT, TRANSIENT, SaveResult

if TYPE_CHECKING:
    from .policy import ArchiveResult, _Run

__all__ = ["NO_KEYS", "STATUS_TTL", "describe", "landed", "poll", "recheck", "resume", "unconfirmed",
           "unpollable"]

log = logging.getLogger("archiver.archive")

STATUS_TTL = 3600.0  # SPN2 keeps job status for about an hour (§1.4)
NO_KEYS = ("no Internet Archive keys: lookups only. Set IA_ACCESS_KEY and IA_SECRET_KEY "
           "(from https://archive.org/account/s3.php) to submit")


def describe(reply: SaveResult) -> str:
    parts = [p for p in (reply.status_ext, reply.message, reply.error) if p]
    return "; ".join(parts) or "no detail"


async def poll(run: _Run, url: str, cid: int, job_id: str, begin_in: float = 0.0,
               deadline: float | None = None) -> ArchiveResult | SaveResult:
    """Poll a job: honour "will begin in N s", then every poll_interval, up to poll_timeout."""
    deadline = deadline or run.clock() + begin_in + run.s.poll_timeout
    wait = begin_in or run.s.poll_interval
    while True:
        await run.sleep(wait)
        wait = run.s.poll_interval
        st = await run.client.job_status(job_id)
        if st.status == "unknown" and run.client.outage:  # the row stays 'pending': polled next run
            return run.result(url, "queued", f"job {job_id}: {run.outage_reason()}", job_id=job_id)
        if st.status == "success" and st.timestamp:
            original = st.original_url or url
            link = run.link(st.timestamp, original)
            reason = f"captured by Save Page Now on {st.timestamp[:4]}-{st.timestamp[4:6]}-{st.timestamp[6:8]}"
            if st.http_status:
                reason += f" (the page answered {st.http_status})"
            if st.message:
                reason += f"; {st.message}"
            await run.store.finish_capture(cid, "success", run.now(), timestamp=st.timestamp, archive_url=link,
                      status_code=str(st.http_status) if st.http_status else None, reason=reason)
            return run.result(url, "submitted", reason, archive_url=link, timestamp=st.timestamp,
                               job_id=job_id)
        if st.status == "error":
            reply = SaveResult(url, job_id=job_id, message=st.message, status_ext=st.status_ext,
                               retry_class=st.retry_class or PERMANENT)
            if reply.retry_class == TRANSIENT:
                return reply
            return await run.refused(url, cid, reply)
        if (st.status == "unknown" and st.request_status == 404) or run.clock() >= deadline:
            return await unconfirmed(run, url, cid, job_id)

async def unconfirmed(run: _Run, url: str, cid: int, job_id: str) -> ArchiveResult:
    """Polling gave up or the status expired: never resubmit now; CDX decides, now or later."""
    found = await landed(run, url, cid)
    if found:
        return found
    reason = (f"job {job_id} not finished within {run.s.poll_timeout:g} s; a later run checks CDX "
              "before resubmitting")
    await run.store.finish_capture(cid, "unknown", run.now(), reason=reason)
    return run.result(url, "submitted", reason, job_id=job_id)

async def unpollable(run: _Run, url: str, cid: int, reply: SaveResult) -> ArchiveResult:
    """Accepted with a job id that cannot be polled: like an unconfirmed job, CDX decides."""
    found = await landed(run, url, cid)
    if found:
        return found
    reason = f"{describe(reply)}; a later run checks CDX before resubmitting"
    await run.store.finish_capture(cid, "unknown", run.now(), reason=reason)
    return run.result(url, "submitted", reason)

async def landed(run: _Run, url: str, cid: int) -> ArchiveResult | None:
    """A capture since this row's submission, found in CDX, recorded as success."""
    submitted, job_id = await run.store.capture_submission(cid)
    since = epoch_of(submitted) or run.clock()
    found = await run.client.newest(url, since=ts14(since - 60))
    if not (found.ok and found.rows):
        return None
    ts = found.rows[-1]["timestamp"]
    await run.store.finish_capture(cid, "success", run.now(), timestamp=ts, archive_url=run.link(ts, url),
              status_code="200", reason="capture confirmed in CDX")
    return run.result(url, "submitted", "capture confirmed in CDX", archive_url=run.link(ts, url),
                       timestamp=ts, job_id=job_id)

# -- resuming what a killed run left -------------------------------------------------------
async def resume(run: _Run, row: CaptureRow) -> ArchiveResult:
    url, cid, job_id = row.url, row.id, row.job_id
    submitted = epoch_of(row.submitted) or 0.0
    if row.state == "pending" and job_id:
        log.info("resuming job %s for %s", job_id, url)
        async with run.sessions:
            if run.clock() - submitted < STATUS_TTL:
                outcome = await poll(run, url, cid, job_id, 0.0)
                if not isinstance(outcome, SaveResult):
                    return outcome
                return await run.queue(url, cid, f"job {job_id} failed: {describe(outcome)}",
                                  run.clock() + run.s.retry_later)
            return await unconfirmed(run, url, cid, job_id)
    # 'submitting': the POST may have landed. CDX first; else re-POST (the server dedups).
    found = await landed(run, url, cid)
    if found:
        return found
    if run.stop_reason or not run.client.has_keys:
        return await run.queue(url, cid, run.stop_reason or NO_KEYS, run.stop_until)
    return await run.submit(url, cid)

async def recheck(run: _Run, url: str, cur: CaptureRow) -> ArchiveResult | None:
    """A job an earlier run left 'unknown' and CDX does not show yet: poll it while SPN2 keeps its
    status, then wait `unknown_recheck_hours` for CDX before submitting again (None = resubmit)."""
    submitted = epoch_of(cur.submitted) or 0.0
    age = run.clock() - submitted
    if cur.job_id and age < STATUS_TTL and not run.dry_run:
        async with run.sessions:
            outcome = await poll(run, url, cur.id, cur.job_id, 0.0)
        if not isinstance(outcome, SaveResult):
            return outcome
        return await run.queue(url, cur.id, f"job {cur.job_id} failed: {describe(outcome)}",
                          run.clock() + run.s.retry_later)
    if age < run.s.unknown_recheck_hours * 3600:
        return run.result(url, "queued", f"waiting for job {cur.job_id}'s capture to appear in CDX; "
                           "not resubmitting yet", job_id=cur.job_id)
    return None
