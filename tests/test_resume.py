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


def test_a_transport_failure_from_the_killed_part_is_settled_and_counted(tmp_path, test_web):
    refused = f"http://127.0.0.1:{closed_port()}/gone-server"
    live = [test_web.url(f"/page/resume-settle-{i}", host) for i, host in
            enumerate(("main", "other", "main", "other", "main"))] + [test_web.url("/teapot", "catchall")]
    urls = [refused, *live]

    def kill_after_the_failure(outcome):
        if outcome.url == refused:
            raise Killed

    with Store(tmp_path / "archive.db") as store:
        with pytest.raises(Killed):
            check(store, urls, kill_after_the_failure)
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
