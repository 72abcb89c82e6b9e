"""Read OCDS JSON into one compiled release per contracting process.

OCDS publishers ship the same information in several shapes: release packages,
record packages, bare releases, bare records, compiled releases, JSON Lines with
one of those per line, and arrays of them. This module reads any mix of these
from one file or a folder and returns one :class:`Process` per ``ocid``, whose
``release`` is the publisher's compiled release when one is given and otherwise
the releases merged in date order by :func:`merge_releases`.

Choices
-------
* **A compiled release wins.** When any record in the input carries a
  ``compiledRelease`` (or a release is tagged ``compiled``) for an ocid, the one
  with the latest ``date`` is used and individual releases of that ocid are
  ignored: the publisher compiled them with its own extensions' merge rules.
* **Merging is the OCDS merge, simplified.** Releases are applied oldest first
  (by ``date``; undated ones first, in reading order). Objects merge field by
  field; an array whose items are all objects with an ``id`` merges item by item
  on that ``id``; any other value (strings, numbers, other arrays) is replaced by
  the later release's value; ``null`` removes the field. Extension-specific
  ``wholeListMerge`` rules are not read.
* **The same release read twice counts once** (same ocid and release ``id``), so a
  publisher folder whose ``records/`` and ``releases/`` overlap loads once.
* **Linked releases** (``{"url", "date", "tag"}`` entries of a record) carry no
  content; they are counted, and an ocid that has nothing else is reported.
* **The publisher** of a process is named per ocid prefix (a prefix is registered
  to one publisher): the ``publisher.name`` of the packages and records holding the
  prefix's processes (else their ``packageInfo.publisher``), the most frequent one,
  else the prefix itself (``ocds-b5fd17``).

Bad JSON refuses the read with the file and line; a document that is valid JSON but
neither a release, a record nor a package is counted as ``not_ocds`` and skipped.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "OCDS_SUFFIXES",
    "OcdsReadError",
    "OcdsReading",
    "Process",
    "SourceTally",
    "merge_releases",
    "ocds_files",
    "ocid_prefix",
    "read_processes",
]

#: File name endings read as OCDS JSON (a ``.json`` file may also hold JSON Lines).
OCDS_SUFFIXES = (".json", ".jsonl", ".ndjson")


class OcdsReadError(ValueError):
    """A file is not valid JSON or JSON Lines; the message names the file and line."""

    def __init__(self, file: Path, line: int, column: int, reason: str) -> None:
        self.file, self.line, self.column, self.reason = file, line, column, reason
        where = f"{file}: line {line}, column {column}" if line else str(file)
        super().__init__(f"{where}: {reason}")


@dataclass
class Process:
    """One contracting process: its ocid, who published it and its compiled view."""

    ocid: str
    publisher: str
    release: dict[str, Any]
    compiled_by: str  # "publisher" (a compiledRelease was given), "merge" or "single"
    releases_merged: int
    files: list[str]


@dataclass
class SourceTally:
    """What was read for one publisher, before any mapping."""

    files: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class OcdsReading:
    """The processes read from a source and what was read per publisher."""

    processes: list[Process]
    tallies: dict[str, SourceTally]
    #: Skipped before a process exists: (publisher, reason) -> count.
    skipped: Counter[tuple[str, str]]


def ocds_files(path: Path) -> list[Path]:
    """The OCDS files of ``path``: the file itself, or every OCDS file under a folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(OCDS_SUFFIXES))
    return [path]


def ocid_prefix(ocid: str) -> str:
    """The publisher part of an ocid: its first two dash-separated parts.

    >>> ocid_prefix("ocds-be6bcu-UA-2016-06-02-000468-c")
    'ocds-be6bcu'
    >>> ocid_prefix("AM-PPS-fd7b426a70b9d7ea26a27f21a8eea687")
    'AM-PPS'
    """
    return "-".join(ocid.split("-")[:2])


def parse_json_documents(path: Path) -> Iterator[Any]:
    """Every JSON document in ``path``: one for a JSON file, one per line for JSON Lines."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        # JSON is UTF-8 by definition (RFC 8259); say where the first bad byte is.
        raise OcdsReadError(path, 0, 0, f"not UTF-8 (first bad byte at offset {exc.start})") from exc
    stripped = text.strip()
    if not stripped:
        return
    try:
        yield json.loads(stripped)
        return
    except json.JSONDecodeError as exc:
        # "Extra data" after a complete first value is what JSON Lines looks like to
        # a whole-file parser; anything else is broken JSON.
        if not exc.msg.startswith("Extra data"):
            raise OcdsReadError(path, exc.lineno, exc.colno, exc.msg) from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            raise OcdsReadError(path, number, exc.colno, exc.msg) from exc


def _publisher_name(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) else ""


def _is_linked_release(release: dict[str, Any]) -> bool:
    """A record's pointer to a release published elsewhere: url, date and tag only."""
    return "url" in release and not set(release) - {"url", "date", "tag"}


def _sort_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    # Naive and zoned dates are compared as UTC so that a mixed publisher still sorts.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _merge_into(target: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        current = target.get(key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(current, dict):
            _merge_into(current, value)
        elif isinstance(current, list) and _is_identified_list(value) and _is_identified_list(current):
            by_id = {str(item["id"]): item for item in current}
            for item in value:
                known = by_id.get(str(item["id"]))
                if known is None:
                    fresh = _strip_nulls(item)
                    current.append(fresh)
                    by_id[str(item["id"])] = fresh
                else:
                    _merge_into(known, item)
        else:
            target[key] = _strip_nulls(copy.deepcopy(value))


def _is_identified_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("id") is not None for item in value)
    )


def merge_releases(releases: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Merge releases of one ocid into a compiled release, oldest first.

    >>> merged = merge_releases([
    ...     {"ocid": "x", "date": "2020-02-01", "awards": [{"id": "1", "status": "active"}]},
    ...     {"ocid": "x", "date": "2020-01-01", "tender": {"status": "active", "title": "T"},
    ...      "awards": [{"id": "1", "status": "pending", "value": {"amount": 5}}]},
    ... ])
    >>> merged["awards"], merged["tender"]["title"], merged["date"]
    ([{'id': '1', 'status': 'active', 'value': {'amount': 5}}], 'T', '2020-02-01')
    """
    ordered = list(enumerate(releases))
    floor = datetime.min.replace(tzinfo=UTC)
    ordered.sort(key=lambda pair: (_sort_time(pair[1].get("date")) or floor, pair[0]))
    compiled: dict[str, Any] = {}
    for _, release in ordered:
        _merge_into(compiled, release)
    compiled["tag"] = ["compiled"]
    return compiled


@dataclass
class _Collected:
    compiled: list[tuple[datetime | None, int, dict[str, Any]]] = field(default_factory=list)
    releases: dict[str, dict[str, Any]] = field(default_factory=dict)
    publishers: list[str] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    linked: int = 0


class _Reader:
    def __init__(self) -> None:
        self.by_ocid: dict[str, _Collected] = {}
        self.read_order = 0
        # Counts kept per ocid prefix until publishers are known; per file for the rest.
        self.counts: dict[str, Counter[str]] = {}
        self.file_level: Counter[tuple[str, str]] = Counter()  # (file, reason)

    def _count(self, ocid: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(ocid_prefix(ocid), Counter())[what] += n

    def _slot(self, ocid: str, file: str, publisher: str) -> _Collected:
        slot = self.by_ocid.setdefault(ocid, _Collected())
        slot.files.add(file)
        if publisher:
            slot.publishers.append(publisher)
        return slot

    def release(self, release: Any, file: str, publisher: str, compiled: bool = False) -> None:
        ocid = release.get("ocid") if isinstance(release, dict) else None
        if not isinstance(ocid, str) or not ocid.strip():
            self.file_level[(file, "ocid_missing")] += 1
            return
        ocid = ocid.strip()
        publisher = publisher or _publisher_name(_as_dict(release.get("packageInfo")).get("publisher"))
        slot = self._slot(ocid, file, publisher)
        self.read_order += 1
        tags = release.get("tag")
        if compiled or (isinstance(tags, list) and "compiled" in tags) or tags == "compiled":
            self._count(ocid, "compiled_releases")
            slot.compiled.append((_sort_time(release.get("date")), self.read_order, release))
            return
        self._count(ocid, "releases")
        key = str(release.get("id") or json.dumps(release, sort_keys=True, ensure_ascii=False))
        if key in slot.releases:
            self._count(ocid, "duplicate_releases")
        else:
            slot.releases[key] = release

    def record(self, record: dict[str, Any], file: str, publisher: str) -> None:
        publisher = publisher or _publisher_name(record.get("publisher"))
        compiled = record.get("compiledRelease")
        ocid = record.get("ocid")
        if not isinstance(ocid, str) and isinstance(compiled, dict):
            ocid = compiled.get("ocid")
        if not isinstance(ocid, str) or not ocid.strip():
            self.file_level[(file, "ocid_missing")] += 1
            return
        ocid = ocid.strip()
        self._count(ocid, "records")
        slot = self._slot(ocid, file, publisher)
        if isinstance(compiled, dict):
            self.release({**compiled, "ocid": compiled.get("ocid") or ocid}, file, publisher, compiled=True)
        for item in _as_list(record.get("releases")):
            if not isinstance(item, dict):
                continue
            if _is_linked_release(item):
                slot.linked += 1
                self._count(ocid, "linked_releases")
            else:
                self.release({**item, "ocid": item.get("ocid") or ocid}, file, publisher)

    def document(self, doc: Any, file: str, publisher: str = "") -> None:
        if isinstance(doc, list):
            for item in doc:
                self.document(item, file, publisher)
            return
        if not isinstance(doc, dict):
            self.file_level[(file, "not_ocds")] += 1
            return
        if isinstance(doc.get("records"), list):
            self._count_package(doc, "record_packages")
            name = _publisher_name(doc.get("publisher")) or publisher
            for record in doc["records"]:
                if isinstance(record, dict):
                    self.record(record, file, name)
                else:
                    self.file_level[(file, "not_ocds")] += 1
        elif isinstance(doc.get("releases"), list) and "ocid" not in doc and "compiledRelease" not in doc:
            self._count_package(doc, "release_packages")
            name = _publisher_name(doc.get("publisher")) or publisher
            for release in doc["releases"]:
                self.release(release, file, name)
        elif "compiledRelease" in doc or (isinstance(doc.get("ocid"), str) and "releases" in doc):
            self.record(doc, file, publisher)
        elif "ocid" in doc:
            self.release(doc, file, publisher)
        else:
            self.file_level[(file, "not_ocds")] += 1

    def _count_package(self, doc: dict[str, Any], what: str) -> None:
        # A package belongs to the publisher of its first process; it is counted there.
        items = doc.get("records") or doc.get("releases") or []
        first = items[0] if items and isinstance(items[0], dict) else {}
        ocid = first.get("ocid") or _as_dict(first.get("compiledRelease")).get("ocid")
        if isinstance(ocid, str):
            self._count(ocid, what)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def read_processes(path: Path) -> OcdsReading:
    """Read ``path`` (an OCDS file or a folder of them) into processes, one per ocid."""
    reader = _Reader()
    files = ocds_files(path)
    for file in files:
        for doc in parse_json_documents(file):
            reader.document(doc, str(file))

    # An ocid prefix is registered to one publisher, so every process of a prefix gets
    # the name most often given for it (ties: the first seen), else the prefix itself.
    names_by_prefix: dict[str, Counter[str]] = {}
    for ocid, slot in reader.by_ocid.items():
        names_by_prefix.setdefault(ocid_prefix(ocid), Counter()).update(slot.publishers)

    def publisher_of(prefix: str) -> str:
        names = names_by_prefix.get(prefix)
        return names.most_common(1)[0][0] if names else prefix

    processes: list[Process] = []
    tallies: dict[str, SourceTally] = {}
    skipped: Counter[tuple[str, str]] = Counter()
    for ocid, slot in reader.by_ocid.items():
        publisher = publisher_of(ocid_prefix(ocid))
        tally = tallies.setdefault(publisher, SourceTally())
        tally.files |= slot.files
        tally.counts["ocids"] += 1
        if slot.compiled:
            floor = datetime.min.replace(tzinfo=UTC)
            latest = max(slot.compiled, key=lambda entry: (entry[0] or floor, entry[1]))[2]
            release, compiled_by, merged = latest, "publisher", 0
        elif slot.releases:
            releases = list(slot.releases.values())
            merged = len(releases)
            release = merge_releases(releases) if merged > 1 else releases[0]
            compiled_by = "merge" if merged > 1 else "single"
        else:
            skipped[(publisher, "linked_releases_only")] += 1
            continue
        processes.append(Process(ocid, publisher, release, compiled_by, merged, sorted(slot.files)))

    for prefix, counts in reader.counts.items():
        tallies.setdefault(publisher_of(prefix), SourceTally()).counts.update(counts)
    for (name, reason), n in reader.file_level.items():
        # Documents without an ocid belong to the publisher of the file's other
        # processes when there are any, else to the file itself.
        owners = [pub for pub, tally in tallies.items() if name in tally.files]
        owner = owners[0] if owners else name
        tallies.setdefault(owner, SourceTally()).files.add(name)
        skipped[(owner, reason)] += n
    for tally in tallies.values():
        tally.counts["files"] = len(tally.files)
    processes.sort(key=lambda p: (p.publisher, p.ocid))
    return OcdsReading(processes, tallies, skipped)
