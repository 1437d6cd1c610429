"""CSV outputs are safe to open in a spreadsheet: no cell from a document or a server starts a formula."""

import csv
import io

import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from archiver.report.csvout import FORMULA_STARTS, CsvRows, cell

HOSTILE = ['=HYPERLINK("http://evil.test","x")', "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_cell_is_written_as_text(value):
    (written,) = next(csv.reader(io.StringIO(CsvRows().row([value]), newline="")))
    assert written == "'" + value and not written.startswith(FORMULA_STARTS)


def test_numbers_and_plain_text_are_left_alone():
    assert [cell(-3), cell(0), cell("https://a.org/=x"), cell("note 2")] == [-3, 0, "https://a.org/=x", "note 2"]


def _cells(text):
    return [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]


def test_lint_and_report_csv_neutralise_document_text(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "=1+2.txt"  # the document's name is a cell too
    (tmp_path / name).write_text('Notes\n\n1. =HYPERLINK("http://evil.test","x") https://example.org/a\n'
                                 "2. @SUM(A1) https://example.org/b, accessed 1 May 2021.\n", encoding="utf-8")
    lint = CliRunner().invoke(main, ["lint", name, "--format", "csv"], catch_exceptions=False)
    assert "'=1+2.txt" in _cells(lint.stdout)
    assert CliRunner().invoke(main, ["run", name, "--db", "a.db", "--lint-only"]).exit_code == 0
    report = CliRunner().invoke(main, ["report", "--db", "a.db", "--format", "csv"], catch_exceptions=False)
    cells = _cells(report.stdout)
    assert "'=1+2.txt" in cells
    assert '\'=HYPERLINK("http://evil.test","x") https://example.org/a' in cells  # the citing text
    assert "'@SUM(A1) https://example.org/b, accessed 1 May 2021." in cells
    for text in (lint.stdout, report.stdout):
        assert not any(c.startswith(FORMULA_STARTS) for c in _cells(text))
