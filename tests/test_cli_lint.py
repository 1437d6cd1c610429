"""`archiver lint` and the lint part of `archiver run`, through click's runner and a real SQLite file."""

import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from archiver.cli.main import main

from .conftest import REPO


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_lint_json_contract(notes_path):
    result = invoke("lint", notes_path, "--format", "json")
    assert result.exit_code == 1  # note 25 is an error
    payload = json.loads(result.stdout)
    assert set(payload) == {"citations", "summary"}
    c = payload["citations"][0]
    assert set(c) >= {"source", "line", "note", "raw", "url", "candidates", "accessed", "findings"}
    assert c["source"] == notes_path
    note20 = [c for c in payload["citations"] if c["note"] == "20"]
    assert len(note20) == 2 and note20[0]["line"] == note20[1]["line"] == 20
    f = next(f for c in payload["citations"] for f in c["findings"] if f["name"] == "missing-host")
    assert set(f) == {"code", "name", "severity", "message", "fix"} and f["severity"] == "error"
    assert payload["summary"]["error"] == 1


def test_lint_human_lines(notes_path):
    result = invoke("lint", notes_path)
    lines = result.stdout.splitlines()
    pattern = re.compile(r"^.+:\d+: (note \S+: )?U\d{3} [a-z-]+: .+$")
    assert all(pattern.match(ln) for ln in lines[:-1])
    assert any(ln.startswith(f"{notes_path}:25: note 25: U202 missing-host:") and
               "candidates: https://kaztag.kz/ru/news/aktivist-s-600-" in ln for ln in lines)
    assert lines[-1].startswith("32 citations, 26 distinct URLs in 1 document: 1 error,")


def test_a_count_of_one_takes_the_singular(tmp_path):
    (tmp_path / "one.txt").write_text("1. https://eurasianet.org/kazakhstan–vote\n", encoding="utf-8")
    result = invoke("lint", str(tmp_path / "one.txt"))
    assert result.stdout.splitlines()[-1].startswith("1 citation, 1 distinct URL in 1 document: 0 errors, 1 warning,")


@pytest.mark.parametrize("text, worst", [
    ("1. https://example.org/a?utm_source=x\n", "info"),  # U303 tracking parameter only
    ("1. https://eurasianet.org/kazakhstan–vote\n", "warning"),  # U101 typographic dash
    ("25. kz/ru/news/aktivist–s–600–udostovereniyami\n", "error"),  # U202 missing host
])
@pytest.mark.parametrize("fail_on", ["info", "warning", "error"])
def test_fail_on_is_a_threshold(tmp_path, text, worst, fail_on):
    p = tmp_path / "notes.txt"
    p.write_text(text, encoding="utf-8")
    order = ["info", "warning", "error"]
    expected = 1 if order.index(worst) >= order.index(fail_on) else 0
    assert invoke("lint", str(p), "--fail-on", fail_on).exit_code == expected


def test_clean_document_exits_zero(tmp_path):
    p = tmp_path / "ok.txt"
    p.write_text("1. https://rus.azattyq.org/a/31041509.html\n", encoding="utf-8")
    assert invoke("lint", str(p)).exit_code == 0
    assert invoke("lint", str(p), "--fail-on", "info").exit_code == 0


def test_warning_only_document(tmp_path):
    p = tmp_path / "w.txt"
    p.write_text("1. https://eurasianet.org/kazakhstan–vote\n", encoding="utf-8")
    assert invoke("lint", str(p)).exit_code == 0
    assert invoke("lint", str(p), "--fail-on", "warning").exit_code == 1


def test_diff_applies_confident_repairs(notes_path):
    result = invoke("lint", notes_path, "--diff")
    out = result.stdout
    shown = os.path.relpath(notes_path)  # relative to the current directory, never a//abs/path
    assert not shown.startswith("/") and out.startswith(f"--- a/{shown}\n+++ b/{shown}\n")
    assert "+  2. https://rus.azattyq.org/a/a/aq-zhol-party-agitation-supporters-facing-pressure-01052021\n" in out
    assert ("+  21. https://kaztag.kz/ru/news/na-vybory-v-mazhilis-vyshlo-menee-poloviny-nablyudateley-misk-soobshchila-o-"
            "davlenii)\n") in out
    assert "-  25." not in out  # nothing confident to apply to note 25
    assert ("+  20. https://kaztag.kz/ru/news/na-vybory-v-mazhilis-vyshlo-menee-poloviny-nablyudateley-misk-soobshchila-o-"
            "davlenii, https://news.mail.ru/politics/44843892/?frommail=1\n") in out


def test_missing_file_is_reported_and_others_still_processed(tmp_path, notes_path):
    result = invoke("lint", str(tmp_path / "nope.txt"), notes_path, "--format", "json")
    assert result.exit_code == 3
    assert f"archiver: error: {tmp_path / 'nope.txt'}: no such file" in result.stderr
    assert len(json.loads(result.stdout)["citations"]) == 32


def test_binary_file_is_reported(tmp_path):
    p = tmp_path / "x.pdf.txt"
    p.write_bytes(b"%PDF\x00\x00")
    result = invoke("lint", str(p))
    assert result.exit_code == 3 and "binary" in result.stderr


def test_usage_error_exit_2():
    assert invoke("lint", "--format", "yaml").exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "markdown", "html"])
def test_other_formats(notes_path, fmt):
    out = invoke("lint", notes_path, "--format", fmt).stdout
    assert "kaztag.kz" in out and "missing-host" in out


def test_default_input_is_sources_txt(monkeypatch):
    monkeypatch.chdir(REPO)
    result = invoke("lint", "--format", "json")
    assert len(json.loads(result.stdout)["citations"]) == 32


def test_run_writes_db_once(tmp_path, notes_path):
    db = tmp_path / "archive.db"
    for _ in range(2):
        result = invoke("run", notes_path, "--db", str(db), "--lint-only")
        assert result.exit_code == 1, result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from documents").fetchone()[0] == 1
    assert conn.execute("select count(*) from citations").fetchone()[0] == 32
    assert conn.execute("select count(*) from urls").fetchone()[0] == 26
    assert conn.execute("select count(*) from findings").fetchone()[0] == 51
    (cands,) = conn.execute("select candidates from citations where note = '25'").fetchone()
    assert json.loads(cands) == [
        "https://kaztag.kz/ru/news/aktivist-s-600-udostovereniyami-dlya-nablyudateley-zaderzhan-v-shymkente"]


def test_help_has_examples():
    for cmd in ("lint", "run"):
        out = invoke(cmd, "--help").stdout
        assert "Example:" in out and "Exit codes" in out


def test_python_dash_m(notes_path):
    proc = subprocess.run([sys.executable, "-m", "archiver", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and "archiver" in proc.stdout


def test_full_disk_is_a_clear_error_and_keeps_the_database(tmp_path, notes_path, monkeypatch):
    """A database that cannot grow (as on a full disk) fails cleanly, keeping what it had."""
    db = tmp_path / "archive.db"
    assert invoke("run", notes_path, "--db", str(db), "--lint-only").exit_code == 1
    conn = sqlite3.connect(db)
    pages = conn.execute("pragma page_count").fetchone()[0]
    conn.close()
    other = tmp_path / "other.txt"
    other.write_text("".join(f"{i}. https://example{i}.org/a/{'x' * 200}\n" for i in range(1, 400)), encoding="utf-8")
    # max_page_count is per connection: cap every connection the store opens at the current size
    import archiver.store.sqlite as store_mod

    real_connect = store_mod.sqlite3.connect

    def limited(*a, **kw):
        c = real_connect(*a, **kw)
        c.execute(f"pragma max_page_count = {pages}")
        return c

    monkeypatch.setattr(store_mod.sqlite3, "connect", limited)
    result = invoke("run", str(other), "--db", str(db), "--lint-only")
    monkeypatch.undo()
    assert result.exit_code == 3
    assert "database or disk is full" in result.stderr and "intact" in result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("select count(*) from citations").fetchone()[0] == 32  # the failed document left nothing
    assert conn.execute("select count(*) from documents").fetchone()[0] == 1


def test_bad_config_exits_2(tmp_path, notes_path):
    cfg = tmp_path / "archiver.toml"
    cfg.write_text("concurrency = 'lots'\n")
    result = invoke("run", notes_path, "--db", str(tmp_path / "a.db"), "--config", str(cfg))
    assert result.exit_code == 2
    assert "setting concurrency='lots' is not a valid int" in result.stderr
