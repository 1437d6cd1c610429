"""Renderers of the editor's report (`archiver report`): terminal table, Markdown, HTML, JSON, CSV.

Each takes an `EditorReport` (archiver.editor) and yields text chunks, summary first, then the
rows document by document, note by note, so a long report streams instead of sitting in memory.
Only strings come out of here; cli.py decides where they go. Modules load on first use (`lint`
and `check` never pay for them).
"""

from __future__ import annotations

from importlib import import_module

_WHERE = {"text": ("terminal", "render"), "markdown": ("markdown", "render"), "html": ("html", "render"),
          "json": ("data", "render_json"), "csv": ("data", "render_csv")}
REPORT_FORMATS = tuple(sorted(_WHERE))


def renderer(fmt: str):
    """The render function for a format name (one of REPORT_FORMATS)."""
    module, name = _WHERE[fmt]
    return getattr(import_module(f".{module}", __name__), name)


class _Renderers(dict):
    def __missing__(self, fmt: str):
        self[fmt] = renderer(fmt)
        return self[fmt]

    def __iter__(self):
        return iter(REPORT_FORMATS)

    def __len__(self) -> int:
        return len(REPORT_FORMATS)


REPORT_RENDERERS = _Renderers()  # fmt -> render function, loaded on first use

__all__ = ["REPORT_FORMATS", "REPORT_RENDERERS", "renderer"]
