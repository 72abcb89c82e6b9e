"""Parties, identifier pivots and dealings: the tables the relationship detectors share.

*Staff side*: every employee and the parties declared its relatives. *Supplier side*:
every supplier and the parties that own, represent or direct it. *Pivots*: normalised
identifiers (ID number, bank account, phone, address) held by at least two parties,
with how many hold them, so that each detector can set its own hub threshold.
*Engaged contracts*: the contracts an employee approved or requested.
Entity keys are ``label:id`` strings (:func:`graph.schema.entity_key`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.schema import NODE_TYPES, split_entity_key
from graph.snapshot import GraphSnapshot
from sunlight.masking import mask_node_id

__all__ = [
    "CONTROL_RELATIONS",
    "KIN_RELATIONS",
    "PIVOT_COLUMNS",
    "PIVOT_WEIGHTS",
    "PIVOT_WORDS",
    "engaged_contracts",
    "keys_of",
    "party_phrase",
    "pivot_links",
    "pivot_phrase",
    "split_hubs",
    "staff_parties",
    "supplier_parties",
]

KIN_RELATIONS: tuple[str, ...] = ("SPOUSE_OF", "RELATIVE_OF")
CONTROL_RELATIONS: tuple[str, ...] = ("OWNS", "LEGAL_REP_OF", "DIRECTOR_OF")
#: How strongly sharing one normalised value ties two parties (weight of the signal).
PIVOT_WEIGHTS: dict[str, float] = {"IdNumber": 0.98, "BankAccount": 0.9, "Phone": 0.8, "Address": 0.6}
PIVOT_WORDS: dict[str, tuple[str, str]] = {
    "IdNumber": ("证件号码", "ID number"),
    "BankAccount": ("银行账户", "bank account"),
    "Phone": ("电话", "phone"),
    "Address": ("地址", "address"),
}
#: Columns of :func:`pivot_links` and of both parts of :func:`split_hubs`.
PIVOT_COLUMNS: list[str] = ["party", "kind", "value", "pivot", "parties", "employees"]
_ENTITY_TYPES = {spec.label: spec.entity_type for spec in NODE_TYPES}


def keys_of(labels: pd.Series, ids: pd.Series) -> pd.Series:
    """Entity keys for a column of labels and a column of ids, vectorised.

    >>> keys_of(pd.Series(["Supplier", "Phone"]), pd.Series(["S1", "138"])).tolist()
    ['supplier:S1', 'phone:138']
    """
    return labels.map(_ENTITY_TYPES).astype(str) + ":" + ids.astype(str)


def staff_parties(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Employees and their declared relatives: ``employee_id, party, via`` (``self`` or the tie)."""
    employees = snapshot.employees["id"]
    parts = [
        pd.DataFrame({"employee_id": employees, "party": "employee:" + employees.astype(str), "via": "self"})
    ]
    rel = snapshot.relations
    kin = rel[rel["relation"].isin(KIN_RELATIONS)]
    for near, far in (("src", "dst"), ("dst", "src")):
        side = kin[(kin[f"{near}_label"] == "Employee") & kin[f"{far}_label"].isin(("Employee", "Person"))]
        side = side[~((side[f"{far}_label"] == "Employee") & (side[f"{far}_id"] == side[f"{near}_id"]))]
        if side.empty:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "employee_id": side[f"{near}_id"].to_numpy(),
                    "party": keys_of(side[f"{far}_label"], side[f"{far}_id"]).to_numpy(),
                    "via": side["relation"].to_numpy(),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    # a relative tied twice (spouse and relative) keeps the closer tie
    out["rank"] = out["via"].map({"self": 0, "SPOUSE_OF": 1, "RELATIVE_OF": 2})
    out = out.sort_values("rank", kind="stable").drop_duplicates(["employee_id", "party"])
    return out.drop(columns="rank").reset_index(drop=True)


def supplier_parties(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Suppliers and the parties that control them: ``supplier_id, party, role, share``."""
    sup = snapshot.suppliers
    own = pd.DataFrame(
        {
            "supplier_id": sup["id"],
            "party": "supplier:" + sup["id"].astype(str),
            "role": "self",
            "share": np.nan,
        }
    )
    rel = snapshot.relations
    ctl = rel[rel["relation"].isin(CONTROL_RELATIONS) & (rel["dst_label"] == "Supplier")]
    ctl = ctl[~((ctl["src_label"] == "Supplier") & (ctl["src_id"] == ctl["dst_id"]))]
    controllers = pd.DataFrame(
        {
            "supplier_id": ctl["dst_id"].to_numpy(),
            "party": keys_of(ctl["src_label"], ctl["src_id"]).to_numpy(),
            "role": ctl["relation"].to_numpy(),
            "share": ctl["share"].to_numpy(),
        }
    )
    out = pd.concat([own, controllers], ignore_index=True)
    order = {"self": 0, "LEGAL_REP_OF": 1, "OWNS": 2, "DIRECTOR_OF": 3}
    out["rank"] = out["role"].map(order)
    out = out.sort_values(["rank", "share"], ascending=[True, False])
    return out.drop_duplicates(["supplier_id", "party"]).drop(columns="rank").reset_index(drop=True)


def pivot_links(snapshot: GraphSnapshot) -> pd.DataFrame:
    """Every (party, pivot) whose pivot at least two parties hold, with how many hold it.

    One row per (party, pivot): ``party, kind, value, pivot, parties, employees``
    (``employees``: how many of the holders are employees). A pivot held by one party
    ties nothing and is left out. Which pivots are hubs is each detector's threshold:
    see :func:`split_hubs`.
    """
    ident = snapshot.identifiers
    if ident.empty:
        return pd.DataFrame(columns=PIVOT_COLUMNS)
    frame = pd.DataFrame(
        {
            "party": keys_of(ident["label"], ident["party_id"]),
            "kind": ident["kind"],
            "value": ident["value"].astype(str),
            "is_employee": (ident["label"] == "Employee").to_numpy(),
        }
    ).drop_duplicates(["party", "kind", "value"])
    frame = frame[frame["value"] != ""]
    grouped = frame.groupby(["kind", "value"])
    frame["parties"] = grouped["party"].transform("size")
    frame["employees"] = grouped["is_employee"].transform("sum").astype(int)
    frame = frame[frame["parties"] >= 2].copy()
    frame["pivot"] = keys_of(frame["kind"], frame["value"])
    return frame[PIVOT_COLUMNS].reset_index(drop=True)


def split_hubs(
    links: pd.DataFrame, max_parties: int, max_employees: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``links`` (from :func:`pivot_links`) parted into pivots that tie parties and the hubs.

    A pivot is a hub when more than ``max_parties`` parties hold it, or more than
    ``max_employees`` employees: a personal phone, account or home address is not
    written for a crowd of staff, an office switchboard or a head-office address is.
    Returns ``(links, hubs)``.

    >>> links = pd.DataFrame({"party": ["employee:E1", "supplier:S1"], "kind": "Phone", "value": "110",
    ...                       "pivot": "phone:110", "parties": 2, "employees": 1})
    >>> [len(part) for part in split_hubs(links, max_parties=20, max_employees=0)]
    [0, 2]
    """
    if links.empty:
        empty = pd.DataFrame(columns=PIVOT_COLUMNS)
        return empty, empty.copy()
    hub = (links["parties"] > max_parties) | (links["employees"] > max_employees)
    return links[~hub].reset_index(drop=True), links[hub].reset_index(drop=True)


def engaged_contracts(snapshot: GraphSnapshot, pairs: pd.DataFrame) -> pd.DataFrame:
    """Contracts of each (employee_id, supplier_id) in ``pairs`` that the employee approved or requested.

    One row per (employee, contract): ``employee_id, supplier_id, contract_id, amount,
    signed_date, role`` (``approved`` with the step, ``requested``, or both).
    """
    cols = ["employee_id", "supplier_id", "contract_id", "amount", "signed_date", "role"]
    if pairs.empty or snapshot.contracts.empty:
        return pd.DataFrame(columns=cols)
    wanted = pairs[["employee_id", "supplier_id"]].drop_duplicates()
    employees = set(wanted["employee_id"])
    contracts = snapshot.contracts[["id", "supplier_id", "amount", "signed_date", "requester_id"]]
    # narrow both sides before joining: the pairs name few suppliers of a large ledger
    contracts = contracts[contracts["supplier_id"].isin(set(wanted["supplier_id"]))]
    approvals = snapshot.approvals
    approvals = approvals[
        approvals["approver_id"].isin(employees) & approvals["contract_id"].isin(set(contracts["id"]))
    ]
    approvals = approvals[approvals["decision"].fillna("approve").str.lower() != "reject"]
    approved = approvals.merge(contracts, left_on="contract_id", right_on="id")
    approved = pd.DataFrame(
        {
            "employee_id": approved["approver_id"],
            "supplier_id": approved["supplier_id"],
            "contract_id": approved["contract_id"],
            "amount": approved["amount"],
            "signed_date": approved["signed_date"],
            "role": "approved step " + approved["step"].astype(str),
        }
    )
    requested = contracts[contracts["requester_id"].isin(employees)]
    requested = pd.DataFrame(
        {
            "employee_id": requested["requester_id"],
            "supplier_id": requested["supplier_id"],
            "contract_id": requested["id"],
            "amount": requested["amount"],
            "signed_date": requested["signed_date"],
            "role": "requested",
        }
    )
    rows = pd.concat([approved, requested], ignore_index=True).merge(
        wanted, on=["employee_id", "supplier_id"]
    )
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = (
        rows.groupby(["employee_id", "supplier_id", "contract_id"], sort=False)
        .agg(amount=("amount", "first"), signed_date=("signed_date", "first"), role=("role", _join_roles))
        .reset_index()
    )
    return rows[cols].sort_values(["employee_id", "supplier_id", "signed_date", "contract_id"])


def _join_roles(roles: pd.Series) -> str:
    return ", ".join(sorted(set(roles)))


def pivot_phrase(pivot: str) -> tuple[str, str]:
    """The kind and masked value of a pivot key, in Chinese and English.

    >>> pivot_phrase("phone:13800138000")
    ('电话138****8000', 'phone 138****8000')
    """
    label, value = split_entity_key(pivot)
    zh, en = PIVOT_WORDS[label]
    masked = mask_node_id(label, value)
    return f"{zh}{masked}", f"{en} {masked}"


def party_phrase(snapshot: GraphSnapshot, key: str) -> tuple[str, str]:
    """A party as a sentence names it: ``张伟（E1）`` / ``张伟 (E1)``."""
    label, node_id = split_entity_key(key)
    name = snapshot.name(label, node_id)
    if name == node_id:
        return node_id, node_id
    return f"{name}（{node_id}）", f"{name} ({node_id})"
