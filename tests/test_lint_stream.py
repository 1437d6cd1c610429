"""`archiver lint` streams: the same output as the whole-document path, with one document's citations
on disk (archiver.spill) and only hashes in memory (archiver.docindex)."""

import sys
import tempfile
import tracemalloc

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from archiver.cli.main import main
from archiver.extract.common import iter_lines
from archiver.lint.run import LintStream, lint_paths
from archiver.lint.spill import Spill
from archiver.report.results import LINT_RENDERERS

from .conftest import FIXTURES, REPO

# Cut hosts and a truncated URL answered by later notes, duplicates (host case, fragment), a note citing
# the same URL twice, a note without URL, a host nobody else cites.
CUT = """Notes:

1. https://x.org/reports/annual-report-2021.pdf and https://x.org/reports/annual-report-2022.pdf
2. https://x.org/reports/annual-rep…
3. See https://X.org/reports/annual-report-2021.pdf#page=2 (accessed 12 January 2021).
4. kz/ru/news/aktivist–s–600–…
5. https://kaztag.kz/ru/news/other-story and https://kaztag.kz/ru/news/other-story
6. https://www.kaztag.kz/ru/news/third
7. No URL here.
8. https://x.org/reports/annual-report-2021.pdf
9. ru/news/lost-host-story
"""


@pytest.fixture
def documents(tmp_path):
    cut = tmp_path / "cut.txt"
    cut.write_text(CUT, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    return [str(FIXTURES / "kazakhstan-2021-notes.txt"), str(cut), str(tmp_path / "missing.txt"),
            str(FIXTURES / "kazakhstan-2021-report.txt"), str(empty), str(cut)]


@pytest.mark.parametrize("fmt", sorted(LINT_RENDERERS))
def test_stream_renders_what_the_whole_documents_render(documents, fmt):
    whole = "".join(LINT_RENDERERS[fmt](list(lint_paths(documents))))
    stream = LintStream(documents)
    assert "".join(LINT_RENDERERS[fmt](stream, stream.summary)) == whole
    assert stream.errors == [f"{documents[2]}: no such file"]
    assert stream.summary()["documents"] == 5


def test_the_cut_document_needs_every_kind_of_finding(documents):
    """What the test above compares is not trivial: candidates from later notes, duplicates across
    host case and fragments, a repeated URL in one note (not a duplicate), distinct URLs."""
    stream = LintStream([documents[1]])
    lines = "".join(LINT_RENDERERS["text"](stream, stream.summary)).splitlines()
    assert any("note 4: U202 missing-host" in ln and "https://kaztag.kz/ru/news/aktivist-s-600-" in ln for ln in lines)
    assert any("note 2: U201" in ln and "candidates: https://x.org/reports/annual-report-2021.pdf" in ln for ln in lines)
    assert sum("U301 duplicate-url: same URL as note 1" in ln for ln in lines) == 2
    assert not any("note 5: U301" in ln for ln in lines)
    assert sum("note 5: U107" in ln for ln in lines) == 2
    assert lines[-1].startswith("11 citations, 5 distinct URLs in 1 document:")


def test_summary_waits_for_the_last_document(documents):
    stream = LintStream(documents[:1])
    with pytest.raises(RuntimeError):
        stream.summary()


@given(st.text(alphabet=st.sampled_from(list("ab \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u2027")), max_size=30))
def test_iter_lines_is_splitlines(text):
    assert list(iter_lines(text)) == text.splitlines()


def test_spill_gives_back_what_it_was_given(documents):
    (doc,) = lint_paths([documents[1]])
    with Spill() as spill:
        start = spill.mark()
        for i, rep in enumerate(doc.repaired):
            spill.append(rep, (rep.url, i))
        end = spill.mark()
        assert list(spill.read(start, end)) == doc.repaired
        assert list(spill.keys(start, end)) == [(r.url, i) for i, r in enumerate(doc.repaired)]
        assert any(r.citation.accessed for r in spill.read(start, end))


def test_no_room_for_the_spill_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    result = CliRunner().invoke(main, ["lint", str(FIXTURES / "kazakhstan-2021-notes.txt")])
    assert result.exit_code == 3
    assert f"lint cannot write its temporary file in {tmp_path / 'gone'}" in result.stderr
    assert "TMPDIR" in result.stderr


def _peak_mb(render) -> float:
    tracemalloc.start()
    try:
        for _ in render():
            pass
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_the_citations(tmp_path):
    """5,000 generated notes (benchmarks/lint_bench.py's document): holding them all, as lint did,
    peaks at ~12 MB of Python allocations; streamed, at the document's text and a few MB. The bound
    sits between the two, so it fails if lint starts holding its citations again."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from lint_bench import make_document

    path = tmp_path / "notes.txt"
    make_document(5000, path)
    list(lint_paths([str(FIXTURES / "kazakhstan-2021-notes.txt")]))  # load the suffix list and regexes first

    def streamed():
        stream = LintStream([str(path)])
        return LINT_RENDERERS["json"](stream, stream.summary)

    held = _peak_mb(lambda: LINT_RENDERERS["json"](list(lint_paths([str(path)]))))
    assert held > 9  # the whole-document path: the bound below means something
    assert _peak_mb(streamed) < 6
