"""A new user's day (issue 23 item 7): each message and validation a user tripped over, fixed at its
root, checked as the user met it: through the command line."""

import csv
import io
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archiver.cli.main import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def archiver(*args, cwd):
    return subprocess.run([sys.executable, "-m", "archiver", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_run_on_a_file_that_is_not_a_document_says_so_once(tmp_path):
    (tmp_path / "junk.docx").write_bytes(b"hello\x00\x01\x02 junk")
    done = archiver("run", "junk.docx", "--lint-only", cwd=tmp_path)
    assert done.returncode == 3
    assert done.stderr.count("junk.docx") == 1 and "corrupt or truncated" in done.stderr
    assert "archiver run junk.docx" not in done.stderr  # no advice to run the same command again


def test_an_empty_file_has_no_citations(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    lint = archiver("lint", "empty.txt", cwd=tmp_path)
    assert "0 citations" in lint.stdout and "U401 no-citations" in lint.stdout
    run = archiver("run", "empty.txt", "--lint-only", cwd=tmp_path)
    assert "lint: 0 citations" in run.stderr and "0 citations in 1 document" in run.stdout
    report = archiver("report", "--format", "json", cwd=tmp_path)
    assert '"citations": 0' in report.stdout and report.returncode == 0


@pytest.mark.parametrize("option", [["--wayback-url", "notaurl"], ["--canary", "ftp://x"],
                                    ["--wayback-url", "http://:80/"], ["--canary", "https://host:99999/"],
                                    ["--base-url", "notaurl"], ["--base-url", "file:///home/me/"],
                                    ["--tsa", "notaurl"]])
def test_a_url_option_is_validated_before_anything_runs(tmp_path, option):
    # a loopback URL on the discard port: were the option taken, the run would still reach nothing beyond 127.0.0.1
    (tmp_path / "notes.txt").write_text("1. http://127.0.0.1:9/a\n", encoding="utf-8")
    done = archiver("run", "notes.txt", *option, cwd=tmp_path)
    assert done.returncode == 2 and option[1] in done.stderr and option[0] in done.stderr, done.stderr
    assert not (tmp_path / "archive.db").exists()


def test_a_url_setting_in_archiver_toml_is_validated_too(tmp_path):
    (tmp_path / "archiver.toml").write_text('[wayback]\nwayback_url = "web.archive.org"\n', encoding="utf-8")
    done = archiver("report", cwd=tmp_path)
    assert done.returncode == 2 and "archiver.toml" in done.stderr and "wayback_url" in done.stderr


def test_export_of_a_url_archiver_never_fetched_is_an_error_and_writes_nothing(pipeline_db, tmp_path):
    out = tmp_path / "x.warc.gz"
    result = invoke("export", "--db", pipeline_db.settings.db, "--warc", out, "--url", "https://nowhere.kz/typo")
    assert result.exit_code == 3 and "https://nowhere.kz/typo" in result.stderr and "no stored fetch" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_check_of_only_private_addresses_says_nothing_was_checked(tmp_path):
    (tmp_path / "lo.txt").write_text("1. http://127.0.0.1:9/a\n2. http://localhost:9/b\n", encoding="utf-8")
    done = archiver("check", "lo.txt", "--quiet", cwd=tmp_path)
    assert done.returncode == 3
    assert "2 of 2 URLs not fetched" in done.stderr and "--allow-private" in done.stderr
    assert "nothing was checked" in done.stderr


def test_a_database_in_a_missing_folder_is_not_called_permission_denied(tmp_path):
    (tmp_path / "notes.txt").write_text("1. https://stat.gov.kz/a\n", encoding="utf-8")
    done = archiver("run", "notes.txt", "--lint-only", "--db", tmp_path / "no" / "such" / "archive.db", cwd=tmp_path)
    assert done.returncode == 3 and "does not exist" in done.stderr and "permission" not in done.stderr


def test_csv_booleans_are_the_same_in_every_output(pipeline_db, tmp_path):
    import sqlite3

    db = tmp_path / "copy.db"  # the check writes: a copy, so the session's database stays as it is
    with sqlite3.connect(pipeline_db.settings.db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    report = invoke("report", "--db", db, "--format", "csv").stdout
    notes = tmp_path / "notes.txt"
    notes.write_text((pipeline_db.folder / "notes.txt").read_text(encoding="utf-8"), encoding="utf-8")
    check = invoke("check", "--db", db, notes, "--allow-private", "--format", "csv").stdout
    for text, columns in ((report, ("needs_action", "newly_broken")), (check, ("alive", "conclusive"))):
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows
        for column in columns:
            assert {r[column] for r in rows} <= {"true", "false", ""}, (column, {r[column] for r in rows})


def test_markdown_shows_an_arrow_as_written(tmp_path):
    (tmp_path / "n.txt").write_text("1. Report -> https://stat.gov.kz/a <b>\n", encoding="utf-8")
    archiver("run", "n.txt", "--lint-only", "--format", "none", cwd=tmp_path)
    out = archiver("report", "--format", "markdown", cwd=tmp_path).stdout
    assert "Report -> " in out and "-&gt;" not in out and "<b>" not in out and "&lt;b>" in out


def test_a_truncated_pdf_leaves_no_library_chatter_on_stderr(tmp_path):
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(tmp_path / "whole.pdf"))
    pdf.drawString(72, 720, "1. https://stat.gov.kz/report.html")
    pdf.save()
    data = (tmp_path / "whole.pdf").read_bytes()
    (tmp_path / "cut.pdf").write_bytes(data[:data.rindex(b"%%EOF")])
    done = archiver("lint", "cut.pdf", cwd=tmp_path)
    assert "EOF marker" not in done.stderr and "startxref" not in done.stderr
    assert "https://stat.gov.kz/report.html" in done.stdout or "cut.pdf" in done.stderr


def test_deeply_nested_html_is_read_whole_or_named(tmp_path):
    """libxml2 stops at 256 nested elements and keeps what came before: 400 divs deep lost every
    link in silence (reported as 'no citation found'). 400 are read now; past what the parser reads
    at all, the document is named as unreadable."""
    def page(depth, links):
        return ("<html><body>" + "<div>" * depth + "".join(f'<a href="https://stat.gov.kz/p{i}">x</a>'
                for i in range(links)) + "</div>" * depth + "</body></html>")
    (tmp_path / "deep.html").write_text(page(400, 50), encoding="utf-8")
    (tmp_path / "deeper.html").write_text(page(3000, 5), encoding="utf-8")
    done = archiver("lint", "deep.html", "deeper.html", cwd=tmp_path)
    assert done.returncode == 3 and "50 citations" in done.stdout
    assert "deeper.html: HTML nested deeper than the parser reads" in done.stderr


@pytest.mark.parametrize("age", ["-1d", "nan", "inf", "1e999h", "7x"])
def test_an_age_is_a_finite_duration_not_below_zero(tmp_path, age):
    (tmp_path / "notes.txt").write_text("1. http://127.0.0.1:9/a\n", encoding="utf-8")  # loopback, whatever happens
    done = archiver("check", "notes.txt", "--stale", age, cwd=tmp_path)
    assert done.returncode == 2 and f"'{age}' is not an age" in done.stderr, done.stderr
    assert not (tmp_path / "archive.db").exists()
    (tmp_path / "archiver.toml").write_text(f'stale_seconds = "{age}"\n', encoding="utf-8")
    done = archiver("check", "notes.txt", cwd=tmp_path)
    assert done.returncode == 2 and "is not an age" in done.stderr, done.stderr


@pytest.mark.parametrize("command", [["check"], ["run", "gone.txt", "junk.docx"], ["archive", "gone.txt"],
                                     ["run", "junk.docx", "--lint-only"]])
def test_a_stage_with_no_readable_document_creates_no_database(tmp_path, command):
    """`archiver check` in a folder without sources.txt said "no such file" and left archive.db
    (with -wal, -shm and a lock file) behind, with an empty check run recorded in it."""
    (tmp_path / "junk.docx").write_bytes(b"hello\x00\x01\x02 junk")
    done = archiver(*command, cwd=tmp_path)
    assert done.returncode == 3 and ("no such file" in done.stderr or "corrupt" in done.stderr), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.docx"]
