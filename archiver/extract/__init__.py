"""Citation extraction: one module per input kind; this module dispatches on the file type.

To add a format, write a module with `extract(text, source, **options)` yielding Citations, list
its suffixes in _SUFFIXES and call it from `extract`. Extraction streams: citations are yielded as
they are found. A reader module is imported when a document of its format is read, so checking a
text file does not load the DOCX, PDF or BibTeX readers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module

from ..errors import InputError
from ..models import Citation

# format -> the file name endings that make it
_SUFFIXES = {"text": (".txt", ".text", ".notes", ""), "markdown": (".md", ".markdown", ".mdown", ".mkd", ".mdx"),
             "html": (".html", ".htm", ".xhtml"), "bibtex": (".bib", ".bibtex"), "csljson": (".csl.json", ".csljson"),
             "ris": (".ris",), "docx": (".docx",), "odt": (".odt",), "pdf": (".pdf",)}
BINARY = ("docx", "odt", "pdf")
FORMATS = tuple(_SUFFIXES)

__all__ = ["Document", "read_document", "extract", "detect_format", "why_no_citations", "FORMATS"]


@dataclass(frozen=True)
class Document:
    path: str
    format: str
    text: str
    sha256: str
    data: bytes = b""  # the file itself, for the binary formats (DOCX, ODT, PDF)
    # (line, finding name, message) about the document: found when it is read, and for a
    # bibliography also while its entries are (biblio.extract_bibtex reads them once, a piece at a time)
    notices: list[tuple[int, str, str]] = field(default_factory=list)


_MD_SIGNS = re.compile(r"(?m)^(?:#{1,6} \S|```|\[\^?[^\]\n]+\]: |[-*] \[[^\]\n]+\]\()|\]\([^)\s]+\)")
_BIB_SIGNS = re.compile(r"(?im)^\s*@(?:article|book|misc|online|inproceedings|report|techreport|string|"
                        r"incollection|phdthesis|mastersthesis|unpublished|manual|electronic|www)\s*[{(]")
_RIS_SIGN = re.compile(r"(?m)^\s*TY {1,2}- ")  # "TY  - JOUR" (one space before the hyphen too, as ris.py reads)


def detect_format(path: str, head: bytes | str = b"") -> str:
    """By the file name's ending, else by content: a Markdown file without an extension, an HTML
    file named .txt, a DOCX without its name (stdin)."""
    lower = path.lower()
    for name, suffixes in _SUFFIXES.items():
        if any(lower.endswith(s) for s in suffixes if s) and name != "text":
            return name
    raw = head.encode("utf-8", "replace") if isinstance(head, str) else head
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if raw.startswith(b"PK\x03\x04"):
        return "odt" if b"opendocument.text" in raw[:200] else "docx"
    sniff = raw[:4096].decode("utf-8", "replace")
    start = sniff.lstrip()[:512].lower()
    if start.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in start or "<head" in start:
        return "html"
    if start.startswith(("[", "{")) and any(k in sniff.lower() for k in ('"url"', '"doi"', '"type"')):
        return "csljson"
    if _BIB_SIGNS.search(sniff):
        return "bibtex"
    if _RIS_SIGN.search(sniff):
        return "ris"
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
    if fmt == "pdf":
        from . import pdf

        return Document(path, fmt, "", digest, data, notices=pdf.notices(data, path))
    if fmt in BINARY:
        return Document(path, fmt, "", digest, data)
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not a document archiver can read "
                         f"({', '.join(FORMATS)}); give --input-format if it is one of them")
    text, notices = _decode(data, path)
    return Document(path, fmt, text, digest, notices=[*notices, *_format_notices(fmt, text)])


def _format_notices(fmt: str, text: str) -> list[tuple[int, str, str]]:
    """What a RIS reader could not read (a BibTeX file's are found while its entries are read)."""
    if fmt == "ris":
        from . import ris

        return list(ris.notices(text))
    return []


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


def _decode(data: bytes, path: str) -> tuple[str, tuple[tuple[int, str, str], ...]]:
    """The text, and a notice for bytes that are not text in its encoding (never decoded silently)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), ()
    except UnicodeDecodeError as exc:
        bad = exc
    line = data.count(b"\n", 0, bad.start) + 1
    sample = data[bad.start:bad.start + 4]
    text = data.decode("utf-8", "replace")
    best = None
    if text.count("\ufffd") > 8:  # not a UTF-8 file with a few bad bytes: another encoding
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    if best is None or best.encoding in ("utf_8", "utf-8"):
        return text, ((line, "undecodable-bytes", f"bytes that are not UTF-8 on line {line} ({sample!r}); "
                       "replaced with U+FFFD, so URLs on that line may be misread"),)
    return str(best), ((line, "undecodable-bytes", f"not UTF-8 from line {line} on ({sample!r}); read as "
                        f"{best.encoding}: check the URLs it gives"),)


def extract(doc: Document, *, base_url: str | None = None) -> Iterator[Citation]:
    """The document's citations, in order, with numeric access dates read in the document's own
    day/month order and a date that scopes "this and the following" notes carried forward."""
    from .dates import document_order, in_order
    from .history import TEXT_FORMATS, from_git

    found = _scoped(in_order(document_order(doc.text), iter(_read_citations(doc, base_url))))
    return from_git(found, doc.path, doc.text) if doc.format in TEXT_FORMATS else found


def _scoped(citations: Iterator[Citation]) -> Iterator[Citation]:
    """"last access for this and the following URLs: 20th Dec 19": that date is the access date of
    the later citations that print none, until another such statement. No other date is inherited."""
    from dataclasses import replace

    from .dates import SCOPE_RE

    scope = None
    for c in citations:
        if c.accessed is not None and SCOPE_RE.search(c.note_text or c.context or ""):
            scope = c.accessed
        elif c.accessed is None and scope is not None and c.raw:
            c = replace(c, accessed=scope)
        yield c


def _read_citations(doc: Document, base_url: str | None) -> Iterator[Citation]:
    if doc.format in ("html", "markdown"):
        reader = import_module(f".{doc.format}", __name__)
        return reader.extract(doc.text, doc.path, base_url=base_url)
    if doc.format in ("docx", "odt"):
        from . import office
        from .history import created, with_added

        found = office.extract_docx(doc.data, doc.path) if doc.format == "docx" else office.extract_odt(doc.data, doc.path)
        return with_added(found, created(doc.data, doc.format), f"{doc.format.upper()} created")
    if doc.format == "pdf":
        from . import pdf
        from .history import with_added

        return with_added(pdf.extract_pdf(doc.data, doc.path), pdf.created(doc.data, doc.path), "PDF created")
    if doc.format == "bibtex":
        from . import biblio

        return biblio.extract_bibtex(doc.text, doc.path, doc.notices)
    if doc.format == "ris":
        from . import ris

        return ris.extract(doc.text, doc.path)
    if doc.format == "csljson":
        return _csl(doc)
    from . import text

    return text.extract(doc.text, doc.path)


def _csl(doc: Document) -> Iterator[Citation]:
    from . import biblio

    biblio.load_json(doc.text, doc.path)  # before the first citation: a bad file yields none
    return biblio.extract_csl(doc.text, doc.path)


def why_no_citations(doc: Document) -> str:
    """The reason a document gave no citation, as far as archiver can tell."""
    if doc.format == "pdf":
        from . import pdf

        content, uris, pages = pdf.read_pdf(doc.data, doc.path)
        if not content.strip():
            return (f"the PDF's {pages} page(s) have no text layer (a scanned document?); run OCR on it "
                    "(for example ocrmypdf) and lint the result")
        return "no URL in the PDF's text and no link annotations" if not uris else "its links are all in-page"
    if doc.format in BINARY:
        return f"no hyperlink and no URL in the {doc.format.upper()} text or its notes"
    if not doc.text.strip():
        return "the file is empty"
    from . import text

    if doc.format == "text" and not text.has_notes(doc.text):
        return "no URL, no numbered notes and no notes section (Notes, References, Sources) in the text"
    return f"no URL in its {doc.format} content"
