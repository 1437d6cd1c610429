"""Reading a fetched page: its charset, its decoded text, its title and its main text.

The verdicts (classify.py) and the snapshots (fetch.py, store/) read pages through these pure
functions. The main text is what a reader sees of the page: scripts, styles, the head and the
navigation dropped, tags removed, entities decoded, whitespace collapsed. Regular expressions do
it (five passes of C code over the page) rather than an HTML parser: selectolax (lexbor) was
measured no faster for the text with separators (README, Benchmarks).
"""

from __future__ import annotations

import codecs
import html as htmllib
import re

__all__ = ["MARKUP", "decode_body", "detect_charset", "extract_h1", "extract_text", "extract_title", "is_html", "main_text"]


# ---------------------------------------------------------------- text ---

# Tag and attribute names match as browsers match them: case-insensitive in ASCII only. Plain re.I
# folds Unicode too, so `<ſcript>` (long s) was a script block and `http-equıv` (dotless i) a refresh.
MARKUP = re.I | re.A
_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Blocks that are never the page's main text (layout and code).
_DROPPED = ("script", "style", "noscript", "template", "svg", "head", "nav", "aside", "footer")
_DROP = re.compile(rf"<({'|'.join(_DROPPED)})\b[^>]*>.*?</\1\s*>", re.S | MARKUP)
_DROP_OPEN = re.compile(rf"<({'|'.join(_DROPPED)})\b", MARKUP)  # where _DROP starts a match
_DROP_CLOSE = {name: re.compile(rf"</{name}\s*>", MARKUP) for name in _DROPPED}  # where it ends one
_TAG = re.compile(r"<[^>]*>")
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | MARKUP)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | MARKUP)


# The ASCII characters str.split() splits on besides the space. Each is replaced by a space with
# str.replace, one character after the other (a memchr where it is absent): 4 us on a 20 KB page,
# where str.translate with a table took 35 us (measured).
_ASCII_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_SPACES = re.compile("  [ ]*")  # two spaces or more; spelt so re scans for the literal "  " (" {2,}": 10x slower)


def _collapse(text: str, ends: bool = False) -> str:
    """Whitespace collapsed: " ".join(text.split()), which on a 20 KB page makes an object per word
    (0.2 ms, measured). ASCII text, the usual case, is collapsed without them, to the same string
    (tests/test_classify.py). With `ends`, a space is kept at either end where the text had
    whitespace, so that pieces collapsed, joined and collapsed again give the whole's collapse."""
    if text.isascii():
        for char in _ASCII_WHITESPACE:
            text = text.replace(char, " ")
        text = _SPACES.sub(" ", text)
        return text if ends else text.strip(" ")
    words = " ".join(text.split())
    if not ends or not text:
        return words
    return (" " if text[0].isspace() else "") + words + (" " if text[-1].isspace() and words else "")


def _clean(fragment: str) -> str:
    """Tags out, entities decoded, whitespace collapsed."""
    return _collapse(htmllib.unescape(_TAG.sub(" ", fragment)))


def extract_title(html: str) -> str | None:
    m = _TITLE.search(html)
    if not m:
        return None
    return _clean(m.group(1)) or None


def extract_h1(html: str) -> str | None:
    m = _H1.search(html)
    if not m:
        return None
    return _clean(m.group(1)) or None


def extract_text(html: str) -> str:
    """Visible main text: scripts, styles, head, nav/aside/footer dropped, whitespace collapsed."""
    return _clean(_DROP.sub(" ", _COMMENT.sub(" ", html)))


def main_text(html: str, at_least: int | None = None) -> tuple[str, bool]:
    """(text, whole): extract_text(html), or with `at_least` only as much of it as that takes: its
    first `at_least` characters or more, whole=False (it may be all of it, read to the end or not). Snapshots keep 4,000
    characters and the verdicts read 3,000 (classify.VERDICT_TEXT); the text of a 20 KB page is
    about 150 us of CPU, a fifth of it for the first 4,000 characters (README, Check).

    The page is read in pieces, each cut just before a "<". A piece is taken when nothing in it runs
    past its end (a comment, a dropped block, a tag): the expressions then match in it what they
    match in the whole page, and its text is the next stretch of the page's text. A piece that cuts
    one is read again up to past that one's end, three times at most; then the rest of the page is
    read at once (tests/test_page.py holds the result to extract_text's)."""
    if at_least is None or len(html) < 2 * at_least:
        return extract_text(html), True
    pieces: list[str] = []
    got = start = 0
    size = at_least + at_least // 4
    while start < len(html) and got < at_least + len(pieces) + 1:  # each join loses at most one space
        piece, start = _next_piece(html, start, size, at_least // 2)
        pieces.append(piece)
        got += len(piece)
        # the next piece: as long as the text still wanted at the page's density so far, no longer than
        # what was read (the start of a page is often its sparsest part: head, navigation)
        need = at_least + len(pieces) + 1 - got
        size = max(at_least // 2, min(need * start // got * 5 // 4 if got else start, start))
    return _SPACES.sub(" ", "".join(pieces)).strip(" "), start >= len(html)


def _next_piece(html: str, start: int, size: int, least: int) -> tuple[str, int]:
    """The text of the next piece of `html` from `start` (spaces kept at its ends), and its end."""
    end = start + size
    for _ in range(4):
        cut = html.find("<", end)
        if cut < 0:
            break
        text = _piece(html, start, cut)
        if isinstance(text, str):
            return text, cut
        if text < 0:
            break
        end = text + least
    return _collapse(htmllib.unescape(_TAG.sub(" ", _DROP.sub(" ", _COMMENT.sub(" ", html[start:])))), True), len(html)


def _piece(html: str, start: int, cut: int) -> str | int:
    """The text of html[start:cut] (spaces kept at its ends); or, when something in it runs past
    `cut`, where that ends in `html` (-1: nowhere)."""
    piece = _COMMENT.sub(" ", html[start:cut])
    if "<!--" in piece:  # a comment that ends later
        end = html.find("-->", cut)
        return end + 3 if end >= 0 else -1
    piece = _DROP.sub(" ", piece)
    if m := _DROP_OPEN.search(piece):  # a dropped block that ends later
        close = _DROP_CLOSE[m.group(1).lower()].search(html, cut)
        return close.end() if close else -1
    piece = _TAG.sub(" ", piece)
    if "<" in piece:  # a tag that ends later
        end = html.find(">", cut)
        return end + 1 if end >= 0 else -1
    return _collapse(htmllib.unescape(piece), True)


def is_html(content_type: str | None) -> bool:
    if not content_type:
        return False
    ct = content_type.split(";", 1)[0].strip().lower()
    return ct in ("text/html", "application/xhtml+xml")


def _is_text(content_type: str | None) -> bool:
    if not content_type:
        return True  # undeclared: sniff it
    ct = content_type.split(";", 1)[0].strip().lower()
    return ct.startswith("text/") or ct.endswith(("+xml", "/xml", "/json", "+json", "/javascript"))


# ------------------------------------------------------------- charset ---

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", MARKUP)
_META_CHARSET = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


# Codecs Python knows that are not character sets a page can be written in: binary transforms
# (rot13, base64, zlib, hex: `_is_text_encoding` is False), host-name and escape codecs, and codecs
# that always fail. A page that names one gets its charset detected instead (issue 11: one such
# page used to crash the whole check).
_NOT_A_CHARSET = frozenset({"idna", "punycode", "undefined", "raw-unicode-escape", "unicode-escape",
                            "charmap", "utf-7", "mbcs", "oem"})


def _valid_codec(name: str | None) -> str | None:
    """`name` as a codec name if it is a real text encoding, else None."""
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_A_CHARSET:
        return None
    return name.lower()


def detect_charset(body: bytes, content_type: str | None) -> str:
    """Header, then BOM, then <meta>, then strict UTF-8, then charset_normalizer."""
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        if m and (name := _valid_codec(m.group(1))):
            return name
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    meta = _META_CHARSET.search(body[:4096])
    if meta and (name := _valid_codec(meta.group(1).decode("ascii", "replace"))):
        return name
    head = body[:65536]
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3 and len(body) > len(head):
            return "utf-8"  # a character cut by the slice
    from charset_normalizer import from_bytes  # slow import, rarely needed

    best = from_bytes(head).best()
    return best.encoding.lower() if best else "utf-8"


def decode_body(body: bytes, content_type: str | None, limit: int = 256 * 1024) -> tuple[str | None, str | None]:
    """(text, charset) of the first `limit` bytes, or (None, None) for binary content."""
    if not body or not _is_text(content_type):
        return None, None
    if not content_type and b"\x00" in body[:1024]:
        return None, None
    charset = detect_charset(body, content_type)
    try:
        return body[:limit].decode(charset, errors="replace"), charset
    except (LookupError, UnicodeError):  # a codec that passed the checks and still refuses: UTF-8
        return body[:limit].decode("utf-8", errors="replace"), "utf-8"
