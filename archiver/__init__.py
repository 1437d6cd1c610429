"""archiver: extract, repair, check and archive the URLs a document cites."""

__version__ = "0.1.0"
