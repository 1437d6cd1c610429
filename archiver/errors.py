"""Exceptions that mean the run itself failed (a per-URL failure is a value, never an exception).

    ArchiverError                 exit code 3 at the CLI edge
    ├── ConfigError               bad settings, config file or option values
    ├── InputError                a document cannot be read (missing, unreadable, binary)
    └── StoreError                archive.db cannot be opened, migrated or written
        └── StoreLocked           another run holds the database

A run that finds itself offline is not an exception: `pipeline.run_checks` returns it with
`offline` set, and the CLI exits 3 saying "network unavailable".
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base class: the message says what went wrong and how to fix it."""


class ConfigError(ArchiverError):
    pass


class InputError(ArchiverError):
    pass


class StoreError(ArchiverError):
    pass


class StoreLocked(StoreError):
    pass
