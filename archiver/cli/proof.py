"""`archiver stamp` and `archiver verify`: RFC 3161 trusted timestamps (docs/proof.md)."""

from __future__ import annotations

import sys

import click

from .. import api
from ..report.render.common import counted
from .exits import exit_code, exit_help, handle_errors
from .options import config_option, db_option, network_options, settings_from, tsa_option
from .progress import Progress
from .terminal import VERBOSITY, detail, info, verbosity_options


@click.command(epilog=exit_help("a token refused", "unreadable database, the authority unreachable"))
@db_option
@tsa_option
@click.option("--dry-run", is_flag=True, help="Say how many digests would be stamped; ask for nothing.")
@network_options
@config_option
@verbosity_options
@handle_errors
def stamp(db, tsa_url, dry_run, proxy, ca_bundle, config_path):
    """Ask the time-stamping authority for a token over every snapshot and screenshot without one.

    \b
    `archiver check` and `run` do this for new snapshots when an authority is configured (--tsa
    or tsa_url); this command stamps what they could not (the authority was unreachable) or
    what was stored before one was configured. One request at a time, tsa_interval seconds
    apart; after 3 failures in a row it stops, and the rest waits for the next run.

    \b
    Example:
        archiver stamp --tsa https://freetsa.org/tsr
        archiver stamp --dry-run
    """
    settings = settings_from(config_path, db=db, tsa_url=tsa_url, proxy=proxy, ca_bundle=ca_bundle)
    progress = Progress()
    try:
        report = api.stamp(settings, dry_run=dry_run,
                           on_token=lambda done, todo, sha: progress.on_stage("stamp-progress", (done, todo, sha)))
    finally:
        progress.close()
    say_stamps(report)
    sys.exit(exit_code(bool(report.refused), failed=bool(report.outage)))


def evidence_stopped(check) -> bool:
    """A screenshot or stamp stage after a check stopped by its outage guard: a runtime error (exit 3)."""
    return bool(check.stamps and check.stamps.outage or check.shots and check.shots.outage)


def say_shots(report) -> None:
    """The screenshot stage's line on stderr; why it stopped even with --quiet."""
    if report.dry_run:
        info(f"screenshot: {counted(report.todo, 'page')} would be drawn (dry run: no browser started)")
        return
    for failed in report.failed:
        detail(f"screenshot: failed: {failed}")
    for url in report.late:
        detail(f"screenshot: drawn before its load event ended: {url}")
    late = f" ({len(report.late)} before their load event ended)" if report.late else ""
    info(f"screenshot: {counted(report.taken, 'page')} drawn{late}, {len(report.failed)} failed")
    if report.outage:
        click.echo(f"archiver: error: {report.outage}", err=True)


def say_stamps(report) -> None:
    """The stamp stage's line on stderr; why it stopped even with --quiet (it is why the exit is 3)."""
    if report.dry_run:
        info(f"stamp: {counted(report.todo, 'digest')} would be stamped by {report.tsa} (dry run: nothing asked)")
        return
    for refused in report.refused:
        detail(f"stamp: refused: {refused}")
    info(f"stamp: {counted(report.stamped, 'token')} from {report.tsa}, {len(report.refused)} refused, "
         f"{report.waiting} waiting for the next run")
    if report.outage:
        wait = "waits" if report.waiting == 1 else "wait"
        click.echo(f"archiver: error: {report.outage}; {counted(report.waiting, 'digest')} {wait} for the next run",
                   err=True)


@click.command(epilog=exit_help("a token or digest that does not verify", "unreadable file or database"))
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))
@db_option
@click.option("--tsa-cert", metavar="PEM", help="The authority's certificate chain, its root included (tsa_cert).")
@config_option
@verbosity_options
@handle_errors
def verify(paths, db, tsa_cert, config_path):
    """Check RFC 3161 tokens and digests offline: archive.db's, or those of PATHS.

    \b
    Without PATHS: every token in archive.db verifies with the authority's chain (--tsa-cert)
    and is over the digest recorded, and each stamped snapshot and screenshot still hashes to
    it (a body changed after it was stamped fails). A WACZ: every file's digest, the
    datapackage's digest and token, each snapshot token over a record in its WARC. Any other
    file: its token beside it as FILE.tsr (what `archiver export --warc` writes). Nothing is fetched.

    \b
    Example:
        archiver verify --tsa-cert freetsa-chain.pem
        archiver verify evidence.wacz evidence.warc.gz --tsa-cert freetsa-chain.pem
    """
    settings = settings_from(config_path, db=db, tsa_cert=tsa_cert)
    report = api.verify(paths, settings)
    for verdict in report.verdicts:
        if verdict.why:
            click.echo(f"FAILED {verdict.what}: {verdict.why}")
        elif VERBOSITY.level >= 2:
            click.echo(f"ok     {verdict.what}: stamped {verdict.gen_time}")
    if not report.verdicts:
        info("verify: the archive holds no timestamp tokens to check (archiver stamp --tsa URL asks for them)")
    info(f"verify: {len(report.verdicts) - len(report.bad)} verified ({counted(report.tokens, 'token')}), {len(report.bad)} failed")
    sys.exit(exit_code(bool(report.bad)))
