"""Every reply the Wayback client reads is bounded: in size after decompression, and in total time.

Why: httpx's `reply.content` reads a whole body and inflates it in one go, and its timeouts are per
read, not per reply. So a broken or hostile endpoint could make one request take gigabytes (a 300 MB
JSON reply took 3.2 GB; a 1 MB gzip reply inflating to 1 GiB took 7.6 GB) or forever (a byte a
second never trips a read timeout). Here the raw bytes are streamed through archiver/decode.py's
decoders, which inflate at most a step at a time, and reading stops at `cap` decoded bytes; the
whole exchange (connect, headers, body) runs under one deadline. Both limits end in an error value,
never a wait or an exception, so the breaker counts them like any other unusable answer.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from ..decode import DecodingError, codings, decoded

__all__ = ["ACCEPT_ENCODING", "DEADLINE", "Reply", "fetch", "retry_after"]

ACCEPT_ENCODING = "gzip, deflate, br"  # exactly what archiver/decode.py undoes


DEADLINE = 120.0  # seconds for one whole request, unless the caller says otherwise


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: httpx.Headers
    truncated: bool = False  # the body went on past the cap (with `truncate`)

    @property
    def retry_after(self) -> str | None:
        """The Retry-After header as sent; see `retry_after()`."""
        return self.headers.get("retry-after")


async def fetch(http: httpx.AsyncClient, method: str, url: str, *, cap: int, deadline: float = DEADLINE,
                truncate: bool = False, **kw) -> Reply | str:
    """One request, its body decoded up to `cap` bytes, all within `deadline` seconds; or what went
    wrong, as text. A longer body is an error, or with `truncate` its first `cap` bytes."""
    kw["headers"] = {"Accept-Encoding": ACCEPT_ENCODING} | dict(kw.get("headers") or {})
    try:
        async with asyncio.timeout(max(0.0, deadline)):
            async with http.stream(method, url, **kw) as reply:
                body, over = await _read(reply, cap)
    except TimeoutError:
        return f"no complete reply within {deadline:g} s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    except DecodingError as exc:
        return f"undecodable reply ({exc})"
    if over and not truncate:
        return f"reply larger than {cap:,} bytes decoded: not read further"
    return Reply(reply.status_code, body, reply.headers, over)


async def _read(reply: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """The decoded body up to `cap` bytes, and whether there was more (then the rest is not read)."""
    parts: list[bytes] = []
    size = 0
    async for piece in decoded(reply.aiter_raw(), codings(reply.headers.get("content-encoding"))):
        if size + len(piece) > cap:
            parts.append(piece[: cap - size])
            return b"".join(parts), True
        size += len(piece)
        parts.append(piece)
    return b"".join(parts), False


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date, RFC 9110 §10.2.3),
    or None when there is none or it cannot be read."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - now) if math.isfinite(when) else None
