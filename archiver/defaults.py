"""Defaults shared by the settings a user gives (config.Settings) and what a check run gets
(check.fetch.FetchSettings): one place, so the two cannot drift apart. And what archiver calls
itself on the network.
"""

from __future__ import annotations

import os

from . import __version__

USER_AGENT = f"archiver/{__version__} (+https://github.com/archiver-project/archiver)"

# Fetch defaults, shared by config.Settings (what a user sets) and check.fetch.FetchSettings (what a
# check run gets): one place, so the two cannot drift apart.
CONCURRENCY = 64  # URLs in flight, all hosts together
PER_HOST = 2  # requests in flight per host at first, adapting (check/hosts.py) ...
PER_HOST_MAX = 8  # ... up to this many
READ_TIMEOUT = 20.0  # seconds per read, not per body
RETRIES = 2  # extra attempts after connection errors, 5xx and 429
MAX_BODY = 50 * 1024 * 1024  # decoded bytes kept (and hashed) per page
# decoded body bytes all checks in flight hold at once (check/budget.py), a joined copy included: with
# one body over it (max_body), what aiohttp buffers per connection and the interpreter, the checker
# stays under 400 MB on a laptop (at 64 MiB the hostile suite peaked at 402-404 MB inside the test run)
BODY_BUDGET = 32 * 1024 * 1024
# Save Page Now submissions and CDX lookups a minute, shared by config.Settings, the Wayback client and
# the queue's shared budget: SPN2 allows 7 a minute with keys (reference §1.7), the CDX 30 (§4, EDGI's 80 %)
SAVES_PER_MINUTE = 6.0
CDX_PER_MINUTE = 24.0
TEXT_EXCERPT = 4000  # characters of a page's main text a snapshot keeps (Snapshot.text, snapshots.text)


def default_processes() -> int:
    """One process per core but one, at most 4: 1 (no workers) on a 2-core machine.

    Each worker (check/workers.py) starts a fresh interpreter and pickles every result to the
    parent, and on 2 cores it competes with the parent, which writes archive.db: there 2 workers
    cost more CPU than one process and were slower (benchmarks/RESULTS.md, "Tried and not kept").
    Beyond 4 the network is the limit."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))
