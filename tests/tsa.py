"""A loopback RFC 3161 time-stamping authority built with the real `openssl ts -reply`.

A CA and a TSA certificate (critical extendedKeyUsage timeStamping) are made with `openssl` in a
temporary folder; each POST's body is handed to `openssl ts -reply` and its answer sent back as
application/timestamp-reply. `openssl ts -verify` checks tokens against the same CA in the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CONFIG = """
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

TSA_EXT = """
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
"""


def need_openssl() -> None:
    """Skip with the reason when openssl is missing; under CI (CI=true, .ci/run installs it) fail instead."""
    if not shutil.which("openssl"):
        reason = "openssl is not installed: apt-get install -y openssl (.ci/run does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def openssl(*args: str, cwd: Path, data: bytes | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("openssl")
    assert exe, "openssl is not installed"
    return subprocess.run([exe, *args], cwd=cwd, input=data, capture_output=True, timeout=60)


def make_authority(folder: Path) -> Path:
    """CA and TSA keys and certificates, the `openssl ts` config; the CA's PEM path."""
    folder.mkdir(parents=True, exist_ok=True)
    run = [
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3",
         "-subj", "/CN=archiver test root CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=archiver test TSA"],
        ["x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.pem",
         "-days", "2", "-extfile", "tsa.ext"],
    ]
    (folder / "tsa.ext").write_text(TSA_EXT)
    for args in run:
        proc = openssl(*args, cwd=folder)
        assert proc.returncode == 0, proc.stderr.decode()
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(CONFIG.format(dir=folder))
    return folder / "ca.pem"


class Authority:
    """The TSA on 127.0.0.1: `url`, `ca` (the root to verify with), `requests` answered, `last`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ca = make_authority(folder)
        self.requests = 0
        self.last: tuple[str, str | None] = ("", None)  # the last request's path and Authorization
        self.lock = threading.Lock()
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with authority.lock:
                    authority.requests += 1
                    authority.last = (self.path, self.headers.get("Authorization"))
                    reply = authority.reply(query)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reply(self, query: bytes) -> bytes:
        (self.folder / "q.tsq").write_bytes(query)
        proc = openssl("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq", "-out", "r.tsr", cwd=self.folder)
        assert proc.returncode == 0, proc.stderr.decode()
        return (self.folder / "r.tsr").read_bytes()

    def openssl_verify(self, token: bytes, sha256_hex: str) -> subprocess.CompletedProcess:
        """`openssl ts -verify` of a stored TimeStampResp over a digest, against the test CA."""
        path = self.folder / f"verify-{sha256_hex[:12]}.tsr"
        path.write_bytes(token)
        return openssl("ts", "-verify", "-in", str(path), "-digest", sha256_hex, "-CAfile", str(self.ca),
                       cwd=self.folder)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
