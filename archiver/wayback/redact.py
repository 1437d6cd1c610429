"""Redaction of secrets from text that came from a server, before it is stored or printed.

Why: the Internet Archive keys travel in the Authorization header, and a server (a misconfigured
proxy, a debugging endpoint, a hostile fake) may echo request headers back in any field of its
reply: `message`, `job_id`, an error page. archiver stores such text in archive.db (`captures.error`,
`reason`, `job_id`) and prints it in every report, so the one place where server text enters the
program (the Wayback client) passes it through a `Redactor` built from the configured keys.
Each key is removed in every form it may come back in: as sent, percent-encoded, JSON- or
HTML-escaped, and base64-encoded as part of a Basic credential.

A reply that is JSON is redacted string by string after parsing (`reply`), never as text, and a
placeholder key (shorter than a real one) only as a credential: a key that also occurs in the
reply's syntax or words (`0` or `true` in `"http_status": 200, "ok": true`, `timestamp` in a CDX
header row) had turned a good reply into one that could not be read, taken as a refusal with no
detail and a week's back-off.
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


SHORT = 16  # an Internet Archive S3 key has 16 characters; a shorter one is a placeholder ("test", "0")


class Redactor:
    """Callable: text -> text with every form of every secret replaced by [redacted].

    A key shorter than SHORT is a placeholder, which authenticates nothing: alone it is left as it
    is (as a word or a substring it would cut into `status`, `timestamp`, job ids and messages, the
    replies' own vocabulary), and removed only where it shows as a credential, beside the other key
    (`a:b`, in every form, and base64-encoded as a Basic credential)."""

    def __init__(self, secrets: Iterable[str] = ()):
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        forms: set[str] = set()
        for s in values:
            if len(s) >= SHORT:
                forms |= _forms(s)
        for a in values:  # "access:secret" as sent in the Authorization header, or as Basic, in any order
            for b in values:
                if a != b:
                    forms |= _forms(f"{a}:{b}") | {base64.b64encode(f"{a}:{b}".encode()).decode().rstrip("=")}
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(f) for f in ordered), re.I) if ordered else None

    def __call__(self, text):
        if self._pattern is None or not isinstance(text, str) or not text:
            return text
        return self._pattern.sub(MASK, text)

    def reply(self, text: str) -> str:
        """A server's reply body with every secret removed: JSON string by string (names and values;
        numbers, booleans and the structure as they were), anything else as text."""
        if self._pattern is None or not text:
            return text
        try:
            return json.dumps(self._strings(json.loads(text)), ensure_ascii=False)
        except (ValueError, RecursionError):  # not JSON, or nested past what Python walks
            return self(text)

    def _strings(self, value):
        if isinstance(value, str):
            return self(value)
        if isinstance(value, list):
            return [self._strings(v) for v in value]
        if isinstance(value, dict):
            return {self(k): self._strings(v) for k, v in value.items()}
        return value

    def __bool__(self) -> bool:
        return self._pattern is not None

    def __repr__(self) -> str:
        return "Redactor(***)" if self._pattern else "Redactor()"
