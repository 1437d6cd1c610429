"""Acknowledgements: problems a person has looked at and accepted, so a nightly run stops failing on them.

Why: a cron job that exits 1 every night for the same known dead link (or the note whose URL
cannot be recovered) trains people to ignore it, and then it misses the new one. An
acknowledgement names what it covers and says why; it is listed as acknowledged in every output
and never counts towards the exit code. They live in archiver.toml, next to the other settings,
so they are reviewed and versioned with the document:

    [[ignore]]
    url = "https://kaztag.kz/ru/news/..."          # this URL, wherever it is cited
    reason = "site blocks crawlers; checked by hand on 2026-11-20"

    [[ignore]]
    note = "25"                                     # this note (of every document, or of `document`)
    document = "notes.txt"
    code = "U202"                                   # a finding code or name, or a check status
    reason = "the note has no recoverable URL; the author was asked"

Every key given must match (url, note, document, code); `reason` is required, and so is at least
one of url, note and code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import ConfigError

KEYS = ("url", "note", "document", "code", "reason")


@dataclass(frozen=True)
class Ack:
    reason: str
    url: str | None = None
    note: str | None = None
    document: str | None = None
    code: str | None = None  # a finding code (U202) or name (missing-host), or a check status (soft-404)

    def covers(self, *, document: str, note: str | None, url: str | None, codes: Iterable[str] = ()) -> bool:
        if self.url is not None and self.url != url:
            return False
        if self.note is not None and self.note != note:
            return False
        if self.document is not None and not _same_document(self.document, document):
            return False
        return self.code is None or self.code in set(codes)


def parse_acks(entries, source: str = "archiver.toml") -> tuple[Ack, ...]:
    """The [[ignore]] entries of a config file, checked: a mistake names the entry and the fix."""
    if isinstance(entries, dict):  # a single [ignore] table
        entries = [entries]
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: `ignore` must be a list of [[ignore]] tables")
    out = []
    for i, entry in enumerate(entries, start=1):
        where = f"{source}: [[ignore]] entry {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} is not a table")
        unknown = sorted(set(entry) - set(KEYS))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; use {', '.join(KEYS)}")
        if not str(entry.get("reason") or "").strip():
            raise ConfigError(f"{where}: add a `reason` saying why it is acknowledged")
        if not any(entry.get(k) not in (None, "") for k in ("url", "note", "code")):
            raise ConfigError(f"{where}: say what it covers with `url`, `note` or `code`")
        out.append(Ack(**{k: str(v).strip() for k, v in entry.items()}))
    return tuple(out)


def acknowledged(acks: Sequence[Ack], *, document: str, note: str | None, url: str | None,
                 codes: Iterable[str] = ()) -> str | None:
    """The reason of the first acknowledgement covering this citation, or None."""
    codes = tuple(codes)
    return next((a.reason for a in acks if a.covers(document=document, note=note, url=url, codes=codes)), None)


def _same_document(given: str, recorded: str) -> bool:
    if given == recorded:
        return True
    return os.path.realpath(given) == os.path.realpath(recorded) or recorded.endswith(os.sep + given)
