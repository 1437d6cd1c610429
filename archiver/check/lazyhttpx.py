"""httpx, imported when first used.

The checker's own GETs go on its wire (check/wire.py) and never touch httpx. httpx is needed when
something goes wrong (its exception classes: the wire raises them, fetch.py maps them to
statuses), for a URL the fast parse leaves to httpx.URL (check/target.py), for a stacked or
unknown content encoding, and for anything else asked of the checker's client (transport.Client).
Imported before the first request it cost tens of milliseconds of CPU on every run (with
http.cookiejar, email, idna, mimetypes and more; README, Check), and a run whose pages all answer
needs none of it.

`from .lazyhttpx import httpx`, then `httpx.X` as usual: the module is imported at the first
attribute asked for. An `except httpx.X:` clause reads its class only when an exception reaches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["httpx"]

if TYPE_CHECKING:
    import httpx as httpx
else:

    class _OnFirstUse:
        def __getattr__(self, name: str) -> Any:
            import httpx

            value = getattr(httpx, name)
            setattr(self, name, value)  # from now on a plain attribute
            return value

    httpx = _OnFirstUse()
