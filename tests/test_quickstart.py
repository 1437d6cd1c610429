"""The README's quick start, run as written on a Markdown document citing the local web, with an
archiver.toml that points archive at the fake Wayback Machine (the only change from a real run)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakewayback import FakeWayback

from .conftest import REPO


@pytest.fixture()
def wayback():
    with FakeWayback(clock=time.time) as fake:
        yield fake


def test_the_readmes_quick_start_runs_as_written(tmp_path, test_web, wayback):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start on your own document", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("  #", 1)[0].strip() for line in re.search(r"```bash\n(.*?)```", section, re.S).group(1).splitlines()]
    assert [c.split()[:2] for c in commands] == [["archiver", "lint"], ["archiver", "run"], ["archiver", "report"],
                                                 ["archiver", "annotate"]]
    (tmp_path / "notes.md").write_text(f"# Notes\n\nSee [the study]({test_web.url('/article')}) and "
                                       f"[the report]({test_web.url('/gone')}).\n", encoding="utf-8")
    (tmp_path / "archiver.toml").write_text(f'allow_private = true\nprocesses = 1\nwayback_url = "{wayback.base_url}"\n'
                                            "saves_per_minute = 600\npoll_interval = 0.1\n", encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "IA_ACCESS_KEY": "demo-access", "IA_SECRET_KEY": "demo-secret"}
    for command in commands:
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1), f"{command}: exit {done.returncode}\n{done.stderr}"  # 1: /gone is broken
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert test_web.url("/gone") in html and test_web.url("/article") in html
    annotated = (tmp_path / "notes.archived.md").read_text(encoding="utf-8")
    assert f"{wayback.base_url}/web/" in annotated  # the live page was saved, and its copy written back
