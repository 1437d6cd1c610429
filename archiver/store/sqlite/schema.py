"""The archive.db schema, as an ordered list of migrations.

Each migration is plain SQL run once, inside one transaction, and recorded in `schema_version`, so an
old archive.db is brought forward on open and a failed migration leaves the database as it was.
Never edit a migration that has been released; append a new one.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: documents, citations, urls, findings; checks, snapshots, headers, drift; captures; runs.
    """
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,          -- as the user gave it
        format TEXT,
        sha256 TEXT,                        -- of the file as last read
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE urls (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        host TEXT,
        first_seen TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'unchecked', -- unchecked|alive|failing|dead|revived|unknown
        failures INTEGER NOT NULL DEFAULT 0,     -- consecutive failed checks that count
        first_failed_at TEXT,
        last_failed_at TEXT,
        dead_since TEXT,
        last_checked TEXT,
        last_status TEXT,
        last_alive INTEGER,
        last_sha256 TEXT
    );
    CREATE TABLE citations (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        line INTEGER NOT NULL,
        note TEXT,
        idx INTEGER NOT NULL DEFAULT 0,
        raw TEXT NOT NULL,
        url_id INTEGER REFERENCES urls(id),  -- the repaired URL, NULL when none was recovered
        candidates TEXT,                      -- JSON list
        context TEXT,
        accessed TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        UNIQUE (document_id, line, idx, raw)
    );
    CREATE INDEX citations_url ON citations(url_id);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        citation_id INTEGER NOT NULL REFERENCES citations(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        fix TEXT,
        UNIQUE (citation_id, code, message)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        started TEXT NOT NULL,
        finished TEXT,
        outcome TEXT,                          -- ok|problems|offline|failed|interrupted
        summary TEXT                           -- JSON
    );
    CREATE TABLE snapshots (
        sha256 TEXT PRIMARY KEY,               -- of the decoded body as fetched
        body BLOB,                             -- zlib-compressed
        content_type TEXT,
        charset TEXT,
        size INTEGER NOT NULL,
        truncated INTEGER NOT NULL DEFAULT 0,
        title TEXT,
        text TEXT,                             -- extracted main text
        first_seen TEXT NOT NULL
    );
    CREATE TABLE checks (
        id INTEGER PRIMARY KEY,
        url_id INTEGER NOT NULL REFERENCES urls(id),
        run_id INTEGER REFERENCES runs(id),
        checked_at TEXT NOT NULL,
        status TEXT NOT NULL,
        alive INTEGER,                         -- 1, 0, NULL (cannot tell)
        http_status INTEGER,
        final_url TEXT,
        redirects TEXT,                        -- JSON list of {url, status, location}
        elapsed_ms INTEGER,
        error TEXT,
        sha256 TEXT REFERENCES snapshots(sha256),
        inconclusive INTEGER NOT NULL DEFAULT 0, -- recorded during a network outage
        state TEXT,                            -- the url's state after this check
        previous_state TEXT                    -- ... and before it
    );
    CREATE INDEX checks_url ON checks(url_id, checked_at);
    CREATE TABLE headers (
        check_id INTEGER NOT NULL REFERENCES checks(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value TEXT NOT NULL
    );
    CREATE INDEX headers_check ON headers(check_id);
    CREATE TABLE drift (
        id INTEGER PRIMARY KEY,
        url_id INTEGER NOT NULL REFERENCES urls(id),
        detected_at TEXT NOT NULL,
        old_sha256 TEXT NOT NULL,
        new_sha256 TEXT NOT NULL,
        similarity REAL,                       -- 0..1, of the extracted texts
        summary TEXT
    );
    CREATE TABLE captures (
        id INTEGER PRIMARY KEY,
        url_id INTEGER NOT NULL REFERENCES urls(id),
        archive TEXT NOT NULL DEFAULT 'wayback',
        need TEXT NOT NULL,                    -- 'save' (live link) | 'match' (dead link)
        job_id TEXT,
        state TEXT NOT NULL,                   -- queued|submitting|pending|success|failed|quota|unknown|matched|none
        submitted TEXT,
        finished TEXT,
        timestamp TEXT,                        -- 14 digits
        archive_url TEXT,
        status_code TEXT,                      -- status the archive recorded
        error TEXT,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT,
        updated TEXT NOT NULL
    );
    CREATE INDEX captures_url ON captures(url_id, archive, need);
    CREATE INDEX captures_job ON captures(job_id);
    CREATE TABLE archive_state (
        key TEXT PRIMARY KEY,                  -- e.g. 'quota_until', 'backoff_until'
        value TEXT
    );
    CREATE VIEW latest_status AS
    SELECT d.path AS document, c.note, c.line, c.idx, c.raw, u.url, u.state,
           k.status, k.alive, k.http_status, k.final_url, k.checked_at, k.sha256,
           (SELECT p.archive_url FROM captures p
             WHERE p.url_id = u.id AND p.archive_url IS NOT NULL
             ORDER BY p.updated DESC LIMIT 1) AS archive_url
    FROM citations c
    JOIN documents d ON d.id = c.document_id
    LEFT JOIN urls u ON u.id = c.url_id
    LEFT JOIN checks k ON k.id = (
        SELECT id FROM checks WHERE url_id = u.id ORDER BY checked_at DESC, id DESC LIMIT 1);
    """,
    # 2: the citation lifecycle and honest "cannot tell".
    # A citation is identified within its document by its text as printed and which occurrence of
    # that text it is (`occurrence`), not by its line, so an edit above it (lines shift, notes are
    # renumbered) keeps its history; a citation gone from the document gets `removed` and leaves
    # latest_status. `documents.previous_path` remembers a rename recognised by content.
    # `urls.last_conclusive` is when a check last concluded something (what --stale counts), and a
    # check held back as inconclusive stores alive = NULL. findings is rebuilt with citations so no
    # foreign key cascade fires while the table is replaced.
    """
    DROP VIEW latest_status;
    CREATE TABLE findings_v1 AS SELECT * FROM findings;
    DROP TABLE findings;
    ALTER TABLE citations RENAME TO citations_v1;
    CREATE TABLE citations (
        id INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id),
        raw TEXT NOT NULL,                    -- the URL as printed, damage included
        occurrence INTEGER NOT NULL DEFAULT 0, -- 0 for the first citation of this raw text in the document
        line INTEGER NOT NULL,
        note TEXT,
        idx INTEGER NOT NULL DEFAULT 0,
        url_id INTEGER REFERENCES urls(id),   -- the repaired URL, NULL when none was recovered
        candidates TEXT,                      -- JSON list
        context TEXT,
        accessed TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,              -- last time the document was read with this citation in it
        removed TEXT,                         -- when it was found gone from the document; NULL while current
        UNIQUE (document_id, raw, occurrence)
    );
    INSERT INTO citations (id, document_id, raw, occurrence, line, note, idx, url_id, candidates, context,
                           accessed, first_seen, last_seen)
    SELECT id, document_id, raw,
           row_number() OVER (PARTITION BY document_id, raw ORDER BY line, idx, id) - 1,
           line, note, idx, url_id, candidates, context, accessed, first_seen, last_seen
    FROM citations_v1;
    DROP TABLE citations_v1;
    CREATE INDEX citations_url ON citations(url_id);
    CREATE INDEX citations_current ON citations(document_id, removed);
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        citation_id INTEGER NOT NULL REFERENCES citations(id) ON DELETE CASCADE,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        fix TEXT,
        UNIQUE (citation_id, code, message)
    );
    INSERT INTO findings SELECT * FROM findings_v1;
    DROP TABLE findings_v1;
    ALTER TABLE documents ADD COLUMN previous_path TEXT;  -- the path it had before a rename
    ALTER TABLE urls ADD COLUMN last_conclusive TEXT;     -- last check that concluded alive or not
    UPDATE checks SET alive = NULL WHERE inconclusive = 1;
    UPDATE urls SET last_conclusive = (
        SELECT max(k.checked_at) FROM checks k WHERE k.url_id = urls.id AND k.inconclusive = 0
        AND k.alive IS NOT NULL);
    CREATE VIEW latest_status AS
    SELECT d.path AS document, c.note, c.line, c.idx, c.raw, u.url, u.state,
           k.status, k.alive, k.inconclusive = 0 AND k.alive IS NOT NULL AS conclusive,
           k.http_status, k.final_url, k.checked_at, k.sha256,
           (SELECT p.archive_url FROM captures p
             WHERE p.url_id = u.id AND p.archive_url IS NOT NULL
             ORDER BY p.updated DESC LIMIT 1) AS archive_url,
           c.first_seen, c.last_seen
    FROM citations c
    JOIN documents d ON d.id = c.document_id
    LEFT JOIN urls u ON u.id = c.url_id
    LEFT JOIN checks k ON k.id = (
        SELECT id FROM checks WHERE url_id = u.id ORDER BY checked_at DESC, id DESC LIMIT 1)
    WHERE c.removed IS NULL
    ORDER BY d.id, c.line, c.idx;
    """,
    # 3: a document is known by its file, whatever the directory archiver ran from. `path` stays the
    # path as the user gave it last (what outputs show); `abspath` is the file's absolute path with
    # symlinks resolved, NULL for stdin and for rows written before it (filled in when next read).
    """
    ALTER TABLE documents ADD COLUMN abspath TEXT;
    CREATE INDEX documents_abspath ON documents(abspath);
    """,
    # 4: a check's response headers are a JSON column of `checks` ([[name, value], ...] in the order
    # received) instead of a row each in a `headers` table: one row per check costs 22 us less CPU than
    # four header rows and their index (the 2,000-URL bench, 4 headers a page; real pages send 10-20).
    # `headers` stays readable as a view with the same columns, for SQL clients.
    """
    ALTER TABLE checks ADD COLUMN headers TEXT;
    UPDATE checks SET headers = (SELECT json_group_array(json_array(name, value))
                                 FROM (SELECT name, value FROM headers h WHERE h.check_id = checks.id ORDER BY h.rowid));
    DROP TABLE headers;
    CREATE VIEW headers AS
    SELECT k.id AS check_id, json_extract(j.value, '$[0]') AS name, json_extract(j.value, '$[1]') AS value
    FROM checks k, json_each(k.headers) j;
    """,
    # 5: a run's checks found by an index, not by a scan of all history: reading one run (its report,
    # counts, resume, held-back failures) grew with every run a cron user added. (run_id, url_id)
    # also answers "which URLs did this run check" without reading the rows. drift by URL: whether a
    # check changed its page's text was a scan of all drift rows for every check read.
    """
    CREATE INDEX checks_run ON checks(run_id, url_id);
    CREATE INDEX drift_url ON drift(url_id);
    """,
    # 6: what a URL is to its document (`role`: citation, example, navigation, resource), so check and
    # archive take the citations by default and the report groups the rest apart; and, for a citation
    # that prints no access date, when it was added as the document's own history tells (`added`,
    # YYYY-MM-DD, and `added_by`: "git history", "DOCX revision mark", "Zotero dateAdded", ...).
    # An inferred date is never an access date: it only chooses the Wayback capture of a dead link.
    """
    ALTER TABLE citations ADD COLUMN role TEXT NOT NULL DEFAULT 'citation';
    ALTER TABLE citations ADD COLUMN added TEXT;
    ALTER TABLE citations ADD COLUMN added_by TEXT;
    """,
    # 7: capture QA and quotes (docs/captures.md). A capture archiver fetched raw and judged carries its
    # verdict (verified | differs | bad; NULL: never verified), the similarity of its text to
    # archiver's own snapshot from the citation's time, and `qa`, the words: what was judged and which
    # captures were skipped as bad, and why. A bad capture is never offered as the copy to cite.
    # `quotes`: each quotation a citing sentence makes from its source, checked against the live page,
    # archiver's snapshot and the chosen capture (1 found, 0 not found, NULL no such copy).
    """
    ALTER TABLE captures ADD COLUMN verdict TEXT;
    ALTER TABLE captures ADD COLUMN similarity REAL;
    ALTER TABLE captures ADD COLUMN qa TEXT;
    CREATE TABLE quotes (
        id INTEGER PRIMARY KEY,
        citation_id INTEGER NOT NULL REFERENCES citations(id) ON DELETE CASCADE,
        quote TEXT NOT NULL,
        kind TEXT NOT NULL,                    -- quote | title (the quoted text is the page's title)
        verdict TEXT NOT NULL,                 -- still-says-it | no-longer-says-it | not-found
        live INTEGER,
        snapshot INTEGER,
        capture INTEGER,
        link TEXT,                             -- the archived copy, scrolled to the quote (#:~:text=)
        checked_at TEXT NOT NULL,
        UNIQUE (citation_id, quote)
    );
    """,
    # 8: `latest_status` offers no capture that capture QA judged bad (migration 7), as the report does not.
    """
    DROP VIEW latest_status;
    CREATE VIEW latest_status AS
    SELECT d.path AS document, c.note, c.line, c.idx, c.raw, u.url, u.state,
           k.status, k.alive, k.inconclusive = 0 AND k.alive IS NOT NULL AS conclusive,
           k.http_status, k.final_url, k.checked_at, k.sha256,
           (SELECT p.archive_url FROM captures p
             WHERE p.url_id = u.id AND p.archive_url IS NOT NULL AND (p.verdict IS NULL OR p.verdict <> 'bad')
             ORDER BY p.updated DESC LIMIT 1) AS archive_url,
           c.first_seen, c.last_seen
    FROM citations c
    JOIN documents d ON d.id = c.document_id
    LEFT JOIN urls u ON u.id = c.url_id
    LEFT JOIN checks k ON k.id = (
        SELECT id FROM checks WHERE url_id = u.id ORDER BY checked_at DESC, id DESC LIMIT 1)
    WHERE c.removed IS NULL
    ORDER BY d.id, c.line, c.idx;
    """,
    # 9: evidence a third party can check (docs/proof.md). `timestamps`: RFC 3161 tokens from a
    # time-stamping authority over a SHA-256 digest, each as the TSA's whole TimeStampResp (DER), so
    # `archiver verify` and `openssl ts -verify` read it as received. `kind` says what was stamped:
    # a snapshot (its key), a screenshot (its key) or an export (the digest of the file named).
    # `screenshots`: full-page PNGs of live cited pages taken by headless Chromium, by URL.
    """
    CREATE TABLE timestamps (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                   -- snapshot|screenshot|export
        sha256 TEXT NOT NULL,                 -- hex digest the token is over
        name TEXT,                            -- export: the file's name
        tsa TEXT NOT NULL,                    -- the authority's URL
        token BLOB NOT NULL,                  -- TimeStampResp, DER, as received
        gen_time TEXT NOT NULL,               -- the time the authority attests (UTC)
        requested TEXT NOT NULL,
        UNIQUE (kind, sha256, tsa)
    );
    CREATE TABLE screenshots (
        id INTEGER PRIMARY KEY,
        url_id INTEGER NOT NULL REFERENCES urls(id),
        sha256 TEXT NOT NULL,                 -- of the PNG
        taken TEXT NOT NULL,
        final_url TEXT,                       -- where the browser ended up
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        png BLOB NOT NULL,                    -- as the browser wrote it (PNG is compressed already)
        thumb BLOB,                           -- a small JPEG of the page's top, for the report
        UNIQUE (url_id, sha256)
    );
    CREATE INDEX screenshots_url ON screenshots(url_id, taken);
    """,
]
