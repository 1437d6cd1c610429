"""Citation extraction: one module per input kind; this module dispatches on the file type.

To add a format, write a module with `SUFFIXES` and `extract(text, source, **options)` yielding
Citations, and list it in FORMATS. Extraction streams: citations are yielded as they are found.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import InputError
from ..models import Citation
from . import html, markdown, text

FORMATS = {"text": text, "markdown": markdown, "html": html}

__all__ = ["Document", "read_document", "extract", "detect_format", "FORMATS"]


@dataclass(frozen=True)
class Document:
    path: str
    format: str
    text: str
    sha256: str


def detect_format(path: str, head: str = "") -> str:
    suffix = os.path.splitext(path)[1].lower()
    for name, module in FORMATS.items():
        if suffix and suffix in module.SUFFIXES:
            return name
    sniff = head.lstrip()[:512].lower()
    if sniff.startswith(("<!doctype html", "<html")) or "<body" in sniff:
        return "html"
    return "text"


def read_document(path: str, fmt: str | None = None) -> Document:
    """Read a document, or raise InputError saying which file and why."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the documents inside it") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, not a document archiver can read "
                         "(plain text, Markdown or HTML)")
    text = _decode(data, path)
    fmt = fmt or detect_format(path, text[:1024])
    if fmt not in FORMATS:
        raise InputError(f"{path}: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return Document(path, fmt, text, hashlib.sha256(data).hexdigest())


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
    module = FORMATS[doc.format]
    if doc.format in ("html", "markdown"):
        return module.extract(doc.text, doc.path, base_url=base_url)
    return module.extract(doc.text, doc.path)
