"""Bodies read under one cap on DECODED bytes, every layer of a stacked Content-Encoding included.

aiohttp's own decompression is off (the session's `auto_decompress=False`): it inflates a whole
network chunk at once, so 64 KB of a gzip bomb becomes ~64 MB before a cap can look at it, and a
stacked `Content-Encoding: gzip, gzip` would multiply that per layer (a 1.8 KB page once took 2 GB).
Here each layer is a decoder asked for at most `STEP` bytes at a time, the layers are chained
lazily, and the reader stops pulling raw bytes once the cap is reached: the memory a page can take
is the cap plus a few steps, however the server stacked its encodings. An encoding no decoder here
knows is left as it is (as browsers and httpx do: the page is read as bytes).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from typing import TYPE_CHECKING, Protocol

import brotli

if TYPE_CHECKING:
    from .check.budget import Lease

__all__ = ["DecodingError", "STEP", "codings", "decoded", "drain", "read_capped"]

STEP = 256 * 1024  # decoded bytes asked of a decoder at a time


class DecodingError(Exception):
    """The server said an encoding its body does not have (a page that answered, not an outage)."""


class _Layer(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def end(self) -> Iterator[bytes]: ...


class _Zlib:
    def __init__(self, coding: str):
        self.coding = coding
        self.z = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding != "deflate" else zlib.MAX_WBITS)
        self.first = True

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.first and self.coding == "deflate" and data[:1] and (data[0] & 0x0F) != 8:
            self.z = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate without the zlib header
        self.first = self.first and not data
        try:
            while data:
                out = self.z.decompress(data, STEP)
                data = self.z.unconsumed_tail
                if out:
                    yield out
        except zlib.error as e:
            raise DecodingError(f"{self.coding}: {e}") from e

    def end(self) -> Iterator[bytes]:
        try:
            tail = self.z.flush()
        except zlib.error as e:
            raise DecodingError(f"{self.coding}: {e}") from e
        if tail:
            yield tail


class _Brotli:
    def __init__(self) -> None:
        self.b = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self.b.process(data, output_buffer_limit=STEP)
            if out:
                yield out
            while not self.b.can_accept_more_data():
                yield self.b.process(b"", output_buffer_limit=STEP)
        except brotli.error as e:
            raise DecodingError(f"br: {e}") from e

    def end(self) -> Iterator[bytes]:
        return iter(())


def codings(value: str | None) -> list[str]:
    """The content codings of a Content-Encoding value in the order applied, identity left out."""
    found = [c.strip().lower() for c in (value or "").split(",")]
    return [c for c in found if c and c != "identity"]


def _layer(coding: str) -> _Layer | None:
    if coding in ("gzip", "x-gzip", "deflate"):
        return _Zlib(coding)
    if coding == "br":
        return _Brotli()
    return None


def _layers(applied: list[str]) -> list[_Layer]:
    """Decoders outermost first (the last coding applied is undone first); an unknown coding stops the
    chain there: what is under it is passed on as it is."""
    layers = []
    for coding in reversed(applied):
        layer = _layer(coding)
        if layer is None:
            break
        layers.append(layer)
    return layers


def _through(layers: list[_Layer], data: bytes, end: bool = False) -> Iterator[bytes]:
    """`data` through every layer, each piece passed on as soon as it is made (never a whole layer's
    output at once); with `end`, each layer's end too, in order."""
    if not layers:
        if data:
            yield data
        return
    first, rest = layers[0], layers[1:]
    for piece in first.feed(data):
        yield from _through(rest, piece)
    if end:
        for piece in first.end():
            yield from _through(rest, piece)
        yield from _through(rest, b"", end=True)


async def decoded(raw: AsyncIterable[bytes], applied: list[str]) -> AsyncIterator[bytes]:
    """The body of `raw` with the codings `applied` undone, in pieces of at most STEP bytes."""
    layers = _layers(applied)
    async for data in raw:
        for piece in _through(layers, data):
            yield piece
    for piece in _through(layers, b"", end=True):
        yield piece


async def read_capped(raw: AsyncIterable[bytes], encoding: str | None, cap: int,
                      lease: Lease | None = None) -> tuple[bytes, str, bool]:
    """Decoded body up to `cap` bytes, its SHA-256, and whether more was left. Each piece's bytes are
    taken from `lease` (the run's byte budget) before the next is read: over budget, reading waits
    (and the connection, not read, pauses: aiohttp stops reading a socket whose buffer is full)."""
    digest, parts, size, truncated = hashlib.sha256(), [], 0, False
    applied = codings(encoding)  # none, the usual case: read without a decoding layer
    async for chunk in decoded(raw, applied) if applied else raw:
        if len(chunk) > cap - size:
            chunk, truncated = chunk[: cap - size], True
        if lease is not None:
            await lease.take(len(chunk))
        digest.update(chunk)
        parts.append(chunk)
        size += len(chunk)
        if truncated:
            break
    if lease is None or len(parts) < 2:
        return b"".join(parts), digest.hexdigest(), truncated
    # joined, the body exists twice until its pieces go: the second copy is taken from the budget
    # too (uncounted, it made the hostile suite's peak 460-534 MB), and given back once they are gone
    await lease.take(size)
    body = b"".join(parts)
    parts.clear()
    lease.give(size)
    return body, digest.hexdigest(), truncated


async def drain(raw: AsyncIterable[bytes], limit: int) -> bool:
    """Read and drop up to `limit` bytes; True when the body ended within them (the connection can be
    used again)."""
    read = 0
    async for chunk in raw:
        read += len(chunk)
        if read > limit:
            return False
    return True
