"""archiver: extract, repair, check and archive the URLs a document cites.

The library is async at the network stages and never prints; `archiver.cli` is the only part that
talks to a terminal. The stages, in pipeline order:

    lint_paths / extract / repair_document      citations and findings, nothing fetched
    check_urls (fetch) / run_checks (pipeline)  verdicts, snapshots, history in archive.db
    archive_urls                                Wayback Machine submissions and matches
"""

__version__ = "0.1.0"

from .archive import ArchiveReport, ArchiveResult, ArchiveSettings, archive_urls  # noqa: E402
from .config import Settings, load_settings  # noqa: E402
from .errors import ArchiverError, ConfigError, InputError, NetworkUnavailable, StoreError, StoreLocked  # noqa: E402
from .extract import Document, extract, read_document  # noqa: E402
from .fetch import FetchSettings, check_one, check_urls, make_client  # noqa: E402
from .lint import LintedDocument, lint_paths  # noqa: E402
from .models import Capture, CheckResult, Citation, Finding, Repaired, Snapshot  # noqa: E402
from .pipeline import CheckRun, run_checks  # noqa: E402
from .repair import repair_document, repair_url, split_note  # noqa: E402
from .store import Store  # noqa: E402
from .wayback import WaybackClient, WaybackConfig, WaybackKeys  # noqa: E402

__all__ = [
    "ArchiveReport", "ArchiveResult", "ArchiveSettings", "ArchiverError", "Capture", "CheckResult",
    "CheckRun", "Citation", "ConfigError", "Document", "FetchSettings", "Finding", "InputError",
    "LintedDocument", "NetworkUnavailable", "Repaired", "Settings", "Snapshot", "Store", "StoreError",
    "StoreLocked", "WaybackClient", "WaybackConfig", "WaybackKeys", "__version__", "archive_urls",
    "check_one", "check_urls", "extract", "lint_paths", "load_settings", "make_client", "read_document",
    "repair_document", "repair_url", "run_checks", "split_note",
]
