"""The outage guard against real DNS and real TLS, in a network namespace (tests/netns.py): lapsed
domains and refused certificates are the hosts' own answers, confirmed over spaced checks like any
dead verdict; a network that cannot be reached is an outage, and marks nothing."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.netns import World, need_namespaces

DOMAIN = "archiver-ns.net"
LIVE = [f"live-{i}.{DOMAIN}" for i in (1, 2)]
CANARY = f"canary.{DOMAIN}"


@pytest.fixture(scope="module", autouse=True)
def namespaces():
    need_namespaces()


def spec(bad: str, nameserver: str = "127.0.0.1", scheme: str = "http") -> dict:
    hosts = dict.fromkeys([*LIVE, CANARY], "live")
    hosts.update({f"{bad}-{i}.{DOMAIN}": bad for i in range(1, 9)})
    return {"nameserver": nameserver, "hosts": hosts, "scheme": scheme}


def check(world: World, tmp_path, *extra: str) -> tuple[int, dict, str]:
    doc = tmp_path / "notes.txt"
    if not doc.exists():
        cited = [url for host, url in world.urls.items() if host != CANARY]
        doc.write_text("".join(f"{n}. {url}\n" for n, url in enumerate(cited, 1)), encoding="utf-8")
    done = world.run("check", "notes.txt", "--db", "archive.db", "--allow-private", "--format", "json",
                     "--canary", world.urls[CANARY], *extra, cwd=tmp_path)
    return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr


def states(tmp_path) -> dict[str, tuple[str, str, int]]:
    """url -> (latest status, state, failures) from archive.db."""
    conn = sqlite3.connect(tmp_path / "archive.db")
    rows = conn.execute("select u.url, k.status, u.state, u.failures from urls u join checks k on k.url_id = u.id "
                        "where k.id = (select max(id) from checks where url_id = u.id)").fetchall()
    return {url: (status, state, failures) for url, status, state, failures in rows}


def confirmed_dead(world: World, tmp_path, bad: str, status: str, *extra: str) -> None:
    """Three runs a spacing apart: the bad hosts are failing, then dead; the live ones stay alive."""
    for run, state in enumerate(("failing", "failing", "dead"), 1):
        if run > 1:
            time.sleep(1.1)  # --confirm-spacing 1s: each run's failure counts
        code, payload, err = check(world, tmp_path, "--confirm-spacing", "1s", *extra)
        assert code == 1, (run, err)
        assert not payload["summary"]["network_unavailable"], err
        seen = states(tmp_path)
        bad_rows = {row for url, row in seen.items() if f"//{bad}-" in url}
        assert bad_rows == {(status, state, run)}, (run, seen)
        assert {row[:2] for url, row in seen.items() if "//live-" in url} == {("ok", "alive")}


def test_lapsed_domains_are_the_hosts_answer_not_an_outage(tmp_path) -> None:
    """2 live hosts and 8 whose names the resolver says do not exist (NXDOMAIN): dns-error, failing, then
    dead after the usual spaced checks; exit 1, not "network unavailable"."""
    with World(spec("gone")) as world:
        confirmed_dead(world, tmp_path, "gone", "dns-error")
        error = sqlite3.connect(tmp_path / "archive.db").execute(
            "select error from checks where status = 'dns-error' limit 1").fetchone()[0]
    assert error.startswith("no such host: ")


def test_lapsed_domains_without_a_canary_or_a_live_host_prove_nothing(tmp_path) -> None:
    """Only names the resolver denies and nothing else answering: a resolver that denies every name
    looks the same, so nothing is marked, and the message says how to tell them apart."""
    with World({"nameserver": "127.0.0.1", "hosts": {f"gone-{i}.{DOMAIN}": "gone" for i in range(1, 9)}}) as world:
        doc = tmp_path / "notes.txt"
        doc.write_text("".join(f"{n}. {url}\n" for n, url in enumerate(world.urls.values(), 1)), encoding="utf-8")
        done = world.run("check", "notes.txt", "--db", "archive.db", "--allow-private", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "the resolver said 8 of 8 host names do not exist and no host answered" in done.stderr
    assert "--canary" in done.stderr
    assert {row[1] for row in states(tmp_path).values()} == {"unchecked"}


def test_a_resolver_that_cannot_be_reached_is_an_outage(tmp_path) -> None:
    """The same document when the nameserver cannot be reached: exit 3, nothing marked."""
    with World(spec("gone", nameserver="192.0.2.53")) as world:
        code, payload, err = check(world, tmp_path)
        doc = tmp_path / "notes.txt"
        done = world.run("check", "notes.txt", "--db", "archive.db", "--allow-private", cwd=tmp_path)
    assert code == 3 and payload["summary"]["network_unavailable"], err
    assert f"canary http://{CANARY}" in err and "dns-error" in err
    assert done.returncode == 3 and "10 of 10 hosts could not be reached" in done.stderr, done.stderr
    assert {row[:2] for row in states(tmp_path).values()} == {("dns-error", "unchecked")}
    assert doc.exists()


def test_refused_certificates_are_the_hosts_answer_not_an_outage(tmp_path) -> None:
    """2 live HTTPS hosts and 8 whose certificates come from a CA nobody trusts: tls-error, failing,
    then dead; exit 1."""
    with World(spec("untrusted", scheme="https")) as world:
        confirmed_dead(world, tmp_path, "untrusted", "tls-error", "--ca-bundle", world.ca)
        error = sqlite3.connect(tmp_path / "archive.db").execute(
            "select error from checks where status = 'tls-error' limit 1").fetchone()[0]
    assert error.startswith("certificate refused: ") and "CERTIFICATE_VERIFY_FAILED" in error


def test_tls_failing_everywhere_names_the_proxy_and_the_remedy(tmp_path) -> None:
    """Every host and the canary fail TLS (a TLS-inspecting proxy whose CA is not trusted): exit 3,
    nothing marked, and the message names the cause and the remedy."""
    with World(spec("untrusted", scheme="https")) as world:
        code, _, err = check(world, tmp_path)
        doc = tmp_path / "notes.txt"
        without_canary = world.run("check", str(doc), "--db", "archive.db", "--allow-private", cwd=tmp_path)
    for message in (err, without_canary.stderr):
        assert "TLS failed on" in message and "TLS-inspecting proxy" in message
        assert "SSL_CERT_FILE or --ca-bundle" in message
    assert code == 3 and without_canary.returncode == 3
    assert "TLS failed on 10 of 10 hosts" in without_canary.stderr
    assert {row[:2] for row in states(tmp_path).values()} == {("tls-error", "unchecked")}
