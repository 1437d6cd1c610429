"""`archiver check`: fetch, classify and store what every cited URL answered."""

from __future__ import annotations

import sys

import click

from .. import api
from ..report.problems import in_document_order
from ..report.results import CHECK_RENDERERS, problem_lines
from .exits import exit_code, exit_help, handle_errors
from .options import check_options, db_option, fail_on_option, format_option, input_options, paths_argument, queue_options, settings_from
from .progress import Progress, all_skipped, report_unreadable, say_acknowledged, say_offline, say_skipped
from .proof import evidence_stopped, say_shots, say_stamps
from .terminal import VERBOSITY, info, verbosity_options


@click.command(epilog=exit_help("a link problem", "unreadable file, database, network unavailable"))
@paths_argument
@db_option
@check_options
@queue_options
@format_option(CHECK_RENDERERS)
@fail_on_option("links: failing or dead, error; whose text changed or that could not be judged, warning",
                "a link that became failing or dead, or whose text changed, in this run")
@input_options
@verbosity_options
@handle_errors
def check(paths, db, fmt, fail_on, base_url, input_format, stale, confirm_spacing, config_path, queue,
          stall_timeout, **opts):
    """Fetch every URL cited in PATHS (default sources.txt), classify it and store what was seen.

    \b
    Each check records a fine status (ok, redirected, not-found, gone, soft-404, homepage-redirect,
    parked, login-required, blocked, legal, rate-limited, server-error, client-error, http-error,
    timeout, dns-error, connection-error, tls-error, too-many-redirects, skipped; see
    docs/statuses.md) and the link's state: a failing link is `failing` at once and `dead` only
    after --confirm failed checks at least --confirm-spacing apart; a dead link that answers
    again is `revived`. When this machine is offline, nothing changes state and the run exits 3
    saying "network unavailable". Output is in document order, each URL with the document and
    note (or line) citing it; a check that could not tell has `alive: null` in JSON.

    \b
    Example:
        archiver check sources.txt
        archiver check notes.md --stale 7d --format json > checks.json
        archiver check notes.md --quiet --fail-on new
        archiver check notes.md --db postgresql://archiver@db/archive --queue
    """
    settings = settings_from(config_path, db=db, base_url=base_url, input_format=input_format, stale=stale,
                             confirm_spacing=confirm_spacing, **opts)
    progress = Progress()
    try:
        report = api.check(paths, settings, on_result=progress.advance, on_stage=progress.on_stage,
                           queue=api.Queued(stall_timeout) if queue else None)
    finally:
        progress.close()
    report_unreadable(report.unreadable)
    say_offline(report.run)
    say_skipped(report.run)
    if VERBOSITY.level == 0:
        problems = api.problems(settings, check=report, fail_on=fail_on)
        click.echo(problem_lines(p for p in problems if p.counts), nl=False)
    else:  # the rows shown and the problems that set the exit code: one read of archive.db
        found: list = []
        seen: set[str] = set()
        for chunk in CHECK_RENDERERS[fmt](_noting(api.problems_as_read(settings, report.rows(), fail_on, found), seen),
                                          report.summary):
            click.echo(chunk, nl=False)
        skipped = api.skipped_problems(settings, report, fail_on, seen)
        if skipped:  # not among the rows shown: said on stderr, and they count
            info("check: skipped as fresh (--stale) but still broken:\n" + problem_lines(skipped).rstrip("\n"))
        problems = in_document_order(found + skipped, list(report.documents))  # as api.problems orders them
    say_acknowledged(problems)
    if report.shots:
        say_shots(report.shots)
    if report.stamps:
        say_stamps(report.stamps)
    failed = report.run.offline or report.unreadable or all_skipped(report.run) or evidence_stopped(report)
    sys.exit(exit_code(problems, failed=bool(failed)))


def _noting(rows, seen: set[str]):
    """`rows` passed through, each URL noted in `seen`."""
    for row in rows:
        seen.add(row.url)
        yield row
