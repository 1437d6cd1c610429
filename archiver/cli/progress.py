"""What the stages say on stderr while and after they run: progress (docs/progress.md), unreadable
documents, an offline machine, skipped URLs, the archive stage's notices."""

from __future__ import annotations

import math
import sys
import threading
import time

import click

from ..report.render.common import counted
from .terminal import VERBOSITY, StatusLine, detail, info


def report_unreadable(errors: list[str]) -> None:
    for error in errors:
        click.echo(f"archiver: error: {error}", err=True)


def say_acknowledged(problems) -> None:
    """With --verbose, the problems a person acknowledged (they never count)."""
    for p in problems:
        if p.acknowledged:
            detail(f"acknowledged: {p.place.document}: {p.place.label}: {p.what}: {p.acknowledged}")


def all_skipped(crun) -> bool:
    """Whether the check fetched none of the URLs it had (each skipped: a private address without
    --allow-private, a scheme not http(s), a malformed URL): it could not do its work."""
    return bool(crun.checked) and crun.by_status.get("skipped", 0) == crun.checked


def say_skipped(crun) -> None:
    skipped = crun.by_status.get("skipped", 0)
    if skipped:  # said even with --quiet when it is why the command exits 3
        text = (f"archiver: {skipped} of {crun.checked} URLs not fetched (a private or loopback address without "
                "--allow-private, a scheme other than http(s) or a malformed URL; each row says which)")
        if all_skipped(crun):
            click.echo(text + "; nothing was checked", err=True)
        else:
            info(text)
    if crun.resumed:
        detail("check: resumed the run that was stopped before; only what it had not checked was checked")
    if crun.skipped_fresh:
        detail(f"check: {counted(crun.skipped_fresh, 'URL')} skipped: a conclusive check within --stale")


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


UNITS = {"screenshot-progress": "pages", "stamp-progress": "digests"}  # the proof stages' events and what they count


class Progress:
    """What a stage has done, on stderr, as `check`, `archive` and `run` report it (the library's
    `on_stage` and `on_result` callbacks): done of total, percentage, rate, time left, and the archive
    stage's wait for its next submission. On a terminal: one line rewritten in place, redrawn twice
    a second so the countdowns move while nothing finishes, and erased at the end. Elsewhere (a
    log file): a whole line every `log_every` seconds while a stage runs, so a short stage adds
    nothing to the log. Nothing with --quiet."""

    def __init__(self, stream=None, *, log_every: float = 10.0, redraw: float = 0.5):
        self.stream = stream or sys.stderr
        self.log_every, self.redraw = log_every, redraw
        self.on = VERBOSITY.level > 0
        self.line = StatusLine(self.stream) if self.on and self.stream.isatty() else None
        self.stage, self.done, self.last = "", 0, ""
        self.total: int | None = 0
        self.started = self.done_at = self.wait_until = self.logged_at = 0.0
        self.paused = False
        self._lock = threading.Lock()  # the redrawing thread and the stage's callbacks draw in turn
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def on_stage(self, name: str, value) -> None:
        """The library's stage events that are progress: a stage's start (its total) and a wait."""
        if name in ("check-start", "archive-start"):
            self.start(name.split("-")[0], value)
        elif name == "archive-wait":
            self.wait_until = time.monotonic() + value
            self.update()
        elif name in UNITS:  # a proof stage: (done, total, last), done 0 as it starts
            done, total, last = value
            if self.stage != name.split("-")[0]:
                self.start(name.split("-")[0], total)
            self.done, self.last = done, last
            if done:
                self.done_at = time.monotonic()
            self.update()

    def start(self, stage: str, total: int | None) -> None:
        self.close()
        self.stage, self.total, self.done, self.last = stage, total, 0, ""
        self.started = self.done_at = self.logged_at = time.monotonic()
        self.wait_until, self.paused = 0.0, False
        if self.on and total:
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick, name="archiver-progress", daemon=True)
            self._ticker.start()

    def advance(self, outcome) -> None:
        """One URL done: a CheckOutcome (its state) or an ArchiveResult (its action)."""
        self.done += 1
        self.done_at = time.monotonic()
        self.last = f"{getattr(outcome, 'state', None) or getattr(outcome, 'action', '')} {outcome.url}"
        self.update()

    def judged(self, result) -> None:
        """One URL through the capture stage (archiver/captures/stage.py), whose total is not told."""
        if self.stage != "captures":
            self.start("captures", None)
        self.done += 1
        self.done_at = time.monotonic()
        self.last = f"{result.verdict or 'not judged'} {result.url}"
        self.update()

    def text(self) -> str:
        """"check: 120/300 URLs (40%) · 52.1/s · ETA 4 s" (and "next submission in 9 s")."""
        now = time.monotonic()
        rate = self.done / (now - self.started) if self.done and now > self.started else 0.0
        if self.total is None:  # a count without a total: no share, no ETA
            return f"{self.stage}: {self.done} judged" + (f" · {rate:.1f}/s" if rate else "")
        unit = UNITS.get(f"{self.stage}-progress", "URLs")
        parts = [f"{self.stage}: {self.done}/{self.total} {unit} ({self.done * 100 // max(self.total, 1)}%)"]
        if rate:
            parts.append(f"{rate:.1f}/s" if rate >= 1 else f"{rate * 60:.1f}/min")
            eta, idle = (self.total - self.done) / rate, now - self.done_at
            # the last few are often the slow ones: an estimate long overdue is said as what it is
            parts.append(f"ETA {duration(eta)}" if idle < max(2 * eta, 5.0) else f"none done for {duration(idle)}")
        if self.wait_until > now:
            parts.append(f"next submission in {duration(self.wait_until - now)}")
        return " · ".join(parts)

    def update(self, *, tick: bool = False) -> None:
        with self._lock:
            if not self.on or not self.stage:
                return
            if self.line is not None:
                if not (tick and self.paused):
                    self.paused = False
                    self.line.show(self.text() + (f" · {self.last}" if self.last else ""), force=tick)
                return
            if time.monotonic() - self.logged_at >= self.log_every:
                self.logged_at = time.monotonic()
                info(self.text())

    def pause(self) -> None:
        """Erase the line for a message; the next URL done draws it again."""
        with self._lock:
            if self.line is not None:
                self.line.clear()
            self.paused = True

    def _tick(self) -> None:
        while not self._stop.wait(self.redraw):
            self.update(tick=True)

    def close(self) -> None:
        """The stage ended (or was stopped): the thread ends and the line is erased."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            if self.line is not None:
                self.line.clear()
            self.stage = ""


def duration(seconds: float) -> str:
    """"8 s", "3 min 05 s", "2 h 10 min"."""
    s = max(0, math.ceil(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
