"""The editor's report as a value: which documents, a summary, and the rows read back on demand.

Why rows are read twice (once for the summary, once to render): the summary comes first in every
format, and holding 50,000 rows in memory to count them would cost more than a second indexed query.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..clock import iso, utcnow
from ..lint.findings import SEVERITIES, at_least
from ..models import ReportRow, RunRecord
from .acks import Ack, acknowledged
from .problems import NEW

if TYPE_CHECKING:
    from ..store import StoreReader

# The columns of the JSON and CSV forms, in order (every field of ReportRow and its derived values).
COLUMNS = ("document", "note", "line", "index", "raw", "url", "candidates", "context", "accessed", "first_seen",
           "findings", "severity", "needs_action", "action", "state", "status", "http_status", "final_url",
           "error", "checked_at", "title", "drift_changes", "drift_similarity", "drift_since", "drift_summary",
           "archive_url", "archive_timestamp", "archive_kind", "newly_broken", "acknowledged", "role", "added",
           "added_by", "capture_verdict", "capture_qa", "quote", "quote_verdict", "quote_link")


class Thumbnails:
    """The report's thumbnails: `bool()` says whether there is any; `take(url)` gives (JPEG, when
    taken) once per URL, for the first row that cites it (a URL cited five times is drawn once)."""

    def __init__(self, store: StoreReader, index: dict[str, tuple[int, str]]):
        self.store, self.index = store, index

    def __bool__(self) -> bool:
        return bool(self.index)

    def take(self, url: str | None) -> tuple[bytes, str] | None:
        shot_id, taken = self.index.pop(url or "", (None, ""))
        jpeg = self.store.thumbnail(shot_id) if shot_id is not None else None
        return (jpeg, taken) if jpeg else None


@dataclass
class EditorReport:
    """What `archiver report` shows: read from `db`, for the documents `doc_ids` (in order)."""

    db: str
    doc_ids: list[int]
    generated: str
    last_check: str | None = None
    last_run: RunRecord | None = None  # the newest check run, whatever its outcome (store.last_check_run)
    _summary: dict | None = field(default=None, repr=False)
    acks: tuple[Ack, ...] = ()  # acknowledged problems (archiver.toml [[ignore]]), marked on their rows

    def rows(self) -> Iterator[ReportRow]:
        from ..store import open_reader  # loaded on first use: `lint` never opens archive.db

        with open_reader(self.db) as store:
            for row in store.report_rows(self.doc_ids):
                reason = acknowledged(self.acks, document=row.document, note=row.note, url=row.url,
                                      codes=(row.status or "", *(c for f in row.findings for c in (f.code, f.name))))
                yield replace(row, acknowledged=reason) if reason else row

    @contextmanager
    def thumbnails(self) -> Iterator[Thumbnails]:
        """The newest screenshot's thumbnail of each URL that has one (docs/proof.md), each read from
        the store when its row is drawn: a report of 50,000 pages never holds their pictures at once."""
        from ..store import open_reader

        with open_reader(self.db) as store:
            yield Thumbnails(store, store.thumbnail_index())

    @property
    def summary(self) -> dict:
        if self._summary is None:
            from ..store import redacted

            self._summary = summarize(self.rows(), generated=self.generated, last_check=self.last_check,
                                      last_run=self.last_run)
            self._summary["database"] = redacted(self.db)
        return self._summary

    def at_least(self, severity: str) -> bool:
        """True when any citation needing attention is at or above `severity` (acknowledged ones aside)."""
        return any(n and at_least(s, severity) for s, n in self.summary["by_severity"].items())

    def fails(self, fail_on: str) -> bool:
        """True when a citation counts at --fail-on (report.problems.FAIL_ON; acknowledged ones aside):
        at or above that severity, or with "new", a link that broke in the newest check run."""
        if fail_on == NEW:
            return any(row.newly_broken and not row.acknowledged for row in self.rows())
        return self.at_least(fail_on)


def summarize(rows, *, generated: str, last_check: str | None, last_run: RunRecord | None = None) -> dict:
    """Counts by state and severity, what needs action, what newly broke in the last check run that
    judged links (`last_check`), and how the newest check run ended (`last_run`, see `run_outcome`)."""
    states: Counter = Counter()
    severities: Counter = Counter(dict.fromkeys(SEVERITIES, 0))
    documents: dict[str, None] = {}
    action, changed, archived, broken_uncovered, total = 0, 0, 0, 0, 0
    newly: list[dict] = []
    for row in rows:
        documents[row.document] = None
        if not row.notice:  # a finding about the whole document is no citation
            total += 1
            states[row.state] += 1
        if row.severity and not row.acknowledged:
            severities[row.severity] += 1
        action += row.needs_action
        changed += bool(row.drift_changes)
        archived += bool(row.archive_url)
        broken_uncovered += row.broken and not row.archive_url
        if row.newly_broken:
            newly.append({"document": row.document, "note": row.note, "line": row.line, "url": row.url,
                          "status": row.status, "http_status": row.http_status})
    return {"generated": generated, "last_check": last_check, "documents": list(documents), "citations": total,
            "by_state": dict(sorted(states.items())), "by_severity": dict(severities), "needs_action": action,
            "content_changed": changed, "with_archived_copy": archived, "broken_without_copy": broken_uncovered,
            "newly_broken": newly, "last_run": run_outcome(last_run)}


def run_outcome(run: RunRecord | None) -> dict | None:
    """The newest check run as the report states it: when, how it ended, and how many of its URLs it
    could not judge (an outage judges none of those it failed to reach, nor those it never got to)."""
    if run is None:
        return None
    s = run.summary
    inconclusive = s.get("by_state", {}).get("inconclusive", 0)
    checked = s.get("checked", 0)
    to_check = s.get("to_check", checked)
    return {"started": run.started, "outcome": run.outcome, "judged": run.judged,
            "to_check": to_check, "checked": checked,
            "not_judged": max(to_check - (checked - inconclusive), inconclusive),
            "offline_reason": s.get("offline_reason")}


def now_iso(clock=None) -> str:
    return iso((clock or utcnow)())
