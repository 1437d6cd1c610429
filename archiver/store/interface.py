"""What the stages may ask of a store: the boundary a second backend (PostgreSQL, for corpora that
outgrow one machine) implements. `archiver.store.open_store(url)` gives one; every SQL statement
lives under `archiver/store/`, and the stages (check, wayback, api) call only these methods.

Contract, for any backend:
- the methods are coroutines: a call may take a network round trip, and the event loop goes on
  with the requests in flight meanwhile. Calls made by one task are carried out in the order made;
  a call once made is carried out even if the task awaiting it is cancelled;
- each write method is one transaction, committed before it returns: a killed run loses at most
  the work in flight (for checks, the group the check stage had not yet handed over), never half
  of a check, capture or document;
- the store only stores and reads: URL states and drift are decided by the check stage and handed
  over in `CheckRecord`s;
- times are ISO 8601 strings in UTC (`archiver.clock.iso`), the store's own `now()` included;
- rows come back as frozen dataclasses (archiver.models), never as backend rows or dicts of columns;
- errors are archiver's own (`StoreError` and its kinds in archiver.errors), never the driver's;
- `lock()` keeps a second run off the same store until `close()` or process death.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from ..models import (
    CaptureRow,
    CheckRecord,
    CheckRow,
    DocumentChanges,
    Evidence,
    HeldBack,
    KnownUrl,
    Place,
    QuoteCheck,
    Repaired,
    ReportRow,
    RunRecord,
    Screenshot,
    Settled,
    StampKind,
    StoredFetch,
    Timestamp,
)


class ArchiveStore(Protocol):
    url: str  # what `open_store` was given: `open_reader(url)` reads the same store

    # -- lifecycle and runs
    def now(self) -> str: ...
    async def lock(self) -> None: ...
    async def close(self) -> None:
        """Close once the calls already made are done."""
    async def start_run(self, command: str) -> int: ...
    async def finish_run(self, run_id: int, outcome: str, summary: dict) -> None: ...
    async def unfinished_run(self, command: str) -> int | None:
        """The id of the last run of `command` that never finished (killed), to resume it."""
    async def mark_interrupted(self, run_id: int, summary: dict) -> None:
        """A run stopped by a signal: outcome 'interrupted', left unfinished so the next run resumes it."""
    async def checked_in_run(self, run_id: int) -> dict[str, bool]:
        """url -> whether its host answered (a conclusive check, not skipped), for the URLs run
        `run_id` checked already."""

    # -- documents and citations
    async def save_document(self, path: str, fmt: str, sha256: str | None,
                            repaired: Iterable[Repaired]) -> DocumentChanges:
        """Make `repaired` the document's current citations; those no longer cited are marked removed."""
    async def places_for(self, urls: list[str]) -> dict[str, list[Place]]:
        """url -> where it is cited now: document and note (or line), in document order."""
    async def first_cited(self, url: str) -> tuple[str | None, str | None, tuple[str, str] | None]:
        """(earliest access date stated by a current citation, first time archiver saw one, and the
        earliest inferred date of adding with its source, for citations that state no access date)."""

    # -- checks
    async def known_urls(self, urls: list[str]) -> dict[str, KnownUrl]:
        """url -> its state, last status and last snapshot, for those of `urls` the store has seen."""
    async def stale_urls(self, urls: list[str], older_than: str) -> list[str]:
        """Those of `urls` without a conclusive check since `older_than`."""
    async def record_checks(self, records: Sequence[CheckRecord]) -> list[int]:
        """Write a group of checks (snapshots, headers, drift, the URLs' new states) in one
        transaction; their ids, in order."""
    async def snapshot_body(self, sha256: str) -> tuple[bytes, str | None] | None:
        """(body, content type) of a stored snapshot, for the check stage to measure drift."""
    async def held_back(self, run_id: int) -> list[HeldBack]:
        """A run's transport failures still waiting for the outage verdict."""
    async def settle_inconclusive(self, settled: Sequence[Settled]) -> None:
        """Apply held-back transport failures once the run knows it was online."""
    async def run_counts(self, run_id: int) -> list[tuple[str, str, str, bool, int]]:
        """(status, state after, state before, content changed, how many checks) of a run, grouped."""

    # -- archive captures and run-wide archive state
    async def archive_state(self, key: str) -> str | None: ...
    async def set_archive_state(self, key: str, value: str | None) -> None: ...
    async def capture(self, url: str, need: str) -> CaptureRow | None:
        """The current capture row of `url` for `need` ("save" or "match")."""
    async def open_jobs(self) -> list[CaptureRow]: ...
    async def open_capture(self, url: str, need: str, state: str, now: str, **fields: object) -> int: ...
    async def begin_submit(self, capture_id: int, now: str) -> None: ...
    async def record_job(self, capture_id: int, job_id: str, now: str, reason: str | None = None) -> None: ...
    async def finish_capture(self, capture_id: int, state: str, now: str, **fields: object) -> None: ...
    async def capture_submission(self, capture_id: int) -> tuple[str | None, str | None]:
        """(submitted time, job id) of a capture row."""
    async def all_urls(self) -> list[str]: ...

    # -- capture QA and quotes
    async def evidence(self, url: str) -> Evidence:
        """Its current citations (id, citing text, access date) and archiver's own copies of the page:
        the live one and the one from the citation's time (store/sqlite/evidence.py)."""
    async def save_quotes(self, citation_ids: Sequence[int], checks: Sequence[QuoteCheck], now: str) -> None:
        """Make `checks` the quote checks of those citations (the old ones replaced), in one transaction."""

    # -- evidence: RFC 3161 tokens and screenshots (docs/proof.md)
    async def unstamped(self, kind: StampKind, tsa: str) -> list[str]:
        """Digests of the snapshots or screenshots without a token from the authority `tsa`, oldest first."""
    async def save_timestamps(self, stamps: Sequence[Timestamp]) -> None:
        """Store tokens; one the store holds already (same kind, digest and authority) is kept as it was."""
    async def screenshot_due(self, urls: Sequence[str]) -> list[str]:
        """Those of `urls` alive at their last check without a screenshot since their current snapshot."""
    async def save_screenshot(self, shot: Screenshot) -> None: ...


class StoreReader(Protocol):
    """The read side for the offline readers (report, annotate, export, a check run's rows): they run
    outside any event loop and stream rows to a file or a terminal, so they read synchronously.
    `archiver.store.open_reader(url)` gives one; use it as a context manager."""

    def __enter__(self) -> StoreReader: ...
    def __exit__(self, *exc: object) -> None: ...
    def close(self) -> None: ...
    def documents(self, paths: Sequence[str] | None = None) -> list[tuple[int, str]]:
        """(id, path) of the documents named by `paths` (all documents when None)."""
    def report_rows(self, doc_ids: Sequence[int]) -> Iterator[ReportRow]:
        """ReportRow per current citation of those documents, by document then note."""
    def last_check_time(self) -> str | None:
        """When the newest check run that judged links started."""
    def last_check_run(self) -> RunRecord | None:
        """The newest check run, whatever its outcome."""
    def run_rows(self, run_id: int, *, problems_only: bool = False, documents: Sequence[int] = ()) -> Iterator[CheckRow]:
        """The checks of one run, ordered by document and note, with the places citing each URL;
        with `documents` (ids, in the order the run was given them) only their places, in that order."""
    def archived_copies(self, urls: Sequence[str]) -> dict[str, tuple[str, str]]:
        """url -> (archive URL, 14-digit timestamp) of the copy to cite, for those that have one."""
    def stored_fetches(self, *, since: str | None = None, url: str | None = None,
                       document: str | None = None) -> Iterator[StoredFetch]:
        """Checks with a stored body, oldest first, narrowed by time, URL or document."""
    def timestamps(self) -> Iterator[Timestamp]:
        """Every RFC 3161 token held, in the order stored, read as iterated."""
    def stamped_bytes(self, kind: StampKind, sha256: str) -> bytes | None:
        """The bytes a token's digest should be of (a snapshot's body, a screenshot's PNG); None if gone."""
    def screenshots(self) -> Iterator[Screenshot]:
        """Every screenshot, oldest first."""
    def thumbnail_index(self) -> dict[str, tuple[int, str]]:
        """url -> (screenshot id, when taken) of its newest screenshot that has a thumbnail."""
    def thumbnail(self, shot_id: int) -> bytes | None:
        """The JPEG thumbnail of screenshot `shot_id`, read when a report row shows it."""
