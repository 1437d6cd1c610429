"""DOCX: after each hyperlink (body, footnotes, endnotes) whose target has an archived copy, the
text " [archived: URL, YYYY-MM-DD]" with URL a hyperlink of its own.

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


def annotate_docx(data: bytes, copies: Copies) -> tuple[bytes, int]:
    """The package with archive links added after each hyperlink that has a copy; and how many."""
    total = 0
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        edited: dict[str, bytes] = {}
        for part in PARTS:
            if part in zin.namelist() and rels_name(part) in zin.namelist():
                xml, rels, n = _annotate_part(zin.read(part).decode("utf-8"),
                                              zin.read(rels_name(part)).decode("utf-8"), copies)
                if n:
                    edited[part], edited[rels_name(part)] = xml.encode("utf-8"), rels.encode("utf-8")
                    total += n
        for item in zin.infolist():
            zout.writestr(item, edited.get(item.filename) or zin.read(item.filename))
    return out.getvalue(), total


def _annotate_part(xml: str, rels: str, copies: Copies) -> tuple[str, str, int]:
    links = _relationships(rels)
    taken = set(re.findall(r'Id="([^"]+)"', rels))
    edits: list[tuple[int, str]] = []
    new_rels: list[str] = []
    for m in _HYPERLINK.finditer(xml):
        target = links.get(m.group(1), ("", ""))[0]
        if target not in copies or MARK in _text_after(xml, m.end()):
            continue
        archive_url, ts = copies[target]
        rid = _free_id(taken)
        new_rels.append(f'<Relationship Id="{rid}" Type="{HYPERLINK_TYPE}" Target="{escape(archive_url)}" '
                        'TargetMode="External"/>')
        edits.append((m.end(), _runs(rid, archive_url, day(ts))))
    for offset, piece in reversed(edits):
        xml = xml[:offset] + piece + xml[offset:]
    if new_rels:
        at = rels.rindex("</Relationships>")
        rels = rels[:at] + "".join(new_rels) + rels[at:]
    return xml, rels, len(edits)


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
