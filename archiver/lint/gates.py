"""The last gates before a URL leaves lint for the other stages (check, archive, store, outputs).

Credentials: a cited `http://alice:secret@host/…` carries a password. archiver checks, archives,
stores and prints the URL without its user name and password (U308 credentials-in-url says so),
and the citation's printed text and citing sentence are kept with `***@` in their place: the
password reaches no request to an archive, no row of archive.db, no report and no export. A page
behind HTTP authentication is not public and no archive can capture it, so nothing is lost
that an archived copy could have kept. (A URL longer than clients accept never gets here: it is
an invalid-url finding, urls/hosts.fetch_problem.)
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from ..models import Citation, Finding
from .findings import finding

__all__ = ["hide_credentials", "last_gate", "masked"]

# `scheme://userinfo@` where userinfo is anything up to the last @ before the path; also `//user@`
_USERINFO_RE = re.compile(r"(?i)((?:[a-z][a-z0-9+.-]*:)?//)[^\s/?#<>\"'\]]*@")


def last_gate(url: str) -> tuple[str | None, Finding | None]:
    """`url` as it may leave lint, and the finding that says what was changed (None when nothing)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, None
    if "@" not in parts.netloc:
        return url, None
    clean = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    what = "a user name and password" if parts.password is not None else "a user name"
    return clean, finding("credentials-in-url", f"the URL carries {what} (shown as ***@); archiver removed "
                          "them and never sends, stores or prints them", clean)


def masked(text: str) -> str:
    """`text` with the user name and password of every URL in it replaced by `***`."""
    return _USERINFO_RE.sub(r"\1***@", text) if "@" in text else text


def hide_credentials(c: Citation) -> Citation:
    """The citation with any user name and password in its printed text, citing sentence, note
    and link target replaced by `***`, as it is stored and shown."""
    if "@" not in c.raw + (c.context or "") + (c.note_text or "") + (c.href or ""):
        return c
    return replace(c, raw=masked(c.raw), context=c.context and masked(c.context),
                   note_text=c.note_text and masked(c.note_text), href=c.href and masked(c.href))
