"""IPv6 as users have it, against a real resolver (tests/netns.py: a network namespace whose DNS server
answers A and AAAA records): a host with both is reached on the family that answers, whichever it is,
an IPv6 literal is checked, and the private-address guard judges every address of both families."""

from __future__ import annotations

import sqlite3

import pytest

from tests.netns import World, need_namespaces

DOMAIN = "archiver-ns.net"
PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"
SPEC = {
    "nameserver": "127.0.0.1",
    "scheme": "http",
    "hosts": {f"v6-serves.{DOMAIN}": "live6", f"v4-serves.{DOMAIN}": "live", f"canary.{DOMAIN}": "live",
              f"private-aaaa.{DOMAIN}": "gone", f"private-a.{DOMAIN}": "gone"},
    "addresses": {
        f"v6-serves.{DOMAIN}": ["127.0.0.1", "::1"],  # A has no server: the AAAA answers
        f"v4-serves.{DOMAIN}": ["127.0.0.1", "::1"],  # AAAA has no server: the A answers
        f"private-aaaa.{DOMAIN}": [PUBLIC_V4, "::1"],
        f"private-a.{DOMAIN}": ["127.0.0.1", PUBLIC_V6],
    },
}


@pytest.fixture(scope="module")
def world():
    need_namespaces()
    with World(SPEC) as world:
        yield world


def checked(world: World, tmp_path, urls: list[str], *extra: str, code: int = 0) -> dict[str, tuple[str, str | None]]:
    """url -> (status, error) of one `archiver check` run inside the world, which exits `code`."""
    (tmp_path / "notes.txt").write_text("".join(f"{n}. {url}\n" for n, url in enumerate(urls, 1)), encoding="utf-8")
    done = world.run("check", "notes.txt", "--db", "archive.db", "--canary", world.urls[f"canary.{DOMAIN}"], *extra,
                     cwd=tmp_path)
    assert done.returncode == code, done.stderr
    rows = sqlite3.connect(tmp_path / "archive.db").execute(
        "select u.url, k.status, k.error from urls u join checks k on k.url_id = u.id").fetchall()
    return {url: (status, error) for url, status, error in rows}


def test_a_host_with_a_and_aaaa_is_reached_on_the_family_that_answers(world, tmp_path) -> None:
    v6, v4 = world.urls[f"v6-serves.{DOMAIN}"], world.urls[f"v4-serves.{DOMAIN}"]
    port = v6.split(":")[2].split("/")[0]
    literal = f"http://[::1]:{port}/report.html"
    seen = checked(world, tmp_path, [v6, v4, literal], "--allow-private")
    assert {url: status for url, (status, _) in seen.items()} == {v6: "ok", v4: "ok", literal: "ok"}, seen


def test_the_guard_judges_both_families_of_a_host(world, tmp_path) -> None:
    """One private address among a host's A and AAAA records refuses the host, whichever family it is in,
    before any connection; so does an IPv6 literal on loopback."""
    aaaa, a = world.urls[f"private-aaaa.{DOMAIN}"], world.urls[f"private-a.{DOMAIN}"]
    literal, mapped = "http://[::1]/report.html", "http://[::ffff:127.0.0.1]/report.html"
    seen = checked(world, tmp_path, [aaaa, a, literal, mapped], code=3)  # nothing could be fetched: said, exit 3
    assert {url: status for url, (status, _) in seen.items()} == dict.fromkeys([aaaa, a, literal, mapped], "skipped")
    assert "refused private address ::1" in seen[aaaa][1] and "refused private address 127.0.0.1" in seen[a][1]
    assert "--allow-private" in seen[literal][1] and "--allow-private" in seen[mapped][1]
