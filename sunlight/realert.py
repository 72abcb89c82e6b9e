"""Re-alerting: when a known alert comes back, decide whether anyone should hear of it again.

Rules (the same for `sunlight detect` and the scheduled run):

* a **new** alert is announced;
* a known alert whose level **rises** (low → medium → high) is announced as
  escalated; if it had been remediated (销号) it is re-opened;
* a known alert with **new evidence** (its rows or subgraph changed) is announced;
  if it had been dismissed or remediated it is re-opened;
* anything else — the same finding seen again — changes nothing, and a dismissed
  alert stays dismissed.

New data can raise an alert but never quietly lowers one: a level that falls is
kept as the detector reports it, without any announcement.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from graph.store import AlertRecord

__all__ = ["AlertChange", "evidence_fingerprint", "plan_changes", "previous_state"]

_LEVEL_RANK = {"low": 0, "medium": 1, "high": 2}
_REOPEN_ON_NEW_EVIDENCE = {"dismissed", "remediated"}


def evidence_fingerprint(evidence_json: str | None) -> str:
    """A digest of the parts of the evidence that name records (rows and subgraph),
    so that a re-computed statistic alone does not count as new evidence.

    >>> a = evidence_fingerprint('{"rows": [1], "metrics": {"q": 0.01}}')
    >>> a == evidence_fingerprint('{"rows": [1], "metrics": {"q": 0.02}}')
    True
    """
    try:
        evidence = json.loads(evidence_json or "{}")
    except json.JSONDecodeError:
        evidence = {"raw": evidence_json}
    named = {"rows": evidence.get("rows"), "subgraph": evidence.get("subgraph"), "raw": evidence.get("raw")}
    return hashlib.sha256(json.dumps(named, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class AlertChange:
    alert: AlertRecord
    kind: str  # "new", "escalated", "new_evidence"
    reopen: bool
    previous_status: str | None


def previous_state(alerts: pd.DataFrame) -> pd.DataFrame:
    """One row per alert id with its status, level and evidence fingerprint."""
    if alerts.empty:
        return pd.DataFrame(columns=["status", "level", "fingerprint"])
    per_alert = alerts.drop_duplicates("alert_id").set_index("alert_id")
    return pd.DataFrame(
        {
            "status": per_alert["status"],
            "level": per_alert["level"],
            "fingerprint": [evidence_fingerprint(e) for e in per_alert["evidence"]],
        }
    )


def plan_changes(previous: pd.DataFrame, alerts: Sequence[AlertRecord]) -> list[AlertChange]:
    """What to announce and re-open, given the state before this run."""
    changes = []
    for alert in alerts:
        if alert.id not in previous.index:
            changes.append(AlertChange(alert, "new", reopen=False, previous_status=None))
            continue
        before = previous.loc[alert.id]
        status = str(before["status"])
        rose = _LEVEL_RANK.get(alert.level, 0) > _LEVEL_RANK.get(str(before["level"]), 0)
        new_evidence = evidence_fingerprint(alert.evidence_json()) != before["fingerprint"]
        if new_evidence:
            changes.append(AlertChange(alert, "new_evidence", status in _REOPEN_ON_NEW_EVIDENCE, status))
        elif rose:
            changes.append(AlertChange(alert, "escalated", status == "remediated", status))
    return changes
