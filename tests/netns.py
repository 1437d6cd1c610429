"""A small world in a network namespace of its own: a DNS resolver, web servers, and nothing else.

`World(spec)` starts `python -m tests.netns SPEC` under `unshare --net --mount`: inside, loopback is
brought up, /etc/resolv.conf is replaced (for this mount namespace only) by one naming the spec's
nameserver, and the world serves:

- a DNS server on 127.0.0.1:53 (dnslib) answering A 127.0.0.1 for every host that has a web server
  (or the A and AAAA records the spec's "addresses" give a name) and NXDOMAIN for every other name,
  as a real resolver answers for a domain that has lapsed;
- a web server per host (tests/zoo.py), plain or TLS: "live" hosts with certificates from a CA the
  test can trust (its PEM at `world.ca`), "untrusted" hosts with certificates from another CA;
  "live6" hosts are served on ::1 only.

`world.run(*args)` runs archiver inside the same namespaces (nsenter), so its lookups are real
getaddrinfo calls answered by that server. Nothing leaves the namespace: it has no interface but lo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE = b"<html><head><title>Annual report</title></head><body><p>" + b"The report in full. " * 40 + b"</p></body></html>"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE)


def unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None."""
    for tool in ("unshare", "nsenter", "ip", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["unshare", *_unshare_flags(), "ip", "link", "set", "lo", "up"], capture_output=True,
                           text=True)
    if probe.returncode:
        return f"cannot make a network namespace: {probe.stderr.strip()}"
    return None


def need_namespaces() -> None:
    """Skip the calling test (with a printed reason) where namespaces cannot be made; under CI, fail."""
    import pytest

    why = unavailable()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"network namespaces are needed under CI: {why}")
        print(f"skipped: {why}")
        pytest.skip(why)


def _unshare_flags() -> list[str]:
    return ["--net", "--mount"] + ([] if os.geteuid() == 0 else ["--map-root-user"])


class World:
    """`with World(spec) as world:` the world runs; spec: {"nameserver": address, "hosts": {name: kind},
    "scheme": "http" or "https", "addresses": {name: [IPv4 and IPv6 addresses]} (optional)}, kind
    "live", "live6" (on ::1), "untrusted" or "gone" (no server; still answered from "addresses")."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec

    def __enter__(self) -> World:
        self.proc = subprocess.Popen([shutil.which("unshare"), *_unshare_flags(), sys.executable, "-m", "tests.netns",
                                      json.dumps(self.spec)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            self.proc.stdout.close()
            raise RuntimeError(f"the world did not start (exit {self.proc.returncode})")
        ready = json.loads(line)
        self.urls: dict[str, str] = ready["urls"]
        self.ca: str = ready["ca"]
        return self

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        """archiver ARGS inside the world (its network and its resolv.conf)."""
        user = [] if os.geteuid() == 0 else ["-U", "--preserve-credentials"]
        enter = ["nsenter", "-t", str(self.proc.pid), "-n", "-m", *user, f"--wd={cwd}"]
        return subprocess.run([*enter, sys.executable, "-m", "archiver", *args], cwd=cwd, capture_output=True,
                              text=True, timeout=300)

    def __exit__(self, *exc: object) -> None:
        self.proc.stdin.close()  # the world ends when its input does
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc.stdout.close()


def _serve_dns(records: dict[str, list[str]]):
    from dnslib import AAAA, QTYPE, RCODE, RR, A
    from dnslib.server import BaseResolver, DNSLogger, DNSServer

    class Resolver(BaseResolver):
        def resolve(self, request, handler):
            reply = request.reply()
            name = str(request.q.qname).rstrip(".").lower()
            if name not in records:
                reply.header.rcode = RCODE.NXDOMAIN  # the name does not exist
            for address in records.get(name, []):
                kind, rdata = (QTYPE.AAAA, AAAA(address)) if ":" in address else (QTYPE.A, A(address))
                if request.q.qtype in (kind, QTYPE.ANY):
                    reply.add_answer(RR(request.q.qname, kind, rdata=rdata, ttl=60))
            return reply  # a name that exists without records of the type asked: NOERROR, no answer

    quiet = DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)
    servers = [DNSServer(Resolver(), address="127.0.0.1", port=53, tcp=tcp, logger=quiet) for tcp in (False, True)]
    for server in servers:
        server.start_thread()
    return servers


def _contexts(names: list[str], where: Path):
    import ssl

    import trustme

    trusted, other = trustme.CA(), trustme.CA()
    trusted.cert_pem.write_to_path(str(where / "ca.pem"))
    contexts = {}
    for kind, ca in (("live", trusted), ("untrusted", other)):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names).configure_cert(ctx)
        contexts[kind] = ctx
    contexts["live6"] = contexts["live"]
    return contexts


def main(spec: dict) -> None:
    from tests.zoo import Zoo

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    where = Path(tempfile.mkdtemp(prefix="world-"))
    (where / "resolv.conf").write_text(f"nameserver {spec['nameserver']}\noptions timeout:1 attempts:1\n")
    subprocess.run(["mount", "--bind", str(where / "resolv.conf"), "/etc/resolv.conf"], check=True)
    hosts: dict[str, str] = spec["hosts"]
    served = [name for name, kind in hosts.items() if kind != "gone"]
    tls = spec.get("scheme") == "https"
    contexts = _contexts(served, where) if tls else {}
    records = {**dict.fromkeys(served, ["127.0.0.1"]), **spec.get("addresses", {})}
    dns = _serve_dns(records) if spec["nameserver"] == "127.0.0.1" else []
    zoos, urls = [], {}
    for name, kind in hosts.items():
        if kind == "gone":
            urls[name] = f"{spec.get('scheme', 'http')}://{name}/report.html"
            continue
        zoo = Zoo(contexts.get(kind))
        if kind == "live6":
            zoo.bind = "::1"
        zoo.__enter__()
        zoo.add("/report.html", OK)
        zoos.append(zoo)
        urls[name] = zoo.url("/report.html", host=name)
    print(json.dumps({"urls": urls, "ca": str(where / "ca.pem")}), flush=True)
    sys.stdin.read()  # until the test is done
    for zoo in zoos:
        zoo.__exit__(None, None, None)
    for server in dns:
        server.stop()
    shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
