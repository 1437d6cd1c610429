"""The HTML report in a real browser (Debian's chromium, headless; .ci/run installs it).

Checks that it renders, that a hostile page title is text, that a javascript: URL is not a link,
that no script runs, and that the filters hide what they should; saves a screenshot.
"""

import json
import os
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup

from archiver.report.render import REPORT_RENDERERS

from .conftest import REPO

SCREENSHOT_OUT = REPO / "benchmarks" / "out" / "report-html.png"  # every run (ignored by git)
SCREENSHOT_README = REPO / "docs" / "img" / "report-html.png"  # docs/report.md shows it; rewritten with UPDATE_GOLDEN=1
FILTERS = ("action", "broken", "new", "changed", "noarchive", "findings")

HARNESS = """<!DOCTYPE html><html><body><pre id="out">pending</pre>
<iframe id="f" src="report.html" width="1200" height="800"></iframe><script>
document.getElementById('f').onload = function () {
  const d = this.contentDocument;
  const shown = () => [...d.querySelectorAll('tr.row')].filter(r => getComputedStyle(r).display !== 'none').length;
  const res = {all: shown(), scripts: d.scripts.length, title: d.title};
  for (const k of %s) { d.getElementById('f-' + k).checked = true; res[k] = shown(); }
  document.getElementById('out').textContent = JSON.stringify(res);
};
</script></body></html>"""


def chromium(tmp_path, *args) -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        reason = "chromium is not installed: apt-get install -y chromium (.ci/run does it)"
        if os.environ.get("CI") == "true":  # CI installs it: a missing browser there is a failure, not a skip
            pytest.fail(reason)
        pytest.skip(reason)
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture()
def report_html(pipeline_db, tmp_path):
    path = tmp_path / "report.html"
    path.write_text("".join(REPORT_RENDERERS["html"](pipeline_db.report())), encoding="utf-8")
    return path


def test_html_report_renders_in_chromium_with_hostile_values_as_text(report_html, tmp_path):
    dom = BeautifulSoup(chromium(tmp_path, "--dump-dom", report_html.as_uri()), "html.parser")
    assert dom.h1.get_text() == "Citation report"
    rows = dom.select("tr.row")
    assert len(rows) == 12
    assert dom.find("script") is None and dom.find("img") is None  # the title's <script> and <img> are text
    assert "<script>alert('title')</script><img src=x onerror=alert(1)>" in dom.get_text()
    hrefs = [a["href"] for a in dom.find_all("a", href=True)]
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    # the javascript: link is never emitted as a URL (issue 11): reported, not clickable
    assert "U304 unsupported-scheme: javascript: URLs are not checked or archived" in dom.get_text()
    SCREENSHOT_OUT.parent.mkdir(exist_ok=True)
    chromium(tmp_path, f"--screenshot={SCREENSHOT_OUT}", "--window-size=1400,1000", "--hide-scrollbars",
             report_html.as_uri())
    png = SCREENSHOT_OUT.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000  # a rendered page, not a blank one
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.copyfile(SCREENSHOT_OUT, SCREENSHOT_README)


def test_filters_hide_rows_and_no_script_runs(pipeline_db, report_html, tmp_path):
    (tmp_path / "harness.html").write_text(HARNESS % json.dumps(list(FILTERS)), encoding="utf-8")
    dom = BeautifulSoup(chromium(tmp_path, "--allow-file-access-from-files", "--virtual-time-budget=10000",
                                 "--dump-dom", (tmp_path / "harness.html").as_uri()), "html.parser")
    shown = json.loads(dom.find(id="out").get_text())
    rows = list(pipeline_db.report().rows())
    assert shown["scripts"] == 0 and shown["title"] == "Citation report"
    assert shown["all"] == len(rows) == 12
    assert shown["action"] == sum(r.needs_action for r in rows) == 5  # the javascript: note is unrecovered now
    assert shown["broken"] == sum(r.state in ("failing", "dead", "unrecovered") for r in rows)
    assert shown["new"] == 1 and shown["changed"] == 1
    assert shown["noarchive"] == sum(not r.archive_url for r in rows)
    assert shown["findings"] == sum(bool(r.findings) for r in rows)
