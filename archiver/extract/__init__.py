"""Citation extraction: one module per input kind; this module dispatches on the file type.

To add a format, write a module with `SUFFIXES` and `extract(text, source, **options)` yielding
Citations, and list it in FORMATS. Extraction streams: citations are yielded as they are found.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import InputError
from ..models import Citation
from . import biblio, html, markdown, office, text

# format -> (suffixes, reads bytes?)
_SUFFIXES = {"text": text.SUFFIXES, "markdown": markdown.SUFFIXES, "html": html.SUFFIXES,
             "bibtex": biblio.BIBTEX_SUFFIXES, "csljson": biblio.CSL_SUFFIXES, "docx": (".docx",),
             "odt": (".odt",)}
BINARY = ("docx", "odt")
FORMATS = tuple(_SUFFIXES)

__all__ = ["Document", "read_document", "extract", "detect_format", "FORMATS"]


@dataclass(frozen=True)
class Document:
    path: str
    format: str
    text: str
    sha256: str
    data: bytes = b""  # the file itself, for the zip-packaged formats (DOCX, ODT)


_MD_SIGNS = re.compile(r"(?m)^(?:#{1,6} \S|```|\[\^?[^\]\n]+\]: |[-*] \[[^\]\n]+\]\()|\]\([^)\s]+\)")
_BIB_SIGNS = re.compile(r"(?im)^\s*@(?:article|book|misc|online|inproceedings|report|techreport|string|"
                        r"incollection|phdthesis|mastersthesis|unpublished|manual|electronic|www)\s*[{(]")


def detect_format(path: str, head: bytes | str = b"") -> str:
    """By the file name's ending, else by content: a Markdown file without an extension, an HTML
    file named .txt, a DOCX without its name (stdin)."""
    lower = path.lower()
    for name, suffixes in _SUFFIXES.items():
        if any(lower.endswith(s) for s in suffixes if s) and name != "text":
            return name
    raw = head.encode("utf-8", "replace") if isinstance(head, str) else head
    if raw.startswith(b"PK\x03\x04"):
        return "odt" if b"opendocument.text" in raw[:200] else "docx"
    sniff = raw[:4096].decode("utf-8", "replace")
    start = sniff.lstrip()[:512].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in start or "<head" in start:
        return "html"
    if start.startswith(("[", "{")) and ('"URL"' in sniff or '"DOI"' in sniff or '"type"' in sniff):
        return "csljson"
    if _BIB_SIGNS.search(sniff):
        return "bibtex"
    if _MD_SIGNS.search(sniff):
        return "markdown"
    return "text"


def read_document(path: str, fmt: str | None = None) -> Document:
    """Read a document (`-` is standard input), or raise InputError saying which file and why."""
    data = _read(path)
    fmt = fmt or detect_format(path, data[:8192])
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    digest = hashlib.sha256(data).hexdigest()
    if fmt in BINARY:
        return Document(path, fmt, "", digest, data)
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not a document archiver can read "
                         f"({', '.join(FORMATS)}); give --input-format if it is one of them")
    return Document(path, fmt, _decode(data, path), digest)


def _read(path: str) -> bytes:
    if path == "-":
        import sys

        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the documents inside it") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _decode(data: bytes, path: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"{path}: cannot tell the text encoding; save it as UTF-8")
    return str(best)


def extract(doc: Document, *, base_url: str | None = None) -> Iterator[Citation]:
    if doc.format in ("html", "markdown"):
        return (html if doc.format == "html" else markdown).extract(doc.text, doc.path, base_url=base_url)
    if doc.format == "docx":
        return office.extract_docx(doc.data, doc.path)
    if doc.format == "odt":
        return office.extract_odt(doc.data, doc.path)
    if doc.format == "bibtex":
        return biblio.extract_bibtex(doc.text, doc.path)
    if doc.format == "csljson":
        return _csl(doc)
    return text.extract(doc.text, doc.path)


def _csl(doc: Document) -> Iterator[Citation]:
    import json

    try:
        json.loads(doc.text)
    except ValueError as exc:
        raise InputError(f"{doc.path}: not valid CSL-JSON ({exc}); export it from Zotero again") from None
    return biblio.extract_csl(doc.text, doc.path)
