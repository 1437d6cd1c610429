"""The package map holds: `lint-imports` runs the contracts of pyproject.toml ([tool.importlinter]) on
the tree, and fails on a copy of it with an upward import or an import circle planted in it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess:
    """lint-imports over the `archiver` found first on PYTHONPATH=package_parent."""
    env = {**os.environ, "PYTHONPATH": str(package_parent)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=package_parent, env=env, capture_output=True, text=True, timeout=120)


def planted(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of archiver/ with `line` added at the end of `module` (a path inside the package)."""
    shutil.copytree(ROOT / "archiver", tmp_path / "archiver", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "archiver" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return tmp_path


def test_the_tree_keeps_every_contract():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, line, broken", [
    # a lower layer importing a higher one
    ("urls/keys.py", "from ..report import problems  # noqa", "The pipeline's layers"),
    ("store/interface.py", "from .. import api  # noqa", "The pipeline's layers"),
    # a circle between two modules of one package
    ("export/warc.py", "from . import wacz  # noqa", "No import circles"),
    ("cli/options.py", "from . import main  # noqa", "No import circles"),
    # the library printing through click
    ("report/editor.py", "import click  # noqa", "Only the command line imports click"),
])
def test_an_upward_import_or_a_circle_breaks_a_contract(tmp_path, module, line, broken):
    done = lint_imports(planted(tmp_path, module, line))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{broken}" in done.stdout and "BROKEN" in done.stdout
