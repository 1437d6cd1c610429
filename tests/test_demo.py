"""The offline demo (`python -m tests.demo`, README "Try it offline") runs as documented and prints
what the README shows."""

import os
import re
import sqlite3
import subprocess
import sys
import time

from .conftest import REPO


def normalise(text: str, web_port: str, wayback_port: str) -> str:
    text = text.replace(f"127.0.0.1:{wayback_port}", "127.0.0.1:WAYBACK").replace(f"127.0.0.1:{web_port}", "127.0.0.1:PORT")
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "TIME", text)


def test_the_demo_runs_offline_and_prints_what_the_readme_shows(tmp_path):
    # the report is laid out to $COLUMNS (a test runner may leave its terminal's in the environment)
    done = subprocess.run([sys.executable, "-m", "tests.demo", "--dir", str(tmp_path)], cwd=REPO,
                          env={**os.environ, "COLUMNS": "120"}, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    web_port, wayback_port = re.search(r"local web on http://127\.0\.0\.1:(\d+)/, fake Wayback Machine on "
                                       r"http://127\.0\.0\.1:(\d+)", done.stdout).groups()
    printed = normalise(done.stdout, web_port, wayback_port)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Try it offline", 1)[1].split("\n## ", 1)[0]
    assert "python -m tests.demo" in section
    shown = normalise(re.search(r"^```\n(\$ archiver run .*?)^```", section, re.S | re.M).group(1), web_port, wayback_port)
    assert shown in printed  # the README's lines, in order and together, as the run printed them
    assert "exit 1" in printed  # broken links on purpose, said as such
    db = sqlite3.connect(tmp_path / "archive.db")
    captures = dict(db.execute("select u.url, p.archive_url from captures p join urls u on u.id = p.url_id"))
    gone = f"http://127.0.0.1:{web_port}/gone"
    assert captures[gone] == f"http://127.0.0.1:{wayback_port}/web/20210110120000/{gone}"
    assert (tmp_path / "notes.txt").is_file() and (tmp_path / "archiver.toml").is_file()


def test_the_usage_pages_whole_run_is_what_archiver_prints(tmp_path, test_web):
    """docs/usage.md's three commands, run as shown on the demo's document, print what the page shows
    (ports, and the dates of today's captures, aside)."""
    import os

    from tests.demo import CONFIG, DEMO_KEYS, document, seed
    from tests.fakewayback import FakeWayback

    page = (REPO / "docs" / "usage.md").read_text(encoding="utf-8").split("## A whole run", 1)[1]
    shown = re.search(r"^```\n(.*?)^```", page, re.S | re.M).group(1)
    commands = re.findall(r"^\$ (archiver .*)$", shown, re.M)
    assert [c.split()[1] for c in commands] == ["run", "check", "archive"]
    (tmp_path / "archiver.toml").write_text(CONFIG, encoding="utf-8")

    def today_aside(text: str) -> str:
        text = re.sub(r"/web/(?!20210110120000|20190101000000)\d{14}/", "/web/TODAY/", text)
        text = re.sub(r"on \d{4}-\d\d-\d\d \(the page", "on TODAY (the page", text)
        return re.sub(r"first saw the citation \d{4}-\d\d-\d\d \(\d+ days before\)", "first saw the citation TODAY", text)

    with FakeWayback(clock=time.time) as wayback:
        seed(wayback, test_web)
        (tmp_path / "notes.txt").write_text(document(test_web), encoding="utf-8")
        printed = []
        for command in commands:
            argv = command.replace("http://127.0.0.1:WAYBACK", wayback.base_url).split()
            done = subprocess.run([sys.executable, "-m", "archiver", *argv[1:]], cwd=tmp_path, capture_output=True,
                                  text=True, timeout=120, env={**os.environ, **DEMO_KEYS}, check=False)
            printed.append(f"$ {command}\n{done.stderr}{done.stdout}exit {done.returncode}\n")
        port = test_web.url("/").split(":")[2].rstrip("/")
        wayback_port = wayback.base_url.rsplit(":", 1)[1]
    assert today_aside("".join(printed).replace(f"127.0.0.1:{port}", "127.0.0.1:PORT")
                       .replace(f"127.0.0.1:{wayback_port}", "127.0.0.1:WAYBACK")) == today_aside(shown)
