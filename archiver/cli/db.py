"""`archiver db`: the archive itself, whatever the store: `db copy` moves it between SQLite and
PostgreSQL; `db upgrade` brings it to this archiver's schema."""

from __future__ import annotations

import click

from .. import api
from ..store import redacted
from .exits import handle_errors


@click.group()
def db():
    """The archive database itself.

    \b
    Example:
        archiver db copy archive.db postgresql://archiver@db.example/archiver
    """


@db.command("upgrade")
@click.argument("db_url", metavar="DB")
@handle_errors
def upgrade(db_url):
    """Bring the archive DB (a path or postgresql://…) to this archiver's schema.

    Every command that writes (lint's record, check, archive, run) upgrades the database as it
    opens it. The readers (report, export, annotate) only read it: given one an older archiver
    wrote, they stop and name this command, which the database's owner runs once.

    \b
    Exit codes: 0 upgraded (or already current), 2 usage error, 3 the upgrade failed.

    \b
    Example:
        archiver db upgrade archive.db
    """
    api.upgrade_store(db_url)
    click.echo(f"{redacted(db_url)}: the schema is current", err=True)


@db.command("copy")
@click.argument("src")
@click.argument("dst")
@handle_errors
def copy(src, dst):
    """Copy the archive SRC into the new, empty store DST, then verify the copy.

    SRC and DST are each an archive.db path, sqlite:///path or postgresql://user@host/database
    (PostgreSQL needs `pip install 'archiver[scale]'`). Every row is copied with its ids; the copy
    is then checked: the same number of rows in every table, and every stored page hashing to its
    SHA-256. DST must be empty: nothing is merged or overwritten. The summary goes to stderr.

    \b
    Exit codes: 0 copied and verified, 2 usage error, 3 the copy failed or did not verify.

    \b
    Example:
        archiver db copy archive.db postgresql://archiver@localhost/archiver
        archiver db copy postgresql://archiver@localhost/archiver back.db
    """
    done = api.copy_store(src, dst)
    rows = sum(done.rows.values())
    click.echo(f"copied {rows} rows ({', '.join(f'{t} {n}' for t, n in done.rows.items() if n)}); "
               f"{done.snapshots} stored pages verified by their SHA-256", err=True)
