"""Reference-style links in Markdown, for annotate: `[text][ref]`, `[ref][]` and `[ref]`, defined
elsewhere by `[ref]: URL "title"`.

Why the archived copy goes after each use and never on the definition: a definition line is only a
definition when nothing follows its URL but an optional title, so `[ref]: URL ([archived](…))` turns
it into a paragraph and every link that used it stops resolving. The use is also where a reader
sees the link. A definition that no link uses is shown nowhere, so it gets nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# `[label]` with backslash escapes, on one line; a link label has at most 999 characters (CommonMark).
_LABEL = re.compile(r"(?<!\\)\[((?:[^\[\]\\\n]|\\.){1,999})\]")
# Any definition line, also a later duplicate of a label (consumed by the parser, shown nowhere);
# not a footnote (`[^1]: ...`), which is prose.
_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)(?:[^\[\]\\\n]|\\.)+\]:")


@dataclass
class References:
    definitions: set[int] = field(default_factory=set)  # 0-based lines holding definitions: never edited
    labels: dict[str, set[str]] = field(default_factory=dict)  # href -> the normalised labels defined for it


def references(text: str) -> References:
    """Where the document defines references, and the labels of each URL, as markdown-it reads them."""
    from markdown_it.common.utils import normalizeReference

    from ..extract.markdown import _parser

    env: dict = {}
    _parser().parse(text, env)
    refs = References()
    for label, ref in env.get("references", {}).items():
        start, end = ref.get("map") or (0, 0)
        refs.definitions.update(range(start, end))
        refs.labels.setdefault(ref.get("href", ""), set()).add(normalizeReference(label))
    refs.definitions.update(i for i, line in enumerate(text.splitlines()) if _DEFINITION.match(line))
    return refs


def use_ends(line: str, labels: set[str]) -> Iterator[int]:
    """Offsets just after each use of one of `labels` on a prose line: after `[text][label]`,
    `[label][]` or the shortcut `[label]`; not a link text followed by its own target, nor code."""
    from markdown_it.common.utils import normalizeReference

    for m in _LABEL.finditer(line):
        if normalizeReference(m.group(1)) not in labels or line.count("`", 0, m.start()) % 2:
            continue
        after = line[m.end():]
        if m.start() and line[m.start() - 1] == "]":  # the label of `[text][label]`
            yield m.end()
        elif after.startswith("[]"):  # collapsed `[label][]`
            yield m.end() + 2
        elif not after.startswith(("(", "[")):  # shortcut `[label]`
            yield m.end()
