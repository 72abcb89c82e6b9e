"""The scheduled run against a real SMTP server and a real HTTP server on localhost."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from graph.cases import set_case_state
from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.scheduled import ConfigError, RunLocked, execute_run, load_run_config, run_history, run_lock

FIXTURE = Path(__file__).parent / "fixtures" / "detectors" / "repeated_pairs" / "true_positive"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server():
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def webhook_server():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length).decode("utf-8")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def write_config(tmp_path: Path, smtp_port: int, webhook_url: str, source: Path) -> Path:
    config = tmp_path / "run.yaml"
    config.write_text(
        f"""
store: {tmp_path / "store"}
sources:
  - path: {source}
notify:
  min_level: high
  email: {{host: 127.0.0.1, port: {smtp_port}, from: sunlight@corp.example, to: [jijian@corp.example]}}
  webhook: {{url: "{webhook_url}", timeout_seconds: 5}}
""",
        encoding="utf-8",
    )
    return config


def test_a_run_loads_detects_notifies_and_records(tmp_path, smtp_server, webhook_server):
    controller, mailbox = smtp_server
    url, received = webhook_server
    source = tmp_path / "extract"
    shutil.copytree(FIXTURE, source)
    config = load_run_config(write_config(tmp_path, controller.port, url, source))

    first = execute_run(config)
    assert first["status"] == "ok", first
    # the learning step ran: no decisions yet, so the rules stand alone (docs/learning.md)
    assert first["learning"]["status"] == "rules_only" and first["learning"]["positive"] == 0
    assert first["alerts"]["new"] >= 1 and first["notifications"]["email"].startswith("sent")
    mail = message_from_bytes(mailbox.messages[0])
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "张伟" in body and "华信科技有限公司" in body and mail["To"] == "jijian@corp.example"
    assert received[0]["alerts"][0]["change"] == "new"

    # the same data again: nothing new to announce, nothing changes
    second = execute_run(config)
    assert second["status"] == "ok"
    assert second["alerts"]["new"] == 0 and second["notifications"] == {
        "email": "nothing to send",
        "webhook": "nothing to send",
    }
    assert len(mailbox.messages) == 1 and len(received) == 1

    # a dismissed case stays dismissed while its evidence is the same ...
    store = LadybugStore(tmp_path / "store")
    first_alert = store.alerts().iloc[0]
    alert_id = first_alert["alert_id"]
    set_case_state(store, first_alert["case_id"], "dismissed")
    store.close()
    execute_run(config)
    store = LadybugStore(tmp_path / "store", read_only=True)
    assert store.alerts().set_index("alert_id").loc[alert_id, "status"].iloc[0] == "dismissed"
    store.close()

    # ... and re-opens when new evidence appears (one more contract of the pair)
    with (source / "contracts.csv").open("a", encoding="utf-8") as f:
        f.write("C900,S1,31000,2024-12-02,D1,IT设备,inquiry\n")
    with (source / "approvals.csv").open("a", encoding="utf-8") as f:
        f.write("C900,1,E1,approve,2024-12-02T10:00:00\n")
    fourth = execute_run(config)
    # every alert of the dismissed case whose evidence changed is re-opened, and the case with them
    assert fourth["alerts"]["reopened"] >= 1
    store = LadybugStore(tmp_path / "store", read_only=True)
    assert store.alerts().set_index("alert_id").loc[alert_id, "status"].iloc[0] == "open"
    store.close()
    assert received[-1]["alerts"][0]["change"] == "new_evidence"

    history = run_history(tmp_path / "store")
    assert [h["status"] for h in history] == ["ok"] * 4
    assert all(h["detectors"]["repeated_pairs"]["error"] is None for h in history)
    trail = AuditLog(tmp_path / "store")
    assert trail.verify() is None
    assert [e["action"] for e in trail.entries()][:4] == ["run.start", "load", "detect", "run.end"]


def test_a_failing_notification_fails_the_run_but_not_the_detection(tmp_path, webhook_server):
    url, _ = webhook_server
    config = load_run_config(
        write_config(tmp_path, free_port(), url, FIXTURE)
    )  # nothing listens on the SMTP port
    entry = execute_run(config)
    assert entry["status"] == "failed"
    assert entry["notifications"]["email"].startswith("failed: SMTP 127.0.0.1")
    assert entry["notifications"]["webhook"].startswith("sent")
    assert entry["alerts"]["new"] >= 1


def test_an_overlapping_run_exits_with_a_clear_message(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(f"store: {tmp_path / 'store'}\nsources: []\n", encoding="utf-8")
    loaded = load_run_config(config)
    with run_lock(loaded.state_folder, 0), pytest.raises(RunLocked, match=r"run\.lock is held by pid"):
        execute_run(loaded)


def test_unknown_configuration_keys_are_errors(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("store: x\nnotifiy: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="notifiy"):
        load_run_config(config)
    config.write_text("notify: {email: {host: h, to: [a], pasword: x}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="pasword"):
        load_run_config(config)
