"""Repaired citations parked on disk between lint's two passes over a document.

Why: a citation's findings depend on the rest of its document (archiver.docindex), so lint holds each
repaired citation until it has seen them all. 100,000 of them in memory cost ~150 MB; pickled as flat
tuples, in batches, to an unlinked temporary file, they cost a batch of memory and a few percent of
lint's time to write and read back. Repairing them again instead would double lint's time.

Each batch is two pickles: the citations' keys (what DocumentIndex.seal and the distinct-URL count
read again, cheaply) and the citations themselves (read once, to be written out).
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import fields
from operator import attrgetter
from typing import Any

from ..errors import ArchiverError
from ..models import Citation, Finding, Repaired

__all__ = ["Spill"]

def _fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


_CITATION, _FINDING, _REPAIRED = _fields(Citation), _fields(Finding), _fields(Repaired)
if _REPAIRED[:3] != ("citation", "url", "findings") or any(
        hasattr(cls, "__post_init__") for cls in (Citation, Finding, Repaired)):  # pragma: no cover
    raise ImportError("archiver.lint.spill rebuilds Citation, Finding and Repaired field by field: update it")
_pack_citation, _pack_finding, _pack_rest = attrgetter(*_CITATION), attrgetter(*_FINDING), attrgetter(*_REPAIRED[3:])


def _builder(cls: type, names: tuple[str, ...]):
    """Build a frozen dataclass from its field values as pickle does, setting its fields directly: the
    values were checked when the citation was made, and going through the generated __init__ again for
    every field of every citation read back was a large share of lint's second pass."""
    new = object.__new__

    def build(values: tuple):
        obj: Any = new(cls)
        obj.__dict__.update(zip(names, values))
        return obj

    return build


_citation, _finding, _repaired = (_builder(Citation, _CITATION), _builder(Finding, _FINDING),
                                  _builder(Repaired, _REPAIRED))


def _pack(rep: Repaired) -> tuple:
    return (_pack_citation(rep.citation), rep.url, tuple(map(_pack_finding, rep.findings)), *_pack_rest(rep))


def _unpack(t: tuple) -> Repaired:
    return _repaired((_citation(t[0]), t[1], tuple(map(_finding, t[2])), *t[3:]))


class Spill:
    """Append repaired citations with their keys; read back any range of them (`mark()` to `mark()`)
    as often as needed. The file is deleted when closed (and by the system if the process dies)."""

    BATCH = 1024

    def __init__(self) -> None:
        try:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the Spill
        except OSError as exc:
            raise ArchiverError(self._why(exc)) from None
        self._keys: list = []
        self._reps: list[tuple] = []
        self._batches: list[tuple[int, int]] = []  # file offsets of each batch's keys and citations

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def append(self, rep: Repaired, keys: object) -> None:
        self._reps.append(_pack(rep))
        self._keys.append(keys)
        if len(self._reps) >= self.BATCH:
            self._flush()

    def mark(self) -> int:
        """Where the next citation goes (in batches: a mark starts a new one)."""
        self._flush()
        return len(self._batches)

    def read(self, start: int, end: int) -> Iterator[Repaired]:
        """The citations appended between two marks, in order."""
        for batch in self._load(start, end, 1):
            yield from map(_unpack, batch)

    def keys(self, start: int, end: int) -> Iterator:
        """The keys appended with them, in the same order."""
        for batch in self._load(start, end, 0):
            yield from batch

    def _load(self, start: int, end: int, which: int) -> Iterator[list]:
        for i in range(start, end):
            self._file.seek(self._batches[i][which])
            yield pickle.load(self._file)

    def _flush(self) -> None:
        if not self._reps:
            return
        try:
            at = self._file.seek(0, 2)
            pickle.dump(self._keys, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._batches.append((at, self._file.tell()))
            pickle.dump(self._reps, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except OSError as exc:
            raise ArchiverError(self._why(exc)) from None
        self._keys, self._reps = [], []

    @staticmethod
    def _why(exc: OSError) -> str:
        return (f"lint cannot write its temporary file in {tempfile.gettempdir()} ({exc.strerror or exc}); "
                "free some space there or set TMPDIR to another folder")
