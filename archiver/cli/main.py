"""The command line: parse options -> Settings -> library call -> render. Nothing else lives here.

This module assembles the click group from one module per command (lint, check, archive, run, and
the outputs: report, export, annotate); they share options.py, exits.py, progress.py and terminal.py
and never import this module. stdout carries data only; progress, logs and warnings go to stderr.
"""

from __future__ import annotations

import click

from .. import __version__
from .archive import archive
from .browse import browse
from .check import check
from .db import db
from .lint import lint
from .outputs import annotate, export, report
from .proof import stamp, verify
from .run import run
from .worker import worker


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


for command in (lint, check, archive, run, report, export, annotate, browse, db, worker, stamp, verify):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    main()
