"""The trail (痕迹管理): an append-only, hash-chained log of every load, run and case action.

Each line of ``audit.jsonl`` is one JSON entry::

    {"seq": 7, "at": "2026-11-21T02:00:04", "actor": "scheduler", "action": "detect",
     "details": {...}, "prev": "<hash of entry 6>", "hash": "<sha256 of this entry>"}

``hash`` is the SHA-256 of the entry's canonical JSON without its ``hash`` field,
so editing an entry breaks its own hash, deleting or reordering entries breaks
the ``prev`` link or the sequence, and a separate ``audit.head`` file (the last
sequence number and hash) reveals a log cut short at the end. Appends take an
exclusive file lock, so the app and a scheduled run may write at the same time.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = [
    "AuditLog",
    "AuditProblem",
    "audit_log_for",
    "current_actor",
    "exclusive_lock",
    "write_private_json",
]

GENESIS = "0" * 64


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created with its folder if need be), so
    that processes appending to the same files (the app, the CLI, a scheduled run) take turns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_private_json(path: Path, doc: Any, indent: int | None = None) -> None:
    """Write ``doc`` to ``path`` as JSON readable by its owner only (mode 0600), whole or not at all:
    a temporary file beside it, flushed to disk, then renamed over it. Callers hold the file's lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, ensure_ascii=False, indent=indent)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def current_actor() -> str:
    """Who is acting: ``SUNLIGHT_ACTOR`` if set (the app sets the signed-in user), else the OS user."""
    explicit = os.environ.get("SUNLIGHT_ACTOR")
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _digest(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditProblem:
    """The first entry at which the chain is broken (1-based line number) and why."""

    line: int
    seq: int | None
    reason: str

    def __str__(self) -> str:
        seq = f" (seq {self.seq})" if self.seq is not None else ""
        return f"audit entry at line {self.line}{seq}: {self.reason}"


@dataclass
class _ReadState:
    """How far :meth:`AuditLog.entries` has read the file: which file, up to which byte, the bytes
    just before it (to tell the same file grown from another), and the entries read."""

    inode: tuple[int, int]
    offset: int
    tail: bytes
    entries: list[dict[str, Any]]


class AuditLog:
    """The trail kept in ``folder`` (``audit.jsonl`` and ``audit.head``)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / "audit.jsonl"
        self.head_path = self.folder / "audit.head"
        self._lock_path = self.folder / "audit.lock"
        self._read: _ReadState | None = None

    def _locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self._lock_path)

    def _last(self) -> tuple[int, str]:
        """The last entry's sequence number and hash, read from the end of the file (an append
        costs the same in a trail of ten entries and of a million)."""
        if not self.path.exists():
            return 0, GENESIS
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            chunk = 1 << 16
            while True:
                start = max(0, size - chunk)
                handle.seek(start)
                lines = [line for line in handle.read().split(b"\n") if line.strip()]
                # the first line of a chunk that starts mid-file may be cut: widen until another is whole
                if start == 0 or len(lines) > 1:
                    break
                chunk *= 4
        if not lines:
            return 0, GENESIS
        entry = json.loads(lines[-1].decode("utf-8"))
        return int(entry["seq"]), str(entry["hash"])

    def append(
        self, action: str, details: Mapping[str, Any] | None = None, actor: str | None = None
    ) -> dict[str, Any]:
        """Append one entry and return it."""
        return self.append_many([(action, details, actor)])[0]

    def append_many(
        self, items: Sequence[tuple[str, Mapping[str, Any] | None, str | None]]
    ) -> list[dict[str, Any]]:
        """Append entries ``(action, details, actor)`` in order, chained one to the next, under
        one lock and with one flush to disk; returns them."""
        if not items:
            return []
        with self._locked():
            seq, prev = self._last()
            at = datetime.now().isoformat(timespec="seconds")
            entries, lines = [], []
            for action, details, actor in items:
                seq += 1
                entry: dict[str, Any] = {
                    "seq": seq,
                    "at": at,
                    "actor": actor or current_actor(),
                    "action": action,
                    "details": dict(details or {}),
                    "prev": prev,
                }
                entry["hash"] = prev = _digest(entry)
                entries.append(entry)
                lines.append(json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str) + "\n")
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write("".join(lines))
                handle.flush()
                os.fsync(handle.fileno())
            tmp = self.head_path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"seq": seq, "hash": prev}), encoding="utf-8")
            tmp.replace(self.head_path)
            return entries

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (the entries are shared between calls: read, never modify them).

        The trail only grows, so a second call parses only what was appended since the first
        (the same file, at least as long, the bytes before the end of the last read unchanged);
        anything else is read afresh. :meth:`verify` always reads the whole file."""
        if not self.path.exists():
            self._read = None
            return []
        with self.path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            known = self._read
            entries: list[dict[str, Any]] = []
            offset = 0
            if (
                known is not None
                and known.inode == (stat.st_dev, stat.st_ino)
                and stat.st_size >= known.offset
            ):
                handle.seek(known.offset - len(known.tail))
                if handle.read(len(known.tail)) == known.tail:
                    entries, offset = list(known.entries), known.offset
            handle.seek(offset)
            body = handle.read()
            complete = body[: body.rfind(b"\n") + 1]  # a line being written is read next time
            end = offset + len(complete)
            handle.seek(max(0, end - 64))
            tail = handle.read(end - max(0, end - 64))
        entries += [json.loads(line) for line in complete.decode("utf-8").splitlines() if line.strip()]
        self._read = _ReadState((stat.st_dev, stat.st_ino), end, tail, entries)
        rest = body[len(complete) :]
        # a last line without its newline (written by hand) is read, but not kept as read
        return [*entries, json.loads(rest)] if rest.strip() else list(entries)

    def verify(self) -> AuditProblem | None:
        """``None`` when the chain is intact, else the first broken entry."""
        if not self.path.exists():
            return None
        prev, expected_seq, line_no, last_seq, last_hash = GENESIS, 1, 0, 0, GENESIS
        with self.path.open(encoding="utf-8") as handle:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    return AuditProblem(line_no, None, "empty line in the log")
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    return AuditProblem(line_no, None, f"not valid JSON ({exc.msg})")
                seq = entry.get("seq")
                if entry.get("hash") != _digest(entry):
                    return AuditProblem(line_no, seq, "its content does not match its hash (edited)")
                if seq != expected_seq:
                    return AuditProblem(
                        line_no, seq, f"expected sequence number {expected_seq} (deleted or reordered)"
                    )
                if entry.get("prev") != prev:
                    return AuditProblem(
                        line_no, seq, "does not link to the entry before it (deleted or reordered)"
                    )
                prev, expected_seq, last_seq, last_hash = entry["hash"], seq + 1, seq, entry["hash"]
        if self.head_path.exists():
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            if (head.get("seq"), head.get("hash")) != (last_seq, last_hash):
                return AuditProblem(
                    line_no + 1,
                    head.get("seq"),
                    f"the log ends at seq {last_seq} but the head records seq {head.get('seq')} (entries removed from the end)",
                )
        return None


def audit_log_for(store_path: str | os.PathLike[str] | None, neo4j_uri: str | None = None) -> AuditLog:
    """Where the trail lives: ``SUNLIGHT_AUDIT_DIR`` if set, else beside the embedded store,
    else ``./sunlight-audit`` for a Neo4j store (which has no folder of its own).
    The command line, the scheduled run and the app all write to this one trail."""
    folder = os.environ.get("SUNLIGHT_AUDIT_DIR")
    if folder is None:
        uses_neo4j = bool(neo4j_uri or os.environ.get("NEO4J_URI"))
        folder = "sunlight-audit" if uses_neo4j else str(Path(store_path or "sunlight-store"))
    return AuditLog(folder)
