"""The options the README promises are on every command it names (one test, so they cannot drift)."""

import pytest

from archiver.cli.main import main


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


@pytest.mark.parametrize("command", ["check", "run"])
def test_fail_on_new(command):
    fail_on = next(p for p in main.commands[command].params if p.name == "fail_on")
    assert "new" in fail_on.type.choices
