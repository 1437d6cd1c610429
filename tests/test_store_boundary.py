"""The store boundary: stages reach the database only through ArchiveStore, and SQL lives only in
archiver/store/."""

import inspect
import re
from pathlib import Path

from archiver.store.interface import ArchiveStore
from archiver.store.sqlite import Store

PACKAGE = Path(__file__).parent.parent / "archiver"
SQL = re.compile(r"\b(SELECT\s+[\w*]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b")


def test_sqlite_store_implements_every_interface_method_with_its_signature():
    wanted = {name: fn for name, fn in vars(ArchiveStore).items() if inspect.isfunction(fn) and not name.startswith("_")}
    assert len(wanted) >= 25
    for name, fn in wanted.items():
        impl = getattr(Store, name, None)
        assert callable(impl), f"Store lacks {name}"
        want = list(inspect.signature(fn).parameters)
        have = list(inspect.signature(impl).parameters)
        assert have == want, name


def test_no_sql_outside_the_store():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "store" in path.relative_to(PACKAGE).parts[:1]:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert offenders == []


def test_stages_do_not_touch_the_connection():
    for path in [*PACKAGE.glob("check/*.py"), *PACKAGE.glob("wayback/*.py"), PACKAGE / "api.py"]:
        text = path.read_text(encoding="utf-8")
        assert ".db.conn" not in text and "store.db" not in text, path
