"""Layered warnings: who receives which alert, by level, family and department, through a real
SMTP server on localhost (aiosmtpd); and the ``notify`` section's checks."""

from __future__ import annotations

import shutil
import socket
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from e2e.fixture_store import alerts, build_fixture_store

from graph.ladybug_store import LadybugStore
from sunlight.notify import NotifyConfigError, alert_scopes, notify_settings, send_notifications
from sunlight.realert import AlertChange
from sunlight.scheduled import ConfigError, execute_run, load_run_config

FIXTURE = Path(__file__).parent / "fixtures" / "detectors" / "repeated_pairs" / "true_positive"

#: The seeds' practice: high risk to the purchasing manager and the audit department, medium to the
#: purchasing supervisor, each department's head for their own department; relationship alerts
#: (a shared phone, a relative) also reach audit at medium. D01's head is 张伟 (E001) himself.
NOTIFY = {
    "min_level": "medium",
    "email": {"host": "127.0.0.1", "port": 0, "from": "sunlight@corp.example"},
    "recipients": [
        {"name": "王经理", "email": "manager@corp.example", "role": "purchasing_manager"},
        {"name": "审计部", "email": "audit@corp.example", "role": "audit"},
        {"name": "李主管", "email": "supervisor@corp.example", "role": "purchasing_supervisor"},
        {
            "name": "张主任",
            "email": "head-d01@corp.example",
            "role": "department_head",
            "department": "D01",
            "employee_id": "E001",
        },
        {
            "name": "采购部负责人",
            "email": "head-d02@corp.example",
            "role": "department_head",
            "department": "D02",
        },
        {
            "name": "基建部负责人",
            "email": "head-d03@corp.example",
            "role": "department_head",
            "department": "D03",
        },
    ],
    "routes": [
        {"roles": ["purchasing_manager", "audit"], "levels": ["high"]},
        {"roles": ["purchasing_supervisor"], "levels": ["medium"]},
        {"roles": ["department_head"], "levels": ["high", "medium"], "own_department": True},
        {"roles": ["audit"], "levels": ["medium"], "families": ["relationship"]},
    ],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.received: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def by_address(self) -> dict[str, list[str]]:
        """Address -> alert ids in the digest it received (each address once, or the test fails)."""
        out: dict[str, list[str]] = {}
        for rcpt, mail in self.received:
            assert rcpt == [mail["To"]], (rcpt, mail["To"])  # one digest per person, addressed to them only
            assert mail["To"] not in out, f"{mail['To']} got two digests"
            body = mail.get_payload(decode=True).decode("utf-8")
            out[mail["To"]] = [a.id for a in alerts() if a.id in body]
        return out


@pytest.fixture
def smtp_server():
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory):
    return build_fixture_store(tmp_path_factory.mktemp("routing") / "store")


def _settings(port: int, **changes):
    doc = {**NOTIFY, "email": {**NOTIFY["email"], "port": port}, **changes}
    return notify_settings(doc, "run.yaml")


def test_each_person_receives_one_digest_of_the_alerts_routed_to_them(fixture_store, smtp_server):
    port, mailbox = smtp_server
    records = alerts()
    changes = [AlertChange(alert=a, kind="new", reopen=False, previous_status=None) for a in records]
    store = LadybugStore(fixture_store, read_only=True)
    try:
        scopes = alert_scopes(store, [a.id for a in records])
    finally:
        store.close()

    outcome = send_notifications(_settings(port), "run-test", changes, scopes)

    assert outcome == {"email": "sent 5 in 5 digests"}
    assert mailbox.by_address() == {
        # high: the pair, the shared phone (D01) and the self-approval (D03)
        "manager@corp.example": ["AL-pair-zhangwei-huaxin", "AL-phone-zhangwei-huaxin", "AL-self-yanglei"],
        # high, and the shared phone's family at medium would add nothing new here
        "audit@corp.example": ["AL-pair-zhangwei-huaxin", "AL-phone-zhangwei-huaxin", "AL-self-yanglei"],
        # medium only: the split purchase (D02) and the bidding ring (D03)
        "supervisor@corp.example": ["AL-split-lina-hengtong", "AL-bid-dingsheng-jinqiao"],
        "head-d02@corp.example": ["AL-split-lina-hengtong"],
        "head-d03@corp.example": ["AL-bid-dingsheng-jinqiao", "AL-self-yanglei"],
        # D01's head is the approver both D01 alerts name: he is told of neither; the low price alert
        # (D04) is under min_level and reaches nobody
    }
    greeting = next(m for r, m in mailbox.received if r == ["head-d02@corp.example"])
    assert greeting.get_payload(decode=True).decode("utf-8").startswith("采购部负责人：")


def test_a_family_route_reaches_audit_below_its_level_floor(fixture_store, smtp_server):
    port, mailbox = smtp_server
    phone = next(a for a in alerts() if a.id == "AL-phone-zhangwei-huaxin")
    medium_phone = AlertChange(
        alert=type(phone)(**{**phone.__dict__, "level": "medium", "grade": "二级"}),
        kind="escalated",
        reopen=False,
        previous_status="open",
    )
    store = LadybugStore(fixture_store, read_only=True)
    try:
        scopes = alert_scopes(store, [phone.id])
    finally:
        store.close()
    send_notifications(_settings(port), "run-test", [medium_phone], scopes)
    # medium: the supervisor by level, audit by the relationship family; not the manager
    assert mailbox.by_address() == {
        "supervisor@corp.example": [phone.id],
        "audit@corp.example": [phone.id],
    }


def test_a_nightly_run_routes_by_department_to_real_recipients(tmp_path, smtp_server):
    port, mailbox = smtp_server
    source = tmp_path / "extract"
    shutil.copytree(FIXTURE, source)
    config = tmp_path / "run.yaml"
    config.write_text(
        f"""
store: {tmp_path / "store"}
sources: [{{path: {source}}}]
only: [repeated_pairs]
notify:
  min_level: medium
  email: {{host: 127.0.0.1, port: {port}, from: sunlight@corp.example}}
  recipients:
    - {{name: 审计部, email: audit@corp.example, role: audit}}
    - {{name: 信息中心负责人, email: head-d1@corp.example, role: department_head, department: D1}}
    - {{name: 采购部负责人, email: head-d2@corp.example, role: department_head, department: D2}}
  routes:
    - {{roles: [audit], levels: [high]}}
    - {{roles: [department_head], own_department: true}}
""",
        encoding="utf-8",
    )
    entry = execute_run(load_run_config(config))
    assert entry["status"] == "ok", entry
    announced = sorted({i for ids in entry["deliveries"].values() for i in ids})
    assert announced and entry["notifications"]["email"] == f"sent {len(announced)} in 2 digests"
    # the pair's approver works in D1 (信息中心): its head and audit are told, D2's head is not
    assert sorted(entry["deliveries"]) == ["audit@corp.example", "head-d1@corp.example"]
    assert sorted(rcpt[0] for rcpt, _ in mailbox.received) == ["audit@corp.example", "head-d1@corp.example"]
    body = mailbox.received[0][1].get_payload(decode=True).decode("utf-8")
    assert "张伟" in body and announced[0] in body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recipients": [{**NOTIFY["recipients"][0], "phone": "1"}]}, "unknown key phone"),
        ({"routes": [{"roles": ["purchasing_manger"]}]}, "unknown purchasing_manger"),
        ({"routes": [{"roles": ["audit"], "levels": ["urgent"]}]}, "unknown urgent"),
        ({"routes": [{"roles": ["audit"], "families": ["bribery"]}]}, "unknown bribery"),
        ({"routes": [{"roles": ["audit"], "own_departmnt": True}]}, "unknown key own_departmnt"),
        (
            {"routes": [{"roles": ["purchasing_manager"], "own_department": True}]},
            "no department is given for 王经理",
        ),
        ({"routes": []}, "need routes"),
        ({"recipients": [{"name": "x", "email": "nobody", "role": "audit"}]}, "not an e-mail address"),
    ],
)
def test_the_notify_section_refuses_what_it_does_not_know(change, message):
    with pytest.raises(NotifyConfigError, match=message):
        notify_settings({**NOTIFY, **change}, "run.yaml")


def test_a_bad_notify_section_fails_the_run_config_naming_the_file(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(
        "notify:\n  email: {host: h}\n  recipients: [{name: a, email: a@b, role: audit}]\n"
        "  routes: [{roles: [audti]}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"run\.yaml: notify\.routes\[1\]\.roles: unknown audti"):
        load_run_config(config)
