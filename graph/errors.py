"""Errors raised by the stores."""

from __future__ import annotations

__all__ = ["StoreError", "StoreQueryError", "StoreUnavailable"]


class StoreError(RuntimeError):
    """A store operation failed; the message says which and why."""


class StoreQueryError(StoreError):
    """A Cypher statement failed. Carries the statement so it can be reported."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(f"{message}\n-- query:\n{query.strip()}")
        self.query = query


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached (locked folder, server down, bad credentials)."""
