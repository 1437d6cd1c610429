"""Credentials (Internet Archive keys, passwords) as values that never show themselves."""

from __future__ import annotations

__all__ = ["Secret"]


class Secret:
    """A credential that never shows itself in a repr, str, log line, exception or report."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # refuse pickling into logs/caches by accident
        raise TypeError("Secret cannot be pickled")
