"""The problem list: what makes a run exit 1, one line per document and note, acknowledged ones marked.

Why one list: the exit code, `--quiet` output and a cron mail must agree, or people stop trusting
all three. With `--fail-on new` only what changed since the previous run counts: a link that
became failing or dead, a page whose text changed, a lint error first seen in this run. A link
that was already failing yesterday, or a note known to be unrecoverable, no longer fails every
night. A problem covered by an acknowledgement (archiver/report/acks.py) is listed as acknowledged and
never counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..lint.findings import at_least
from ..models import CheckRow, Place
from .acks import Ack, acknowledged

BROKEN = ("failing", "dead")
NEW = "new"  # the --fail-on value that counts only what changed since the previous run


@dataclass(frozen=True)
class Problem:
    place: Place
    url: str | None
    what: str  # "dead link: not-found (HTTP 404)" or "error U202 missing-host: ..."
    new: bool
    acknowledged: str | None = None  # the reason, when a person accepted it
    kind: str = "link"  # "link" (a check) or "finding" (lint)

    @property
    def counts(self) -> bool:
        return self.acknowledged is None


def link_problems(rows: Iterable[CheckRow], fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """Broken links of a check run (with `fail_on` "new": those newly broken, or whose text changed)."""
    out = []
    for row in rows:
        broken = row.state in BROKEN
        new = (broken and row.previous_state != row.state) or row.content_changed
        if not (new if fail_on == NEW else broken):
            continue
        http = f" (HTTP {row.http_status})" if row.http_status else ""
        what = f"{row.state} link: {row.status}{http}" if broken else "page text changed"
        for place in row.places or (Place("", None, 0),):
            reason = acknowledged(acks, document=place.document, note=place.note, url=row.url, codes=(row.status,))
            out.append(Problem(place, row.url, what, new, reason))
    return out


def finding_problems(changes: Iterable, fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """Lint findings of the documents just recorded (`DocumentChanges`): at or above `fail_on`, or
    with "new", errors first seen in this run."""
    out = []
    for change in changes:
        for item in change.findings:
            f = item.finding
            if not (f.severity == "error" and item.new if fail_on == NEW else at_least(f.severity, fail_on)):
                continue
            reason = acknowledged(acks, document=item.place.document, note=item.place.note, url=item.url,
                                  codes=(f.code, f.name))
            out.append(Problem(item.place, item.url, f"{f.severity} {f.code} {f.name}: {f.message}", item.new,
                               reason, kind="finding"))
    return out


ARCHIVE_PROBLEMS = ("failed", "no-capture", "queued")


def archive_problems(results: Iterable, fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """Links the archive stage could not preserve (never "new": they are not news)."""
    if fail_on == NEW:
        return []
    out = []
    for r in results:
        if r.action not in ARCHIVE_PROBLEMS:
            continue
        for place in r.places or (Place("", None, 0),):
            reason = acknowledged(acks, document=place.document, note=place.note, url=r.url, codes=(r.action,))
            out.append(Problem(place, r.url, f"not archived ({r.action}): {r.reason}", False, reason,
                               kind="archive"))
    return out


def in_document_order(problems: Iterable[Problem], documents: Sequence[str]) -> list[Problem]:
    """By document (in the order given), then line."""
    order = {d: i for i, d in enumerate(documents)}
    return sorted(problems, key=lambda p: (order.get(p.place.document, len(order)), p.place.document,
                                           p.place.line))
