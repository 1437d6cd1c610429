"""What a run loads: `archiver check` pays only for the readers and renderers its documents need,
and loads nothing before its first request that the request does not need."""

import subprocess
import sys

# the modules a check of one URL in a plain-text file has no use for: the other formats' readers,
# lint's spill (LintStream, for `archiver lint`), the report renderers, the Wayback client, the worker
# processes (multiprocessing, pickle), the TOML reader (no archiver.toml here)
NOT_FOR_A_TEXT_CHECK = ("archiver.extract.office", "archiver.extract.pdf", "archiver.extract.biblio",
                        "archiver.extract.ris", "archiver.extract.html", "archiver.extract.markdown",
                        "archiver.lint.spill", "archiver.report.render.terminal", "archiver.wayback.client", "pypdf",
                        "bibtexparser", "lxml", "markdown_it", "archiver.check.workers", "tomllib")


# deferred until something needs them: httpx (the Wayback client; the checker's rare URL that its fast
# parse leaves to httpx.URL, check/target.py) and what only httpx brings. aiohttp, the checker's HTTP
# (check/http/), brings urllib.request, mimetypes and email itself.
NOT_BEFORE_THE_FIRST_REQUEST = ("httpx", "httpcore", "h11", "http.cookiejar")


def _loaded_by(args: list[str], tmp_path, *, at_port: int | None = None) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the CLI in a fresh interpreter; the modules it had loaded when it exited (with `at_port`:
    when it first connected to that port)."""
    listing = tmp_path / "modules.txt"
    if at_port is None:
        when = f"atexit.register(lambda: open({str(listing)!r}, 'w').write('\\n'.join(sys.modules)))\n"
    else:
        when = ("def hook(event, args):\n"
                f"    if event == 'socket.connect' and args[1][1:2] == ({at_port},) and not os.path.exists({str(listing)!r}):\n"
                f"        open({str(listing)!r}, 'w').write('\\n'.join(sys.modules))\n"
                "sys.addaudithook(hook)\n")
    code = ("import atexit, os, sys\n" + when + "from archiver.cli import main\n"
            f"sys.argv = ['archiver', *{args!r}]\n"
            "main()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return proc, set(listing.read_text().split())


def test_a_check_of_a_text_file_loads_no_other_reader(tmp_path, test_web):
    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. A page, {test_web.url('/ok')}\n", encoding="utf-8")
    proc, loaded = _loaded_by(["check", str(doc), "--db", str(tmp_path / "a.db"), "--allow-private"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "alive" in proc.stdout
    assert "archiver.extract.text" in loaded and "archiver.check.fetch" in loaded  # the listing is the run's
    assert sorted(m for m in NOT_FOR_A_TEXT_CHECK if m in loaded) == []
    assert "httpx" not in loaded  # pages that answer never need it


def test_the_first_request_leaves_before_what_it_does_not_need_is_loaded(tmp_path, test_web):
    doc = tmp_path / "notes.txt"
    doc.write_text(f"1. A page, {test_web.url('/ok')}\n", encoding="utf-8")
    port = int(test_web.url("/ok").split(":")[2].split("/")[0])
    proc, loaded = _loaded_by(["check", str(doc), "--db", str(tmp_path / "a.db"), "--allow-private"], tmp_path,
                              at_port=port)
    assert proc.returncode == 0, proc.stderr
    assert "archiver.check.http.session" in loaded and "archiver.check.classify" in loaded  # the listing is the request's
    assert sorted(m for m in NOT_BEFORE_THE_FIRST_REQUEST if m in loaded) == []


def test_a_lint_of_a_markdown_file_loads_its_reader_and_not_the_checker(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("See [the page](https://example.org/page).\n", encoding="utf-8")
    proc, loaded = _loaded_by(["lint", str(doc)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "archiver.extract.markdown" in loaded
    assert sorted(m for m in ("archiver.extract.office", "archiver.extract.pdf", "archiver.extract.biblio",
                              "archiver.check.fetch", "archiver.store.sqlite", "httpx", "aiohttp") if m in loaded) == []
