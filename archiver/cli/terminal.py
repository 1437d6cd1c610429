"""The command line's edge with the terminal: exit codes, signals, broken pipes, and the one-line
messages that library exceptions become. Only the CLI imports this module.

    0    clean
    1    problems found (at or above --fail-on)
    2    usage or configuration error (a bad option value, an invalid archiver.toml)
    3    runtime error (unreadable document, database, network unavailable)
    130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM
    141  stdout closed by its reader (`archiver check | head`): stops quietly, as SIGPIPE would

A signal stops a run the same way whichever it is: SIGTERM is handed to the SIGINT handler in
force (asyncio's, during a stage: it cancels the stage, whose cleanup stops the worker processes
and leaves the run unfinished, to be resumed), and the exit code says which signal it was. Where
SIGINT is ignored (a job a shell starts in the background), SIGTERM cancels the stage through
`api.interrupt` the same way, rather than raising KeyboardInterrupt wherever the loop happens to be.
"""

from __future__ import annotations

import errno
import functools
import os
import signal
import sqlite3
import sys
import time

import click

from .. import api
from ..errors import ArchiverError, ConfigError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
EXIT_BROKEN_PIPE = 141


def error(message: str) -> None:
    click.echo(f"archiver: error: {message}", err=True)


def handle_errors(f):
    """Run a command at the edge: library exceptions become one line on stderr and an exit code;
    SIGINT and SIGTERM stop it with 130 or 143; a closed stdout (`| head`) ends it quietly."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        received = [signal.SIGINT]
        previous = _on_sigterm(received)
        try:
            return f(*args, **kwargs)
        except KeyboardInterrupt:
            name = signal.Signals(received[0]).name
            click.echo(f"archiver: interrupted ({name}); what was recorded is kept, and the next run resumes "
                       "where this one stopped", err=True)
            sys.exit(EXIT_SIGNAL[received[0]])
        except BrokenPipeError:
            _quiet_broken_pipe()
        except ConfigError as exc:
            error(str(exc))
            sys.exit(EXIT_USAGE)
        except ArchiverError as exc:
            error(str(exc))
            sys.exit(EXIT_RUNTIME)
        except sqlite3.Error as exc:
            from ..store.sqlite.failures import failure_message

            error(failure_message("the archive database (--db)", exc))
            sys.exit(EXIT_RUNTIME)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                _quiet_broken_pipe()
            error(f"{exc.filename or ''}: {exc.strerror or exc}" if exc.filename else str(exc.strerror or exc))
            sys.exit(EXIT_RUNTIME)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper


def _on_sigterm(received: list):
    """Make SIGTERM stop a command as Ctrl-C does; return the handler it replaces."""

    def handler(signum, frame):
        received[0] = signum
        sigint = signal.getsignal(signal.SIGINT)
        if callable(sigint):
            sigint(signal.SIGINT, frame)  # asyncio's handler cancels the running stage
        elif not api.interrupt():  # SIGINT ignored (a background job): the stage is cancelled all the same
            raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        return signal.getsignal(signal.SIGTERM)


def _quiet_broken_pipe() -> None:
    """The reader went away (`archiver check | head`): nothing to say, and nothing more to write.
    stdout is pointed at /dev/null so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(EXIT_BROKEN_PIPE)


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
    """One line on a terminal, rewritten in place at most every `every` seconds and erased by
    `clear()`: the progress of a check on stderr. (rich's progress bar did this until archiver
    stopped depending on rich: importing it, and the httpx command line it lets httpx load, cost
    about 0.08 s of CPU on every run.)"""

    def __init__(self, stream=None, every: float = 0.1):
        self.stream = stream or sys.stderr
        self.every = every
        self.shown_at = float("-inf")
        self.showing = False

    def show(self, text: str) -> None:
        now = time.monotonic()
        if now - self.shown_at < self.every:
            return
        self.shown_at = now
        import shutil  # on a terminal only (with bz2 and lzma: 3 ms to import)

        width = max(shutil.get_terminal_size().columns - 1, 10)
        text = "".join(c if c.isprintable() else "?" for c in text[:width])  # a URL's bytes never reach the terminal raw
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self.showing = True

    def clear(self) -> None:
        if self.showing:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.showing = False
