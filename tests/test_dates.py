"""Access dates in the wild (issue 21): the grammar of archiver.extract.dates, read through lint."""

from __future__ import annotations

from datetime import date

import pytest

from archiver.extract.dates import Ambiguous, document_order, parse_date
from archiver.lint.run import lint_paths

NOTES = """Notes

1. Smith, J. Retrieved 09/02/2022 from https://a.org/one
2. Data downloaded from https://b.org/two on 20/03/2022.
3. Jones. Retrived 5 March 2021, from https://c.org/three
4. Last access for this and the following URLs: 20th Dec 19. https://d.org/four
5. https://e.org/five
6. https://f.org/six accessed 12 January 2021; https://g.org/seven
7. Wikipedia contributors, "X", https://en.wikipedia.org/wiki/X [Online; accessed 12-January-2021].
8. Иванов. URL: https://h.kz/ru/eight (дата обращения: 12.01.2021).
9. Сайт: https://i.kz/kk/nine (қаралған күні: 03.02.2022).
10. https://j.org/ten, last accessed on Jan 5th, 2021
11. https://k.org/eleven (viewed 1 Feb. 21)
12. Consulted 2021-03-04: https://l.org/twelve
"""


def _dates(tmp_path, text, name="notes.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (doc,) = lint_paths([str(path)])
    return [(r.url, r.citation.accessed, sorted(f.name for f in r.findings if f.name == "ambiguous-access-date"))
            for r in doc.repaired if r.url]


def test_the_phrasings_of_real_notes(tmp_path):
    assert [(u, d) for u, d, _ in _dates(tmp_path, NOTES)] == [
        ("https://a.org/one", date(2022, 2, 9)),  # day first: 20/03/2022 in note 2 decides
        ("https://b.org/two", date(2022, 3, 20)),  # the verb before the URL, the date after it
        ("https://c.org/three", date(2021, 3, 5)),  # misspelt
        ("https://d.org/four", date(2019, 12, 20)),  # ordinal, two-digit year, scopes what follows
        ("https://e.org/five", date(2019, 12, 20)),
        ("https://f.org/six", date(2021, 1, 12)),
        ("https://g.org/seven", date(2019, 12, 20)),  # the scope, not its neighbour's date
        ("https://en.wikipedia.org/wiki/X", date(2021, 1, 12)),
        ("https://h.kz/ru/eight", date(2021, 1, 12)),
        ("https://i.kz/kk/nine", date(2022, 2, 3)),
        ("https://j.org/ten", date(2021, 1, 5)),
        ("https://k.org/eleven", date(2021, 2, 1)),
        ("https://l.org/twelve", date(2021, 3, 4)),
    ]


def test_month_first_when_the_document_says_so(tmp_path):
    text = "1. https://a.org/x accessed 12/25/2021\n2. https://b.org/y accessed 03/04/2021\n"
    assert _dates(tmp_path, text) == [("https://a.org/x", date(2021, 12, 25), []),
                                      ("https://b.org/y", date(2021, 3, 4), [])]


def test_an_order_nothing_decides_is_reported_not_guessed(tmp_path):
    text = "1. https://a.org/x accessed 05/06/2021\n2. https://b.org/y accessed 07/07/2021\n"
    assert _dates(tmp_path, text) == [("https://a.org/x", None, ["ambiguous-access-date"]),
                                      ("https://b.org/y", date(2021, 7, 7), [])]


def test_never_a_neighbours_date(tmp_path):
    text = ("See https://a.org/x (accessed 1 May 2021); https://b.org/y.\n\n"
            "Retrieved 2 June 2021 from https://c.org/z and https://d.org/w\n")
    assert [(u, d) for u, d, _ in _dates(tmp_path, text)] == [
        ("https://a.org/x", date(2021, 5, 1)), ("https://b.org/y", None),
        ("https://c.org/z", date(2021, 6, 2)), ("https://d.org/w", None)]


def test_html_links_in_one_paragraph_keep_their_own_dates(tmp_path):
    html = ('<html><body><p><a href="https://a.org/x">A</a> (accessed 1 May 2021), '
            '<a href="https://b.org/y">B</a>, <a href="https://c.org/z">C</a> viewed 2021-06-02.</p></body></html>')
    assert [(u, d) for u, d, _ in _dates(tmp_path, html, "p.html")] == [
        ("https://a.org/x", date(2021, 5, 1)), ("https://b.org/y", None), ("https://c.org/z", date(2021, 6, 2))]


@pytest.mark.parametrize("printed,order,when", [
    ("20th Dec 19", None, date(2019, 12, 20)),
    ("12-January-2021", None, date(2021, 1, 12)),
    ("Jan 5th, 2021", None, date(2021, 1, 5)),
    ("12 января 2021", None, date(2021, 1, 12)),
    ("3 желтоқсан 2021", None, date(2021, 12, 3)),
    ("09/02/22", "dmy", date(2022, 2, 9)),
    ("09/02/22", "mdy", date(2022, 9, 2)),
    ("2021/03/04", None, date(2021, 3, 4)),
    ("31/02/2021", "dmy", None),
])
def test_parse_date(printed, order, when):
    assert parse_date(printed, order) == when


def test_parse_date_ambiguous():
    when = parse_date("05/06/2021")
    assert isinstance(when, Ambiguous) and (when, when.other) == (date(2021, 6, 5), date(2021, 5, 6))


@pytest.mark.parametrize("text,order", [("25/12/2021 and 01/02/2021", "dmy"), ("12/25/2021", "mdy"),
                                        ("05/06/2021", None), ("25/12/2021 12/25/2021", None)])
def test_document_order(text, order):
    assert document_order(text) == order


RU_KK = """Примечания

1. Отчёт. https://a.kz/ru/one (просмотрено 12.01.2021).
2. Данные загружено 3 февраля 2022 с https://b.kz/ru/two
3. Сайт https://c.kz/ru/three, проверено 25.12.2020
4. Есептер. https://d.kz/kk/four (қаралды: 14.03.2022)
5. Дерек: https://e.kz/kk/five (алынған күні: 2 ақпан 2021)
6. https://f.kz/kk/six (кірген күні 05.06.2021)
7. https://g.ru/seven (дата доступа: 01.09.2019)
8. Просмотрено 7 марта 2020: https://h.ru/eight
"""


def test_russian_and_kazakh_verbs(tmp_path):
    """The verbs of Russian and Kazakh references, before and after the URL; 25.12.2020 makes the
    document day-first, so 05.06.2021 is 5 June."""
    assert [(u, d) for u, d, _ in _dates(tmp_path, RU_KK)] == [
        ("https://a.kz/ru/one", date(2021, 1, 12)), ("https://b.kz/ru/two", date(2022, 2, 3)),
        ("https://c.kz/ru/three", date(2020, 12, 25)), ("https://d.kz/kk/four", date(2022, 3, 14)),
        ("https://e.kz/kk/five", date(2021, 2, 2)), ("https://f.kz/kk/six", date(2021, 6, 5)),
        ("https://g.ru/seven", date(2019, 9, 1)), ("https://h.ru/eight", date(2020, 3, 7))]


STYLES = """References

1. WHO. Report [Internet]. Available from: https://www.who.int/a [cited 2021 Jan 12].
2. Smith. https://b.org/two (accessed Jan. 12, 2021).
3. Jones. Available at: https://c.org/three (Accessed: 12 January 2021).
4. ISO. https://d.org/four [viewed 12 January 2021].
5. Kim. https://i.org/nine. Accessed 4th of March 2021.
6. Müller. https://m.de/6 (abgerufen am 5. März 2021)
7. Weber. https://m.de/7 (Zugriff am 04.03.2021)
8. Durand. https://m.fr/8 (consulté le 5 juin 2021)
9. Cited in 2021 May 5 reviews: https://o.org/9
"""


def test_citation_styles_and_german_and_french(tmp_path):
    """Vancouver's [cited 2021 Jan 12] (year first; only in brackets, so "cited in" prose is no
    date), Chicago, Harvard, ISO 690, "4th of March", and the German and French verbs and months."""
    assert [(u, d) for u, d, _ in _dates(tmp_path, STYLES)] == [
        ("https://www.who.int/a", date(2021, 1, 12)), ("https://b.org/two", date(2021, 1, 12)),
        ("https://c.org/three", date(2021, 1, 12)), ("https://d.org/four", date(2021, 1, 12)),
        ("https://i.org/nine", date(2021, 3, 4)), ("https://m.de/6", date(2021, 3, 5)),
        ("https://m.de/7", date(2021, 3, 4)), ("https://m.fr/8", date(2021, 6, 5)), ("https://o.org/9", None)]
