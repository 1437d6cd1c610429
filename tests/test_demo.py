"""The offline demo (`python -m tests.demo`, README "Try it offline") runs as documented and prints
what the README shows."""

import re
import sqlite3
import subprocess
import sys

from .conftest import REPO


def normalise(text: str, web_port: str, wayback_port: str) -> str:
    text = text.replace(f"127.0.0.1:{wayback_port}", "127.0.0.1:WAYBACK").replace(f"127.0.0.1:{web_port}", "127.0.0.1:PORT")
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", "TIME", text)


def test_the_demo_runs_offline_and_prints_what_the_readme_shows(tmp_path):
    done = subprocess.run([sys.executable, "-m", "tests.demo", "--dir", str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=False)
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
