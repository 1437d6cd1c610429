"""DOCX: after each hyperlink (body, footnotes, endnotes) whose target has an archived copy, the
text " [archived: URL, YYYY-MM-DD]" with URL a hyperlink of its own; a URL printed as plain text
(no hyperlink) gets the same at the end of its paragraph, as the text format puts it at the end of
the note. A printed URL whose text is not found whole in one paragraph (split by a field code, or
across paragraphs) is returned as missed, so the caller says which were left.

Why edits on the XML text instead of a parsed tree: Word refuses a document whose namespace
prefixes changed (`mc:Ignorable` names them), and an XML library that re-serialises would rename or
drop them. The parts are edited by position, the new links get relationship ids of their own, and
every other entry of the package is copied byte for byte. Word's own prefixes (`w:`, `r:`) are
assumed; a document written otherwise gets no annotations, and the caller says so.
"""

from __future__ import annotations

import re
import zipfile
from html import escape, unescape
from io import BytesIO

from .links import Copies, day

PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_HYPERLINK = re.compile(r'<w:hyperlink\b[^>]*?\br:id="([^"]+)"[^>]*>.*?</w:hyperlink>', re.S)
_RELATIONSHIP = re.compile(r"<Relationship\b[^>]*>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')
MARK = " [archived: "


def rels_name(part: str) -> str:
    folder, name = part.rsplit("/", 1)
    return f"{folder}/_rels/{name}.rels"


def hyperlink_targets(data: bytes) -> list[str]:
    """The external hyperlink targets of the body and the notes: the URLs to look up."""
    out: list[str] = []
    with zipfile.ZipFile(BytesIO(data)) as z:
        for part in PARTS:
            if rels_name(part) in z.namelist():
                out += [t for t, _ in _relationships(z.read(rels_name(part)).decode("utf-8")).values()]
    return out


def _relationships(rels: str) -> dict[str, tuple[str, str]]:
    out = {}
    for m in _RELATIONSHIP.finditer(rels):
        attrs = dict(_ATTR.findall(m.group(0)))
        if attrs.get("TargetMode") == "External" and attrs.get("Id"):
            out[attrs["Id"]] = (unescape(attrs.get("Target", "")), attrs.get("Type", ""))
    return out


EMPTY_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
_PARAGRAPH = re.compile(r"<w:p\b(?:[^>]*[^/>])?>.*?</w:p>", re.S)
_TEXT = re.compile(r"<w:t\b[^>]*>([^<]*)</w:t>")


def annotate_docx(data: bytes, copies: Copies, plain: dict[str, str] | None = None) -> tuple[bytes, int, list[str]]:
    """The package with archive links added after each hyperlink that has a copy and at the end of
    each paragraph printing a URL of `plain` (printed text -> the URL `copies` knows it by); how
    many were added, and the printed URLs found in no paragraph."""
    total, found = 0, set()
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        names = set(zin.namelist())
        edited: dict[str, bytes] = {}
        for part in (p for p in PARTS if p in names):
            old_rels = zin.read(rels_name(part)).decode("utf-8") if rels_name(part) in names else EMPTY_RELS
            xml, rels, n, seen = _annotate_part(zin.read(part).decode("utf-8"), old_rels, copies, plain or {})
            found |= seen
            if n:
                edited[part], edited[rels_name(part)] = xml.encode("utf-8"), rels.encode("utf-8")
                total += n
        for item in zin.infolist():
            zout.writestr(item, edited.pop(item.filename, b"") or zin.read(item.filename))
        for name, content in edited.items():  # a notes part that had no relationships before
            zout.writestr(name, content)
    return out.getvalue(), total, sorted(set(plain or {}) - found)


def _annotate_part(xml: str, rels: str, copies: Copies, plain: dict[str, str]) -> tuple[str, str, int, set[str]]:
    links = _relationships(rels)
    taken = set(re.findall(r'Id="([^"]+)"', rels))
    edits: list[tuple[int, str]] = []
    new_rels: list[str] = []

    def link(archive_url: str, ts: str) -> str:
        rid = _free_id(taken)
        new_rels.append(f'<Relationship Id="{rid}" Type="{HYPERLINK_TYPE}" Target="{escape(archive_url)}" '
                        'TargetMode="External"/>')
        return _runs(rid, archive_url, day(ts))

    seen = _plain_edits(xml, plain, copies, link, edits)
    for m in _HYPERLINK.finditer(xml):
        target = links.get(m.group(1), ("", ""))[0]
        if target not in copies or MARK in _text_after(xml, m.end()):
            continue
        edits.append((m.end(), link(*copies[target])))
    for offset, piece in sorted(edits, reverse=True):
        xml = xml[:offset] + piece + xml[offset:]
    if new_rels:
        at = rels.rindex("</Relationships>")
        rels = rels[:at] + "".join(new_rels) + rels[at:]
    return xml, rels, len(edits), seen


def _plain_edits(xml: str, plain: dict[str, str], copies: Copies, link, edits: list[tuple[int, str]]) -> set[str]:
    """Annotations at the end of each paragraph for the URLs it prints as plain text (not the text
    of a hyperlink, which gets its own); the printed URLs found."""
    seen: set[str] = set()
    for p in _PARAGRAPH.finditer(xml):
        body = p.group(0)
        linked = [(m.start(), m.end()) for m in _HYPERLINK.finditer(body)]
        runs = [(t.start(), unescape(t.group(1))) for t in _TEXT.finditer(body)]
        text = "".join(t for at, t in runs if not any(a <= at < b for a, b in linked))
        everything = "".join(t for _, t in runs)
        adds = []
        for printed in sorted((u for u in plain if u in text), key=text.index):
            seen.add(printed)
            archive_url, ts = copies[plain[printed]]
            if MARK + archive_url not in everything:  # annotating twice adds nothing
                adds.append(link(archive_url, ts))
        if adds:
            edits.append((p.start() + body.rindex("</w:p>"), "".join(adds)))
    return seen


def _text_after(xml: str, offset: int) -> str:
    """The visible text of the next two runs: is the annotation already there?"""
    return "".join(re.findall(r"<w:t\b[^>]*>([^<]*)</w:t>", xml[offset:offset + 600])[:2])


def _free_id(taken: set[str]) -> str:
    n = 1
    while f"rIdArchiver{n}" in taken:
        n += 1
    taken.add(f"rIdArchiver{n}")
    return f"rIdArchiver{n}"


def _runs(rid: str, url: str, date: str) -> str:
    link_style = '<w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr>'
    return (f'<w:r><w:t xml:space="preserve">{MARK}</w:t></w:r>'
            f'<w:hyperlink r:id="{rid}"><w:r>{link_style}<w:t>{escape(url)}</w:t></w:r></w:hyperlink>'
            f'<w:r><w:t xml:space="preserve">, {date}]</w:t></w:r>')
