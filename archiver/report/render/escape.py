"""The one set of escapers every Markdown and HTML output uses (the editor's report and the lint,
check and archive results): a page title, a citing sentence or a URL can open no link, tag or table
cell of its own, and only http(s) URLs become links (never javascript: or data:)."""

from __future__ import annotations

import re
from html import escape

from .common import is_web, printable

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: str | None) -> str:
    """Escape Markdown punctuation and HTML, and keep a value on one table line. Every `<` is an
    entity, so no tag or autolink can open and a lone `>` is text (`->` stays as written); only a
    leading `>`, which would start a quotation, is an entity too."""
    if not text:
        return ""
    text = " ".join(_SPECIAL.sub(r"\\\1", printable(text).replace("&", "&amp;").replace("<", "&lt;")).split())
    return "&gt;" + text[1:] if text.startswith(">") else text


def md_link(url: str | None) -> str:
    """An autolink for an http(s) URL; anything else as escaped text."""
    if not url:
        return ""
    return f"<{url}>" if is_web(url) and not re.search(r"[\s<>]", url) else md(url)


def e(value) -> str:
    """Any value as HTML text (quotes escaped too, so it may stand in an attribute)."""
    return escape(printable("" if value is None else str(value)), quote=True)


def html_link(url: str | None) -> str:
    """A link for http(s) URLs only; anything else is text."""
    if not url:
        return ""
    if not is_web(url):
        return f"<code>{e(url)}</code>"
    return f"<a href=\"{e(url)}\" rel=\"noopener noreferrer\">{e(url)}</a>"
