"""`archiver run`: every stage in one event loop, the cron entry point."""

from __future__ import annotations

import sys

import click

from .. import api
from ..report.render.common import counted
from ..report.results import archive_summary_line, capture_summary_line, check_summary_line, problem_lines
from ..store import redacted
from .exits import exit_code, exit_help, handle_errors
from .options import (
    archive_options,
    capture_given,
    capture_options,
    check_options,
    db_option,
    fail_on_option,
    input_options,
    paths_argument,
    queue_options,
    settings_from,
)
from .outputs import emit_report, writable
from .progress import Progress, all_skipped, report_unreadable, say_acknowledged, say_archive_notices, say_offline, say_skipped
from .proof import evidence_stopped, say_shots, say_stamps
from .terminal import VERBOSITY, detail, info, verbosity_options


@click.command(epilog=exit_help("a problem", "unreadable file, database, network or Wayback Machine "
                                                "unavailable"))
@paths_argument
@db_option
@check_options
@queue_options
@archive_options
@capture_options
@fail_on_option("lint findings; links failing or dead, error, whose text changed or not judged, warning; links "
                "not archived, error", "the cron setting: a link that became failing or dead or whose text changed, "
                "or a lint error first seen, in this run")
@input_options
@click.option("--lint-only", is_flag=True, help="Only extract, repair and record citations; fetch nothing.")
@click.option("--no-archive", is_flag=True, help="Stop after the check stage.")
@click.option("--format", "--report-format", "report_format",
              type=click.Choice(["csv", "html", "json", "markdown", "none", "text"]), default="text",
              show_default=True, help="Format of the report that ends the run (see `archiver report`); none: no "
                                      "report. With --quiet, the problem list replaces the report.")
@click.option("--report-out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report to this file, not stdout.")
@verbosity_options
@handle_errors
def run(paths, db, fail_on, base_url, input_format, lint_only, no_archive, stale, confirm_spacing, config_path,
        wayback_url, archived_within, dry_run, report_format, report_out, verify_captures, memento, queue, stall_timeout,
        **opts):
    """Run every stage on PATHS (default sources.txt) into archive.db: the cron entry point.

    \b
    1. lint: extract and repair citations, record them and their findings;
    2. check: fetch every URL, classify it, store snapshots and history;
    3. archive: submit live links to the Wayback Machine, match dead ones to old captures
       (skipped when the network is unavailable).
    4. report: the editor's report of PATHS (see `archiver report`) on stdout or --report-out.
    Re-running the same input adds no citation twice. A killed run resumes where it stopped.
    From cron, use --quiet --fail-on new: silent, exit 0, unless something new broke.

    \b
    Example:
        archiver run sources.txt --db archive.db
        0 3 * * *  cd ~/report && archiver run notes.txt --stale 20h --quiet --fail-on new
    """
    settings = settings_from(config_path, db=db, wayback_url=wayback_url, base_url=base_url,
                             input_format=input_format, stale=stale, confirm_spacing=confirm_spacing,
                             archived_within=archived_within, **opts, **capture_given(verify_captures, memento))
    writable(report_out)
    progress = Progress()
    try:
        result = api.run(paths, settings, lint_only=lint_only, archive=not no_archive, dry_run=dry_run,
                         on_result=progress.advance,
                         on_stage=lambda name, value: _on_stage(name, value, settings, progress),
                         on_capture=progress.judged, queue=api.Queued(stall_timeout) if queue else None)
    finally:
        progress.close()
    report_unreadable(result.lint.errors)
    problems = api.problems(settings, lint=result.lint, check=result.check, archive=result.archive, fail_on=fail_on)
    say_acknowledged(problems)
    failed = bool(result.lint.errors or result.check and (result.check.run.offline or all_skipped(result.check.run)
                                                      or evidence_stopped(result.check))
                  or result.archive and result.archive.outage)
    if VERBOSITY.level == 0:
        click.echo(problem_lines(p for p in problems if p.counts), nl=False)
    elif report_format != "none" and (read := [d.path for d in result.lint.documents if d.error is None]):
        emit_report(api.report(read, settings), report_format, report_out)  # the unreadable ones are said above
    sys.exit(exit_code(problems, failed=failed))


def _on_stage(name: str, value, settings, progress) -> None:
    """What `run` says on stderr as each stage starts (progress) and ends."""
    progress.on_stage(name, value)
    if name == "lint":
        info(f"lint: {counted(value['citations'], 'citation')}, {counted(value['urls'], 'URL')}, "
             f"{counted(value['error'], 'error')}, {counted(value['warning'], 'warning')} -> {redacted(settings.db)}")
    elif name == "changes":  # during the check (the citations are recorded as its first requests leave)
        progress.pause()
        for c in value:
            moved = f" (renamed from {c.renamed_from})" if c.renamed_from else ""
            detail(f"lint: {c.path}: {counted(c.added, 'citation')} new, {c.removed} removed, {c.kept} unchanged{moved}")
    elif name == "check":
        progress.close()
        say_offline(value.run)
        say_skipped(value.run)
        info("check: " + check_summary_line(value.summary, network=False))
    elif name == "stamp":
        progress.close()
        say_stamps(value)
    elif name == "screenshot":
        progress.close()
        say_shots(value)
    elif name == "archive":
        progress.close()
        say_archive_notices(value)
        info(archive_summary_line(value.summary))
        if value.captures is not None:
            info(capture_summary_line(value.captures.summary))
