"""`annotate` as a stage: read a document, apply its confident repairs, add the archived copies
archive.db holds for its links, and write the copy (or, with `in_place`, the document itself after
keeping a backup). Every file is written aside and renamed: nothing is ever half-written."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from ..errors import InputError
from ..extract import Document, extract, read_document
from ..lint.repair import repair_document
from ..lint.run import confident_repairs, fixed_text
from ..store import open_reader
from .links import annotate_text


@dataclass
class AnnotateResult:
    path: str
    out: str
    links: int  # links given their archived copy
    repairs: int  # confident repairs applied
    backup: str | None = None  # where the original went (in place only)
    without_copy: list[str] = field(default_factory=list)  # URLs with no archived copy in archive.db


def annotate_document(db: str, path: str, out: str | None, *, in_place: bool = False, fmt: str | None = None,
                      base_url: str | None = None) -> AnnotateResult:
    target = _target(path, out, in_place)
    if not os.path.isfile(db):
        raise InputError(f"{db}: no archive database here; run `archiver run {path} --db {db}` first")
    if path.lower().endswith(".docx") and fmt in (None, "docx"):
        return _docx(db, path, target, in_place)
    doc = read_document(path, fmt)
    repaired = repair_document(list(extract(doc, base_url=base_url)))
    fixed = Document(doc.path, doc.format, fixed_text(doc, repaired), doc.sha256)
    with open_reader(db) as store:
        copies = store.archived_copies([r.url for r in repaired if r.url])
    for r in repaired:  # the printed text finds the copy too, whatever repair normalised
        if r.url in copies:
            copies.setdefault(r.citation.raw, copies[r.url])
    text, links = annotate_text(fixed, copies, base_url=base_url)
    backup = _backup(path) if in_place else None
    _write(target, text)
    missing = sorted({r.url for r in repaired if r.url and r.url not in copies})
    return AnnotateResult(path, target, links, len(confident_repairs(repaired)), backup, missing)


def _docx(db: str, path: str, target: str, in_place: bool) -> AnnotateResult:
    """DOCX: archive links after each hyperlink; repairs are not applied (the text sits in runs)."""
    import zipfile

    from .docx import annotate_docx, hyperlink_targets

    try:
        with open(path, "rb") as fh:
            data = fh.read()
        urls = hyperlink_targets(data)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable Word document ({exc}); open it in Word and save it again") from None
    with open_reader(db) as store:
        copies = store.archived_copies(urls)
    new, links = annotate_docx(data, copies)
    backup = _backup(path) if in_place else None
    _write(target, new)
    return AnnotateResult(path, target, links, 0, backup, sorted(set(urls) - set(copies)))


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
    tmp = f"{path}.archiver-part"
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        if os.path.exists(path):
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
