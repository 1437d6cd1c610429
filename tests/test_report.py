"""`archiver report`: golden outputs for every format over a database the real pipeline built."""

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner

from archiver import api
from archiver.cli.main import main
from archiver.report.editor import COLUMNS
from archiver.report.render import REPORT_RENDERERS
from archiver.report.render.terminal import render as render_terminal

from .conftest import FIXTURES
from .web import closed_ports

GOLDEN = FIXTURES / "report"
EXT = {"text": "txt", "markdown": "md", "html": "html", "json": "json", "csv": "csv"}


@pytest.fixture()
def built(pipeline_db):
    return pipeline_db


@pytest.mark.parametrize("fmt", sorted(REPORT_RENDERERS))
def test_golden(built, fmt):
    out = "".join(REPORT_RENDERERS[fmt](built.report()))
    path = GOLDEN / f"golden.{EXT[fmt]}"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(out, encoding="utf-8", newline="")
    assert out == path.read_bytes().decode("utf-8"), f"{path} differs; UPDATE_GOLDEN=1 rewrites it after review"


def test_rows_in_document_then_role_then_note_order(built):
    rows = list(built.report().rows())
    assert [(r.document, r.note) for r in rows] == [  # note 5 cites example.org: an example, after the citations
        *(("notes.txt", str(n)) for n in (1, 2, 3, 4, 6, 5)), *(("article.md", str(n)) for n in range(1, 5)),
        ("page.html", "1"), ("page.html", "2")]


def test_what_the_pipeline_recorded_reaches_the_report(built):
    rows = {(r.document, r.note): r for r in built.report().rows()}
    gone = rows["notes.txt", "2"]
    assert (gone.state, gone.status, gone.http_status, gone.accessed) == ("failing", "gone", 410, "2021-01-12")
    assert gone.archive_url == "http://wayback.test/web/20210110120000/http://web.test/gone"  # the matched one
    assert gone.archive_kind == "matched" and gone.needs_action and gone.action == "cite the archived copy"
    assert rows["notes.txt", "4"].final_url == "http://web.test/article"
    assert rows["notes.txt", "6"].drift_changes == 1 and rows["notes.txt", "6"].drift_similarity < 0.5
    assert rows["notes.txt", "5"].url is None and rows["notes.txt", "5"].state == "unrecovered"
    assert rows["notes.txt", "3"].url == "http://web.test/page/annual-report"
    broke = rows["article.md", "3"]
    assert broke.newly_broken and not gone.newly_broken  # /gone broke in the first run, not the last
    assert broke.archive_url.startswith("http://wayback.test/web/2026")  # captured while it was alive
    assert rows["article.md", "2"].title.startswith("<script>alert('title')")
    summary = built.report().summary
    assert summary["newly_broken"][0]["url"] == "http://web.test/breaks/report-fixture"
    # the javascript: link of note 4 is never emitted as a url (issue 11): unrecovered, not checked
    assert summary["by_state"] == {"alive": 7, "failing": 3, "unrecovered": 2}


def test_json_and_csv_carry_every_column(built):
    payload = json.loads("".join(REPORT_RENDERERS["json"](built.report())))
    assert len(payload["citations"]) == 12 and list(payload["citations"][0]) == list(COLUMNS)
    table = list(csv.DictReader(io.StringIO("".join(REPORT_RENDERERS["csv"](built.report())))))
    assert len(table) == 12 and list(table[0]) == list(COLUMNS)
    assert table[1]["archive_url"].endswith("/gone") and table[1]["accessed"] == "2021-01-12"


def test_terminal_colour_only_when_asked_and_no_escape_from_a_title(built):
    plain = "".join(render_terminal(built.report(), colour=False))
    coloured = "".join(render_terminal(built.report(), colour=True))
    assert "\x1b[" not in plain and "\x1b[" in coloured
    assert "\\x1b[31mred" in plain and "\x1b[31mred" not in coloured  # the title's ESC is shown, not sent
    assert "[bold]x[/]" in plain  # rich markup in a title is text


def test_markdown_escapes_a_hostile_title_and_links_only_http(built):
    out = "".join(REPORT_RENDERERS["markdown"](built.report()))
    assert "<script>" not in out and "&lt;script>alert('title')&lt;/script>" in out
    assert "<javascript:" not in out and "](javascript:" not in out and "U304 unsupported-scheme: javascript:" in out


def cli(built, *args):
    return CliRunner().invoke(main, ["report", "--db", built.settings.db, *args], catch_exceptions=False)


def test_cli_exit_codes_follow_fail_on(built):
    assert cli(built, built.paths[0]).exit_code == 1  # failing links are errors
    clean = str(built.folder / "clean.md")
    assert cli(built, clean).exit_code == 0
    assert cli(built, clean, "--fail-on", "info").exit_code == 0
    assert cli(built, str(built.folder / "page.html"), "--fail-on", "error").exit_code == 1


def test_cli_writes_a_file_whole_and_says_where(built, tmp_path):
    out = tmp_path / "report.html"
    result = cli(built, "--format", "html", "-o", str(out))
    assert result.stdout == "" and f"report: {out}" in result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>") and not list(tmp_path.glob("*.part"))


def test_cli_unknown_document_and_missing_database(built, tmp_path):
    result = cli(built, str(tmp_path / "nope.md"))
    assert result.exit_code == 3 and "nope.md: not in" in result.stderr and "archiver run" in result.stderr
    result = CliRunner().invoke(main, ["report", "--db", str(tmp_path / "none.db")], catch_exceptions=False)
    assert result.exit_code == 3 and "no archive database" in result.stderr
    assert not (tmp_path / "none.db").exists()
    result = cli(built, "-o", str(tmp_path / "no" / "such" / "dir.html"))
    assert result.exit_code == 2 and "folder does not exist" in result.stderr


def test_run_ends_with_the_report_in_the_format_asked(test_web, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/ok')}\n2. {test_web.url('/gone')}\n", encoding="utf-8")
    args = ["run", "notes.txt", "--allow-private", "--processes", "1", "--no-archive"]
    result = CliRunner().invoke(main, [*args, "--report-format", "json", "--report-out", "r.json"],
                                catch_exceptions=False)
    assert result.exit_code == 1 and result.stdout == "" and "report: r.json" in result.stderr
    payload = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(c["note"], c["state"]) for c in payload["citations"]] == [("1", "alive"), ("2", "failing")]
    result = CliRunner().invoke(main, [*args, "--report-format", "none"], catch_exceptions=False)
    assert result.stdout == ""
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.stdout.startswith("2 citations in 1 document: 1 alive, 1 failing.")


def test_docs_show_the_golden_terminal_report():
    page = (FIXTURES.parent.parent / "docs" / "report.md").read_text(encoding="utf-8")
    shown = page.split("today by 2026-01-02):\n\n```\n", 1)[1].split("\n```", 1)[0]
    assert (GOLDEN / "golden.txt").read_text(encoding="utf-8").startswith(shown + "\n")


def test_acknowledged_citations_are_shown_and_do_not_fail(built):
    from dataclasses import replace

    from archiver.report.acks import parse_acks

    notes = built.paths[0]
    gone = f"http://127.0.0.1:{built.web_port}/gone"
    acks = parse_acks([{"url": gone, "reason": "withdrawn by the publisher"},
                       {"note": "5", "document": "notes.txt", "code": "U201", "reason": "asked the author"}])
    report = api.report([notes], replace(built.settings, ignore=acks))
    rows = {r.note: r for r in report.rows()}
    assert rows["2"].acknowledged == "withdrawn by the publisher" and not rows["2"].needs_action
    assert rows["5"].acknowledged == "asked the author" and rows["5"].action == "acknowledged"
    assert not report.at_least("error")  # the two problems were accepted; nothing else is an error
    assert "acknowledged: withdrawn by the publisher" in "".join(REPORT_RENDERERS["html"](report))
    assert api.report([notes], built.settings).at_least("error")  # without them, it fails


def _cli(*args):
    return CliRunner().invoke(main, [*map(str, args)], catch_exceptions=False)


def test_report_after_an_offline_run_says_what_happened(tmp_path, test_web):
    """A night without network is an outage, not "no check has run": the report says so, with the
    number of URLs it could not judge (also those the early stop never reached)."""
    db, offline, live = tmp_path / "archive.db", tmp_path / "notes.txt", tmp_path / "live.txt"
    ports = closed_ports(13)  # refused everywhere, as when the network is down
    offline.write_text("".join(f"{n}. http://127.0.0.1:{ports[n // 2]}/{n}\n" for n in range(1, 25)), encoding="utf-8")
    assert _cli("run", offline, "--db", db, "--no-archive", "--processes", "1", "-q", "--allow-private").exit_code == 3
    text = " ".join(_cli("report", "--db", db).stdout.split())  # as one line: the terminal's is wrapped
    assert "No check has run yet" not in text
    assert "found the network unavailable" in text and "24 URLs not judged" in text
    assert "Run `archiver check` again when this machine is online." in text
    last_run = json.loads(_cli("report", "--db", db, "--format", "json").stdout)["summary"]["last_run"]
    assert (last_run["outcome"], last_run["to_check"], last_run["not_judged"]) == ("offline", 24, 24)
    assert last_run["checked"] < 24  # the outage guard stopped early; the rest is not judged either
    # an online run, then another night offline: the states come from the online run, and it says so
    live.write_text(f"1. {test_web.url('/ok')}\n", encoding="utf-8")
    assert _cli("check", live, "--db", db, "--allow-private", "--processes", "1").exit_code == 0
    assert _cli("check", offline, "--db", db, "--processes", "1", "--allow-private").exit_code == 3
    for fmt in ("text", "markdown", "html"):
        out = " ".join(_cli("report", "--db", db, "--format", fmt).stdout.split())
        assert "found the network unavailable" in out and "24 URLs not judged" in out
        assert "Nothing newly broken in the last run that judged links (check run of" in out


def test_report_while_a_check_run_is_unfinished_or_interrupted_says_so(tmp_path):
    from archiver.store.sqlite import Store

    db, doc = tmp_path / "archive.db", tmp_path / "notes.txt"
    doc.write_text("1. https://example.org/a\n", encoding="utf-8")
    assert _cli("run", doc, "--db", db, "--lint-only").exit_code == 0
    with Store(db) as store:
        store.start_run("check")  # killed before it checked anything: no end, no outcome
    text = _cli("report", "--db", db).stdout
    assert "No check has run yet" not in text
    assert "has not finished (still running, or killed); the next `archiver check`" in text
    with Store(db) as store:  # Ctrl-C after 3 of 7: marked interrupted with its counts, left to resume
        store.mark_interrupted(store.unfinished_run("check"), {"checked": 3, "to_check": 7})
    assert "was interrupted after 3 of 7 URLs; the next" in _cli("report", "--db", db).stdout


def test_plain_text_notes_keep_their_citing_text_from_lint_to_report(tmp_path):
    """A notes list with no body (sources.txt): the note itself is the citing text; lint gives it,
    archive.db keeps it, and every report format shows it."""
    db, doc = tmp_path / "archive.db", tmp_path / "sources.txt"
    doc.write_text("Notes\n\n1. Smith, J. On broken links. https://example.org/ok\n"
                   "2. Ministry report (2020), https://example.org/gone, accessed 12 January 2021.\n\n"
                   "https://example.org/a  # listed on its own line\n", encoding="utf-8")
    linted = [c["context"] for c in json.loads(_cli("lint", doc, "--format", "json").stdout)["citations"]]
    assert linted == ["Smith, J. On broken links. https://example.org/ok",
                      "Ministry report (2020), https://example.org/gone, accessed 12 January 2021.",
                      "https://example.org/a  # listed on its own line"]
    assert _cli("run", doc, "--db", db, "--lint-only").exit_code in (0, 1)
    reported = json.loads(_cli("report", "--db", db, "--format", "json").stdout)["citations"]
    assert [c["context"] for c in reported] == linted
    assert [r["context"] for r in csv.DictReader(io.StringIO(_cli("report", "--db", db, "--format", "csv").stdout))] == linted
    for fmt in ("markdown", "html"):
        assert "Smith, J. On broken links." in _cli("report", "--db", db, "--format", fmt).stdout
    text = _cli("report", "--db", db).stdout
    assert "cited: Smith, J. On" in text and "cited: Ministry report" in text


@pytest.mark.parametrize(("text", "columns"), [("plain", 5), ("東京都", 6), ("cafe\u0301", 4), ("👍🏽", 2), ("🇰🇿", 2),
                                              ("👨\u200d👩\u200d👧", 2), ("Ελληνικά", 8)])
def test_cell_len_counts_terminal_columns(text, columns):
    from archiver.report.render.terminal import cell_len

    assert cell_len(text) == columns


def test_chop_cells_fits_the_width_and_never_cuts_a_grapheme():
    from archiver.report.render.terminal import cell_len, chop_cells

    text = "東京都の報告書👍🏽🇰🇿x👨\u200d👩\u200d👧cafe\u0301"
    for width in (2, 3, 5):
        pieces = chop_cells(text, width)
        assert "".join(pieces) == text
        assert all(0 < cell_len(p) <= width for p in pieces), pieces
        assert not any(p.startswith(("\U0001f3fd", "\u200d", "\u0301")) for p in pieces)  # a tone, joiner, accent alone


def test_footnotes_with_names_stay_in_document_order(tmp_path):
    """`[^note]` and `[^a]` among numbered footnotes: the report lists them where the document has them,
    not after every numbered note (and not in alphabetical order), on the way to the body's own URL."""
    db, doc = tmp_path / "archive.db", tmp_path / "article.md"
    doc.write_text("# Article\n\nA claim.[^1] Another.[^note] More.[^2] Last.[^a] See https://www.bbc.co.uk/body\n\n"
                   "[^1]: https://www.bbc.co.uk/one\n[^note]: https://www.bbc.co.uk/note and https://www.bbc.co.uk/note2\n"
                   "[^2]: https://www.bbc.co.uk/two\n[^a]: https://www.bbc.co.uk/a\n", encoding="utf-8")
    assert _cli("run", doc, "--db", db, "--lint-only").exit_code in (0, 1)
    reported = json.loads(_cli("report", "--db", db, "--format", "json").stdout)["citations"]
    assert [(c["note"], c["url"]) for c in reported] == [
        ("1", "https://www.bbc.co.uk/one"), ("note", "https://www.bbc.co.uk/note"), ("note", "https://www.bbc.co.uk/note2"),
        ("2", "https://www.bbc.co.uk/two"), ("a", "https://www.bbc.co.uk/a"), (None, "https://www.bbc.co.uk/body")]


def test_notes_that_restart_and_bibtex_keys_stay_in_document_order(tmp_path):
    """Two chapters' notes numbered from 1 each, and BibTeX keys: as printed, not by number or key."""
    db, notes, refs = tmp_path / "archive.db", tmp_path / "book.txt", tmp_path / "refs.bib"
    notes.write_text("".join(f"Chapter {c}\n\nNotes\n\n1. https://www.bbc.co.uk/{c}-1\n2. https://www.bbc.co.uk/{c}-2\n\n"
                             for c in (1, 2)), encoding="utf-8")
    refs.write_text("@misc{zeta, url = {https://www.bbc.co.uk/z}}\n\n@misc{alpha, url = {https://www.bbc.co.uk/a}}\n",
                    encoding="utf-8")
    assert _cli("run", notes, refs, "--db", db, "--lint-only").exit_code in (0, 1)
    reported = json.loads(_cli("report", "--db", db, "--format", "json").stdout)["citations"]
    assert [(c["note"], c["url"].rsplit("/", 1)[1]) for c in reported] == [
        ("1", "1-1"), ("2", "1-2"), ("1", "2-1"), ("2", "2-2"), ("zeta", "z"), ("alpha", "a")]
