"""Lint: read a document's citations and diagnose and repair their URLs, offline.

    run         the stage: documents in, `LintedDocument`s (citations, findings, repairs) out
    repair      pure repair rules (scrub -> repair -> normalise), one named function per damage
    candidates  what a URL that cannot be repaired alone may have been (note 25's host)
    docindex    what the whole document says about its hosts, for candidates and repairs
    findings    the registry of finding codes (docs/findings.md)
    spill       citations kept on disk when a document is too large to hold
"""
