"""What a run loads: `archiver check` pays only for the readers and renderers its documents need."""

import subprocess
import sys

# the modules a check of one URL in a plain-text file has no use for: the other formats' readers,
# lint's spill (LintStream, for `archiver lint`), the report renderers, the Wayback client, the worker
# processes (multiprocessing, pickle), the TOML reader (no archiver.toml here)
NOT_FOR_A_TEXT_CHECK = ("archiver.extract.office", "archiver.extract.pdf", "archiver.extract.biblio",
                        "archiver.extract.ris", "archiver.extract.html", "archiver.extract.markdown",
                        "archiver.spill", "archiver.render.terminal", "archiver.wayback.client", "pypdf",
                        "bibtexparser", "lxml", "markdown_it", "archiver.check.workers", "tomllib")


def _loaded_by(args: list[str], tmp_path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the CLI in a fresh interpreter; the modules it had loaded when it exited."""
    listing = tmp_path / "modules.txt"
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(listing)!r}, 'w').write('\\n'.join(sys.modules)))\n"
            "from archiver.cli import main\n"
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


def test_a_lint_of_a_markdown_file_loads_its_reader_and_not_the_checker(tmp_path):
    doc = tmp_path / "notes.md"
    doc.write_text("See [the page](https://example.org/page).\n", encoding="utf-8")
    proc, loaded = _loaded_by(["lint", str(doc)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "archiver.extract.markdown" in loaded
    assert sorted(m for m in ("archiver.extract.office", "archiver.extract.pdf", "archiver.extract.biblio",
                              "archiver.check.fetch", "archiver.store", "httpx", "aiohttp") if m in loaded) == []
