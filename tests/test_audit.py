"""The hash-chained trail detects every kind of tampering with one entry."""

from __future__ import annotations

import json

import pytest

from sunlight.audit import AuditLog


@pytest.fixture
def log(tmp_path):
    trail = AuditLog(tmp_path)
    for i in range(5):
        trail.append("case.status", {"alert_id": f"AL-{i}", "status": "reviewing"}, actor="调查员甲")
    return trail


def lines(trail: AuditLog) -> list[str]:
    return trail.path.read_text(encoding="utf-8").splitlines()


def rewrite(trail: AuditLog, new_lines: list[str]) -> None:
    trail.path.write_text("\n".join(new_lines) + "\n", encoding="utf-8")


def test_an_untouched_log_verifies(log):
    assert log.verify() is None
    entries = log.entries()
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["actor"] == "调查员甲" and entries[1]["prev"] == entries[0]["hash"]


def test_editing_an_entry_is_detected(log):
    content = lines(log)
    entry = json.loads(content[2])
    entry["details"]["status"] = "dismissed"
    content[2] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    rewrite(log, content)
    problem = log.verify()
    assert problem is not None and problem.line == 3 and "edited" in problem.reason


def test_editing_an_entry_and_its_hash_is_still_detected_by_the_next_link(log):
    from sunlight.audit import _digest

    content = lines(log)
    entry = json.loads(content[1])
    entry["actor"] = "someone else"
    entry["hash"] = _digest(entry)
    content[1] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    rewrite(log, content)
    problem = log.verify()
    assert problem is not None and problem.line == 3 and "link" in problem.reason


def test_deleting_an_entry_is_detected(log):
    content = lines(log)
    del content[1]
    rewrite(log, content)
    problem = log.verify()
    assert problem is not None and problem.line == 2 and "deleted or reordered" in problem.reason


def test_reordering_entries_is_detected(log):
    content = lines(log)
    content[1], content[2] = content[2], content[1]
    rewrite(log, content)
    problem = log.verify()
    assert problem is not None and problem.line == 2


def test_cutting_the_end_off_is_detected(log):
    rewrite(log, lines(log)[:-1])
    problem = log.verify()
    assert problem is not None and "removed from the end" in problem.reason


def test_appends_continue_the_chain_across_instances(log, tmp_path):
    AuditLog(tmp_path).append("load", {"source": "x"})
    assert log.verify() is None and log.entries()[-1]["seq"] == 6
