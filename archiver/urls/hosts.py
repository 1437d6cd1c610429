"""Can a host exist, and can httpx fetch a URL? The last gate before lint emits a `url`.

A URL that no client can fetch must never reach `check` or the Wayback Machine: an IDNA-invalid host
(`http://☃.net/`), a port above 65535, a control character, a host with an empty label. A host is
judged against the Public Suffix List, read from the snapshot bundled with `publicsuffixlist`
(never fetched at run time), so that `addons.html` or `CHANGELOG.md` is never taken for a host.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

__all__ = ["host_problem", "registrable", "looks_like_file", "fetch_problem", "RESERVED_TLDS"]

# RFC 2606 / RFC 6761 / RFC 8375 names: not in the Public Suffix List, but real on test networks
# and intranets (archiver's own tests use them); the checker refuses private addresses anyway.
RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local", "internal", "home.arpa", "onion")
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

_PLAIN_RE = re.compile(r"(?i)^https?://([a-z0-9.-]+)(?::(\d{1,5}))?(?:[/?#][\x21-\x7e]*)?$")
_LABEL_RE = re.compile(r"^[a-z0-9-]+$")
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]")


@lru_cache(maxsize=1)
def _psl():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=65536)
def host_problem(host: str) -> str | None:
    """Why `host` cannot exist on any network, or None. IP literals and reserved names pass."""
    host = host.rstrip(".").lower()
    if not host:
        return "the host is empty"
    if _is_ip(host) or host == "localhost":
        return None
    if len(host) > 253:
        return "the host name is longer than 253 characters"
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return f"{host!r} is not a valid internationalised host name (IDNA)"
    labels = ascii_host.split(".")
    for label in labels:
        problem = _label_problem(label)
        if problem:
            return f"{host!r}: {problem}"
    if any(ascii_host == t or ascii_host.endswith("." + t) for t in RESERVED_TLDS):
        return None
    if len(labels) == 1:
        return f"{host!r} has no public suffix (a single name, not a domain on the internet)"
    if _psl().publicsuffix(ascii_host) is None:
        tail = labels[-1]
        if len(tail) <= 2 and not tail.isdigit():
            return f"{host!r} has no public suffix: '.{tail}' is no top-level domain; the host looks cut off"
        return f"{host!r} has no public suffix: '.{tail}' is no top-level domain"
    return None


def _label_problem(label: str) -> str | None:
    if not label:
        return "an empty label (two dots in a row, or a leading dot)"
    if len(label) > 63:
        return "a label longer than 63 characters"
    if "_" in label:
        return f"'_' in the label {label!r} (not allowed in host names)"
    if label.startswith("-") or label.endswith("-"):
        return f"the label {label!r} starts or ends with '-'"
    if not _LABEL_RE.match(label):
        return f"the label {label!r} has characters a host name cannot have"
    if label.startswith("xn--"):
        try:
            label.encode("ascii").decode("idna")
        except UnicodeError:
            return f"the label {label!r} is not valid Punycode"
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
    host = host.rstrip(".").lower()
    if host_problem(host) is not None or _is_ip(host):
        return False
    if any(host == t or host.endswith("." + t) for t in RESERVED_TLDS):
        return "." in host
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return _psl().privatesuffix(ascii_host) is not None


def looks_like_file(text: str) -> bool:
    """`addons.html`, `docs/CHANGELOG.md`, `setup.py#L3`: a relative file name, not a host and path."""
    name = re.split(r"[?#]", text, maxsplit=1)[0]
    if "/" in name.rstrip("/"):
        return False
    ext = name.rstrip("/").rsplit(".", 1)
    return len(ext) == 2 and ext[1].lower() in FILE_EXTENSIONS


def fetch_problem(url: str) -> str | None:
    """Why httpx cannot fetch `url` (or must not be asked to), or None for a fetchable http(s) URL."""
    bad = _CONTROL_RE.search(url)
    if bad:
        return f"the URL contains U+{ord(bad.group(0)):04X}, a space or control character"
    plain = _PLAIN_RE.match(url)
    if plain:  # most URLs: ASCII, no userinfo; the same verdict as httpx's without its cost
        port = plain.group(2)
        if port and not 0 < int(port) <= 65535:
            return f"port {port} is out of range (1-65535)"
        return host_problem(plain.group(1))
    import httpx

    try:
        parsed = httpx.URL(url)
    except Exception as exc:  # httpx raises InvalidURL, idna raises IDNAError; both mean "cannot fetch"
        return f"httpx cannot parse it ({exc})"
    if parsed.scheme not in ("http", "https"):
        return f"{parsed.scheme}: is not http(s)"
    if parsed.port is not None and not 0 < parsed.port <= 65535:
        return f"port {parsed.port} is out of range (1-65535)"
    return host_problem(parsed.raw_host.decode("ascii"))
