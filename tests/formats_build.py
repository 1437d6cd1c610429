"""Build the reference report's notes as DOCX, ODT, BibTeX and CSL-JSON, by hand (zipfile and
XML text), so the fixtures show exactly which package parts archiver reads."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from .conftest import FIXTURES

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def printed_notes() -> dict[str, str]:
    """note number -> the note as printed in the reference report (damage included)."""
    out = {}
    for line in (FIXTURES / "kazakhstan-2021-notes.txt").read_text(encoding="utf-8").splitlines():
        number, _, body = line.strip().partition(". ")
        if number.isdigit():
            out[number] = body
    return out


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def build_docx(path: Path, *, kind: str = "footnote", links: dict[str, str] | None = None) -> Path:
    """Body paragraphs carry the references; notes live in word/{kind}s.xml. `links`: note ->
    hyperlink target laid over the note's printed URL (through the part's relationships)."""
    notes, links = printed_notes(), links or {}
    body, parts, rels = [], [], []
    for n, text in notes.items():
        body.append(f"<w:p>{_run(f'Claim number {n} is sourced.')}<w:r><w:{kind}Reference w:id=\"{n}\"/></w:r>"
                    f"{_run(' More text.')}</w:p>")
        if n in links:
            rels.append(f'<Relationship Id="rId{n}" Type="{HYPERLINK}" Target={quoteattr(links[n])} TargetMode="External"/>')
            content = f'<w:hyperlink r:id="rId{n}">{_run(text)}</w:hyperlink>'
        else:
            content = _run(text)
        parts.append(f'<w:{kind} w:id="{n}"><w:p>{content}</w:p></w:{kind}>')
    sep = f'<w:{kind} w:type="separator" w:id="-1"><w:p/></w:{kind}>'
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("word/document.xml", f"<w:document {W_NS}><w:body>{''.join(body)}</w:body></w:document>")
        z.writestr(f"word/{kind}s.xml", f"<w:{kind}s {W_NS}>{sep}{''.join(parts)}</w:{kind}s>")
        z.writestr(f"word/_rels/{kind}s.xml.rels", f'<Relationships xmlns="{RELS_NS}">{"".join(rels)}</Relationships>')
    return path


def build_odt(path: Path) -> Path:
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"')
    paras = "".join(
        f'<text:p>Claim number {n} is sourced.<text:note text:id="ftn{n}" text:note-class="footnote">'
        f'<text:note-citation>{n}</text:note-citation><text:note-body><text:p>{escape(t)}</text:p>'
        f"</text:note-body></text:note> More text.</text:p>" for n, t in printed_notes().items())
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", f"<office:document-content {ns}><office:body><office:text>{paras}"
                                  "</office:text></office:body></office:document-content>")
    return path


def build_bibtex(path: Path) -> Path:
    """One entry per note, the key is the note number; single URLs in `url`, the rest in `note`."""
    out = ['@String{accessed = "2021-02-01"}\n']
    for n, text in printed_notes().items():
        field = "url" if text.startswith("http") and text.count("http") == 1 else "note"
        value = text.replace("_", "\\_")  # as LaTeX users escape it
        out.append(f"@misc{{{n},\n  title = {{Claim {n}}},\n  {field} = {{{value}}},\n  urldate = accessed\n}}\n")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def build_csl(path: Path) -> Path:
    items = []
    for n, text in printed_notes().items():
        item = {"id": n, "type": "webpage", "title": f"Claim {n}", "accessed": {"date-parts": [[2021, 2, 1]]}}
        if text.startswith("http") and text.count("http") == 1:
            item["URL"] = text
        else:
            item["note"] = text
        items.append(item)
    path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _wrapped(text: str, width: int = 70) -> list[str]:
    """Lines as a typesetter breaks a long URL: after a `/` (LaTeX's url package does so)."""
    lines = []
    while len(text) > width:
        cut = text.rfind("/", 20, width)
        if cut < 0:
            break
        lines.append(text[:cut + 1])
        text = text[cut + 1:]
    return lines + [text]


def build_pdf(path: Path, *, links: dict[str, str] | None = None) -> Path:
    """The report's notes section as a PDF (reportlab), long URLs wrapped over lines; `links`:
    note -> /URI annotation over the note's printed text."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = "Helvetica"  # its WinAnsi encoding has the en dash the notes are damaged with
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(font, 8)
    y = 800
    c.drawString(40, y, "Notes:")
    y -= 14
    for n, text in printed_notes().items():
        lines = _wrapped(f"{n}. {text}")
        top = y
        for line in lines:
            c.drawString(40, y, line)
            y -= 11
        if links and n in links:
            c.linkURL(links[n], (40, y + 8, 560, top + 9), relative=0)
        if y < 60:
            c.showPage()
            c.setFont(font, 8)
            y = 800
    c.save()
    return path


def build_ris(path: Path) -> Path:
    """One record per note as Zotero exports a web page: ID is the note number, Y2 the access date;
    single URLs in UR, the rest in an N1 note."""
    out = []
    for n, text in printed_notes().items():
        field = "UR" if text.startswith("http") and text.count("http") == 1 else "N1"
        out.append(f"TY  - ELEC\r\nID  - {n}\r\nTI  - Claim {n}\r\n{field}  - {text}\r\n"
                   "Y2  - 2021-02-01 10:15:00\r\nDA  - 2020/12/28/\r\nER  - \r\n")
    path.write_text("\r\n".join(out), encoding="utf-8", newline="")
    return path
