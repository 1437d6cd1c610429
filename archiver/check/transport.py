"""HTTP plumbing for the checker: one small connection pool per origin, and bodies decoded with a
bound on the DECODED size, so a gzip bomb stops at the cap instead of inflating in memory first.
"""

from __future__ import annotations

import hashlib
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

import brotli
import httpx

__all__ = ["PerHostTransport", "drain", "read_capped"]


class PerHostTransport(httpx.AsyncBaseTransport):
    """One connection pool per origin, behind one client.

    httpcore's pool scans every request against every connection on each request and each
    release (O(requests x connections)); at 64 connections that cost more CPU than parsing the
    pages (measured in benchmarks/check_bench.py). Small per-origin pools keep the scans short.
    Pools with nothing in flight are closed, least recently used first, beyond `max_pools`.
    """

    def __init__(self, factory: Callable[[], httpx.AsyncBaseTransport], max_pools: int = 256):
        self._factory = factory
        self._max_pools = max_pools
        self._pools: OrderedDict[tuple, list] = OrderedDict()  # origin -> [transport, in flight]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.scheme, request.url.raw_host, request.url.port)
        entry = self._pools.get(key)
        if entry is None:
            await self._evict(self._max_pools - 1)
            entry = self._pools[key] = [self._factory(), 0]
        else:
            self._pools.move_to_end(key)
        entry[1] += 1
        try:
            response = await entry[0].handle_async_request(request)
        except BaseException:
            entry[1] -= 1
            raise
        response.stream = _Released(response.stream, entry)
        return response

    async def _evict(self, keep: int) -> None:
        if len(self._pools) <= keep:
            return
        idle = [k for k, (_, active) in self._pools.items() if not active]
        for key in idle[: len(self._pools) - keep]:
            transport, _ = self._pools.pop(key)
            await transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for transport, _ in pools:
            await transport.aclose()


class _Released(httpx.AsyncByteStream):
    """A response stream that tells its pool entry when it is closed."""

    def __init__(self, stream, entry: list):
        self._stream, self._entry, self._open = stream, entry, True

    async def __aiter__(self):
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        if self._open:
            self._open = False
            self._entry[1] -= 1
        await self._stream.aclose()


async def drain(resp: httpx.Response, limit: int) -> None:
    if resp.is_stream_consumed:  # e.g. httpx.MockTransport responses are pre-read
        return
    read = 0
    async for chunk in resp.aiter_raw():
        read += len(chunk)
        if read > limit:
            break


async def _decoded(resp: httpx.Response, step: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The decoded body in pieces of at most `step` bytes, however compressible the input.

    httpx's own decoders inflate a whole network chunk at once: 64 KB of a gzip bomb becomes
    ~64 MB before a cap can look at it. Here zlib and brotli are asked for `step` bytes at a time.
    Stacked or unknown encodings fall back to httpx's decoding.
    """
    codings = [c.strip().lower() for c in resp.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        async for raw in resp.aiter_raw():
            yield raw
        return
    coding = codings[0] if len(codings) == 1 else None
    if coding in ("gzip", "x-gzip", "deflate"):
        z = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding != "deflate" else zlib.MAX_WBITS)
        first = True
        try:
            async for data in resp.aiter_raw():
                if first and coding == "deflate" and data[:1] and (data[0] & 0x0F) != 8:
                    z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without zlib header
                first = False
                while data:
                    yield z.decompress(data, step)
                    data = z.unconsumed_tail
            yield z.flush()
        except zlib.error as e:
            raise httpx.DecodingError(f"{coding}: {e}") from e
    elif coding == "br" and hasattr(brotli, "Decompressor") and hasattr(brotli.Decompressor, "can_accept_more_data"):
        b = brotli.Decompressor()
        try:
            async for data in resp.aiter_raw():
                yield b.process(data, output_buffer_limit=step)
                while not b.can_accept_more_data():
                    yield b.process(b"", output_buffer_limit=step)
        except brotli.error as e:
            raise httpx.DecodingError(f"br: {e}") from e
    else:
        async for chunk in resp.aiter_bytes():
            yield chunk


async def read_capped(resp: httpx.Response, cap: int) -> tuple[bytes, str, bool]:
    """Decoded body up to `cap` bytes, its SHA-256, and whether more was left."""
    digest, parts, size, truncated = hashlib.sha256(), [], 0, False
    async for chunk in _decoded(resp):
        if len(chunk) > cap - size:
            chunk, truncated = chunk[: cap - size], True
        digest.update(chunk)
        parts.append(chunk)
        size += len(chunk)
        if truncated:
            break
    return b"".join(parts), digest.hexdigest(), truncated
