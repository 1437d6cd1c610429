"""Memory under the hostile-server suite at default settings (issue 25 item 6): the largest archiver
process stays under 400 MB while one `archiver check` fetches every fast case of tests/hostile.py
(60 MiB pages, gzip, deflate and brotli bombs of 256 MiB, broken HTTP, hostile charsets) with the
default body cap, byte budget and processes, whose peak resident size tests/peak.py reads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from archiver.check.classify import STATUSES
from tests.peak import run_archiver
from tests.test_hostile import CASES

# Issues 19 and 25 ask for 400 MB. Measured so (tests/peak.py), the peak is archiver's own, not the
# test process's, which an inherited ru_maxrss had counted (402-413 MB inside the whole test run).
BOUND_MB = 400
_SERVE = ("import sys\n"
          "from tests.hostile import HostileWeb\n"
          "with HostileWeb() as web:\n"
          "    print(web.url(''), flush=True)\n"
          "    sys.stdin.read()\n")


def test_the_largest_process_stays_under_400_mb_at_defaults(tmp_path) -> None:
    fast = [p for p, _, bound in CASES if bound <= 3 and not p.startswith("/stall")]
    heavy = [p for p in fast if p.startswith(("/huge", "/bomb"))]
    paths = fast + [f"{p}{'&' if '?' in p else '?'}again={i}" for i in range(3) for p in heavy]
    # The hostile server runs in a process of its own, as a real server does, not as threads of this
    # test process, whose garbage collection and GIL after a thousand other tests make it send in bursts.
    server = subprocess.Popen([sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=Path(__file__).parent.parent)
    try:
        base = server.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), base
        doc = tmp_path / "notes.txt"
        doc.write_text("".join(f"{i + 1}. {base}{p}\n" for i, p in enumerate(paths)), encoding="utf-8")
        proc, peak = run_archiver("check", str(doc), "--db", str(tmp_path / "a.db"), "--allow-private",
                                  timeout=600)
    finally:
        server.stdin.close()
        server.wait(30)
        server.stdout.close()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    statuses = dict(sqlite3.connect(tmp_path / "a.db").execute(
        "SELECT u.url, k.status FROM checks k JOIN urls u ON u.id = k.url_id"))
    assert len(statuses) == len(paths) and set(statuses.values()) <= set(STATUSES)
    print(f"peak {peak // 1024} MB over {len(paths)} URLs")
    assert peak // 1024 < BOUND_MB, f"{peak // 1024} MB resident at the peak"


def test_the_peak_read_is_archivers_own_not_the_test_processs() -> None:
    """The trap tests/peak.py avoids, shown: a test process grown to 300 MB (as pytest grows over the
    whole suite) hands that to the ru_maxrss of every child it starts; the peak read is archiver's own."""
    grown = bytearray(300 * 1024 * 1024)
    grown[::4096] = b"\1" * len(range(0, len(grown), 4096))  # every page resident
    inherited = subprocess.run([sys.executable, "-c", "import resource; print(resource.getrusage("
                                "resource.RUSAGE_SELF).ru_maxrss)"], capture_output=True, text=True, check=True)
    proc, peak = run_archiver("--version", timeout=60)
    del grown
    assert int(inherited.stdout) // 1024 >= 300
    assert proc.returncode == 0 and peak // 1024 < 100, f"{peak // 1024} MB"
