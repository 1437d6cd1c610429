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
from typing import Literal, get_args

from ..lint.findings import at_least
from ..models import BROKEN, Action, CheckRow, Place, ReportRow, Severity
from .acks import Ack, acknowledged

# --fail-on, the same words and meaning in every command: a problem counts when its severity is at or
# above the one given (a broken link, an unrecoverable note and an error finding are errors; a link
# that cannot be judged and a page whose text changed are warnings), or with "new" when it is news:
# a link that became failing or dead or whose text changed, or an error finding first seen, in this run.
FailOn = Literal["error", "warning", "info", "new"]
FAIL_ON: tuple[FailOn, ...] = get_args(FailOn)
NEW: FailOn = "new"
ProblemKind = Literal["link", "finding", "archive"]


@dataclass(frozen=True)
class Problem:
    place: Place
    url: str | None
    what: str  # "dead link: not-found (HTTP 404)" or "error U202 missing-host: ..."
    new: bool  # news since the previous run: what --fail-on new counts
    acknowledged: str | None = None  # the reason, when a person accepted it
    kind: ProblemKind = "link"
    severity: Severity = "error"

    @property
    def counts(self) -> bool:
        return self.acknowledged is None


def fails(severity: Severity, new: bool, fail_on: str) -> bool:
    """The one rule for --fail-on: is a problem of this severity (and newness) at or above `fail_on`?"""
    return new if fail_on == NEW else at_least(severity, fail_on)


def link_problems(rows: Iterable[CheckRow], fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """The links of a check run at `fail_on`: broken ones (errors; new when they just broke), pages
    whose text changed (warnings, always new) and links the check could not judge (warnings)."""
    out = []
    for row in rows:
        http = f" (HTTP {row.http_status})" if row.http_status else ""
        if row.state in BROKEN:
            severity: Severity = "error"
            new, what = row.previous_state != row.state or row.content_changed, f"{row.state} link: {row.status}{http}"
        elif row.content_changed:
            severity, new, what = "warning", True, "page text changed"
        elif not row.conclusive or row.state == "unknown":
            severity, new, what = "warning", False, f"cannot tell: {row.status}{http}"
        else:
            continue
        if not fails(severity, new, fail_on):
            continue
        for place in row.places or (Place("", None, 0),):
            reason = acknowledged(acks, document=place.document, note=place.note, url=row.url, codes=(row.status,))
            out.append(Problem(place, row.url, what, new, reason, severity=severity))
    return out


def cited_problems(rows: Iterable[ReportRow], fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """The broken links among citations as archive.db last judged them (not checked in this run):
    errors, never new."""
    out = []
    for row in rows:
        if not row.broken or not fails("error", False, fail_on):
            continue
        http = f" (HTTP {row.http_status})" if row.http_status else ""
        place = Place(row.document, row.note, row.line)
        reason = acknowledged(acks, document=place.document, note=place.note, url=row.url, codes=(row.status or "",))
        out.append(Problem(place, row.url, f"{row.state} link: {row.status}{http}", False, reason))
    return out


def finding_problems(changes: Iterable, fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """Lint findings of the documents just recorded (`DocumentChanges`) at `fail_on`; an error first
    seen in this run is new."""
    out = []
    for change in changes:
        for item in change.findings:
            f = item.finding
            new = item.new and f.severity == "error"
            if not fails(f.severity, new, fail_on):
                continue
            reason = acknowledged(acks, document=item.place.document, note=item.place.note, url=item.url,
                                  codes=(f.code, f.name))
            out.append(Problem(item.place, item.url, f"{f.severity} {f.code} {f.name}: {f.message}", new,
                               reason, kind="finding", severity=f.severity))
    return out


ARCHIVE_PROBLEMS: tuple[Action, ...] = ("failed", "no-capture", "queued")


def archive_problems(results: Iterable, fail_on: str, acks: Sequence[Ack] = ()) -> list[Problem]:
    """Links the archive stage could not preserve: errors, never new (they are not news)."""
    if not fails("error", False, fail_on):
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
