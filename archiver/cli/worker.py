"""`archiver worker`: run the queue's jobs (a postgresql:// archive, the scale extra)."""

from __future__ import annotations

import click

from .. import api
from .exits import handle_errors
from .options import config_option, db_option, network_options, settings_from
from .terminal import info, verbosity_options


@click.command()
@db_option
@click.option("--concurrency", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Jobs this worker runs at once (each checks one host's URLs one request at a time).")
@click.option("--stall-timeout", type=click.FloatRange(1), default=30.0, show_default=True,
              help="Seconds a worker may be silent before its jobs are given to others (its heartbeat "
                   "beats four times as often).")
@click.option("--recheck", metavar="CRON", help="Also check every cited URL at these times (a cron line, "
              "e.g. '0 3 * * *'), as a queued run; with --stale, only those without a recent conclusive check.")
@click.option("--allow-private", is_flag=True, default=None,
              help="With --recheck: fetch private, loopback and link-local addresses (a queued run says so itself).")
@click.option("--save-window", type=click.FloatRange(1), default=60.0, show_default=True,
              help="Seconds over which all workers together take at most the account's saves per minute, scaled "
                   "(saves_per_minute in archiver.toml): the Save Page Now budget they share.")
@click.option("--stale", metavar="AGE", help="With --recheck: skip URLs with a conclusive check within AGE (7d, 12h).")
@click.option("--wayback-url", help="Base URL of the Wayback Machine (ARCHIVER_WAYBACK_URL).")
@network_options
@config_option
@verbosity_options
@handle_errors
def worker(db, concurrency, stall_timeout, recheck, save_window, stale, wayback_url, config_path, **opts):
    """Run jobs from the queue of a PostgreSQL archive until stopped by SIGTERM or SIGINT (it then exits
    143 or 130; 2 on a usage or configuration error, 3 when the database cannot be reached).

    `archiver check --queue` and `archiver run --queue` enqueue a run's URLs as jobs, a few URLs of one
    host each; any number of workers, on any number of machines, take them. Per-host limits hold
    across all of them: at most --per-host-max of a host's jobs run at once, each one request at a
    time, and a 429 or 503 pauses the host for every worker (docs/deployment.md). A worker killed
    mid-job loses only its requests in flight: after --stall-timeout its jobs go to the others.
    `archiver archive --queue` enqueues one job per URL; all workers share one Save Page Now
    budget (captures per window, per day, per URL per day, sessions at once) kept in the database
    and bounded by what the account's status endpoint reports, and a 429 from Save Page Now pauses
    them all. Keys (IA_ACCESS_KEY, IA_SECRET_KEY) and
    --wayback-url are the worker's own.
    The run's own settings (limits, timeouts, --allow-private) travel with its jobs; the network
    (--proxy, --ca-bundle, the environment's) is the worker's. Needs `pip install 'archiver[scale]'`.

    \b
    Example:
        archiver worker --db postgresql://archiver@db.example/archiver
        archiver worker --db postgresql://archiver@db.example/archiver --recheck '0 3 * * *' --stale 20h
    """
    settings = settings_from(config_path, db=db, stale=stale, wayback_url=wayback_url, **opts)
    api.worker(settings, concurrency=concurrency, stall_timeout=stall_timeout, recheck=recheck, save_window=save_window,
               on_ready=lambda worker_id: info(f"worker {worker_id}: taking jobs, {concurrency} at once"))
