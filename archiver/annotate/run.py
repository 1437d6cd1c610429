"""`annotate` as a stage: read a document, apply its confident repairs, add the archived copies
archive.db holds for its links, and write the copy (or, with `in_place`, the document itself after
keeping a backup). Written as every output is (archiver/files.py): a file aside and renamed, so
nothing is ever half-written; a device, a FIFO or `-` (stdout) in place."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from importlib import import_module

from ..errors import InputError
from ..extract import Document, extract, read_document
from ..files import write_bytes
from ..lint.document import repair_document
from ..lint.run import confident_repairs, fixed_text, text_diff
from ..store import missing as no_archive
from ..store import open_reader
from .links import annotate_text

BIBLIOGRAPHIES = ("bibtex", "csljson", "ris")  # each a module here with annotate(text, by_entry)
# why a URL with an archived copy was not annotated, by format (annotate_text found no place for it)
_LEFT = {"html": "typed as text, not an <a href> link", "markdown": "not found whole on its line (wrapped, or in "
         "raw HTML whose element does not end on that line)", "text": "not found whole on its line"}


@dataclass
class AnnotateResult:
    path: str
    out: str
    links: int  # links given their archived copy
    repairs: int  # confident repairs applied
    backup: str | None = None  # where the original went (in place only)
    without_copy: list[str] = field(default_factory=list)  # URLs with no archived copy in archive.db
    diff: str | None = None  # dry run: the change as a unified diff; nothing was written
    left: list[tuple[str, str]] = field(default_factory=list)  # (URL with a copy, why it was not annotated)


def annotate_document(db: str, path: str, out: str | None, *, in_place: bool = False, fmt: str | None = None,
                      base_url: str | None = None, dry_run: bool = False) -> AnnotateResult:
    target = path if dry_run else _target(path, out, in_place)
    if why := no_archive(db, path):
        raise InputError(why)
    if path.lower().endswith(".docx") and fmt in (None, "docx"):
        if dry_run:
            raise InputError(f"{path}: --dry-run shows a diff of a text document; for DOCX, write a copy with -o")
        return _docx(db, path, target, in_place)
    doc = read_document(path, fmt)
    if doc.format in BIBLIOGRAPHIES:
        return _bibliography(db, doc, target, in_place, dry_run)
    if doc.format not in _LEFT:  # PDF, ODT: archiver reads them but writes no copy of them
        raise InputError(f"{path}: annotate writes text, Markdown, HTML, DOCX, BibTeX, CSL-JSON and RIS, not "
                         f"{doc.format.upper()}; `archiver report {path}` lists the archived copy of each link")
    repaired = repair_document(list(extract(doc, base_url=base_url)))
    fixed = Document(doc.path, doc.format, fixed_text(doc, repaired), doc.sha256)
    with open_reader(db) as store:
        copies = store.archived_copies([r.url for r in repaired if r.url])
    for r in repaired:  # the printed text finds the copy too, whatever repair normalised
        if r.url in copies:
            copies.setdefault(r.citation.raw, copies[r.url])
    text, links, placed = annotate_text(fixed, copies, base_url=base_url)
    missing = sorted({r.url for r in repaired if r.url and r.url not in copies})
    left = [(url, _LEFT[doc.format]) for url in sorted({r.url for r in repaired if r.url in copies} - placed
                                                       - {r.url for r in repaired if r.citation.raw in placed})]
    if dry_run:
        return AnnotateResult(path, path, links, len(confident_repairs(repaired)), None, missing, text_diff(doc, text),
                              left=left)
    backup = _backup(path) if in_place else None
    _write(target, text)
    return AnnotateResult(path, target, links, len(confident_repairs(repaired)), backup, missing, left=left)


def _bibliography(db: str, doc: Document, target: str, in_place: bool, dry_run: bool) -> AnnotateResult:
    """BibTeX, CSL-JSON, RIS: each entry's archived copy in fields of its own (annotate/biblio.py).
    Repairs are not applied: every byte but the new fields stays as it was."""
    repaired = repair_document(list(extract(doc)))
    with open_reader(db) as store:
        copies = store.archived_copies([r.url for r in repaired if r.url])
    by_entry: dict[str, tuple[str, str]] = {}
    for r in repaired:  # an entry's first URL (url, howpublished, note, doi) that has a copy
        if r.url in copies and r.citation.note is not None:
            by_entry.setdefault(r.citation.note, copies[r.url])
    raw = _original_bytes(doc)
    text, links = import_module(f".{doc.format}", __package__).annotate(doc.text, by_entry)
    missing = sorted({r.url for r in repaired if r.url and r.url not in copies})
    if dry_run:
        return AnnotateResult(doc.path, doc.path, links, 0, None, missing, text_diff(doc, text))
    backup = _backup(doc.path) if in_place else None
    _write(target, (raw[:3] if raw.startswith(b"\xef\xbb\xbf") else b"") + text.encode("utf-8"))
    return AnnotateResult(doc.path, target, links, 0, backup, missing)


def _original_bytes(doc: Document) -> bytes:
    """The file as it is on disk: it must be UTF-8, or writing it back would change every byte."""
    with open(doc.path, "rb") as fh:
        raw = fh.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{doc.path}: not UTF-8; annotate writes bibliographies back only in UTF-8 "
                         "(export it again as UTF-8)") from None
    return raw


def _docx(db: str, path: str, target: str, in_place: bool) -> AnnotateResult:
    """DOCX: archive links after each hyperlink, and at the end of each paragraph for a URL printed
    as plain text (a footnote's URL); repairs are not applied (the text sits in runs)."""
    import zipfile

    from .docx import annotate_docx, hyperlink_targets

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        urls = hyperlink_targets(data)
        printed = {r.citation.raw: r.url for r in repair_document(list(extract(read_document(path, "docx"))))
                   if r.url and r.citation.href is None}
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable Word document ({exc}); open it in Word and save it again") from None
    with open_reader(db) as store:
        copies = store.archived_copies([*urls, *printed.values()])
    plain = {raw: url for raw, url in printed.items() if url in copies}
    new, links, missed = annotate_docx(data, copies, plain)
    backup = _backup(path) if in_place else None
    _write(target, new)
    left = [(plain[raw], "printed across a field code or paragraphs, so not found whole in one paragraph")
            for raw in missed]
    return AnnotateResult(path, target, links, 0, backup, sorted({*urls, *printed.values()} - set(copies)),
                          left=left)


def _target(path: str, out: str | None, in_place: bool) -> str:
    if in_place:
        if out:
            raise InputError("give either -o OUT or --in-place, not both")
        return path
    if not out:
        raise InputError(f"{path}: say where to write the annotated copy (-o OUT), or use --in-place "
                         "(which keeps a backup)")
    if os.path.exists(out) and os.path.samefile(out, path):
        raise InputError(f"{out} is the document itself; use --in-place to change it (a backup is kept)")
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        raise InputError(f"{out}: its folder does not exist; create it or choose another path")
    return out


def _backup(path: str) -> str:
    """Copy the original beside itself as PATH.bak (PATH.bak.1, ... when that exists)."""
    backup, n = f"{path}.bak", 0
    while os.path.exists(backup):
        n += 1
        backup = f"{path}.bak.{n}"
    shutil.copy2(path, backup)
    return backup


def _write(path: str, content: str | bytes) -> None:
    write_bytes(path, content.encode("utf-8") if isinstance(content, str) else content)
