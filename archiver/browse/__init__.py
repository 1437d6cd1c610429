"""`archiver browse`: archive.db in Datasette (the optional extra `archiver[browse]`).

    metadata  a description of every table, view and column; the editor's canned queries
    search    the full-text index over snapshot text, built on demand into a file of its own
    plugin    Datasette hooks: the page of a snapshot, digests linked to it
    serve     the Datasette instance: archive.db immutable (read-only), the index beside it

archive.db is read through Datasette's SQL only, opened immutable: browsing never writes to it,
and the store's write path knows nothing of Datasette or of the index.
"""
