"""`archiver lint`: extract and repair, nothing fetched."""

from __future__ import annotations

import sys

import click

from .. import api
from ..lint.run import unified_diff
from ..report.problems import NEW
from ..report.results import LINT_RENDERERS
from .exits import exit_code, exit_help, handle_errors
from .options import fail_on_option, format_option, input_options, paths_argument, settings_from
from .progress import report_unreadable


@click.command(epilog=exit_help("findings"))
@paths_argument
@format_option(LINT_RENDERERS)
@click.option("--diff", is_flag=True, help="Print a unified diff of each document with the confident repairs applied.")
@fail_on_option("findings", "lint keeps no history, so every error is new")
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
    settings = settings_from(base_url=base_url, input_format=input_format)
    found: api.LintResult | api.LintStream
    if diff:
        found = whole = api.lint(paths, settings)
        report_unreadable(whole.errors)
        click.echo("".join(unified_diff(d.document, d.repaired) for d in whole.documents if d.document), nl=False)
    else:  # streamed: one document's citations wait on disk, not in memory (LintStream)
        found = stream = api.lint_stream(paths, settings)
        _echo_blocks(LINT_RENDERERS[fmt](_unreadable_told(stream), stream.summary))
    sys.exit(exit_code(found.at_least("error" if fail_on == NEW else fail_on), failed=bool(found.errors)))


def _echo_blocks(chunks, size: int = 1 << 16) -> None:
    """Write a renderer's chunks in blocks of about `size` characters: a click.echo per citation
    would cost as much as rendering it."""
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
            report_unreadable([d.error])
        yield d
