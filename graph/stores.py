"""Opening the store the user named: the factory beside the two stores.

The embedded store is the default; a Neo4j URI (``--neo4j`` or ``NEO4J_URI``) names a
server instead. Both store modules are imported only when opened, so ``--help`` stays fast
and the Neo4j driver is needed only by those who use it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from graph.store import Store

__all__ = ["DEFAULT_STORE_PATH", "change_token", "open_store"]

DEFAULT_STORE_PATH = "sunlight-store"
#: How long a reader may keep tables read from a Neo4j server before reading them again.
_NEO4J_REFRESH_SECONDS = 60


def open_store(
    path: str | os.PathLike[str] | None = None,
    neo4j_uri: str | None = None,
    read_only: bool = False,
) -> Store:
    """Open the store the user named: a Neo4j URI if given (or ``NEO4J_URI``), else the
    embedded store at ``path`` (or ``SUNLIGHT_STORE``, or ``./sunlight-store``).

    ``read_only`` opens the embedded store for reading (a writer may hold it meanwhile);
    Neo4j refuses writes per query instead (:meth:`graph.neo4j_store.Neo4jStore.query`)."""
    uri = neo4j_uri or os.environ.get("NEO4J_URI")
    if uri:
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore.from_env(uri)
    from graph.ladybug_store import LadybugStore

    folder = Path(path or os.environ.get("SUNLIGHT_STORE") or DEFAULT_STORE_PATH)
    return LadybugStore(folder, read_only=read_only)


def change_token(path: str | os.PathLike[str], neo4j_uri: str | None, trail: Path) -> str:
    """A text that changes whenever the store the user named changes, for caching reads.

    The embedded store's own files change with every write, a case action included; the trail
    is left out, so that a sign-in or an unmasked view (written to the trail) does not make every
    reader read the store again. A Neo4j server's changes are not visible as files: there the
    trail (a case action from the app) and the minute (a detector run) stand in for them."""
    if neo4j_uri:
        stamp = f"{trail.stat().st_mtime_ns}:{trail.stat().st_size}" if trail.exists() else "-"
        return f"{int(time.time() // _NEO4J_REFRESH_SECONDS)}|{stamp}"
    from graph.ladybug_store import DB_FILENAME

    folder = Path(path)
    parts = []
    if folder.is_dir():
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(DB_FILENAME) and entry.is_file():
                stat = entry.stat()
                parts.append(f"{entry.name}:{stat.st_mtime_ns}:{stat.st_size}")
    return ";".join(parts)
