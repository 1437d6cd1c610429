"""Renderers of the editor's report (`archiver report`): terminal table, Markdown, HTML, JSON, CSV.

Each takes an `EditorReport` (archiver.editor) and yields text chunks, summary first, then the
rows document by document, note by note, so a long report streams instead of sitting in memory.
Only strings come out of here; cli.py decides where they go.
"""

from __future__ import annotations

from . import data, html, markdown, terminal

REPORT_RENDERERS = {"text": terminal.render, "markdown": markdown.render, "html": html.render,
                    "json": data.render_json, "csv": data.render_csv}

__all__ = ["REPORT_RENDERERS"]
