"""The command line: parse options -> Settings -> library call -> render. Nothing else lives here.

stdout carries data only; progress, logs and warnings go to stderr.
Exit codes: 0 clean, 1 problems at or above --fail-on, 2 usage error, 3 runtime error.
"""

from __future__ import annotations

import functools
import sys

import click

from . import __version__
from .errors import ArchiverError
from .findings import SEVERITIES
from .lint import lint_paths, unified_diff, worst_at_least
from .report import LINT_RENDERERS

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


@main.command(epilog=EXIT_CODES_HELP)
@paths_argument
@click.option("--db", default=None, help="The archive database.  [default: archive.db]")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="error", show_default=True,
              help="Exit 1 when any lint finding is at or above this severity.")
@click.option("--base-url", help="Resolve relative links in HTML against this URL.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (archiver.toml).")
@click.option("--lint-only", is_flag=True, help="Only extract, repair and record citations; fetch nothing.")
@handle_errors
def run(paths, db, fail_on, base_url, config_path, lint_only):
    """Run every stage on PATHS (default sources.txt) into archive.db: the cron entry point.

    Lints the documents and records their citations and findings; re-running the same input adds
    nothing twice.

    \b
    Example:
        archiver run sources.txt --db archive.db
        0 3 * * *  cd ~/report && archiver run notes.txt >> archiver.log 2>&1
    """
    from .config import load_settings
    from .store import Store

    settings = load_settings(config_path, db=db)
    docs = _lint(paths, "text", base_url, None)
    with Store(settings.db) as store:
        store.lock()
        run_id = store.start_run("run")
        for d in docs:
            if d.document:
                store.save_document(d.path, d.document.format, d.document.sha256, d.repaired)
        from .lint import summarize

        summary = summarize(docs)
        store.finish_run(run_id, "ok", summary)
        counts = store.counts()
    click.echo(f"lint: {summary['citations']} citations, {summary['urls']} URLs, "
               f"{summary['error']} errors, {summary['warning']} warnings -> {settings.db} "
               f"({counts['citations']} citations, {counts['urls']} URLs stored)", err=True)
    if any(d.error for d in docs):
        sys.exit(EXIT_RUNTIME)
    sys.exit(EXIT_PROBLEMS if worst_at_least(docs, fail_on) else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()
