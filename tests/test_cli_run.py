"""`archiver run` end to end: lint -> check (loopback test web) -> archive (fake Wayback Machine)."""

import json
import sqlite3
import time

import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from tests.fakewayback import FakeWayback

ACCESS, SECRET = "AKtestaccess123", "SKtestsecret456"


@pytest.fixture()
def wayback():
    with FakeWayback(clock=time.time) as fake:
        yield fake


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archiver.toml").write_text("poll_interval = 0.05\npoll_timeout = 10\ncdx_per_minute = 6000\n"
                                            "saves_per_minute = 6000\n", encoding="utf-8")
    return tmp_path


def write_notes(path, test_web):
    path.write_text(
        "Notes:\n\n"
        f"1. {test_web.url('/ok')}\n"
        f"2. {test_web.url('/gone')}, accessed 12 January 2021\n"
        f"3. {test_web.url('/soft404-ru')}\n"
        f"4. {test_web.url('/page/fresh')}\n",
        encoding="utf-8")


def test_run_all_stages(workdir, test_web, wayback, monkeypatch):
    monkeypatch.setenv("IA_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("IA_SECRET_KEY", SECRET)
    notes = workdir / "notes.txt"
    write_notes(notes, test_web)
    gone, soft = test_web.url("/gone"), test_web.url("/soft404-ru")
    wayback.seed(gone, "20201201000000")
    wayback.seed(gone, "20210110120000")  # nearest before the access date: chosen
    wayback.seed(gone, "20210115000000")
    wayback.seed(soft, "20190101000000", status="404")
    wayback.seed(soft, "20180101000000")
    fresh = test_web.url("/page/fresh")
    wayback.seed(fresh, time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() - 86400)))
    result = CliRunner().invoke(main, ["run", str(notes), "--db", "archive.db", "--allow-private",
                                       "--wayback-url", wayback.base_url], catch_exceptions=False)
    assert "check: checked 4 URLs" in result.stderr
    assert "archive: 1 submitted, 1 already-archived, 2 matched" in result.stderr
    assert result.exit_code == 1  # two links are failing
    assert result.stdout.startswith("4 citations in 1 document: 2 alive, 2 failing.")  # the run ends with the report
    assert len(wayback.saves()) == 1 and wayback.saves(test_web.url("/ok"))
    conn = sqlite3.connect(workdir / "archive.db")
    rows = dict(conn.execute("select u.url, p.archive_url from captures p join urls u on u.id = p.url_id"))
    assert rows[gone] == f"{wayback.base_url}/web/20210110120000/{gone}"
    assert rows[soft] == f"{wayback.base_url}/web/20180101000000/{soft}"  # a 200 capture is preferred
    assert rows[test_web.url("/ok")].startswith(f"{wayback.base_url}/web/")
    view = dict(conn.execute("select note, archive_url from latest_status"))
    assert view["2"] == rows[gone]
    dump = "\n".join(conn.iterdump())
    for secret in (ACCESS, SECRET):
        assert secret not in dump and secret not in result.stdout and secret not in result.stderr
    # a second run submits nothing new: the capture is recent
    again = CliRunner().invoke(main, ["archive", str(notes), "--db", "archive.db", "--wayback-url",
                                      wayback.base_url, "--format", "json"], catch_exceptions=False)
    payload = json.loads(again.stdout)
    assert len(wayback.saves()) == 1
    actions = {r["url"]: r["action"] for r in payload["results"]}
    assert actions[test_web.url("/ok")] in ("already-archived", "submitted")
    assert {"url", "action", "archive_url", "timestamp", "job_id", "reason", "notes"} <= set(payload["results"][0])
    by_url = {r["url"]: r for r in payload["results"]}
    assert by_url[gone]["notes"] == ["2"] and by_url[gone]["timestamp"] == "20210110120000"


def test_archive_without_keys_looks_up_only(workdir, test_web, wayback):
    notes = workdir / "notes.txt"
    write_notes(notes, test_web)
    CliRunner().invoke(main, ["check", str(notes), "--db", "archive.db", "--allow-private"], catch_exceptions=False)
    result = CliRunner().invoke(main, ["archive", str(notes), "--db", "archive.db", "--wayback-url",
                                       wayback.base_url, "--format", "json"], catch_exceptions=False)
    assert "IA_ACCESS_KEY" in result.stderr
    assert wayback.saves() == []
    actions = {r["url"]: r["action"] for r in json.loads(result.stdout)["results"]}
    assert actions[test_web.url("/ok")] == "queued"
    assert result.exit_code == 1


def test_archive_dry_run_writes_nothing(workdir, test_web, wayback, monkeypatch):
    monkeypatch.setenv("IA_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("IA_SECRET_KEY", SECRET)
    notes = workdir / "notes.txt"
    write_notes(notes, test_web)
    CliRunner().invoke(main, ["check", str(notes), "--db", "archive.db", "--allow-private"], catch_exceptions=False)
    result = CliRunner().invoke(main, ["archive", str(notes), "--db", "archive.db", "--wayback-url",
                                       wayback.base_url, "--dry-run"], catch_exceptions=False)
    assert wayback.saves() == []
    assert sqlite3.connect(workdir / "archive.db").execute("select count(*) from captures").fetchone()[0] == 0
    assert test_web.url("/ok") in result.stdout


def test_run_offline_skips_archive(workdir, wayback):
    notes = workdir / "notes.txt"
    notes.write_text("".join(f"{i}. https://site{i}.invalid/a\n" for i in range(1, 6)), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(notes), "--db", "archive.db", "--wayback-url", wayback.base_url],
                                catch_exceptions=False)
    assert result.exit_code == 3
    assert "network unavailable" in result.stderr and "archive:" not in result.stderr
    assert wayback.requests == []


def test_archive_of_one_document_shows_its_places_in_its_order(workdir, test_web, wayback):
    """issue 23 "Order and scope", the archive stage: `archive a.txt` names a.txt's notes only, though
    b.txt (recorded first) cites the same URLs; the --quiet problem list too."""
    ok, gone = test_web.url("/ok"), test_web.url("/gone")
    (workdir / "b.txt").write_text(f"Notes\n\n1. {gone}\n2. {ok}\n", encoding="utf-8")
    (workdir / "a.txt").write_text(f"Notes\n\n1. {ok}\n2. {gone}\n", encoding="utf-8")
    base = ["--db", "archive.db", "--wayback-url", wayback.base_url]
    CliRunner().invoke(main, ["run", "b.txt", "a.txt", *base, "--allow-private", "--format", "none"],
                       catch_exceptions=False)
    result = CliRunner().invoke(main, ["archive", "a.txt", *base, "--format", "json"], catch_exceptions=False)
    results = json.loads(result.stdout)["results"]
    assert [(r["url"], r["notes"], [p["document"] for p in r["places"]]) for r in results] == [
        (ok, ["1"], ["a.txt"]), (gone, ["2"], ["a.txt"])]
    quiet = CliRunner().invoke(main, ["archive", "a.txt", *base, "--quiet"], catch_exceptions=False)
    assert quiet.exit_code == 1 and quiet.stdout.startswith("a.txt: note 1: not archived") and "b.txt" not in quiet.stdout
