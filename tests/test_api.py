"""The Python API, stage by stage, against the loopback test web and the fake Wayback Machine."""

import re
import sqlite3
import time
from pathlib import Path

import pytest

from archiver import api
from archiver.models import CheckRow
from tests.fakewayback import FakeWayback

REPO = Path(__file__).parent.parent
ACCESS, SECRET = "AKapiaccess789", "SKapisecret012"


@pytest.fixture()
def notes(tmp_path, test_web):
    path = tmp_path / "notes.txt"
    path.write_text("Notes:\n\n"
                    f"1. {test_web.url('/ok')}\n"
                    f"2. {test_web.url('/gone')}, accessed 12 January 2021\n"
                    f"3. {test_web.url('/page/annual–report')}\n", encoding="utf-8")
    return path


@pytest.fixture()
def wayback():
    with FakeWayback(clock=time.time) as fake:
        yield fake


def settings_for(tmp_path, **extra):
    return api.load_settings(db=str(tmp_path / "archive.db"), allow_private=True, processes=1,
                             poll_interval=0.05, poll_timeout=10, cdx_per_minute=6000, saves_per_minute=6000,
                             **extra)


def test_lint_returns_repaired_citations(notes, test_web):
    found = api.lint([str(notes)])
    assert found.errors == []
    urls = [r.url for d in found.documents for r in d.repaired]
    assert urls == [test_web.url("/ok"), test_web.url("/gone"), test_web.url("/page/annual-report")]
    assert found.summary["citations"] == 3 and found.summary["repaired"] == 2  # the dash, and the comma after /gone
    assert found.at_least("warning") and not found.at_least("error")


def test_a_str_is_one_path_and_a_wrong_argument_is_named(notes, tmp_path):
    assert api.lint(str(notes)).summary["citations"] == 3  # not 0: never read character by character
    assert api.lint(notes).summary["citations"] == 3 and api.lint([notes]).summary["citations"] == 3
    with pytest.raises(TypeError, match="settings must be archiver.Settings"):
        api.lint(str(notes), {"db": "archive.db"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int: 5"):
        api.lint([str(notes), 5])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="not Settings"):
        api.report(api.load_settings())  # type: ignore[arg-type]


def test_the_package_says_it_is_typed():
    import archiver

    assert (Path(archiver.__file__).parent / "py.typed").is_file()


def test_lint_reports_an_unreadable_document_and_reads_the_rest(notes, tmp_path):
    found = api.lint([str(tmp_path / "missing.txt"), str(notes)])
    assert len(found.errors) == 1 and "missing.txt" in found.errors[0]
    assert found.summary["citations"] == 3


def test_check_returns_typed_rows_and_stores_them(notes, tmp_path, test_web):
    settings = settings_for(tmp_path)
    report = api.check([str(notes)], settings)
    rows = {r.url: r for r in report.rows()}
    assert all(isinstance(r, CheckRow) for r in rows.values())
    ok, gone = rows[test_web.url("/ok")], rows[test_web.url("/gone")]
    assert (ok.state, ok.status, ok.http_status, ok.notes) == ("alive", "ok", 200, ("1",))
    assert (gone.state, gone.status, gone.http_status, gone.notes) == ("failing", "gone", 410, ("2",))
    assert report.summary["checked"] == 3 and report.run.problems
    assert [r.notes for r in report.rows()] == [("1",), ("2",), ("3",)]  # in document order
    assert [r.url for r in report.rows(problems_only=True)] == [gone.url]
    assert [(p.document, p.note, p.line) for p in gone.places] == [(str(notes), "2", 4)]
    conn = sqlite3.connect(tmp_path / "archive.db")
    assert conn.execute("select count(*) from checks").fetchone() == (3,)


def test_archive_and_run_against_the_fake_wayback(notes, tmp_path, test_web, wayback, monkeypatch):
    monkeypatch.setenv("IA_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("IA_SECRET_KEY", SECRET)
    gone = test_web.url("/gone")
    wayback.seed(gone, "20210110120000")
    settings = settings_for(tmp_path, wayback_url=wayback.base_url)
    stages = []
    result = api.run([str(notes)], settings, on_stage=lambda name, value: stages.append((name, value)))
    names = [name for name, _ in stages if name != "archive-wait"]  # waits come as the pacing needs them
    assert names == ["lint", "check-start", "changes", "check", "archive-start", "archive"]
    assert dict(stages)["check-start"] == 3 and dict(stages)["archive-start"] == 3  # progress: the totals
    assert result.lint.summary["citations"] == 3
    assert result.check is not None and result.check.summary["checked"] == 3
    assert result.archive is not None and result.archive.notices == []
    by_url = {r.url: r for r in result.archive.report.results}
    assert by_url[gone].action == "matched"
    assert by_url[gone].archive_url == f"{wayback.base_url}/web/20210110120000/{gone}"
    assert by_url[test_web.url("/ok")].action == "submitted"
    assert len(wayback.saves()) == 2  # the two live links, once each
    again = api.archive([str(notes)], settings)  # a second archive run submits nothing again
    assert len(wayback.saves()) == 2
    assert {r.action for r in again.report.results if r.url != gone} <= {"already-archived", "archived"}


def test_archive_without_keys_says_lookups_only(notes, tmp_path, wayback):
    outcome = api.archive([str(notes)], settings_for(tmp_path, wayback_url=wayback.base_url), dry_run=True)
    assert any("no Internet Archive keys" in n for n in outcome.notices)
    assert wayback.saves() == []


def test_docs_api_example_runs(tmp_path, test_web, monkeypatch):
    page = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```python\n(.*?)```", page, re.S))  # every block, in order
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/ok')}\n2. {test_web.url('/gone')}\n", encoding="utf-8")
    (tmp_path / "archiver.toml").write_text("allow_private = true\nprocesses = 1\n", encoding="utf-8")
    printed = []
    monkeypatch.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))
    exec(compile(code, "docs/api.md", "exec"), {})
    assert printed[0] == "2 citations, 0 errors"
    assert f"failing gone {test_web.url('/gone')} ('2',)" in printed
    assert (tmp_path / "archive.db").exists()
    assert any(line.startswith("problem: ") and "note 2" in line and "gone" in line for line in printed)
    assert "2 citations, 1 need action" in printed and f"2 failing {test_web.url('/gone')}" in printed
    assert "0 archived links written; 2 URLs without a copy yet" in printed
    assert "2 fetches, 2 responses, 0 revisits" in printed and "notes.txt 2 citations" in printed
    assert "2 URLs copied; False" in printed
    assert (tmp_path / "notes.archived.txt").exists() and (tmp_path / "evidence.wacz").stat().st_size > 0


def test_every_public_function_is_in_docs_api():
    """issue 23 item 8: each function `archiver.api` exports has its call in docs/api.md."""
    import inspect

    page = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    functions = [name for name in api.__all__ if inspect.isfunction(getattr(api, name))]
    assert len(functions) >= 20
    assert [name for name in functions if f"api.{name}(" not in page] == []


def test_verify_takes_one_path_as_a_str(tmp_path):
    from archiver.errors import InputError
    from tests.tsa import make_authority, need_openssl

    need_openssl()
    settings = api.load_settings(environ={}, db=str(tmp_path / "archive.db"), tsa_cert=str(make_authority(tmp_path / "ca")))
    with pytest.raises(InputError, match=r"^evidence\.wacz: no such file"):  # not "e: no such file"
        api.verify("evidence.wacz", settings)
    with pytest.raises(TypeError, match="paths must be"):
        api.verify(3, settings)
