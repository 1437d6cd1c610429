"""PDFs as LaTeX and Quarto typeset references (issue 21): URLs broken after the scheme, at a
hyphen, mid-DOI and before a file name; a link annotation on words. Typeset here by reportlab."""

from __future__ import annotations

from datetime import date

import pytest

from archiver.lint.run import lint_paths

pytest.importorskip("reportlab")

FONT, SIZE, TOP, LEAD = "Helvetica", 9, 800, 12
LINES = ["The results are in our earlier study and the dataset is public.",
         "",
         "References",
         "",
         "1. Iannone, R. pointblank. https:",
         "//rich-iannone.github.io/pointblank/",
         "2. Xie, Y. knitr. https://rich-",
         "iannone.github.io/knitr/book/",
         "3. Smith, A. Trade. AER: Insights. https://doi.org/10.1257/aeri.",
         "20210748",
         "4. Jones. doi: 10.1000/abc-",
         "def.",
         "5. Docs at https://www.cs.x.edu/docs/",
         "report.html, accessed 5 March 2021.",
         "6. Home page https://www.cs.x.edu/",
         "And more prose after it."]


def _pdf(path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont(FONT, SIZE)
    for i, line in enumerate(LINES):
        c.drawString(40, TOP - i * LEAD, line)
    start = 40 + c.stringWidth("The results are in our ", FONT, SIZE)
    end = 40 + c.stringWidth("The results are in our earlier study", FONT, SIZE)
    c.linkURL("https://study.org/2020", (start, TOP - 2, end, TOP + 8), relative=0)  # on words
    c.save()
    return path


def test_urls_the_typesetter_broke_are_joined(tmp_path):
    (doc,) = lint_paths([str(_pdf(tmp_path / "paper.pdf"))])
    got = [(r.citation.note, r.url, r.citation.accessed) for r in doc.repaired]
    assert got == [
        ("1", "https://rich-iannone.github.io/pointblank/", None),
        ("2", "https://rich-iannone.github.io/knitr/book/", None),
        ("3", "https://doi.org/10.1257/aeri.20210748", None),
        ("4", "https://doi.org/10.1000/abc-def", None),
        ("5", "https://www.cs.x.edu/docs/report.html", date(2021, 3, 5)),
        ("6", "https://www.cs.x.edu/", None),
        (None, "https://study.org/2020", None),
    ]
    linked = doc.repaired[-1].citation
    assert linked.context == "The results are in our earlier study and the dataset is public."
    assert linked.line == 1
