"""RFC 3161 trusted timestamps: a token from a time-stamping authority (TSA) over a SHA-256 digest,
and the offline check of one with the authority's certificate chain.

Two libraries, each for what it does well (docs/decisions/timestamps.md):
- asn1crypto's `tsp` module builds the TimeStampReq from a digest archiver already holds (a
  snapshot's key, an export's digest). rfc3161-client's builder hashes the data itself, which would
  mean reading every byte of a snapshot or of a gigabyte export back into memory;
- rfc3161-client (Trail of Bits; the verifier sigstore-python uses) parses the TimeStampResp and
  verifies it: the CMS signature, the chain to a given root at the token's own time, the signer
  certificate found by issuer and serial, its critical timeStamping key usage, then the imprint.

A token is kept as the whole TimeStampResp as received (DER): `openssl ts -verify -in` reads it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from asn1crypto import cms, tsp
from cryptography import x509
from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response
from rfc3161_client.tsp import PKIStatus, TimeStampResponse

from ..clock import iso
from ..models import StampKind, Timestamp
from ..network import Network, shown

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
SHA256_OID = "2.16.840.1.101.3.4.2.1"


_SECRET_PARAM = re.compile(r"key|token|secret|pass|auth|sig|credential", re.I)


def tsa_name(url: str) -> str:
    """The authority's URL as it is stored (archive.db, WACZ) and shown: a commercial authority's
    user and password, or an API key in its query, replaced by ***. Requests use the URL as given."""
    url = shown(url)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(_SECRET_PARAM.search(k) for k, _ in query):
        return url
    masked = [(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in query]
    return parts._replace(query=urlencode(masked, safe="*")).geturl()


class TsaRefused(Exception):
    """The authority answered, but not with a token over our digest (a status other than granted,
    another digest or nonce, an HTTP error, a body that is no TimeStampResp)."""


class TsaUnavailable(Exception):
    """The authority could not be reached (DNS, connection, timeout): what the outage guard counts."""


def request_der(sha256_hex: str) -> tuple[bytes, int]:
    """A TimeStampReq for the digest, asking for the signer's certificate; (DER, its nonce)."""
    nonce = secrets.randbits(63)
    req = tsp.TimeStampReq({
        "version": 1,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": bytes.fromhex(sha256_hex)},
        "nonce": nonce,
        "cert_req": True,
    })
    return req.dump(), nonce


def parse(der: bytes) -> TimeStampResponse:
    """rfc3161-client's TimeStampResp of `der`. Its parser is strict DER, and `openssl ts -reply` (and
    TSAs built on it) send the certificates SET OF in chain order rather than DER's sorted order, so
    such a response is read once more with its certificate set re-encoded in DER order by asn1crypto.
    The set is outside what the TSA signed, so the signature and the stored bytes are untouched."""
    try:
        return decode_timestamp_response(der)
    except ValueError as first:
        try:
            resp = tsp.TimeStampResp.load(der)
            signed = resp["time_stamp_token"]["content"]
            signed["certificates"] = cms.CertificateSet(list(signed["certificates"]))
            return decode_timestamp_response(resp.dump())
        except (ValueError, TypeError, KeyError):
            raise first from None


def accept(kind: StampKind, sha256_hex: str, tsa: str, answer: bytes, nonce: int, name: str | None = None) -> Timestamp:
    """The authority's answer as a Timestamp, once it is a granted token over our digest and nonce."""
    try:
        resp = parse(answer)
    except ValueError as exc:
        raise TsaRefused(f"the answer is not a TimeStampResp ({exc})") from None
    if resp.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        said = "; ".join(resp.status_string) if resp.status_string else ""
        raise TsaRefused(f"status {PKIStatus(resp.status).name.lower()}{': ' + said if said else ''}")
    info = resp.tst_info
    if info.message_imprint.message != bytes.fromhex(sha256_hex):
        raise TsaRefused("the token is over another digest than the one asked for")
    if info.nonce != nonce:
        raise TsaRefused("the token's nonce is not the request's (a replayed or mixed-up answer)")
    return Timestamp(kind, sha256_hex, tsa_name(tsa), answer, iso(info.gen_time.astimezone(UTC)) or "", name)


def _answer(response: httpx.Response) -> bytes:
    if response.status_code != 200:
        raise TsaRefused(f"HTTP {response.status_code}")
    return response.content


async def stamp(http: httpx.AsyncClient, tsa: str, kind: StampKind, sha256_hex: str, name: str | None = None) -> Timestamp:
    """Ask `tsa` for a token over `sha256_hex` (one POST)."""
    body, nonce = request_der(sha256_hex)
    try:
        response = await http.post(tsa, content=body, headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    except httpx.TransportError as exc:
        raise TsaUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
    return accept(kind, sha256_hex, tsa, _answer(response), nonce, name)


def stamp_now(tsa: str, kind: StampKind, sha256_hex: str, *, network: Network, timeout: float,
              name: str | None = None) -> Timestamp:
    """`stamp` outside an event loop (an export's digest, after the file is written)."""
    body, nonce = request_der(sha256_hex)
    try:
        with client_sync(tsa, timeout, network) as http:
            response = http.post(tsa, content=body, headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
    except httpx.TransportError as exc:
        raise TsaUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
    return accept(kind, sha256_hex, tsa, _answer(response), nonce, name)


def client(tsa: str, timeout: float, network: Network) -> httpx.AsyncClient:
    """The client the stamp stage talks to the authority through: the same proxy and CAs as every stage."""
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, proxy=network.httpx_proxy(tsa),
                             verify=network.ssl_context(), trust_env=False)


def client_sync(tsa: str, timeout: float, network: Network) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False, proxy=network.httpx_proxy(tsa),
                        verify=network.ssl_context(), trust_env=False)


@dataclass(frozen=True)
class Chain:
    """The certificates `verify` trusts: the authority's roots and any intermediates (one PEM file)."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...]


def load_chain(pem: bytes, source: str) -> Chain:
    """Self-signed certificates of the PEM are roots, the others intermediates (the TSA's own among them)."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise ValueError(f"{source}: not a PEM file of certificates ({exc})") from None
    roots = tuple(c for c in certs if c.issuer == c.subject)
    if not roots:
        raise ValueError(f"{source}: holds no root (self-signed) certificate; add the root of the authority's chain")
    return Chain(roots, tuple(c for c in certs if c.issuer != c.subject))


def verify(token: bytes, sha256_hex: str, chain: Chain) -> str | None:
    """Why `token` is not a valid token over `sha256_hex` from an authority `chain` vouches for; None if it is."""
    try:
        resp = parse(token)
    except ValueError as exc:
        return f"not a TimeStampResp ({exc})"
    if resp.tst_info.message_imprint.hash_algorithm.dotted_string != SHA256_OID:
        return "the token's digest is not SHA-256"
    builder = VerifierBuilder(roots=list(chain.roots), intermediates=list(chain.intermediates))
    try:
        builder.build().verify(resp, bytes.fromhex(sha256_hex))
    except VerificationError as exc:
        return str(exc) or type(exc).__name__
    return None


def gen_time(token: bytes) -> str:
    """The time a token attests, ISO in UTC."""
    return iso(parse(token).tst_info.gen_time.astimezone(UTC)) or ""


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
