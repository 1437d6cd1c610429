"""The one host rule, and the last gate before lint emits a `url`: can a host exist, can a client fetch it?

A host is read as browsers and the HTTP clients read it: IDNA 2008 with the UTS 46 mapping
(`idna.encode(..., uts46=True)`, what yarl and aiohttp use), so `straße.de` and `faß.de` stay
themselves (`xn--strae-oqa.de`) instead of IDNA 2003's `strasse.de`, and a Persian label keeps its
ZWNJ. A plain ASCII label may hold `_`: DNS allows it and browsers reach `foo_bar.tumblr.com`.
lint, check (check/target.py) and archive all go through `ascii_host`.

A URL that no client can fetch must never reach `check` or the Wayback Machine: an IDNA-invalid host
(`http://☃.net/`), a port above 65535, a control character, a host with an empty label. A host is
judged against the Public Suffix List, read from the snapshot bundled with `publicsuffixlist`
(never fetched at run time), so that `addons.html` or `CHANGELOG.md` is never taken for a host.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

__all__ = ["ASCII_LABEL", "ascii_host", "ascii_url", "host_problem", "registrable", "looks_like_file", "fetch_problem",
           "spelling_joiner", "RESERVED_TLDS", "LOCAL_SUFFIXES", "MAX_URL_LENGTH"]

# RFC 2606 / RFC 6761 / RFC 8375 names: not in the Public Suffix List, but real on test networks
# and intranets (archiver's own tests use them); the checker refuses private addresses anyway.
_STANDARD_LOCAL = ("localhost", "local", "home.arpa", "internal")  # RFC 6761, RFC 6762, RFC 8375, ICANN 2024
RESERVED_TLDS = ("example", "test", "invalid", *_STANDARD_LOCAL, "onion")
# Suffixes only a local network resolves, never delegated in public DNS: the standard ones above, corp,
# home and mail (held back by ICANN in 2018 for their collisions with private networks), and lan,
# intranet and private by custom. The checker's guard refuses them behind a proxy (check/guard.py).
LOCAL_SUFFIXES = (*_STANDARD_LOCAL, "corp", "home", "mail", "lan", "intranet", "private")
# Names that end like a file, not a host: `addons.html`, `CHANGELOG_V20.md`, `setup.py`. Several are
# real top-level domains (.md, .py, .sh, .zip, .mov), which is why a bare name with one of these
# endings and no path is read as a file.
FILE_EXTENSIONS = frozenset([
    "md", "markdown", "mdx", "rst", "txt", "html", "htm", "xhtml", "shtml", "php", "asp", "aspx",
    "jsp", "cfm", "cgi", "pl", "py", "rb", "rs", "go", "js", "ts", "json", "xml", "yml", "yaml",
    "toml", "ini", "cfg", "css", "scss", "svg", "png", "jpg", "jpeg", "gif", "webp", "ico", "pdf",
    "doc", "docx", "odt", "xls", "xlsx", "ppt", "pptx", "csv", "tsv", "zip", "gz", "tgz", "bz2",
    "xz", "tar", "rar", "7z", "exe", "dmg", "deb", "rpm", "sh", "bat", "ps1", "mov", "mp4", "mp3",
    "wav", "ogg",
])

# A plain ASCII label as DNS allows it: letters, digits, '-' (not at either end) and '_'.
ASCII_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_PLAIN_RE = re.compile(r"(?i)^https?://([a-z0-9_.-]+)(?::(\d{1,5}))?(?:[/?#][\x21-\x7e]*)?$")
_LABEL_RE = re.compile(rf"^{ASCII_LABEL}$")
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200b\u200e\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]")
# ZWNJ and ZWJ: part of valid labels in Persian, Arabic and Indic host names (IDNA 2008 CONTEXTJ,
# which `ascii_host` checks); anywhere else in a URL they are invisible damage.
_JOINER_RE = re.compile("[\u200c\u200d]")
# httpx's limit on a URL (httpx._urlparse.MAX_URL_LENGTH); aiohttp sends any length, but no server
# reads a request line this long, and the Wayback Machine's index keys are shorter still.
MAX_URL_LENGTH = 65536


@lru_cache(maxsize=1)
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=65536)
def ascii_host(host: str) -> str:
    """`host` as it goes on the wire (lower case, IDNA 2008 / UTS 46, no trailing dot; an IP literal as
    written); raises ValueError saying why no client can reach it."""
    host = host.lower()
    host = host[:-1] if host.endswith(".") else host  # one trailing dot is the DNS root; two are an empty label
    if not host:
        raise ValueError("the host is empty")
    if _is_ip(host):
        return host
    labels = [_ascii_label(label) for label in host.split(".")]
    ascii_name = ".".join(labels)
    if len(ascii_name) > 253:
        raise ValueError("the host name is longer than 253 characters")
    return ascii_name


def mapped_host(host: str) -> str:
    """`host` as a browser reads it before encoding: the UTS 46 mapping (full-width letters to ASCII,
    `ª` to `a`, case folded), Unicode kept, so `straße.de` stays as it is. Raises ValueError where
    `ascii_host` would."""
    if host.isascii():
        return host
    import idna

    try:
        return idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(f"the host {host!r} cannot be mapped (IDNA: {exc})") from None


def _ascii_label(label: str) -> str:
    if not label:
        raise ValueError("an empty label (two dots in a row, or a leading dot)")
    if label.isascii() and not label.startswith("xn--"):
        if len(label) > 63:
            raise ValueError("a label longer than 63 characters")
        if label.startswith("-") or label.endswith("-"):
            raise ValueError(f"the label {label!r} starts or ends with '-'")
        if not _LABEL_RE.match(label):
            raise ValueError(f"the label {label!r} has characters a host name cannot have")
        return label
    import idna  # IDNA 2008 (httpx's and yarl's dependency); only for the rare non-ASCII host

    try:
        if label.startswith("xn--"):
            idna.decode(label)  # valid Punycode of a valid IDNA 2008 label
            return label
        return idna.encode(label, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        if label.startswith("xn--"):
            raise ValueError(f"the label {label!r} is not valid Punycode ({exc})") from None
        raise ValueError(f"the label {label!r} is not a valid internationalised label (IDNA: {exc})") from None


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:  # a broken IPv6 literal: no host to keep anything in
        return ""


def _sent_length(url: str) -> int:
    """The URL's length on the wire: each byte of a non-ASCII character becomes %XX."""
    if url.isascii():
        return len(url)
    return len(url) + sum(3 * len(ch.encode("utf-8")) - 1 for ch in url if not ch.isascii())


def ascii_url(url: str) -> str:
    """`url` with a non-ASCII host in its wire form (`ascii_host`), for parsers that know only IDNA 2008
    without the UTS 46 mapping (httpx). Anything else, and a host no rule can read, unchanged: the
    parser then says why."""
    if url.isascii():
        return url
    netloc = _netloc(url)
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.partition(":")  # an IPv6 literal is ASCII, never split here
    if host.isascii():
        return url
    try:
        dot = "." if host.endswith(".") else ""  # a fully qualified name stays one
        return url.replace(netloc, f"{userinfo}{at}{ascii_host(host)}{dot}{colon}{port}", 1)
    except ValueError:
        return url


@lru_cache(maxsize=65536)
def host_problem(host: str) -> str | None:
    """Why `host` cannot exist on any network, or None. IP literals and reserved names pass."""
    host = host.lower()
    host = host[:-1] if host.endswith(".") else host  # one trailing dot is the DNS root; two are an empty label
    if host == "localhost":
        return None
    try:
        ascii_name = ascii_host(host)
    except ValueError as exc:
        return f"{host!r}: {exc}" if host else str(exc)
    if _is_ip(host):
        return None
    labels = ascii_name.split(".")
    if any(ascii_name == t or ascii_name.endswith("." + t) for t in RESERVED_TLDS):
        return None
    if len(labels) == 1:
        return f"{host!r} has no public suffix (a single name, not a domain on the internet)"
    if _psl().publicsuffix(ascii_name) is None:
        tail = labels[-1]
        if len(tail) <= 2 and not tail.isdigit():
            return f"{host!r} has no public suffix: '.{tail}' is no top-level domain; the host looks cut off"
        return f"{host!r} has no public suffix: '.{tail}' is no top-level domain"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def registrable(host: str) -> bool:
    """True for a name registrable under the Public Suffix List (`rferl.org`, `misk.org.kz`), the
    test that lets lint add a missing `https://`. `github.io` alone is a suffix, not a site."""
    host = host.lower()
    host = host[:-1] if host.endswith(".") else host  # one trailing dot is the DNS root; two are an empty label
    if host_problem(host) is not None or _is_ip(host):
        return False
    if any(host == t or host.endswith("." + t) for t in RESERVED_TLDS):
        return "." in host
    return _psl().privatesuffix(ascii_host(host)) is not None


def looks_like_file(text: str) -> bool:
    """`addons.html`, `docs/CHANGELOG.md`, `setup.py#L3`: a relative file name, not a host and path."""
    name = re.split(r"[?#]", text, maxsplit=1)[0]
    if "/" in name.rstrip("/"):
        return False
    ext = name.rstrip("/").rsplit(".", 1)
    return len(ext) == 2 and ext[1].lower() in FILE_EXTENSIONS


def spelling_joiner(text: str, at: int) -> bool:
    """Is the ZWNJ or ZWJ at `text[at]` part of a word's spelling: right after a letter or combining
    mark of a script that spells with joiners, Arabic-script and Syriac (U+0600-08FF, FB50-FEFF:
    Persian "می‌خواهم" has a ZWNJ) or Indic (U+0900-0DFF: a Malayalam chillu is virama + ZWJ)?
    Anywhere else (after Latin or Cyrillic letters, digits, punctuation) it is copy-paste damage."""
    if at == 0 or text[at] not in "\u200c\u200d":
        return False
    import unicodedata

    before = text[at - 1]
    joining = 0x600 <= ord(before) <= 0xDFF or 0xFB50 <= ord(before) <= 0xFEFF
    return joining and unicodedata.category(before)[0] in "LM"


def fetch_problem(url: str) -> str | None:
    """Why httpx cannot fetch `url` (or must not be asked to), or None for a fetchable http(s) URL."""
    sent = _sent_length(url)
    if sent > MAX_URL_LENGTH:
        return (f"the URL is {sent:,} characters as sent; HTTP clients refuse more than {MAX_URL_LENGTH:,} "
                "(httpx) and servers commonly 8,000 (RFC 9110 section 4.1)")
    bad = _CONTROL_RE.search(url)
    if bad:
        return f"the URL contains U+{ord(bad.group(0)):04X}, a space or control character"
    joiner = _JOINER_RE.search(url)
    if joiner:
        rest = url.replace(_netloc(url), "", 1)
        stray = next((m for m in _JOINER_RE.finditer(rest) if not spelling_joiner(rest, m.start())), None)
        if stray:
            return f"the URL contains U+{ord(stray.group(0)):04X}, an invisible character, outside its host"
    plain = _PLAIN_RE.match(url)
    if plain:  # most URLs: ASCII, no userinfo; the same verdict as httpx's without its cost
        port = plain.group(2)
        if port and not 0 < int(port) <= 65535:
            return f"port {port} is out of range (1-65535)"
        return host_problem(plain.group(1))
    import httpx

    try:
        parsed = httpx.URL(ascii_url(url))
    except Exception as exc:  # httpx raises InvalidURL, idna raises IDNAError; both mean "cannot fetch"
        return f"httpx cannot parse it ({exc})"
    if parsed.scheme not in ("http", "https"):
        return f"{parsed.scheme}: is not http(s)"
    if parsed.port is not None and not 0 < parsed.port <= 65535:
        return f"port {parsed.port} is out of range (1-65535)"
    return host_problem(parsed.raw_host.decode("ascii"))
