"""PDF link annotations matched by where they are, not by their order in the page's /Annots, and a
URL wrapped before a plain word said, not cut to the site's home page in silence (issue 21).
Typeset here by reportlab, annotations laid over the printed text as hyperref does."""

from __future__ import annotations

import pytest

from archiver.lint.run import lint_paths

pytest.importorskip("reportlab")

FONT, SIZE, TOP, LEAD = "Helvetica", 9, 800, 12


def _pdf(path, lines: list[str], links: list[tuple[int, str]]):
    """`links`: (line index, target), each a rectangle over that whole printed line, written to the
    page's /Annots in the order given."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(FONT, SIZE)
    for i, line in enumerate(lines):
        c.drawString(40, TOP - i * LEAD, line)
    for i, target in links:
        y = TOP - i * LEAD
        c.linkURL(target, (40, y - 2, 40 + c.stringWidth(lines[i], FONT, SIZE), y + 8), relative=0)
    c.save()
    return path


def _pieces(path, lines: list[str], links: list[tuple[int, str, str]]):
    """`links`: (line index, the words on that line, target), each a rectangle over just those
    words, as hyperref lays one over each line's piece of a broken URL."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(FONT, SIZE)
    for i, line in enumerate(lines):
        c.drawString(40, TOP - i * LEAD, line)
    for i, words, target in links:
        x, y = 40 + c.stringWidth(lines[i][:lines[i].index(words)], FONT, SIZE), TOP - i * LEAD
        c.linkURL(target, (x, y - 2, x + c.stringWidth(words, FONT, SIZE), y + 8), relative=0)
    c.save()
    return path


def lint(path):
    (doc,) = lint_paths([str(path)])
    return doc.repaired


def test_the_annotation_over_the_printed_url_wins_whatever_the_annotation_order(tmp_path):
    lines = ["References", "", "1. Annual report https://stats.example.org/report",
             "2. Earlier edition https://stats.example.org/report-2020"]
    # the second note's annotation comes first in /Annots; both targets start like note 1's URL
    path = _pdf(tmp_path / "p.pdf", lines, [(3, "https://stats.example.org/report-2020"),
                                            (2, "https://stats.example.org/report-2021.pdf")])
    got = [(r.citation.note, r.citation.href, r.url) for r in lint(path)]
    assert got == [("1", "https://stats.example.org/report-2021.pdf", "https://stats.example.org/report-2021.pdf"),
                   ("2", "https://stats.example.org/report-2020", "https://stats.example.org/report-2020")]


def test_a_url_wrapped_before_a_plain_word_is_said_not_cut_in_silence(tmp_path):
    lines = ["References", "", "1. Media types https://www.iana.org/", "assignments",
             "2. The registry https://www.iana.org/", "and its policies.",
             "3. Linked https://www.rfc-editor.org/", "rfc-index"]
    path = _pdf(tmp_path / "p.pdf", lines, [(6, "https://www.rfc-editor.org/rfc-index")])
    reps = {r.citation.note: r for r in lint(path)}
    cut = reps["1"]
    assert cut.url == "https://www.iana.org/" and cut.candidates == ("https://www.iana.org/assignments",)
    assert [(f.code, f.severity) for f in cut.findings] == [("U114", "warning")]
    assert "'assignments'" in cut.findings[0].message
    assert reps["2"].url == "https://www.iana.org/" and not reps["2"].candidates  # prose follows: nothing to say
    assert [f.code for f in reps["2"].findings] == ["U301"]  # the same URL as note 1
    # the annotation's rectangle covers the printed start, and its target settles it
    assert reps["3"].url == "https://www.rfc-editor.org/rfc-index" and not any(f.code == "U114" for f in reps["3"].findings)


def test_the_same_wrap_in_a_text_file(tmp_path):
    doc = tmp_path / "notes.txt"
    doc.write_text("Notes\n1. Media types https://www.iana.org/\nassignments\n", encoding="utf-8")
    (rep,) = lint(doc)
    assert rep.candidates == ("https://www.iana.org/assignments",) and rep.findings[0].name == "cut-at-line-end"


def test_hyperref_pieces_a_hyphen_the_typesetter_added_and_links_on_a_notes_words(tmp_path):
    """hyperref lays one rectangle over each line's piece of a broken URL, all with the whole target:
    the target settles a hyphen the typesetter added at the line end (printed alone, the hyphen
    stays); a scheme cut at the line end before `//www.` is one URL; a link on the words of a note
    that prints no URL is that note's citation, with the note's text, not a stray one."""
    lines = ["References", "", "1. Report. https://www.statis-", "tics.bbc.co.uk/data/2020/table.html",
             "2. See https:", "//www.gov.uk/guidance/x", "3. The survey we cite here, online.",
             "4. Printed only https://www.ons-", "gov.co.uk/a/b"]
    target = "https://www.statistics.bbc.co.uk/data/2020/table.html"
    path = _pieces(tmp_path / "p.pdf", lines, [(2, "https://www.statis-", target), (3, lines[3], target),
                                               (6, "The survey", "https://survey.ons.gov.uk/2021")])
    got = [(r.citation.note, r.url, [f.code for f in r.findings], r.citation.context) for r in lint(path)]
    assert got == [
        ("1", target, ["U111"], "Report. https://www.statis- tics.bbc.co.uk/data/2020/table.html"),
        ("2", "https://www.gov.uk/guidance/x", ["U102"], "See https: //www.gov.uk/guidance/x"),
        ("3", "https://survey.ons.gov.uk/2021", [], "The survey we cite here, online."),
        ("4", "https://www.ons-gov.co.uk/a/b", ["U102"], "Printed only https://www.ons- gov.co.uk/a/b"),
    ]


def test_urls_broken_anywhere_as_xurl_does(tmp_path):
    """xurl breaks a URL at any character: inside a host after a dot, inside a path segment, in a
    query. With hyperref's rectangles over both pieces the target settles each; printed alone, a
    host cut after a dot is joined (the next line goes on with the host and a path), and a path
    cut inside a segment is said (U114) with the joined URL as a candidate, not checked as printed."""
    lines = ["References", "", "1. Pointblank. https://rich-iannone.github.", "io/pointblank/",
             "2. Guidance https://www.gov.uk/guid", "ance/tax-returns",
             "3. Query https://www.bbc.co.uk/search?q=", "election&page=2",
             "4. Printed only https://www.bbc.co.uk/sport/foot", "ball/results",
             "5. Printed only https://www.ons.", "gov.uk/economy/inflation",
             "6. Printed only https://www.gov.uk/guidance", "and/or the tax office."]
    targets = {2: "https://rich-iannone.github.io/pointblank/", 4: "https://www.gov.uk/guidance/tax-returns",
               6: "https://www.bbc.co.uk/search?q=election&page=2"}
    path = _pieces(tmp_path / "p.pdf", lines, [piece for i, target in targets.items() for piece in (
        (i, lines[i][lines[i].index("https"):], target), (i + 1, lines[i + 1], target))])
    got = [(r.citation.note, r.url, [f.code for f in r.findings], r.candidates) for r in lint(path)]
    assert got == [
        ("1", targets[2], ["U111"], ()), ("2", targets[4], ["U111"], ()), ("3", targets[6], ["U111"], ()),
        ("4", "https://www.bbc.co.uk/sport/foot", ["U114"], ("https://www.bbc.co.uk/sport/football/results",)),
        ("5", "https://www.ons.gov.uk/economy/inflation", ["U102"], ()),
        ("6", "https://www.gov.uk/guidance", [], ()),  # "and/or" is prose
    ]


@pytest.mark.parametrize(("printed", "url"), [
    ("https://en.wikipedia.org/wiki/Python_\n(programming_language)", "https://en.wikipedia.org/wiki/Python_(programming_language)"),
    ("https://docs.python.org/3/library/re.html#\nre.compile", "https://docs.python.org/3/library/re.html#re.compile"),
    ("https://medium.com/@\nwillmcgugan/rich-1", "https://medium.com/@willmcgugan/rich-1"),
    ("https://www.bbc.co.uk/search?\nq=election", "https://www.bbc.co.uk/search?q=election"),
    ("https://www.bbc.co.uk/news/#\nAnd then prose.", "https://www.bbc.co.uk/news/#"),
    ("https://www.gov.uk/files/report.\npdf", "https://www.gov.uk/files/report.pdf"),
    ("https://www.gov.uk/index.\nphp?id=3", "https://www.gov.uk/index.php?id=3"),
    ("https://www.bbc.co.uk/news.\nAnother sentence.", "https://www.bbc.co.uk/news"),
])
def test_where_the_url_package_breaks_a_line(tmp_path, printed, url):
    """LaTeX's url package breaks after `_`, `#`, `@`, `?`, `=`, `&` and `.`: the next line goes on with
    the URL (a capitalised word is prose; after a dot, only a file extension goes on)."""
    doc = tmp_path / "notes.txt"
    doc.write_text(f"Notes\n1. Source {printed}\n", encoding="utf-8")
    assert [r.url for r in lint(doc)] == [url]
