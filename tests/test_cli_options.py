"""The options the README promises are on every command it names (one test, so they cannot drift)."""

from dataclasses import replace

import pytest
from click.testing import CliRunner

from archiver.cli.exits import exit_code
from archiver.cli.main import main
from archiver.models import Place
from archiver.report.problems import FAIL_ON, Problem, fails


def options(command: str) -> set[str]:
    return {opt for p in main.commands[command].params for opt in getattr(p, "opts", [])}


@pytest.mark.parametrize("command", ["lint", "check", "archive", "run", "report"])
def test_every_command_that_prints_results_takes_format(command):
    assert "--format" in options(command)


@pytest.mark.parametrize("command", ["lint", "check", "archive", "run"])
def test_every_command_that_reads_documents_takes_input_format_and_base_url(command):
    assert {"--input-format", "--base-url"} <= options(command)


@pytest.mark.parametrize("command", ["check", "archive", "run"])
def test_every_stage_command_takes_quiet_and_verbose(command):
    assert {"-q", "--quiet", "-v", "--verbose"} <= options(command)


@pytest.mark.parametrize("command", ["lint", "check", "archive", "run", "report"])
def test_fail_on_is_one_vocabulary_with_one_default(command):
    fail_on = next(p for p in main.commands[command].params if p.name == "fail_on")
    assert tuple(fail_on.type.choices) == FAIL_ON == ("error", "warning", "info", "new")
    assert fail_on.default == "error"


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_states_the_same_exit_codes(command):
    """The exit-code lines of --help come from one place (cli.exits.exit_help)."""
    out = CliRunner().invoke(main, [command, "--help"]).stdout
    if "--fail-on" not in out:  # export, annotate, browse: no problems to count
        assert "Exit codes:" not in out
        return
    said = " ".join(out.split("Exit codes:")[1].split())
    assert said.startswith("0 clean, 1 ") and "at or above --fail-on (acknowledged ones never count), 2 usage or " \
        "configuration error, 3 runtime error (" in said and said.endswith("130/143 interrupted (SIGINT/SIGTERM).")


def test_the_exit_code_policy():
    problem = Problem(Place("a.md", "1", 1), "https://a.example/", "dead link", new=False)
    assert exit_code() == exit_code([]) == exit_code(False) == 0
    assert exit_code([problem]) == exit_code(True) == 1
    assert exit_code([replace(problem, acknowledged="moved, fine")]) == 0  # acknowledged never counts
    assert exit_code([problem], failed=True) == exit_code(failed=True) == 3  # what it could not see may hide more


@pytest.mark.parametrize("severity, new, fail_on, counts", [
    ("error", False, "error", True), ("warning", False, "error", False), ("warning", False, "warning", True),
    ("info", False, "warning", False), ("info", False, "info", True), ("error", False, "new", False),
    ("warning", True, "new", True), ("error", True, "info", True),
])
def test_one_rule_for_fail_on(severity, new, fail_on, counts):
    assert fails(severity, new, fail_on) is counts
