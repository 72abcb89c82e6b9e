"""Errors raised by the stores."""

from __future__ import annotations

__all__ = ["AlertStatusConflict", "CaseStatusConflict", "StoreError", "StoreQueryError", "StoreUnavailable"]


class StoreError(RuntimeError):
    """A store operation failed; the message says which and why."""


class StoreQueryError(StoreError):
    """A Cypher statement failed. Carries the statement so it can be reported."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(f"{message}\n-- query:\n{query.strip()}")
        self.query = query


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached (locked folder, server down, bad credentials)."""


class AlertStatusConflict(StoreError):
    """A status change named the status it expected, and the alert had moved on meanwhile."""

    def __init__(self, alert_id: str, expected: str, actual: str) -> None:
        super().__init__(
            f"alert {alert_id} is {actual!r} now, not {expected!r}: another change got there first"
        )
        self.alert_id = alert_id
        self.expected = expected
        self.actual = actual


class CaseStatusConflict(AlertStatusConflict):
    """A case's status change named the status it expected, and the case had moved on meanwhile."""

    def __init__(self, case_id: str, expected: str, actual: str) -> None:
        super().__init__(case_id, expected, actual)
        self.args = (f"case {case_id} is {actual!r} now, not {expected!r}: another change got there first",)
        self.case_id = case_id
