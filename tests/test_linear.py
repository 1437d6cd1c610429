"""Lint does linear work, whatever the document's shape: the property issue 21 asks for.

Each shape is built at n, 2n and 4n URLs (or lines, or nesting levels) and linted with its JSON
rendered, as `archiver lint --format json` does. The work counted is every line of Python executed
(sys.settrace, deterministic, unlike seconds on a shared machine) and every character written out.
Work that is a + b*n grows by the same amount from 2n to 4n as twice from n to 2n; a term in n^2
grows four times as much, so the ratio of the two increments is held to 2 (plus slack).

What this cannot see is work inside C (a regular expression rescanning a long line); the single
line of 40,000 URLs is timed by benchmarks/lint_growth.py --urls.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from archiver.lint.run import LintStream
from archiver.report.results import lint_json

_run = [0]  # which run: every run cites hosts of its own, so no cache answers for another run


def _url(i: int) -> str:
    return f"https://site{i}-{_run[0]}.org/path/{i}/page"


SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    "urls on one line": (".txt", lambda n: " ".join(_url(i) for i in range(n)) + "\n"),
    "urls in one note": (".txt", lambda n: "Notes\n1. " + " ; ".join(_url(i) for i in range(n)) + "\n"),
    "prose on one line": (".txt", lambda n: "".join(f"See {_url(i)} (accessed 1 May 2021), " for i in range(n))),
    "lines": (".txt", lambda n: "".join(f"{i + 1}. {_url(i)} accessed 1 May 2021\n" for i in range(n))),
    "markdown links on one line": (".md", lambda n: " ".join(f"[t{i}]({_url(i)})" for i in range(n)) + "\n"),
    "minified html": (".html", lambda n: "<html><body><p>" + "".join(
        f'<a href="{_url(i)}">x{i}</a> text {_url(i + n)} ' for i in range(n)) + "</p></body></html>"),
    # each link a sentence of its own: a citation's context is its sentence, not every link's word
    "nested html": (".html", lambda n: "<html><body>" + "<div>" * n + "".join(
        f'<a href="{_url(i)}">Source {i}.</a> ' for i in range(n)) + "</div>" * n + "</body></html>"),
    "nested markdown quotes and lists": (".md", lambda n: "".join(
        "> " * min(i, 40) + "  " * (i % 8) + f"- see {_url(i)}\n" for i in range(n))),
    "pdf-like broken lines": (".txt", lambda n: "Notes\n" + "".join(
        f"{i + 1}. Report https:\n//www.site{i}-{_run[0]}.org/a/very/long/\npath/file{i}.html\n" for i in range(n))),
    "csl-json on one line": (".csl.json", lambda n: json.dumps(
        [{"id": str(i), "type": "webpage", "URL": _url(i), "title": "t"} for i in range(n)])),
    "bibtex on one line": (".bib", lambda n: " ".join(f"@misc{{k{i}, url={{{_url(i)}}}}}" for i in range(n))),
}


def _work(path: Path) -> int:
    """Lines of Python executed plus characters of JSON written, linting `path`."""
    lines = 0

    def local(frame, event, arg):
        nonlocal lines
        if event == "line":
            lines += 1
        return local

    def tracer(frame, event, arg):
        return local

    sys.settrace(tracer)
    try:
        stream = LintStream([str(path)])
        chars = sum(map(len, lint_json(stream, stream.summary)))
    finally:
        sys.settrace(None)
    assert stream.summary()["citations"] > 0
    return lines + chars


@pytest.mark.parametrize("shape", SHAPES)
def test_work_grows_linearly(shape, tmp_path):
    suffix, build = SHAPES[shape]
    work = []
    for n in (50, 100, 200, 400):  # the first run pays for imports and compiled patterns
        _run[0] += 1
        path = tmp_path / f"doc{n}{suffix}"
        path.write_text(build(n), encoding="utf-8")
        work.append(_work(path))
    work = work[1:]
    first, second = work[1] - work[0], work[2] - work[1]
    assert first > 0
    assert second / first < 2.3, f"{shape}: work {work} grows faster than linearly"
