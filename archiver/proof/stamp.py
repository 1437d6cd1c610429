"""The stamp stage: an RFC 3161 token from the configured time-stamping authority for every snapshot
and screenshot that has none from it yet.

One request at a time, `interval` seconds apart: public authorities are free services that ask
for restraint. The outage guard: after `GUARD` failures in a row the stage stops and says why;
what it did not stamp waits for the next run (nothing is lost, the digests stay in archive.db).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from ..models import StampKind
from ..network import Network
from ..store import ArchiveStore
from . import tsa as authority

GUARD = 3  # failures in a row that stop the stage
KINDS: tuple[StampKind, ...] = ("snapshot", "screenshot")


@dataclass
class StampReport:
    tsa: str
    todo: int = 0  # digests without a token from this authority when the stage began
    stamped: int = 0
    refused: list[str] = field(default_factory=list)  # "kind sha256: why", one per refusal
    outage: str | None = None  # why the stage stopped early
    dry_run: bool = False

    @property
    def waiting(self) -> int:
        """Digests still without a token: for the next run."""
        return self.todo - self.stamped

    def summary(self) -> dict:
        return {"tsa": self.tsa, "todo": self.todo, "stamped": self.stamped, "refused": len(self.refused),
                "waiting": self.waiting, "outage": self.outage, "dry_run": self.dry_run}


async def stamp_unstamped(store: ArchiveStore, http: httpx.AsyncClient, tsa: str, *, dry_run: bool = False,
                          interval: float = 0.0,
                          on_token: Callable[[int, int, str], None] | None = None) -> StampReport:
    """Ask `tsa` for a token over each snapshot and screenshot lacking one; `on_token(done, todo, sha)`
    once before the first (done 0, sha "") and after each."""
    name = authority.tsa_name(tsa)  # what archive.db keeps and the report says: no credentials
    todo = [(kind, sha) for kind in KINDS for sha in await store.unstamped(kind, name)]
    report = StampReport(name, todo=len(todo), dry_run=dry_run)
    if dry_run or not todo:
        return report
    if on_token:
        on_token(0, report.todo, "")
    failures: list[str] = []
    for i, (kind, sha) in enumerate(todo):
        if i and interval:
            await asyncio.sleep(interval)
        try:
            token = await authority.stamp(http, tsa, kind, sha)
        except authority.TsaUnavailable as exc:
            failures.append(f"unreachable ({exc})")
        except authority.TsaRefused as exc:
            report.refused.append(f"{kind} {sha}: {exc}")
            failures.append(f"refused ({exc})")
        else:
            await store.save_timestamps([token])
            report.stamped += 1
            failures.clear()
            if on_token:
                on_token(report.stamped, report.todo, sha)
        if len(failures) >= GUARD:
            report.outage = f"time-stamping authority {name}: {GUARD} requests in a row failed, the last {failures[-1]}"
            break
    return report


async def run_stamp(store: ArchiveStore, tsa: str, network: Network, *, timeout: float, interval: float,
                    dry_run: bool = False, on_token: Callable[[int, int, str], None] | None = None) -> StampReport:
    """The stage with its own client: `stamp_unstamped` against `tsa` through `network`."""
    async with authority.client(tsa, timeout, network) as http:
        return await stamp_unstamped(store, http, tsa, dry_run=dry_run, interval=interval, on_token=on_token)
