"""The outage guard: whether a check run could reach the network, reasoned as an operator would.

When the run itself is offline, every host fails at the transport level and a naive checker marks
the whole corpus failing. So a transport failure is first written as an *inconclusive* check and
applied to its link's state only at the end, when the run knows it was online.

Not every transport failure speaks of the network. A resolver that answers that a name does not
exist (NXDOMAIN, or no address) and a server that presents a certificate which is refused have
answered: that is the host's evidence, like a 404, once the run knows its resolver and its TLS work,
that is once another host (or the canary) answered, over HTTPS for a certificate. Old documents are
exactly the ones whose domains have lapsed. Until then they prove nothing: a resolver that denies
every name (a captive portal, a DNS filter, a VPN gone down) and a TLS-inspecting proxy whose CA is
not trusted look the same from here.

The run is offline when the canary failed, or when most of the hosts that tell whether the network
works (those that answered, and those that failed for any reason but the evidence above: no route,
refused, reset, timeout, a resolver unreachable) failed. The reason names the rule that tripped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..models import CheckResult, KnownUrl, Settled, UrlState
from ..store import ArchiveStore
from ..urls.keys import origin_of
from .classify import alive_of
from .failures import PROXY_REFUSED, cannot_tell, failure_kind
from .state import ConfirmPolicy, next_state

__all__ = ["EARLY_OUTAGE_HOSTS", "OutageGuard", "canary_reason", "origin_memo"]

EARLY_OUTAGE_HOSTS = 10  # this many distinct hosts failing at the network level and not one answer: stop
SAMPLE = 3  # fewer hosts than this tell nothing about the network: their failures are their own
TLS_INTERCEPTED = ("their certificates could not be verified, as behind a TLS-inspecting proxy or firewall whose CA "
                   "this machine does not trust; give that CA with SSL_CERT_FILE or --ca-bundle (and the proxy with "
                   "HTTPS_PROXY or --proxy)")


def _proxy_refusal(error: str | None) -> str | None:
    """The proxy's refusal in a check's error ("HTTP 407 Proxy Authentication Required"), or None."""
    return error[len(PROXY_REFUSED):].split(" (", 1)[0] if error and error.startswith(PROXY_REFUSED) else None


def _proxy_reason(what: str, answer: str) -> str:
    return (f"the proxy refused {what} ({answer}): check the proxy's user and password (in the --proxy URL or "
            "the proxy variable) and its rules")


def canary_reason(canary: str, result: CheckResult) -> str:
    """Why a run whose canary failed is offline."""
    refusal = _proxy_refusal(result.error)
    if refusal:
        return _proxy_reason(f"the canary {canary}", refusal)
    if result.status == "tls-error":
        return f"TLS failed on the canary {canary}: {TLS_INTERCEPTED.replace('their certificates', 'its certificate')}"
    return f"canary {canary} unreachable ({result.status})"


def origin_memo() -> Callable[[str], str]:
    """`origin_of`, parsed once per scheme and authority (12 us a URL, asked for every check).
    The key is the URL up to the first "/" after "//", which holds the scheme and the whole authority."""
    origins: dict[str, str] = {}

    def origin(url: str) -> str:
        end = url.find("/", url.find("//") + 2)
        key = url if end < 0 else url[:end]
        found = origins.get(key)
        if found is None:
            found = origin_of(url)
            if found != url:  # origin_of gives back an unparsable URL itself: not shared by its key
                origins[key] = found
        return found

    return origin


@dataclass
class Pending:
    """A transport failure held back until the verdict (no body: small)."""

    check_id: int
    url: str
    result: CheckResult
    previous: str


@dataclass
class OutageGuard:
    """What the outage verdict needs: the hosts that answered, those that failed at the transport level
    (and of those, the ones whose failure was their own answer), and the failures held back."""

    answered: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    no_such_host: set[str] = field(default_factory=set)  # of `failed`: the resolver said the name has no address
    certificate: set[str] = field(default_factory=set)  # of `failed`: the certificate was refused
    tls: set[str] = field(default_factory=set)  # of `failed`: TLS failed, the certificate or otherwise
    proxy: set[str] = field(default_factory=set)  # of `failed`: the proxy refused (its 407 or 403)
    proxy_answer: str = ""  # the proxy's last refusal, as "HTTP 407 Proxy Authentication Required"
    canary: str | None = None  # the canary's origin, once it answered
    pending: list[Pending] = field(default_factory=list)
    origin: Callable[[str], str] = field(default_factory=origin_memo, repr=False, compare=False)

    def saw(self, result: CheckResult) -> None:
        """Count one check's host."""
        host = self.origin(result.url)
        if result.transport_failure:
            self._failed(host, result.status, result.error)
        elif result.status != "skipped":
            self.answered.add(host)

    def _failed(self, host: str, status: str, error: str | None) -> None:
        self.failed.add(host)
        kind = failure_kind(status, error)
        if kind == "no-such-host":
            self.no_such_host.add(host)
        elif kind == "certificate":
            self.certificate.add(host)
        if status == "tls-error":
            self.tls.add(host)
        refusal = _proxy_refusal(error)
        if refusal:
            self.proxy.add(host)
            self.proxy_answer = refusal

    def hold(self, check_id: int, url: str, result: CheckResult, previous: str) -> None:
        self.pending.append(Pending(check_id, url, result, previous))

    async def resume(self, store: ArchiveStore, run_id: int, checked: dict[str, bool]) -> None:
        """A resumed run is one run: what its killed part saw counts as if this process had seen it."""
        self.answered.update(self.origin(url) for url, answered in checked.items() if answered)
        for held in await store.held_back(run_id):
            self._failed(self.origin(held.url), held.status, held.error)
            alive = None if cannot_tell(held.status, held.error) else alive_of(held.status)
            result = CheckResult(held.url, held.status, alive, error=held.error,
                                 checked_at=datetime.fromisoformat(held.checked_at), transport_failure=True)
            self.hold(held.check_id, held.url, result, held.previous_state or "unchecked")

    def _evidence(self) -> set[str]:
        """The failed hosts whose failure is their own answer, as far as this run can tell."""
        reached = self.answered | ({self.canary} if self.canary else set())
        evidence: set[str] = set()
        if reached:  # the resolver answers for names that exist: its "no such name" is believed
            evidence |= self.no_such_host
        if any(host.startswith("https:") for host in reached):  # TLS is not intercepted on the way
            evidence |= self.certificate
        return evidence - self.answered

    def early_outage(self) -> bool:
        """Nothing answered and many hosts failed for reasons other than their own answer. Hosts the
        resolver denies or whose certificates are refused fail fast: the run goes on to the hosts that
        can tell."""
        if self.answered or self.canary:
            return False
        return len(self.failed - self.no_such_host - self.certificate) >= EARLY_OUTAGE_HOSTS

    def offline_reason(self, outage_share: float) -> str | None:
        """Why the run counts as offline (the rule that tripped), or None when it was online."""
        evidence = self._evidence()
        down = self.failed - self.answered - evidence  # failures that may be the network's
        sample = (self.failed | self.answered) - evidence  # the hosts that tell whether the network works
        if len(sample) < SAMPLE or len(down) < outage_share * len(sample):
            return None
        refusals = len(self.proxy & down)
        if refusals * 2 > len(down):
            return _proxy_reason(f"the requests for {refusals} of {len(sample)} hosts", self.proxy_answer)
        tls = len(self.tls & down)
        if tls * 2 > len(down):  # mostly TLS: a network that intercepts TLS, not an outage
            return f"TLS failed on {tls} of {len(sample)} hosts: {TLS_INTERCEPTED}"
        denied = len(self.no_such_host & down)
        if denied * 2 > len(down):  # mostly "no such name" and nothing to believe the resolver by
            return (f"the resolver said {denied} of {len(sample)} host names do not exist and no host answered: a "
                    "resolver that denies every name (a captive portal, a DNS filter, a VPN gone down) looks the "
                    "same as lapsed domains; give --canary a URL that should answer to tell them apart")
        return (f"{len(down)} of {len(sample)} hosts could not be reached (no route, connection refused or reset, "
                "timeout, resolver unreachable, TLS handshake failed)")

    async def settle(self, store: ArchiveStore, policy: ConfirmPolicy, clock: Callable[[], datetime]) -> None:
        """Online after all: apply each held-back transport failure to its link's state."""
        if not self.pending:
            return
        known = await store.known_urls([held.url for held in self.pending])
        settled = []
        for held in self.pending:
            prev = known[held.url].state if held.url in known else UrlState()
            new = next_state(prev, held.result, held.result.checked_at or clock(), policy)
            settled.append(Settled(held.check_id, held.url, new, held.result.status, held.result.alive))
            known[held.url] = KnownUrl(held.url, new)
        await store.settle_inconclusive(settled)
