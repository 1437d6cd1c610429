"""The command line: parse options -> Settings -> library call -> render. Nothing else lives here.

stdout carries data only; progress, logs and warnings go to stderr.
Exit codes: 0 clean, 1 problems at or above --fail-on, 2 usage error, 3 runtime error.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import sys
from datetime import timedelta

import click

from . import __version__
from .errors import ArchiverError
from .findings import SEVERITIES
from .config import load_settings, parse_age
from .lint import lint_paths, summarize, unified_diff, worst_at_least
from .report import ARCHIVE_RENDERERS, CHECK_RENDERERS, LINT_RENDERERS, archive_summary_line, check_summary_line
from .store import Store
from .store.checks import notes_by_url, run_checks_rows

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3
DEFAULT_INPUT = "sources.txt"

EXIT_CODES_HELP = """
\b
Exit codes: 0 clean, 1 findings at or above --fail-on (or failing/dead links),
2 usage error, 3 runtime error (unreadable file, database, network unavailable).
"""


def paths_argument(f):
    return click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))(f)


def handle_errors(f):
    """Turn library exceptions into a one-line message on stderr and exit code 3."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except ArchiverError as exc:
            click.echo(f"archiver: error: {exc}", err=True)
            sys.exit(EXIT_RUNTIME)
        except sqlite3.Error as exc:
            hint = " Free some disk space and run again." if "full" in str(exc) else ""
            click.echo(f"archiver: error: the archive database failed: {exc}. Every write is a "
                       f"transaction, so what was recorded before is intact.{hint}", err=True)
            sys.exit(EXIT_RUNTIME)
        except OSError as exc:
            click.echo(f"archiver: error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_RUNTIME)
        except KeyboardInterrupt:
            click.echo("archiver: interrupted; everything recorded so far is kept", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="archiver")
def main():
    """Extract, repair, check and archive the URLs a document cites.

    \b
    Pipeline: lint (extract + repair) -> check (fetch, classify, store) -> archive (Wayback).
    `archiver run` does all of it and is the entry point for cron.

    \b
    Example:
        archiver lint sources.txt
        archiver run sources.txt --db archive.db
    """


def _lint(paths, fmt, base_url, input_format):
    docs = list(lint_paths(paths or [DEFAULT_INPUT], base_url=base_url, fmt=input_format))
    for d in docs:
        if d.error:
            click.echo(f"archiver: error: {d.error}", err=True)
    return docs


@main.command(epilog=EXIT_CODES_HELP)
@paths_argument
@click.option("--format", "fmt", type=click.Choice(sorted(LINT_RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--diff", is_flag=True, help="Print a unified diff of each document with the confident repairs applied.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any finding is at or above this severity.")
@click.option("--base-url", help="Resolve relative links in HTML against this URL.")
@click.option("--input-format", type=click.Choice(["text", "markdown", "html"]),
              help="Read every PATH as this format instead of guessing from its name.")
@handle_errors
def lint(paths, fmt, diff, fail_on, base_url, input_format):
    """Find every cited URL in PATHS (default sources.txt), diagnose damage and propose repairs.

    One line per finding: path:line: note N: CODE name: message -> fix.
    Nothing is fetched. Finding codes are documented in docs/findings.md.

    \b
    Example:
        archiver lint sources.txt
        archiver lint report.md --format json | jq '.citations[] | select(.url == null)'
        archiver lint notes.txt --diff > fixes.patch
    """
    docs = _lint(paths, fmt, base_url, input_format)
    if diff:
        click.echo("".join(unified_diff(d.document, d.repaired) for d in docs if d.document), nl=False)
    else:
        click.echo(LINT_RENDERERS[fmt](docs), nl=False)
    if any(d.error for d in docs):
        sys.exit(EXIT_RUNTIME)
    sys.exit(EXIT_PROBLEMS if worst_at_least(docs, fail_on) else EXIT_OK)


def db_option(f):
    return click.option("--db", default=None, help="The archive database (ARCHIVER_DB).  [default: archive.db]")(f)


def check_options(f):
    options = [
        click.option("--concurrency", type=click.IntRange(1, 1024), help="URLs in flight.  [default: 32]"),
        click.option("--per-host", type=click.IntRange(1, 1024), help="Requests in flight per host.  [default: 2]"),
        click.option("--per-host-interval", type=click.FloatRange(0), help="Seconds between requests to one host.  [default: 0]"),
        click.option("--processes", type=click.IntRange(0, 64),
                     help="Worker processes that fetch (hosts are split between them); 0: one per core.  [default: 0]"),
        click.option("--timeout", type=click.FloatRange(0.1), help="Read timeout in seconds.  [default: 20]"),
        click.option("--stale", metavar="AGE", help="Only URLs not checked within AGE (7d, 12h, 30m)."),
        click.option("--allow-private", is_flag=True, default=None,
                     help="Fetch private, loopback and link-local addresses (refused by default)."),
        click.option("--user-agent", help="User-Agent header (default names archiver and its homepage)."),
        click.option("--confirm", "confirm_checks", type=click.IntRange(1), help="Failed checks before a link is dead.  [default: 3]"),
        click.option("--confirm-spacing", metavar="AGE", help="Minimum time between counted failures.  [default: 24h]"),
        click.option("--canary", "canary_url", help="A URL that must answer for the run to count as online."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (archiver.toml)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


@main.command(epilog=EXIT_CODES_HELP.replace("findings at or above --fail-on (or failing/dead links)",
                                              "some links failing or dead"))
@paths_argument
@db_option
@check_options
@click.option("--format", "fmt", type=click.Choice(sorted(CHECK_RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--base-url", help="Resolve relative links in HTML against this URL.")
@handle_errors
def check(paths, db, fmt, base_url, stale, confirm_spacing, config_path, **opts):
    """Fetch every URL cited in PATHS (default sources.txt), classify it and store what was seen.

    \b
    Each check records a fine status (ok, redirected, not-found, gone, soft-404, homepage-redirect,
    parked, login-required, blocked, legal, rate-limited, server-error, client-error, http-error,
    timeout, dns-error, connection-error, tls-error, too-many-redirects, skipped; see
    docs/statuses.md) and the link's state: a failing link is `failing` at once and `dead` only
    after --confirm failed checks at least --confirm-spacing apart; a dead link that answers
    again is `revived`. When this machine is offline, nothing changes state and the run exits 3
    saying "network unavailable".

    \b
    Example:
        archiver check sources.txt
        archiver check notes.md --stale 7d --format json > checks.json
    """
    settings = load_settings(config_path, db=db, **opts)
    docs = _lint(paths, "text", base_url, None)
    with Store(settings.db) as store:
        store.lock()
        urls = _record_documents(store, docs)
        run = _check_stage(store, settings, urls, stale, confirm_spacing)
        summary = run.summary()
        notes = notes_by_url(store, run.run_id)
        rows = run_checks_rows(store, run.run_id, problems_first=fmt in ("text", "markdown", "html"))
        for chunk in CHECK_RENDERERS[fmt](rows, lambda u: notes.get(u, []), summary):
            click.echo(chunk, nl=False)
    sys.exit(_check_exit(run, docs))


def _record_documents(store, docs) -> list[str]:
    """Record each document's citations; return the URLs to work on. The citations themselves are
    dropped from memory here (they are in archive.db now): a 50,000-URL run stays small."""
    urls: list[str] = []
    for d in docs:
        if d.document:
            store.save_document(d.path, d.document.format, d.document.sha256, d.repaired)
            urls.extend(r.url for r in d.repaired if r.url)
            d.repaired = []
            d.document = None
    return list(dict.fromkeys(urls))


def _check_stage(store, settings, urls, stale, confirm_spacing):
    from .check.fetch import FetchSettings, make_client
    from .check.run import run_checks
    from .check.state import ConfirmPolicy
    from .check.workers import default_processes

    fs = FetchSettings(
        concurrency=settings.concurrency, per_host=settings.per_host,
        per_host_interval=settings.per_host_interval, read_timeout=settings.timeout,
        retries=settings.retries, max_body=settings.max_body, allow_private=settings.allow_private,
        **({"user_agent": settings.user_agent} if settings.user_agent else {}))
    spacing = timedelta(seconds=parse_age(confirm_spacing)) if confirm_spacing else \
        timedelta(hours=settings.confirm_spacing_hours)
    policy = ConfirmPolicy(settings.confirm_checks, spacing)
    progress = _Progress(len(urls))

    async def go():
        async with make_client(fs) as client:
            return await run_checks(store, urls, client, fs, policy=policy,
                                    stale=timedelta(seconds=parse_age(stale)) if stale else None,
                                    canary=settings.canary_url, outage_share=settings.outage_share,
                                    on_result=progress.advance,
                                    processes=settings.processes or default_processes())

    try:
        run = asyncio.run(go())
    finally:
        progress.close()
    if run.offline:
        click.echo(f"archiver: network unavailable: {run.offline_reason}. Recorded as inconclusive; "
                   "no link changed state. Check this machine's connection and run again.", err=True)
    return run


def _check_exit(run, docs) -> int:
    if run.offline or any(d.error for d in docs):
        return EXIT_RUNTIME
    return EXIT_PROBLEMS if run.problems else EXIT_OK


class _Progress:
    """A progress bar on a terminal; a quiet line every 100 URLs otherwise (both on stderr)."""

    def __init__(self, total: int):
        self.total, self.done = total, 0
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)
            self.bar.start()
            self.task = self.bar.add_task("checking", total=total)

    def advance(self, outcome) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=f"{outcome.state} {outcome.url[:60]}")
        elif self.done % 100 == 0:
            click.echo(f"checked {self.done}/{self.total}", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def archive_options(f):
    options = [
        click.option("--wayback-url", help="Base URL of the Wayback Machine: every endpoint (save, status, CDX, "
                     "availability) under it (ARCHIVER_WAYBACK_URL).  [default: https://web.archive.org]"),
        click.option("--if-not-archived-within", "archived_within", metavar="AGE",
                     help="A capture this recent counts as archived.  [default: 30d]"),
        click.option("--dry-run", is_flag=True, help="Show what would be submitted; submit and write nothing."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


ARCHIVE_EXIT_HELP = """
\b
Exit codes: 0 every link archived or matched, 1 some link failed, has no capture or is
queued (no keys, quota), 2 usage error, 3 runtime error.
"""


@main.command(epilog=ARCHIVE_EXIT_HELP)
@paths_argument
@db_option
@archive_options
@click.option("--format", "fmt", type=click.Choice(sorted(ARCHIVE_RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (archiver.toml).")
@click.option("--base-url", help="Resolve relative links in HTML against this URL.")
@handle_errors
def archive(paths, db, wayback_url, archived_within, dry_run, fmt, config_path, base_url):
    """Preserve the URLs cited in PATHS (default sources.txt) in the Wayback Machine.

    \b
    Live links (as the last `archiver check` saw them) are looked up in CDX and submitted to Save
    Page Now 2 only when no capture within --if-not-archived-within exists; submissions are paced
    under the account's limits, jobs are polled, and a killed run resumes its pending jobs without
    resubmitting. Dead, failing, soft-404 and parked links are matched to the capture nearest the
    citation's access date (before it first, then after). facebook.com, instagram.com, x.com & co.
    are not submitted: Wayback usually stores only their login wall.
    Keys: IA_ACCESS_KEY and IA_SECRET_KEY (https://archive.org/account/s3.php); without them,
    lookups only.

    \b
    Example:
        archiver check sources.txt && archiver archive sources.txt
        archiver archive notes.md --dry-run --format json
    """
    settings = load_settings(config_path, db=db, wayback_url=wayback_url)
    docs = _lint(paths, "text", base_url, None)
    with Store(settings.db) as store:
        store.lock()
        urls = _record_documents(store, docs)
        report = _archive_stage(store, settings, urls, archived_within, dry_run)
        click.echo(ARCHIVE_RENDERERS[fmt](report), nl=False)
    sys.exit(_archive_exit(report, docs))


def _archive_stage(store, settings, urls, archived_within, dry_run):
    import httpx

    from .wayback.policy import ArchiveSettings, archive_urls
    from .wayback.client import WaybackClient, WaybackConfig, WaybackKeys

    days = parse_age(archived_within) / 86400 if archived_within else settings.if_not_archived_within_days
    keys = WaybackKeys(settings.ia_access_key, settings.ia_secret_key) if settings.has_keys else None
    config = WaybackConfig(base_url=settings.wayback_url, keys=keys, save_per_minute=settings.saves_per_minute,
                           cdx_per_minute=settings.cdx_per_minute)
    policy = ArchiveSettings(if_not_archived_within_days=days, poll_interval=settings.poll_interval,
                             poll_timeout=settings.poll_timeout, force_login_walled=settings.force_login_walled)
    if keys is None:
        click.echo("archiver: no Internet Archive keys, so lookups only: set IA_ACCESS_KEY and IA_SECRET_KEY "
                   "(from https://archive.org/account/s3.php) to submit live links", err=True)
    async def go():
        async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=15), follow_redirects=False) as http:
            client = WaybackClient(http, config)
            return await archive_urls(store, client, urls, policy, dry_run=dry_run)

    return asyncio.run(go())


def _archive_exit(report, docs) -> int:
    if any(d.error for d in docs):
        return EXIT_RUNTIME
    bad = sum(report.summary.get(k, 0) for k in ("failed", "no-capture", "queued"))
    return EXIT_PROBLEMS if bad else EXIT_OK


@main.command(epilog=EXIT_CODES_HELP)
@paths_argument
@db_option
@check_options
@archive_options
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any lint finding is at or above this severity.")
@click.option("--base-url", help="Resolve relative links in HTML against this URL.")
@click.option("--lint-only", is_flag=True, help="Only extract, repair and record citations; fetch nothing.")
@click.option("--no-archive", is_flag=True, help="Stop after the check stage.")
@handle_errors
def run(paths, db, fail_on, base_url, lint_only, no_archive, stale, confirm_spacing, config_path, wayback_url,
        archived_within, dry_run, **opts):
    """Run every stage on PATHS (default sources.txt) into archive.db: the cron entry point.

    \b
    1. lint: extract and repair citations, record them and their findings;
    2. check: fetch every URL, classify it, store snapshots and history;
    3. archive: submit live links to the Wayback Machine, match dead ones to old captures
       (skipped when the network is unavailable).
    Re-running the same input adds no citation twice. A killed run resumes where it stopped.

    \b
    Example:
        archiver run sources.txt --db archive.db
        0 3 * * *  cd ~/report && archiver run notes.txt --stale 20h >> archiver.log 2>&1
    """
    settings = load_settings(config_path, db=db, wayback_url=wayback_url, **opts)
    docs = _lint(paths, "text", base_url, None)
    with Store(settings.db) as store:
        store.lock()
        summary = summarize(docs)
        lint_code = EXIT_PROBLEMS if worst_at_least(docs, fail_on) else EXIT_OK
        urls = _record_documents(store, docs)
        click.echo(f"lint: {summary['citations']} citations, {summary['urls']} URLs, {summary['error']} errors, "
                   f"{summary['warning']} warnings -> {settings.db}", err=True)
        if lint_only:
            sys.exit(EXIT_RUNTIME if any(d.error for d in docs) else lint_code)
        crun = _check_stage(store, settings, urls, stale, confirm_spacing)
        click.echo("check: " + check_summary_line(crun.summary(), network=False), err=True)
        codes = [lint_code, _check_exit(crun, docs)]
        if not no_archive and not crun.offline:
            report = _archive_stage(store, settings, urls, archived_within, dry_run)
            click.echo(archive_summary_line(report.summary), err=True)
            codes.append(_archive_exit(report, docs))
    sys.exit(EXIT_RUNTIME if EXIT_RUNTIME in codes else max(codes))


if __name__ == "__main__":  # pragma: no cover
    main()
