"""What the command line says on stderr: one-line errors, progress and details by verbosity, and the
status line a check shows on a terminal. Only the CLI imports this module."""

from __future__ import annotations

import os
import sys
import time

import click


def error(message: str) -> None:
    click.echo(f"archiver: error: {message}", err=True)


def colour_on(stream) -> bool:
    """Colour for `stream` only when it is a terminal and NO_COLOR (https://no-color.org) is unset or empty."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def columns(fallback: int = 120) -> int:
    """The width to lay text out in: $COLUMNS when set, else the terminal's, else `fallback` (a pipe, a file)."""
    import shutil  # only here (with bz2 and lzma: 3 ms to import)

    return shutil.get_terminal_size((fallback, 24)).columns


class _Verbosity:
    level = 1  # 0: --quiet (errors and the problem list), 1: normal, 2: --verbose


VERBOSITY = _Verbosity()


def info(message: str) -> None:
    """Progress and summaries on stderr; silent with --quiet."""
    if VERBOSITY.level >= 1:
        click.echo(message, err=True)


def detail(message: str) -> None:
    """What only --verbose shows (stderr)."""
    if VERBOSITY.level >= 2:
        click.echo(message, err=True)


def verbosity_options(f):
    """-q/--quiet and -v/--verbose, for every command that runs a stage."""

    def set_quiet(ctx, param, value):
        if value:
            VERBOSITY.level = 0

    def set_verbose(ctx, param, value):
        VERBOSITY.level = 2 if value else 1

    f = click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=set_quiet, is_eager=False,
                     help="Print only errors (stderr) and the problem list (stdout): silent on a quiet night.")(f)
    return click.option("-v", "--verbose", is_flag=True, expose_value=False, callback=set_verbose, is_eager=True,
                        help="Also say what each document read changed, what was skipped, and what is "
                             "acknowledged.")(f)


class StatusLine:
    """One line on a terminal, rewritten in place at most every `every` seconds (unless `force`d)
    and erased by `clear()`: the progress of a stage on stderr. (rich's progress bar did this until
    archiver stopped depending on rich: importing it, and the httpx command line it lets httpx
    load, cost about 0.08 s of CPU on every run.)"""

    def __init__(self, stream=None, every: float = 0.1):
        self.stream = stream or sys.stderr
        self.every = every
        self.shown_at = float("-inf")
        self.showing = False

    def show(self, text: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.shown_at < self.every and not force:
            return
        self.shown_at = now
        width = max(self.columns() - 1, 10)  # one column short: a line that fills the last one wraps on some terminals
        text = "".join(c if c.isprintable() else "?" for c in text[:width])  # a URL's bytes never reach the terminal raw
        if not text.isascii():  # CJK and emoji take two columns
            from ..report.render.terminal import chop_cells

            text = chop_cells(text, width)[0]
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self.showing = True

    def columns(self) -> int:
        """$COLUMNS, else the width of the terminal this line is on (stdout may be a file meanwhile)."""
        if os.environ.get("COLUMNS", "").isdigit():
            return int(os.environ["COLUMNS"])
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            return columns()

    def clear(self) -> None:
        if self.showing:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.showing = False
