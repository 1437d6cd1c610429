"""`archiver browse`: archive.db in Datasette."""

from __future__ import annotations

import click

from .. import api
from ..report.render.common import counted
from .exits import handle_errors
from .options import config_option, db_option, settings_from


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but 127.0.0.1 lets other machines read archive.db.")
@click.option("-p", "--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port to listen on.")
@config_option
@handle_errors
def browse(db, host, port, config_path):
    """Browse archive.db in Datasette, read-only, until Ctrl-C (needs `pip install 'archiver[browse]'`).

    \b
    Every table, view and column described; canned queries: broken citations by document and
    note, newly broken, changed since cited, what to cite instead, captures by archive; full-text
    search over the text of every page archiver kept (an index built when browse starts, in a
    temporary folder, removed on exit); a page per snapshot with its headers, text and digest,
    linked to the live URL and the archived copy. archive.db is opened immutable: nothing is
    written to it. Restart browse to see what later runs stored. See docs/browse.md.

    \b
    Example:
        archiver browse --db archive.db
        archiver browse --port 8080
    """
    settings = settings_from(config_path, db=db)
    api.browse(settings, host=host, port=port, on_ready=_say_ready)


def _say_ready(url: str, indexed: int) -> None:
    click.echo(f"browse: {counted(indexed, 'snapshot')} indexed for search; serving {url} (Ctrl-C to stop)", err=True)
