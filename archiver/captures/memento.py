"""Memento (RFC 7089) TimeMaps: the captures other web archives hold of a URL.

An archive is named and given by the prefix its TimeMap of a URL is reached under
(`<timemap><url>`), or, for an archive that offers only a TimeGate, by `timegate:` and the prefix of
its TimeGate (asked with `Accept-Datetime`: the memento it redirects to and those its `Link` header
names are the candidates): Arquivo.pt's `https://arquivo.pt/wayback/timemap/link/`, the UK Web Archive's,
archive.today's `https://archive.md/timemap/`, or an aggregator's (the Memento TimeTravel service's
`http://timetravel.mementoweb.org/timemap/link/`), whose mementos come from many archives and are
named here by their host. TimeMaps are in link format (RFC 6690): `<uri>; rel="memento";
datetime="<RFC 1123>"` entries separated by commas, in any order (wayback-api.md §5, §7).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from ..errors import ConfigError
from .raw import Candidate

__all__ = ["MementoArchive", "Reply", "lookup", "parse_archives", "parse_timemap"]

# (HTTP status, headers, text), or why no answer came: what `lookup` is given to fetch with
Reply = tuple[int, Mapping[str, str], str] | str
_TS = re.compile(r"/(\d{14})(?:[a-z]{2}_)?/")

_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[A-Za-z][\w.-]*\s*=\s*(?:"[^"]*"|[^",;<]*))*)')
_PARAM = re.compile(r'([A-Za-z][\w.-]*)\s*=\s*(?:"([^"]*)"|([^",;<]*))')


@dataclass(frozen=True)
class MementoArchive:
    name: str
    timemap: str  # the TimeMap of URL is at timemap + URL (with `timegate`, its TimeGate)
    aggregator: bool = False  # its mementos come from many archives: each named by its host
    timegate: bool = False  # `timemap` is a TimeGate prefix: the archive has no TimeMap

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
        gate = prefix.startswith("timegate:")
        prefix = prefix.removeprefix("timegate:")
        if not sep or not name.strip("*") or urlsplit(prefix).scheme not in ("http", "https"):
            raise ConfigError(f"memento archive {entry!r}: write NAME=TIMEMAP-URL-PREFIX, e.g. "
                              "arquivo=https://arquivo.pt/wayback/timemap/link/")
        out.append(MementoArchive(name.lstrip("*"), prefix, aggregator=name.startswith("*"), timegate=gate))
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


async def lookup(archive: MementoArchive, url: str, ref: str,
                 get: Callable[[str, dict[str, str], bool], Awaitable[Reply]]) -> list[Candidate] | str:
    """The captures `archive` lists for `url` (none: []), or why it could not be asked. `ref` (14
    digits) is the time a TimeGate is asked for; `get(address, headers, follow_redirects)`."""
    if not archive.timegate:
        reply = await get(archive.timemap_of(url), {"Accept": "application/link-format"}, True)
        if isinstance(reply, str) or reply[0] not in (200, 404):
            return f"TimeMap not read ({reply if isinstance(reply, str) else f'HTTP {reply[0]}'})"
        return parse_timemap(reply[2], archive) if reply[0] == 200 else []
    when = datetime.strptime(ref, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    reply = await get(archive.timemap_of(url), {"Accept-Datetime": format_datetime(when, usegmt=True)}, False)
    if isinstance(reply, str) or not (200 <= reply[0] < 400 or reply[0] == 404):
        return f"TimeGate not read ({reply if isinstance(reply, str) else f'HTTP {reply[0]}'})"
    status, headers, _ = reply
    hdrs = {k.lower(): v for k, v in headers.items()}
    found = parse_timemap(hdrs.get("link", ""), archive)
    target = urljoin(archive.timemap_of(url), hdrs.get("location", "")) if 300 <= status < 400 else None
    if status == 200 and "memento-datetime" in hdrs:  # the TimeGate is the memento (RFC 7089 pattern 1.1)
        target = urljoin(archive.timemap_of(url), hdrs.get("content-location", "")) or archive.timemap_of(url)
    if target and all(c.url != target for c in found):
        stamp = _TS.search(target)
        when_text = hdrs.get("memento-datetime") if status == 200 else None
        ts = stamp.group(1) if stamp else _ts14(when_text)
        if ts:
            found.append(Candidate(archive.name, ts, target))
    return found


def _ts14(http_date: str | None) -> str | None:
    try:
        when = parsedate_to_datetime(http_date or "")
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S") if when and when.tzinfo else None
