"""A real archive.db for the report, annotate and export tests, built by the real pipeline.

`api.run` twice (so drift and "newly broken" show) over a text, a Markdown and an HTML document,
against the loopback test web and the fake Wayback Machine. Golden outputs must not depend on the
ports the servers got or on today's date, so `normalised()` maps them to fixed values in the rows
(never in the rendered text, so column widths stay what a user would see).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver import api
from archiver.models import ReportRow
from archiver.report.editor import EditorReport
from tests.fakewayback import FakeWayback

FIXED_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
_ISO_NOW = re.compile(r"\b20(?:2[5-9]|[3-9]\d)-\d\d-\d\dT\d\d:\d\d:\d\d(?:[+-]\d\d:\d\d|Z)?")
_TS_NOW = re.compile(r"\b20(?:2[5-9]|[3-9]\d)\d{10}\b")


def documents(web) -> dict[str, str]:
    return {
        "notes.txt": (
            "Notes\n\n"
            f"1. Smith, J. On broken links. {web.url('/ok')}\n"
            f"2. Ministry report (2020), {web.url('/gone')}, accessed 12 January 2021.\n"
            f"3. Annual report: {web.url('/page/annual–report')}\n"
            f"4. Moved page {web.url('/moved')} (redirects).\n"
            "5. Cut short: https://example.org/reports/20…\n"
            f"6. A page that changes: {web.url('/drift/report-fixture')}\n"
        ),
        "article.md": (
            "# Article\n\n"
            f"Link rot is common[^1]. A page with a hostile title[^2] and one that broke[^3].\n\n"
            f"[^1]: See [the study]({web.url('/article')}), accessed 3 March 2022.\n"
            f"[^2]: [Hostile]({web.url('/hostile')}).\n"
            f"[^3]: [Broke later]({web.url('/breaks/report-fixture')}).\n"
            "[^4]: [A script link](javascript:alert(1)).\n"
        ),
        "page.html": (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Essay</title></head><body>"
            "<p>Archives matter.<sup><a href='#fn1'>1</a></sup> So do soft 404s.<sup><a href='#fn2'>2</a></sup></p>\n"
            "<ol>\n"
            f"<li id='fn1'><a href='{web.url('/ok')}'>On broken links</a>, accessed 5 May 2023.</li>\n"
            f"<li id='fn2'><a href='{web.url('/soft404-ru')}'>Ministry news</a>.</li>\n"
            "</ol></body></html>\n"
        ),
        "clean.md": f"# Clean\n\nA [good link]({web.url('/article')}) and [a gzipped one]({web.url('/gzip')}).\n",
    }


@dataclass
class Built:
    folder: Path
    settings: object
    web_port: int
    wayback_port: int

    @property
    def paths(self) -> list[str]:
        return [str(self.folder / name) for name in ("notes.txt", "article.md", "page.html")]

    def normalise(self, text: str) -> str:
        text = text.replace(str(self.folder) + "/", "")
        text = text.replace(f"127.0.0.1:{self.wayback_port}", "wayback.test").replace(f"127.0.0.1:{self.web_port}", "web.test")
        return _TS_NOW.sub("20260102030405", _ISO_NOW.sub("2026-01-02T03:04:05+00:00", text))

    def report(self, paths=None) -> EditorReport:
        real = api.report(paths or self.paths, self.settings, clock=lambda: FIXED_NOW)
        last_run = real.last_run and replace(real.last_run, started=self.normalise(real.last_run.started))
        return NormalisedReport(real.db, real.doc_ids, real.generated, self.normalise(real.last_check or ""),
                                last_run, built=self)


@dataclass
class NormalisedReport(EditorReport):
    built: Built | None = None

    def rows(self):
        for row in super().rows():
            yield normalise_row(row, self.built.normalise)

    @property
    def summary(self) -> dict:
        return {**super().summary, "database": "archive.db"}


def normalise_row(row: ReportRow, fix) -> ReportRow:
    return replace(row, **{k: fix(v) for k, v in vars(row).items() if isinstance(v, str)},
                   candidates=tuple(map(fix, row.candidates)),
                   findings=tuple(replace(f, message=fix(f.message), fix=f.fix and fix(f.fix)) for f in row.findings))


def build(folder: Path, web) -> Built:
    for name, text in documents(web).items():
        (folder / name).write_text(text, encoding="utf-8")
    with FakeWayback(clock=time.time, save_per_minute=None) as wayback:
        wayback.seed(web.url("/gone"), "20210110120000")  # nearest before the access date: matched
        wayback.seed(web.url("/gone"), "20220101000000")
        wayback.seed(web.url("/soft404-ru"), "20190101000000")
        settings = api.load_settings(
            environ={}, db=str(folder / "archive.db"), allow_private=True, processes=1, poll_interval=0.05,
            poll_timeout=10, cdx_per_minute=6000, saves_per_minute=6000, wayback_url=wayback.base_url,
            ia_access_key="AKfixture", ia_secret_key="SKfixture")
        paths = [str(folder / n) for n in ("notes.txt", "article.md", "page.html", "clean.md")]
        api.run(paths, settings)
        api.run(paths, settings)  # the second run sees the drift and the link that broke
        port = int(wayback.base_url.rsplit(":", 1)[1].strip("/"))
    return Built(folder, settings, web.ports["main"], port)


@pytest.fixture(scope="session")
def pipeline_db(test_web, tmp_path_factory) -> Built:
    """One database per test session: the paths it uses on the test web change state as they are hit."""
    return build(tmp_path_factory.mktemp("pipeline"), test_web)
