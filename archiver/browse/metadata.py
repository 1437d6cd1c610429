"""What Datasette shows about archive.db: a description of every table, view and column (a test
fails when the schema gains one without it), and the canned queries an editor asks."""

from __future__ import annotations

ARCHIVE_DB = "archive"  # the database's name in Datasette's URLs
SEARCH_DB = "search"

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "documents": ("The documents archiver read.", {
        "id": "Row id.", "path": "The path as the user gave it last.", "format": "text, markdown, html, bibtex, ...",
        "sha256": "Digest of the file as last read.", "first_seen": "When archiver first read it.",
        "last_seen": "When archiver last read it.", "previous_path": "The path it had before a rename.",
        "abspath": "The file's absolute path, symlinks resolved."}),
    "urls": ("Each distinct URL cited, with its state.", {
        "id": "Row id.", "url": "The URL (repaired).", "host": "Its host.", "first_seen": "When first cited.",
        "state": "unchecked, alive, failing, dead, revived or unknown.",
        "failures": "Consecutive failed checks that count.", "first_failed_at": "When it first failed.",
        "last_failed_at": "When it last failed.", "dead_since": "When it became dead.",
        "last_checked": "When last checked.", "last_status": "Status of the last check (docs/statuses.md).",
        "last_alive": "1 alive, 0 not, empty: could not tell.", "last_sha256": "Digest of the last page seen.",
        "last_conclusive": "When a check last concluded alive or not."}),
    "citations": ("Each citation of a URL in a document: the text as printed, where, and the URL it was repaired to.", {
        "id": "Row id.", "document_id": "The document.", "raw": "The URL as printed, damage included.",
        "occurrence": "0 for the first citation of this text in the document, 1 for the second, ...",
        "line": "Line in the document.", "note": "Note number, footnote label or entry key.",
        "idx": "Order within the note.", "url_id": "The repaired URL; empty when none was recovered.",
        "candidates": "JSON list of URLs it may have been.", "context": "The citing text.",
        "accessed": "The access date the document gives.", "first_seen": "When first read.",
        "last_seen": "When last read with this citation in it.", "removed": "When found gone from the document.",
        "role": "citation, example (reserved name or address), navigation (page chrome) or resource (image).",
        "added": "No access date printed: when the document's history says the citation was added (inferred).",
        "added_by": "Which history dated it: git history, a DOCX revision mark, Zotero's dateAdded, ..."}),
    "findings": ("What lint found wrong with a citation (codes: docs/findings.md).", {
        "id": "Row id.", "citation_id": "The citation.", "code": "Stable code, e.g. U108.",
        "name": "Kebab-case name.", "severity": "error, warning or info.", "message": "One line.",
        "fix": "The repair, where there is one."}),
    "runs": ("Each check run.", {
        "id": "Row id.", "command": "The stage.", "started": "Start time.", "finished": "End time.",
        "outcome": "ok, problems, offline, failed or interrupted.", "summary": "JSON counts."}),
    "snapshots": ("Pages as fetched, one per distinct body.", {
        "sha256": "Digest of the decoded body.", "body": "The body, zlib-compressed.",
        "content_type": "Content-Type.", "charset": "Character set.", "size": "Bytes.",
        "truncated": "1 when cut at the size limit.", "title": "Page title.", "text": "Extracted main text.",
        "first_seen": "When first fetched."}),
    "checks": ("Every check of a URL.", {
        "id": "Row id.", "url_id": "The URL.", "run_id": "The run.", "checked_at": "When.",
        "status": "Fine status (docs/statuses.md).", "alive": "1, 0, or empty: could not tell.",
        "http_status": "HTTP status code.", "final_url": "Where redirects ended.",
        "redirects": "JSON list of hops.", "elapsed_ms": "Time taken.", "error": "Transport error.",
        "sha256": "Digest of the body (a snapshot).", "inconclusive": "1 when recorded during an outage.",
        "state": "The URL's state after this check.", "previous_state": "... and before it.",
        "headers": "Response headers as JSON [[name, value], ...]."}),
    "drift": ("Changes of a page's content between checks.", {
        "id": "Row id.", "url_id": "The URL.", "detected_at": "When noticed.", "old_sha256": "Digest before.",
        "new_sha256": "Digest after.", "similarity": "0..1, of the extracted texts.", "summary": "What changed."}),
    "captures": ("Archived copies: submissions to and matches in web archives.", {
        "id": "Row id.", "url_id": "The URL.", "archive": "The archive (wayback).",
        "need": "save (a live link) or match (a dead one).", "job_id": "Save Page Now job.",
        "state": "queued, submitting, pending, success, failed, quota, unknown, matched or none.",
        "submitted": "When submitted.", "finished": "When done.", "timestamp": "Capture time, 14 digits.",
        "archive_url": "The archived copy.", "status_code": "Status the archive recorded.", "error": "Error.",
        "reason": "Why it was (not) submitted.", "attempts": "Tries.", "next_attempt": "When to retry.",
        "updated": "Last change.", "verdict": "Capture QA: verified, differs or bad; empty when never judged.",
        "similarity": "0..1, like archiver's page from the citation's time.",
        "qa": "What capture QA saw, and the captures it skipped."}),
    "quotes": ("Quotations of citing sentences, looked for in each copy of the page.", {
        "id": "Row id.", "citation_id": "The citation.", "quote": "The quoted text.", "kind": "quote or title.",
        "verdict": "still-says-it, no-longer-says-it or not-found.", "live": "In the live page: 1, 0 or empty.",
        "snapshot": "In archiver's page from the citation's time.", "capture": "In the chosen capture.",
        "link": "The archived copy, scrolled to the quote.", "checked_at": "When checked."}),
    "archive_state": ("The archive stage's own state (quota, back-off).", {"key": "Name.", "value": "Value."}),
    "timestamps": ("RFC 3161 tokens from a time-stamping authority (docs/proof.md).", {
        "id": "Row id.", "kind": "What was stamped: snapshot, screenshot or export.",
        "sha256": "The digest the token is over.", "name": "An export's file name.", "tsa": "The authority's URL.",
        "token": "The TimeStampResp as received (DER).", "gen_time": "The time the authority attests.",
        "requested": "When archiver asked."}),
    "screenshots": ("Full-page PNGs of live pages by headless Chromium (docs/proof.md).", {
        "id": "Row id.", "url_id": "The URL.", "sha256": "Digest of the PNG.", "taken": "When.",
        "final_url": "Where the browser ended up.", "width": "Pixels.", "height": "Pixels.", "png": "The image.",
        "thumb": "A small JPEG of the page's top."}),
    "schema_version": ("Migrations applied to this file.", {"version": "Schema version."}),
    "latest_status": ("View: each current citation with its URL's latest check and archived copy.", {
        "document": "Document path.", "note": "Note.", "line": "Line.", "idx": "Order within the note.",
        "raw": "As printed.", "url": "Repaired URL.", "state": "URL state.", "status": "Last status.",
        "alive": "1, 0 or empty.", "conclusive": "1 when the check concluded.", "http_status": "HTTP status.",
        "final_url": "After redirects.", "checked_at": "When.", "sha256": "Snapshot digest.",
        "archive_url": "Newest archived copy.", "first_seen": "When first read.", "last_seen": "When last read."}),
    "headers": ("View: response headers, one row each.", {
        "check_id": "The check.", "name": "Header name.", "value": "Header value."}),
}

# The copy to cite, as the report chooses it: for a broken link the capture matched to it, else the newest good one.
_COPY = """coalesce(
  (SELECT q.archive_url FROM captures q WHERE q.url_id = u.id AND q.archive_url IS NOT NULL AND q.need = 'match'
     AND q.state IN ('success', 'matched', 'quota') AND coalesce(q.verdict, '') <> 'bad' AND u.state IN ('failing', 'dead')
     ORDER BY q.timestamp DESC LIMIT 1),
  (SELECT q.archive_url FROM captures q WHERE q.url_id = u.id AND q.archive_url IS NOT NULL
     AND q.state IN ('success', 'matched', 'quota') AND coalesce(q.verdict, '') <> 'bad' ORDER BY q.timestamp DESC LIMIT 1))"""
_FROM = "FROM citations c JOIN documents d ON d.id = c.document_id JOIN urls u ON u.id = c.url_id"
_BROKEN = "c.removed IS NULL AND u.state IN ('failing', 'dead')"
_LAST_CHECK = "(SELECT k.id FROM checks k WHERE k.url_id = u.id ORDER BY k.checked_at DESC, k.id DESC LIMIT 1)"

QUERIES: dict[str, dict[str, str]] = {
    "broken_by_document": {
        "title": "Broken citations by document and note",
        "description": "Citations whose link is failing or dead, with the status of its last check and the copy to cite.",
        "sql": f"""SELECT d.path AS document, c.note, c.line, c.raw AS cited, u.url, u.state, k.status, k.http_status,
  k.checked_at, {_COPY} AS copy_to_cite
{_FROM} LEFT JOIN checks k ON k.id = {_LAST_CHECK}
WHERE {_BROKEN}
ORDER BY d.path, c.line, c.idx""",
    },
    "newly_broken": {
        "title": "Newly broken",
        "description": "Links that became failing or dead in the last check run.",
        "sql": """SELECT u.url, k.previous_state, k.state, k.status, k.http_status, k.checked_at,
  (SELECT group_concat(d.path || ' ' || coalesce(c.note, c.line), '; ') FROM citations c
     JOIN documents d ON d.id = c.document_id WHERE c.url_id = u.id AND c.removed IS NULL) AS cited_in
FROM checks k JOIN urls u ON u.id = k.url_id
WHERE k.run_id = (SELECT max(run_id) FROM checks) AND k.state IN ('failing', 'dead')
  AND coalesce(k.previous_state, '') NOT IN ('failing', 'dead')
ORDER BY u.url""",
    },
    "changed_since_cited": {
        "title": "Changed since cited",
        "description": "Pages whose content changed after the citation's access date (or after archiver first saw the citation).",
        "sql": """SELECT d.path AS document, c.note, u.url, coalesce(c.accessed, c.first_seen) AS cited,
  f.detected_at, round(f.similarity, 2) AS similarity, f.summary, f.old_sha256, f.new_sha256
FROM drift f JOIN urls u ON u.id = f.url_id JOIN citations c ON c.url_id = u.id AND c.removed IS NULL
JOIN documents d ON d.id = c.document_id
WHERE f.detected_at >= coalesce(c.accessed, c.first_seen)
ORDER BY d.path, c.line, f.detected_at""",
    },
    "cite_instead": {
        "title": "What to cite instead",
        "description": "For each broken citation: the archived copy to cite, or where the link now redirects.",
        "sql": f"""SELECT d.path AS document, c.note, c.raw AS cited, u.state, {_COPY} AS cite_instead,
  (SELECT k.final_url FROM checks k WHERE k.id = {_LAST_CHECK} AND k.final_url != u.url) AS now_at
{_FROM}
WHERE {_BROKEN}
ORDER BY d.path, c.line, c.idx""",
    },
    "captures_by_archive": {
        "title": "Captures by archive",
        "description": "Archived copies per archive and state, with the newest capture.",
        "sql": """SELECT archive, need, state, count(*) AS captures, count(DISTINCT url_id) AS urls,
  max(timestamp) AS newest FROM captures GROUP BY archive, need, state ORDER BY archive, need, state""",
    },
}

SEARCH_QUERY = {
    "title": "Search the pages archiver kept",
    "description": "Full-text search (SQLite FTS5) over the title and text of every snapshot: words, \"a phrase\", "
                   "prefix*, AND/OR/NOT.",
    "sql": """SELECT sha256, url, title, snippet(snapshot_text, 3, '[', ']', ' … ', 16) AS excerpt
FROM snapshot_text WHERE snapshot_text MATCH :q ORDER BY rank LIMIT 100""",
}


def metadata() -> dict:
    """Datasette's metadata: titles, descriptions, canned queries."""
    tables = {name: {"description": about, "columns": columns} for name, (about, columns) in TABLES.items()}
    return {
        "title": "archiver: archive.db",
        "description": "What archiver found, checked and archived. Open a snapshot's digest for its page.",
        "databases": {
            ARCHIVE_DB: {"tables": tables, "queries": QUERIES},
            SEARCH_DB: {"description": "Full-text index over snapshot text, built by `archiver browse` when it starts.",
                        "tables": {"snapshot_text": {"description": "One row per snapshot: title and text, searchable.",
                                                     "columns": {"sha256": "Snapshot digest.", "url": "A URL it was fetched from.",
                                                                 "title": "Page title.", "text": "Extracted text."}}},
                        "queries": {"search": SEARCH_QUERY}},
        },
    }
