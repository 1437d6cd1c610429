"""The cookies of one redirect chain: what a first-time visitor's browser would send back.

Sites that check for cookies redirect a visitor without one: A sets a cookie and sends it to B, and
B sends a visitor without the cookie back to A (or A sends it to itself). A checker that keeps no
cookies sees a redirect loop and calls a live page broken. So each chain keeps the cookies its hops
set (RFC 6265, simplified: name, value, Domain, Path; no expiry but Max-Age=0, which deletes) and
sends them on its later hops. They live as long as the chain: nothing carries over to another URL,
and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class ChainCookies:
    jar: dict[tuple[str, str, str], tuple[str, bool]] = field(default_factory=dict)  # (domain, path, name): (value, host-only)
    version: int = 0  # grows when the jar changes: a URL seen again with other cookies is not a loop

    def update(self, host: str, url: str, headers: Iterable[tuple[str, str]]) -> None:
        """Take the Set-Cookie headers of the response from `host` to `url`."""
        for name, value in headers:
            if name.lower() == "set-cookie":
                self._set(host, url, value)

    def header(self, host: str, url: str) -> str | None:
        """The Cookie header for a request to `host` at `url`, or None."""
        if not self.jar:
            return None
        path = urlsplit(url).path or "/"
        pairs = [f"{name}={value}" for (domain, cpath, name), (value, host_only) in self.jar.items()
                 if (host == domain or not host_only and host.endswith("." + domain)) and _path_match(path, cpath)]
        return "; ".join(pairs) or None

    def _set(self, host: str, url: str, line: str) -> None:
        pair, *attributes = line.split(";")
        name, eq, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name:
            return  # not a cookie (RFC 6265 5.2: ignore the line)
        domain, path, delete = host, _default_path(url), False
        host_only = True
        for attribute in attributes:
            key, _, val = attribute.partition("=")
            key, val = key.strip().lower(), val.strip()
            if key == "domain" and val:
                val = val.lstrip(".").lower()
                if host != val and not host.endswith("." + val):
                    return  # a cookie for another site: refused, as browsers refuse it
                domain, host_only = val, False
            elif key == "path" and val.startswith("/"):
                path = val
            elif key == "max-age" and val.lstrip("-").isdigit() and int(val) <= 0:
                delete = True
        key3 = (domain, path, name)
        before = self.jar.get(key3)
        if delete:
            self.jar.pop(key3, None)
        else:
            self.jar[key3] = (value, host_only)
        if self.jar.get(key3) != before:
            self.version += 1


def _default_path(url: str) -> str:
    path = urlsplit(url).path
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def _path_match(path: str, cookie_path: str) -> bool:
    return (path == cookie_path or path.startswith(cookie_path)
            and (cookie_path.endswith("/") or path[len(cookie_path):].startswith("/")))
