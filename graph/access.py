"""Many threads, one store: reads side by side, writes one at a time and alone.

The app serves every browser session from one process, each page run on a thread of its
own. :class:`StoreAccess` is how those threads reach one store:

* **reads run concurrently.** On the embedded store every reading thread gets a connection
  of its own on one shared read-only engine (LadybugDB's connections may run queries in
  parallel on one ``Database``; the engine releases Python's lock while it works). The
  engine is opened by the first read and kept while the database file is the same file
  with the same contents (inode, size and modification time); a read that finds the file
  changed — a nightly run swapped in its finished copy, a case action committed — opens a
  fresh engine, and the old one is closed when its last reader is done. On Neo4j each read
  opens its own driver session, as the driver expects of threads.
* **writes are exclusive** within the process: a write waits until the reads under way are
  done, keeps new ones waiting meanwhile (a steady stream of readers cannot starve it) and
  closes the shared engine before it opens the store for writing, so no reader of this
  process ever sees a file being changed under it.

Waiting is bounded: a read or write that cannot start within ``wait_seconds`` raises
:class:`graph.errors.StoreUnavailable` naming what it waited for, instead of hanging.
Writers in *other* processes (``sunlight detect``, a scheduled run) are kept apart by the
store itself, not by this module.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from graph.errors import StoreUnavailable
from graph.ladybug_store import LadybugStore
from graph.store import Store
from graph.stores import DEFAULT_STORE_PATH, open_store

__all__ = ["DEFAULT_WAIT_SECONDS", "ReadWriteLock", "StoreAccess", "store_access"]

T = TypeVar("T")

#: How long a read or a write waits for its turn before it fails (seconds).
DEFAULT_WAIT_SECONDS = 120.0


class ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that come after it.

    >>> lock = ReadWriteLock()
    >>> with lock.reading(1.0), lock.reading(1.0):
    ...     lock.readers
    2
    >>> with lock.writing(1.0):
    ...     lock.readers, lock.writing_now
    (0, True)
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.readers = 0
        self.writing_now = False
        self._writers_waiting = 0

    def _wait(self, ready: Callable[[], bool], wait_seconds: float, what: str) -> None:
        if not self._cond.wait_for(ready, timeout=wait_seconds):
            raise StoreUnavailable(f"the store stayed busy for {wait_seconds:g} s ({what})")

    @contextmanager
    def reading(self, wait_seconds: float) -> Iterator[None]:
        with self._cond:
            self._wait(
                lambda: not self.writing_now and self._writers_waiting == 0,
                wait_seconds,
                "a case action was being written",
            )
            self.readers += 1
        try:
            yield
        finally:
            with self._cond:
                self.readers -= 1
                self._cond.notify_all()

    @contextmanager
    def writing(self, wait_seconds: float) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                self._wait(
                    lambda: not self.writing_now and self.readers == 0,
                    wait_seconds,
                    "other sessions were still reading",
                )
            finally:
                self._writers_waiting -= 1
            self.writing_now = True
        try:
            yield
        finally:
            with self._cond:
                self.writing_now = False
                self._cond.notify_all()


def _file_identity(folder: Path) -> tuple[Any, ...]:
    """What changes when the embedded store's database changes: each of its files' inode, size
    and modification time (the write-ahead log included)."""
    parts: list[tuple[Any, ...]] = []
    if folder.is_dir():
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith("graph.lbdb") and entry.is_file():
                stat = entry.stat()
                parts.append((entry.name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(parts)


@dataclass
class _Engine:
    """A read-only embedded store shared by the threads reading it, and how many are."""

    owner: LadybugStore  # opened read-only
    identity: tuple[Any, ...]
    users: int = 0
    retired: bool = False


@dataclass
class StoreAccess:
    """Concurrent reads and exclusive writes of the store at ``path`` (or the Neo4j server at
    ``neo4j_uri``) from the threads of one process. Get the process's one instance per store with
    :func:`store_access`."""

    path: str
    neo4j_uri: str | None = None
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    lock: ReadWriteLock = field(default_factory=ReadWriteLock)
    _engines: threading.Lock = field(default_factory=threading.Lock)
    _current: _Engine | None = None
    #: Read-only engines opened so far (for tests and benchmarks: how often the file changed).
    engines_opened: int = 0

    def read(self, work: Callable[[Store], T]) -> T:
        """Run ``work`` on the store opened for reading, beside other reads."""
        with self.lock.reading(self.wait_seconds):
            if self.neo4j_uri:
                store = open_store(self.path, neo4j_uri=self.neo4j_uri, read_only=True)
                try:
                    return work(store)
                finally:
                    store.close()
            engine = self._engine()
            try:
                reader = _SharedEngineReader(engine.owner)
                try:
                    return work(reader)
                finally:
                    reader.close()
            finally:
                self._release(engine)

    def write(self, work: Callable[[Store], T]) -> T:
        """Run ``work`` on the store opened for writing, alone."""
        with self.lock.writing(self.wait_seconds):
            self._retire_current()
            store = open_store(self.path, neo4j_uri=self.neo4j_uri, read_only=False)
            try:
                return work(store)
            finally:
                store.close()

    def close(self) -> None:
        """Close the shared engine (the next read opens it again)."""
        with self.lock.writing(self.wait_seconds):
            self._retire_current()

    # ---- the shared read-only engine -------------------------------------------------------
    def _engine(self) -> _Engine:
        folder = Path(self.path)
        with self._engines:
            identity = _file_identity(folder)
            current = self._current
            if current is None or current.identity != identity:
                if current is not None:
                    self._retire(current)
                # opened under the lock: readers arriving meanwhile wait for this one engine
                # instead of each opening their own
                owner = LadybugStore(folder, read_only=True)
                current = self._current = _Engine(owner, identity)
                self.engines_opened += 1
            current.users += 1
            return current

    def _release(self, engine: _Engine) -> None:
        with self._engines:
            engine.users -= 1
            if engine.retired and engine.users == 0:
                engine.owner.close()

    def _retire(self, engine: _Engine) -> None:
        engine.retired = True
        if engine is self._current:
            self._current = None
        if engine.users == 0:
            engine.owner.close()

    def _retire_current(self) -> None:
        with self._engines:
            if self._current is not None:
                self._retire(self._current)


class _SharedEngineReader(LadybugStore):
    """A read-only :class:`~graph.ladybug_store.LadybugStore` on another one's engine: the same
    database, a connection of its own. Closing it closes only the connection."""

    def __init__(self, owner: LadybugStore) -> None:  # the engine was opened by the owner
        import ladybug

        self.__dict__.update(owner.__dict__)
        self._conn = ladybug.Connection(owner._db)

    def close(self) -> None:
        self._conn.close()


_ACCESS: dict[tuple[str, str | None], StoreAccess] = {}
_ACCESS_LOCK = threading.Lock()


def store_access(path: str | os.PathLike[str] | None = None, neo4j_uri: str | None = None) -> StoreAccess:
    """The process's one :class:`StoreAccess` for the store at ``path`` (or ``neo4j_uri``)."""
    folder = str(Path(path or os.environ.get("SUNLIGHT_STORE") or DEFAULT_STORE_PATH).resolve())
    key = (folder, neo4j_uri or None)
    with _ACCESS_LOCK:
        access = _ACCESS.get(key)
        if access is None:
            access = _ACCESS[key] = StoreAccess(folder, neo4j_uri or None)
        return access
