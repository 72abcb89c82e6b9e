"""Where the app's data comes from: the store named by the environment, opened briefly.

Reads from every browser session run side by side on one shared read-only engine,
each on a connection of its own (a scheduled ``sunlight detect`` may be writing the
store meanwhile); a case action opens the store for writing just long enough to change
one alert, alone (:mod:`graph.access`). Each read is tagged with a *version*
(:func:`graph.stores.change_token`), so cached tables are rebuilt exactly when something
changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from graph.access import store_access
from graph.store import Store
from graph.stores import DEFAULT_STORE_PATH, change_token
from sunlight.audit import AuditLog
from sunlight.cases import audit_log_for

__all__ = ["StoreSource"]

T = TypeVar("T")


@dataclass(frozen=True)
class StoreSource:
    """The embedded store at ``path``, or the Neo4j server at ``neo4j_uri``."""

    path: str
    neo4j_uri: str | None = None

    @classmethod
    def from_env(cls) -> StoreSource:
        """``NEO4J_URI`` if set, else ``SUNLIGHT_STORE``, else ``./sunlight-store`` (as the CLI)."""
        return cls(
            path=os.environ.get("SUNLIGHT_STORE") or DEFAULT_STORE_PATH,
            neo4j_uri=os.environ.get("NEO4J_URI") or None,
        )

    @property
    def label(self) -> str:
        return self.neo4j_uri or str(Path(self.path).resolve())

    def audit(self) -> AuditLog:
        return audit_log_for(self.path, self.neo4j_uri)

    def version(self) -> str:
        """Changes whenever the store changes.

        What stands for a change depends on the store (:func:`graph.stores.change_token`).
        """
        return change_token(self.path, self.neo4j_uri, self.audit().path)

    def read(self, work: Callable[[Store], T]) -> T:
        """Run ``work`` on the store opened read-only, beside other sessions' reads."""
        return store_access(self.path, self.neo4j_uri).read(work)

    def write(self, work: Callable[[Store], T]) -> T:
        """Run ``work`` on the store opened for writing (a case action), alone in this process."""
        return store_access(self.path, self.neo4j_uri).write(work)
