"""The ONE place where transport errors become statuses (timeout, dns-error, tls-error,
connection-error, ...); everything upstream sees CheckResult values."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from typing import Literal

import aiohttp
from aiohttp import http_exceptions

from .http import DecodingError

__all__ = ["ERROR_LIMIT", "PROXY_REFUSED", "REFUSED_FOR_SAFETY", "ProxyRefused", "Skip", "TooManyRedirects",
           "cannot_tell", "failure_kind", "map_exception", "proxy_refused", "refused", "retryable", "FAILURES"]


class Skip(Exception):
    """The URL is not fetched: non-HTTP, malformed, private address."""


class TooManyRedirects(Exception):
    pass


class ProxyRefused(Exception):
    """The configured proxy answered a plain request with its own refusal (407), not the page's answer."""


# What a check may raise and still be a per-URL outcome (anything else is a bug and surfaces).
FAILURES = (aiohttp.ClientError, OSError, TimeoutError, ValueError, DecodingError, Skip, TooManyRedirects, ProxyRefused)

_DNS_TEXT = re.compile(r"Name or service not known|nodename nor servname|Temporary failure in name "
                       r"resolution|No address associated with hostname|getaddrinfo failed", re.I)
# getaddrinfo's answers that the resolver was reached and said the name has no address (glibc: NXDOMAIN
# is EAI_NONAME, a name without A/AAAA records EAI_NODATA); EAI_AGAIN is a resolver that could not be
# reached or did not answer, an outage's sign, not the host's.
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
# How an error begins when the failure is the host's own answer rather than the network's: the outage
# guard (check/run.py) reads it back, also from a killed run's rows, through failure_kind.
NO_SUCH_HOST = "no such host: "
CERTIFICATE_REFUSED = "certificate refused: "
PROXY_REFUSED = "the proxy refused: "
REFUSED_FOR_SAFETY = "refused for safety: "
_TLS_TEXT = re.compile(r"\bSSL\b|CERTIFICATE_VERIFY|\bTLS\b", re.I)
ERROR_LIMIT = 500  # characters of an error kept: parser errors quote what the server sent
# The server answered with bytes that are not HTTP, or stopped mid-answer: its words are quoted and
# must not pass for DNS or TLS words.
_BROKEN_HTTP = (aiohttp.ClientResponseError, aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it (explicit causes first, then implicit context)."""
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in seen:
        seen.append(cause)
        if isinstance(cause, aiohttp.ClientConnectorError) and cause.os_error not in seen:
            seen.append(cause.os_error)  # what the connection failed on (usually also its __cause__)
        cause = cause.__cause__ or cause.__context__
    return [e for e in seen if not isinstance(e, asyncio.CancelledError)]


def map_exception(exc: BaseException) -> tuple[str, str, bool]:
    """(status, error, transport_failure) for an exception raised while fetching one URL."""
    if isinstance(exc, Skip):
        return "skipped", str(exc), False
    if isinstance(exc, TooManyRedirects):
        return "too-many-redirects", str(exc), False
    chain = _causes(exc)
    messages = [f"{type(e).__name__}: {e}" for e in chain if str(e)]
    # every layer's words, to classify by; aiohttp's "Cannot connect to host h:443 ssl:default [...]" names
    # its TLS setting, not a TLS failure: its cause (the OSError in brackets) speaks for it
    words = [f"{type(e).__name__}: {e}" for e in chain if str(e) and not isinstance(e, aiohttp.ClientConnectorError)]
    full = "; ".join(dict.fromkeys(words)) or type(exc).__name__
    detail = messages[-1] if messages else type(exc).__name__  # what is shown: the root cause, one line
    if isinstance(exc, DecodingError):
        return "connection-error", full, False  # the server answered, the encoding (named on top) was broken
    if isinstance(exc, TimeoutError):
        return "timeout", detail, True
    if isinstance(exc, aiohttp.InvalidURL):
        return "skipped", f"malformed URL: {exc}", False
    if isinstance(exc, _BROKEN_HTTP) and not isinstance(exc, aiohttp.ClientHttpProxyError):
        return "connection-error", detail[:ERROR_LIMIT], True
    if any(isinstance(e, socket.gaierror) for e in chain) or _DNS_TEXT.search(full):
        nxdomain = any(isinstance(e, socket.gaierror) and e.errno in _NO_SUCH_NAME for e in chain)
        return "dns-error", NO_SUCH_HOST + detail if nxdomain else detail, True
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain):
        return "tls-error", CERTIFICATE_REFUSED + detail, True
    if any(isinstance(e, (ssl.SSLError, aiohttp.ClientSSLError)) for e in chain) or _TLS_TEXT.search(full):
        return "tls-error", detail, True
    if proxy_refused(exc):
        return "connection-error", PROXY_REFUSED + _proxy_answer(chain), True
    if isinstance(exc, (aiohttp.ClientProxyConnectionError, aiohttp.ClientHttpProxyError)):
        return "connection-error", f"the proxy failed: {detail}", True
    return "connection-error", detail, True


def _proxy_answer(chain: list[BaseException]) -> str:
    for e in chain:
        if isinstance(e, aiohttp.ClientHttpProxyError):
            answer = f"HTTP {e.status} {e.message}"
            break
    else:
        answer = str(next(e for e in chain if isinstance(e, ProxyRefused)))
    if "407" in answer:
        answer += " (it wants credentials: give them in the proxy URL, http://user:password@host:port)"
    return answer


def failure_kind(status: str, error: str | None) -> Literal["no-such-host", "certificate", "network"]:
    """What a transport failure says about the network. "no-such-host": the resolver answered that the
    name has no address; "certificate": a server answered with a certificate that was refused. Both are
    the host's own answer, evidence against the link once the run knows its resolver and TLS work. Any
    other (a timeout, a refused or reset connection, an unreachable resolver, a failed handshake) may be
    the network's."""
    if status == "dns-error" and (error or "").startswith(NO_SUCH_HOST):
        return "no-such-host"
    if status == "tls-error" and (error or "").startswith(CERTIFICATE_REFUSED):
        return "certificate"
    return "network"


def retryable(exc: BaseException) -> bool:
    """Connection errors are retried; timeouts, DNS and TLS errors are not."""
    if not isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError)) or isinstance(exc, TimeoutError):
        return False
    return map_exception(exc)[0] == "connection-error"


def cannot_tell(status: str, error: str | None) -> bool:
    """Whether a failed check said it cannot tell (alive: null; `refused`, `proxy_refused`), read back
    from its status and error: a held-back check's row keeps no alive, and a resumed run settles it."""
    return status == "connection-error" and (error or "").startswith((PROXY_REFUSED, REFUSED_FOR_SAFETY))


def proxy_refused(exc: BaseException) -> bool:
    """Whether the configured proxy refused the request with its own 4xx (407: credentials wanted; 403: its
    policy), on CONNECT or to a plain request. That says nothing about the page: a `connection-error` that
    cannot tell (alive: null), never dead. The proxy's 5xx (it could not reach the host) still counts."""
    return any(isinstance(e, ProxyRefused) or isinstance(e, aiohttp.ClientHttpProxyError) and 400 <= e.status < 500
               for e in _causes(exc))


def refused(exc: BaseException) -> bool:
    """Whether the checker refused an answer for safety after a valid status line: a head over the
    limits, header splitting (a bare CR, a NUL), a malformed or contradictory header. A
    `connection-error` that cannot tell (alive: null): a browser might read the page, so it never
    counts towards dead. A status line that is not HTTP, or a body cut short, can still count."""
    return any(isinstance(e, (http_exceptions.LineTooLong, http_exceptions.InvalidHeader))
               or type(e) is http_exceptions.BadHttpMessage for e in _causes(exc))

