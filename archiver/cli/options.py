"""The options several commands share, and how the given ones become `Settings`."""

from __future__ import annotations

import click

from ..config import Settings, load_settings, parse_age
from ..extract import FORMATS
from ..report.problems import FAIL_ON


def settings_from(config_path=None, *, stale=None, confirm_spacing=None, archived_within=None, **given) -> Settings:
    """The CLI's options (None: not given) over archiver.toml, the environment and the defaults."""
    if stale:
        given["stale_seconds"] = parse_age(stale)
    if confirm_spacing:
        given["confirm_spacing_hours"] = parse_age(confirm_spacing) / 3600
    if archived_within:
        given["if_not_archived_within_days"] = parse_age(archived_within) / 86400
    return load_settings(config_path, **given)


def _stacked(options):
    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def paths_argument(f):
    return click.argument("paths", nargs=-1, type=click.Path(dir_okay=False))(f)


def db_option(f):
    return click.option("--db", default=None, help="The archive database (ARCHIVER_DB).  [default: archive.db]")(f)


def config_option(f):
    return click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (archiver.toml).")(f)


def network_options(f):
    """Where every stage's requests go and whom they trust (check, probe, archive, lookups)."""
    f = click.option("--ca-bundle", type=click.Path(dir_okay=False),
                     help="PEM file of CAs to trust instead of SSL_CERT_FILE / SSL_CERT_DIR or the bundled ones "
                     "(a TLS-inspecting proxy's CA).")(f)
    return click.option("--proxy", metavar="URL",
                        help="Proxy for every request (http://[user:password@]host:port), instead of "
                        "HTTP_PROXY / HTTPS_PROXY / ALL_PROXY; NO_PROXY still applies.")(f)


def input_options(f):
    """How documents are read: every command that reads them takes these."""
    f = click.option("--input-format", type=click.Choice(FORMATS),
                     help="Read every PATH as this format instead of guessing from its name and content.")(f)
    return click.option("--base-url", help="Resolve relative links in HTML and Markdown against this URL.")(f)


tsa_option = click.option(
    "--tsa", "tsa_url", metavar="URL", help="An RFC 3161 time-stamping authority: a token over each new snapshot's and "
    "screenshot's SHA-256 and over each export's digest (ARCHIVER_TSA_URL; docs/proof.md lists public ones).  "
    "[default: none, nothing is stamped]")

roles_option = click.option(
    "--roles", metavar="ROLES", help="The extracted URLs to take, by role, comma-separated: citation, example "
    "(reserved names and addresses), navigation (page chrome), resource (images).  [default: citation]")

check_options = _stacked([
    click.option("--concurrency", type=click.IntRange(1, 1024), help="URLs in flight.  [default: 64]"),
    click.option("--per-host", type=click.IntRange(1, 1024),
                 help="Requests in flight per host at first; grows on quick answers.  [default: 2]"),
    click.option("--per-host-max", type=click.IntRange(1, 1024),
                 help="Cap of the per-host limit; it halves on 429, 503, Retry-After or a timeout.  [default: 8]"),
    click.option("--per-host-interval", type=click.FloatRange(0), help="Seconds between requests to one host.  [default: 0]"),
    click.option("--processes", type=click.IntRange(0, 64),
                 help="Worker processes that fetch (hosts are split between them); 0: one per core but one, at most 4.  [default: 0]"),
    click.option("--timeout", type=click.FloatRange(0.1), help="Read timeout in seconds.  [default: 20]"),
    click.option("--stale", metavar="AGE", help="Only URLs without a conclusive check within AGE (7d, 12h, 30m); "
                 "checks that could not tell do not count."),
    click.option("--allow-private", is_flag=True, default=None,
                 help="Fetch private, loopback and link-local addresses (refused by default)."),
    click.option("--user-agent", help="User-Agent header (default names archiver and its homepage)."),
    click.option("--confirm", "confirm_checks", type=click.IntRange(1), help="Failed checks before a link is dead.  [default: 3]"),
    click.option("--confirm-spacing", metavar="AGE", help="Minimum time between counted failures.  [default: 24h]"),
    click.option("--canary", "canary_url", help="A URL that must answer for the run to count as online."),
    roles_option,
    click.option("--screenshot", is_flag=True, default=None,
                 help="After the check, a full-page PNG of each live cited page by headless Chromium (the "
                      "distribution's chromium package); a page is drawn again when its content changed."),
    tsa_option,
    network_options,
    config_option,
])

queue_options = _stacked([
    click.option("--queue", is_flag=True, help="Enqueue the work (checks, captures) for `archiver worker`s (a "
                 "postgresql:// --db) and wait for them, instead of doing it here; the report and exit code are the same."),
    click.option("--stall-timeout", type=click.FloatRange(1), default=30.0, show_default=True,
                 help="With --queue: seconds a worker may be silent before its jobs are given to others."),
])

archive_options = _stacked([
    click.option("--wayback-url", help="Base URL of the Wayback Machine: every endpoint (save, status, CDX, "
                 "availability) under it (ARCHIVER_WAYBACK_URL).  [default: https://web.archive.org]"),
    click.option("--if-not-archived-within", "archived_within", metavar="AGE",
                 help="A capture this recent counts as archived.  [default: 30d]"),
    click.option("--dry-run", is_flag=True, help="Show what would be submitted; submit and write nothing."),
])


capture_options = _stacked([
    click.option("--verify-captures/--no-verify-captures", "verify_captures", default=None,
                 help="Fetch each archived copy raw and judge it (soft-404, login wall, redirect stub...) before "
                      "offering it; check quoted text (docs/captures.md).  [default: off]"),
    click.option("--memento", "memento", metavar="NAME=TIMEMAP", multiple=True,
                 help="Also look for copies in this Memento archive (TimeMap URL prefix; repeatable; "
                      "memento_archives).  [default: none]"),
])


def capture_given(verify_captures, memento) -> dict:
    """The capture options as settings (None: not given)."""
    return {"verify_captures": verify_captures, "memento_archives": ",".join(memento) or None}


def format_option(choices, help: str = "Output format."):
    return click.option("--format", "fmt", type=click.Choice(sorted(choices)), default="text", show_default=True,
                        help=help)


def fail_on_option(counted: str, new: str):
    """--fail-on, one vocabulary for every command (report.problems.FAIL_ON): `counted` says which
    problems this command sees and their severities, `new` which of them are news."""
    return click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", show_default=True,
                        help=f"Exit 1 when a problem is at or above this severity ({counted}); new: only what "
                             f"changed since the previous run ({new}). Acknowledged problems never count.")
