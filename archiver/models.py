"""The values passed between pipeline stages.

Every stage takes and returns frozen dataclasses so that provenance (which document, line and note a
URL came from) travels with the URL, and so that a per-URL failure is a value, never an exception.

    Citation -> Repaired -> CheckResult (+ Snapshot) -> Capture
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Role = Literal["citation", "example", "navigation", "resource"]  # what a URL is to its document (docs/inputs.md)
Severity = Literal["info", "warning", "error"]  # a finding's weight (archiver.findings)
Status = Literal[  # what one check saw (docs/statuses.md; archiver.check.classify.STATUSES)
    "ok", "redirected", "not-found", "gone", "soft-404", "homepage-redirect", "parked", "login-required",
    "blocked", "legal", "rate-limited", "server-error", "client-error", "http-error", "timeout", "dns-error",
    "connection-error", "tls-error", "too-many-redirects", "skipped"]
State = Literal[  # a link's verdict over time (archiver.check.state); "inconclusive": held back by the outage guard
    "unchecked", "alive", "failing", "dead", "revived", "unknown", "inconclusive"]
# The states of a broken link: what the problem list counts, the archive stage matches to old captures
# and the report asks an editor to replace. Every stage asks `state in BROKEN`, never spells it out.
BROKEN: tuple[State, ...] = ("failing", "dead")
# A citation's state in the report: its URL's, or "unrecovered" when no URL could be recovered from it.
CitationState = State | Literal["unrecovered"]
# How a check run ended (store: runs.outcome); "unfinished" while it runs or after it was killed.
RunOutcome = Literal["ok", "problems", "offline", "interrupted", "unfinished"]
Action = Literal[  # what the archive stage did for a URL (archiver.wayback.policy)
    "submitted", "already-archived", "matched", "no-capture", "skipped", "queued", "failed"]


@dataclass(frozen=True)
class Citation:
    """One cited URL (or what is left of it) as found in a document."""

    source: str  # the path as the user gave it
    line: int  # 1-based line of the note / link in the source
    note: str | None  # note number as printed ("25"), None for free text
    raw: str  # the text of the URL as printed, damage included
    context: str | None = None  # the citing sentence, where the format shows it
    accessed: date | None = None  # "accessed 12 January 2021" and friends
    index: int = 0  # position of this URL within its note (0 for the first)
    note_text: str | None = None  # the whole note, for repairs that span it
    href: str | None = None  # the link target the markup gives (href, DOCX relationship, PDF /URI)
    field: str | None = None  # the bibliography field it was read from ("url", "note", CSL "title")
    role: Role = "citation"  # example: a reserved name or address; navigation: page chrome; resource: an image
    added: date | None = None  # no access date printed: when the document's history says it was added (inferred)
    added_by: str | None = None  # ... and which history says so ("git history", "DOCX revision mark", ...)


@dataclass(frozen=True)
class Finding:
    """A diagnosis of one citation, like a linter message."""

    code: str  # stable, e.g. "A101"
    name: str  # kebab-case, e.g. "typographic-dash"
    severity: Severity
    message: str
    fix: str | None = None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


def is_notice(raw: str, url: str | None, findings) -> bool:
    """Whether a row is a finding about a document as a whole (U4xx: no citation found,
    undecodable bytes, an unreadable entry), carried like a citation so every output shows it;
    it is not a citation (a note without a URL, U001, is one)."""
    return url is None and not raw and bool(findings) and all(f.code.startswith("U4") for f in findings)


@dataclass(frozen=True)
class Repaired:
    """What repair makes of one citation."""

    citation: Citation
    url: str | None  # best absolute URL, None when none can be recovered with confidence
    findings: tuple[Finding, ...] = ()
    candidates: tuple[str, ...] = ()
    confidence: float = 1.0  # 0..1: how sure the repair is (1.0 untouched)
    span: str = ""  # the printed text that `url` replaces (raw minus wrappers and punctuation)
    fragment: str | None = None  # what is left of a URL whose host or tail was cut off


@dataclass(frozen=True)
class Snapshot:
    """The bytes of one fetched page (content-addressed)."""

    sha256: str
    body: bytes
    content_type: str | None
    size: int
    truncated: bool = False
    title: str | None = None
    text: str | None = None  # the start of the page's main text: its first defaults.TEXT_EXCERPT characters
    charset: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one URL once."""

    url: str
    status: Status
    alive: bool | None  # None: cannot tell
    http_status: int | None = None
    final_url: str | None = None
    redirects: tuple[dict, ...] = ()  # [{"url", "status", "location"}]
    elapsed_ms: int | None = None
    error: str | None = None
    checked_at: datetime | None = None
    headers: tuple[tuple[str, str], ...] = ()
    snapshot: Snapshot | None = None
    transport_failure: bool = False  # no HTTP answer at all (dns, connect, tls, timeout)


@dataclass(frozen=True)
class Capture:
    """One copy of a URL in a web archive."""

    url: str
    archive: str  # "wayback"
    timestamp: str | None  # 14 digits
    archive_url: str | None
    job_id: str | None = None
    state: str = "unknown"
    status_code: str | None = None  # the status the archive recorded for the capture


@dataclass(frozen=True)
class Place:
    """Where a URL is cited: the document, and its note, or its line when it is not in a note."""

    document: str
    note: str | None
    line: int

    @property
    def label(self) -> str:
        return f"note {self.note}" if self.note else f"line {self.line}"

    def as_dict(self) -> dict:
        return {"document": self.document, "note": self.note, "line": self.line}


@dataclass(frozen=True)
class CheckRow:
    """One URL as a check run saw it, read back from the store, with the notes that cite it."""

    url: str
    status: Status
    alive: bool | None
    http_status: int | None
    final_url: str | None
    redirects: tuple[dict, ...]
    state: State  # "inconclusive" when the outage guard held the check back
    previous_state: State | None
    sha256: str | None
    elapsed_ms: int | None
    error: str | None
    checked_at: str
    content_changed: bool
    notes: tuple[str, ...] = ()  # the note numbers citing it (kept for the JSON contract; see `places`)
    conclusive: bool = True  # False: this check could not tell (alive is None)
    places: tuple[Place, ...] = ()  # every current citation: document and note (or line), in document order
    acknowledged: str | None = None  # why a person accepted this link as it is (archiver.toml [[ignore]])

    def as_dict(self) -> dict:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["places"] = [p.as_dict() for p in self.places]
        return out


@dataclass(frozen=True)
class ReportRow:
    """One citation as the editor's report shows it: the note, the URL as printed and as repaired,
    what the last check saw, how the page drifted since it was cited, and the archived copy to cite."""

    document: str
    line: int
    note: str | None
    index: int
    raw: str
    url: str | None  # repaired; None when no URL could be recovered
    candidates: tuple[str, ...]
    context: str | None  # the citing sentence
    accessed: str | None  # the access date the note states (YYYY-MM-DD)
    first_seen: str  # when archiver first read this citation
    findings: tuple[Finding, ...]
    state: CitationState
    status: Status | None  # the newest conclusive check's status (docs/statuses.md)
    http_status: int | None
    final_url: str | None  # where redirects led, when elsewhere
    error: str | None
    checked_at: str | None
    title: str | None  # the page title as last fetched (untrusted text)
    drift_changes: int  # text changes recorded since drift_since
    drift_similarity: float | None  # the lowest similarity among them (1.0 = same text)
    drift_since: str  # the access date, else when archiver first saw the citation
    drift_summary: str | None
    archive_url: str | None  # the archived copy to cite
    archive_timestamp: str | None  # 14 digits
    archive_kind: str | None  # "matched" (to a broken link) | "captured" (newest good capture)
    newly_broken: bool  # broke in the newest check run
    acknowledged: str | None = None  # why a person accepted this citation as it is
    role: Role = "citation"  # what the URL is to its document (the report groups by it)
    added: str | None = None  # no access date printed: when the document's history says it was added
    added_by: str | None = None  # ... and which history ("git history"); never shown as an access date
    capture_verdict: str | None = None  # QA of the copy: verified | differs | bad (none good); None: unverified
    capture_qa: str | None = None  # what capture QA saw, and the captures it skipped
    quote: str | None = None  # a quotation of the citing sentence (the worst-faring when there are several)
    quote_verdict: str | None = None  # still-says-it | no-longer-says-it | not-found
    quote_link: str | None = None  # the archived copy scrolled to the quote (#:~:text=)

    @property
    def notice(self) -> bool:
        """A finding about the document as a whole (no citation found, undecodable bytes): a row
        with no printed text and no URL, so every output shows it; it is not a citation."""
        return is_notice(self.raw, self.url, self.findings)

    @property
    def severity(self) -> Severity | None:
        """error: broken or unrecoverable; warning: cannot tell, the page changed, or it no longer says
        what the citation quotes; else findings'."""
        if self.notice:
            return next((s for s in ("error", "warning", "info") if any(f.severity == s for f in self.findings)),
                        None)
        if self.broken or self.state == "unrecovered" or any(f.severity == "error" for f in self.findings):
            return "error"
        # a navigation link or image left unchecked is as asked (`--roles`), not a doubt about a citation
        if self.state == "unknown" or (self.state == "unchecked" and self.role == "citation") or self.drift_changes or \
                self.quote_missing or any(f.severity == "warning" for f in self.findings):
            return "warning"
        return "info" if self.findings else None

    @property
    def broken(self) -> bool:
        return self.state in BROKEN

    @property
    def quote_missing(self) -> bool:
        """The page no longer says what the citation quotes, or no copy of it ever did (captures/quotes.py)."""
        return self.quote_verdict in ("no-longer-says-it", "not-found")

    @property
    def needs_action(self) -> bool:
        return self.severity == "error" and not self.acknowledged

    @property
    def action(self) -> str:
        """What an editor should do, in a few words."""
        if self.acknowledged:
            return "acknowledged"
        if self.notice:
            return ""
        if self.url is None:
            return "find the URL: none could be recovered" + (" (see candidates)" if self.candidates else "")
        if self.broken:
            return "cite the archived copy" if self.archive_url else "find an archived copy or a new source"
        if any(f.severity == "error" for f in self.findings):
            return "fix the URL"
        if self.quote_missing:
            return "check the quote: " + ("the page no longer says it" if self.quote_verdict == "no-longer-says-it"
                                          else "no copy of the page has it")
        if self.drift_changes:
            return "check the page still says what is cited"
        if self.url != self.raw and any(f.fix for f in self.findings):
            return "apply the repair"
        return ""

    def as_dict(self) -> dict:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["candidates"] = list(self.candidates)
        out["findings"] = [f.as_dict() for f in self.findings]
        out.update(severity=self.severity, needs_action=self.needs_action, action=self.action)
        return out


@dataclass(frozen=True)
class UrlState:
    """What the database knows about a URL between checks (see archiver.check.state)."""

    state: State = "unchecked"
    failures: int = 0
    first_failed_at: str | None = None
    last_failed_at: str | None = None
    dead_since: str | None = None


# -- rows that cross the store boundary (archiver.store.ArchiveStore) --------------------------------


@dataclass(frozen=True)
class KnownUrl:
    """What the store knows of a URL before it is checked or archived again."""

    url: str
    state: UrlState = UrlState()
    last_status: str | None = None  # the newest check's status
    last_sha256: str | None = None  # the newest live check's snapshot


@dataclass(frozen=True)
class Drift:
    """A page's text changed between two snapshots (computed by the check stage)."""

    old_sha256: str
    similarity: float | None  # 1.0 = same text; None when not measured
    summary: str


@dataclass(frozen=True)
class CheckRecord:
    """One check as the check stage hands it to the store: the result, the URL's state before it and
    after it (None: inconclusive, held back for the outage verdict) and the text drift, if any."""

    result: CheckResult
    run_id: int | None
    checked_at: str  # ISO 8601 UTC
    previous: UrlState
    new: UrlState | None
    drift: Drift | None = None


@dataclass(frozen=True)
class HeldBack:
    """A transport failure of a run still waiting for the outage verdict."""

    check_id: int
    url: str
    status: Status
    error: str | None
    checked_at: str
    previous_state: State | None


@dataclass(frozen=True)
class Settled:
    """A held-back transport failure applied once the run knows it was online."""

    check_id: int
    url: str
    new: UrlState
    status: str
    alive: bool | None


@dataclass(frozen=True)
class RunRecord:
    """A check run as the report states it: when it started, how it ended (`ok`, `problems`, `offline`,
    `interrupted`; `unfinished` while it runs or after it was killed), its summary, and whether it is
    the run the report's states come from (`judged`)."""

    started: str
    outcome: RunOutcome
    summary: dict
    judged: bool


@dataclass(frozen=True)
class CaptureRow:
    """One row of a URL's capture history for one need ('save' or 'match'): see store/sqlite/captures.py."""

    id: int
    url: str
    need: str
    state: str
    archive: str = "wayback"
    job_id: str | None = None
    submitted: str | None = None
    finished: str | None = None
    timestamp: str | None = None
    archive_url: str | None = None
    status_code: str | None = None
    error: str | None = None
    reason: str | None = None
    attempts: int = 0
    next_attempt: str | None = None
    updated: str | None = None
    verdict: str | None = None  # capture QA: verified | differs | bad; None: never verified
    similarity: float | None = None  # of its text to archiver's snapshot from the citation's time
    qa: str | None = None  # what QA saw, and the captures it skipped


@dataclass(frozen=True)
class StoredFetch:
    """A stored fetch as a WARC/WACZ export reads it: the check, its response headers and its body."""

    check_id: int
    url: str  # the URL as cited (repaired)
    final_url: str | None  # where redirects led: the URL that served the body
    checked_at: str  # ISO time of the fetch
    http_status: int | None
    headers: tuple[tuple[str, str], ...]  # the response's, as received
    sha256: str  # of the body as stored (decoded)
    body: bytes
    content_type: str | None
    truncated: bool
    title: str | None
    redirects: tuple[dict, ...]


StampKind = Literal["snapshot", "screenshot", "export"]  # what an RFC 3161 token is over (docs/proof.md)


@dataclass(frozen=True)
class Timestamp:
    """An RFC 3161 token a time-stamping authority issued over a SHA-256 digest (archiver.proof)."""

    kind: StampKind
    sha256: str  # hex: a snapshot's or screenshot's key, or an export's digest
    tsa: str  # the authority's URL
    token: bytes  # the TimeStampResp as received (DER): `openssl ts -verify -in` reads it
    gen_time: str  # ISO time the authority attests
    name: str | None = None  # an export's file name


@dataclass(frozen=True)
class Screenshot:
    """A full-page PNG of a live page as headless Chromium drew it (archiver.proof.screenshot)."""

    url: str  # as cited
    sha256: str  # of the PNG
    taken: str  # ISO time
    final_url: str | None  # where the browser ended up
    width: int
    height: int
    png: bytes
    thumb: bytes | None = None  # a small JPEG of the page's top, for the report


@dataclass(frozen=True)
class FindingAt:
    """A lint finding (error or warning) of a current citation, and whether this read found it first."""

    place: Place
    url: str | None
    finding: Finding
    new: bool


@dataclass(frozen=True)
class DocumentChanges:
    """What reading a document changed in archive.db."""

    document_id: int
    path: str = ""
    added: int = 0
    removed: int = 0
    kept: int = 0
    renamed_from: str | None = None
    findings: tuple[FindingAt, ...] = ()  # errors and warnings, new ones flagged


@dataclass(frozen=True)
class Evidence:
    """What archiver holds of one URL for capture QA and the quote checks (store.evidence)."""

    citations: tuple[tuple[int, str | None, str | None], ...]  # (citation id, citing text, access date)
    live: str | None  # sha256 of the newest conclusive check's page, when that check found it alive
    then: str | None  # sha256 of archiver's own snapshot from the citation's time, when it has one
    then_at: str | None = None  # when that snapshot was taken
    copies: int = 0  # captures of it, in any archive, that may be cited (none judged bad)


QuoteVerdict = Literal["still-says-it", "no-longer-says-it", "not-found"]


@dataclass(frozen=True)
class QuoteCheck:
    """One quotation of a citing sentence, looked for in each copy: True found, False not, None no copy."""

    citation_id: int
    quote: str
    kind: Literal["quote", "title"]
    verdict: QuoteVerdict
    live: bool | None
    snapshot: bool | None
    capture: bool | None
    link: str | None  # the archived copy with a text fragment that scrolls to the quote
