"""The command line: parse options -> Settings -> api call -> render. Only this package talks to the
terminal; `archiver.cli.main` is the click group."""

from .main import main

__all__ = ["main"]
