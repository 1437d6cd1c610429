"""Find the URL-ish spans of a note: where URLs start, and which pieces split by whitespace belong
to them. "…supporters–facing –pressure–01052021" is one URL; "https://a/ https://b/" two.

Shared with repair.py: the character classes of the damage (typographic dashes, invisible
characters, the spaces copy-paste leaves).
"""

from __future__ import annotations

import re

from .hosts import registrable

__all__ = ["split_note", "DOI_RE", "GLUED_PREFIX_RE", "DASHES", "DASH_RE", "DOMAIN_RE", "INVISIBLE_RE", "SPACE_CHARS", "WS_RE",
           "TRAIL_PUNCT", "CLOSERS"]

# U+2010..U+2015 (hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar) and
# U+2212 (minus sign): what word processors and PDF copy-paste put where a URL had "-".
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
DASH_RE = re.compile(f"[{DASHES}]")
# Soft hyphen (PDF line breaks), zero-width space/joiners, word joiner, BOM.
INVISIBLE_RE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# NBSP and other spaces that copy-paste leaves between URL pieces (U+3000: CJK documents).
SPACE_CHARS = " \t\r\n\u00a0\u2007\u202f\u2009\u200a\u3000"
WS_RE = re.compile(f"[{SPACE_CHARS}]+")

# Where a URL starts: a scheme (also the broken ones we repair), or "www.".
_SCHEME = r"(?:https?|htt?ps?|htps?|hhttps?|ttps?|ftp)"
# How DOIs are printed: "doi:10.1000/x", "DOI 10.1000/x" (the RFC series, many publishers),
# "doi: 10.1000/x", "info:doi/10.1000/x" (OpenURL), "doi.org/10.1000/x" and "dx.doi.org/10.1000/x"
# without a scheme. A DOI is "10." + a registrant code of 4-9 digits + "/" + a suffix (DOI Handbook 2.2).
_DOI_PREFIX = r"(?:doi:?[ \t\u00a0]{0,2}|info:doi/|(?:dx\.)?doi\.org/)"
DOI_RE = re.compile(rf"(?i)^(?:{_DOI_PREFIX}|https?://(?:dx\.)?doi\.org/)[ \t\u00a0]*(10\.\d{{4,9}}/\S+)$")
# A scheme glued to a letter of a script written without spaces (Chinese, Japanese: "详见https://…")
# starts a URL. Glued to a Latin or Cyrillic letter, a digit, "@" or "." ("xhttps://", "12https://"
# a footnote mark run into it, "name@http://", "report.http://") only an intact http(s):// starts
# one, and the span begins at the glued word: repair removes it with a finding (U115), never silently.
_GLUED = "A-Za-z0-9\u00c0-\u024f\u0400-\u04ff@."
_START_RE = re.compile(
    rf"(?i)(?<![_{_GLUED}])(?:{_SCHEME}(?::/{{1,3}}|//|:\\\\|;//)|www\d?\.(?=[\w-])|{_DOI_PREFIX}10\.\d{{4,9}}/|"
    r"https?:(?=[ \t]*\n[ \t]*//[\w-]))"
    rf"|(?<=[{_GLUED}])https?://(?=[\w-])"  # "_http://" stays none: "_" joins identifiers (linkify-it too)
)
_GLUED_CHAR_RE = re.compile(f"[{_GLUED}]")
_SCHEME_CUT_RE = re.compile(r"(?<=:)[ \t]*\n[ \t]*//")  # after the "https:" a line ends on
# The word glued to the front of an intact http(s):// ("x", "name@", "12"), for repair to remove.
GLUED_PREFIX_RE = re.compile(rf"(?i)^[{_GLUED}]+?(?=https?://[\w-])")
# A host-and-path printed without scheme: "example.com/path", or a cut one: "kz/ru/news/...".
_BARE_PATH_RE = re.compile(r"(?i)^[\w-]+(?:\.[\w-]+)*\.?/[^\s/]+/")
DOMAIN_RE = re.compile(r"(?i)^(?:[\w-]+\.)+[a-z\u0400-\u04ff]{2,}$")
TRAIL_PUNCT = ".,;:!?"
CLOSERS = ")]}>"
# Words that end a URL when they follow a "/" (prose, not a path segment).
_STOP_WORDS = {"and", "or", "accessed", "retrieved", "see", "at", "in", "on", "last", "visited",
               "и", "или", "дата", "обращения"}


_SPACE_RUN_RE = re.compile(f"[{SPACE_CHARS}]+")


def split_note(text: str, *, allow_fragment: bool = True) -> list[str]:
    """The URL-ish spans of one note, pieces split by whitespace joined where they belong together.

    "…supporters–facing –pressure–01052021" is one URL (a space before a dash joins);
    "https://a/ https://b/" is two (a new scheme starts a new URL); "https://x/ - final report"
    and "https://x/ accessed on 1 May" end at the space.
    """
    starts: list[int] = []
    gaps = [m.start() for m in _SPACE_RUN_RE.finditer(text)]
    j, last_gap, last_end = 0, -1, 0  # the latest whitespace run before the current match (one linear pass)
    for m in _START_RE.finditer(text):
        while j < len(gaps) and gaps[j] < m.start():
            last_gap, j = gaps[j], j + 1
        # "https://https://x" and "https://www.x": a start with no space since the last one is
        # part of that URL, not a new one; nor is the "www." of "https:" / "//www.x" (a scheme
        # the line's end cut off its host).
        if (not starts or last_gap > starts[-1]) and not _SCHEME_CUT_RE.fullmatch(text, last_end, m.start()):
            starts.append(_glued_start(text, m.start(), last_gap + 1))
        last_end = m.end()
    if not starts:
        bare = _bare_span(text, allow_fragment)
        return [bare] if bare else []
    spans = [_take_url(text[a:b]) for a, b in zip(starts, starts[1:] + [len(text)])]
    return [s for s in spans if s]


def _glued_start(text: str, start: int, floor: int) -> int:
    """Where the word glued to the front of a scheme begins (`start` itself when none is)."""
    while start > floor and _GLUED_CHAR_RE.match(text, start - 1):
        start -= 1
    return start


# Prose glued to a finished URL by a dash: "…/report.pdf—see page 4". A file extension says the
# URL ended there; inside a path ("kazakhstan–vote") the dash is damaged "-" and stays.
_PROSE_DASH_RE = re.compile(rf"(?i)\.(?:s?html?|php|aspx?|pdf|jsp|cfm|docx?|xlsx?)(?=[{DASHES}][^\W\d_])")


# Characters RFC 3986 never allows in a URL, followed by more text: markup around the URL, as in
# reStructuredText's `title <https://x/>`_ or an attribute's href="https://x/"class=...: the URL
# ended there, and nothing after it (not even the next line) belongs to it.
# Pandoc's attributes after a URL or image ("https://x/fig.png{#fig:schema}", "{.class}") end it too.
_MARKUP_END_RE = re.compile(r'[<>"`](?=\S)|\{(?=[#.][^\W\d])')


# Full-width and CJK punctuation: Chinese and Japanese text glues it to a URL with no space
# ("…/content_1.htm。下一句", "（https://…）", "「https://…」", "｜http://google.com｜bar").
# A URL path may hold such characters as an IRI, but printed they end the URL, as linkify-it reads them.
_CJK_END_RE = re.compile("[\u3001-\u3003\u3008-\u3011\u3014-\u301f\uff01\uff08\uff09\uff0c\uff1a\uff1b"
                         "\uff1f\uff3b\uff3d\uff5b-\uff5d]")


# A DOI's suffix may hold "<" and ">": the SICI form of older journal DOIs
# ("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0").
_DOI_SPAN_RE = re.compile(rf"(?i)^(?:{_DOI_PREFIX}|https?://(?:dx\.)?doi\.org/)[ \t\u00a0]*10\.\d{{4,9}}/")


_SICI_RE = re.compile(r"<\d+::[\w-]+>")


def _sici_end(url: str, opened: int) -> int:
    """Where to look for markup again after a "<" in a DOI: past a SICI's "<693::AID-ASI4>", else
    at the "<" itself (markup: "doi:10.1000/x<br>")."""
    sici = _SICI_RE.match(url, opened)
    return sici.end() if sici else opened


def _take_url(chunk: str) -> str:
    """From text starting at a URL, take the URL with any pieces that belong to it."""
    cjk = _CJK_END_RE.search(chunk)
    if cjk:
        chunk = chunk[:cjk.start()]
    pieces = re.split(f"([{SPACE_CHARS}]+)", chunk)
    out = pieces[0]
    glued = _PROSE_DASH_RE.search(out)
    if glued:
        return out[:glued.end()]
    markup = _MARKUP_END_RE.search(out)
    if markup and out[markup.start()] == "<" and _DOI_SPAN_RE.match(out):
        markup = _MARKUP_END_RE.search(out, _sici_end(out, markup.start()))
    if markup:
        return out[:markup.start()]
    i = 1
    while i + 1 < len(pieces):
        gap, nxt = pieces[i], pieces[i + 1]
        broken = "\n" in gap and _broken_at_line_end(out, nxt)
        if not broken and (not nxt or not _joins(out, nxt) or ("\n" in gap and _prose_line(nxt))):
            break
        out += gap + nxt
        i += 2
    return out


# What a typesetter leaves at a line end inside a URL (LaTeX's url and hyperref packages, Quarto's
# PDFs): the scheme alone ("https:" / "//host/..."), a DOI cut after a dot or a hyphen
# ("10.1257/aeri." / "20210748"), a path cut before its file name ("…/docs/" / "report.html").
_DOI_CUT_RE = re.compile(r"(?i)(?:doi\.org/|doi:?\s*)10\.\d{4,9}/\S*[._-]$")
_EXTENSION_RE = re.compile(r"(?i)^(?:s?html?|php|aspx?|pdf|jsp|cfm|docx?|xlsx?|txt|xml|json|csv)(?:[?#]\S*)?[.,;:)]*$")
_FILE_RE = re.compile(r"(?i)^[\w-]+(?:\.[\w-]+)*\.(?:s?html?|php|aspx?|pdf|jsp|cfm|docx?|xlsx?|txt|xml|json|csv)"
                      r"(?:[?#]\S*)?[.,;:)]*$")


_HOST_CUT_RE = re.compile(r"(?i)^https?://[\w-]+(?:\.[\w-]+)*\.$")
_HOST_REST_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*/")


def _broken_at_line_end(prev: str, nxt: str) -> bool:
    """Does the next line carry on the URL the typesetter broke at this line's end?"""
    if re.fullmatch(r"(?i)https?:", prev):
        return nxt.startswith("//")
    if _DOI_CUT_RE.search(prev):
        return nxt[:1].isalnum()
    if _HOST_CUT_RE.match(prev):  # "https://www.bbc." / "co.uk/news/a": a host broken after a dot
        return bool(_HOST_REST_RE.match(nxt))
    if prev.endswith(".") and "/" in prev[8:] and _EXTENSION_RE.match(nxt):
        return True  # "…/files/report." / "pdf", "…/index." / "php?id=3"
    if (prev.endswith(("#", "@")) and "/" in prev[8:]) or prev.endswith("_"):
        # "re.html#" / "re.compile", "medium.com/@" / "user", "Python_" / "(programming_language)"
        return bool(re.match(r"[\w(%]", nxt)) and not _prose_line(nxt)
    return prev.endswith("/") and prev.count("/") >= 3 and bool(_FILE_RE.match(nxt))


def _prose_line(nxt: str) -> bool:
    """After a line break, "Author-email:" or "Release notes" starts prose, not the URL's rest;
    "ActivistsNotExtremists/permalink/" (a wrapped path) does not."""
    if nxt.rstrip(CLOSERS).endswith(":"):
        return True
    pathlike = any(c in nxt for c in "/_=?&%" + DASHES) or any(c.isdigit() for c in nxt)
    return not pathlike and len(nxt) > 1 and nxt[0].isupper() and nxt[1].islower()


def _ends_open(prev: str) -> bool:
    return bool(prev) and (prev[-1] in "-=&?_" or prev[-1] in DASHES)


def _joins(prev: str, nxt: str) -> bool:
    """Does the piece after a space continue the URL? (the whitespace-join rule)"""
    if set(nxt) <= set("-" + DASHES) or _START_RE.match(nxt):
        return False  # " - final report" or a new URL
    if prev.lower() in ("doi:", "doi"):
        return nxt.startswith("10.")  # "doi: 10.1000/xyz", "DOI 10.17487/RFC9110"
    if nxt.lower().strip(TRAIL_PUNCT) in _STOP_WORDS:
        return False
    if _ends_open(prev):
        return nxt[0].isalnum() or nxt[0] in "%_"  # "svoix– agitatorov/", "ID= 5904"
    if nxt[0] in "-" + DASHES and len(nxt) > 1 and nxt[1].isalnum():
        return True  # "facing –pressure–01052021"
    if prev.endswith("/"):
        core = nxt.rstrip(TRAIL_PUNCT + CLOSERS)
        return bool(core) and (any(c.isdigit() for c in core) or bool(re.search(f"[-_/%=?&{DASHES}]", core)))
    return False


def _bare_span(text: str, allow_fragment: bool) -> str | None:
    """A host-and-path without scheme ("example.com/a/b" or, in a note, a cut "kz/ru/news/...")."""
    for token in text.split():
        t = token.strip("\"'«»“”()[]<>")
        if not (_BARE_PATH_RE.match(t) and t.count("/") >= 2 and len(t) >= 10):
            continue
        if allow_fragment or registrable(t.split("/", 1)[0]):
            return _take_url(text[text.index(token):])
    return None
