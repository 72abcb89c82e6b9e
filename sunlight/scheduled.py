"""The scheduled (nightly) run: load the configured sources, detect, notify — under a lock.

Configuration (YAML; unknown keys are an error)::

    store: /var/lib/sunlight/store        # the embedded store folder (or use NEO4J_URI)
    sources:                              # loaded in order, each all or nothing
      - path: /data/erp/latest
        mapping: /etc/sunlight/mapping.yaml
    settings: /etc/sunlight/detectors.yaml
    only: [repeated_pairs]                # optional subset of detectors
    lock_wait_seconds: 0                  # 0: exit at once when another run holds the lock
    learn: true                           # learn from case decisions after detecting (sunlight.relearn)
    notify:
      min_level: medium                   # announce new / escalated alerts at this level or above
      email: {host: smtp.intranet, port: 25, from: sunlight@corp}   # to: [...] receives everything
      recipients:                         # by role and department (sunlight.notify)
        - {name: 审计部, email: audit@corp, role: audit}
        - {name: 张主任, email: zhang@corp, role: department_head, department: D01}
      routes:
        - {roles: [audit], levels: [high]}
        - {roles: [department_head], levels: [high, medium], own_department: true}
      webhook: {url: http://hooks.intranet/sunlight, timeout_seconds: 10}

Every run appends to ``runs.jsonl`` (start, end, status, counts, per-detector time
and error, notification outcome) and to the audit trail. A failing source, detector
or notification does not stop the rest of the run; the run then ends with status
``failed`` and the command exits 1.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from graph.stores import DEFAULT_STORE_PATH, open_store
from sunlight.audit import AuditLog
from sunlight.notify import (
    NotifyConfigError,
    NotifySettings,
    alert_scopes,
    notify_settings,
    plan_deliveries,
    send_notifications,
)

__all__ = ["ConfigError", "RunConfig", "RunLocked", "execute_run", "load_run_config", "run_history"]


class ConfigError(ValueError):
    """The run configuration is missing something or names an unknown key."""


class RunLocked(RuntimeError):
    """Another run holds the lock."""


@dataclass(frozen=True)
class Source:
    path: Path
    mapping: str | None = None


@dataclass(frozen=True)
class RunConfig:
    store: Path
    sources: tuple[Source, ...] = ()
    settings: str | None = None
    only: tuple[str, ...] | None = None
    lock_wait_seconds: float = 0.0
    notify: NotifySettings = field(default_factory=NotifySettings)
    neo4j_uri: str | None = None
    learn: bool = True

    @property
    def state_folder(self) -> Path:
        """Where the lock, the run history and the trail live."""
        from sunlight.audit import audit_log_for

        return audit_log_for(self.store, self.neo4j_uri).folder


def _check_keys(section: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def load_run_config(path: str | os.PathLike[str]) -> RunConfig:
    source = Path(path)
    try:
        doc = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{source}: cannot read the run configuration: {exc}") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{source}: expected a mapping of settings")
    _check_keys(
        doc, {"store", "sources", "settings", "only", "lock_wait_seconds", "notify", "learn"}, str(source)
    )
    base = source.parent

    def resolve(value: str | None) -> str | None:
        return (
            None
            if value is None
            else str((base / value).resolve())
            if not Path(value).is_absolute()
            else value
        )

    sources = []
    for i, item in enumerate(doc.get("sources") or [], start=1):
        if not isinstance(item, dict) or "path" not in item:
            raise ConfigError(f"{source}: sources[{i}] needs a path")
        _check_keys(item, {"path", "mapping"}, f"{source}: sources[{i}]")
        sources.append(Source(Path(resolve(item["path"]) or ""), resolve(item.get("mapping"))))
    try:
        notify = notify_settings(doc.get("notify"), str(source))
    except NotifyConfigError as exc:
        raise ConfigError(str(exc)) from exc
    only = doc.get("only")
    return RunConfig(
        store=Path(resolve(doc.get("store")) or os.environ.get("SUNLIGHT_STORE") or DEFAULT_STORE_PATH),
        sources=tuple(sources),
        settings=resolve(doc.get("settings")),
        only=tuple(only) if only else None,
        lock_wait_seconds=float(doc.get("lock_wait_seconds", 0)),
        notify=notify,
        neo4j_uri=os.environ.get("NEO4J_URI"),
        learn=_flag(doc.get("learn", True), f"{source}: learn"),
    )


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


@contextmanager
def run_lock(folder: Path, wait_seconds: float) -> Iterator[None]:
    """An exclusive lock on ``folder/run.lock``; waits up to ``wait_seconds``, else raises RunLocked."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run.lock"
    deadline = time.monotonic() + wait_seconds
    with path.open("a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another run"
                    raise RunLocked(f"{path} is held by {holder}") from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now().isoformat(timespec='seconds')}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_history(folder: Path) -> list[dict[str, Any]]:
    path = folder / "runs.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _record(folder: Path, entry: Mapping[str, Any]) -> None:
    with (folder / "runs.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


def _routing_scopes(store: Any, settings: NotifySettings, changes: Sequence[Any]) -> dict[str, Any]:
    """Where the announced alerts belong, when a route asks (a department or a family)."""
    if not any(r.own_department or r.families for r in settings.routes) or not changes:
        return {}
    return alert_scopes(store, [c.alert.id for c in changes])


def _learn(store: Any, audit: AuditLog, errors: list[str]) -> dict[str, Any]:
    """The learning step: a failure is the run's error, not the end of the run (notifications still go)."""
    from sunlight.relearn import learn_step

    try:
        return learn_step(store, audit)
    except Exception as exc:  # a learning failure must not cost the night's notifications
        errors.append(f"learn: {exc}")
        return {"status": "failed", "error": str(exc)[:2000]}


def execute_run(config: RunConfig) -> dict[str, Any]:
    """Run once under the lock and return the history entry (``status`` is ``ok`` or ``failed``)."""
    from loaders import LoadError
    from sunlight.pipeline import detect_and_save, load_into_store

    folder = config.state_folder
    with run_lock(folder, config.lock_wait_seconds):
        audit = AuditLog(folder)
        run_id = f"run-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        entry: dict[str, Any] = {"run_id": run_id, "started_at": datetime.now().isoformat(timespec="seconds")}
        audit.append("run.start", {"run_id": run_id})
        errors: list[str] = []
        store = open_store(config.store, neo4j_uri=config.neo4j_uri)
        try:
            loads = []
            for src in config.sources:
                try:
                    _, summary = load_into_store(store, src.path, src.mapping, audit=audit)
                    loads.append({"source": str(src.path), "rows": dict(summary.rows), "status": "ok"})
                except (LoadError, OSError, ValueError) as exc:
                    loads.append({"source": str(src.path), "status": "failed", "error": str(exc)[:2000]})
                    errors.append(f"load {src.path}: {str(exc).splitlines()[0]}")
            entry["loads"] = loads
            outcome = detect_and_save(store, config.settings, only=config.only, audit=audit)
            if config.learn:
                entry["learning"] = _learn(store, audit, errors)
            scopes = _routing_scopes(store, config.notify, outcome.changes)
        finally:
            store.close()
        entry["detectors"] = {
            o.detector.id: {"findings": len(o.findings), "seconds": round(o.seconds, 3), "error": o.error}
            for o in outcome.result.outcomes
        }
        errors += [f"detector {o.detector.id} failed" for o in outcome.result.failed]
        entry["alerts"] = {
            "new": outcome.saved.new,
            "updated": outcome.saved.updated,
            "unchanged": outcome.saved.unchanged,
            "announced": sum(1 for _ in outcome.changes),
            "reopened": sum(1 for c in outcome.changes if c.reopen),
        }
        notified = send_notifications(config.notify, run_id, outcome.changes, scopes)
        entry["notifications"] = notified
        if config.notify.email is not None:
            # who was told of which alert: the trail of a warning is part of the case
            entry["deliveries"] = {
                address: [c.alert.id for c in digest]
                for address, digest in plan_deliveries(config.notify, outcome.changes, scopes).items()
            }
        errors += [
            f"{channel}: {result}" for channel, result in notified.items() if result.startswith("failed")
        ]
        entry["errors"] = errors
        entry["status"] = "failed" if errors else "ok"
        entry["ended_at"] = datetime.now().isoformat(timespec="seconds")
        _record(folder, entry)
        audit.append("run.end", {"run_id": run_id, "status": entry["status"], "errors": errors})
        return entry
