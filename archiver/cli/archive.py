"""`archiver archive`: Wayback lookups, submissions and matches."""

from __future__ import annotations

import sys

import click

from .. import api
from ..report.results import ARCHIVE_RENDERERS, capture_lines, capture_summary_line, problem_lines
from .exits import exit_code, exit_help, handle_errors
from .options import (
    archive_options,
    capture_given,
    capture_options,
    config_option,
    db_option,
    fail_on_option,
    format_option,
    input_options,
    network_options,
    paths_argument,
    queue_options,
    roles_option,
    settings_from,
)
from .progress import Progress, report_unreadable, say_acknowledged, say_archive_notices
from .terminal import VERBOSITY, info, verbosity_options


@click.command(epilog=exit_help("a link not archived", "unreadable file, database, the Wayback Machine "
                                                     "unreachable: the queue is kept"))
@paths_argument
@db_option
@archive_options
@capture_options
@queue_options
@roles_option
@network_options
@format_option(ARCHIVE_RENDERERS)
@config_option
@fail_on_option("links not preserved: failed, without a capture or queued (no keys, quota), all errors",
                "none: a link not archived is never news")
@input_options
@verbosity_options
@handle_errors
def archive(paths, db, wayback_url, archived_within, dry_run, proxy, ca_bundle, fmt, config_path, fail_on, base_url,
            input_format, roles, verify_captures, memento, queue, stall_timeout):
    """Preserve the URLs cited in PATHS (default sources.txt) in the Wayback Machine.

    \b
    Live links (as the last `archiver check` saw them) are looked up in CDX and submitted to Save
    Page Now 2 only when no capture within --if-not-archived-within exists; submissions are paced
    under the account's limits, jobs are polled, and a killed run resumes its pending jobs without
    resubmitting. Dead, failing, soft-404 and parked links are matched to the capture nearest the
    citation's access date (before it first, then after). Login-walled platforms (facebook.com, x.com & co.)
    are not submitted: Wayback usually stores only their login wall.
    With --verify-captures each copy is fetched raw and judged before it is offered (a bad one makes
    way for the next closest good capture), and quoted text is checked; with --memento, links without
    a good copy are looked up in other web archives (docs/captures.md).
    Keys: IA_ACCESS_KEY and IA_SECRET_KEY (https://archive.org/account/s3.php); without them,
    lookups only.

    \b
    Example:
        archiver check sources.txt && archiver archive sources.txt
        archiver archive notes.md --dry-run --format json
        archiver archive notes.md --verify-captures --memento arquivo=https://arquivo.pt/wayback/timemap/link/
        archiver archive notes.md --db postgresql://archiver@db/archive --queue
    """
    settings = settings_from(config_path, db=db, wayback_url=wayback_url, base_url=base_url,
                             input_format=input_format, archived_within=archived_within, proxy=proxy, ca_bundle=ca_bundle,
                             roles=roles, **capture_given(verify_captures, memento))
    progress = Progress()
    try:
        outcome = api.archive(paths, settings, dry_run=dry_run, on_result=progress.advance, on_stage=progress.on_stage,
                              on_capture=progress.judged, queue=api.Queued(stall_timeout) if queue else None)
    finally:
        progress.close()
    report_unreadable(outcome.unreadable)
    say_archive_notices(outcome)
    problems = api.problems(settings, archive=outcome, fail_on=fail_on)
    if VERBOSITY.level == 0:
        click.echo(problem_lines(p for p in problems if p.counts), nl=False)
    else:
        click.echo(ARCHIVE_RENDERERS[fmt](outcome.report), nl=False)
        if outcome.captures is not None and fmt == "text":
            click.echo(capture_lines(outcome.captures), nl=False)
    if outcome.captures is not None and fmt != "text":
        info(capture_summary_line(outcome.captures.summary))
    say_acknowledged(problems)
    # an unreachable Wayback Machine is exit 3, like an offline check
    sys.exit(exit_code(problems, failed=bool(outcome.unreadable or outcome.outage)))
