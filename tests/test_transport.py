"""check/transport.py: the wire's headers read exactly as httpx.Headers reads them."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.check.transport import WireHeaders

# names and values that need each of httpx's decodings: ASCII, UTF-8, ISO-8859-1
_bytes = st.lists(st.sampled_from([b"Content-Type", b"content-type", b"X-A", b"Set-Cookie", b"text/html", b"\xc3\xa9",
                                   b"\xe9", b"a", b"Location", b"/x", b" ", b","]), max_size=3).map(b"".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_bytes, _bytes), max_size=6))
def test_wire_headers_read_as_httpx_headers(raw):
    expected, got = httpx.Headers(raw), WireHeaders(raw)
    assert got.multi_items() == expected.multi_items()
    for key in ("content-type", "Content-Type", "x-a", "location", "set-cookie", "missing", "A"):  # the checker asks for ASCII names
        assert got.get(key) == expected.get(key)
        assert (key in got) == (key in expected)
