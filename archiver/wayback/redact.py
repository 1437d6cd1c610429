"""Redaction of secrets from text that came from a server, before it is stored or printed.

Why: the Internet Archive keys travel in the Authorization header, and a server (a misconfigured
proxy, a debugging endpoint, a hostile fake) may echo request headers back in any field of its
reply: `message`, `job_id`, an error page. archiver stores such text in archive.db (`captures.error`,
`reason`, `job_id`) and prints it in every report, so the one place where server text enters the
program (the Wayback client) passes it through a `Redactor` built from the configured keys.
Each key is removed in every form it may come back in: as sent, percent-encoded, JSON- or
HTML-escaped, and base64-encoded as part of a Basic credential.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["Redactor", "MASK"]

MASK = "[redacted]"


def _forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret),
             quote(quote(secret, safe=""), safe="")}
    return {f for f in forms if f}


class Redactor:
    """Callable: text -> text with every form of every secret replaced by [redacted]."""

    def __init__(self, secrets: Iterable[str] = ()):
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        forms: set[str] = set()
        for s in values:
            forms |= _forms(s)
        if len(values) >= 2:  # "access:secret" as a Basic credential, in any order
            for a in values:
                for b in values:
                    if a != b:
                        forms.add(base64.b64encode(f"{a}:{b}".encode()).decode().rstrip("="))
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered), re.I) if ordered else None

    def __call__(self, text):
        if self._pattern is None or not isinstance(text, str) or not text:
            return text
        return self._pattern.sub(MASK, text)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __repr__(self) -> str:
        return "Redactor(***)" if self._pattern else "Redactor()"
