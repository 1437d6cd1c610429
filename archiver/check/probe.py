"""The soft-404 probe may only help: a slow or failed probe never holds up or fails a page.

The probe (a random path on the page's host, after Bar-Yossef et al. 2004) is extra evidence that a
200 page is really the server's "not found" page. It is fetched once per host and shared by every
page of that host, so one hostile or broken answer to it (headers dribbled a byte a second, a reset,
a redirect loop) could otherwise hold every page of the host until each ran out of time and was
called `timeout` (issue 11: all live pages of such a host failed). So:
- the probe has its own, shorter budget (`FetchSettings.probe_timeout`), then counts as failed;
- a page waits for it only while its own time allows (`page_deadline`), keeping a margin to finish;
- any failure of the probe, whatever the exception, is `Probe(None)`, which classifies the page
  exactly as if there had been no probe.
"""

from __future__ import annotations

import asyncio

from .classify import Probe

__all__ = ["PROBE_FAILED", "await_probe"]

PROBE_FAILED = Probe(status_code=None)
MARGIN = 0.5  # seconds a page keeps for itself after waiting for the probe


async def await_probe(task: asyncio.Future, page_deadline: float | None) -> Probe:
    """The shared probe's result, or PROBE_FAILED if it failed or the page cannot wait any longer.
    The probe task is never cancelled here: other pages of the host may still be waiting for it."""
    budget = None if page_deadline is None else page_deadline - asyncio.get_running_loop().time() - MARGIN
    if budget is not None and budget <= 0:
        return PROBE_FAILED
    if task.done():  # the usual case: the host's probe finished for an earlier page (no timer, no task)
        if not task.cancelled():
            return PROBE_FAILED if task.exception() is not None else task.result()
        if _cancelling():
            raise asyncio.CancelledError
        return PROBE_FAILED
    try:
        return await asyncio.wait_for(asyncio.shield(task), budget)
    except TimeoutError:
        return PROBE_FAILED
    except asyncio.CancelledError:
        if task.cancelled() and not _cancelling():
            return PROBE_FAILED  # the probe was cancelled (run closing), not this page
        raise
    except Exception:  # noqa: BLE001 - a probe bug must not fail the page
        return PROBE_FAILED


def _cancelling() -> bool:
    current = asyncio.current_task()
    return bool(current and current.cancelling())
