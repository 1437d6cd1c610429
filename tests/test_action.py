"""The GitHub Action's shell part (scripts/action.sh), run as the Action runs it: the CI variables
set (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, the cache folder), archiver on PATH, against the loopback
test web and the fake Wayback Machine."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml  # PyYAML comes with pre-commit, a test dependency

from tests.fakewayback import FakeWayback

from .conftest import REPO

SCRIPT = REPO / "scripts" / "action.sh"


@pytest.fixture()
def wayback():
    with FakeWayback(clock=time.time) as fake:
        yield fake


def _run(work, cache, wayback, **extra) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    summary, outputs = work / "summary.md", work / "outputs.txt"
    outputs.write_text("")
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs), "RUNNER_TEMP": str(work),
           "ARCHIVER_CACHE_DIR": str(cache), "ARCHIVER_PATHS": "notes.md",
           "ARCHIVER_ARGS": f"--allow-private --wayback-url {wayback.base_url}",
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""), **extra}
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    return proc, dict(line.split("=", 1) for line in outputs.read_text().splitlines())


def test_action_script_restores_runs_summarises_and_saves(tmp_path, test_web, wayback):
    work, cache = tmp_path / "job", tmp_path / "cache"
    work.mkdir()
    (work / "archiver.toml").write_text("poll_interval = 0.05\npoll_timeout = 10\ncdx_per_minute = 6000\n")
    gone, ok = test_web.url("/gone/action"), test_web.url("/ok")
    (work / "notes.md").write_text(f"# Notes\n\n1. [Live]({ok}).\n2. [Removed]({gone}), accessed 2021-01-12.\n")
    wayback.seed(gone, "20210110120000")

    first, out = _run(work, cache, wayback)
    assert first.returncode == 1, first.stderr  # /gone newly failing: --fail-on new
    assert "no cached archive.db yet" in first.stderr and "saved archive.db to the cache" in first.stderr
    summary = (work / "summary.md").read_text()
    assert summary.startswith("## archiver: something new is broken or changed (exit 1)\n")
    assert "2 citations in 1 document" in summary and gone in summary
    assert f"{wayback.base_url}/web/20210110120000/{gone}" in summary  # the copy to cite
    assert out["exit-code"] == "1" and Path(out["report"]).read_text() in summary
    saved = sqlite3.connect(cache / "archive.db")
    assert saved.execute("select count(*) from urls").fetchone()[0] == 2
    saved.close()

    # the next job starts from a fresh checkout: no archive.db but the cached one
    (work / "archive.db").unlink()
    (work / "summary.md").unlink()
    again, out = _run(work, cache, wayback)
    assert again.returncode == 0, again.stderr  # still failing, but not new
    assert "restored archive.db from the cache" in again.stderr
    assert (work / "summary.md").read_text().startswith("## archiver: nothing new is broken\n")
    assert out["exit-code"] == "0"
    with sqlite3.connect(cache / "archive.db") as saved:
        assert saved.execute("select count(*) from runs where command = 'check'").fetchone()[0] == 2  # both runs' history kept


def test_action_yml_runs_the_script_and_saves_whatever_the_outcome():
    action = yaml.safe_load((REPO / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    run = next(s for s in steps if s.get("id") == "run")
    assert "scripts/action.sh" in run["run"] and run["env"]["ARCHIVER_FAIL_ON"] == "${{ inputs.fail-on }}"
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save"))
    assert steps.index(restore) < steps.index(run) < steps.index(save) and save["if"] == "always()"
    assert restore["with"]["path"] == save["with"]["path"] == run["env"]["ARCHIVER_CACHE_DIR"]
    assert action["inputs"]["fail-on"]["default"] == "new"
