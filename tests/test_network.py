"""Proxies and trust in every stage (archiver/network.py) and the private-address guard behind a proxy
(check/guard.py), against the zoo and the logging forward proxy on loopback (tests/zoo.py)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess

import httpx
import pytest

from archiver.check.fetch import FetchSettings, check_one, make_client
from archiver.models import CheckResult
from archiver.network import Network
from archiver.wayback.client import http_client
from tests.zoo import ForwardProxy, Zoo, private_ca

PAGE = b"<html><head><title>A page</title></head><body>" + b"words of the page " * 40 + b"</body></html>"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found"
GUARDED = FetchSettings(allow_private=False, probe_soft404=False, retries=0, read_timeout=5, total_timeout=15)


def check(url: str, settings: FetchSettings = GUARDED, resolver=None) -> CheckResult:
    async def go():
        async with make_client(settings) as client:
            return await check_one(client, url, settings, **({"resolver": resolver} if resolver else {}))

    return asyncio.run(go())


def answers(*addresses: str):
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


async def no_such_name(host: str, port: int) -> list[str]:
    """A network that resolves no names: only the proxy does."""
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


# -- the guard behind a proxy ------------------------------------------------------------------------

def test_a_name_that_resolves_to_a_private_address_never_reaches_the_proxy(monkeypatch) -> None:
    with Zoo() as zoo, ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        result = check(zoo.url(zoo.add("/", OK), host="rebound.example.org"), resolver=answers("10.0.0.7"))
        assert (result.status, proxy.log) == ("skipped", []), result.error
    assert "10.0.0.7" in result.error


def test_a_public_name_only_the_proxy_resolves_goes_through_it(monkeypatch) -> None:
    """A network with no DNS of its own, only the proxy's: curl and httpx send the name to the proxy, and
    so does the checker; the guard has no address to judge (docs/decisions/proxies.md)."""
    with Zoo() as zoo, ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        url = zoo.url(zoo.add("/news", OK), host="news.example.org")
        result = check(url, resolver=no_such_name)
        assert (result.status, proxy.log) == ("ok", [("GET", url)]), result.error


@pytest.mark.parametrize("host", ["intranet", "wiki.corp", "printer.local", "nas.home.arpa", "build.internal",
                                  "db.localhost", "router.lan", "intranet."])
def test_a_local_name_only_the_proxy_resolves_is_refused(monkeypatch, host: str) -> None:
    """A name only a private network resolves would reach that network through the proxy: refused unless
    --allow-private, as a private address is."""
    with Zoo() as zoo, ForwardProxy() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        url = zoo.url(zoo.add("/", OK), host=host)
        refused = check(url, resolver=no_such_name)
        assert (refused.status, proxy.log) == ("skipped", []), refused.error
        allowed = check(url, FetchSettings(**{**GUARDED.__dict__, "allow_private": True}), resolver=no_such_name)
        assert (allowed.status, proxy.log) == ("ok", [("GET", url)]), allowed.error
    assert "--allow-private" in refused.error and host in refused.error


def test_without_a_proxy_a_name_that_does_not_resolve_is_a_dns_error() -> None:
    result = check("http://intranet/", resolver=no_such_name)
    assert result.status == "dns-error", result.error


# -- NO_PROXY with the proxy option, and the probe ---------------------------------------------------

@pytest.mark.parametrize("no_proxy", [".example.test", "10.0.0.0/8,127.0.0.0/8", "{host}:{port}"])
def test_no_proxy_holds_for_the_proxy_option_too(monkeypatch, no_proxy: str) -> None:
    with Zoo() as zoo, ForwardProxy() as proxy:
        host = "127.0.0.1" if "example" not in no_proxy else "www.example.test"
        monkeypatch.setenv("NO_PROXY", no_proxy.format(host=host, port=zoo.port))
        settings = FetchSettings(**{**GUARDED.__dict__, "allow_private": True, "network": Network(proxy=proxy.url)})
        direct = check(zoo.url(zoo.add("/direct", OK), host=host), settings, resolver=answers("127.0.0.1"))
        proxied = check(zoo.url("/direct", host="elsewhere.test"), settings, resolver=answers("127.0.0.1"))
        assert (direct.status, proxied.status) == ("ok", "ok"), (direct.error, proxied.error)
        assert proxy.log == [("GET", zoo.url("/direct", host="elsewhere.test"))]


def test_the_soft_404_probe_goes_through_the_proxy_as_the_page_does(monkeypatch) -> None:
    with Zoo() as zoo, ForwardProxy() as proxy:
        zoo.default = NOT_FOUND
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        url = zoo.url(zoo.add("/cited", OK), host="site.example.org")
        result = check(url, FetchSettings(**{**GUARDED.__dict__, "probe_soft404": True}), resolver=answers("93.184.216.34"))
        logged = sorted(proxy.log)
    assert result.status == "ok", result.error
    origin = zoo.url("", host="site.example.org")
    assert len(logged) == 2 and ("GET", url) in logged, logged
    assert all(method == "GET" and target.startswith(origin) for method, target in logged), logged  # the probe too


# -- trust in every stage ----------------------------------------------------------------------------

def _hashed_dir(tmp_path, pem) -> str:
    """A directory of CAs as SSL_CERT_DIR wants it: the PEM under its subject hash (openssl rehash)."""
    tool = shutil.which("openssl")
    if tool is None:
        pytest.skip("openssl is not installed (needed to hash a CA directory)")
    where = tmp_path / "certs"
    where.mkdir()
    shutil.copy(pem, where / "private-ca.pem")
    subprocess.run([tool, "rehash", str(where)], check=True, capture_output=True)
    return str(where)


@pytest.mark.parametrize("how", ["SSL_CERT_FILE", "SSL_CERT_DIR", "ca_bundle"])
def test_a_private_ca_is_trusted_by_check_and_by_the_archive_stage(tmp_path, monkeypatch, how: str) -> None:
    """The checker (aiohttp) and the archive stage's client (httpx, wayback/client.py, also the captures'
    lookups) take their trust from one place: a private CA given either way is trusted by both."""
    pem, server = private_ca(tmp_path)
    with Zoo(server) as zoo:
        url = zoo.url(zoo.add("/tls", OK), host="localhost")
        settings = FetchSettings(**{**GUARDED.__dict__, "allow_private": True})
        before = check(url, settings)
        network = Network()
        if how == "ca_bundle":
            network = Network(ca_bundle=str(pem))
        else:
            monkeypatch.setenv(how, str(pem) if how == "SSL_CERT_FILE" else _hashed_dir(tmp_path, pem))
        checked = check(url, FetchSettings(**{**settings.__dict__, "network": network}))

        async def archive_stage() -> int:
            async with http_client(url, httpx.Timeout(10), network) as client:
                return (await client.get(url)).status_code

        archived = asyncio.run(archive_stage())
    assert before.status == "tls-error"
    assert (checked.status, archived) == ("ok", 200), checked.error


def test_a_proxy_that_refuses_never_shows_its_password_in_any_stage(tmp_path, monkeypatch) -> None:
    """A proxy that cannot be reached fails the check (naming the proxy) and the archive stage's lookup;
    the password in its URL is in neither's output nor in the database."""
    import sqlite3

    from click.testing import CliRunner

    from archiver.cli.main import main
    from tests.fakewayback import FakeWayback

    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        dead = f"http://editor:s3cret-pw@127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archiver.toml").write_text("poll_interval = 0.05\ncdx_per_minute = 6000\n", encoding="utf-8")
    with Zoo() as zoo, FakeWayback() as wayback:
        (tmp_path / "notes.txt").write_text(f"1. {zoo.url(zoo.add('/cited', OK))}\n", encoding="utf-8")
        checked = CliRunner().invoke(main, ["check", "notes.txt", "--db", "a.db", "--allow-private", "--proxy", dead],
                                     catch_exceptions=False)
        archived = CliRunner().invoke(main, ["archive", "notes.txt", "--db", "a.db", "--wayback-url", wayback.base_url,
                                             "--proxy", dead], catch_exceptions=False)
    assert "the proxy failed" in checked.stdout and "CDX lookup failed" in archived.stdout
    dump = "\n".join(sqlite3.connect(tmp_path / "a.db").iterdump())
    for text in (dump, checked.stdout, checked.stderr, archived.stdout, archived.stderr):
        assert "s3cret" not in text


def test_archiver_toml_proxy_and_ca_bundle_hold_in_worker_processes(tmp_path, monkeypatch) -> None:
    """`proxy` and `ca_bundle` in archiver.toml, a check split between 2 worker processes (6 URLs on two
    hosts; check/run.py uses workers only for more URLs than processes): every https
    URL goes through the proxy by CONNECT with its credentials, the private CA is trusted in each
    process, and the password is in no output and not in the database."""
    import sqlite3

    from click.testing import CliRunner

    from archiver.cli.main import main

    pem, server = private_ca(tmp_path, "localhost", "127.0.0.1")
    monkeypatch.chdir(tmp_path)
    with Zoo(server) as zoo, ForwardProxy() as proxy:
        urls = [zoo.url(zoo.add(f"/{n}", OK), host=host) for n in range(3) for host in ("localhost", "127.0.0.1")]
        (tmp_path / "notes.txt").write_text("".join(f"{n}. {u}\n" for n, u in enumerate(urls, 1)), encoding="utf-8")
        (tmp_path / "archiver.toml").write_text(
            f'proxy = "{proxy.url.replace("http://", "http://editor:s3cret-pw@")}"\nca_bundle = "{pem}"\n', encoding="utf-8")
        done = CliRunner().invoke(main, ["check", "notes.txt", "--db", "a.db", "--allow-private", "--processes", "2",
                                         "--format", "json"], catch_exceptions=False)
        log, auth = set(proxy.log), set(proxy.auth)
    assert done.exit_code == 0, done.stderr
    assert log == {("CONNECT", f"{host}:{zoo.port}") for host in ("localhost", "127.0.0.1")}, log
    assert auth == {"Basic ZWRpdG9yOnMzY3JldC1wdw=="}
    rows = sqlite3.connect(tmp_path / "a.db").execute("select status from checks").fetchall()
    assert rows == [("ok",)] * 6
    dump = "\n".join(sqlite3.connect(tmp_path / "a.db").iterdump())
    for text in (dump, done.stdout, done.stderr):
        assert "s3cret" not in text


# -- the proxy's own answers ---------------------------------------------------------------------------

def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" % status


@pytest.mark.parametrize(("scheme", "status", "alive"), [
    ("http", b"407 Proxy Authentication Required", None), ("https", b"407 Proxy Authentication Required", None),
    ("https", b"403 Forbidden", None),  # the proxy's rules refuse the CONNECT: nothing about the page
    ("https", b"502 Bad Gateway", False),  # the proxy could not reach the host: as a refused connection
])
def test_a_proxy_that_refuses_is_not_the_page_answering(tmp_path, scheme: str, status: bytes, alive) -> None:
    """A 407 (credentials wanted, none given) or a CONNECT refused by the proxy's rules is the proxy
    speaking: the check cannot tell (alive null, never dead) and says what the proxy wants; the page is
    never asked."""
    pem, server = private_ca(tmp_path)
    wants = {"password": "editor:pw"} if b"407" in status else {"refuse": _answer(status)}
    with Zoo(server if scheme == "https" else None) as zoo, ForwardProxy(**wants) as proxy:
        url = zoo.url(zoo.add("/page", OK), host="localhost")
        settings = FetchSettings(**{**GUARDED.__dict__, "allow_private": True,
                                    "network": Network(proxy=proxy.url, ca_bundle=str(pem))})
        result = check(url, settings)
        assert (len(proxy.log), zoo.heads) == (1, [])
    assert (result.status, result.alive, result.transport_failure) == ("connection-error", alive, True), result.error
    if alive is None:
        assert result.error.startswith(f"the proxy refused: HTTP {status.decode()}"), result.error
    if b"407" in status:
        assert "http://user:password@host:port" in result.error


def test_a_run_whose_proxy_wants_credentials_says_so_and_marks_nothing(tmp_path) -> None:
    """Every request answered 407: exit 3, the message names the proxy's answer and the remedy, and every
    check is held back as inconclusive; with a canary, the canary's failure says the same."""
    import sqlite3

    from click.testing import CliRunner

    from archiver.cli.main import main

    with Zoo() as zoo, ForwardProxy(password="editor:pw") as proxy:
        urls = [zoo.url(zoo.add("/page", OK), host=f"site{i}.example.org") for i in range(4)]
        (tmp_path / "notes.txt").write_text("".join(f"{n}. {u}\n" for n, u in enumerate(urls, 1)), encoding="utf-8")
        args = ["check", str(tmp_path / "notes.txt"), "--db", str(tmp_path / "a.db"), "--proxy", proxy.url]
        done = CliRunner().invoke(main, args, catch_exceptions=False)
        rows = sqlite3.connect(tmp_path / "a.db").execute("select status, inconclusive from checks").fetchall()
        canary = CliRunner().invoke(main, [*args, "--canary", zoo.url("/", host="canary.example.org")],
                                    catch_exceptions=False)
    assert (done.exit_code, canary.exit_code) == (3, 3), (done.stderr, canary.stderr)
    for said in (done.stderr, canary.stderr):
        assert "the proxy refused" in said and "407 Proxy Authentication Required" in said, said
    assert rows == [("connection-error", 1)] * 4


class _TlsProxy(ForwardProxy):
    """The logging proxy spoken to over TLS (an https:// proxy URL), its certificate from the test's CA."""

    def __init__(self, context) -> None:
        super().__init__()
        self._context = context

    def _ssl(self):
        return self._context


def test_an_https_proxy_with_a_private_ca_carries_every_stage(tmp_path) -> None:
    """An https:// proxy whose certificate the private CA issued: the checker (aiohttp), the archive
    stage's client and the captures' clients (httpx) all check the proxy's certificate against the CA
    given, not certifi's, and send it the credentials in its URL."""
    from archiver.captures.stage import Clients

    pem, server = private_ca(tmp_path, "localhost", "127.0.0.1")
    with Zoo() as zoo, Zoo(server) as tls, _TlsProxy(server) as proxy:
        network = Network(proxy=f"https://editor:s3cret-pw@localhost:{proxy.port}", ca_bundle=str(pem))
        plain, secure = zoo.url(zoo.add("/p", OK)), tls.url(tls.add("/s", OK), host="localhost")
        settings = FetchSettings(**{**GUARDED.__dict__, "allow_private": True, "network": network})
        checked = [check(url, settings).status for url in (plain, secure)]

        async def httpx_stages() -> list[int]:
            codes = []
            for url in (plain, secure):
                async with http_client(url, httpx.Timeout(10), network) as client:
                    codes.append((await client.get(url)).status_code)
            clients = Clients(network, httpx.Timeout(10))
            try:
                codes.append((await clients(secure).get(secure)).status_code)
            finally:
                await clients.aclose()
            return codes

        fetched = asyncio.run(httpx_stages())
        log, auth = list(proxy.log), set(proxy.auth)
    assert (checked, fetched) == (["ok", "ok"], [200, 200, 200])
    assert log.count(("GET", plain)) == 2 and log.count(("CONNECT", f"localhost:{tls.port}")) == 3, log
    assert auth == {"Basic ZWRpdG9yOnMzY3JldC1wdw=="}


@pytest.mark.parametrize(("no_proxy", "url", "direct"), [
    ("::1", "http://[::1]:8080/", True), ("[::1]:8080", "http://[::1]:8080/", True),
    ("[::1]:9090", "http://[::1]:8080/", False), ("fd00::/8", "http://[fd12::5]/", True),
    ("fd00::/8", "http://[2001:db8::1]/", False), ("10.0.0.0/8", "http://10.1.2.3/", True),
    ("example.test:8080", "http://www.example.test:8080/", True), ("example.test:8080", "http://www.example.test/", False),
    ("example.test:80", "http://example.test/", True),  # the scheme's port when the URL names none, as curl
    ("example.test:443", "https://example.test/", True), ("EXAMPLE.test", "http://Www.Example.Test/", True),
    (".example.test", "http://example.test/", True), ("example.test", "http://badexample.test/", False),
    (" a.org , b.org ", "http://b.org/", True), ("", "http://b.org/", False),
])
def test_no_proxy_forms_as_curl_reads_them(monkeypatch, no_proxy: str, url: str, direct: bool) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert Network().proxy_for(url) == (None if direct else "http://proxy.example:3128")
