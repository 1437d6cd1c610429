"""Screenshots by real headless Chromium (Debian's chromium; .ci/run installs it) of pages on the
loopback test web: valid PNGs of the window's width, stored with their digest, in the WACZ as
resource records (which still validates), a thumbnail in the HTML report; the private-address
guard holds inside the browser; no browser is started unless asked."""

import asyncio
import hashlib
import io
import os
import shutil
import sqlite3
import struct
import zipfile
import zlib

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from archiver.cli.main import main
from archiver.proof.browser import chromium
from archiver.proof.screenshot import HEIGHT, WIDTH, ShotFailed, shoot
from tests.test_export import wacz_problems


@pytest.fixture(scope="module")
def browser_present():
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        reason = "chromium is not installed: apt-get install -y chromium (.ci/run does it)"
        if os.environ.get("CI") == "true":  # CI installs it: a missing browser there is a failure, not a skip
            pytest.fail(reason)
        pytest.skip(reason)


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def rows(db, sql, args=()):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def png_problems(png: bytes) -> list[str]:
    """What a PNG decoder checks: the signature, every chunk's CRC, IHDR first and IEND last, and the
    IDAT stream inflating to exactly one filter byte plus a row of pixels per line."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        return ["no PNG signature"]
    problems, chunks, pos = [], [], 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data, crc = png[pos + 8:pos + 8 + length], png[pos + 8 + length:pos + 12 + length]
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + data):
            problems.append(f"bad CRC in {kind!r}")
        chunks.append((kind, data))
        pos += 12 + length
    if chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return problems + ["IHDR not first or IEND not last"]
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(b"".join(d for k, d in chunks if k == b"IDAT"))
    if len(raw) != height * (1 + width * channels * depth // 8):
        problems.append(f"pixel data is {len(raw)} bytes for {width}x{height}")
    return problems


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


@pytest.fixture()
def shot_db(browser_present, test_web, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/ok')}\n2. {test_web.url('/hops/1')}\n"
                                        f"3. {test_web.url('/notfound')}\n4. Again: {test_web.url('/ok')}\n")
    result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--screenshot")
    assert result.exit_code == 1, result.output  # /notfound is a problem
    assert "screenshot: 2 pages drawn" in result.stderr
    return tmp_path / "archive.db"


def test_live_pages_get_valid_full_page_pngs_with_their_digest(shot_db, test_web):
    shots = rows(shot_db, "SELECT u.url, p.sha256, p.width, p.height, p.png, p.thumb, p.final_url"
                          " FROM screenshots p JOIN urls u ON u.id = p.url_id ORDER BY u.url")
    assert [s[0] for s in shots] == [test_web.url("/hops/1"), test_web.url("/ok")]  # not the dead link
    for _, sha, width, height, png, thumb, _ in shots:
        assert png_problems(png) == [] and hashlib.sha256(png).hexdigest() == sha
        assert png_size(png) == (width, height) == (WIDTH, HEIGHT)  # a short page: the window
        assert thumb[:3] == b"\xff\xd8\xff"  # a JPEG
    assert shots[0][6] == test_web.url("/hops/0")  # where the browser ended up


def test_an_unchanged_page_is_not_drawn_again(shot_db, test_web):
    result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--screenshot")
    assert "screenshot: 0 pages drawn" in result.stderr
    assert rows(shot_db, "SELECT count(*) FROM screenshots") == [(2,)]


def test_a_tall_page_is_drawn_whole(browser_present, test_web):
    async def go():
        async with chromium("chromium") as cdp:
            return await shoot(cdp, test_web.url("/tall"), allow_private=True)

    shot = asyncio.run(go())
    assert png_problems(shot.png) == [] and (shot.width, shot.height) == (WIDTH, 3000)


def test_screenshots_go_into_the_wacz_as_resource_records_and_it_still_validates(shot_db, tmp_path):
    out = tmp_path / "evidence.wacz"
    result = cli("export", "--db", shot_db, "--wacz", out)
    assert result.exit_code == 0, result.output
    assert wacz_problems(out) == []
    with zipfile.ZipFile(out) as zf:
        warc = zf.read("archive/data.warc.gz")
        index = zf.read("indexes/index.cdx").decode()
    resources = {r.rec_headers.get_header("WARC-Target-URI"): r.content_stream().read()
                 for r in ArchiveIterator(io.BytesIO(warc)) if r.rec_type == "resource"}
    stored = {f"urn:view:{url}": bytes(png) for url, png in rows(
        shot_db, "SELECT u.url, p.png FROM screenshots p JOIN urls u ON u.id = p.url_id")}
    assert resources == stored
    assert index.count('"mime": "image/png"') == 2


def test_the_html_report_shows_a_thumbnail(shot_db, tmp_path):
    """Each live page's thumbnail once: /ok is cited twice and drawn once (each JPEG is read from
    the store as its row is written, not all held at once)."""
    out = tmp_path / "report.html"
    assert cli("report", "--db", shot_db, "--format", "html", "-o", out).exit_code == 1
    dom = BeautifulSoup(out.read_text(), "html.parser")
    images = dom.find_all("img")
    assert len(dom.find_all("a", href=lambda h: h and h.endswith("/ok"))) >= 2
    assert len(images) == 2 and all(i["src"].startswith("data:image/jpeg;base64,") for i in images)
    assert "img-src data:" in dom.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]


def test_the_browser_is_refused_private_addresses_without_allow_private(browser_present, test_web):
    before = test_web.hits("/article")

    async def go():
        async with chromium("chromium") as cdp:
            await shoot(cdp, test_web.url("/article"), allow_private=False)

    with pytest.raises(ShotFailed, match="private address 127.0.0.1"):
        asyncio.run(go())
    assert test_web.hits("/article") == before  # Chromium never reached it


def test_no_browser_unless_asked_dry_run_and_a_missing_browser(browser_present, test_web, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/ok')}\n")
    base = ["check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1"]
    assert cli(*base).exit_code == 0 and rows("archive.db", "SELECT count(*) FROM screenshots") == [(0,)]
    result = cli("run", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--no-archive",
                 "--screenshot", "--dry-run", "--format", "none")
    assert "screenshot: 1 page would be drawn (dry run" in result.stderr
    assert rows("archive.db", "SELECT count(*) FROM screenshots") == [(0,)]
    (tmp_path / "archiver.toml").write_text('screenshot = true\nchromium = "no-such-browser"\n')
    result = cli(*base)
    assert result.exit_code == 2 and "apt-get install chromium" in result.stderr
    (tmp_path / "archiver.toml").write_text("screenshot = true\n")
    result = cli(*base, "-q")
    assert result.exit_code == 0 and result.stderr == ""
    assert rows("archive.db", "SELECT count(*) FROM screenshots") == [(1,)]


def test_screenshots_are_stamped_and_travel_with_their_tokens(browser_present, test_web, tmp_path, monkeypatch):
    from tests.tsa import Authority, need_openssl

    need_openssl()
    authority = Authority(tmp_path / "tsa")
    try:
        monkeypatch.chdir(tmp_path)
        (tmp_path / "notes.txt").write_text(f"1. {test_web.url('/tall')}\n")
        result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1",
                     "--screenshot", "--tsa", authority.url)
        assert result.exit_code == 0, result.output
        assert "stamp: 2 tokens" in result.stderr  # the snapshot and the screenshot
        (sha,), = rows("archive.db", "SELECT sha256 FROM screenshots")
        (token,), = rows("archive.db", "SELECT token FROM timestamps WHERE kind = 'screenshot' AND sha256 = ?", [sha])
        assert authority.openssl_verify(token, sha).returncode == 0
        assert cli("verify", "--db", "archive.db", "--tsa-cert", authority.ca).exit_code == 0
        assert cli("export", "--db", "archive.db", "--wacz", "e.wacz", "--tsa", authority.url).exit_code == 0
        assert wacz_problems("e.wacz") == []  # screenshots, their tokens and the WACZ's own: still a valid WACZ
        with zipfile.ZipFile("e.wacz") as zf:
            assert f"timestamps/screenshot-{sha}.tsr" in zf.namelist()
        result = cli("verify", "e.wacz", "--tsa-cert", authority.ca)
        assert result.exit_code == 0 and "3 tokens" in result.stderr  # the snapshot's, the screenshot's, the WACZ's
    finally:
        authority.close()


def test_the_stage_stops_after_three_pages_fail_in_a_row(browser_present, test_web, tmp_path, monkeypatch):
    """The outage guard: pages the browser cannot draw (here refused by the private-address guard)
    stop the stage after 3 in a row; the rest stay due for the next run, none drawn."""
    from archiver.proof.screenshot import GUARD, take_screenshots
    from archiver.store import open_store

    monkeypatch.chdir(tmp_path)
    paths = ["/ok", "/article", "/tall", "/hops/1"]
    (tmp_path / "notes.txt").write_text("".join(f"{i}. {test_web.url(p)}\n" for i, p in enumerate(paths, 1)))
    assert cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1").exit_code == 0
    before = {p: test_web.hits(p) for p in paths}

    async def go():
        store = open_store("archive.db")
        try:
            return await take_screenshots(store, [test_web.url(p) for p in paths], exe="chromium", allow_private=False)
        finally:
            await store.close()

    report = asyncio.run(go())
    assert (report.todo, report.taken, len(report.failed)) == (4, 0, GUARD)
    assert report.outage and f"failed {GUARD} pages in a row" in report.outage
    assert {p: test_web.hits(p) for p in paths} == before  # the browser reached none of them
    assert rows("archive.db", "SELECT count(*) FROM screenshots") == [(0,)]


def test_a_terminal_shows_the_stage_progress_and_its_end(browser_present, test_web, tmp_path):
    """Pages that take a second each to load: the screenshot stage's line counts pages drawn of the
    total, is erased at the end, and the summary line stays."""
    doc = tmp_path / "notes.txt"
    doc.write_text("".join(f"{i}. {test_web.url(f'/page/{tmp_path.name}-{i}?delay=1')}\n" for i in range(1, 4)))
    from tests.pty_screen import Screen

    with Screen(["check", doc, "--db", tmp_path / "archive.db", "--allow-private", "--processes", "1", "--screenshot"],
                cwd=tmp_path) as screen:
        seen = screen.wait_for(r"^screenshot: ([0-2])/3 pages \(\d+%\)", timeout=120)
        assert screen.finish(timeout=120) == 0, "\n".join(screen.lines())
    shown = screen.lines()
    assert int(seen.group(1)) < 3
    assert not any(line.startswith("screenshot: ") and "/3 pages" in line for line in shown)  # erased
    assert "screenshot: 3 pages drawn, 0 failed" in shown


def test_the_browser_goes_through_the_proxy_with_its_credentials(browser_present, test_web, tmp_path, monkeypatch):
    """--proxy holds for the browser as for the checker: Chromium's requests reach the page through
    the proxy, answering its 407 with the proxy's user and password (given over CDP, not on
    Chromium's command line), and the password is in no output and no row."""
    from tests.zoo import ForwardProxy

    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    page = test_web.url(f"/page/{tmp_path.name}")
    (tmp_path / "notes.txt").write_text(f"1. {page}\n")
    with ForwardProxy(password="alice:Pr0xy-pw") as proxy:
        result = cli("check", "notes.txt", "--db", "archive.db", "--allow-private", "--processes", "1", "--screenshot",
                     "--proxy", f"http://alice:Pr0xy-pw@127.0.0.1:{proxy.port}")
        assert result.exit_code == 0, result.output
        seen = list(zip(proxy.log, proxy.auth, proxy.agents, strict=True))
    browser = [(auth, target) for (_, target), auth, agent in seen if agent and "HeadlessChrome" in agent]
    assert ("GET", page) in proxy.log and browser
    web = page.split("/")[2]
    # nothing else leaves the machine: no call home by Chromium (its updater's is sent to this machine's discard port)
    assert all(web in target or target.startswith("http://127.0.0.1:9/") for _, target in proxy.log), proxy.log
    assert (None, page) in browser  # asked first without credentials: the proxy's 407 ...
    assert (proxy.wanted, page) in browser  # ... answered with them: the page, through the proxy
    assert "screenshot: 1 page drawn, 0 failed" in result.stderr
    assert rows("archive.db", "SELECT count(*) FROM screenshots") == [(1,)]
    with sqlite3.connect("archive.db") as conn:
        conn.execute("VACUUM")
    assert "Pr0xy-pw" not in result.output and b"Pr0xy-pw" not in (tmp_path / "archive.db").read_bytes()


def test_proxy_flags_follow_the_checkers_proxy_and_no_proxy(monkeypatch):
    from archiver.network import Network
    from archiver.proof.browser import proxy_flags

    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "example.org,.intra.net,10.0.0.0/8,192.168.1.5,[::1]:8080")
    monkeypatch.delenv("no_proxy", raising=False)
    assert proxy_flags(Network()) == ([], None)  # no proxy anywhere: Chromium goes direct
    flags, auth = proxy_flags(Network(proxy="http://u%40x:p%3Aw@proxy.corp:3128"))
    assert flags == ["--proxy-server=http=http://proxy.corp:3128;https=http://proxy.corp:3128",
                     "--proxy-bypass-list=<-loopback>;example.org;*.example.org;intra.net;*.intra.net;10.0.0.0/8;"
                     "192.168.1.5;[::1]:8080"]
    assert auth == ("u@x", "p:w") and not any("p:w" in f or "p%3Aw" in f for f in flags)
    monkeypatch.setenv("https_proxy", "https://tls-proxy.example")
    flags, auth = proxy_flags(Network())
    assert flags[0] == "--proxy-server=https=https://tls-proxy.example:443" and auth is None


def test_a_page_whose_load_never_ends_is_drawn_as_it_stands(browser_present, test_web):
    """An image that answers after 8 s holds the load event: after the timeout (2 s here) the page
    is stopped and drawn with its text, and said to be drawn early, not failed."""
    late: list[str] = []

    async def go():
        async with chromium("chromium") as cdp:
            return await shoot(cdp, test_web.url("/hanging?delay=8"), allow_private=True, timeout=2, late=late)

    shot = asyncio.run(go())
    assert png_problems(shot.png) == [] and (shot.width, shot.height) == (WIDTH, HEIGHT)
    assert late == [test_web.url("/hanging?delay=8")]


def test_no_websocket_opens_unless_allow_private(browser_present, test_web, monkeypatch):
    """CDP's Fetch domain never pauses a WebSocket, so the guard cannot judge one: with the guard on,
    none opens. The page comes by a name only the proxy resolves (the guard lets it through, as the
    checker's does); its script's WebSocket to a loopback port never connects. With --allow-private
    the same page's WebSocket does: the test sees what it claims to block."""
    import socket
    import threading
    import time
    from urllib.parse import quote

    from archiver.network import Network
    from tests.zoo import ForwardProxy

    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: [accepted.append(listener.accept()[0]) for _ in iter(int, 1)], daemon=True).start()
    page = test_web.url(f"/websocket?to=127.0.0.1:{listener.getsockname()[1]}").replace("127.0.0.1", "pages.example", 1)

    # the same page in a cross-site frame: kept in the page's process, the refusal reaches it too
    framed = "data:text/html," + quote(f"<iframe src='{page.replace('pages.example', 'frames.example')}'></iframe>"
                                       f"<img src='{test_web.url('/slow?delay=1')}'>")

    async def go(allow_private: bool, url: str = page):
        async with chromium("chromium", network=Network(proxy=proxy.url)) as cdp:
            return await shoot(cdp, url, allow_private=allow_private)

    try:
        with ForwardProxy() as proxy:
            shot = asyncio.run(go(False))
            assert png_problems(shot.png) == [] and accepted == []
            asyncio.run(go(False, framed))
            time.sleep(0.5)
            assert accepted == [] and any("frames.example" in target for _, target in proxy.log)
            asyncio.run(go(True))
            deadline = time.monotonic() + 5
            while not accepted and time.monotonic() < deadline:
                time.sleep(0.05)
            assert accepted  # the same page, unguarded, did open it
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
