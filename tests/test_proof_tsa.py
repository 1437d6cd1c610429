"""RFC 3161 trusted timestamps against a loopback authority built with the real `openssl ts -reply`
(tests/tsa.py): tokens over snapshots and exports, checked by `openssl ts -verify` and by
`archiver verify`; a tampered snapshot, token, WARC or WACZ fails; no authority, no request."""

import base64
import hashlib
import io
import json
import re
import socket
import sqlite3
import zipfile
import zlib

import pytest
from click.testing import CliRunner

from archiver.cli.main import main
from archiver.report.render.common import counted
from tests.test_export import wacz_problems
from tests.tsa import Authority, need_openssl


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    need_openssl()
    tsa = Authority(tmp_path_factory.mktemp("tsa"))
    yield tsa
    tsa.close()


@pytest.fixture()
def db(pipeline_db, tmp_path):
    """A copy of the pipeline's archive.db: stamping writes to it."""
    path = tmp_path / "archive.db"
    src = sqlite3.connect(pipeline_db.settings.db)
    with sqlite3.connect(path) as dst:
        src.backup(dst)
    src.close()
    return str(path)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def rows(db, sql, args=()):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/tsa"


def test_every_snapshot_gets_a_token_that_openssl_and_archiver_verify(db, authority):
    snapshots = {sha for sha, in rows(db, "SELECT sha256 FROM snapshots")}
    result = cli("stamp", "--db", db, "--tsa", authority.url)
    assert result.exit_code == 0, result.output
    assert f"stamp: {len(snapshots)} tokens from {authority.url}, 0 refused, 0 waiting" in result.stderr
    tokens = rows(db, "SELECT kind, sha256, token, gen_time FROM timestamps")
    assert {sha for _, sha, _, _ in tokens} == snapshots and {k for k, *_ in tokens} == {"snapshot"}
    for _, sha, token, gen_time in tokens:
        proc = authority.openssl_verify(token, sha)
        assert proc.returncode == 0 and b"Verification: OK" in proc.stdout, proc.stderr
        assert gen_time.startswith("20")
    result = cli("verify", "--db", db, "--tsa-cert", authority.ca, "-v")
    assert result.exit_code == 0, result.output
    assert f"verify: {len(snapshots)} verified ({len(snapshots)} tokens), 0 failed" in result.stderr
    # stamping again asks for nothing: every snapshot has its token from this authority
    before = authority.requests
    assert "stamp: 0 tokens" in cli("stamp", "--db", db, "--tsa", authority.url).stderr
    assert authority.requests == before


def test_a_tampered_snapshot_or_token_fails_verification(db, authority):
    assert cli("stamp", "--db", db, "--tsa", authority.url).exit_code == 0
    (changed,), (other,) = rows(db, "SELECT sha256 FROM snapshots ORDER BY sha256 LIMIT 2")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE snapshots SET body = ? WHERE sha256 = ?", [zlib.compress(b"<p>rewritten</p>"), changed])
        token = bytearray(conn.execute("SELECT token FROM timestamps WHERE sha256 = ?", [other]).fetchone()[0])
        token[-40] ^= 0xFF  # inside the signature
        conn.execute("UPDATE timestamps SET token = ? WHERE sha256 = ?", [bytes(token), other])
    result = cli("verify", "--db", db, "--tsa-cert", authority.ca)
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2
    assert any(changed in line and "changed after it was stamped" in line for line in failed)
    assert any(other in line and "token:" in line for line in failed)
    assert authority.openssl_verify(bytes(token), other).returncode != 0  # openssl agrees


def test_a_token_from_another_authority_fails(db, authority, tmp_path):
    assert cli("stamp", "--db", db, "--tsa", authority.url).exit_code == 0
    stranger = Authority(tmp_path / "other")
    stranger.close()
    result = cli("verify", "--db", db, "--tsa-cert", stranger.ca)
    assert result.exit_code == 1 and "0 verified" in result.stderr


def test_wacz_holds_the_snapshot_tokens_and_its_own_stamp(db, authority, tmp_path):
    assert cli("stamp", "--db", db, "--tsa", authority.url).exit_code == 0
    out = tmp_path / "evidence.wacz"
    result = cli("export", "--db", db, "--wacz", out, "--tsa", authority.url)
    assert result.exit_code == 0, result.output
    assert wacz_problems(out) == []
    with zipfile.ZipFile(out) as zf:
        names = [n for n in zf.namelist() if n.startswith("timestamps/")]
        package = zf.read("datapackage.json")
        stamp = json.loads(zf.read("datapackage-digest.json"))["timestamp"]
    assert names and counted(len(names), "timestamp token") in result.stderr
    assert "stamped 20" in result.stderr
    token = base64.b64decode(stamp["token"])
    assert authority.openssl_verify(token, hashlib.sha256(package).hexdigest()).returncode == 0
    assert rows(db, "SELECT name FROM timestamps WHERE kind = 'export'") == [("evidence.wacz",)]
    result = cli("verify", out, "--tsa-cert", authority.ca)
    assert result.exit_code == 0, result.output
    assert f"{len(names) + 1} tokens" in result.stderr


def test_a_wacz_rewritten_consistently_still_fails(db, authority, tmp_path):
    """A forger who edits a body in the WARC and recomputes every digest cannot recompute the tokens."""
    assert cli("stamp", "--db", db, "--tsa", authority.url).exit_code == 0
    out, forged = tmp_path / "evidence.wacz", tmp_path / "forged.wacz"
    assert cli("export", "--db", db, "--wacz", out, "--tsa", authority.url).exit_code == 0
    with zipfile.ZipFile(out) as src:
        files = {i.filename: src.read(i) for i in src.infolist()}
    warc = files["archive/data.warc.gz"]
    files["archive/data.warc.gz"] = _forge(warc)
    package = json.loads(files["datapackage.json"])
    for res in package["resources"]:
        res["hash"] = "sha256:" + hashlib.sha256(files[res["path"]]).hexdigest()
        res["bytes"] = len(files[res["path"]])
    files["datapackage.json"] = json.dumps(package, indent=2).encode()
    digest = json.loads(files["datapackage-digest.json"])
    digest["hash"] = "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()
    files["datapackage-digest.json"] = json.dumps(digest).encode()
    with zipfile.ZipFile(forged, "w") as dst:
        for name, data in files.items():
            dst.writestr(name, data)
    result = cli("verify", forged, "--tsa-cert", authority.ca)
    assert result.exit_code == 1
    assert "forged.wacz: datapackage.json: token: Mismatch between messages" in result.stdout
    assert "no record in the WARC has the stamped digest" in result.stdout


def _forge(warc: bytes) -> bytes:
    """The WARC with the first 'ok' page body rewritten (the record re-made, digests and all)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    done = False
    for rec in ArchiveIterator(io.BytesIO(warc)):
        body = rec.content_stream().read()
        if not done and rec.rec_type == "response" and body:
            body, done = body.replace(body[:20], b"<!-- forged -->     ", 1), True
        new = writer.create_warc_record(rec.rec_headers.get_header("WARC-Target-URI") or "", rec.rec_type,
                                        payload=io.BytesIO(body), length=len(body), http_headers=rec.http_headers)
        writer.write_record(new)
    assert done
    return out.getvalue()


def test_warc_export_token_beside_the_file(db, authority, tmp_path):
    out = tmp_path / "evidence.warc.gz"
    assert cli("export", "--db", db, "--warc", out, "--tsa", authority.url).exit_code == 0
    token = (tmp_path / "evidence.warc.gz.tsr").read_bytes()
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert authority.openssl_verify(token, sha).returncode == 0
    assert rows(db, "SELECT sha256, name, token FROM timestamps WHERE kind = 'export'") == [(sha, out.name, token)]
    assert cli("verify", out, "--tsa-cert", authority.ca).exit_code == 0
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x01
    out.write_bytes(bytes(data))
    result = cli("verify", out, "--tsa-cert", authority.ca)
    assert result.exit_code == 1 and "Mismatch between messages" in result.stdout


def test_no_authority_no_request_and_a_clear_error(db, authority):
    before = authority.requests
    result = cli("stamp", "--db", db)
    assert result.exit_code == 2 and "--tsa URL" in result.stderr
    assert cli("export", "--db", db, "--wacz", str(db) + ".wacz").exit_code == 0
    assert authority.requests == before and rows(db, "SELECT count(*) FROM timestamps") == [(0,)]
    result = cli("verify", "--db", db)
    assert result.exit_code == 2 and "--tsa-cert" in result.stderr
    result = cli("verify", "--db", db, "--tsa-cert", authority.ca)  # nothing stamped: said, not a silent pass
    assert result.exit_code == 0 and "holds no timestamp tokens" in result.stderr
    result = cli("verify", str(db) + ".wacz", "--tsa-cert", authority.ca)  # an unstamped WACZ attests no time
    assert result.exit_code == 1 and "archive.db.wacz: no token: it was exported without" in result.stdout


def test_dry_run_asks_nothing_and_quiet_says_nothing(db, authority):
    before = authority.requests
    n = rows(db, "SELECT count(*) FROM snapshots")[0][0]
    result = cli("stamp", "--db", db, "--tsa", authority.url, "--dry-run")
    assert result.exit_code == 0 and f"stamp: {n} digests would be stamped" in result.stderr
    assert authority.requests == before
    result = cli("stamp", "--db", db, "--tsa", authority.url, "-q")
    assert result.exit_code == 0 and result.stderr == "" and result.stdout == ""
    assert authority.requests == before + n


def test_outage_guard_stops_and_the_next_run_stamps_the_rest(db, authority):
    down = closed_port_url()
    result = cli("stamp", "--db", db, "--tsa", down, "-q")
    assert result.exit_code == 3
    assert "3 requests in a row failed, the last unreachable" in result.stderr
    assert rows(db, "SELECT count(*) FROM timestamps") == [(0,)]
    result = cli("stamp", "--db", db, "--tsa", authority.url)
    assert result.exit_code == 0 and "0 waiting" in result.stderr


def test_export_with_the_authority_down_keeps_the_file_and_exits_3(db, tmp_path):
    out = tmp_path / "evidence.wacz"
    result = cli("export", "--db", db, "--wacz", out, "--tsa", closed_port_url())
    assert result.exit_code == 3 and "was written but not stamped" in result.stderr
    assert wacz_problems(out) == []


def test_check_stamps_its_new_snapshots_and_without_tsa_asks_nothing(test_web, authority, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/ok')}\n2. {test_web.url('/article')}\n")
    before = authority.requests
    result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1")
    assert result.exit_code == 0, result.output
    assert authority.requests == before and rows("archive.db", "SELECT count(*) FROM timestamps") == [(0,)]
    result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--tsa", authority.url)
    assert result.exit_code == 0, result.output
    snapshots = {sha for sha, in rows("archive.db", "SELECT sha256 FROM snapshots")}
    assert snapshots and f"stamp: {counted(len(snapshots), 'token')} from" in result.stderr
    assert {sha for sha, in rows("archive.db", "SELECT sha256 FROM timestamps")} == snapshots


def test_the_authoritys_credentials_are_sent_but_never_stored_or_shown(db, authority, tmp_path):
    """A commercial authority's user, password and API key reach it, and nothing else: not archive.db,
    not the WACZ, not stderr."""
    url = authority.url.replace("http://", "http://alice:pa55word@") + "?api_key=k3yk3y&policy=1.2"
    result = cli("stamp", "--db", db, "--tsa", url)
    assert result.exit_code == 0, result.output
    path, auth = authority.last
    assert path.endswith("api_key=k3yk3y&policy=1.2")
    assert auth == "Basic " + base64.b64encode(b"alice:pa55word").decode()
    out = tmp_path / "evidence.wacz"
    result2 = cli("export", "--db", db, "--wacz", out, "--tsa", url)
    assert result2.exit_code == 0, result2.output
    stored = {tsa for tsa, in rows(db, "SELECT DISTINCT tsa FROM timestamps")}
    assert stored == {authority.url.replace("http://", "http://***@") + "?api_key=***&policy=1.2"}
    for text in (result.output, result2.output):
        assert "pa55word" not in text and "k3yk3y" not in text and "***@" in text
    with sqlite3.connect(db) as conn:
        conn.execute("VACUUM")  # nothing left in free pages either
    for blob in ((tmp_path / "archive.db").read_bytes(), out.read_bytes()):
        assert b"pa55word" not in blob and b"k3yk3y" not in blob
    assert "stamp: 0 tokens" in cli("stamp", "--db", db, "--tsa", url).stderr  # known by its stored name


def test_a_terminal_shows_how_many_digests_are_stamped(db, authority, tmp_path):
    """One request a second (tsa_interval): the line counts digests stamped of the total, and is
    erased when the summary is said."""
    from tests.pty_screen import Screen

    (tmp_path / "archiver.toml").write_text("tsa_interval = 0.5\n")
    n = rows(db, "SELECT count(*) FROM snapshots")[0][0]
    with Screen(["stamp", "--db", db, "--tsa", authority.url], cwd=tmp_path) as screen:
        seen = screen.wait_for(rf"^stamp: (\d+)/{n} digests \(\d+%\)", timeout=60)
        assert screen.finish(timeout=120) == 0, "\n".join(screen.lines())
    assert int(seen.group(1)) < n
    shown = screen.lines()
    assert not any(re.match(rf"stamp: \d+/{n} digests", line) for line in shown)  # erased
    assert f"stamp: {n} tokens from {authority.url}, 0 refused, 0 waiting for the next run" in shown


def test_a_wacz_damaged_on_disk_fails_verification_without_a_traceback(db, authority, tmp_path):
    """A byte flipped in the WACZ (a bad disk, a bad copy): its members no longer read as they were
    written, which is a FAILED line and exit 1, never a traceback."""
    assert cli("stamp", "--db", db, "--tsa", authority.url).exit_code == 0
    out = tmp_path / "evidence.wacz"
    assert cli("export", "--db", db, "--wacz", out, "--tsa", authority.url).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        info = zf.getinfo("archive/data.warc.gz")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(out.read_bytes())
    data[start + info.compress_size // 2] ^= 0x01
    out.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["verify", str(out), "--tsa-cert", str(authority.ca)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert "FAILED evidence.wacz: archive/data.warc.gz: unreadable: Bad CRC-32" in result.stdout, result.stdout


def test_run_dry_run_with_an_authority_asks_nothing(test_web, authority, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/ok')}\n")
    before = authority.requests
    result = cli("run", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--no-archive",
                 "--tsa", authority.url, "--dry-run", "--format", "none")
    assert result.exit_code == 0, result.output
    assert "stamp: 1 digest would be stamped" in result.stderr
    assert authority.requests == before and rows("archive.db", "SELECT count(*) FROM timestamps") == [(0,)]
    result = cli("run", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--no-archive",
                 "--tsa", authority.url, "--format", "none", "-q")
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert authority.requests == before + 1 and rows("archive.db", "SELECT count(*) FROM timestamps") == [(1,)]


def test_check_with_the_authority_down_keeps_its_results_and_exits_3(test_web, tmp_path, monkeypatch):
    """The stamp stage's outage guard inside a check: the check's verdicts and snapshots are kept,
    the stage stops after 3 failed requests, says why even with -q, and the exit is 3."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("".join(f"{i}. {test_web.url(f'/page/{tmp_path.name}-{i}')}\n"
                                                for i in range(1, 6)))
    result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1",
                 "--tsa", closed_port_url(), "-q")
    assert result.exit_code == 3, result.output
    assert "3 requests in a row failed, the last unreachable" in result.stderr
    assert "5 digests wait for the next run" in result.stderr
    assert rows("archive.db", "SELECT count(DISTINCT sha256) FROM snapshots") == [(5,)]
    assert rows("archive.db", "SELECT count(*) FROM timestamps") == [(0,)]
