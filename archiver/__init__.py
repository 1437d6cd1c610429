"""archiver: extract, repair, check and archive the URLs a document cites.

The library is async at the network stages and never prints; `archiver.cli` is the only part that
talks to a terminal. The stages, in pipeline order:

    lint_paths / extract / repair_document      citations and findings, nothing fetched
    check_urls (fetch) / run_checks (pipeline)  verdicts, snapshots, history in archive.db
    archive_urls                                Wayback Machine submissions and matches

Names are imported on first use, so `archiver lint` does not pay for httpx and the Wayback client.
"""

from importlib import import_module

__version__ = "0.1.0"

_WHERE = {
    "ArchiveReport": "wayback.policy", "ArchiveResult": "wayback.policy", "ArchiveSettings": "wayback.policy", "archive_urls": "wayback.policy",
    "Settings": "config", "load_settings": "config",
    "ArchiverError": "errors", "ConfigError": "errors", "InputError": "errors",
    "StoreError": "errors", "StoreLocked": "errors",
    "Document": "extract", "extract": "extract", "read_document": "extract",
    "FetchSettings": "check.fetch", "check_one": "check.fetch", "check_urls": "check.fetch", "make_client": "check.fetch",
    "LintedDocument": "lint", "lint_paths": "lint",
    "Capture": "models", "CheckResult": "models", "Citation": "models", "Finding": "models", "Repaired": "models",
    "Snapshot": "models",
    "CheckRun": "check.run", "run_checks": "check.run",
    "repair_document": "repair", "repair_url": "repair", "split_note": "segment",
    "Store": "store",
    "WaybackClient": "wayback.client", "WaybackConfig": "wayback.client", "WaybackKeys": "wayback.client",
}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
