"""The PostgreSQL store, for corpora that outgrow one machine (issue 20): psycopg 3, async.

`schema.py` generates the PostgreSQL schema from SQLite's migrations (one schema, two dialects);
`connect.py` opens a connection and brings the schema forward. Nothing here is imported on the
default (SQLite) path, and psycopg comes with the optional extra `archiver[scale]`.
"""
