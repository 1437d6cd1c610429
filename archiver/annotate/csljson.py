"""CSL-JSON: `archive` and `archive_location` at the end of an item, in its own indentation (see
entries.py for the choice of variables and why edits by position)."""

from __future__ import annotations

import json
import re

from ..errors import InputError
from .entries import ByEntry, archive_name, newline
from .links import _insert

FIELDS = ("archive", "archive_location")


def annotate(text: str, by_entry: ByEntry) -> tuple[str, int]:
    items = json.loads(text)
    depth = 1
    if isinstance(items, dict):
        items, depth = items.get("items", [items]), 2 if "items" in items else 0
    spans = _object_spans(text, depth)
    if not isinstance(items, list) or len(spans) != len(items):
        raise InputError("CSL-JSON: expected a list of items (or {\"items\": [...]}); this file is shaped otherwise")
    nl, edits = newline(text), []
    for i, (item, (start, end)) in enumerate(zip(items, spans)):
        key = str(item.get("id") or item.get("citation-key") or i + 1) if isinstance(item, dict) else ""
        if key not in by_entry or any(f in item for f in FIELDS):
            continue
        archive_url, ts = by_entry[key]
        body = text[start + 1:end]
        last = len(body.rstrip())  # the last value's end, inside the braces
        m = re.search(r"\n([ \t]*)\"", body)
        sep, indent = (nl, m.group(1)) if m else (" ", "")
        pairs = [(FIELDS[0], archive_name(archive_url, ts)), (FIELDS[1], archive_url)]
        added = "".join(f",{sep}{indent}{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in pairs)
        edits.append((start + 1 + last, added if body.strip() else added[1:]))
    return _insert(text, edits), len(edits)


def _object_spans(text: str, depth: int) -> list[tuple[int, int]]:
    """(offset of `{`, offset of its `}`) of each object opened at `depth` brackets deep."""
    spans, stack, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch in "[{":
            stack.append(i)
        elif ch in "]}":
            opened = stack.pop()
            if ch == "}" and len(stack) == depth:
                spans.append((opened, i))
        i += 1
    return spans
