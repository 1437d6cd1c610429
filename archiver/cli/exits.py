"""The exit codes, and the one policy every command uses to choose among them.

    0    clean
    1    problems found (at or above --fail-on)
    2    usage or configuration error (a bad option value, an invalid archiver.toml)
    3    runtime error (unreadable document, database, network unavailable)
    130  interrupted by SIGINT (Ctrl-C); 143 by SIGTERM
    141  stdout closed by its reader (`archiver check | head`): stops quietly, as SIGPIPE would

`handle_errors` is the edge: library exceptions become one line on stderr and their exit code.
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
import sys
import textwrap
from collections.abc import Iterable

import click

from .. import api
from ..errors import ArchiverError, ConfigError
from ..report.problems import Problem
from .terminal import error

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_RUNTIME = 0, 1, 2, 3
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
EXIT_BROKEN_PIPE = 141


def exit_code(problems: Iterable[Problem] | bool = (), *, failed: bool = False) -> int:
    """The exit-code policy of every command. 3 when it could not do all its work (a document
    unreadable, the network or the Wayback Machine unavailable): what it could not see may hide a
    problem, so that is never "clean". Else 1 when a problem counts at --fail-on (`problems`: the
    problem list, of which acknowledged ones never count, or whether any counts). Else 0."""
    if failed:
        return EXIT_RUNTIME
    counted = problems if isinstance(problems, bool) else any(p.counts for p in problems)
    return EXIT_PROBLEMS if counted else EXIT_OK


def exit_help(problems: str, runtime: str = "unreadable file, database") -> str:
    """The exit codes as every command's --help ends: `problems` are what counts at --fail-on."""
    text = (f"Exit codes: 0 clean, 1 {problems} at or above --fail-on (acknowledged ones never count), "
            f"2 usage or configuration error, 3 runtime error ({runtime}), 130/143 interrupted "
            "(SIGINT/SIGTERM).")
    return "\n\b\n" + textwrap.fill(text, 92) + "\n"


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
