"""Exceptions that mean the run itself failed (a per-URL failure is a value, never an exception).

    ArchiverError                 exit code 3 at the CLI edge
    ├── ConfigError               bad settings, config file or option values
    ├── InputError                a document cannot be read (missing, unreadable, binary)
    ├── OutputError               an output (report, export, annotated copy) cannot be written
    └── StoreError                the store cannot be opened, migrated, read or written
        ├── StoreLocked           another run holds the database
        ├── StoreFull             the disk is full: the write under way was rolled back
        ├── StoreDenied           no permission to open or write it
        └── StoreDamaged          the file is damaged: recover it or restore a copy

Backends raise only these (store/sqlite/failures.py turns sqlite3's errors into them), so nothing
above the store needs to know which database it talks to.

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


class OutputError(ArchiverError):
    pass


class StoreError(ArchiverError):
    pass


class StoreLocked(StoreError):
    pass


class StoreFull(StoreError):
    pass


class StoreDenied(StoreError):
    pass


class StoreDamaged(StoreError):
    pass
