"""archiver: extract, repair, check and archive the URLs a document cites.

The library never prints; `archiver.cli` is the only part that talks to a terminal, and it is a
thin shell over `archiver.api` (`from archiver import api`; the verbs live there because
`archiver.lint` and `archiver.check` are also the names of the stages' packages):

    api.lint(paths, settings)     citations and findings, nothing fetched     -> LintResult
    api.check(paths, settings)    verdicts, snapshots, history in archive.db  -> CheckReport
    api.archive(paths, settings)  Wayback submissions and matches             -> ArchiveOutcome
    api.run(paths, settings)      all stages, one event loop                  -> RunResult

Lower layers, for programs that bring their own store or client: extract / repair_document,
check_urls / run_checks, archive_urls.

Names are imported on first use, so `archiver lint` does not pay for httpx and the Wayback client.
"""

from importlib import import_module

__version__ = "0.1.0"

_WHERE = {
    "ArchiveOutcome": "api", "CheckReport": "api", "LintResult": "api", "RunResult": "api",
    "api": "api",
    "CheckRow": "models",
    "ArchiveReport": "wayback.policy", "ArchiveResult": "wayback.policy", "ArchiveSettings": "wayback.policy",
    "archive_urls": "wayback.policy",
    "Settings": "config", "load_settings": "config",
    "ArchiverError": "errors", "ConfigError": "errors", "InputError": "errors",
    "StoreError": "errors", "StoreLocked": "errors", "StoreFull": "errors", "StoreDenied": "errors",
    "StoreDamaged": "errors",
    "Document": "extract", "extract": "extract", "read_document": "extract",
    "FetchSettings": "check.fetch", "check_one": "check.fetch", "check_urls": "check.fetch", "make_client": "check.fetch",
    "LintedDocument": "lint.run", "lint_paths": "lint.run",
    "Capture": "models", "CheckResult": "models", "Citation": "models", "Finding": "models", "Repaired": "models",
    "Snapshot": "models",
    "CheckRun": "check.run", "run_checks": "check.run",
    "repair_document": "lint.document", "repair_url": "lint.repair", "split_note": "urls.segment",
    "ArchiveStore": "store", "open_store": "store", "StoreReader": "store", "open_reader": "store",
    "WaybackClient": "wayback.client", "WaybackConfig": "wayback.client", "WaybackKeys": "wayback.client",
}

__all__ = sorted([*_WHERE, "__version__"])


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    value = import_module(f".{module}", __name__)
    if name != module:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
