"""The screenshot stage: a full-page PNG of each live cited page, as headless Chromium draws it.

A URL is due when it was alive at its last check and has no screenshot since its current snapshot
(a page that did not change is not drawn again). One page at a time, in one browser per stage.

The private-address guard holds for the browser too: unless allow_private, every request the page
makes (the page itself, its images, scripts, frames) is paused by CDP's Fetch domain, its host
resolved, and refused when any address is private, as the checker refuses it (check/addresses.py).
What this cannot stop is said in docs/proof.md: Chromium resolves names again itself (DNS
rebinding between the two lookups).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..check.addresses import is_private
from ..check.guard import local_name, system_resolver
from ..clock import iso, utcnow
from ..models import Screenshot
from ..network import Network
from ..store import ArchiveStore
from .browser import Cdp, CdpError, chromium

WIDTH, HEIGHT = 1280, 800  # the window: a common laptop's
MAX_HEIGHT = 16384  # taller pages are cut here (Chromium's largest texture)
THUMB_SCALE = 0.25  # the report's thumbnail: the first screen at a quarter size, as JPEG
GUARD = 3  # pages in a row the browser failed before the stage stops


# run in every frame before the page's own scripts: WebSocket and WebTransport refuse to be made
NO_WEBSOCKET = """(() => {
  const refuse = function () { throw new DOMException("refused by archiver's private-address guard", "SecurityError"); };
  for (const name of ["WebSocket", "WebTransport"]) {
    Object.defineProperty(globalThis, name, {value: refuse, writable: false, configurable: false});
  }
})();"""


class ShotFailed(Exception):
    pass


@dataclass
class ShotReport:
    todo: int = 0
    taken: int = 0
    failed: list[str] = field(default_factory=list)  # "url: why"
    late: list[str] = field(default_factory=list)  # drawn before their load event came (timeout)
    outage: str | None = None  # why the stage stopped early
    dry_run: bool = False

    def summary(self) -> dict:
        return {"todo": self.todo, "taken": self.taken, "failed": len(self.failed), "late": len(self.late),
                "outage": self.outage,
                "dry_run": self.dry_run}


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, which the format fixes at bytes 16-24."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ShotFailed("the browser's screenshot is not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def refused(url: str, proxied: bool = False) -> str | None:
    """Why the browser may not fetch `url` (a private address, or not HTTP(S)); None when it may.
    Through a proxy a name archiver cannot resolve goes to the proxy, as the checker's does, unless
    only a local network could resolve it (check/guard.py)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None if parts.scheme in ("data", "blob", "about") else f"scheme {parts.scheme!r}"
    host = (parts.hostname or "").strip("[]")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = await system_resolver(host, parts.port or (443 if parts.scheme == "https" else 80))
        except (OSError, socket.gaierror):
            if proxied and local_name(host):
                return f"local name {host!r}: only the proxy could resolve it (use --allow-private)"
            return None  # the browser's own lookup fails the same way, or the proxy resolves it
    private = [a for a in addresses if is_private(a)]
    return f"private address {private[0]} (use --allow-private)" if private else None


async def shoot(cdp: Cdp, url: str, *, allow_private: bool, timeout: float = 30.0,
                late: list[str] | None = None) -> Screenshot:
    """Open `url` in a new tab, wait for its load event, and draw the whole page. A page whose load
    event has not come within `timeout` (an image or script that never finishes) is stopped and
    drawn as it stands, what a reader saw by then; its URL goes into `late`."""
    target = (await cdp.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
    session = ""
    try:
        session = (await cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        loaded, blocked = asyncio.Event(), []

        async def on_event(method: str, params: dict) -> None:
            if method == "Page.loadEventFired":
                loaded.set()
            elif method == "Fetch.authRequired":
                with contextlib.suppress(CdpError):
                    await cdp.send("Fetch.continueWithAuth", {"requestId": params["requestId"],
                                                              "authChallengeResponse": _auth(cdp, params)}, session)
            elif method == "Fetch.requestPaused":
                why = None if allow_private else await refused(params["request"]["url"], cdp.proxied)
                if why:
                    blocked.append(f"{params['request']['url']}: {why}")
                answer = ("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "AccessDenied"}) \
                    if why else ("Fetch.continueRequest", {"requestId": params["requestId"]})
                with contextlib.suppress(CdpError):  # the tab closed while the request waited: nothing to answer
                    await cdp.send(*answer, session)

        cdp.listeners[session] = on_event
        await cdp.send("Page.enable", session=session)
        if not allow_private or cdp.proxy_auth:
            await cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}], "handleAuthRequests": True}, session)
        if not allow_private:  # the Fetch domain never pauses a WebSocket: none may open, to any address
            await cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": NO_WEBSOCKET}, session)
        await cdp.send("Emulation.setDeviceMetricsOverride",
                       {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}, session)
        nav = await cdp.send("Page.navigate", {"url": url}, session, timeout=timeout)
        if nav.get("errorText"):
            raise ShotFailed(blocked[0] if blocked else nav["errorText"])
        try:
            await asyncio.wait_for(loaded.wait(), timeout)
        except TimeoutError:
            await cdp.send("Page.stopLoading", session=session)
            if late is not None:
                late.append(url)
        return await _draw(cdp, session, url)
    finally:
        cdp.listeners.pop(session, None)
        await cdp.send("Target.closeTarget", {"targetId": target})


def _auth(cdp: Cdp, params: dict) -> dict:
    """The answer to a 407 from the proxy: its credentials; to a site's 401: none (the page as served)."""
    if params["authChallenge"].get("source") == "Proxy" and cdp.proxy_auth:
        user, password = cdp.proxy_auth
        return {"response": "ProvideCredentials", "username": user, "password": password}
    return {"response": "CancelAuth"}


async def _draw(cdp: Cdp, session: str, url: str) -> Screenshot:
    size = (await cdp.send("Page.getLayoutMetrics", session=session)).get("cssContentSize", {})
    width = max(WIDTH, int(size.get("width", WIDTH)))
    height = min(MAX_HEIGHT, max(1, int(size.get("height", HEIGHT))))
    shot = await cdp.send("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session)
    thumb = await cdp.send("Page.captureScreenshot", {
        "format": "jpeg", "quality": 70,
        "clip": {"x": 0, "y": 0, "width": WIDTH, "height": min(height, HEIGHT), "scale": THUMB_SCALE}}, session)
    where = await cdp.send("Runtime.evaluate", {"expression": "location.href", "returnByValue": True}, session)
    png = base64.b64decode(shot["data"])
    w, h = png_size(png)
    return Screenshot(url, hashlib.sha256(png).hexdigest(), iso(utcnow()) or "",
                      where.get("result", {}).get("value") or None, w, h, png, base64.b64decode(thumb["data"]))


async def take_screenshots(store: ArchiveStore, urls: list[str], *, exe: str, allow_private: bool,
                           network: Network | None = None, dry_run: bool = False, timeout: float = 30.0,
                           on_shot: Callable[[int, int, str], None] | None = None) -> ShotReport:
    """A screenshot of each of `urls` that is due; `on_shot(done, todo, url)` once before the first
    (done 0, url "") and after each."""
    due = await store.screenshot_due(urls)
    report = ShotReport(todo=len(due), dry_run=dry_run)
    if dry_run or not due:
        return report
    if on_shot:
        on_shot(0, report.todo, "")
    failures = 0
    async with chromium(exe, network=network) as cdp:
        for url in due:
            try:
                await store.save_screenshot(await shoot(cdp, url, allow_private=allow_private, timeout=timeout,
                                                        late=report.late))
            except (ShotFailed, CdpError) as exc:
                report.failed.append(f"{url}: {exc}")
                failures += 1
                if failures >= GUARD:
                    report.outage = f"the browser failed {GUARD} pages in a row, the last {url}: {exc}"
                    break
                continue
            failures = 0
            report.taken += 1
            if on_shot:
                on_shot(report.taken, report.todo, url)
    return report
