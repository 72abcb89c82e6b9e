"""The command line and the case workflow on a real Neo4j server give what they give on the
embedded store: the same graph counts, the same alert ids and rows, the same case behaviour.

Each verb runs in-process through ``sunlight.cli.main`` with ``NEO4J_URI`` set (as a user
would set it) for the server, and with ``--store`` for the embedded store, on one generated
extract.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph.neo4j_store import Neo4jStore
from graph.stores import open_store
from sunlight.audit import AuditLog
from sunlight.auth import Role, User
from sunlight.cases import CaseError, assign, change_status
from sunlight.cli import main

ADMIN = User("审计处管理员", Role.ADMIN)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("extract")
    assert main(["generate", "--out", str(folder), "--scale", "500", "--seed", "11"]) == 0
    return folder


class Side:
    """One store as the command line reaches it: CLI arguments, environment, trail folder."""

    def __init__(self, name: str, tmp: Path, server: Any) -> None:
        self.name = name
        self.audit_dir = tmp / f"audit-{name}"
        self.store_dir = tmp / f"store-{name}"
        self.env = server.env() if name == "neo4j" else {}
        self.args = [] if name == "neo4j" else ["--store", str(self.store_dir)]

    def run(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
        with monkeypatch.context() as env:
            for key in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
                env.delenv(key, raising=False)
            for key, value in self.env.items():
                env.setenv(key, value)
            env.setenv("SUNLIGHT_AUDIT_DIR", str(self.audit_dir))
            capsys.readouterr()
            verb, rest = argv[0], list(argv[1:])
            code = main(["--lang", "en", verb, *self.args, *rest])
            out = capsys.readouterr().out
        assert code == 0, f"{self.name}: sunlight {' '.join(argv)} exited {code}"
        return out

    def open(self, monkeypatch: pytest.MonkeyPatch) -> Any:
        if self.name == "neo4j":
            return Neo4jStore(
                self.env["NEO4J_URI"], auth=(self.env["NEO4J_USERNAME"], self.env["NEO4J_PASSWORD"])
            )
        return open_store(self.store_dir)


def test_the_command_line_gives_the_same_graph_alerts_and_cases_on_both_stores(
    extract: Path,
    tmp_path: Path,
    neo4j_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    neo4j_server.clear()
    sides = [Side("ladybug", tmp_path, neo4j_server), Side("neo4j", tmp_path, neo4j_server)]
    outputs: dict[str, dict[str, Any]] = {}
    for side in sides:
        out: dict[str, Any] = {}
        side.run(monkeypatch, capsys, "load", str(extract))
        side.run(monkeypatch, capsys, "detect")
        out["stats"] = json.loads(side.run(monkeypatch, capsys, "stats", "--format", "json"))
        alerts_csv = tmp_path / f"alerts-{side.name}.csv"
        side.run(monkeypatch, capsys, "alerts", "--format", "csv", "--out", str(alerts_csv))
        out["alerts"] = pd.read_csv(alerts_csv, dtype=str).sort_values(
            ["alert_id", "entity_type", "entity_id"]
        )
        # the nightly job on the same extract again: nothing new, nothing lost
        config = tmp_path / f"run-{side.name}.yaml"
        store_line = f"store: {side.store_dir}\n" if side.name == "ladybug" else ""
        config.write_text(f"{store_line}sources:\n  - path: {extract}\n", encoding="utf-8")
        side.run(monkeypatch, capsys, "run", "--config", str(config))
        out["stats_after_run"] = json.loads(side.run(monkeypatch, capsys, "stats", "--format", "json"))
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
        side.run(monkeypatch, capsys, "user", "add", "李审计", "--role", "investigator", "--password-stdin")
        side.run(monkeypatch, capsys, "audit", "verify")
        out["trail"] = [e["action"] for e in AuditLog(side.audit_dir).entries()]
        outputs[side.name] = out

    embedded, server = outputs["ladybug"], outputs["neo4j"]
    assert embedded["stats"]["nodes"]["Contract"] > 200 and sum(embedded["stats"]["alerts"].values()) > 5
    assert server["stats"] == embedded["stats"]
    assert server["stats_after_run"] == embedded["stats_after_run"] == embedded["stats"]
    pd.testing.assert_frame_equal(
        server["alerts"].reset_index(drop=True), embedded["alerts"].reset_index(drop=True)
    )
    assert server["trail"] == embedded["trail"]
    assert {"load", "detect", "user.add"} <= set(server["trail"])

    # the case workflow: the same actions, the same outcomes, the same refusals
    alert_id = embedded["alerts"]["alert_id"].iloc[0]
    outcomes = {}
    for side in sides:
        store = side.open(monkeypatch)
        trail = AuditLog(side.audit_dir)
        try:
            assign(store, trail, alert_id, "李审计", ADMIN)
            change_status(store, trail, alert_id, "reviewing", ADMIN, expected_status="open")
            with pytest.raises(CaseError) as stale:
                change_status(
                    store, trail, alert_id, "dismissed", ADMIN, reason="重复", expected_status="open"
                )
            with pytest.raises(CaseError) as jump:
                change_status(store, trail, alert_id, "remediated", ADMIN, note="已整改")
            row = store.alert(alert_id).iloc[0]
            outcomes[side.name] = (row["status"], row["assignee"], stale.value.code, jump.value.code)
        finally:
            store.close()
    assert (
        outcomes["neo4j"] == outcomes["ladybug"] == ("reviewing", "李审计", "err_changed", "err_transition")
    )


def test_a_server_that_needs_a_password_when_none_is_set_says_which_variables_to_set(
    neo4j_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEO4J_URI", neo4j_server.uri)
    monkeypatch.setenv("NEO4J_USERNAME", neo4j_server.auth[0])
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    assert main(["--lang", "en", "alerts"]) != 0
    message = capsys.readouterr().err
    assert "asks for a password and none was given" in message and "NEO4J_PASSWORD" in message
    assert "missing key" not in message
