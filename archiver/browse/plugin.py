"""Datasette hooks: a page per snapshot (`/-/snapshot/SHA256`) with its headers, text and digest,
the live URL and the archived copy; and every snapshot digest in a table linked to that page."""

from __future__ import annotations

import json
import re
import zlib

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from .metadata import ARCHIVE_DB

_DIGEST = re.compile(r"[0-9a-f]{64}")
_DIGEST_COLUMNS = ("sha256", "old_sha256", "new_sha256", "last_sha256")
_BODY_SHOWN = 200_000  # characters of a text body shown on the page; the rest is in the database

_CHECK = """SELECT k.id, u.url, k.checked_at, k.status, k.http_status, k.final_url, k.headers
FROM checks k JOIN urls u ON u.id = k.url_id WHERE k.sha256 = ? ORDER BY k.checked_at DESC, k.id DESC LIMIT 1"""
_COPY = """SELECT archive_url, timestamp FROM captures WHERE url_id = (SELECT id FROM urls WHERE url = ?)
AND archive_url IS NOT NULL AND state IN ('success', 'matched', 'quota') AND coalesce(verdict, '') <> 'bad'
ORDER BY timestamp DESC LIMIT 1"""  # a capture judged bad (docs/captures.md) is never the copy to cite


@hookimpl
def register_routes():
    return [(r"^/-/snapshot/(?P<sha256>[0-9a-f]{64})$", snapshot_page)]


@hookimpl
def render_cell(value, column):
    if column in _DIGEST_COLUMNS and isinstance(value, str) and _DIGEST.fullmatch(value):
        return Markup(f'<a href="/-/snapshot/{value}">{value}</a>')
    return None


async def snapshot_page(datasette, request):
    sha = request.url_vars["sha256"]
    db = datasette.get_database(ARCHIVE_DB)
    row = (await db.execute("SELECT sha256, content_type, charset, size, truncated, title, text, body, first_seen "
                            "FROM snapshots WHERE sha256 = ?", [sha])).first()
    if row is None:
        raise NotFound(f"no snapshot {sha}")
    check = (await db.execute(_CHECK, [sha])).first()
    copy = check and (await db.execute(_COPY, [check["url"]])).first()
    context = {
        "snapshot": dict(row), "body": _body(row), "check": dict(check) if check else None,
        "headers": json.loads(check["headers"]) if check and check["headers"] else [],
        "copy": dict(copy) if copy else None, "database": ARCHIVE_DB,
    }
    return Response.html(await datasette.render_template("archiver_snapshot.html", context, request=request))


def _body(row) -> str | None:
    """The page as fetched, when it is text (the template escapes it)."""
    if not row["body"] or not (row["content_type"] or "").startswith(("text/", "application/xhtml")):
        return None
    try:
        data = zlib.decompress(row["body"])
    except zlib.error:
        return None
    return data.decode(row["charset"] or "utf-8", "replace")[:_BODY_SHOWN]

