"""What the stages say on stderr while and after they run: progress, unreadable documents, an
offline machine, skipped URLs, the archive stage's notices."""

from __future__ import annotations

import sys

import click

from .terminal import VERBOSITY, StatusLine, detail, info


def report_unreadable(errors: list[str]) -> None:
    for error in errors:
        click.echo(f"archiver: error: {error}", err=True)


def say_acknowledged(problems) -> None:
    """With --verbose, the problems a person acknowledged (they never count)."""
    for p in problems:
        if p.acknowledged:
            detail(f"acknowledged: {p.place.document}: {p.place.label}: {p.what}: {p.acknowledged}")


def say_skipped(crun) -> None:
    if crun.resumed:
        detail("check: resumed the run that was stopped before; only what it had not checked was checked")
    if crun.skipped_fresh:
        detail(f"check: {crun.skipped_fresh} URLs skipped: a conclusive check within --stale")


def say_offline(crun) -> None:
    if crun.offline:
        click.echo(f"archiver: error: network unavailable: {crun.offline_reason}. Recorded as inconclusive; "
                   "no link changed state. Check this machine's connection and run again.", err=True)


def say_archive_notices(outcome) -> None:
    """The archive stage's notices on stderr; the outage one (the last) even with --quiet: it is why
    the run exits 3."""
    loud = {outcome.captures.outage} if outcome.captures and outcome.captures.outage else set()
    last = len(outcome.notices) - 1 - len(loud)
    for i, notice in enumerate(outcome.notices):
        if outcome.report.outage and i == last or notice in loud:
            click.echo(f"archiver: {notice}", err=True)
        else:
            info(f"archiver: {notice}")


class Progress:
    """A status line on a terminal, erased at the end; a quiet line every 100 URLs otherwise (both on stderr)."""

    def __init__(self):
        self.done = 0
        self.captures = 0
        self.line = StatusLine() if sys.stderr.isatty() and VERBOSITY.level else None

    def advance(self, outcome) -> None:
        self.done += 1
        if self.line is not None:
            self.line.show(f"checking: {self.done} checked; {outcome.state} {outcome.url}")
        elif self.done % 100 == 0:
            info(f"checked {self.done}")

    def judged(self, result) -> None:
        """One URL through the capture stage (archiver/captures/stage.py), after the check's line closed."""
        self.captures += 1
        if self.captures == 1 and self.line is None and sys.stderr.isatty() and VERBOSITY.level:
            self.line = StatusLine()
        if self.line is not None:
            self.line.show(f"captures: {self.captures} judged; {result.verdict or 'not judged'} {result.url}")
        elif self.captures % 100 == 0:
            info(f"captures: {self.captures} judged")

    def close(self) -> None:
        if self.line is not None:
            self.line.clear()
            self.line = None
