"""Opening the store the user named: the factory beside the two stores.

The embedded store is the default; a Neo4j URI (``--neo4j`` or ``NEO4J_URI``) names a
server instead. Both store modules are imported only when opened, so ``--help`` stays fast
and the Neo4j driver is needed only by those who use it.
"""

from __future__ import annotations

import os
from pathlib import Path

from graph.store import Store

__all__ = ["DEFAULT_STORE_PATH", "open_store"]

DEFAULT_STORE_PATH = "sunlight-store"


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
