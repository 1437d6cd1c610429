"""A killed check run, resumed, is one run (issue 11, item 4): the transport failures the killed part
held back are settled, and the summary, exit code and runs.outcome cover the whole run."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from archiver.check.fetch import FetchSettings, make_client
from archiver.check.run import run_checks
from archiver.store.sqlite import Store
from archiver.store.sqlite.threaded import ThreadedStore

FS = FetchSettings(allow_private=True, retries=0, read_timeout=5, total_timeout=10, concurrency=4)


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, so the run is left unfinished."""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: connections are refused


def check(store, urls, on_result=None):
    async def go():
        aio = ThreadedStore.borrowing(store)
        try:
            async with make_client(FS) as client:
                return await run_checks(aio, urls, client, FS, on_result=on_result)
        finally:
            await aio.close()
    return asyncio.run(go())


def kill_after(store, urls, victim: str) -> None:
    """Run the check until `victim`'s outcome is recorded, and stop it there as a SIGKILL would."""
    def kill_after_the_failure(outcome):
        if outcome.url == victim:
            raise Killed

    with pytest.raises(Killed):
        check(store, urls, kill_after_the_failure)


def test_a_transport_failure_from_the_killed_part_is_settled_and_counted(tmp_path, test_web):
    refused = f"http://127.0.0.1:{closed_port()}/gone-server"
    live = [test_web.url(f"/page/resume-settle-{i}", host) for i, host in
            enumerate(("main", "other", "main", "other", "main"))] + [test_web.url("/teapot", "catchall")]
    urls = [refused, *live]

    with Store(tmp_path / "archive.db") as store:
        kill_after(store, urls, refused)
        first = store.db.conn.execute("SELECT k.state, k.inconclusive FROM checks k JOIN urls u ON u.id = k.url_id"
                                      " WHERE u.url = ?", [refused]).fetchone()
        assert first == (None, 1)  # held back for the outage verdict when the kill came
        assert store.db.conn.execute("SELECT count(*) FROM runs WHERE finished IS NULL").fetchone() == (1,)
        run = check(store, urls)
        assert run.resumed
        assert store.url_row(refused)["state"] == "failing"
        assert store.db.conn.execute("SELECT count(*) FROM checks WHERE inconclusive = 1").fetchone() == (0,)
        assert run.checked == len(urls)  # the whole run, not only the resumed part
        assert run.by_state.get("failing") == 1 and run.problems
        outcome, summary = store.db.conn.execute("SELECT outcome, summary FROM runs").fetchone()
        assert outcome == "problems"
        assert json.loads(summary)["by_state"]["failing"] == 1
        assert sum(json.loads(summary)["by_state"].values()) == len(urls)


@pytest.mark.parametrize("refusal", ["safety", "proxy"])
def test_a_check_that_cannot_tell_stays_so_when_a_resumed_run_settles_it(tmp_path, test_web, monkeypatch, refusal):
    """A held-back check that cannot tell (an answer refused for safety, a proxy's 407) is settled by the
    resumed run as it would have been by the whole run: its link stays `unknown`, never `failing`."""
    from tests.zoo import ForwardProxy, Zoo

    live = [test_web.url(f"/page/resume-tell-{refusal}-{i}", host) for i, host in enumerate(("main", "other", "main"))]
    with Zoo() as zoo, ForwardProxy(password="editor:pw") as proxy:
        if refusal == "safety":  # a header line over the limit
            bad = zoo.url(zoo.add("/huge-head", b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"))
        else:  # through a proxy that wants credentials; the test web's hosts go direct
            bad = zoo.url("/page", host="proxied.example")
            monkeypatch.setenv("HTTP_PROXY", proxy.url)
            monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,.test,.example.org,.example.com")
        urls = [bad, *live]
        with Store(tmp_path / "archive.db") as store:
            kill_after(store, urls, bad)
            run = check(store, urls)
            assert run.resumed
            row = store.db.conn.execute("SELECT k.status, k.error FROM checks k JOIN urls u ON u.id = k.url_id"
                                        " WHERE u.url = ?", [bad]).fetchone()
            assert store.url_row(bad)["state"] == "unknown", row
    assert row[0] == "connection-error" and row[1].startswith(("refused for safety: ", "the proxy refused: ")), row
