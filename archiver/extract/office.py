"""Word (DOCX) and LibreOffice (ODT) documents, read as the zip packages they are.

python-docx does not expose footnotes, so the package parts are read directly: `word/document.xml`
for the body, `word/footnotes.xml` and `word/endnotes.xml` for the notes, each with its own
relationships part for hyperlink targets (`w:hyperlink r:id`) and `HYPERLINK "…"` field codes.
A note's number is its position in the order the body refers to it, as Word numbers it; its citing
sentence is the body sentence that carries the reference. ODT keeps notes inline (`text:note`).

Bounded: a part is refused before it is inflated when its declared size passes PART_LIMIT, or its
compression ratio RATIO_LIMIT (a 2 MB DOCX whose body inflated to 2 GiB took 4.2 GB when parts were
read whole); zipfile never inflates past the declared size (more is a CRC error), and the part is
parsed from the stream, so the inflated bytes are never held beside the tree. lxml without
`huge_tree` refuses a text node over 10 MB and nesting over 256 levels.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from io import BytesIO

from ..errors import InputError
from ..models import Citation
from .common import accessed_per_span, note_citations, sentence_around, spans_in
from .history import docx_inserted, odt_inserted, odt_insertions, revised

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
_FIELD_RE = re.compile(r'HYPERLINK\s+"([^"]+)"')
MARK = "\x00"  # where a note reference sits in a body paragraph
PART_LIMIT = 64 * 1024 * 1024  # inflated bytes of one part; a 1,000-page report's body is ~20 MB
RATIO_LIMIT = 100  # inflated / compressed, for parts past 1 MiB; Word's XML compresses 5-20 times


class _Para:
    """A paragraph's text, its hyperlinks (target, visible text) and note references, in order."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.refs: list[tuple[str, int]] = []  # ("footnote:3", offset)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _xml(stream):
    import lxml.etree

    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return lxml.etree.parse(stream, parser).getroot()


def open_package(data: bytes, path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"{path}: corrupt or truncated (not a readable zip package); "
                         "open it in its editor and save it again") from None


def _part(z: zipfile.ZipFile, name: str, path: str):
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    size, packed = info.file_size, max(1, info.compress_size)
    if size > PART_LIMIT or (size > 1024 * 1024 and size > RATIO_LIMIT * packed):
        raise InputError(f"{path}: the part {name} inflates to {size:,} bytes from {packed:,} (archiver reads "
                         f"up to {PART_LIMIT:,}, at most {RATIO_LIMIT} times its packed size): a compression "
                         "bomb, or a document to save in smaller parts")
    try:
        with z.open(info) as stream:
            return _xml(stream)
    except Exception as exc:  # zlib, CRC or XML errors all mean the same to the user
        raise InputError(f"{path}: the part {name} is corrupt ({exc}); save the document again") from None


def _rels(z: zipfile.ZipFile, part: str, path: str) -> dict[str, str]:
    folder, name = part.rsplit("/", 1)
    root = _part(z, f"{folder}/_rels/{name}.rels", path)
    if root is None:
        return {}
    return {r.get("Id"): r.get("Target", "") for r in root if r.get("TargetMode") == "External"}


def _docx_paras(root, rels: dict[str, str]) -> Iterator[tuple[object, _Para]]:
    """(container element, paragraph) for each w:p, with links and references."""
    for p in root.iter(f"{W}p"):
        para = _Para()
        field: list[str] = []
        for el in p.iter():
            if el.tag == f"{W}t":
                para.parts.append(el.text or "")
            elif el.tag in (f"{W}tab", f"{W}br"):
                para.parts.append(" ")
            elif el.tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                kind = "footnote" if el.tag == f"{W}footnoteReference" else "endnote"
                para.refs.append((f"{kind}:{el.get(f'{W}id', '')}", len(para.text)))
                para.parts.append(MARK)
            elif el.tag == f"{W}hyperlink" and el.get(f"{R}id") in rels:
                shown = "".join(t.text or "" for t in el.iter(f"{W}t"))
                para.links.append((rels[el.get(f"{R}id")], shown))
            elif el.tag == f"{W}instrText":
                field.append(el.text or "")
            elif el.tag == f"{W}fldSimple":
                field.append(el.get(f"{W}instr", ""))
        para.links += [(m.group(1), "") for m in _FIELD_RE.finditer(" ".join(field))]
        yield p, para


def extract_docx(data: bytes, source: str) -> Iterator[Citation]:
    z = open_package(data, source)
    body = _part(z, "word/document.xml", source)
    if body is None:
        raise InputError(f"{source}: not a Word document (no word/document.xml)")
    order: dict[str, str] = {}  # "footnote:3" -> displayed number
    contexts: dict[str, str] = {}
    rels = _rels(z, "word/document.xml", source)
    for line, (p, para) in enumerate(_docx_paras(body, rels), start=1):
        text = para.text
        for key, off in para.refs:
            kind = key.split(":", 1)[0]  # footnotes and endnotes are numbered apart, as Word does
            order.setdefault(key, str(sum(1 for k in order if k.startswith(kind)) + 1))
            contexts[key] = sentence_around(text.replace(MARK, ""), off)
        yield from revised(_link_citations(source, line, None, text.replace(MARK, " "), para.links, None),
                           docx_inserted([p], rels), "DOCX revision mark")
    for part, tag in (("word/footnotes.xml", "footnote"), ("word/endnotes.xml", "endnote")):
        yield from _notes(z, part, tag, source, order, contexts)


def _notes(z, part: str, tag: str, source: str, order: dict, contexts: dict) -> Iterator[Citation]:
    root = _part(z, part, source)
    if root is None:
        return
    rels = _rels(z, part, source)
    for note in root.iter(f"{W}{tag}"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        key = f"{tag}:{note.get(f'{W}id')}"
        number = order.get(key) or note.get(f"{W}id", "?")
        paras = [para for _, para in _docx_paras(note, rels)]
        text = "\n".join(p.text.replace(MARK, "").strip() for p in paras).strip()
        links = [link for p in paras for link in p.links]
        yield from revised(_link_citations(source, int(number) if number.isdigit() else 0, number, text, links,
                                           contexts.get(key)), docx_inserted([note], rels), "DOCX revision mark")


def _link_citations(source: str, line: int, note: str | None, text: str, links: list[tuple[str, str]],
                    context: str | None) -> Iterator[Citation]:
    """A note's (or paragraph's) citations: each hyperlink's target paired with the URL printed
    under it, then URLs printed without a link."""
    links = [(t, s) for t, s in links if t and not t.startswith("#")]
    if not links:
        yield from note_citations(source, line, note, text, context=context, empty_ok=note is not None,
                                  allow_fragment=note is not None)
        return
    spans = spans_in(text, allow_fragment=note is not None)
    used: set[int] = set()
    out: list[tuple[int, str, str | None]] = []  # (offset, printed, target)
    for target, shown in links:
        match = next((i for i, (_, s) in enumerate(spans) if i not in used and shown and
                      (s in shown or shown.strip() in s)), None)
        if match is not None:
            used.add(match)
            out.append((spans[match][0], spans[match][1], target))
        else:
            pos = text.find(shown) if shown else -1
            out.append((pos if pos >= 0 else len(text), target, target))
    out += [(pos, s, None) for i, (pos, s) in enumerate(spans) if i not in used]
    out.sort(key=lambda o: o[0])
    dates = accessed_per_span(text, [(pos, pos + len(raw)) for pos, raw, _ in out])
    for i, (pos, raw, href) in enumerate(out):
        ctx: str | None = context if note is not None else sentence_around(text, min(pos, len(text)))
        yield Citation(source, line, note, raw, ctx, dates[i], i, text, href=href)


def extract_odt(data: bytes, source: str) -> Iterator[Citation]:
    z = open_package(data, source)
    root = _part(z, "content.xml", source)
    if root is None:
        raise InputError(f"{source}: not an OpenDocument text (no content.xml)")
    line = 0
    insertions = odt_insertions(root)
    for p in root.iter(f"{TEXT}p", f"{TEXT}h"):
        if any(a.tag == f"{TEXT}note-body" for a in p.iterancestors()):
            continue
        line += 1
        body, links = _odt_text(p, skip_notes=True)
        yield from revised(_link_citations(source, line, None, body, links, None), odt_inserted(p, insertions),
                           "ODT revision mark")
        for note in p.iter(f"{TEXT}note"):
            cite = note.find(f"{TEXT}note-citation")
            number = "".join(cite.itertext()) if cite is not None else "?"
            nb = note.find(f"{TEXT}note-body")
            paras = [_odt_text(q, skip_notes=False) for q in (nb.iter(f"{TEXT}p") if nb is not None else [])]
            text = "\n".join(t for t, _ in paras).strip()
            marker = body.find(MARK)
            context = sentence_around(body.replace(MARK, ""), max(marker, 0))
            body = body.replace(MARK, "", 1)
            yield from revised(_link_citations(source, int(number) if number.isdigit() else line, number, text,
                                               [lk for _, ls in paras for lk in ls], context),
                               odt_inserted(nb, insertions) if nb is not None else (None, []), "ODT revision mark")


def _odt_text(p, *, skip_notes: bool) -> tuple[str, list[tuple[str, str]]]:
    parts: list[str] = []
    links: list[tuple[str, str]] = []

    def walk(el) -> None:
        if el.tag == f"{TEXT}note" and skip_notes:
            parts.append(MARK)
            parts.append(el.tail or "")
            return
        if el.tag == f"{TEXT}a":
            links.append((el.get(f"{XLINK}href", ""), "".join(el.itertext())))
        if el.tag in (f"{TEXT}s", f"{TEXT}tab", f"{TEXT}line-break"):
            parts.append(" ")
        parts.append(el.text or "")
        for child in el:
            walk(child)
        if el is not p:
            parts.append(el.tail or "")

    walk(p)
    return "".join(parts), links
