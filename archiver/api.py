"""The stages as functions: what the CLI and any other program (a notebook, a CMS hook) call.

    lint(paths, settings)       -> LintResult       extract and repair; nothing fetched or stored
    check(paths, settings)      -> CheckReport      record citations, fetch, classify, confirm over time
    archive(paths, settings)    -> ArchiveOutcome   Wayback lookups, submissions, matches
    run(paths, settings)        -> RunResult        all of the above in one event loop
    report(paths, settings)     -> EditorReport     per document and note: what to fix, what to cite
    export_warc(out, settings)  -> WarcSummary      every stored fetch as WARC records (export_wacz: WACZ)
    annotate(path, out, settings) -> AnnotateResult  repairs applied, archived copies written into a copy

Each network stage opens `settings.db` (or uses the `store` it is given), takes the run lock, and
returns values; nothing here prints. A per-URL failure is a value in the result; an exception means
the stage itself could not run (`ArchiverError` and its subclasses, `StoreError` among them, `OSError`).

Example (docs/api.md's, run by tests/test_api.py):

    from archiver import api

    settings = api.load_settings(db="archive.db")
    found = api.lint(["notes.txt"], settings)
    print(found.summary["citations"], "citations,", found.summary["error"], "errors")
    report = api.check(["notes.txt"], settings)
    for row in report.rows():
        print(row.state, row.status, row.url, row.notes)
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from .config import Settings, load_settings
from .errors import ConfigError, InputError
from .lint.run import LintedDocument, LintStream, lint_paths, summarize, summary_at_least
from .models import CheckRow
from .report.acks import Ack, acknowledged
from .report.editor import EditorReport, now_iso
from .report.render.common import counted

if TYPE_CHECKING:  # the network stages and the store load on first use: `lint` imports neither httpx nor sqlite3
    from .annotate.run import AnnotateResult
    from .captures.stage import CaptureReport, CaptureResult
    from .check.run import CheckOutcome, CheckRun
    from .export.warc import WarcSummary
    from .models import DocumentChanges
    from .proof.screenshot import ShotReport
    from .proof.stamp import StampReport
    from .proof.verify import VerifyReport
    from .report.problems import Problem
    from .store import ArchiveStore
    from .wayback.policy import ArchiveReport, ArchiveResult

DEFAULT_INPUT = "sources.txt"
T = TypeVar("T")


@dataclass
class LintResult:
    """The documents as read, with their repaired citations, and those that could not be read.

    `summary` is taken when the documents are read, so it stays true after `record` has moved the
    citations into the store."""

    documents: list[LintedDocument]
    summary: dict = field(init=False)
    changes: list[DocumentChanges] = field(default_factory=list)  # filled by `record`: what each read changed

    def __post_init__(self) -> None:
        self.summary = summarize(self.documents)

    @property
    def errors(self) -> list[str]:
        """One message per document that could not be read (the others were still linted)."""
        return list(self.summary["unreadable"])

    def at_least(self, severity: str) -> bool:
        """True when any finding is at or above `severity` ("error", "warning" or "info")."""
        return summary_at_least(self.summary, severity)


@dataclass
class CheckReport:
    """A check run: its counts, and its rows, streamed back from archive.db on demand."""

    run: CheckRun
    db: str
    unreadable: list[str] = field(default_factory=list)
    acks: tuple[Ack, ...] = ()
    urls: tuple[str, ...] = ()  # what the run was given: with --stale, some were skipped as fresh
    shots: ShotReport | None = None  # the screenshot stage after the check, with --screenshot
    stamps: StampReport | None = None  # the stamp stage after the check, when an authority is configured
    documents: tuple[str, ...] = ()  # the documents read, in the order given: the rows' scope and order

    @property
    def summary(self) -> dict:
        return self.run.summary()

    def rows(self, *, problems_only: bool = False) -> Iterator[CheckRow]:
        """Every URL of this run with its verdict and where the documents it read cite it, in their
        order and then by note (only failing and dead links with `problems_only`), `acknowledged`
        when an acknowledgement covers it. Read from the database, so memory stays flat."""
        from .store import open_reader

        with open_reader(self.db) as store:
            ids = [i for i, _ in store.documents(list(self.documents))] if self.documents else []
            for row in store.run_rows(self.run.run_id, problems_only=problems_only, documents=ids):
                reason = next((r for p in row.places if (r := acknowledged(
                    self.acks, document=p.document, note=p.note, url=row.url, codes=(row.status,)))), None)
                yield replace(row, acknowledged=reason) if reason else row


@dataclass
class ArchiveOutcome:
    report: ArchiveReport
    notices: list[str] = field(default_factory=list)  # e.g. "no keys, so lookups only"
    unreadable: list[str] = field(default_factory=list)
    captures: CaptureReport | None = None  # capture QA, other archives, quotes: when the settings ask
    documents: tuple[str, ...] = ()  # the documents read, in the order given: the results' places

    @property
    def outage(self) -> str | None:
        """Why an archive counted as unreachable in this run (the queue and unjudged captures kept)."""
        return self.report.outage or (self.captures.outage if self.captures else None)

    @property
    def summary(self) -> dict:
        return self.report.summary


@dataclass
class RunResult:
    lint: LintResult
    check: CheckReport | None = None
    archive: ArchiveOutcome | None = None


Paths: TypeAlias = "str | os.PathLike[str] | Sequence[str | os.PathLike[str]]"  # a str is one path


def paths_of(paths: Any, settings: Any = None) -> list[str] | None:
    """The documents a caller named: a str or path-like is one path (`lint("notes.txt")` is never
    read character by character), a sequence is several. Anything else is a TypeError naming it."""
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(f"settings must be archiver.Settings (api.load_settings(...)), not {type(settings).__name__}")
    if paths is None:
        return None
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    if isinstance(paths, (bytes, Settings)) or not isinstance(paths, Iterable):
        raise TypeError(f"paths must be a path or a list of paths, not {type(paths).__name__}")
    out = [os.fspath(p) if isinstance(p, (str, os.PathLike)) else p for p in paths]
    if bad := next((p for p in out if not isinstance(p, str)), None):
        raise TypeError(f"paths must be paths (str or pathlib.Path), not {type(bad).__name__}: {bad!r}")
    return out


def lint(paths: Paths | None = None, settings: Settings | None = None) -> LintResult:
    """Extract and repair the citations of `paths` (default sources.txt). Nothing is fetched."""
    given = paths_of(paths, settings)
    settings = settings or Settings()
    return LintResult(list(lint_paths(given or [DEFAULT_INPUT], base_url=settings.base_url,
                                      fmt=settings.input_format)))


def _read_some(paths: list[str] | None, settings: Settings) -> LintResult:
    """`lint`, for a stage that stores what it read: when no document could be read there is nothing
    to store or fetch, and the stage stops before it opens (or creates) the store."""
    found = lint(paths, settings)
    if found.documents and all(d.error is not None for d in found.documents):
        raise InputError("; ".join(found.errors))
    return found


def lint_stream(paths: Paths | None = None, settings: Settings | None = None) -> LintStream:
    """`lint` for output: the documents are read as the result is iterated, one document's
    citations wait on disk rather than in memory, and `summary()` is ready after the last one."""
    given = paths_of(paths, settings)
    settings = settings or Settings()
    return LintStream(given or [DEFAULT_INPUT], base_url=settings.base_url, fmt=settings.input_format)


async def record(store: ArchiveStore, result: LintResult, then: Callable[[], None] | None = None) -> None:
    """Write each document's citations to the store (each document one transaction), then call `then`.

    The citations leave memory here (they are in the store now), so a 50,000-URL run stays small:
    afterwards `result.documents` keeps only paths and errors. `check` and `run` do this while their
    first requests are in flight (check.run.run_checks' `first`)."""
    for d in result.documents:
        if d.document is None:
            continue
        result.changes.append(await store.save_document(d.path, d.document.format, d.document.sha256, d.repaired))
        d.repaired = []
        d.document = None
    if then is not None:
        then()


def urls_of(result: LintResult, roles: frozenset[str] = frozenset(["citation"])) -> list[str]:
    """The distinct URLs of the documents read whose role is one of `roles` (citations unless
    `--roles` says more), in document order (before `record` empties them)."""
    return list(dict.fromkeys(r.url for d in result.documents if d.document for r in d.repaired
                              if r.url and r.citation.role in roles))


def check(paths: Paths | None = None, settings: Settings | None = None, *,
          store: ArchiveStore | None = None, on_result: Callable[[CheckOutcome], None] | None = None,
          on_stage: Callable[[str, Any], None] | None = None, queue: Queued | None = None) -> CheckReport:
    """Lint `paths`, then fetch and classify every URL into the store; the citations are recorded
    while the first requests are in flight, and before any check is written. Progress:
    `on_stage("check-start", n)` once the number of URLs to check is known, then `on_result` for each.
    With `queue`, the queue's workers fetch (`archiver worker`; a postgresql:// store) and this waits
    for them."""
    paths = paths_of(paths, settings)
    settings = settings or Settings()
    _queue_on_postgres(settings, queue)
    _browser_present(settings)
    found = _read_some(paths, settings)

    async def work(st: ArchiveStore) -> CheckReport:
        out = await _check_stage(st, settings, urls_of(found, settings.role_set()), found, on_result,
                                 record(st, found), on_stage, queue)
        await _evidence_stages(st, settings, out, False, on_stage or (lambda name, value: None))
        return out

    return _run_async(_with_store(settings, store, work))


def archive(paths: Paths | None = None, settings: Settings | None = None, *,
            store: ArchiveStore | None = None, dry_run: bool = False,
            on_result: Callable[[ArchiveResult], None] | None = None,
            on_stage: Callable[[str, Any], None] | None = None,
            on_capture: Callable[[CaptureResult], None] | None = None, queue: Queued | None = None) -> ArchiveOutcome:
    """Preserve the live links of `paths` in the Wayback Machine and match dead ones to old captures
    (using the states the last check recorded); then, when the settings ask, judge the copies, look in
    other archives and check quotes (`on_capture` is called per URL judged). Progress:
    `on_stage("archive-start", n)` with the number of URLs, `on_stage("archive-wait", seconds)` each
    time a Save Page Now submission waits for its slot (the pacing), and `on_result` for each URL done.
    With `queue`, the queue's workers archive, one job per URL, within a Save Page Now budget they share."""
    paths = paths_of(paths, settings)
    settings = settings or Settings()
    _queue_on_postgres(settings, queue)

    found = _read_some(paths, settings)

    async def work(st: ArchiveStore) -> ArchiveOutcome:
        urls = urls_of(found, settings.role_set())
        await record(st, found)
        return await _archive_stage(st, settings, urls, found, dry_run, on_capture, on_result, on_stage, queue)

    return _run_async(_with_store(settings, store, work))


def run(paths: Paths | None = None, settings: Settings | None = None, *, store: ArchiveStore | None = None,
        lint_only: bool = False, archive: bool = True, dry_run: bool = False,
        on_result: Callable[[Any], None] | None = None,
        on_stage: Callable[[str, Any], None] | None = None,
        on_capture: Callable[[CaptureResult], None] | None = None, queue: Queued | None = None) -> RunResult:
    """Every stage in one event loop: lint and record, check, then archive (skipped when the check
    found the network unavailable). `on_stage(name, value)` is called as each stage ends: "lint" (the
    summary), "changes" (what each document read changed: `DocumentChanges`; recorded while the
    check's first requests are in flight, so it comes during the check), "check", "archive"; and
    as `check` and `archive` report progress: "check-start", "archive-start", "archive-wait"; the
    proof stages after the check: "screenshot-progress" and "stamp-progress" with (done, total, last)
    (done 0 as each starts), then "screenshot" and "stamp" with their reports.
    `on_result` gets each `CheckOutcome` of the check, then each `ArchiveResult` of the archive stage."""
    paths = paths_of(paths, settings)
    settings = settings or Settings()
    _queue_on_postgres(settings, queue)
    notify = on_stage or (lambda name, value: None)
    if not lint_only and not dry_run:
        _browser_present(settings)
    found = _read_some(paths, settings)

    async def work(st: ArchiveStore) -> RunResult:
        urls = urls_of(found, settings.role_set())
        notify("lint", found.summary)
        out = RunResult(found)
        first = record(st, found, then=lambda: notify("changes", found.changes))
        if lint_only:
            await first
            return out
        out.check = await _check_stage(st, settings, urls, found, on_result, first, on_stage, queue)
        notify("check", out.check)
        await _evidence_stages(st, settings, out.check, dry_run, notify)
        if archive and not out.check.run.offline:
            out.archive = await _archive_stage(st, settings, urls, found, dry_run, on_capture, on_result, on_stage,
                                               queue)
            notify("archive", out.archive)
        return out

    return _run_async(_with_store(settings, store, work))


_running: list = []  # the network stage's event loop and task while one runs (asyncio.run in this thread)


def interrupt() -> bool:
    """Stop the running network stage as Ctrl-C stops it: its task is cancelled, its cleanup records
    what it had (a check run is left to be resumed), and the stage raises KeyboardInterrupt. For a
    signal handler in the thread that runs the stage; False when no stage is running.

    Why not raise KeyboardInterrupt in the handler: asyncio.run cancels its task on SIGINT only where
    SIGINT has Python's default handler. Where SIGINT is ignored (a job a shell starts in the
    background), a KeyboardInterrupt raised at whatever line the loop was running could end the
    loop while a request it no longer cancels was still in flight."""
    if not _running:
        return False
    loop, task, stopped = _running[-1]
    stopped.append(True)
    loop.call_soon_threadsafe(task.cancel)
    return True


def _run_async(coro: Any) -> Any:
    """asyncio.run(coro), which `interrupt` can stop as Ctrl-C does."""
    import asyncio

    stopped: list[bool] = []

    async def stage() -> Any:
        _running.append((asyncio.get_running_loop(), asyncio.current_task(), stopped))
        try:
            return await coro
        finally:
            _running.pop()

    try:
        return asyncio.run(stage())
    except asyncio.CancelledError:
        if stopped:
            raise KeyboardInterrupt from None
        raise


def problems(settings: Settings, *, lint: LintResult | None = None, check: CheckReport | None = None,
             archive: ArchiveOutcome | None = None, fail_on: str = "error") -> list[Problem]:
    """What makes a run exit 1 (see archiver/report/problems.py): the problems at or above `fail_on`
    (report.problems.FAIL_ON) among the findings of the documents `lint` recorded, the links of `check`
    and the links `archive` could not preserve; with `fail_on="new"`, only what changed since the
    previous run. Acknowledged ones are included, marked; they never count."""
    from .report.problems import archive_problems, finding_problems, in_document_order

    found = finding_problems(lint.changes, fail_on, settings.ignore) if lint is not None else []
    if check is not None:
        seen = {row.url for row in problems_as_read(settings, check.rows(), fail_on, found)}
        found += skipped_problems(settings, check, fail_on, seen)
    if archive is not None:
        found += archive_problems(archive.report.results, fail_on, settings.ignore)
    return in_document_order(found, [c.path for c in lint.changes] if lint is not None else
                             list(check.documents) if check is not None else
                             list(archive.documents) if archive is not None else [])


def skipped_problems(settings: Settings, check: CheckReport, fail_on: str, seen: set[str]) -> list[Problem]:
    """The broken links a `--stale` run skipped because a conclusive check within the age says so
    (`seen`: the URLs the run did check): --stale changes what is checked, never what fails."""
    skipped = set(check.urls) - seen if check.run.skipped_fresh else set()
    if not skipped:
        return []
    from .report.problems import cited_problems
    from .store import open_reader

    with open_reader(check.db) as st:
        rows = [r for r in st.report_rows([i for i, _ in st.documents(list(check.documents) or None)]) if r.url in skipped]
    return cited_problems(rows, fail_on, settings.ignore)


def problems_as_read(settings: Settings, rows: Iterable[CheckRow], fail_on: str, found: list[Problem]) -> Iterator[CheckRow]:
    """`rows` (a check's) passed through while the problems `problems(check=...)` lists for them are
    added to `found`: a program that shows the rows gets their problems from the same read of
    archive.db, instead of reading a large run's rows twice."""
    from .report.problems import link_problems

    for row in rows:
        found += link_problems((row,), fail_on, settings.ignore)
        yield row


@dataclass(frozen=True)
class Queued:
    """Run the check stage through the queue of a postgresql:// store: `archiver worker`s fetch, this
    process enqueues, follows and ends the run. `stall_timeout`: seconds of silence after which a
    worker's jobs are given to others."""

    stall_timeout: float = 30.0


def worker(settings: Settings | None = None, *, concurrency: int = 16, stall_timeout: float = 30.0,
           recheck: str | None = None, save_window: float = 60.0,
           on_ready: Callable[[int], None] | None = None) -> None:
    """Run a queue worker on `settings.db` (postgresql://) until stopped: it checks the URLs that
    `check --queue`, `run --queue` and its own periodic re-checks (`recheck`, a cron line; with
    `settings.stale_seconds`, only URLs without a recent conclusive check) enqueue, and archives
    those `archive --queue` and `run --queue` enqueue, within a Save Page Now budget all workers
    share: `settings.saves_per_minute` captures per `save_window` seconds."""
    settings = settings or Settings()
    from .check.state import ConfirmPolicy

    _queue_on_postgres(settings, Queued())
    run_worker = _scale("worker").run_worker
    archives = _scale("archives")
    stale = timedelta(seconds=settings.stale_seconds) if settings.stale_seconds is not None else None
    policy = ConfirmPolicy(settings.confirm_checks, timedelta(hours=settings.confirm_spacing_hours))
    budget = archives.Budget(per_window=max(1, int(settings.saves_per_minute * save_window / 60)), window=save_window,
                             sessions=settings.archive_policy().max_concurrency)
    wayback = archives.Wayback(settings.wayback_config(), settings.wayback_timeout, settings.connect_timeout,
                               settings.network(), budget)
    _run_async(run_worker(settings.db, settings.fetch_settings(), concurrency=concurrency, stall_timeout=stall_timeout,
                          recheck=recheck, stale=stale, policy=policy, wayback=wayback, on_ready=on_ready))


def _queue_on_postgres(settings: Settings, queue: Queued | None) -> None:
    """The queue lives in PostgreSQL: refused, before anything is read or written, on an archive.db."""
    from .store import is_postgres, redacted

    if queue is not None and not is_postgres(settings.db):
        raise ConfigError(f"the queue (--queue, archiver worker) needs a postgresql:// database, not "
                          f"{redacted(settings.db)}: move the archive with `archiver db copy` first "
                          "(docs/postgresql.md)")


def _scale(module: str) -> Any:
    """archiver.queue.`module`, or a ConfigError naming the extra when psycopg or procrastinate is missing."""
    import importlib

    try:
        return importlib.import_module(f".queue.{module}", __package__)
    except ImportError as exc:
        raise ConfigError(f"the queue needs the scale extra ({exc.name} is missing): "
                          "pip install 'archiver[scale]'") from None


def copy_store(src: str, dst: str):
    """Copy the archive at `src` into the new, empty store `dst` (SQLite or PostgreSQL, either
    way), verified by row counts and snapshot digests; a `CopyReport` of what moved."""
    from .store import copy_store as copy

    return copy(src, dst)


def upgrade_store(db: str) -> None:
    """Bring the archive `db` to this archiver's schema. The writing stages do so on opening it;
    the report, annotate and export only read it and refuse an older schema, saying to run this."""
    from .store import upgrade_store as upgrade

    upgrade(db)


def report(paths: Paths | None = None, settings: Settings | None = None, *,
           clock: Callable[[], datetime] | None = None) -> EditorReport:
    """The editor's report of `paths` (default: every document in archive.db), read from the store.

    Nothing is fetched; the rows are read when iterated (`EditorReport.rows()`), the summary first."""
    paths = paths_of(paths, settings)
    settings = settings or Settings()
    from .store import missing, open_reader

    if why := missing(settings.db):
        raise InputError(why)

    with open_reader(settings.db) as st:
        ids = [doc_id for doc_id, _ in st.documents(paths)]
        last, last_run = st.last_check_time(), st.last_check_run()
    return EditorReport(settings.db, ids, now_iso(clock), last, last_run, acks=settings.ignore)


def export_warc(out: str | os.PathLike[str], settings: Settings | None = None, *, since: str | None = None, url: str | None = None,
                document: str | None = None, clock: Callable[[], datetime] | None = None) -> WarcSummary:
    """Write every stored fetch (narrowed by `since` ISO time, `url`, `document`) to the WARC `out`;
    with a time-stamping authority configured, the file's digest is stamped (OUT.tsr beside it)."""
    from .export.run import export_warc as write

    return _export(write, os.fspath(out), settings or Settings(), since, url, document, clock)


def export_wacz(out: str | os.PathLike[str], settings: Settings | None = None, *, since: str | None = None, url: str | None = None,
                document: str | None = None, clock: Callable[[], datetime] | None = None) -> WarcSummary:
    """The same records as `export_warc`, packaged as a WACZ (index, pages, datapackage with digests,
    the snapshots' RFC 3161 tokens; with an authority configured, the datapackage's own token)."""
    from .export.run import export_wacz as write

    return _export(write, os.fspath(out), settings or Settings(), since, url, document, clock)


def _export(write: Callable[..., WarcSummary], out: str, settings: Settings, since: str | None, url: str | None,
            document: str | None, clock: Callable[[], datetime] | None) -> WarcSummary:
    from .export.run import ExportFilter, Stamping

    stamping = Stamping(settings.tsa_url, settings.network(), settings.tsa_timeout) if settings.tsa_url else None
    summary = write(settings.db, out, ExportFilter(since, url, document), user_agent=settings.user_agent,
                    stamping=stamping, **({"clock": clock} if clock else {}))
    if summary.stamp:
        stamp = summary.stamp

        async def save(st: ArchiveStore) -> None:
            await st.save_timestamps([stamp])

        _run_async(_with_store(settings, None, save, lock=False))
    return summary


def stamp(settings: Settings, *, dry_run: bool = False, store: ArchiveStore | None = None,
          on_token: Callable[[int, int, str], None] | None = None) -> StampReport:
    """Ask the configured time-stamping authority (`tsa_url`) for an RFC 3161 token over every
    snapshot and screenshot without one from it; `on_token(done, todo, sha256)` after each."""
    if not settings.tsa_url:
        raise ConfigError("no time-stamping authority: give --tsa URL or set tsa_url (docs/proof.md lists public ones)")

    async def work(st: ArchiveStore) -> StampReport:
        return await _stamp_stage(st, settings, dry_run, on_token)

    return _run_async(_with_store(settings, store, work))


def verify(paths: Paths | None, settings: Settings) -> VerifyReport:
    """Check RFC 3161 tokens and digests offline with the authority's chain (`tsa_cert`): those of
    archive.db when `paths` is empty, else of each WACZ, or file with FILE.tsr beside it."""
    from .proof import tsa
    from .proof.verify import VerifyReport, verify_file, verify_store

    paths = paths_of(paths, settings)

    if not settings.tsa_cert:
        raise ConfigError("verify needs the authority's certificate chain: give --tsa-cert PEM or set tsa_cert")
    try:
        with open(settings.tsa_cert, "rb") as fh:
            chain = tsa.load_chain(fh.read(), settings.tsa_cert)
    except (OSError, ValueError) as exc:
        raise ConfigError(str(exc)) from None
    if not paths:
        from .store import missing, open_reader

        if why := missing(settings.db):
            raise InputError(why)
        with open_reader(settings.db) as reader:
            return verify_store(reader, chain)
    report = VerifyReport()
    for path in paths:
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such file")
        report.verdicts += verify_file(path, chain).verdicts
    return report


def annotate(path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None, settings: Settings | None = None, *,
             in_place: bool = False, dry_run: bool = False) -> AnnotateResult:
    """Write a copy of `path` to `out` with its confident repairs applied and, after each link with
    an archived copy in archive.db, that copy (Robust Links attributes in HTML, `([archived](...))`
    in Markdown, `[archived: URL, DATE]` in text; fields of each entry in BibTeX, CSL-JSON and RIS,
    docs/reference-managers.md). `in_place` rewrites `path`, keeping PATH.bak; `dry_run` writes
    nothing and returns the change as a unified diff in `.diff`."""
    from .annotate.run import annotate_document

    settings = settings or Settings()
    target = None if out is None else os.fspath(out)
    return annotate_document(settings.db, os.fspath(path), target, in_place=in_place, fmt=settings.input_format,
                             base_url=settings.base_url, dry_run=dry_run)


def browse(settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 8001,
           on_ready: Callable[[str, int], None] | None = None) -> None:
    """Serve archive.db in Datasette until interrupted: read-only, with descriptions, the editor's
    canned queries, full-text search over snapshot text and a page per snapshot (archiver[browse]).
    `on_ready(url, snapshots indexed)` is called once the search index is built."""
    try:
        from .browse.serve import serve
    except ImportError as exc:
        raise ConfigError(f"archiver browse needs Datasette ({exc.name} is missing): "
                          "pip install 'archiver[browse]'") from None
    db = (settings or Settings()).db
    from .store import is_postgres, redacted

    if is_postgres(db):  # Datasette reads SQLite files
        raise ConfigError(f"archiver browse reads an archive.db file, not {redacted(db)}: copy it first with "
                          f"`archiver db copy {redacted(db)} archive.db` and browse that")
    serve(db, host=host, port=port, on_ready=on_ready)


async def _with_store(settings: Settings, store: ArchiveStore | None,
                      work: Callable[[ArchiveStore], Awaitable[T]], *, lock: bool = True) -> T:
    """`work` on `store`, or on the store `settings.db` names, opened, locked and closed here."""
    if store is not None:
        return await work(store)
    from .store import open_store

    st = open_store(settings.db)
    try:
        if lock:
            await st.lock()
        return await work(st)
    finally:
        await st.close()


async def _check_stage(store: ArchiveStore, settings: Settings, urls: list[str], found: LintResult,
                       on_result: Callable[[CheckOutcome], None] | None,
                       first: Awaitable[None] | None = None,
                       on_stage: Callable[[str, Any], None] | None = None, queue: Queued | None = None) -> CheckReport:
    unreadable = found.errors
    documents = _documents_read(found)
    from .check.fetch import make_client
    from .check.run import run_checks
    from .check.state import ConfirmPolicy
    from .defaults import default_processes

    fs = settings.fetch_settings()
    policy = ConfirmPolicy(settings.confirm_checks, timedelta(hours=settings.confirm_spacing_hours))
    stale = timedelta(seconds=settings.stale_seconds) if settings.stale_seconds is not None else None
    if queue is not None:
        check_queued = _scale("checks").check_queued
        if first is not None:
            await first  # the citations before the jobs: a worker's check finds its URL cited
        crun = await check_queued(store, urls, fs, policy=policy, stale=stale, outage_share=settings.outage_share,
                                  on_result=on_result, stall_timeout=queue.stall_timeout)
        return CheckReport(crun, store.url, unreadable, settings.ignore, tuple(urls), documents=documents)
    async with make_client(fs) as client:
        crun = await run_checks(store, urls, client, fs, policy=policy, stale=stale, canary=settings.canary_url,
                                outage_share=settings.outage_share, on_result=on_result,
                                on_total=on_stage and partial(on_stage, "check-start"),
                                processes=settings.processes or default_processes(), first=first)
    return CheckReport(crun, store.url, unreadable, settings.ignore, tuple(urls), documents=documents)


def _browser_present(settings: Settings) -> None:
    """With --screenshot, a missing browser is a configuration error before any work, not after the check."""
    if settings.screenshot:
        from .proof.browser import find_chromium

        find_chromium(settings.chromium)


async def _evidence_stages(store: ArchiveStore, settings: Settings, check: CheckReport, dry_run: bool,
                           notify: Callable[[str, Any], None]) -> None:
    """After a check that was online: screenshots of the live pages (--screenshot), then the stamp
    stage (an authority configured), so new screenshots are stamped too."""
    if check.run.offline:
        return
    if settings.screenshot:
        from .proof.screenshot import take_screenshots

        check.shots = await take_screenshots(store, list(check.urls), exe=settings.chromium,
                                             allow_private=settings.allow_private, network=settings.network(),
                                             dry_run=dry_run,
                                             timeout=settings.timeout, on_shot=partial(_step, notify, "screenshot"))
        notify("screenshot", check.shots)
    if settings.tsa_url:
        check.stamps = await _stamp_stage(store, settings, dry_run, partial(_step, notify, "stamp"))
        notify("stamp", check.stamps)


def _step(notify: Callable[[str, Any], None], stage: str, done: int, todo: int, last: str) -> None:
    """A proof stage's progress as a stage event: `<stage>-progress` with (done, todo, last)."""
    notify(f"{stage}-progress", (done, todo, last))


async def _stamp_stage(store: ArchiveStore, settings: Settings, dry_run: bool,
                       on_token: Callable[[int, int, str], None] | None) -> StampReport:
    from .proof.stamp import run_stamp

    assert settings.tsa_url
    return await run_stamp(store, settings.tsa_url, settings.network(), timeout=settings.tsa_timeout,
                           interval=settings.tsa_interval, dry_run=dry_run, on_token=on_token)


async def _archive_stage(store: ArchiveStore, settings: Settings, urls: list[str], found: LintResult,
                         dry_run: bool, on_capture: Callable[[CaptureResult], None] | None = None,
                         on_result: Callable[[ArchiveResult], None] | None = None,
                         on_stage: Callable[[str, Any], None] | None = None,
                         queue: Queued | None = None) -> ArchiveOutcome:
    import httpx

    from .wayback.client import WaybackClient, http_client
    from .wayback.policy import archive_urls

    notices = []
    if not settings.has_keys:
        notices.append("no Internet Archive keys, so lookups only: set IA_ACCESS_KEY and IA_SECRET_KEY "
                       "(from https://archive.org/account/s3.php) to submit live links")
    timeout = httpx.Timeout(settings.wayback_timeout, connect=settings.connect_timeout)
    captures = None
    async with http_client(settings.wayback_url, timeout, settings.network()) as http:
        client = WaybackClient(http, settings.wayback_config())
        if on_stage:
            client.save_pacer.on_wait = partial(on_stage, "archive-wait")
        if queue is not None and not dry_run:  # the workers archive; a dry run writes nothing: it runs here
            report = await _scale("archives").archive_queued(store, urls, settings.archive_policy(),
                                                             stall_timeout=queue.stall_timeout)
        else:
            report = await archive_urls(store, client, urls, settings.archive_policy(), dry_run=dry_run,
                                        on_result=on_result, on_total=on_stage and partial(on_stage, "archive-start"))
        if settings.capture_settings().asked:
            captures = await _capture_stage(store, settings, urls, client, dry_run, on_capture)
    if report.outage:  # one line, the queue kept, exit 3 (cli); an outage is never reported as "failed"
        queued = report.summary["queued"]
        notices.append(f"{' '.join(report.outage.split())}; {counted(queued, 'link')} "
                       f"{'stays' if queued == 1 else 'stay'} queued "
                       + (f"until {report.resume_at}" if report.resume_at else "for the next run"))
    if captures is not None:
        report.captures = captures.as_dict()  # in the archive stage's JSON
        if captures.outage:
            notices.append(captures.outage)
    documents = _documents_read(found)
    report.results = [_places_in(r, documents) for r in report.results]
    return ArchiveOutcome(report, notices, found.errors, captures, documents)


def _documents_read(found: LintResult) -> tuple[str, ...]:
    """The paths of the documents a stage read, in the order given: what its output shows."""
    return tuple(dict.fromkeys(d.path for d in found.documents if d.error is None))


def _places_in(result: ArchiveResult, documents: Sequence[str]) -> ArchiveResult:
    """`result` with the places of `documents` only (`archive a.txt` shows a.txt's notes, not every
    document citing the URL); a job resumed from another run, cited in none of them, keeps its own."""
    places = tuple(p for p in result.places if p.document in documents)
    if not places or len(places) == len(result.places):
        return result
    return replace(result, places=places, notes=tuple(dict.fromkeys(p.note for p in places if p.note)))


async def _capture_stage(store: ArchiveStore, settings: Settings, urls: list[str], wayback, dry_run: bool,
                         on_capture: Callable[[CaptureResult], None] | None) -> CaptureReport:
    """Capture QA, other archives through Memento, and quotes (archiver/captures/stage.py)."""
    import httpx

    from .captures.stage import Clients, run_captures

    clients = Clients(settings.network(), httpx.Timeout(settings.wayback_timeout, connect=settings.connect_timeout))
    try:
        return await run_captures(store, clients, urls, settings.capture_settings(), wayback=wayback,
                                  dry_run=dry_run, on_result=on_capture)
    finally:
        await clients.aclose()


__all__ = ["ArchiveOutcome", "CheckReport", "EditorReport", "LintResult", "LintStream", "Queued", "RunResult", "annotate",
           "archive", "browse",
           "check",
           "copy_store", "export_wacz", "export_warc", "interrupt", "lint", "lint_stream", "load_settings", "problems", "problems_as_read",
           "record", "report", "run", "stamp", "upgrade_store", "verify", "worker"]
