"""`archiver annotate`: archive links written back into copies of the documents the pipeline checked."""

import re
import shutil

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from archiver import api
from archiver.cli.main import main

TS14 = re.compile(r"/web/(\d{14})/")


def annotate(db, *args):
    return CliRunner().invoke(main, ["annotate", "--db", db, *args], catch_exceptions=False)


def errors(path):
    return api.lint([str(path)]).summary["error"]


@pytest.fixture()
def docs(pipeline_db, tmp_path):
    """Copies of the pipeline's documents (the URLs, not the paths, find the archived copies)."""
    for name in ("notes.txt", "article.md", "page.html"):
        shutil.copy(pipeline_db.folder / name, tmp_path / name)
    return tmp_path


def test_html_gets_robust_links_and_a_visible_archived_link(pipeline_db, docs):
    src, out = docs / "page.html", docs / "page.archived.html"
    before = src.read_bytes()
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "2 links given their archived copy" in result.stderr
    assert src.read_bytes() == before  # the original is never changed without --in-place
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    checked = [a for a in soup.find_all("a", href=True) if a["href"].startswith(f"http://127.0.0.1:{pipeline_db.web_port}/")]
    assert len(checked) == 2
    for a in checked:
        assert a["data-originalurl"] == a["href"]
        ts = TS14.search(a["data-versionurl"]).group(1)
        assert a["data-versiondate"] == f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}"
        visible = a.find_next("a")
        assert visible.get_text() == "archived" and visible["href"] == a["data-versionurl"]
    soft = next(a for a in checked if a["href"].endswith("/soft404-ru"))
    assert TS14.search(soft["data-versionurl"]).group(1) == "20190101000000"  # the capture matched to it
    assert out.read_text(encoding="utf-8").replace(" (<a href", "").count("<sup><a href='#fn1'>1</a></sup>") == 1


def test_markdown_gets_archived_links_and_lints_without_new_errors(pipeline_db, docs):
    src, out = docs / "article.md", docs / "article.archived.md"
    annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    text = out.read_text(encoding="utf-8")
    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    assert re.search(rf"\[the study\]\({web}/article\) \(\[archived\]\(http://[^)]+/web/\d{{14}}/{web}/article\)\)", text)
    assert re.search(rf"\[Broke later\]\({web}/breaks/report-fixture\) \(\[archived\]\(", text)
    assert "[A script link](javascript:alert(1))." in text  # nothing to add to a link never checked
    assert errors(out) <= errors(src)


def test_text_gets_archived_after_the_note_with_repairs_applied(pipeline_db, docs):
    src, out = docs / "notes.txt", docs / "notes.archived.txt"
    annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    note2 = next(line for line in lines if line.startswith("2."))
    assert re.search(rf"accessed 12 January 2021\. \[archived: http://\S+/web/20210110120000/{web}/gone, 2021-01-10\]$", note2)
    note3 = next(line for line in lines if line.startswith("3."))
    assert f"{web}/page/annual-report [archived: " in note3  # the en dash repaired, then annotated
    assert "[archived:" not in next(line for line in lines if line.startswith("5."))  # no URL, no copy
    assert errors(out) <= errors(src)


def test_annotating_twice_adds_nothing(pipeline_db, docs):
    db = pipeline_db.settings.db
    for name in ("notes.txt", "article.md", "page.html"):
        once, twice = docs / f"once-{name}", docs / f"twice-{name}"
        annotate(db, str(docs / name), "-o", str(once))
        annotate(db, str(once), "-o", str(twice))
        assert twice.read_text(encoding="utf-8") == once.read_text(encoding="utf-8"), name


def test_in_place_keeps_a_backup_and_refuses_to_overwrite_otherwise(pipeline_db, docs):
    db, src = pipeline_db.settings.db, docs / "notes.txt"
    before = src.read_bytes()
    result = annotate(db, str(src), "-o", str(src))
    assert result.exit_code == 2 and "--in-place" in result.stderr and src.read_bytes() == before
    result = annotate(db, str(src))  # a usage error, as every missing option is
    assert result.exit_code == 2 and "-o OUT" in result.stderr
    result = annotate(db, str(src), "--in-place")
    assert result.exit_code == 0 and f"original kept as {src}.bak" in result.stderr
    assert (docs / "notes.txt.bak").read_bytes() == before and b"[archived: " in src.read_bytes()
    annotate(db, str(src), "--in-place")
    assert (docs / "notes.txt.bak.1").exists()  # an older backup is never overwritten


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ' \
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL_NS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
HL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def write_docx(path, document, footnotes, rels):
    """A minimal Word package: the body `document` and `footnotes` (the w: elements inside), and
    `rels` part name -> relationships XML (what Word writes, reduced to the parts that matter)."""
    import zipfile

    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '<Override PartName="/word/footnotes.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>'),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships {REL_NS}><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'),
        "word/document.xml": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W_NS}>'
                              f'<w:body>{document}</w:body></w:document>'),
        "word/footnotes.xml": (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes {W_NS}>'
                               f'{footnotes}</w:footnotes>'),
        **rels,
    }
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)


def make_docx(path, body_url, note_url):
    """A body paragraph with a link and a footnote reference, and a footnote with a link."""
    def rels(target):
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships {REL_NS}>'
                f'<Relationship Id="rId5" Type="{HL}" Target="{target}" TargetMode="External"/></Relationships>')
    link = '<w:hyperlink r:id="rId5"><w:r><w:t>{}</w:t></w:r></w:hyperlink>'
    write_docx(path, '<w:p><w:r><w:t xml:space="preserve">See </w:t></w:r>' + link.format("the study")
               + '<w:r><w:footnoteReference w:id="1"/></w:r></w:p>',
               '<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">Ministry report, </w:t></w:r>'
               + link.format(note_url) + '<w:r><w:t>, accessed 12 January 2021.</w:t></w:r></w:p></w:footnote>',
               {"word/_rels/document.xml.rels": rels(body_url), "word/_rels/footnotes.xml.rels": rels(note_url)})


def test_docx_gets_an_archived_link_after_each_linked_url(pipeline_db, tmp_path):
    import xml.etree.ElementTree as ET
    import zipfile

    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    src, out = tmp_path / "essay.docx", tmp_path / "essay.archived.docx"
    make_docx(src, f"{web}/ok", f"{web}/gone")
    before = src.read_bytes()
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "2 links given their archived copy" in result.stderr
    assert src.read_bytes() == before
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    r = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(out) as z:
        notes = ET.fromstring(z.read("word/footnotes.xml"))
        rels = {e.get("Id"): e.get("Target") for e in ET.fromstring(z.read("word/_rels/footnotes.xml.rels"))}
        assert z.read("_rels/.rels") == zipfile.ZipFile(src).read("_rels/.rels")  # the rest byte for byte
    text = "".join(t.text or "" for t in notes.iter(f"{w}t"))
    assert text.startswith(f"Ministry report, {web}/gone [archived: ")
    assert text.endswith(", 2021-01-10], accessed 12 January 2021.")  # the capture matched to the dead link
    links = [rels[h.get(f"{r}id")] for h in notes.iter(f"{w}hyperlink")]
    assert links[0] == f"{web}/gone" and TS14.search(links[1]).group(1) == "20210110120000"
    again = tmp_path / "again.docx"
    annotate(pipeline_db.settings.db, str(out), "-o", str(again))
    assert zipfile.ZipFile(again).read("word/footnotes.xml") == zipfile.ZipFile(out).read("word/footnotes.xml")


def _links(text):
    """(link text, href) of every link markdown-it finds, and the reference definitions it reads."""
    from markdown_it import MarkdownIt

    env: dict = {}
    tokens = MarkdownIt("commonmark").parse(text, env)
    out = []
    for tok in (t for t in tokens if t.type == "inline"):
        children = tok.children or []
        for i, child in enumerate(children):
            if child.type == "link_open":
                out.append((children[i + 1].content if i + 1 < len(children) else "", child.attrs["href"]))
    return out, env.get("references", {})


def test_markdown_reference_links_keep_resolving(pipeline_db, tmp_path):
    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    src, out = tmp_path / "refs.md", tmp_path / "refs.archived.md"
    src.write_text(f"# Sources\n\nSee [the study][study], [Gone], [the list][] and [it again][study]; "
                   f"not in code: `[study]`.\n\n[study]: {web}/article \"The study\"\n[gone]: <{web}/gone>\n"
                   f"[the list]: {web}/ok\n[unused]: {web}/moved\n", encoding="utf-8")
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "4 links given their archived copy" in result.stderr
    text = out.read_text(encoding="utf-8")
    before, refs_before = _links(src.read_text(encoding="utf-8"))
    after, refs_after = _links(text)
    assert refs_after == refs_before  # every definition still parses, with its URL and title
    originals = [link for link in after if link[0] != "archived"]
    assert originals == before  # every original link still resolves to its URL
    archived = [href for label, href in after if label == "archived"]
    assert len(archived) == 4 and all(TS14.search(h) for h in archived)
    assert re.search(r"\[the study\]\[study\] \(\[archived\]\(http://[^)]+/article\)\),", text)
    assert "`[study]`" in text and f"[unused]: {web}/moved\n" in text  # code and an unused definition: untouched
    again = tmp_path / "refs.twice.md"
    annotate(pipeline_db.settings.db, str(out), "-o", str(again))
    assert again.read_text(encoding="utf-8") == text


def make_plain_docx(path, body_url, note_url):
    """Word text with URLs typed, not linked: in the body split over two runs (as Word splits them
    at an edit), and in a footnote part that has no relationships at all."""
    half = len(body_url) // 2
    write_docx(path, f'<w:p><w:r><w:t xml:space="preserve">1. See {body_url[:half]}</w:t></w:r><w:r><w:rPr><w:b/>'
               f'</w:rPr><w:t xml:space="preserve">{body_url[half:]} for details.</w:t></w:r>'
               '<w:r><w:footnoteReference w:id="1"/></w:r></w:p>',
               f'<w:footnote w:id="1"><w:p><w:r><w:t xml:space="preserve">Ministry report, {note_url}, accessed 12 '
               'January 2021.</w:t></w:r></w:p></w:footnote>',
               {"word/_rels/document.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships {REL_NS}>'
                                                '</Relationships>'})


def test_docx_urls_typed_as_text_get_their_archived_link_too(pipeline_db, tmp_path):
    import xml.etree.ElementTree as ET
    import zipfile

    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    src, out = tmp_path / "plain.docx", tmp_path / "plain.archived.docx"
    make_plain_docx(src, f"{web}/ok", f"{web}/gone")
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "2 links given their archived copy" in result.stderr, result.stderr
    assert "not annotated" not in result.stderr
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    r = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        for part in ("word/document.xml", "word/footnotes.xml"):
            root = ET.fromstring(z.read(part))  # still well-formed XML
            rels = {e.get("Id"): e.get("Target") for e in ET.fromstring(z.read(part.replace("word/", "word/_rels/")
                                                                               + ".rels"))}
            text = "".join(t.text or "" for t in root.iter(f"{w}t"))
            (link,) = [rels[h.get(f"{r}id")] for h in root.iter(f"{w}hyperlink")]
            assert f" [archived: {link}, " in text and "/web/" in link
    assert "accessed 12 January 2021. [archived: " in "".join(
        t.text or "" for t in ET.fromstring(zipfile.ZipFile(out).read("word/footnotes.xml")).iter(f"{w}t"))
    again = tmp_path / "again.docx"
    annotate(pipeline_db.settings.db, str(out), "-o", str(again))  # annotating twice adds nothing
    for part in ("word/document.xml", "word/footnotes.xml"):
        assert zipfile.ZipFile(again).read(part) == zipfile.ZipFile(out).read(part)


def test_docx_says_which_urls_it_could_not_annotate_and_why(pipeline_db, tmp_path):
    """A URL wrapped over two paragraphs (lint joins it) is in no one paragraph to annotate: the
    summary names it and why, rather than leaving it out in silence."""
    import zipfile

    web = f"http://127.0.0.1:{pipeline_db.web_port}"
    src, out = tmp_path / "wrapped.docx", tmp_path / "wrapped.archived.docx"
    make_plain_docx(src, f"{web}/ok", f"{web}/gone")
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n).decode("utf-8") for n in z.namelist()}
    parts["word/footnotes.xml"] = parts["word/footnotes.xml"].replace(
        "</w:footnote></w:footnotes>",
        f'</w:footnote><w:footnote w:id="2"><w:p><w:r><w:t>2. Report at {web}/breaks/report-</w:t></w:r></w:p>'
        '<w:p><w:r><w:t>fixture, accessed 2 May 2021.</w:t></w:r></w:p></w:footnote></w:footnotes>')
    with zipfile.ZipFile(src, "w") as z:
        for name, text in parts.items():
            z.writestr(name, text)
    result = annotate(pipeline_db.settings.db, str(src), "-o", str(out))
    assert result.exit_code == 0 and "2 links given their archived copy" in result.stderr
    assert f"1 URL with an archived copy not annotated: {web}/breaks/report-fixture (printed across" in result.stderr


def test_what_annotate_leaves_is_said_in_every_format(pipeline_db, tmp_path):
    """issue 23 item 4: a URL with an archived copy that annotate finds no place for is named with
    why; a URL in raw HTML in Markdown gets its copy after the element, never inside its tag; a
    format annotate cannot write is an error naming the ones it can."""
    db, web = pipeline_db.settings.db, f"http://127.0.0.1:{pipeline_db.web_port}"
    (tmp_path / "t.html").write_text(f"<p>1. See {web}/ok as text.</p><p>2. <a href='{web}/article'>a</a></p>\n",
                                     encoding="utf-8")
    result = annotate(db, str(tmp_path / "t.html"), "-o", str(tmp_path / "t2.html"))
    assert result.exit_code == 0 and "1 link given their archived copy" in result.stderr
    assert f"1 URL with an archived copy not annotated: {web}/ok (typed as text, not an <a href> link)" in result.stderr

    (tmp_path / "m.md").write_text(f"1. A <a href=\"{web}/ok\">raw link</a> and [one]({web}/article).\n", encoding="utf-8")
    result = annotate(db, str(tmp_path / "m.md"), "-o", str(tmp_path / "m2.md"))
    text = (tmp_path / "m2.md").read_text(encoding="utf-8")
    assert result.exit_code == 0 and "2 links given" in result.stderr and "not annotated" not in result.stderr
    assert re.search(rf'<a href="{web}/ok">raw link</a> \(\[archived\]\(http://\S+/web/\d{{14}}/{web}/ok\)\)', text)
    assert BeautifulSoup(text, "html.parser").find("a")["href"] == f"{web}/ok"
    again = annotate(db, str(tmp_path / "m2.md"), "-o", str(tmp_path / "m3.md"))
    assert "0 links given" in again.stderr and "not annotated" not in again.stderr
    assert (tmp_path / "m3.md").read_bytes() == (tmp_path / "m2.md").read_bytes()

    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "p.pdf"))
    pdf.drawString(72, 720, f"1. {web}/ok")
    pdf.save()
    result = annotate(db, str(tmp_path / "p.pdf"), "-o", str(tmp_path / "p2.pdf"))
    assert result.exit_code == 3 and "not PDF" in result.stderr and "archiver report" in result.stderr
    assert not (tmp_path / "p2.pdf").exists()
