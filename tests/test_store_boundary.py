"""The store boundary: stages reach the database only through `archiver.store`, SQL and sqlite3 live
only in archiver/store/, and a store whose every call is slow does not slow the checks.

archiver/browse/ is the one exception (OUTSIDE_THE_STORE): it is not a stage but Datasette over a
read-only archive.db, whose canned queries are SQL the user sees and edits, and it builds its search
index in a file of its own with sqlite3."""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.check.fetch import FetchSettings, make_client
from archiver.check.run import run_checks
from archiver.errors import ConfigError
from archiver.store import open_store, sqlite_path
from archiver.store.interface import ArchiveStore, StoreReader
from archiver.store.sqlite import Store
from archiver.store.sqlite.reader import Reader
from archiver.store.sqlite.threaded import ThreadedStore

PACKAGE = Path(__file__).parent.parent / "archiver"
SQL = re.compile(r"\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b")
PUBLIC_STORE_MODULES = {"archiver.store", "archiver.store.interface"}


def _methods(protocol: type) -> dict:
    return {name: fn for name, fn in vars(protocol).items() if inspect.isfunction(fn) and not name.startswith("_")}


def test_the_sqlite_backend_implements_every_method_with_its_signature():
    for protocol, impl, least in [(ArchiveStore, ThreadedStore, 25), (StoreReader, Reader, 7)]:
        wanted = _methods(protocol)
        assert len(wanted) >= least
        for name, fn in wanted.items():
            have = getattr(impl, name, None)
            assert callable(have), f"{impl.__name__} lacks {name}"
            assert list(inspect.signature(have).parameters) == list(inspect.signature(fn).parameters), name
            assert inspect.iscoroutinefunction(have) == inspect.iscoroutinefunction(fn), name


def test_every_stage_facing_call_is_asynchronous():
    """A call that may take a network round trip is a coroutine; only the clock is not."""
    sync = {name for name, fn in _methods(ArchiveStore).items() if not inspect.iscoroutinefunction(fn)}
    assert sync == {"now"}


def _imports(path: Path) -> list[str]:
    """Absolute names of the modules `path` imports (relative imports resolved)."""
    package = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)[:-1]  # __init__'s: its own
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - (node.level - 1)] if node.level else []
            prefix = ".".join([*base, node.module] if node.module else base)
            names.append(prefix)
            names += [f"{prefix}.{a.name}" for a in node.names if _is_module(f"{prefix}.{a.name}")]
    return names


def _is_module(name: str) -> bool:
    """`from . import sqlite` imports a module; `from .store import ArchiveStore` does not."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


OUTSIDE_THE_STORE = ("store", "browse")  # the packages that may hold SQL and import sqlite3


def test_no_module_outside_the_store_imports_sqlite3_or_a_store_submodule():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in OUTSIDE_THE_STORE:
            continue
        for name in _imports(path):
            inside = name.startswith("archiver.store.") and name not in PUBLIC_STORE_MODULES
            if name == "sqlite3" or name.startswith("sqlite3.") or inside:
                offenders.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert offenders == []


def test_the_import_check_sees_relative_imports():
    names = _imports(PACKAGE / "check" / "run.py")
    assert "archiver.store" in names and "archiver.check.recorder" in names


def test_no_sql_outside_the_store():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] in OUTSIDE_THE_STORE:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_store_imports_nothing_above_it():
    higher = ("archiver.check", "archiver.wayback", "archiver.report", "archiver.annotate", "archiver.export",
              "archiver.config", "archiver.api", "archiver.cli")
    offenders = [f"{p.relative_to(PACKAGE)}: {n}" for p in (PACKAGE / "store").rglob("*.py")
                 for n in _imports(p) if n.startswith(higher)]
    assert offenders == []


class SlowStore:
    """The real SQLite store with a network's round trip: every call sleeps 20 ms first. It counts
    the results the check stage received during those round trips."""

    DELAY = 0.02

    def __init__(self, inner: ThreadedStore, received):
        self._inner, self._received = inner, received
        self.url = inner.url
        self.calls = self.received_while_pending = 0

    def now(self) -> str:
        return self._inner.now()

    def __getattr__(self, name):
        method = getattr(self._inner, name)

        async def slow(*args, **kwargs):
            self.calls += 1
            before = self._received()
            await asyncio.sleep(self.DELAY)  # the round trip
            self.received_while_pending += self._received() - before
            return await method(*args, **kwargs)

        return slow


def test_a_store_that_takes_20_ms_per_call_does_not_hold_up_the_checks(tmp_path, test_web, monkeypatch):
    """The store is asynchronous and checks reach it in groups, so results keep arriving while its
    calls are pending (a stage that awaited the store per check, or a store that blocked the event
    loop, would receive none meanwhile), and the run makes far fewer calls than it checks URLs (at one
    awaited call per check, 600 checks would wait 12 s for the store alone)."""
    import archiver.check.run as stage

    urls = [test_web.url(f"/page/slow-store-{i}", host) for i in range(300) for host in ("main", "other")]
    fs = FetchSettings(allow_private=True, retries=0, probe_soft404=False, concurrency=32, per_host=16,
                       per_host_max=16)
    received = [0]
    fetch = stage.check_urls

    async def counted(*args, **kwargs):  # the real fetching, its results counted as the stage takes them
        async for result in fetch(*args, **kwargs):
            received[0] += 1
            yield result

    monkeypatch.setattr(stage, "check_urls", counted)

    async def go():
        inner = open_store(tmp_path / "archive.db")
        store = SlowStore(inner, lambda: received[0])
        try:
            async with make_client(fs) as client:
                run = await run_checks(store, urls, client, fs)
        finally:
            await inner.close()
        return run, store

    started = time.monotonic()
    run, store = asyncio.run(go())
    wall = time.monotonic() - started
    assert run.checked == len(urls) and run.by_state == {"alive": len(urls)}
    assert store.calls <= len(urls) / 10, store.calls  # groups, not a call per check
    assert store.received_while_pending >= 10, store.received_while_pending
    print(f"{len(urls)} checks, {store.calls} store calls of 20 ms, {store.received_while_pending} results "
          f"received while one was pending, {wall:.2f} s")


@pytest.mark.parametrize("url", ["mysql://host/db", "mongodb://h:27017/x", "https://example.org/archive.db"])
def test_a_url_of_another_database_is_refused_by_name(url):
    """A URL whose scheme archiver has no store for is refused as such, not taken for a file name."""
    with pytest.raises(ConfigError, match=f"cannot open a {url.split(':')[0]}:// store"):
        sqlite_path(url)


@pytest.mark.parametrize("args", [["check", "{doc}", "--db", "postgresql://u:secret@127.0.0.1:1/x"],
                                  ["report", "--db", "postgresql://u:secret@127.0.0.1:1/x"],
                                  ["db", "copy", "{db}", "postgresql://u:secret@127.0.0.1:1/x"]])
def test_a_postgresql_store_without_the_driver_says_which_extra_to_install(tmp_path, args):
    """Without the `scale` extra, a postgresql:// store is a configuration error naming the extra
    (exit 2), not a traceback. psycopg is made unimportable in the child process."""
    doc = tmp_path / "notes.txt"
    doc.write_text("1. https://example.org/a\n", encoding="utf-8")
    db = tmp_path / "archive.db"
    Store(db).close()  # an archive, empty (the copy's source)
    code = ("import sys; sys.modules['psycopg'] = None; from archiver.__main__ import main; "
            f"sys.argv = ['archiver', *{[a.format(doc=doc, db=db) for a in args]!r}]; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'archiver[scale]'" in proc.stderr and "Traceback" not in proc.stderr
    assert "secret" not in proc.stderr + proc.stdout
