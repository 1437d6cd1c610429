"""Headless Chromium driven over the DevTools protocol (CDP), for full-page screenshots.

The distribution's `chromium` is started with `--remote-debugging-port=0`; the WebSocket address it
prints is opened with aiohttp (already the checker's HTTP library), and CDP's JSON commands are
sent over it. Why not Playwright or pyppeteer: docs/decisions/screenshots.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

from ..errors import ConfigError
from ..network import Network

_LISTENING = re.compile(rb"DevTools listening on (ws://\S+)")
MISSING = ("screenshots need Chromium, and {exe!r} was not found: install the distribution's package "
           "(apt-get install chromium) or name the browser with the chromium setting")


def proxy_flags(network: Network) -> tuple[list[str], tuple[str, str] | None]:
    """Chromium's flags for the proxy every other stage uses (--proxy, or the environment's) and NO_PROXY,
    and the proxy's (user, password): never on the command line (any user's `ps` shows it), they
    answer the proxy's 407 over CDP (Fetch.authRequired). Loopback goes through the proxy too, as
    it does for the checker (Chromium sends it direct by default)."""
    rules, auth = [], None
    for scheme, default_port in (("http", 80), ("https", 443)):
        proxy = network.proxy_for(f"{scheme}://proxy-probe.invalid/")
        if not proxy:
            continue
        parts = urlsplit(proxy)
        where = parts.netloc.rpartition("@")[2]
        rules.append(f"{scheme}={parts.scheme}://{where if parts.port else f'{where}:{default_port}'}")
        if parts.username is not None:
            auth = (unquote(parts.username), unquote(parts.password or ""))
    if not rules:
        return [], None
    bypass = ["<-loopback>"]
    for entry in network.no_proxy():
        bypass += _bypass_rules(entry)
    return [f"--proxy-server={';'.join(rules)}", f"--proxy-bypass-list={';'.join(bypass)}"], auth


def _bypass_rules(entry: str) -> list[str]:
    """A NO_PROXY entry as Chromium's bypass rules: a domain (with or without its leading dot, as
    curl reads it) covers itself and its subdomains; an address, a network, an IPv6 literal as given."""
    name = entry.lstrip(".")
    if "/" in name or name.count(":") > 1 or name.startswith("[") or name.replace(".", "").replace(":", "").isdigit():
        return [name]
    return [name, f"*.{name}"]


class CdpError(Exception):
    """A CDP command failed, or the browser went away."""


def find_chromium(exe: str) -> str:
    path = shutil.which(exe) or (shutil.which("chromium-browser") if exe == "chromium" else None)
    if not path:
        raise ConfigError(MISSING.format(exe=exe))
    return path


def _flags(profile: str) -> list[str]:
    flags = ["--headless", "--disable-gpu", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
             "--hide-scrollbars", "--mute-audio",
             # nothing the page did not ask for: no time, update, sign-in, safe-browsing or metrics calls
             "--disable-features=Translate,MediaRouter,OptimizationHints,NetworkTimeServiceQuerying,"
             "CertificateTransparencyComponentUpdater,AutofillServerCommunication,DialMediaRouteProvider,"
             # every frame in the page's own process, so the guard's Fetch and its script reach them all
             "IsolateOrigins,site-per-process", "--disable-site-isolation-trials",
             "--no-pings", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
             "--disable-default-apps", "--disable-component-extensions-with-background-pages",
             "--disable-field-trial-config", "--disable-breakpad", "--metrics-recording-only",
             "--safebrowsing-disable-auto-update", "--password-store=basic", "--use-mock-keychain",
             "--disable-search-engine-choice-screen",
             # Chromium 156 asked update.googleapis.com and accounts.google.com at start even so: their
             # addresses point at the discard port of this machine (seen through the test proxy)
             "--component-updater=url-source=http://127.0.0.1:9/", "--gaia-url=http://127.0.0.1:9/",
             # no UDP outside a proxy: WebRTC would otherwise reach addresses the guard never sees
             "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Chromium refuses root without it (containers, CI)
        flags.append("--no-sandbox")
    return flags


class Cdp:
    """One WebSocket to the browser; commands by id, events handed to the listeners of a session."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}
        self.listeners: dict[str, Callable[[str, dict], Awaitable[None] | None]] = {}  # session id -> listener
        self.proxy_auth: tuple[str, str] | None = None  # the proxy's (user, password), for its 407
        self.proxied = False  # requests go through a proxy, which resolves names itself
        self.reader = asyncio.ensure_future(self._read())

    async def send(self, method: str, params: dict | None = None, session: str | None = None,
                   timeout: float = 60.0) -> dict:
        if self.reader.done():
            raise CdpError("the browser closed its DevTools connection")
        msg_id = next(self.ids)
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = done
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        try:
            return await asyncio.wait_for(done, timeout)
        except TimeoutError:
            raise CdpError(f"{method}: no answer within {timeout:g} s") from None
        finally:
            self.pending.pop(msg_id, None)

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if "id" in data:
                    done = self.pending.get(data["id"])
                    if done and not done.done():
                        if "error" in data:
                            done.set_exception(CdpError(data["error"].get("message", "error")))
                        else:
                            done.set_result(data.get("result", {}))
                elif (listener := self.listeners.get(data.get("sessionId", ""))) is not None:
                    result = listener(data.get("method", ""), data.get("params", {}))
                    if result is not None:
                        asyncio.ensure_future(result)
        finally:
            for done in self.pending.values():
                if not done.done():
                    done.set_exception(CdpError("the browser closed its DevTools connection"))


@contextlib.asynccontextmanager
async def chromium(exe: str, *, network: Network | None = None, start_timeout: float = 30.0) -> AsyncIterator[Cdp]:
    """A headless Chromium of its own profile, through `network`'s proxy, and the CDP connection to
    it; stopped on exit."""
    path = find_chromium(exe)
    proxy, auth = proxy_flags(network or Network())
    with tempfile.TemporaryDirectory(prefix="archiver-chromium-") as profile:
        proc = await asyncio.create_subprocess_exec(path, *_flags(profile), *proxy, "about:blank",
                                                    stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                                                    env={**os.environ, "HOME": profile})
        try:
            url = await asyncio.wait_for(_devtools_url(proc), start_timeout)
            async with aiohttp.ClientSession(trust_env=False) as http, \
                    http.ws_connect(url, max_msg_size=0, autoping=True) as ws:
                cdp = Cdp(ws)
                cdp.proxy_auth, cdp.proxied = auth, bool(proxy)
                try:
                    yield cdp
                finally:
                    cdp.reader.cancel()
        except TimeoutError:
            raise ConfigError(f"{path} did not start within {start_timeout:g} s") from None
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def _devtools_url(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    seen = b""
    while line := await proc.stderr.readline():
        seen += line
        if m := _LISTENING.search(line):
            # keep draining stderr so the browser never blocks on a full pipe
            asyncio.ensure_future(_drain(proc.stderr))
            return m.group(1).decode()
    raise ConfigError(f"Chromium exited before it started: {seen.decode(errors='replace')[-500:].strip()}")


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(1 << 16):
        pass
