"""The command line: parse options -> Settings -> library call -> render. Nothing else lives here.

stdout carries data only; progress, logs and warnings go to stderr.
Exit codes: 0 clean, 1 problems at or above --fail-on, 2 usage error, 3 runtime error.
"""

from __future__ import annotations

import sys

import click

from .. import __version__, api
from ..config import Settings, load_settings, parse_age
from ..extract import FORMATS
from ..lint.findings import SEVERITIES
from ..lint.run import unified_diff
from ..report.problems import NEW, in_document_order
from ..report.results import ARCHIVE_RENDERERS, CHECK_RENDERERS, LINT_RENDERERS, archive_summary_line, check_summary_line, problem_lines
from .terminal import EXIT_OK, EXIT_PROBLEMS, EXIT_RUNTIME, VERBOSITY, StatusLine, detail, handle_errors, info, verbosity_options

EXIT_CODES_HELP = """
\b
Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or configuration
error, 3 runtime error (unreadable file, database), 130/143 interrupted (SIGINT/SIGTERM).
"""

CHECK_EXIT_HELP = """
\b
Exit codes: 0 clean, 1 a failing or dead link (with --fail-on new: one that became failing
or dead, or whose text changed, in this run; acknowledged links never count), 2 usage or
configuration error, 3 runtime error (unreadable file, database, network unavailable),
130/143 interrupted (SIGINT/SIGTERM): the next run resumes.
"""


def paths_argument(f):
    return click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))(f)


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


def _settings(config_path=None, *, stale=None, confirm_spacing=None, archived_within=None, **given) -> Settings:
    """The CLI's options (None: not given) over archiver.toml, the environment and the defaults."""
    if stale:
        given["stale_seconds"] = parse_age(stale)
    if confirm_spacing:
        given["confirm_spacing_hours"] = parse_age(confirm_spacing) / 3600
    if archived_within:
        given["if_not_archived_within_days"] = parse_age(archived_within) / 86400
    return load_settings(config_path, **given)


def input_options(f):
    """How documents are read: every command that reads them takes these."""
    f = click.option("--input-format", type=click.Choice(FORMATS),
                     help="Read every PATH as this format instead of guessing from its name and content.")(f)
    return click.option("--base-url", help="Resolve relative links in HTML and Markdown against this URL.")(f)


def _report_unreadable(errors: list[str]) -> None:
    for error in errors:
        click.echo(f"archiver: error: {error}", err=True)


@main.command(epilog=EXIT_CODES_HELP)
@paths_argument
@click.option("--format", "fmt", type=click.Choice(sorted(LINT_RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--diff", is_flag=True, help="Print a unified diff of each document with the confident repairs applied.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any finding is at or above this severity.")
@input_options
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
    settings = _settings(base_url=base_url, input_format=input_format)
    found: api.LintResult | api.LintStream
    if diff:
        found = whole = api.lint(paths, settings)
        _report_unreadable(whole.errors)
        click.echo("".join(unified_diff(d.document, d.repaired) for d in whole.documents if d.document), nl=False)
    else:  # streamed: one document's citations wait on disk, not in memory (LintStream)
        found = stream = api.lint_stream(paths, settings)
        _echo_blocks(LINT_RENDERERS[fmt](_unreadable_told(stream), stream.summary))
    if found.errors:
        sys.exit(EXIT_RUNTIME)
    sys.exit(EXIT_PROBLEMS if found.at_least(fail_on) else EXIT_OK)


def _echo_blocks(chunks, size: int = 1 << 16) -> None:
    """Write a renderer's chunks in blocks of about `size` characters: click.echo costs ~20 µs a
    call, as much as rendering a citation."""
    block: list[str] = []
    held = 0
    for chunk in chunks:
        block.append(chunk)
        held += len(chunk)
        if held >= size:
            click.echo("".join(block), nl=False)
            block, held = [], 0
    click.echo("".join(block), nl=False)


def _unreadable_told(docs):
    """The documents, each one that cannot be read said on stderr as it comes."""
    for d in docs:
        if d.error:
            _report_unreadable([d.error])
        yield d


def db_option(f):
    return click.option("--db", default=None, help="The archive database (ARCHIVER_DB).  [default: archive.db]")(f)


def check_options(f):
    options = [
        click.option("--concurrency", type=click.IntRange(1, 1024), help="URLs in flight.  [default: 64]"),
        click.option("--per-host", type=click.IntRange(1, 1024),
                     help="Requests in flight per host at first; grows on quick answers.  [default: 2]"),
        click.option("--per-host-max", type=click.IntRange(1, 1024),
                     help="Cap of the per-host limit; it halves on 429, 503, Retry-After or a timeout.  [default: 8]"),
        click.option("--per-host-interval", type=click.FloatRange(0), help="Seconds between requests to one host.  [default: 0]"),
        click.option("--processes", type=click.IntRange(0, 64),
                     help="Worker processes that fetch (hosts are split between them); 0: one per core but one, at most 4.  [default: 0]"),
        click.option("--timeout", type=click.FloatRange(0.1), help="Read timeout in seconds.  [default: 20]"),
        click.option("--stale", metavar="AGE", help="Only URLs without a conclusive check within AGE (7d, 12h, 30m); "
                     "checks that could not tell do not count."),
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


@main.command(epilog=CHECK_EXIT_HELP)
@paths_argument
@db_option
@check_options
@click.option("--format", "fmt", type=click.Choice(sorted(CHECK_RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--fail-on", type=click.Choice(["broken", NEW]), default="broken", show_default=True,
              help="Exit 1 for any failing or dead link, or only (new) for links that became failing or dead, "
                   "or whose text changed, in this run. Acknowledged links never count.")
@input_options
@verbosity_options
@handle_errors
def check(paths, db, fmt, fail_on, base_url, input_format, stale, confirm_spacing, config_path, **opts):
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
    """
    settings = _settings(config_path, db=db, base_url=base_url, input_format=input_format, stale=stale,
                         confirm_spacing=confirm_spacing, **opts)
    progress = _Progress()
    try:
        report = api.check(paths, settings, on_result=progress.advance)
    finally:
        progress.close()
    _report_unreadable(report.unreadable)
    _say_offline(report.run)
    _say_skipped(report.run)
    if VERBOSITY.level == 0:
        problems = api.problems(settings, check=report, fail_on=fail_on)
        click.echo(problem_lines(p for p in problems if p.counts), nl=False)
    else:  # the rows shown and the problems that set the exit code: one read of archive.db
        found: list = []
        for chunk in CHECK_RENDERERS[fmt](api.problems_as_read(settings, report.rows(), fail_on, found),
                                          report.summary):
            click.echo(chunk, nl=False)
        problems = in_document_order(found, [])  # as api.problems orders them
    sys.exit(EXIT_RUNTIME if report.run.offline or report.unreadable else _problem_exit(problems))


def _problem_exit(problems) -> int:
    for p in problems:
        if p.acknowledged:
            detail(f"acknowledged: {p.place.document}: {p.place.label}: {p.what}: {p.acknowledged}")
    return EXIT_PROBLEMS if any(p.counts for p in problems) else EXIT_OK


def _say_skipped(crun) -> None:
    if crun.resumed:
        detail("check: resumed the run that was stopped before; only what it had not checked was checked")
    if crun.skipped_fresh:
        detail(f"check: {crun.skipped_fresh} URLs skipped: a conclusive check within --stale")


def _say_offline(crun) -> None:
    if crun.offline:
        click.echo(f"archiver: error: network unavailable: {crun.offline_reason}. Recorded as inconclusive; "
                   "no link changed state. Check this machine's connection and run again.", err=True)


class _Progress:
    """A status line on a terminal, erased at the end; a quiet line every 100 URLs otherwise (both on stderr)."""

    def __init__(self):
        self.done = 0
        self.line = StatusLine() if sys.stderr.isatty() and VERBOSITY.level else None

    def advance(self, outcome) -> None:
        self.done += 1
        if self.line is not None:
            self.line.show(f"checking: {self.done} checked; {outcome.state} {outcome.url}")
        elif self.done % 100 == 0:
            info(f"checked {self.done}")

    def close(self) -> None:
        if self.line is not None:
            self.line.clear()
            self.line = None


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
queued (no keys, quota; acknowledged links never count), 2 usage or configuration error,
3 runtime error (the Wayback Machine unreachable: the queue is kept), 130/143 interrupted.
"""


@main.command(epilog=ARCHIVE_EXIT_HELP)
@paths_argument
@db_option
@archive_options
@click.option("--format", "fmt", type=click.Choice(sorted(ARCHIVE_RENDERERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (archiver.toml).")
@input_options
@verbosity_options
@handle_errors
def archive(paths, db, wayback_url, archived_within, dry_run, fmt, config_path, base_url, input_format):
    """Preserve the URLs cited in PATHS (default sources.txt) in the Wayback Machine.

    \b
    Live links (as the last `archiver check` saw them) are looked up in CDX and submitted to Save
    Page Now 2 only when no capture within --if-not-archived-within exists; submissions are paced
    under the account's limits, jobs are polled, and a killed run resumes its pending jobs without
    resubmitting. Dead, failing, soft-404 and parked links are matched to the capture nearest the
    citation's access date (before it first, then after). Login-walled platforms (facebook.com, x.com & co.)
    are not submitted: Wayback usually stores only their login wall.
    Keys: IA_ACCESS_KEY and IA_SECRET_KEY (https://archive.org/account/s3.php); without them,
    lookups only.

    \b
    Example:
        archiver check sources.txt && archiver archive sources.txt
        archiver archive notes.md --dry-run --format json
    """
    settings = _settings(config_path, db=db, wayback_url=wayback_url, base_url=base_url, input_format=input_format,
                         archived_within=archived_within)
    outcome = api.archive(paths, settings, dry_run=dry_run)
    _report_unreadable(outcome.unreadable)
    _say_archive_notices(outcome)
    problems = api.problems(settings, archive=outcome)
    if VERBOSITY.level == 0:
        click.echo(problem_lines(p for p in problems if p.counts), nl=False)
    else:
        click.echo(ARCHIVE_RENDERERS[fmt](outcome.report), nl=False)
    # an unreachable Wayback Machine is exit 3, like an offline check
    sys.exit(EXIT_RUNTIME if outcome.unreadable or outcome.report.outage else _problem_exit(problems))


RUN_EXIT_HELP = """
\b
Exit codes: 0 clean, 1 problems: a lint finding at or above --fail-on, a failing or dead
link, or a link archive could not preserve (with --fail-on new: only links that became failing
or dead or whose text changed, and lint errors first seen, in this run; acknowledged problems
never count), 2 usage or configuration error, 3 runtime error (unreadable file, database,
network or Wayback Machine unavailable), 130/143 interrupted (SIGINT/SIGTERM).
"""


@main.command(epilog=RUN_EXIT_HELP)
@paths_argument
@db_option
@check_options
@archive_options
@click.option("--fail-on", type=click.Choice([*SEVERITIES, NEW]), default="error", show_default=True,
              help="Exit 1 for lint findings at or above this severity and any broken link; new: only for what "
                   "broke or changed since the previous run (the cron setting).")
@input_options
@click.option("--lint-only", is_flag=True, help="Only extract, repair and record citations; fetch nothing.")
@click.option("--no-archive", is_flag=True, help="Stop after the check stage.")
@click.option("--format", "--report-format", "report_format",
              type=click.Choice(["csv", "html", "json", "markdown", "none", "text"]), default="text",
              show_default=True, help="Format of the report that ends the run (see `archiver report`); none: no "
                                      "report. With --quiet, the problem list replaces the report.")
@click.option("--report-out", type=click.Path(dir_okay=False), help="Write the report to this file, not stdout.")
@verbosity_options
@handle_errors
def run(paths, db, fail_on, base_url, input_format, lint_only, no_archive, stale, confirm_spacing, config_path,
        wayback_url, archived_within, dry_run, report_format, report_out, **opts):
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
    settings = _settings(config_path, db=db, wayback_url=wayback_url, base_url=base_url, input_format=input_format,
                         stale=stale, confirm_spacing=confirm_spacing, archived_within=archived_within, **opts)
    _writable(report_out)
    progress = _Progress()
    try:
        result = api.run(paths, settings, lint_only=lint_only, archive=not no_archive, dry_run=dry_run,
                         on_result=progress.advance, on_stage=lambda name, value: _on_stage(name, value, settings,
                                                                                            progress))
    finally:
        progress.close()
    _report_unreadable(result.lint.errors)
    problems = api.problems(settings, lint=result.lint, check=result.check, archive=result.archive, fail_on=fail_on)
    codes = [_problem_exit(problems), EXIT_RUNTIME if result.lint.errors else EXIT_OK]
    if result.check and result.check.run.offline or result.archive and result.archive.report.outage:
        codes.append(EXIT_RUNTIME)
    if VERBOSITY.level == 0:
        click.echo(problem_lines(p for p in problems if p.counts), nl=False)
    elif report_format != "none":
        _emit_report(api.report(paths or [api.DEFAULT_INPUT], settings), report_format, report_out)
    sys.exit(EXIT_RUNTIME if EXIT_RUNTIME in codes else max(codes))


def _on_stage(name: str, value, settings, progress) -> None:
    """What `run` says on stderr as each stage ends."""
    if name == "lint":
        info(f"lint: {value['citations']} citations, {value['urls']} URLs, {value['error']} errors, "
             f"{value['warning']} warnings -> {settings.db}")
    elif name == "changes":  # during the check (the citations are recorded as its first requests leave)
        if progress.line is not None:
            progress.line.clear()
        for c in value:
            moved = f" (renamed from {c.renamed_from})" if c.renamed_from else ""
            detail(f"lint: {c.path}: {c.added} citations new, {c.removed} removed, {c.kept} unchanged{moved}")
    elif name == "check":
        progress.close()
        _say_offline(value.run)
        _say_skipped(value.run)
        info("check: " + check_summary_line(value.summary, network=False))
    elif name == "archive":
        _say_archive_notices(value)
        info(archive_summary_line(value.summary))


def _say_archive_notices(outcome) -> None:
    """The archive stage's notices on stderr; the outage one (the last) even with --quiet: it is why
    the run exits 3."""
    for i, notice in enumerate(outcome.notices):
        if outcome.report.outage and i == len(outcome.notices) - 1:
            click.echo(f"archiver: {notice}", err=True)
        else:
            info(f"archiver: {notice}")


from . import outputs as cli_outputs  # noqa: E402  (registers report, export and annotate on `main`)

_emit_report, _writable = cli_outputs.emit_report, cli_outputs.writable

if __name__ == "__main__":  # pragma: no cover
    main()
