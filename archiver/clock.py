"""The clock and its text forms: archive.db stores every time as ISO 8601 in UTC to the second.

    utcnow / iso / ts14 / epoch_of / iso_of_epoch
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@overload
def iso(when: datetime) -> str: ...
@overload
def iso(when: None) -> None: ...
def iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC to the second, as archive.db stores every time; naive datetimes are UTC."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds")


def iso_of_epoch(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def ts14(epoch: float) -> str:
    """A Wayback timestamp (YYYYMMDDhhmmss, UTC)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d%H%M%S")


def epoch_of(text: str | None) -> float | None:
    """Epoch seconds from an ISO datetime, a 'YYYY-MM-DD' date or a (prefix of a) 14-digit Wayback
    timestamp; None for anything else."""
    if not text:
        return None
    try:
        if text.isdigit():
            return datetime.strptime(text[:14] + "00000101000000"[len(text[:14]):], "%Y%m%d%H%M%S").replace(
                tzinfo=UTC).timestamp()
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
