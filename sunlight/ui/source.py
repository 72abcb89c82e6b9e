"""Where the app's data comes from: the store named by the environment, opened briefly.

Reads from every browser session run side by side on one shared read-only engine,
each on a connection of its own (a scheduled ``sunlight detect`` may be writing the
store meanwhile); a case action opens the store for writing just long enough to change
one alert, alone (:mod:`graph.access`). Each read is tagged with a *version* — the modification times of the embedded store's
files, or for Neo4j the trail's and the minute — so cached tables are rebuilt
exactly when something changed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from graph.access import store_access
from graph.store import Store
from graph.stores import DEFAULT_STORE_PATH
from sunlight.audit import AuditLog
from sunlight.cases import audit_log_for

__all__ = ["StoreSource"]

T = TypeVar("T")

_NEO4J_REFRESH_SECONDS = 60


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

        The embedded store's own files change with every write, a case action included; the
        trail is left out, so that a sign-in or an unmasked view (written to the trail) does not
        make every session read the store again. Neo4j's changes are not visible as files: there
        the trail (a case action from the app) and the minute (a detector run) stand in for them.
        """
        if self.neo4j_uri:
            audit = self.audit().path
            trail = f"{audit.stat().st_mtime_ns}:{audit.stat().st_size}" if audit.exists() else "-"
            return f"{int(time.time() // _NEO4J_REFRESH_SECONDS)}|{trail}"
        folder = Path(self.path)
        parts = []
        if folder.is_dir():
            for entry in sorted(folder.iterdir()):
                if entry.name.startswith("graph.lbdb") and entry.is_file():
                    stat = entry.stat()
                    parts.append(f"{entry.name}:{stat.st_mtime_ns}:{stat.st_size}")
        return ";".join(parts)

    def read(self, work: Callable[[Store], T]) -> T:
        """Run ``work`` on the store opened read-only, beside other sessions' reads."""
        return store_access(self.path, self.neo4j_uri).read(work)

    def write(self, work: Callable[[Store], T]) -> T:
        """Run ``work`` on the store opened for writing (a case action), alone in this process."""
        return store_access(self.path, self.neo4j_uri).write(work)
