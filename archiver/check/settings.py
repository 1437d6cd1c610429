"""How a check run fetches: limits, timeouts, sizes, the probe, and the network (proxy, CAs)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import defaults
from ..defaults import USER_AGENT
from ..network import Network

__all__ = ["FetchSettings"]


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = defaults.CONCURRENCY  # URLs in flight, all hosts together
    per_host: int = defaults.PER_HOST  # requests in flight per host (scheme://host:port) at first ...
    per_host_max: int = defaults.PER_HOST_MAX  # ... adapting up to this many (see hosts.HostGate for the policy)
    per_host_fast: float = 1.0  # seconds: an answer quicker than this lets the host's limit grow
    per_host_interval: float = 0.0  # seconds between request starts to one host
    connect_timeout: float = 10.0
    read_timeout: float = defaults.READ_TIMEOUT  # per read, not per body
    total_timeout: float = 60.0  # per URL: redirects, retries and the server's answers; not waits for a turn
    retries: int = defaults.RETRIES  # extra attempts after connection errors, 5xx and 429
    backoff_base: float = 0.5  # seconds; doubles each attempt, plus up to this much jitter
    backoff_max: float = 10.0
    retry_after_cap: float = 30.0  # a longer Retry-After gives up at once (rate-limited)
    max_redirects: int = 10
    max_body: int = defaults.MAX_BODY  # decoded bytes kept (and hashed) per page
    body_budget: int = defaults.BODY_BUDGET  # decoded body bytes held at once by a run, all pages (check/budget.py)
    text_bytes: int = 256 * 1024  # bytes decoded for title, text and classification
    offload_bytes: int = 128 * 1024  # bodies above this are analysed in a worker thread
    user_agent: str = USER_AGENT
    allow_private: bool = False  # fetch private, loopback, link-local ... addresses
    probe_soft404: bool = True  # one random-path probe per host (Bar-Yossef et al. 2004)
    probe_cache: int = 1024  # hosts whose probe result is kept during a run
    probe_timeout: float = 10.0  # the probe's own budget; a page never waits longer for it (check/probe.py)
    network: Network = Network()  # proxy and CAs (archiver/network.py); the environment's by default
