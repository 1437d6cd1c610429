"""Findings about a URL that is fine as printed: a scheme that is not checked, a DOI that is not
one, a platform that shows archives a login wall, tracking parameters in the query. They say
something to the editor; none changes the URL."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from ..models import Finding
from ..urls.keys import login_walled_platform
from .findings import finding

__all__ = ["advice", "TRACKING_PARAMS"]

TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "igshid", "igsh", "mc_cid", "mc_eid", "yclid",
                   "_hsenc", "_hsmi", "mkt_tok", "frommail", "ref_src", "si", "spm", "s_cid"}

# A doi.org path that starts like a DOI but is not one ("0.3778/j.issn…": the "1" of "10." lost).
_NOT_A_DOI_RE = re.compile(r"^/(?!10\.\d{4,9}/)\d[\d.]*/")


def advice(url: str, findings: list[Finding], parts: SplitResult | None = None) -> None:
    """Append to `findings` what the editor should know about `url` (see the module's docstring)."""
    parts = parts or urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        findings.append(finding("unsupported-scheme", f"{parts.scheme}: URLs are not checked or archived"))
        return
    if parts.hostname in ("doi.org", "dx.doi.org") and _NOT_A_DOI_RE.match(parts.path):
        findings.append(finding("not-a-doi", f"{parts.path[1:]!r} is not a DOI: every DOI starts with 10. and a "
                                "registrant code (DOI Handbook 2.2); a digit lost, or a handle doi.org may not resolve"))
    platform = login_walled_platform(url)
    if platform:
        findings.append(finding(
            "login-walled-platform",
            f"{platform} usually shows crawlers and archives a login wall; keep a screenshot or "
            "a logged-in capture as well"))
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        tracking = [k for k, _ in pairs if k.lower() in TRACKING_PARAMS or k.lower().startswith("utm_")]
        if tracking:
            kept = [(k, v) for k, v in pairs if k not in tracking]
            clean = urlunsplit(parts._replace(query=urlencode(kept, safe=":/@!$'()*+,;")))
            findings.append(finding("tracking-parameter",
                                    f"tracking parameter(s) {', '.join(tracking)} in the query", clean))
