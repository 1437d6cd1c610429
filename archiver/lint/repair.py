"""Diagnose and repair damaged URLs, like a linter.

Notes reach us through CMSs, PDFs and word processors that turn `-` into `–`, break URLs at spaces,
glue punctuation on, and cut hosts off. Each rule below is a small named function that handles one
kind of real-world damage and reports it as a Finding. The pipeline is
`segment.split_note` (find the URL-ish spans of a note, joining pieces that belong together) ->
`repair_url` (scrub -> repair -> normalize one span) -> `lint.document.repair_document` (link
targets, and what needs the other citations: duplicates, a cut host inferred from the other notes).

Everything here is pure and must never raise: unknown input yields an `invalid-url` finding.
Repair is idempotent: repairing a repaired URL changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import SplitResult, urlsplit

from ..models import Finding
from ..urls.hosts import fetch_problem, host_problem, looks_like_file, mapped_host, registrable, spelling_joiner
from ..urls.segment import CLOSERS, DASH_RE, DOI_RE, DOMAIN_RE, GLUED_PREFIX_RE, INVISIBLE_RE, SPACE_CHARS, TRAIL_PUNCT, WS_RE
from .advice import advice as _advice
from .findings import finding
from .gates import last_gate, masked

__all__ = ["repair_url", "UrlRepair"]

_ELLIPSIS_RE = re.compile(r"…|\.\.\.$")

OPENERS = "([{<"
QUOTES = {'"': '"', "'": "'", "«": "»", "“": "”", "„": "“", "‘": "’", "‹": "›", "<": ">", "`": "`"}

# Hosts where a typographic dash is often genuinely part of the page name.
_DASH_KEEPING_HOSTS = re.compile(r"(?i)(^|\.)(wikipedia|wiktionary|wikisource|wikiquote|wikimedia)\.org$")



@dataclass(frozen=True)
class UrlRepair:
    """The outcome of repairing one span."""

    url: str | None
    findings: tuple[Finding, ...]
    span: str  # the part of the raw text the URL replaces (raw minus wrappers and punctuation)
    confidence: float
    candidates: tuple[str, ...] = ()
    fragment: str | None = None  # what was left of a URL whose host was cut off


# ------------------------------------------------------------------- repair ---
RAISE_BUGS = False  # the test suite sets this, so a rule that raises fails its test instead of hiding


def repair_url(raw: str) -> UrlRepair:
    """Scrub -> repair -> normalize one span. Never raises."""
    try:
        return _gated(_repair(raw))
    except Exception as exc:  # pragma: no cover - a bug, but one citation must not stop a run
        if RAISE_BUGS:
            raise
        return UrlRepair(None, (finding("invalid-url", f"cannot read as a URL ({exc})"),), raw, 0.0)


def _gated(result: UrlRepair) -> UrlRepair:
    """The URL as it may leave lint (gates.py): without credentials, and never too long to fetch."""
    url, note = last_gate(result.url) if result.url else (result.url, None)
    if note is None:
        return result
    earlier = tuple(replace(f, message=masked(f.message), fix=f.fix and masked(f.fix)) for f in result.findings)
    return replace(result, url=url, findings=(*earlier, note), candidates=tuple(map(masked, result.candidates)),
                   confidence=result.confidence if url else 0.0)


# A URL with nothing any rule could touch: ASCII, scheme and host in order, no space, no entity, no
# dash look-alike, and a last character that cannot be glued-on punctuation. Most citations are.
_CLEAN_RE = re.compile(r"^https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::\d{1,5})?(?:/[A-Za-z0-9\-._~/%!$'*+,=:@?#]*)?"
                       r"(?<![.,;:!?'])$")


def _repair(raw: str) -> UrlRepair:
    if "doi" in raw[:20].lower() and not raw.startswith("https://doi.org/"):
        bare = raw.strip(SPACE_CHARS).rstrip(TRAIL_PUNCT)
        doi = DOI_RE.match(re.sub(r"[ \t]*\n[ \t]*", "", bare))  # a DOI the line's end cut ("aeri." / "2021")
        if doi:
            result = _doi(doi.group(1), bare)
            if "\n" not in bare:
                return result
            cut = finding("embedded-whitespace", "a line break inside the DOI; pieces joined", result.url)
            return replace(result, findings=(cut, *result.findings), confidence=min(result.confidence, 0.9))
    if _is_clean(raw):
        findings: list[Finding] = []
        problem = fetch_problem(raw)
        if problem:
            return _unfetchable(raw, raw, findings, problem)
        _advice(raw, findings)
        return UrlRepair(raw, tuple(findings), raw, 1.0)
    return _repair_all_rules(raw)


def _doi(doi: str, raw: str) -> UrlRepair:
    """`doi:10.1000/xyz123`, `DOI 10.17487/RFC9110`, `dx.doi.org/10.1000/x` are citations, not damage:
    each resolves through https://doi.org/ (and the DOI itself may be damaged like any URL). `raw` is
    the printed DOI without the sentence's punctuation after it."""
    url = "https://doi.org/" + doi
    result = _repair_all_rules(url)
    raw = raw[:len(raw) - (len(url) - len(result.span))]  # less what trailing-punctuation took off
    if result.url is None:
        return replace(result, span=raw)
    note = finding("doi-link", "a DOI; resolved through https://doi.org/", result.url)
    return replace(result, findings=(*result.findings, note), span=raw)


def _unfetchable(url: str, span: str, findings: list[Finding], problem: str) -> UrlRepair:
    """The last gate: a URL httpx cannot fetch is never emitted; the finding says why."""
    scheme = url.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) else ""
    if scheme and scheme not in ("http", "https"):
        if scheme not in _KNOWN_SCHEMES and re.match(r"^[^/:@]+:[^/@]*@[\w.-]+\.\w+(?:/|$)", url):
            findings.append(finding("invalid-url", f"{url.split('@', 1)[0]!r}@ is a user name and "
                                    "password, not a scheme: the URL lost its scheme"))
        elif scheme in ("hxxp", "hxxps", "hxxp[s]", "fxp"):
            findings.append(finding("unsupported-scheme", f"{scheme}: is a defanged link (written so that "
                                    "nobody opens it by accident); not checked or archived"))
        else:
            findings.append(finding("unsupported-scheme", f"{scheme}: URLs are not checked or archived"))
    elif re.search(r"has no public suffix|label|host name|IDNA|Punycode|host is empty", problem):
        findings.append(finding("impossible-host", f"the host cannot exist: {problem}"))
    else:
        findings.append(finding("invalid-url", f"no client can fetch it: {problem}"))
    return UrlRepair(None, tuple(findings), span, 0.0)


def _is_clean(raw: str) -> bool:
    """The fast path's test (tests/test_repair.py checks it against the full rules)."""
    return bool(_CLEAN_RE.match(raw)) and "&amp;" not in raw and "..." not in raw and "//" not in raw[8:]


def _repair_all_rules(raw: str) -> UrlRepair:
    findings: list[Finding] = []
    confidence = 1.0
    text = raw.strip(SPACE_CHARS)
    span, text, conf = _unwrap(text, findings)
    confidence = min(confidence, conf)
    span, text, conf = _glued_prefix(span, text, findings)
    confidence = min(confidence, conf)
    text, conf = _strip_invisible(text, findings)
    confidence = min(confidence, conf)
    text, conf = _join_whitespace(text, findings)
    confidence = min(confidence, conf)
    if _ELLIPSIS_RE.search(text.rstrip(TRAIL_PUNCT.replace(".", "") + CLOSERS + "\"'»”")):
        return _truncated(text, span, findings)
    before = len(text)
    text, conf = _trailing_punctuation(text, findings)
    confidence = min(confidence, conf)
    if len(text) < before:
        span = _shrink_span(span, before - len(text))
    text = _html_entities(text, findings)
    schemed, conf = _fix_scheme(text, findings)
    confidence = min(confidence, conf)
    if schemed is None:
        if DASH_RE.search(span):
            findings.append(finding("typographic-dash", "typographic dashes in what is left of the URL"))
        return UrlRepair(None, tuple(findings), span, 0.0, fragment=_missing_host_fragment(span))
    text = schemed
    text, conf, candidates = _typographic_dashes(text, findings)
    confidence = min(confidence, conf)
    parts, problem = _parse(text)
    if problem:
        findings.append(finding("invalid-url", problem))
        return UrlRepair(None, tuple(findings), span, 0.0)
    problem = fetch_problem(text)
    if problem:
        return _unfetchable(text, span, findings, problem)
    text = _map_host(text, findings)
    # every repair finding proposes the whole repaired URL, not the step it took
    findings = [replace(f, fix=text) if f.fix and f.fix != text and f.code != "U110" and f.code.startswith("U1")
                else f for f in findings]
    _advice(text, findings, parts)
    return UrlRepair(text, tuple(findings), span, confidence, candidates)


def _map_host(url: str, findings: list[Finding]) -> str:
    """A host typed in full-width letters or with compatibility characters (`ＥＸＡＭＰＬＥ.org`,
    `ªexample.org`, as word processors and East Asian input methods produce): browsers map it
    (UTS 46) before looking it up, and HTTP clients and archives refuse the unmapped form, so the
    mapped form is the URL. A valid internationalised host (`straße.de`) maps to itself."""
    netloc = urlsplit(url).netloc
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport, "", ""
    if not hostport.startswith("["):
        name, sep, digits = hostport.rpartition(":")
        if sep and digits.isdigit():
            host, colon, port = name, sep, digits
    try:
        mapped = mapped_host(host)
    except ValueError:  # fetch_problem has already read the host with the same rule
        return url
    if mapped == host:
        return url
    fixed = url.replace(netloc, f"{userinfo}{at}{mapped}{colon}{port}", 1)
    findings.append(finding("mapped-host", f"the host {host!r} is read as {mapped!r}, as browsers read it", fixed))
    return fixed


def _truncated(text: str, span: str, findings: list[Finding]) -> UrlRepair:
    """An ellipsis marks a URL cut short (often by a CMS shortening long links): unrecoverable."""
    prefix = DASH_RE.sub("-", _ELLIPSIS_RE.split(text)[0])
    findings.append(finding("truncated-url", "the URL is cut short by an ellipsis; the rest is lost"))
    if not re.match(r"(?i)^(?:[a-z][a-z0-9+.-]*:|www\d?\.)", prefix) and not DOMAIN_RE.match(prefix.split("/")[0]):
        findings.append(finding("missing-host", "scheme and host are cut off too"))
    if DASH_RE.search(text):
        findings.append(finding("typographic-dash", "typographic dashes in what is left of the URL"))
    return UrlRepair(None, tuple(findings), span, 0.0, fragment=prefix)


def _unwrap(text: str, findings: list[Finding]) -> tuple[str, str, float]:
    """Quotes, guillemets and angle brackets around a URL: <https://x>, «https://x», "https://x"."""
    if len(text) > 2 and text[0] in QUOTES:
        close = QUOTES[text[0]]
        inner = text[1:]
        cut = inner.rfind(close)
        if cut > 0:
            inner = inner[:cut]
        findings.append(finding("wrapped-url", f"removed {text[0]}…{close} around the URL"))
        return inner, inner, 1.0
    if len(text) > 2 and text[0] in "([{" and text.count(text[0]) > text.count(CLOSERS[OPENERS.index(text[0])]) - 1:
        # "(https://x/a_(b))": the opener is prose; trailing-punctuation drops its closer
        return text[1:], text[1:], 1.0
    return text, text, 1.0


def _glued_prefix(span: str, text: str, findings: list[Finding]) -> tuple[str, str, float]:
    """A word run into the scheme with no space: `xhttps://…` (a stray letter), `12https://…` (a
    footnote mark), `name@http://…` (an address). The intact http(s):// says where the URL starts;
    the glued word is removed and stays in the text, not in the URL. `hhttps://` is a broken scheme."""
    glued = GLUED_PREFIX_RE.match(text)
    if not glued or _BROKEN_SCHEME_RE.match(text):
        return span, text, 1.0
    prefix = glued.group()
    findings.append(finding("glued-prefix", f"removed {prefix!r} glued to the front of the URL", text[len(prefix):]))
    return span[len(prefix):] if span.startswith(prefix) else span, text[len(prefix):], 0.85


def _strip_invisible(text: str, findings: list[Finding]) -> tuple[str, float]:
    """Soft hyphens and zero-width characters from PDFs and CMSs; NBSP is handled as whitespace. A ZWNJ
    or ZWJ that a valid internationalised host needs (Persian, Arabic, Indic labels) is part of the host
    and stays; in the path, one after a letter or mark of a script that spells with joiners stays too
    (linkify-it's fixture `someone-you-…പോലൊരാള്‍.html`: a Malayalam chillu letter is virama + ZWJ)."""
    if INVISIBLE_RE.search(text) or "\u00a0" in text:
        head = _HOST_PART_RE.match(text)
        assert head is not None  # the pattern matches the empty string
        host = head.group(2)
        kept = _NOT_JOINER_RE.sub("", host)
        name = kept.rpartition("@")[2].partition(":")[0]
        start = text[:head.end()]
        if not (kept == host and JOINER_RE.search(name) and host_problem(name) is None):
            start = INVISIBLE_RE.sub("", start)
        rest = text[head.end():]
        cleaned = start + INVISIBLE_RE.sub(lambda m: m.group() if spelling_joiner(rest, m.start()) else "", rest)
        names = sorted({f"U+{ord(c):04X}" for c in text if (INVISIBLE_RE.match(c) and text.count(c) > cleaned.count(c)) or c == "\u00a0"})
        if names:
            findings.append(finding("invisible-character", f"removed invisible characters {', '.join(names)}"))
        text = cleaned
    return text, 1.0


_HOST_PART_RE = re.compile(r"((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?([^/?#\s]*)")
JOINER_RE = re.compile("[\u200c\u200d]")
_NOT_JOINER_RE = re.compile("[\u00ad\u200b\u2060\ufeff]")  # INVISIBLE_RE without the joiners


def _join_whitespace(text: str, findings: list[Finding]) -> tuple[str, float]:
    """Spaces and line breaks inside a URL (split_note already decided the pieces belong together)."""
    if WS_RE.search(text):
        joined = WS_RE.sub("", text)
        findings.append(finding("embedded-whitespace", "whitespace inside the URL; pieces joined",
                                joined))
        return joined, 0.9
    return text, 1.0


def _trailing_punctuation(text: str, findings: list[Finding]) -> tuple[str, float]:
    """Sentence punctuation and unbalanced closing brackets glued to the end; balanced ones stay
    (https://en.wikipedia.org/wiki/Kettling_(police_tactic))."""
    original = text
    opens = {c: text.count(c) for c in OPENERS}
    closes = {c: text.count(c) for c in CLOSERS}
    end = len(text)
    while end:  # one pass from the end, brackets counted once: linear time
        last = text[end - 1]
        if last in TRAIL_PUNCT or last in "\"'»”’›`":
            end -= 1
        elif last in CLOSERS and opens[OPENERS[CLOSERS.index(last)]] < closes[last]:
            closes[last] -= 1
            end -= 1
        else:
            break
    text = text[:end]
    if text != original:
        findings.append(finding("trailing-punctuation",
                                f"removed {original[len(text):]!r} from the end of the URL", text))
    return text, 1.0


def _shrink_span(span: str, stripped: int) -> str:
    """The printed text the repaired URL stands for: the span minus the `stripped` characters of
    punctuation taken off its end (spaces inside the span do not count)."""
    out = span.rstrip(SPACE_CHARS)
    while stripped > 0 and out:
        if out[-1] not in SPACE_CHARS:
            stripped -= 1
        out = out[:-1]
    return out.rstrip(SPACE_CHARS)


def _html_entities(text: str, findings: list[Finding]) -> str:
    """`&amp;` left over from HTML source pasted as text."""
    fixed = re.sub(r"&(?:amp|#0*38|#x0*26);", "&", text, flags=re.I)
    if fixed != text:
        findings.append(finding("html-entity", "replaced &amp; with &", fixed))
    return fixed


_BROKEN_SCHEME_RE = re.compile(r"(?i)^(h?t?t?p?s?|hhttps?|ftp)(:/{1,3}|//|:\\\\|;//)")


def _fix_scheme(text: str, findings: list[Finding]) -> tuple[str | None, float]:
    """Doubled or broken schemes (https://https://, https//, https:/, htps://) and www. without one."""
    lower = text.lower()
    if lower.startswith(("http://", "https://")) and not re.match(r"(?i)^(https?://)+https?://", text):
        return text, 1.0
    doubled = re.match(r"(?i)^(?:https?://)+(?=https?://)", text)
    if doubled:
        fixed = text[doubled.end():]
        findings.append(finding("broken-scheme", "doubled scheme", fixed))
        return fixed, 0.95
    m = _BROKEN_SCHEME_RE.match(text)
    if m and m.group(1).lower() not in ("ftp",):
        secure = m.group(1).lower().endswith("s") or not m.group(1)
        fixed = ("https://" if secure else "http://") + text[m.end():].lstrip("/")
        if fixed != text:
            findings.append(finding("broken-scheme", f"{m.group(0)!r} is not a scheme", fixed))
        return fixed, 0.9
    if m:
        return text, 1.0  # ftp://
    if re.match(r"(?i)^www\d?\.", text):
        fixed = "https://" + text
        findings.append(finding("missing-scheme", "printed without a scheme; https:// assumed", fixed))
        return fixed, 0.85
    host = text.split("/", 1)[0]
    # only a name registrable under the Public Suffix List gets a scheme: never `addons.html`
    if registrable(host) and not looks_like_file(text):
        fixed = "https://" + text
        findings.append(finding("missing-scheme", "printed without a scheme; https:// assumed", fixed))
        return fixed, 0.8
    if re.match(r"^[a-z][a-z0-9+.-]*:", text, re.I):
        return text, 1.0  # mailto:, ftp:, ... refused by the fetchability gate, with a finding
    findings.append(finding(
        "missing-host", f"scheme and host are cut off; {host!r} is only the end of a host name"))
    return None, 0.0


def _missing_host_fragment(span: str) -> str:
    return DASH_RE.sub("-", WS_RE.sub("", span)).strip(TRAIL_PUNCT)


def _typographic_dashes(text: str, findings: list[Finding]) -> tuple[str, float, tuple[str, ...]]:
    """`–` for `-`: word processors' smart dashes. In a Wikipedia title the en dash may be real."""
    if not DASH_RE.search(text):
        return text, 1.0, ()
    fixed = DASH_RE.sub("-", text)
    host = (urlsplit(fixed).hostname or "") if "wik" in fixed else ""
    if host and _DASH_KEEPING_HOSTS.search(host) and not DASH_RE.search(text.split("/", 3)[2] if text.count("/") >= 2 else ""):
        findings.append(finding(
            "ambiguous-dash", "the page name has a typographic dash, which Wikipedia titles often use; "
            "check which form the source had", fixed))
        return text, 0.6, (fixed,)
    chars = sorted({f"U+{ord(c):04X}" for c in set(DASH_RE.findall(text))})
    findings.append(finding("typographic-dash", f"replaced typographic dashes ({', '.join(chars)}) with '-'",
                            fixed))
    return fixed, 0.95, ()


def _parse(url: str) -> tuple[SplitResult | None, str | None]:
    """(parts, None) for a URL that can be used, or (None, what is wrong with it)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return None, f"not a valid URL: {exc}"
    if parts.scheme.lower() in ("http", "https"):
        host = parts.hostname or ""
        if not host or any(c in host for c in " <>\"{}|\\^`") or host.startswith(".") or ".." in host:
            return None, f"{host!r} is not a valid host name"
    if WS_RE.search(url):
        return None, "whitespace left inside the URL"
    return parts, None


# Schemes that are not web addresses: in `mailto:a@b.org` the part before @ is no user name.
_KNOWN_SCHEMES = frozenset([
    "mailto", "tel", "sms", "ftp", "ftps", "sftp", "ssh", "git", "file", "data", "javascript",
    "news", "nntp", "irc", "ircs", "magnet", "urn", "doi", "xmpp", "ws", "wss", "geo", "webcal",
    "about", "blob", "chrome",
])
