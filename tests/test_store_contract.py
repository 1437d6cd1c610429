"""The ArchiveStore contract, for any backend: one suite, run against every store `open_store` can
open: SQLite, and PostgreSQL on the session's throwaway cluster (tests/conftest_postgres.py)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from archiver.errors import StoreError, StoreLocked
from archiver.models import (
    CaptureRow,
    CheckRecord,
    CheckResult,
    Citation,
    Drift,
    HeldBack,
    KnownUrl,
    Place,
    Repaired,
    Screenshot,
    Settled,
    Snapshot,
    Timestamp,
    UrlState,
)
from archiver.store import ArchiveStore, open_reader, open_store

# backend -> a URL naming a new, empty store of it (given the test's request and tmp_path)
STORES: dict[str, Callable[[pytest.FixtureRequest, Path], str]] = {
    "sqlite": lambda request, tmp: f"sqlite:///{tmp / 'archive.db'}",
    # a new database on the session's throwaway cluster (tests/conftest_postgres.py)
    "postgresql": lambda request, tmp: request.getfixturevalue("postgres_url"),
}
WHEN = "2026-01-01T00:00:00+00:00"


@pytest.fixture(params=sorted(STORES))
def store_url(request, tmp_path) -> str:
    """A URL naming a new, empty store of each backend."""
    return STORES[request.param](request, tmp_path)


@pytest.fixture()
def on_store(store_url) -> Callable[[Callable[[ArchiveStore], Awaitable]], object]:
    """Run `work(store)` in an event loop on a store opened from `store_url`, and close it."""

    def run(work):
        async def go():
            store = open_store(store_url)
            try:
                return await work(store)
            finally:
                await store.close()

        return asyncio.run(go())

    return run


def page(text: str) -> Snapshot:
    body = f"<html><body><p>{text}</p></body></html>".encode()
    return Snapshot(hashlib.sha256(body).hexdigest(), body, "text/html", len(body), title=text, text=text)


def cited(url: str, line: int, note: str | None = None, accessed=None) -> Repaired:
    return Repaired(Citation("doc.txt", line, note, url, accessed=accessed), url)


def test_runs_start_finish_and_resume(on_store):
    async def work(store: ArchiveStore):
        first = await store.start_run("check")
        assert await store.unfinished_run("check") == first
        await store.mark_interrupted(first, {"checked": 1})
        assert await store.unfinished_run("check") == first  # interrupted: resumed next time
        await store.finish_run(first, "ok", {"checked": 2})
        assert await store.unfinished_run("check") is None
        assert isinstance(store.now(), str) and store.now().endswith("+00:00")

    on_store(work)


def test_documents_citations_and_where_a_url_is_cited(on_store):
    async def work(store: ArchiveStore):
        from datetime import date

        repaired = [cited("https://a.test/1", 1, "1", date(2020, 5, 1)), cited("https://a.test/2", 2, "2"),
                    cited("https://a.test/1", 3, "3")]
        changes = await store.save_document("doc.txt", "text", None, repaired)
        assert (changes.added, changes.removed, changes.kept) == (3, 0, 0)
        again = await store.save_document("doc.txt", "text", None, repaired[:2])
        assert (again.added, again.removed, again.kept) == (0, 1, 2)
        places = await store.places_for(["https://a.test/1", "https://a.test/2", "https://none.test/"])
        assert places == {"https://a.test/1": [Place("doc.txt", "1", 1)], "https://a.test/2": [Place("doc.txt", "2", 2)]}
        accessed, first_seen, added = await store.first_cited("https://a.test/1")
        assert accessed == "2020-05-01" and first_seen and added is None
        inferred = Repaired(Citation("doc.txt", 4, "4", "https://a.test/2", added=date(2019, 3, 2),
                                     added_by="git history", role="citation"), "https://a.test/2")
        await store.save_document("doc.txt", "text", None, [*repaired[:2], inferred])
        assert (await store.first_cited("https://a.test/2"))[2] == ("2019-03-02", "git history")
        assert await store.all_urls() == ["https://a.test/1", "https://a.test/2"]

    on_store(work)


def test_checks_states_drift_resume_and_settling(on_store, store_url):
    one, two = page("one"), page("two")

    async def work(store: ArchiveStore):
        b_txt = [Repaired(Citation("b.txt", 1, "1", "https://a.test/1"), "https://a.test/1")]
        a_txt = [Repaired(Citation("a.txt", line, str(line), url), url)
                 for line, url in ((1, "https://a.test/2"), (2, "https://a.test/1"), (3, "https://a.test/3"))]
        await store.save_document("b.txt", "text", None, b_txt)  # recorded first, given second below
        await store.save_document("a.txt", "text", None, a_txt)
        run = await store.start_run("check")
        alive, failing = UrlState("alive"), UrlState("failing", 1, WHEN, WHEN)
        ids = await store.record_checks([
            CheckRecord(CheckResult("https://a.test/1", "ok", True, 200, snapshot=one), run, WHEN, UrlState(), alive),
            CheckRecord(CheckResult("https://a.test/2", "not-found", False, 404), run, WHEN, UrlState(), failing),
            CheckRecord(CheckResult("https://a.test/3", "dns-error", None, transport_failure=True), run, WHEN,
                        UrlState(), None)])
        assert len(set(ids)) == 3
        later = "2026-01-02T00:00:00+00:00"
        await store.record_checks([CheckRecord(CheckResult("https://a.test/1", "ok", True, 200, snapshot=two), run,
                                               later, alive, alive, Drift(one.sha256, 0.25, "text changed"))])
        known = await store.known_urls(["https://a.test/1", "https://a.test/2", "https://a.test/3", "https://x.test/"])
        assert known["https://a.test/1"] == KnownUrl("https://a.test/1", alive, "ok", two.sha256)
        assert known["https://a.test/2"] == KnownUrl("https://a.test/2", failing, "not-found", None)
        assert known["https://a.test/3"].state == UrlState() and "https://x.test/" not in known
        assert await store.snapshot_body(one.sha256) == (one.body, "text/html")
        assert await store.snapshot_body("00" * 32) is None
        assert await store.checked_in_run(run) == {"https://a.test/1": True, "https://a.test/2": True,
                                                   "https://a.test/3": False}
        assert await store.held_back(run) == [HeldBack(ids[2], "https://a.test/3", "dns-error", None, WHEN, "unchecked")]
        assert await store.stale_urls(["https://a.test/1", "https://a.test/3"], WHEN) == ["https://a.test/3"]
        await store.settle_inconclusive([Settled(ids[2], "https://a.test/3", failing, "dns-error", None)])
        assert await store.held_back(run) == []
        assert (await store.known_urls(["https://a.test/3"]))["https://a.test/3"].state == failing
        counts = {(s, after, before, changed): n for s, after, before, changed, n in await store.run_counts(run)}
        assert counts[("ok", "alive", "alive", True)] == 1 and counts[("dns-error", "failing", "unchecked", False)] == 1
        return run

    run = on_store(work)
    with open_reader(store_url) as reader:
        rows = list(reader.run_rows(run))
        assert [r.url for r in rows] and {r.url for r in rows} == {"https://a.test/1", "https://a.test/2",
                                                                   "https://a.test/3"}
        last = reader.last_check_run()
        assert last is not None and last.outcome == "unfinished" and last.judged  # it never finished
        ids = {path: i for i, path in reader.documents(None)}
        # a run given a.txt: only a.txt's places, in a.txt's order (b.txt was recorded first)
        only_a = [(r.url, r.places) for r in reader.run_rows(run, documents=[ids["a.txt"]])]
        one = ("https://a.test/1", (Place("a.txt", "2", 2),))  # checked twice in the run
        assert only_a == [("https://a.test/2", (Place("a.txt", "1", 1),)), one, one,
                          ("https://a.test/3", (Place("a.txt", "3", 3),))]
        both = [(r.url, r.places) for r in reader.run_rows(run, documents=[ids["a.txt"], ids["b.txt"]])]
        assert both[1] == ("https://a.test/1", (Place("a.txt", "2", 2), Place("b.txt", "1", 1)))
        assert [r.url for r in reader.run_rows(run)][0] == "https://a.test/1"  # no documents: all, as recorded


def test_captures_and_archive_state(on_store):
    async def work(store: ArchiveStore):
        cid = await store.open_capture("https://a.test/1", "save", "queued", WHEN)
        assert await store.capture("https://a.test/1", "save") == CaptureRow(cid, "https://a.test/1", "save", "queued",
                                                                            updated=WHEN)
        await store.begin_submit(cid, WHEN)
        assert [r.id for r in await store.open_jobs()] == [cid]
        await store.record_job(cid, "spn2-1", WHEN, reason="accepted")
        assert await store.capture_submission(cid) == (WHEN, "spn2-1")
        await store.finish_capture(cid, "success", WHEN, timestamp="20260101000000", archive_url="https://w/1")
        row = await store.capture("https://a.test/1", "save")
        assert row is not None and (row.state, row.attempts, row.job_id, row.reason) == ("success", 1, "spn2-1",
                                                                                          "accepted")
        assert await store.open_jobs() == [] and await store.capture("https://a.test/1", "match") is None
        assert await store.archive_state("quota_until") is None
        await store.set_archive_state("quota_until", WHEN)
        assert await store.archive_state("quota_until") == WHEN
        await store.set_archive_state("quota_until", None)
        assert await store.archive_state("quota_until") is None

    on_store(work)


def test_a_second_run_is_locked_out(on_store, store_url):
    async def work(store: ArchiveStore):
        await store.lock()
        other = open_store(store_url)
        try:
            with pytest.raises(StoreLocked, match="in use by another archiver run"):
                await other.lock()
        finally:
            await other.close()

    on_store(work)


def test_a_failed_write_is_archivers_error_and_changes_nothing(on_store):
    async def work(store: ArchiveStore):
        with pytest.raises(StoreError) as failed:
            await store.record_checks([CheckRecord(CheckResult("https://a.test/1", "ok", True, 200, snapshot=page("x")),
                                                   999, WHEN, UrlState(), UrlState("alive"))])  # no run 999
        assert type(failed.value).__module__ == "archiver.errors"
        assert await store.known_urls(["https://a.test/1"]) == {}

    on_store(work)


def test_a_write_made_runs_to_its_end_even_when_its_caller_is_cancelled(on_store):
    """Cancelling a run never drops a write it already handed over, and calls run in the order made."""
    async def work(store: ArchiveStore):
        run = await store.start_run("check")
        records = [CheckRecord(CheckResult(f"https://a.test/{i}", "ok", True, 200, snapshot=page(str(i))), run, WHEN,
                               UrlState(), UrlState("alive")) for i in range(200)]
        writing = asyncio.ensure_future(store.record_checks(records))
        await asyncio.sleep(0)  # the call is made
        writing.cancel()
        known = await store.known_urls([r.result.url for r in records])  # made after: sees the whole group
        assert len(known) == 200 and writing.cancelled()

    on_store(work)
    on_store(lambda store: _count_checks(store, 200))


async def _count_checks(store: ArchiveStore, expected: int) -> None:
    run = await store.start_run("check")
    assert len(await store.known_urls([f"https://a.test/{i}" for i in range(expected)])) == expected
    await store.finish_run(run, "ok", {})



def test_a_documents_findings_are_new_once_and_its_rows_kept_across_reads(on_store):
    from archiver.models import Finding

    dash = Finding("A101", "typographic-dash", "warning", "an en dash in the URL", "use -")
    space = Finding("A102", "space-in-url", "error", "a space in the URL")

    def read(*findings_per_line):
        return [Repaired(Citation("doc.txt", i + 1, str(i + 1), f"https://b.test/{i}"), f"https://b.test/{i}", fs)
                for i, fs in enumerate(findings_per_line)]

    async def work(store: ArchiveStore):
        first = await store.save_document("doc.txt", "text", None, read((dash,), ()))
        again = await store.save_document("doc.txt", "text", None, read((dash,), (space,)))
        third = await store.save_document("doc.txt", "text", None, read((), (space,), ()))
        assert [(f.finding.code, f.new) for f in first.findings] == [("A101", True)]
        assert [(f.finding.code, f.new) for f in again.findings] == [("A101", False), ("A102", True)]
        assert [(f.finding.code, f.new, f.place.note) for f in third.findings] == [("A102", False, "2")]
        assert (third.document_id, third.added, third.kept, third.removed) == (first.document_id, 1, 2, 0)
        assert [p.note for p in (await store.places_for(["https://b.test/2"]))["https://b.test/2"]] == ["3"]

    on_store(work)


def test_capture_verdicts_evidence_and_quotes(on_store, store_url):
    from datetime import date

    from archiver.models import QuoteCheck

    url, context = "https://a.test/q", "He said “the river rose ten metres” that night."

    async def work(store: ArchiveStore):
        await store.save_document("doc.txt", "text", None, [
            Repaired(Citation("doc.txt", 1, "1", url, context=context, accessed=date(2025, 12, 20)), url)])
        run = await store.start_run("check")
        one = page("then")
        await store.record_checks([CheckRecord(CheckResult(url, "ok", True, 200, snapshot=one), run, WHEN, UrlState(),
                                               UrlState("alive"))])
        ev = await store.evidence(url)
        assert [c[1:] for c in ev.citations] == [(context, "2025-12-20")]
        assert ev.live == ev.then == one.sha256 and ev.then_at == WHEN and ev.copies == 0
        cid = await store.open_capture(url, "match", "matched", WHEN, archive="natlib", timestamp="20251220000000",
                                       archive_url="https://n.test/1", verdict="verified", similarity=0.9, qa="ok")
        assert (await store.evidence(url)).copies == 1
        quote = QuoteCheck(ev.citations[0][0], "the river rose ten metres", "quote", "no-longer-says-it", False, True,
                           None, None)
        for _ in range(2):  # replaced, never doubled
            await store.save_quotes([ev.citations[0][0]], [quote], WHEN)
        await store.finish_capture(cid, "matched", WHEN, verdict="bad", qa="bad captures skipped: natlib 2025-12-20: soft-404")
        assert (await store.evidence(url)).copies == 0

    on_store(work)
    with open_reader(store_url) as reader:
        row = next(reader.report_rows([reader.documents(None)[0][0]]))
        assert (row.quote, row.quote_verdict) == ("the river rose ten metres", "no-longer-says-it")
        assert row.archive_url is None and row.capture_verdict == "bad" and "soft-404" in row.capture_qa


def test_timestamps_and_screenshots(on_store, store_url):
    one = page("stamped")

    async def work(store: ArchiveStore):
        run = await store.start_run("check")
        await store.record_checks([CheckRecord(CheckResult("https://a.test/1", "ok", True, 200, snapshot=one), run,
                                               WHEN, UrlState(), UrlState("alive"))])
        assert await store.unstamped("snapshot", "https://tsa.test/") == [one.sha256]
        assert await store.screenshot_due(["https://a.test/1", "https://b.test/"]) == ["https://a.test/1"]
        png = b"\x89PNG fake"
        shot = Screenshot("https://a.test/1", hashlib.sha256(png).hexdigest(), "2026-01-01T00:00:01+00:00",
                          "https://a.test/1", 10, 20, png, b"jpeg")
        await store.save_screenshot(shot)
        await store.save_screenshot(shot)  # the same picture twice is one row
        assert await store.screenshot_due(["https://a.test/1"]) == []
        stamp = Timestamp("snapshot", one.sha256, "https://tsa.test/", b"token", WHEN)
        await store.save_timestamps([stamp, Timestamp("screenshot", shot.sha256, "https://tsa.test/", b"t2", WHEN)])
        await store.save_timestamps([Timestamp("snapshot", one.sha256, "https://tsa.test/", b"other", WHEN)])
        assert await store.unstamped("snapshot", "https://tsa.test/") == []
        assert await store.unstamped("screenshot", "https://tsa.test/") == []
        assert await store.unstamped("snapshot", "https://other.test/") == [one.sha256]
        return shot, stamp

    shot, stamp = on_store(work)
    with open_reader(store_url) as reader:
        assert next(iter(reader.timestamps())) == stamp  # the first token kept
        assert reader.stamped_bytes("snapshot", one.sha256) == one.body
        assert reader.stamped_bytes("screenshot", shot.sha256) == shot.png
        assert list(reader.screenshots()) == [shot]
        index = reader.thumbnail_index()
        assert list(index) == ["https://a.test/1"] and index["https://a.test/1"][1] == shot.taken
        assert reader.thumbnail(index["https://a.test/1"][0]) == b"jpeg"
