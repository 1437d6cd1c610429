"""A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` in a temporary directory, on a
free port of 127.0.0.1 and a socket in that directory, stopped when the session ends. Nothing of a
system cluster is used or touched.

Outside CI a machine without PostgreSQL (or without psycopg, the `scale` extra) skips the tests that
need it, saying why; under `CI=true` they fail instead, since .ci/run installs both.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# a cluster may not run as root: as root, initdb and the server run as this user
CLUSTER_USER = "postgres"


def _bindir() -> Path | None:
    """The directory of initdb and pg_ctl: on PATH, else the newest of Debian's versioned ones."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent  # Debian links pg_ctl alone into /usr/local/bin
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(reason)


def reap_orphans(bindir: Path) -> list[Path]:
    """Stop and remove the clusters of test sessions that died without stopping theirs (a pytest
    killed by `timeout` runs no teardown): their directory names the pid that made them. Which
    were reaped."""
    reaped = []
    for root in Path(tempfile.gettempdir()).glob("archiver-pg-*-*"):
        owner = root.name.split("-")[2]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        if (root / "data" / "postmaster.pid").exists():
            as_user = ["runuser", "-u", CLUSTER_USER, "--"] if os.getuid() == 0 else []
            subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"],
                           capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def cluster(bindir: Path) -> Iterator[str]:
    """Run a new cluster; yield its postgresql:// URL (database `archiver`, no password: trust on
    loopback only, for a cluster that lives as long as the test session)."""
    as_user: list[str] = []
    reap_orphans(bindir)
    root = Path(tempfile.mkdtemp(prefix=f"archiver-pg-{os.getpid()}-"))
    if os.getuid() == 0:
        as_user = ["runuser", "-u", CLUSTER_USER, "--"]
        account = pwd.getpwnam(CLUSTER_USER)
        os.chown(root, account.pw_uid, account.pw_gid)
    data, port = root / "data", _free_port()
    log = root / "server.log"

    def run(*argv: str) -> None:
        done = subprocess.run([*as_user, *argv], capture_output=True, text=True)
        if done.returncode:
            detail = done.stderr.strip() or done.stdout.strip()
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{Path(argv[0]).name} failed ({done.returncode}): {detail}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "archiver", "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        try:
            server = f"postgresql://archiver@127.0.0.1:{port}"
            _create_database(f"{server}/postgres", "archiver")
            yield f"{server}/archiver"
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _create_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The postgresql:// URL of a cluster that lives for the test session."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[scale]')")
    bindir = _bindir()
    if bindir is None:
        _unavailable("PostgreSQL is not installed (no pg_ctl on PATH or in /usr/lib/postgresql/*/bin)")
    assert bindir is not None
    if os.getuid() == 0:
        try:
            pwd.getpwnam(CLUSTER_USER)
        except KeyError:
            _unavailable(f"running as root and there is no {CLUSTER_USER} user to run the cluster as")
    with cluster(bindir) as url:
        yield url


_databases = iter(range(1, 1_000_000))


@pytest.fixture()
def postgres_url(postgres_server) -> str:
    """A new, empty database on the session's cluster, for one test."""
    name = f"t{next(_databases)}"
    _create_database(postgres_server, name)
    return postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture()
def postgres_url_2(postgres_server) -> str:
    """A second new, empty database, for a test that needs two."""
    name = f"t{next(_databases)}"
    _create_database(postgres_server, name)
    return postgres_server.rsplit("/", 1)[0] + "/" + name
