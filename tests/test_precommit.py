"""The pre-commit hook (.pre-commit-hooks.yaml) run by real pre-commit on a temporary git repository.

pre-commit builds a `language: python` hook's environment by pip-installing the hook repository and
its dependencies, which needs a package index; tests never touch the network. So the test runs the
hook definition as shipped with one change, `language: system` with this virtualenv's `archiver` on
PATH: pre-commit still clones the hook repository, applies the hook's `files`/`types` filters, passes
the staged file names to the entry and judges its exit code, exactly as for the python hook.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml  # PyYAML comes with pre-commit, a test dependency

from .conftest import REPO

DAMAGED = "# Notes\n\n1. See http//example.com/report and the follow-up.\n2. Also <https://example.org/b>.\n"


def _git(cwd, *args) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def _pre_commit(cwd, *args, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "GIT_CONFIG_GLOBAL": os.devnull,
           "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture()
def hooks_repo(tmp_path):
    """A git repository holding our .pre-commit-hooks.yaml, its language set to system."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["language"] for h in hooks] == ["python"]
    for hook in hooks:
        hook["language"] = "system"
    repo = tmp_path / "hooks"
    repo.mkdir()
    (repo / ".pre-commit-hooks.yaml").write_text(yaml.safe_dump(hooks), encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "hooks")
    return repo


@pytest.fixture()
def project(tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    return repo


def test_hook_fails_on_repairable_damage_when_asked_and_passes_after_lint_diff(hooks_repo, project, tmp_path):
    rev = _git(hooks_repo, "rev-parse", "HEAD").strip()
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{
        "repo": str(hooks_repo), "rev": rev, "hooks": [{"id": "archiver-lint", "args": ["--fail-on", "warning"]}]}]}))
    (project / "notes.md").write_text(DAMAGED, encoding="utf-8")
    (project / "tool.py").write_text("URL = 'http//not-a-document.example'\n", encoding="utf-8")  # not matched by `files`
    _git(project, "add", ".")
    failed = _pre_commit(project, "run", "--all-files", home=tmp_path / "pc")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "notes.md:3: U108 broken-scheme" in failed.stdout
    assert "tool.py" not in failed.stdout

    diff = subprocess.run([sys.executable, "-m", "archiver", "lint", "--diff", "notes.md"], cwd=project,
                          capture_output=True, text=True)
    assert "+1. See http://example.com/report" in diff.stdout
    subprocess.run(["git", "apply"], input=diff.stdout, cwd=project, check=True, capture_output=True, text=True)
    _git(project, "add", ".")
    passed = _pre_commit(project, "run", "--all-files", home=tmp_path / "pc")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "archiver lint (cited URLs)" in passed.stdout and "Passed" in passed.stdout


def test_try_repo_fails_on_an_error_finding_by_default(hooks_repo, project, tmp_path):
    (project / "refs.bib").write_text("@misc{cut,\n  title = {Cut},\n  url = {https://example.org/a/very/lo…}\n}\n",
                                      encoding="utf-8")
    (project / "ok.md").write_text(DAMAGED, encoding="utf-8")  # warnings only: passes at the default --fail-on
    _git(project, "add", ".")
    only_warnings = _pre_commit(project, "try-repo", str(hooks_repo), "archiver-lint", "--files", "ok.md",
                                home=tmp_path / "pc")
    assert only_warnings.returncode == 0, only_warnings.stdout + only_warnings.stderr
    failed = _pre_commit(project, "try-repo", str(hooks_repo), "archiver-lint", "--all-files", home=tmp_path / "pc")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "refs.bib:1: note cut: U201 truncated-url" in failed.stdout
