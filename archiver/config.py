"""Settings: defaults < archiver.toml / [tool.archiver] in pyproject.toml < ARCHIVER_* env < CLI.

Internet Archive keys come from IA_ACCESS_KEY / IA_SECRET_KEY or the config file's [wayback]
table; they are held in `Secret`, whose repr is '***', so they never reach logs, reports or the DB.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_args

from . import defaults
from .errors import ConfigError
from .models import Role
from .report.acks import Ack, parse_acks
from .secrets import Secret


@dataclass(frozen=True)
class Settings:
    db: str = "archive.db"  # the archive database: a path, or sqlite:///path
    concurrency: int = defaults.CONCURRENCY
    per_host: int = defaults.PER_HOST  # requests in flight per host at first; grows while the host answers quickly (check/hosts.py)
    per_host_max: int = defaults.PER_HOST_MAX  # the most requests in flight per host; halves on 429, 503, Retry-After or a timeout
    per_host_interval: float = 0.0
    timeout: float = defaults.READ_TIMEOUT
    retries: int = defaults.RETRIES  # extra attempts after connection errors, 5xx and 429 (Retry-After honoured)
    processes: int = 0  # check worker processes; 0: one per core but one (at most 4)
    max_body: int = defaults.MAX_BODY  # decoded bytes kept per page; a compression bomb stops here
    body_budget: int = defaults.BODY_BUDGET  # body bytes all checks in flight hold at once (check/budget.py)
    user_agent: str | None = None
    allow_private: bool = False
    confirm_checks: int = 3  # failed checks before a link is called dead
    confirm_spacing_hours: float = 24.0  # hours that must separate the failed checks counted towards dead
    canary_url: str | None = None
    outage_share: float = 0.8  # share of hosts unreachable at the network level that means "we are offline"
    wayback_url: str = "https://web.archive.org"
    if_not_archived_within_days: float = 30.0
    saves_per_minute: float = defaults.SAVES_PER_MINUTE  # Save Page Now submissions a minute (the account limit is 7)
    cdx_per_minute: float = defaults.CDX_PER_MINUTE  # CDX lookups a minute (the service allows 30)
    poll_interval: float = 5.0  # seconds between Save Page Now job status polls
    poll_timeout: float = 180.0  # give up polling a job (re-checked in CDX next run)
    force_login_walled: bool = False  # submit facebook.com & co. although Wayback stores the login wall
    wayback_timeout: float = 60.0  # read timeout for Wayback requests (SPN2 answers slowly)
    connect_timeout: float = 15.0  # seconds to open a connection to the Wayback Machine
    archive_deadline: float = 14400.0  # seconds the archive stage may send requests for; the rest stays queued
    wayback_max_wait: float = 300.0  # the longest pause the Wayback Machine may ask for (Retry-After) within a run
    stale_seconds: float | None = None  # check only URLs not checked within this many seconds
    base_url: str | None = None  # resolve relative links against this URL
    input_format: str | None = None  # read every document as this format instead of guessing
    roles: str = "citation"  # the URLs check and archive take, by role: citation, example, navigation, resource (comma-separated)
    ia_access_key: Secret | None = field(default=None, repr=False)  # Internet Archive S3 access key, for Save Page Now
    ia_secret_key: Secret | None = field(default=None, repr=False)  # Internet Archive S3 secret key; never stored or printed
    ignore: tuple[Ack, ...] = ()  # acknowledged problems: the [[ignore]] tables (archiver/report/acks.py)
    verify_captures: bool = False  # fetch each archived copy raw and judge it before offering it (docs/captures.md)
    memento_archives: str = ""  # NAME=TIMEMAP-URL-PREFIX entries, comma-separated: where to look when no copy is good
    memento_per_minute: float = 30.0  # TimeMap requests a minute to one Memento archive
    capture_tries: int = 6  # captures judged per URL and archive at most
    proxy: str | None = field(default=None, repr=False)  # every stage's proxy; it may hold a password (network.py)
    ca_bundle: str | None = None  # CAs to trust instead of SSL_CERT_FILE / certifi
    tsa_url: str | None = None  # an RFC 3161 time-stamping authority: stamp new snapshots and exports (docs/proof.md)
    tsa_cert: str | None = None  # PEM of the authority's chain, its root included: what `archiver verify` trusts
    tsa_interval: float = 1.0  # seconds between requests to the authority (public ones are free services)
    tsa_timeout: float = 30.0  # read timeout for the authority's answer
    screenshot: bool = False  # a full-page PNG of each live cited page by headless Chromium (docs/proof.md)
    chromium: str = "chromium"  # the browser screenshots are taken with: a command name or path

    def role_set(self) -> frozenset[str]:
        """The roles of the extracted URLs that check and archive take (`roles`, comma-separated)."""
        return frozenset(r.strip() for r in self.roles.split(",") if r.strip())

    def network(self):
        """Proxy and CAs for every stage's HTTP client (archiver.network.Network)."""
        from .network import Network

        return Network(proxy=self.proxy, ca_bundle=self.ca_bundle)

    @property
    def has_keys(self) -> bool:
        return bool(self.ia_access_key) and bool(self.ia_secret_key)

    def fetch_settings(self):
        """The check stage's settings (archiver.check.fetch.FetchSettings)."""
        from .check.fetch import FetchSettings
        from .defaults import USER_AGENT

        return FetchSettings(
            concurrency=self.concurrency, per_host=self.per_host, per_host_max=self.per_host_max,
            per_host_interval=self.per_host_interval,
            read_timeout=self.timeout, retries=self.retries, max_body=self.max_body, body_budget=self.body_budget,
            allow_private=self.allow_private, user_agent=self.user_agent or USER_AGENT, network=self.network())

    def wayback_config(self):
        """Where the Wayback Machine is, the keys, and the pace (archiver.wayback.client.WaybackConfig)."""
        from .wayback.client import WaybackConfig, WaybackKeys

        keys = WaybackKeys(self.ia_access_key, self.ia_secret_key) if self.has_keys else None  # type: ignore[arg-type]
        return WaybackConfig(base_url=self.wayback_url, keys=keys, save_per_minute=self.saves_per_minute,
                             cdx_per_minute=self.cdx_per_minute, max_wait=self.wayback_max_wait,
                             stage_deadline=self.archive_deadline)

    def archive_policy(self):
        """What to submit and how long to poll (archiver.wayback.policy.ArchiveSettings)."""
        from .wayback.policy import ArchiveSettings

        return ArchiveSettings(if_not_archived_within_days=self.if_not_archived_within_days,
                               poll_interval=self.poll_interval, poll_timeout=self.poll_timeout,
                               force_login_walled=self.force_login_walled)


    def capture_settings(self):
        """Capture QA, other archives and quotes (archiver.captures.stage.CaptureSettings)."""
        from .captures.memento import parse_archives
        from .captures.stage import CaptureSettings
        from .defaults import USER_AGENT

        return CaptureSettings(verify=self.verify_captures, archives=parse_archives(self.memento_archives),
                               tries=self.capture_tries, memento_per_minute=self.memento_per_minute,
                               user_agent=self.user_agent or USER_AGENT)


_ENV = {
    "ARCHIVER_DB": "db",
    "ARCHIVER_CONCURRENCY": "concurrency",
    "ARCHIVER_PER_HOST": "per_host",
    "ARCHIVER_PER_HOST_MAX": "per_host_max",
    "ARCHIVER_TIMEOUT": "timeout",
    "ARCHIVER_USER_AGENT": "user_agent",
    "ARCHIVER_WAYBACK_URL": "wayback_url",
    "ARCHIVER_CANARY_URL": "canary_url",
    "ARCHIVER_PROXY": "proxy",
    "ARCHIVER_CA_BUNDLE": "ca_bundle",
    "ARCHIVER_ROLES": "roles",
    "ARCHIVER_TSA_URL": "tsa_url",
}


def load_settings(config_path: str | None = None, environ: Mapping[str, str] | None = None, **cli: Any) -> Settings:
    """Merge the layers; `cli` holds only the options the user actually gave (None = not given)."""
    environ = os.environ if environ is None else environ
    values: dict = {}
    values.update(_file_values(config_path))
    for var, name in _ENV.items():
        if environ.get(var):
            values[name] = environ[var]
    for var, name in (("IA_ACCESS_KEY", "ia_access_key"), ("IA_SECRET_KEY", "ia_secret_key")):
        if environ.get(var, "").strip():
            values[name] = environ[var].strip()
    values.update({k: v for k, v in cli.items() if v is not None})
    return _coerce(values)


def _file_values(config_path: str | None) -> dict:
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(f"{config_path}: config file not found")
    elif Path("archiver.toml").is_file():
        path = Path("archiver.toml")
    else:
        return {}
    import tomllib  # only when there is a file to read

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config ({exc})") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("archiver", {})
    flat: dict = {}
    for key, value in data.items():
        if key == "ignore":
            flat["ignore"] = parse_acks(value, str(path))
        elif isinstance(value, dict):  # [check], [wayback] tables
            for k, v in value.items():
                flat[{"access_key": "ia_access_key", "secret_key": "ia_secret_key"}.get(k, k)] = v
        else:
            flat[key] = value
    unknown = sorted(set(flat) - {f.name for f in fields(Settings)})
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; every setting is listed in "
                          "docs/configuration.md")
    try:
        _coerce(flat)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return flat


def _coerce(values: dict) -> Settings:
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
    base = Settings()
    out: dict[str, Any] = {}
    for name, value in values.items():
        default = getattr(base, name)
        try:
            if name == "ignore":
                out[name] = value if isinstance(value, tuple) else parse_acks(value)
            elif name in ("ia_access_key", "ia_secret_key"):
                out[name] = value if isinstance(value, Secret) else Secret(str(value))
            elif value is None:
                out[name] = None
            elif name == "memento_archives" and isinstance(value, list):  # a TOML list of entries
                out[name] = ",".join(str(v) for v in value)
            elif name == "stale_seconds":
                out[name] = parse_age(str(value))
            elif isinstance(default, bool):
                out[name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                out[name] = int(value)
            elif isinstance(default, float):
                out[name] = float(value)
            else:
                out[name] = str(value)
        except (TypeError, ValueError):
            raise ConfigError(f"setting {name}={value!r} is not a valid {type(default).__name__}") from None
    settings = replace(base, **out)
    bad = sorted(set(settings.role_set()) - set(get_args(Role)))
    if bad:
        raise ConfigError(f"unknown role(s) {', '.join(bad)}; roles are {', '.join(get_args(Role))}")
    if settings.concurrency < 1 or settings.per_host < 1 or settings.per_host_max < 1:
        raise ConfigError("concurrency and per-host limits must be at least 1")
    if settings.max_body < 1 or settings.body_budget < 1:
        raise ConfigError("max_body and body_budget must be at least 1 byte")
    _check_network(settings)
    if settings.memento_archives:
        from .captures.memento import parse_archives

        parse_archives(settings.memento_archives)  # a bad entry is a ConfigError now, not mid-run
    _check_urls(settings)
    return settings


_URL_SETTINGS = {"wayback_url": "--wayback-url, ARCHIVER_WAYBACK_URL", "canary_url": "--canary, ARCHIVER_CANARY_URL",
                 "tsa_url": "--tsa, ARCHIVER_TSA_URL", "base_url": "--base-url"}


def _check_urls(settings: Settings) -> None:
    """The URLs archiver sends requests to (and the base it resolves relative links against, which
    become URLs it sends requests to) are http(s) URLs with a host, or a configuration error naming
    where the value came from; never a request that fails later, once per URL."""
    from urllib.parse import urlsplit

    for name, where in _URL_SETTINGS.items():
        value = getattr(settings, name)
        if value is None:
            continue
        try:
            parts = urlsplit(value)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"{name} {value!r} is not an http:// or https:// URL with a host name ({where})")


def _check_network(settings: Settings) -> None:
    """A proxy URL that no client can use, or a CA bundle that is not there: a configuration error,
    the proxy shown without its password."""
    problem = settings.network().problem()  # the proxy given, or the environment's
    if problem is not None:
        raise ConfigError(problem)
    if settings.ca_bundle and not Path(settings.ca_bundle).is_file():
        raise ConfigError(f"ca_bundle {settings.ca_bundle!r}: no such file")


def parse_age(text: str) -> float:
    """'7d', '12h', '30m', '90s' or plain seconds -> seconds (finite, not negative)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = text.strip().lower()
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):  # also NaN, which compares false
        raise ConfigError(f"{text!r} is not an age; use e.g. 7d, 12h, 30m")
    return seconds
