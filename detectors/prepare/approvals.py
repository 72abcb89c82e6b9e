"""Approvals joined to the contracts they signed off: the table the approver detectors share.

One row per (approver, contract) that the approver did not reject, with the
contract's supplier, category, amount, date, method, tender and department. An
approver who signed one contract at two steps counts once (the first step kept).
"""

from __future__ import annotations

import pandas as pd

from graph.snapshot import GraphSnapshot

__all__ = ["APPROVED_COLUMNS", "UNCATEGORISED", "approved_contracts"]

#: The category of a contract that has none, wherever contracts are grouped by category.
UNCATEGORISED = "未分类"
#: Columns of :func:`approved_contracts`.
APPROVED_COLUMNS: list[str] = [
    "approver_id",
    "contract_id",
    "step",
    "supplier_id",
    "category",
    "amount",
    "signed_date",
    "method",
    "tender_id",
    "department_id",
]


def approved_contracts(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Approvals not rejected, joined to their contracts (those with a supplier), in approval order."""
    approvals = snapshot.approvals
    approvals = approvals[approvals["decision"].fillna("approve").str.lower() != "reject"]
    contracts = snapshot.contracts[
        ["id", "supplier_id", "category", "amount", "signed_date", "method", "tender_id", "department_id"]
    ]
    rows = approvals[["approver_id", "contract_id", "step"]].merge(
        contracts, left_on="contract_id", right_on="id", how="inner"
    )
    rows = rows[rows["supplier_id"].notna()]
    rows = rows.drop_duplicates(["approver_id", "contract_id"]).drop(columns=["id"]).reset_index(drop=True)
    rows["category"] = rows["category"].astype(object).fillna(UNCATEGORISED)
    return rows[APPROVED_COLUMNS]
