"""A final hop judged: the page decoded and read (title, main text), the host's soft-404 probe when a
page could be one, and the verdict (classify.py)."""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from typing import TYPE_CHECKING

from .. import defaults
from ..models import Snapshot
from .classify import VERDICT_TEXT, Probe, classify_response
from .hop import Final, Hop, Reading
from .page import decode_body, extract_title, is_html, main_text
from .probe import PROBE_FAILED, await_probe
from .target import Target

if TYPE_CHECKING:
    from .settings import FetchSettings

__all__ = ["Judge", "PAGE_TEXT"]

PAGE_TEXT = max(defaults.TEXT_EXCERPT, VERDICT_TEXT)  # characters of a page's main text read at first (page.main_text)


def _analyse(body: bytes, content_type: str | None, text_bytes: int, at_least: int | None = None) -> dict:
    """Decode, title and main text of a page (CPU work: big bodies go to a thread). With `at_least`,
    only that much of the main text or more is read ("whole": False when perhaps not all of it)."""
    decoded, charset = decode_body(body, content_type, text_bytes)
    if decoded is None:
        return {"html": None, "title": None, "text": None, "whole": True, "charset": None}
    if is_html(content_type) or (not content_type and "<html" in decoded[:1024].lower()):
        text, whole = main_text(decoded, at_least)
        return {"html": decoded, "title": extract_title(decoded), "text": text, "whole": whole, "charset": charset}
    return {"html": None, "title": None, "text": decoded, "whole": True, "charset": charset}


async def analyse(body: bytes, content_type: str | None, s: FetchSettings, at_least: int | None = None) -> dict:
    if len(body) > s.offload_bytes:
        return await asyncio.to_thread(_analyse, body, content_type, s.text_bytes, at_least)
    return _analyse(body, content_type, s.text_bytes, at_least)


class Judge:
    """The verdict half of a run (fetch._Run)."""

    settings: FetchSettings
    probes: OrderedDict[str, asyncio.Future]

    async def _follow(self, url: str, chain: list[dict], reading: Reading) -> tuple[Final, Hop]:
        raise NotImplementedError  # hop.Hops._follow

    async def _judge(self, url: str, final: Final, hop: Hop, chain: list[dict], deadline: float | None) -> dict:
        s, final_url = self.settings, final.url
        ctype = hop.headers.get("content-type")
        page = await analyse(hop.body, ctype, s, PAGE_TEXT)
        html, text = page["html"], page["text"]
        snapshot = Snapshot(sha256=hop.sha256, body=hop.body, content_type=ctype, size=len(hop.body),
                            truncated=hop.truncated, title=page["title"],
                            text=text[:defaults.TEXT_EXCERPT] if text else text, charset=page["charset"])
        probe = None
        if s.probe_soft404 and html and is_html(ctype) and 200 <= hop.status < 300:
            probe = await self._probe(final.target, deadline)  # one request per host per run, then cached
        headers = hop.headers.multi_items()
        status, alive = classify_response(hop.status, headers, url=url, final_url=final_url,
                                          redirects=chain, html=html, title=page["title"],
                                          text=text, text_whole=page["whole"], probe=probe)
        error = hop.note
        if hop.attempts > 1 and status in ("server-error", "rate-limited"):
            error = error or f"HTTP {hop.status} after {hop.attempts} attempts"
        return {"status": status, "alive": alive, "http_status": hop.status, "final_url": final_url,
                "headers": tuple(headers), "snapshot": snapshot, "error": error}

    async def _probe(self, u: Target, deadline: float | None) -> Probe:
        """The soft-404 probe, fetched once per host per run and shared by concurrent checks."""
        key = u.key
        task = self.probes.get(key)
        if task is None:
            probe_url = u.with_path(f"/archiver-probe-{secrets.token_hex(8)}")
            task = self.probes[key] = asyncio.ensure_future(self._run_probe(probe_url))
            if len(self.probes) > self.settings.probe_cache:  # drop the oldest finished probe
                old = next((k for k, t in self.probes.items() if t.done()), None)
                if old is not None:
                    del self.probes[old]
        return await await_probe(task, deadline)

    async def _run_probe(self, probe_url: str) -> Probe:
        try:
            async with asyncio.timeout(None) as clock:  # armed at the probe's turn at its host (hop._request)
                final, hop = await self._follow(probe_url, [], Reading(self.settings.text_bytes, None, clock))
                page = await analyse(hop.body, hop.headers.get("content-type"), self.settings)
        except Exception:  # noqa: BLE001 - whatever went wrong, the probe only failed (check/probe.py)
            return PROBE_FAILED
        return Probe(hop.status, title=page["title"], text=page["text"], final_url=final.url)
