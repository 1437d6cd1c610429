"""Memento (RFC 7089) TimeMaps: the captures other web archives hold of a URL.

An archive is named and given by the prefix its TimeMap of a URL is reached under
(`<timemap><url>`): Arquivo.pt's `https://arquivo.pt/wayback/timemap/link/`, the UK Web Archive's,
archive.today's `https://archive.md/timemap/`, or an aggregator's (the Memento TimeTravel service's
`http://timetravel.mementoweb.org/timemap/link/`), whose mementos come from many archives and are
named here by their host. TimeMaps are in link format (RFC 6690): `<uri>; rel="memento";
datetime="<RFC 1123>"` entries separated by commas, in any order (wayback-api.md §5, §7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from ..errors import ConfigError
from .raw import Candidate

__all__ = ["MementoArchive", "parse_archives", "parse_timemap"]

_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[A-Za-z][\w.-]*\s*=\s*(?:"[^"]*"|[^",;<]*))*)')
_PARAM = re.compile(r'([A-Za-z][\w.-]*)\s*=\s*(?:"([^"]*)"|([^",;<]*))')


@dataclass(frozen=True)
class MementoArchive:
    name: str
    timemap: str  # the TimeMap of URL is at timemap + URL
    aggregator: bool = False  # its mementos come from many archives: each named by its host

    def timemap_of(self, url: str) -> str:
        return self.timemap + url


def parse_archives(text: str) -> tuple[MementoArchive, ...]:
    """`name=timemap-prefix` entries, comma-separated (`memento_archives`); a name starting with
    `*` marks an aggregator. A ConfigError names a bad entry."""
    out = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        name, sep, prefix = entry.partition("=")
        name, prefix = name.strip(), prefix.strip()
        if not sep or not name.strip("*") or urlsplit(prefix).scheme not in ("http", "https"):
            raise ConfigError(f"memento archive {entry!r}: write NAME=TIMEMAP-URL-PREFIX, e.g. "
                              "arquivo=https://arquivo.pt/wayback/timemap/link/")
        out.append(MementoArchive(name.lstrip("*"), prefix, aggregator=name.startswith("*")))
    return tuple(out)


def parse_timemap(text: str, archive: MementoArchive) -> list[Candidate]:
    """The mementos of a link-format TimeMap; entries without a readable datetime are left out."""
    out = []
    for uri, params in _LINK.findall(text):
        attrs = {k.lower(): (q if q else u).strip() for k, q, u in _PARAM.findall(params)}
        if "memento" not in attrs.get("rel", "").split():
            continue
        try:
            when = parsedate_to_datetime(attrs.get("datetime", ""))
        except (TypeError, ValueError, IndexError):
            continue
        if when is None or urlsplit(uri).scheme not in ("http", "https"):
            continue
        name = (urlsplit(uri).hostname or archive.name) if archive.aggregator else archive.name
        ts = when.astimezone(UTC).strftime("%Y%m%d%H%M%S") if when.tzinfo else when.strftime("%Y%m%d%H%M%S")
        out.append(Candidate(name, ts, uri))
    return out
