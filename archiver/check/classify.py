"""Page-level verdicts: is a page that answered really the page that was cited?

A status code says little about a citation. Servers answer 200 with "Page not found" (soft 404s),
send dead links to the home page, park expired domains, hide pages behind logins and bot walls.
These pure functions turn one HTTP answer (code, headers, redirect chain, decoded page) into a
status from the vocabulary in STATUSES. fetch.py owns the network and the mapping of transport
errors; nothing here does I/O, so every rule is tested with plain strings.

Redirect policy: every redirect is followed. The result is the final page's verdict, with two
refinements: when the FIRST hop is permanent (301/308) and lands on another page, the cited URL
has moved and the status is `redirected` (alive, final URL recorded so a citation can be
updated); temporary hops (302/303/307) leave the status `ok`, since the cited URL is still the
entry point. A redirect of a deep link to the site root or a generic page is `homepage-redirect`.

Soft 404s follow Bar-Yossef et al., "Sic transit gloria telae" (WWW 2004): fetch a random path
on the same host; if that also answers 200 with a page like the checked one, the checked page
is the server's "not found" page. Phrase rules (English and Russian) count on their own when
they hit the title or h1, or when the page is short. A long article that merely mentions
"not found" stays alive.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from ..urls.keys import login_walled_platform
from .page import MARKUP, decode_body, detect_charset, extract_h1, extract_text, extract_title, is_html

__all__ = [
    "STATUSES",
    "VERDICT_TEXT",
    "Probe",
    "alive_of",
    "classify_response",
    "decode_body",
    "detect_charset",
    "extract_h1",
    "extract_text",
    "extract_title",
    "is_html",
    "similarity",
]

# status -> (alive, description). alive None means "cannot tell from here".
STATUSES: dict[str, tuple[bool | None, str]] = {
    "ok": (True, "the page answered 2xx and looks like a real page (temporary redirects followed)"),
    "redirected": (True, "the cited URL moved permanently (301/308) to another page; final_url"),
    "not-found": (False, "HTTP 404"),
    "gone": (False, "HTTP 410"),
    "soft-404": (False, "2xx, but the page says 'not found' (phrases, or the random-path probe)"),
    "homepage-redirect": (False, "a deep link redirected to the site root or a generic page"),
    "parked": (False, "a domain-parking / domain-for-sale page"),
    "login-required": (None, "redirected to a login page, or the page is a password form"),
    "blocked": (None, "401/403, or a bot challenge (Cloudflare, DDoS-Guard, captcha)"),
    "legal": (None, "HTTP 451, unavailable for legal reasons"),
    "rate-limited": (None, "HTTP 429 after the retries (Retry-After honoured up to a cap)"),
    "server-error": (False, "5xx after the retries; failing, to be confirmed by a later run"),
    "client-error": (False, "another 4xx (400, 405, ...)"),
    "http-error": (None, "an HTTP answer archiver does not interpret (1xx, 3xx without Location)"),
    "timeout": (False, "no answer in time (transport_failure)"),
    "dns-error": (False, "the host name does not resolve (transport_failure)"),
    "connection-error": (False, "refused, reset (also mid-body) or broken HTTP (transport_failure)"),
    "tls-error": (False, "TLS handshake or certificate failure (transport_failure)"),
    "too-many-redirects": (False, "more redirects than the limit, or a redirect loop"),
    "skipped": (None, "not checked: non-HTTP scheme, malformed URL or refused private address"),
}


def alive_of(status: str) -> bool | None:
    return STATUSES[status][0]


@dataclass(frozen=True)
class Probe:
    """What a random path on the same host returned (the soft-404 probe)."""

    status_code: int | None  # None: the probe failed at the transport level
    title: str | None = None
    text: str | None = None
    final_url: str | None = None


# ----------------------------------------------------------- similarity ---

_WORD = re.compile(r"\w+")


def _words_below(text: str, n: int) -> bool:
    """Fewer than `n` words in `text` (stops counting at `n`)."""
    return sum(1 for _ in itertools.islice(_WORD.finditer(text), n)) < n


def _shingles(text: str, k: int = 3, limit: int | None = 1000) -> set[int]:
    words = _WORD.findall(text.lower())[:limit]
    if len(words) < k:
        return {hash(tuple(words))} if words else set()
    return {hash(tuple(words[i : i + k])) for i in range(len(words) - k + 1)}


def similarity(a: str, b: str, limit: int | None = 1000) -> float:
    """Jaccard similarity of word 3-shingles (0..1) over the first `limit` words (None: all)."""
    sa, sb = _shingles(a, limit=limit), _shingles(b, limit=limit)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


# ---------------------------------------------------------------- rules ---

# Titles/h1 of "not found" pages; a title is short, so broad phrases are safe there.
_NOT_FOUND_TITLE = re.compile(
    r"\bnot\s+found\b|^\W*404\W*(?:$|[|:\-–—]|not\b)|[|:\-–—]\W*404\W*$|\berror\W*404\b|\b404\W*error\b"
    r"|\bpage\s+(?:does\s+not|doesn'?t|no\s+longer)\s+exists?\b|\bno\s+such\s+page\b"
    r"|не\s+найден|ошибка\W*404|404\W*ошибка|страница\s+не\s+существует|страница\s+удалена"
    r"|нет\s+такой\s+страницы|такой\s+страницы\s+нет",
    re.I,
)
# Phrases that make a SHORT page a "not found" page.
_NOT_FOUND_BODY = re.compile(
    r"\b(?:page|file|document|article|post|resource|url|content)\s+(?:was\s+|is\s+)?not\s+found\b"
    r"|\b(?:could\s+not|couldn'?t|cannot|can'?t)\s+be\s+found\b|\bwe\s+(?:could\s+not|couldn'?t)\s+find\b"
    r"|\b404\s+not\s+found\b|\berror\W*404\b|\bpage\s+(?:does\s+not|doesn'?t)\s+exist\b"
    r"|\bno\s+longer\s+(?:available|exists)\b|\bhas\s+been\s+(?:moved\s+or\s+)?(?:removed|deleted)\b"
    r"|страница\s+не\s+найдена|не\s+найдено|ошибка\W*404|не\s+удалось\s+найти"
    r"|страница\s+не\s+существует|страница\s+(?:была\s+)?удалена|такой\s+страницы\s+нет",
    re.I,
)
_SHORT_PAGE = 2000  # characters of main text
_ERROR_PAGE_TEXT = 500  # on a host that answers real 404s, only a page this short can be an error page

# Parking services (script/iframe hosts); counted only on pages with little text.
_PARKED_MARKUP = re.compile(  # searched in the lower-cased page, like _CHALLENGE_MARKUP
    r"parkingcrew\.net|sedoparking\.com|bodis\.com|parklogic|above\.com/|dan\.com/|afternic\.com"
    r"|hugedomains\.com|domainmarket\.com|window\.park\b|/park\.js\b")
_PARKED_PHRASE = re.compile(
    r"\bthis\s+domain\s+(?:name\s+)?(?:is|may\s+be)\s+for\s+sale\b|\bbuy\s+this\s+domain\b"
    r"|\bdomain\s+(?:name\s+)?(?:is\s+)?for\s+sale\b|\bdomain\s+\S+\s+(?:is|may\s+be)\s+for\s+sale\b"
    r"|\b(?:domain|website)\s+(?:is\s+)?parked\b|\bparked\s+(?:domain|free|by)\b"
    r"|домен\s+прода[её]тся|купить\s+(?:этот\s+)?домен|домен\s+припаркован",
    re.I,
)
_PARKED_TEXT_MAX = 2500

# Bot walls. Titles are decisive; in-page markers only on short pages, because Cloudflare
# injects /cdn-cgi/challenge-platform/ scripts into many ordinary pages.
_CHALLENGE_TITLE = re.compile(
    r"^just a moment|attention required|checking your browser|ddos-guard|ddos protection"
    r"|\bcaptcha\b|are you a (?:robot|human)|verify you are (?:a )?human|один момент"
    r"|проверка браузера|^access denied",
    re.I,
)
# Searched in the LOWER-CASED page without re.I: Python's re scans an alternation of literals under
# re.I one character at a time (3.4 ms on a 20 KB page, measured; 0.3 ms lower-cased).
_CHALLENGE_MARKUP = re.compile(
    r"cf-chl|cf_chl_opt|/cdn-cgi/challenge-platform/|ddos-guard|g-recaptcha|h-captcha|cf-turnstile")
_CHALLENGE_TEXT_MAX = 1500

_LOGIN_PATH = re.compile(
    r"/(?:log-?in|log_in|sign-?in|sign_in|logon|auth|sso|session/new|sessions/new|users/sign_in"
    r"|wp-login\.php|accounts?/log-?in|uas/login|checkpoint/lg)(?:[/.?]|$)",
    MARKUP,  # a URL's path: ASCII case only
)
_RETURN_KEYS = {"next", "return_to", "returnto", "returnurl", "return_url", "redirect_to",
                "redirect", "continue", "came_from", "backurl", "back_url"}
_PASSWORD_INPUT = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password", MARKUP)
_LOGIN_TEXT_MAX = 3000

_GENERIC_PATH = re.compile(
    r"^(?:|/index|/home|/default|/main|/start|/404|/error|/errors?/404|/not-?found|/page-?not-?found"
    r"|/[a-z]{2}(?:[-_][a-z]{2})?)(?:\.(?:s?html?|php|aspx?|jsp))?/?$",
    re.I,
)


# Client-side redirects, which a reader's browser follows: <meta http-equiv="refresh" content="0;
# url=/"> (a delay under 10 s), and a short page whose visible job is `location = "/"`.
_META_TAG = re.compile(r"<meta\b[^>]*\bhttp-equiv\s*=\s*[\"']?refresh\b[^>]*>", MARKUP)
_REFRESH_CONTENT = re.compile(
    r"\bcontent\s*=\s*[\"']?\s*(\d+(?:\.\d+)?)\s*[;,]\s*(?:url\s*=\s*)?[\"']?([^\"'>\s]+)", MARKUP)
_SCRIPT_REDIRECT = re.compile(
    r"\b(?:window\.|document\.|top\.|self\.)?location(?:\.href)?\s*=\s*[\"']([^\"']+)[\"']"
    r"|\blocation\.(?:replace|assign)\(\s*[\"']([^\"']+)[\"']\s*\)", MARKUP)
_SCRIPT_REDIRECT_TEXT = 500  # a script redirect counts only on a page with this little text
_REFRESH_MAX_DELAY = 10.0
_COMPARED_WORDS_TEXT = 2000  # characters whose words are counted before a comparison with the probe

# The rules read no further into a page's main text than this, but for the comparison with the probe,
# which reads the whole text when the lengths are close: a longer text's start is enough to judge it
# (classify_response's text_whole=False; page.main_text reads only as much of a page as it needs).
VERDICT_TEXT = max(_SHORT_PAGE, _ERROR_PAGE_TEXT, _PARKED_TEXT_MAX + 1, _CHALLENGE_TEXT_MAX, _LOGIN_TEXT_MAX,
                   _SCRIPT_REDIRECT_TEXT, _COMPARED_WORDS_TEXT)


def client_redirect(url: str, html: str, text: str) -> str | None:
    """Where a meta refresh or a trivially visible script redirect sends the reader (absolute), or None."""
    target = None
    tag = _META_TAG.search(html[:20000])
    if tag and (m := _REFRESH_CONTENT.search(tag.group(0))) and float(m.group(1)) < _REFRESH_MAX_DELAY:
        target = m.group(2)
    if target is None and len(text) < _SCRIPT_REDIRECT_TEXT and (m := _SCRIPT_REDIRECT.search(html[:20000])):
        target = m.group(1) or m.group(2)
    if not target or target.startswith(("#", "javascript:")):
        return None
    absolute = urljoin(url, target.strip())
    return absolute if urlsplit(absolute).scheme in ("http", "https") and not _same_page(url, absolute) else None


def _path(url: str | None) -> str:
    return urlsplit(url or "").path


def _header_dict(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k.lower(): v for k, v in items}


def _is_challenge(code: int, headers: dict[str, str], html: str, title: str | None, text: str) -> bool:
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if "ddos-guard" in headers.get("server", "").lower() and code in (403, 503):
        return True
    if title and _CHALLENGE_TITLE.search(title):
        return True
    return len(text) < _CHALLENGE_TEXT_MAX and bool(_CHALLENGE_MARKUP.search(html.lower()))


def _is_parked(html: str, title: str | None, text: str) -> bool:
    if title and _PARKED_PHRASE.search(title):
        return True
    if len(text) > _PARKED_TEXT_MAX:
        return False
    return bool(_PARKED_PHRASE.search(text) or _PARKED_MARKUP.search(html.lower()))


def _is_login(url: str, final_url: str | None, redirects: Sequence[dict], html: str, text: str) -> bool:
    if redirects and final_url and not _LOGIN_PATH.search(_path(url)):
        if _LOGIN_PATH.search(_path(final_url)):
            return True
        for key, value in parse_qsl(urlsplit(final_url).query):
            if key.lower() in _RETURN_KEYS and value.startswith(("/", "http")):
                return True
    return len(text) < _LOGIN_TEXT_MAX and bool(_PASSWORD_INPUT.search(html))


def _is_homepage_redirect(url: str, final_url: str | None, redirects: Sequence[dict]) -> bool:
    if not redirects or not final_url:
        return False
    return bool(_GENERIC_PATH.match(_path(final_url))) and not _GENERIC_PATH.match(_path(url))


def _headline_says_not_found(html: str, title: str | None) -> bool:
    return bool((title and _NOT_FOUND_TITLE.search(title)) or (
        (h1 := extract_h1(html)) and _NOT_FOUND_TITLE.search(h1)))


def _is_soft404(url: str, html: str, title: str | None, text: str, probe: Probe | None, whole: bool) -> bool:
    says_so = len(text) < _SHORT_PAGE and bool(_NOT_FOUND_BODY.search(text))
    if probe is not None and probe.status_code in (404, 410):
        # This host answers a real 404 for what it does not have, so its 200 is a real page unless
        # the evidence is strong: it looks like the host's own 404 page, or it is a tiny page that
        # says "not found" (an article is longer). A headline such as "Hiker not found" stays ok.
        # (The headline is read last: on a longer page it cannot decide.)
        return _probe_matches(url, title, text, probe, honest_404=True, page=None if whole else html) or (
            says_so and len(text) < _ERROR_PAGE_TEXT) or (
            len(text) < _ERROR_PAGE_TEXT // 2 and _headline_says_not_found(html, title))
    return _headline_says_not_found(html, title) or says_so or _probe_matches(
        url, title, text, probe, page=None if whole else html)


def _probe_matches(url: str, title: str | None, text: str, probe: Probe | None, honest_404: bool = False,
                   page: str | None = None) -> bool:
    """Bar-Yossef et al.: a random path answering 200 with the same page (or, with `honest_404`,
    this page the same as the host's real 404 page). `page`: the page's HTML when `text` is only the
    start of its main text, read whole here if the lengths are close enough to compare."""
    if probe is None or probe.status_code is None:
        return False
    if not honest_404 and not 200 <= probe.status_code < 300:
        return False
    ptext = probe.text or ""
    # cheapest test first: the probe's page is often a few words, and the words of the page are
    # only counted up to 20 (the outcome is the same as counting them all)
    ratio = (len(text) + 1) / (len(ptext) + 1)
    if ratio > 2 or ratio < 0.5 and page is None:
        return False  # lengths this far apart cannot reach the thresholds below (a text's start only grows)
    if _GENERIC_PATH.match(_path(url)):
        return False  # the home page itself: a catch-all site serves it for every path
    if page is not None:
        text = extract_text(page)  # its start was not enough: compared whole
        if not 0.5 <= (len(text) + 1) / (len(ptext) + 1) <= 2:
            return False
    n = _COMPARED_WORDS_TEXT
    if _words_below(ptext[:n], 20) or _words_below(text[:n], 20):
        return False  # too little text to compare (script shells, images)
    sim = similarity(text, ptext)
    same_title = bool(title) and title == probe.title
    return sim >= 0.85 or (same_title and sim >= 0.5)


def _same_page(a: str, b: str | None) -> bool:
    """Equal up to http->https, a leading www. and a trailing slash."""
    if not b:
        return True
    sa, sb = urlsplit(a), urlsplit(b)

    def key(s):
        host = (s.hostname or "").lower().removeprefix("www.")
        return host, s.path.rstrip("/") or "/", s.query

    return key(sa) == key(sb)


def classify_response(
    status_code: int,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    *,
    url: str,
    final_url: str | None = None,
    redirects: Sequence[dict] = (),
    html: str | None = None,
    title: str | None = None,
    text: str | None = None,
    text_whole: bool = True,
    probe: Probe | None = None,
) -> tuple[str, bool | None]:
    """The verdict for one HTTP answer: (status, alive).

    `html` is the decoded page (the first ~200 KB is enough); `title` and `text` are computed
    from it when not given. `text_whole=False`: `text` is only the start of the page's main text
    (page.main_text), at least VERDICT_TEXT characters of it, and the whole is read from `html`
    where a rule needs more. `redirects` is the chain of {"url", "status", "location"} hops.
    """
    hdrs = _header_dict(headers)
    html = html or ""
    if title is None and html:
        title = extract_title(html)
    if text is None:
        text, text_whole = (extract_text(html) if html else ""), True
    elif not text_whole and (not html or len(text) < VERDICT_TEXT):
        text, text_whole = (extract_text(html) if html else text), True  # too little to judge by: whole
    if html and 200 <= status_code < 300 and (target := client_redirect(final_url or url, html, text)):
        # counted as a redirect hop, so homepage-redirect and login-wall detection apply
        redirects = [*redirects, {"url": final_url or url, "status": status_code, "location": target}]
        final_url = target
    status = _status_for(status_code, hdrs, url, final_url, redirects, html, title, text, text_whole, probe)
    return status, alive_of(status)


def _status_for(code, hdrs, url, final_url, redirects, html, title, text, whole, probe) -> str:
    if _is_challenge(code, hdrs, html, title, text) or code in (401, 403, 999):
        return "blocked"
    simple = {404: "not-found", 410: "gone", 429: "rate-limited", 451: "legal"}
    if code in simple:
        return simple[code]
    if 500 <= code < 600:
        return "server-error"
    if 400 <= code < 500:
        return "client-error"
    if not 200 <= code < 300:
        return "http-error"
    if _is_parked(html, title, text):
        return "parked"
    if _is_login(url, final_url, redirects, html, text) or login_walled_platform(final_url or url):
        return "login-required"  # facebook.com & co. show a crawler their login wall: cannot tell
    if _is_homepage_redirect(url, final_url, redirects):
        return "homepage-redirect"
    if html and _is_soft404(url, html, title, text, probe, whole):
        return "soft-404"
    if redirects and redirects[0]["status"] in (301, 308) and not _same_page(url, final_url):
        return "redirected"
    return "ok"
