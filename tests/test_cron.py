"""archiver from cron: quiet nights, failing only on what is new, acknowledgements, and the
nights shown in docs/cron.md, whose output is produced here."""

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from tests.fakewayback import FakeWayback
from tests.web import MutableSite

REPO = Path(__file__).parent.parent
CRON = ["run", "notes.txt", "--quiet", "--fail-on", "new"]


@pytest.fixture()
def sites():
    made = [MutableSite() for _ in range(3)]
    yield made
    for site in made:
        if site.thread.is_alive():
            site.close()


@pytest.fixture()
def night(tmp_path, monkeypatch, sites):
    """A report with three notes on three hosts, archiver.toml next to it; returns a runner of one night."""
    monkeypatch.chdir(tmp_path)
    Path("notes.txt").write_text("Notes\n\n" + "".join(f"{i}. {s.url}\n" for i, s in enumerate(sites, 1)),
                                 encoding="utf-8")
    with FakeWayback(clock=time.time) as wayback:
        Path("archiver.toml").write_text(f'allow_private = true\nprocesses = 1\nwayback_url = "{wayback.base_url}"\n'
                                         "cdx_per_minute = 6000\n", encoding="utf-8")

        def run(*args):
            result = CliRunner().invoke(main, list(args or CRON), catch_exceptions=False)
            return result.exit_code, result.stdout, result.stderr

        yield run


def test_fail_on_new_over_three_nights(night, sites):
    assert night() == (0, "", "")  # first night: every link alive, nothing to say
    sites[1].status = 404
    code, out, err = night()
    assert (code, err) == (1, "")
    assert out == f"notes.txt: note 2: new failing link: not-found (HTTP 404) {sites[1].url}\n"
    assert night() == (0, "", "")  # still failing, but not new: a quiet night
    code, out, _ = night("run", "notes.txt", "--quiet")  # without --fail-on new, a known failing link still fails
    assert code == 1 and "note 2: failing link" in out


def test_fail_on_means_the_same_in_check_run_and_report(night, sites):
    """One --fail-on vocabulary: a broken link is an error, news only in the run that saw it break (for
    `report`: the newest check run); a changed page is a warning, and news."""
    assert night("check", "notes.txt")[0] == 0
    sites[1].status = 404
    code, out, _ = night("run", "notes.txt", "--quiet", "--fail-on", "new")
    assert code == 1 and "note 2: new failing link" in out
    assert night("report", "notes.txt", "--format", "json", "--fail-on", "new")[0] == 1
    assert night("run", "notes.txt", "--quiet", "--fail-on", "new")[0] == 0  # still failing: not news
    assert night("report", "notes.txt", "--format", "json", "--fail-on", "new")[0] == 0
    assert night("report", "notes.txt", "--format", "json", "--fail-on", "error")[0] == 1
    sites[0].body = b"<html><head><title>A</title></head><body><p>other words entirely</p></body></html>"
    code, out, _ = night("check", "notes.txt", "--quiet", "--fail-on", "error")
    assert (code, out) == (1, f"notes.txt: note 2: failing link: not-found (HTTP 404) {sites[1].url}\n")
    sites[2].body = b"<html><head><title>C</title></head><body><p>a new text again</p></body></html>"
    code, out, _ = night("check", "notes.txt", "--quiet", "--fail-on", "warning")
    assert code == 1 and f"notes.txt: note 3: new page text changed {sites[2].url}\n" in out


def test_stale_changes_what_is_checked_not_what_fails(night, sites):
    """issue 23: `check --stale` skips a link checked conclusively within the age, and a skipped link
    that is failing still fails the run (and shows in the problem list); with --fail-on new it is
    not news."""
    sites[1].status = 404
    assert night("check", "notes.txt", "--quiet")[0] == 1  # failing now, conclusively
    code, out, _ = night("check", "notes.txt", "--stale", "1d", "--quiet")
    assert (code, out) == (1, f"notes.txt: note 2: failing link: not-found (HTTP 404) {sites[1].url}\n")
    code, out, err = night("check", "notes.txt", "--stale", "1d")
    assert code == 1 and "skipped as fresh (--stale) but still broken" in err and sites[1].url in err
    assert night("check", "notes.txt", "--stale", "1d", "--quiet", "--fail-on", "new")[0] == 0
    code, out, _ = night("run", "notes.txt", "--stale", "1d", "--quiet", "--no-archive")
    assert code == 1 and "note 2: failing link" in out


def test_check_shows_every_row_and_exits_on_the_same_problems_as_quiet(night, sites):
    """`archiver check` without --quiet prints the rows and takes its exit code from that same read;
    the exit code agrees with --quiet's problem list, with and without --fail-on new."""
    assert night("check", "notes.txt")[0] == 0
    sites[1].status = 404
    code, out, _ = night("check", "notes.txt", "--fail-on", "new")
    assert code == 1 and f"{sites[1].url}  [notes.txt: note 2]" in out and f"{sites[0].url}  [notes.txt: note 1]" in out
    code, out, _ = night("check", "notes.txt", "--fail-on", "new")  # still failing, not new
    assert code == 0 and f"{sites[1].url}  [notes.txt: note 2]" in out
    assert night("check", "notes.txt", "--quiet", "--fail-on", "new")[0] == 0
    code, out, _ = night("check", "notes.txt")
    assert code == 1 and "failing" in out
    assert night("check", "notes.txt", "--quiet")[:2] == (1, f"notes.txt: note 2: failing link: not-found (HTTP 404) "
                                                           f"{sites[1].url}\n")


def test_a_new_lint_error_fails_once(night):
    assert night()[0] == 0
    with open("notes.txt", "a", encoding="utf-8") as fh:
        fh.write("4. kz/ru/news/aktivist-zaderzhan-v-shymkente\n")  # host cut off: U202 missing-host, an error
    code, out, _ = night()
    assert code == 1 and "notes.txt: note 4: new error U202 missing-host" in out
    assert night() == (0, "", "")


def test_an_acknowledged_link_is_listed_and_does_not_fail(night, sites):
    sites[2].status = 410
    with open("archiver.toml", "a", encoding="utf-8") as fh:
        fh.write(f'[[ignore]]\nurl = "{sites[2].url}"\nreason = "withdrawn by the publisher; cited as printed"\n')
    code, out, err = night("run", "notes.txt", "--quiet", "--no-archive")  # no keys: live links stay queued
    assert (code, out, err) == (0, "", "")
    code, out, err = night("run", "notes.txt", "--verbose", "--format", "none", "--no-archive")
    assert code == 0
    assert "acknowledged: notes.txt: note 3: failing link: gone (HTTP 410): withdrawn by the publisher" in err
    code, out, _ = night("check", "notes.txt")
    assert code == 0 and f"{sites[2].url}  [notes.txt: note 3]  (acknowledged: withdrawn by the publisher" in out
    code, out, _ = night("report", "notes.txt", "--format", "json")
    assert '"acknowledged": "withdrawn by the publisher; cited as printed"' in out


def test_an_invalid_acknowledgement_is_a_configuration_error(night):
    with open("archiver.toml", "a", encoding="utf-8") as fh:
        fh.write('[[ignore]]\nurl = "https://x.example/"\n')
    code, _, err = night()
    assert code == 2 and "archiver.toml: [[ignore]] entry 1: add a `reason`" in err


def test_usage_errors_exit_2(night):
    code, _, err = night("run", "notes.txt", "--stale", "7x")
    assert code == 2 and "'7x' is not an age" in err


def test_docs_cron_page_is_what_archiver_prints(night, sites):
    """Renders the three nights of docs/cron.md and compares them, ports normalised."""
    page = (REPO / "docs" / "cron.md").read_text(encoding="utf-8")
    section = page.split("\n## ", 1)[0]
    crontab, *nights = re.findall(r"```\n(.*?)```", section, re.S)
    assert "archiver run notes.txt --quiet --fail-on new" in crontab
    night()  # the first night records the links as alive
    shown = []
    for prepare in (lambda: None, lambda: setattr(sites[1], "status", 404), lambda: [s.close() for s in sites]):
        prepare()
        code, out, err = night()
        shown.append(f"$ archiver run notes.txt --quiet --fail-on new; echo \"exit $?\"\n{err}{out}exit {code}\n")
    assert [re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", s) for s in shown] == nights


def test_verbose_says_what_each_document_read_changed(night, sites):
    night("run", "notes.txt", "--no-archive", "--format", "none")
    text = Path("notes.txt").read_text(encoding="utf-8").replace(f"2. {sites[1].url}\n", "")
    Path("notes.txt").write_text(text + "4. https://example.org/new\n", encoding="utf-8")
    code, _, err = night("run", "notes.txt", "--lint-only", "--verbose", "--format", "none")
    assert code == 0 and "lint: notes.txt: 1 citation new, 1 removed, 2 unchanged" in err
