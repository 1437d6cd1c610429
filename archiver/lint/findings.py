"""The finding-code registry: every diagnosis archiver can make, with a stable code.

Codes are never renumbered or reused. U0xx: no URL; U1xx: damage archiver repairs; U2xx: damage it
cannot repair alone (errors); U3xx: advice about a URL that is itself fine; U4xx: about a document as a whole. Each code is documented in
docs/findings.md (tests/test_findings.py fails when one is missing).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Finding, Severity

SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str


RULES: dict[str, Rule] = {
    r.name: r
    for r in [
        Rule("U001", "no-url", "info", "the note cites no URL"),
        Rule("U101", "typographic-dash", "warning", "typographic dash inside a URL"),
        Rule("U102", "embedded-whitespace", "warning", "whitespace or a line break inside a URL"),
        Rule("U103", "invisible-character", "warning", "soft hyphen, zero-width character or NBSP inside a URL"),
        Rule("U104", "trailing-punctuation", "warning", "punctuation or an unbalanced bracket glued to the end of a URL"),
        Rule("U105", "wrapped-url", "info", "quotes, guillemets or angle brackets around a URL"),
        Rule("U106", "html-entity", "warning", "HTML entity such as &amp; left inside a URL"),
        Rule("U107", "multiple-urls-in-note", "info", "one note cites several URLs"),
        Rule("U108", "broken-scheme", "warning", "doubled or misspelled scheme"),
        Rule("U109", "missing-scheme", "warning", "URL printed without its scheme"),
        Rule("U110", "ambiguous-dash", "warning", "dash that may belong to the page name"),
        Rule("U111", "link-target-used", "info", "the printed URL is damaged; the link's intact target is used"),
        Rule("U112", "doi-link", "info", "a DOI, resolved through https://doi.org/"),
        Rule("U113", "mapped-host", "info", "a host printed in a form browsers rewrite (full-width letters, ª); the mapped form is used"),
        Rule("U114", "cut-at-line-end", "warning",
             "a URL that ends at a line end where the next line's word may be the rest of it"),
        Rule("U115", "glued-prefix", "warning", "a word glued to the front of a URL's scheme (xhttps://, name@http://)"),
        Rule("U116", "not-a-doi", "warning", "a doi.org link whose path starts like a DOI but is not one"),
        Rule("U201", "truncated-url", "error", "URL cut short with an ellipsis"),
        Rule("U202", "missing-host", "error", "scheme and host cut off the URL"),
        Rule("U203", "invalid-url", "error", "text that cannot be read as a URL"),
        Rule("U204", "impossible-host", "error", "a host name that cannot exist"),
        Rule("U301", "duplicate-url", "info", "the same URL is cited by an earlier note"),
        Rule("U302", "login-walled-platform", "warning", "platform that shows archives a login wall"),
        Rule("U303", "tracking-parameter", "info", "tracking parameter in the query"),
        Rule("U304", "unsupported-scheme", "info", "URL that is not http(s) and will not be checked"),
        Rule("U305", "relative-link", "info", "relative link with no base URL to resolve it against"),
        Rule("U306", "ambiguous-access-date", "warning", "a numeric access date whose day/month order nothing decides"),
        Rule("U307", "example-address", "info", "a name or address reserved for examples; not checked"),
        Rule("U308", "credentials-in-url", "warning", "a user name and password written into a URL; removed"),
        Rule("U401", "no-citations", "warning", "a document in which no citation was found, and why"),
        Rule("U402", "undecodable-bytes", "warning", "bytes that are not text in the document's encoding"),
        Rule("U403", "unreadable-entry", "warning", "a bibliography entry or record read in part or not at all"),
        Rule("U404", "document-budget", "warning", "a document read in part: over a page or operator budget"),
    ]
}


def finding(name: str, message: str, fix: str | None = None) -> Finding:
    """Build a Finding for a registered rule name (KeyError for an unknown name is a bug)."""
    rule = RULES[name]
    return Finding(rule.code, rule.name, rule.severity, message, fix)


def at_least(severity: str, threshold: str) -> bool:
    """True when `severity` is at or above `threshold` (info < warning < error)."""
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)
