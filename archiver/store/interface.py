"""What the stages may ask of a store: the boundary a second backend (PostgreSQL, for corpora that
outgrow one machine) implements. `archiver.store.sqlite.Store` is the SQLite one; every SQL statement
lives under `archiver/store/`, and the stages (check, wayback, api, report) call only these methods.

Contract, for any backend:
- each write method is one transaction, committed before it returns: a killed run loses at most the
  work in flight, never half of a check, capture or document;
- times are ISO 8601 strings in UTC (`archiver.clock.iso`), the store's own `now()` included;
- rows come back as frozen dataclasses (`UrlState`, `CheckRow`) or plain dicts of one table's
  columns (captures), never as backend cursor objects;
- `lock()` keeps a second run off the same store until `close()` or process death.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Protocol

from ..models import CaptureRow, CheckResult, CheckRow, KnownUrl, Place, Repaired, ReportRow, RunRecord, StoredFetch


class ArchiveStore(Protocol):
    # -- lifecycle and runs
    def lock(self) -> None: ...
    def close(self) -> None: ...
    def now(self) -> str: ...
    def start_run(self, command: str) -> int: ...
    def finish_run(self, run_id: int, outcome: str, summary: dict) -> None: ...
    def group_commit(self):
        """Start committing checks in groups (a bounded loss on a kill, stated in the README);
        `.close()` on the returned object commits the rest."""
    def unfinished_run(self, command: str) -> int | None:
        """The id of the last run of `command` that never finished (killed), to resume it."""
    def mark_interrupted(self, run_id: int, summary: dict) -> None:
        """A run stopped by a signal: outcome 'interrupted', left unfinished so the next run resumes it."""
    def checked_in_run(self, run_id: int) -> set[str]:
        """URLs already checked by run `run_id`."""

    # -- documents and citations
    def save_document(self, path: str, fmt: str, sha256: str | None, repaired: Iterable[Repaired]) -> int:
        """Make `repaired` the document's current citations; those no longer cited are marked removed."""
    def save_document_steps(self, path: str, fmt: str, sha256: str | None,
                            repaired: Iterable[Repaired]) -> Generator[None, None, object]:
        """`save_document` a few citations per `next()`, in one transaction committed when the
        generator is exhausted (its value: what the read changed); closed before, it rolls back.
        The caller writes nothing else on the store until then."""
    def places_for(self, url: str) -> list[Place]:
        """Where `url` is cited now: document and note (or line), in document order."""
    def first_cited(self, url: str) -> tuple[str | None, str | None]:
        """(earliest access date stated by a current citation, first time archiver saw one)."""

    # -- checks
    def url_state(self, url: str): ...  # -> archiver.store.checks.UrlState
    def known_urls(self, urls: list[str]) -> dict[str, KnownUrl]:
        """url -> its state, last status and last snapshot, for those of `urls` the store has seen."""
    def stale_urls(self, urls: list[str], older_than: str) -> list[str]:
        """Those of `urls` without a conclusive check since `older_than`."""
    def record_check(self, result: CheckResult, *, run_id: int | None, decide: Callable,
                     similarity: Callable | None = None) -> dict:
        """Write one check with its snapshot, headers and drift, and the URL's new state from `decide`."""
    def held_back(self, run_id: int) -> list[tuple]:
        """(check id, url, status, error, checked_at, previous state) of a run's transport failures
        still waiting for the outage verdict."""
    def settle_inconclusive(self, check_id: int, url: str, new, status: str, alive: bool | None) -> None: ...
    def run_rows(self, run_id: int, *, problems_only: bool = False) -> Iterator[CheckRow]: ...
    def run_counts(self, run_id: int) -> list[tuple[str, str, str, bool, int]]:
        """(status, state after, state before, content changed, how many checks) of a run, grouped."""

    # -- archive captures and run-wide archive state
    def archive_state(self, key: str) -> str | None: ...
    def set_archive_state(self, key: str, value: str | None) -> None: ...
    def capture(self, url: str, need: str) -> CaptureRow | None:
        """The current capture row of `url` for `need` ("save" or "match")."""
    def open_jobs(self) -> list[CaptureRow]: ...
    def open_capture(self, url: str, need: str, state: str, now: str, **fields) -> int: ...
    def begin_submit(self, capture_id: int, now: str) -> None: ...
    def record_job(self, capture_id: int, job_id: str, now: str, reason: str | None = None) -> None: ...
    def finish_capture(self, capture_id: int, state: str, now: str, **fields) -> None: ...
    def capture_submission(self, capture_id: int) -> tuple[str | None, str | None]:
        """(submitted time, job id) of a capture row."""
    def all_urls(self) -> list[str]: ...


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
    def run_rows(self, run_id: int, *, problems_only: bool = False) -> Iterator[CheckRow]:
        """The checks of one run, ordered by document and note, with the places citing each URL."""
    def archived_copies(self, urls: Sequence[str]) -> dict[str, tuple[str, str]]:
        """url -> (archive URL, 14-digit timestamp) of the copy to cite, for those that have one."""
    def stored_fetches(self, *, since: str | None = None, url: str | None = None,
                       document: str | None = None) -> Iterator[StoredFetch]:
        """Checks with a stored body, oldest first, narrowed by time, URL or document."""
