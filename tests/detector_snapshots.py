"""Small snapshots for detector unit tests, written as data-contract rows.

Rows use the column names of the data contract (``contract_id``, ``supplier_id``
...); :func:`snapshot_of` turns them into the frames a store read returns and
runs them through :func:`graph.snapshot.assemble_snapshot`, the same typing and
joining a real snapshot goes through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from graph.snapshot import GraphSnapshot, assemble_snapshot

Row = Mapping[str, Any]

_CONTRACT_PROPS = (
    "amount",
    "signed_date",
    "category",
    "item",
    "quantity",
    "unit_price",
    "estimate",
    "method",
)


def _frame(rows: Iterable[Row]) -> pd.DataFrame:
    return pd.DataFrame([dict(r) for r in rows])


def _pairs(frame: pd.DataFrame, left: str, right: str) -> pd.DataFrame:
    if frame.empty or right not in frame.columns:
        return pd.DataFrame(columns=[left, right])
    return frame[[left, right]].dropna()


def snapshot_of(
    contracts: Iterable[Row] = (),
    approvals: Iterable[Row] = (),
    employees: Iterable[Row] = (),
    suppliers: Iterable[Row] = (),
    departments: Iterable[Row] = (),
    payments: Iterable[Row] = (),
    bids: Iterable[Row] = (),
    policy: Mapping[str, Any] | None = None,
    supplier_phones: Mapping[str, str] | None = None,
    relations: Iterable[tuple[str, str, str, str, str]] = (),
) -> GraphSnapshot:
    """A snapshot holding exactly these records (employees' bank accounts become identifiers,
    and so do ``supplier_phones``: supplier id -> its phone, already normalised)."""
    raw: dict[str, pd.DataFrame] = {}
    c = _frame(contracts)
    if not c.empty:
        raw["contracts"] = c.rename(columns={"contract_id": "id"})[
            ["id", *[p for p in _CONTRACT_PROPS if p in c.columns]]
        ]
        raw["awarded_to"] = _pairs(c, "contract_id", "supplier_id")
        raw["ordered_by"] = _pairs(c, "contract_id", "department_id")
        raw["requested"] = _pairs(c, "contract_id", "requester_id")
        raw["from_tender"] = _pairs(c, "contract_id", "tender_id")
    a = _frame(approvals)
    if not a.empty:
        if "decision" not in a.columns:
            a["decision"] = "approve"
        raw["approvals"] = a
    e = _frame(employees)
    if not e.empty:
        raw["employees"] = e.rename(columns={"employee_id": "id"}).drop(
            columns=["department_id", "department_name"], errors="ignore"
        )
        raw["works_in"] = _pairs(e, "employee_id", "department_id")
        if "bank_account" in e.columns:
            accounts = e[["employee_id", "bank_account"]].dropna()
            raw["ident:HAS_ACCOUNT:Employee"] = accounts.rename(
                columns={"employee_id": "party_id", "bank_account": "value"}
            )
    s = _frame(suppliers)
    if not s.empty:
        raw["suppliers"] = s.rename(columns={"supplier_id": "id"})
    d = _frame(departments)
    if not d.empty:
        raw["departments"] = d.rename(columns={"department_id": "id"})
    p = _frame(payments)
    if not p.empty:
        raw["payments"] = p.rename(columns={"payment_id": "id"})[
            ["id", *[col for col in ("amount", "paid_at", "payee_name", "payee_account") if col in p.columns]]
        ]
        raw["pays_for"] = _pairs(p, "payment_id", "contract_id")
        if "payee_account" in p.columns:
            raw["paid_to"] = p[["payment_id", "payee_account"]].rename(columns={"payee_account": "account"})
    b = _frame(bids)
    if not b.empty:
        raw["bids"] = b.rename(columns={"bid_amount": "amount"})
    if supplier_phones:
        raw["ident:HAS_PHONE:Supplier"] = pd.DataFrame(
            {"party_id": list(supplier_phones), "value": list(supplier_phones.values())}
        )
    # (source label, source id, relation, target label, target id), e.g. one supplier OWNS another
    for src_label, src_id, relation, dst_label, dst_id in relations:
        key = f"rel:{relation}:{src_label}:{dst_label}"
        row = pd.DataFrame({"src_id": [src_id], "dst_id": [dst_id], "share": [float("nan")]})
        raw[key] = pd.concat([raw[key], row], ignore_index=True) if key in raw else row
    if policy is not None:
        raw["policy"] = pd.DataFrame({"id": ["policy"], "document": [json.dumps(dict(policy))]})
    return assemble_snapshot(raw)
