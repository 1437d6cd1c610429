"""Honest "cannot tell": a check that concluded nothing says null, everywhere, and is not fresh for --stale."""

import json
import sqlite3

from click.testing import CliRunner

from archiver.cli.main import main
from tests.web import closed_ports


def check_json(doc, db, *extra):
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(db), "--allow-private", "--processes", "1",
                                       "--format", "json", *extra], catch_exceptions=False)
    return result, json.loads(result.stdout)


def test_offline_run_says_null_then_stale_checks_those_again(tmp_path, test_web):
    doc, db = tmp_path / "notes.txt", tmp_path / "archive.db"
    live = test_web.url("/page/offline-live")
    offline = [f"http://127.0.0.1:{port}/a" for port in closed_ports(5)]
    doc.write_text("".join(f"{i}. {u}\n" for i, u in enumerate([*offline, live], start=1)), encoding="utf-8")
    result, payload = check_json(doc, db)
    assert result.exit_code == 3 and payload["summary"]["network_unavailable"]
    by_url = {r["url"]: r for r in payload["results"]}
    for url in offline:
        assert (by_url[url]["alive"], by_url[url]["conclusive"], by_url[url]["state"]) == (None, False, "inconclusive")
    assert (by_url[live]["alive"], by_url[live]["conclusive"]) == (True, True)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM latest_status WHERE alive = 0").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM latest_status WHERE conclusive = 0").fetchone() == (5,)
    assert conn.execute("SELECT count(*) FROM checks WHERE alive = 0").fetchone() == (0,)
    # the next night: only the live page counts as fresh; the five it could not tell are checked again
    _, again = check_json(doc, db, "--stale", "20h")
    assert again["summary"]["skipped_fresh"] == 1 and again["summary"]["checked"] == 5


def test_a_bot_wall_is_null_in_json_and_csv(tmp_path, test_web):
    doc, db = tmp_path / "notes.txt", tmp_path / "archive.db"
    doc.write_text(f"1. {test_web.url('/challenge')}\n2. {test_web.url('/gone')}\n", encoding="utf-8")
    _, payload = check_json(doc, db)
    wall, gone = payload["results"]
    assert (wall["status"], wall["alive"], wall["conclusive"], wall["state"]) == ("blocked", None, False, "unknown")
    assert (gone["alive"], gone["conclusive"]) == (False, True)
    result = CliRunner().invoke(main, ["check", str(doc), "--db", str(db), "--allow-private", "--processes", "1",
                                       "--format", "csv"], catch_exceptions=False)
    header, first, second = result.stdout.splitlines()[:3]
    assert header.startswith("url,state,status,alive,conclusive,")
    assert ",blocked,,false," in first and ",gone,false,true," in second
    assert sqlite3.connect(db).execute("SELECT note, alive, conclusive FROM latest_status").fetchall() == [
        ("1", None, 0), ("2", 0, 1)]
