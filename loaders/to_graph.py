"""Map validated tables onto the property graph of :mod:`graph.schema`.

========================  =========================================================================
table                     nodes and relationships
========================  =========================================================================
employees                 ``Employee``; ``Department`` (department_id, department_name) and
                          ``(Employee)-[:WORKS_IN]->(Department)``
suppliers                 ``Supplier``
persons                   ``Person``
(all three)               pivots ``Phone``, ``BankAccount``, ``Address``, ``IdNumber`` holding the
                          normalised value, linked by ``HAS_PHONE``, ``HAS_ACCOUNT``,
                          ``HAS_ADDRESS``, ``HAS_ID_NUMBER`` (no identity numbers for suppliers)
relations                 one relationship of its kind (``OWNS`` ...) between the two parties,
                          with ``share`` and ``since``
contracts                 ``Contract``; ``AWARDED_TO`` its supplier; ``ORDERED_BY`` its department
                          (created if only referenced); ``(Employee)-[:REQUESTED]->`` it;
                          ``FROM_TENDER`` a ``Tender``
approvals                 ``(Employee)-[:APPROVED {step, approved_at, decision}]->(Contract)``;
                          an empty decision is ``approve``
bids                      ``(Supplier)-[:BID_ON {amount, is_winner, submitted_at}]->(Tender)``
payments                  ``Payment``; ``PAYS_FOR`` its contract; ``PAID_TO`` the ``BankAccount``
                          pivot of its payee account
========================  =========================================================================

A property whose column the source does not have is left out of the frame, so an
existing node keeps its value; columns the contract does not name go into ``extra``
as one JSON object per row (only non-empty values). Party names are stored
normalised (:func:`loaders.normalize.normalize_name`); phones, accounts, addresses
and identity numbers are stored as written and matched through the pivots.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graph.dataset import GraphData
from graph.schema import node_type, rel_type
from loaders.contract import PARTY_TYPES, TABLES
from loaders.errors import LoadReport
from loaders.normalize import (
    is_plausible_phone,
    normalize_account,
    normalize_address,
    normalize_id_number,
    per_unique,
    split_phones,
)
from loaders.validate import CheckedTable, ExistingFn, isin

__all__ = ["MIN_IDENTIFIER_LENGTH", "PIVOTS", "build_graph", "extra_json"]

#: Shortest normalised account or identity number that becomes a pivot: shorter values
#: are placeholders ("0", "无"), and a placeholder shared by many parties would join them all.
MIN_IDENTIFIER_LENGTH = 6


def _phones(value: Any) -> list[str]:
    return [p for p in split_phones(value) if is_plausible_phone(p)]


def _long_enough(normalise: Callable[[Any], str]) -> Callable[[Any], list[str]]:
    def values(value: Any) -> list[str]:
        normalised = normalise(value)
        return [normalised] if len(normalised) >= MIN_IDENTIFIER_LENGTH else []

    return values


def _address(value: Any) -> list[str]:
    normalised = normalize_address(value)
    return [normalised] if normalised else []


#: party column -> (pivot label, relationship type, normalised values of one cell). Values
#: that cannot be trusted to identify anything (an implausible phone, a too-short account)
#: make no pivot; they stay on the party as written, and the phone check warns about them.
PIVOTS: dict[str, tuple[str, str, Callable[[Any], list[str]]]] = {
    "phone": ("Phone", "HAS_PHONE", _phones),
    "bank_account": ("BankAccount", "HAS_ACCOUNT", _long_enough(normalize_account)),
    "address": ("Address", "HAS_ADDRESS", _address),
    "id_number": ("IdNumber", "HAS_ID_NUMBER", _long_enough(normalize_id_number)),
}


def _plain(values: pd.Series) -> pd.Series:
    """Text as Arrow-backed ``str`` (missing stays missing), other types as they are: a store
    reads Arrow text without a Python object per value, which at a million rows is the
    difference between megabytes and gigabytes."""
    if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype):
        return values.astype("str")
    return values


def extra_json(extra: pd.DataFrame) -> pd.Series:
    """One JSON object per row of the non-empty values of ``extra``'s columns; ``None`` when all
    are empty. Built column by column (each distinct value encoded once), not row by row.

    >>> extra_json(pd.DataFrame({"备注": ["急件", None], "n": ["1", None]})).tolist()
    ['{"备注":"急件","n":"1"}', None]
    """
    joined = pd.Series("", index=extra.index, dtype="str")
    for column in extra.columns:
        key = json.dumps(str(column), ensure_ascii=False)
        encoded = per_unique(extra[column], lambda v: json.dumps(v, ensure_ascii=False)).astype("str")
        joined = joined + ("," + key + ":" + encoded).fillna("")
    out = ("{" + joined.str[1:] + "}").astype(object)
    return out.where(joined != "", None)


def _node_frame(checked: CheckedTable, label: str, id_column: str) -> pd.DataFrame:
    props = node_type(label).prop_names
    frame = checked.frame.rename(columns={id_column: "id"})
    columns = [p for p in props if p in frame.columns]
    out = pd.DataFrame({c: _plain(frame[c]) for c in columns})
    if "extra" in props and len(checked.extra.columns):
        out["extra"] = extra_json(checked.extra)
    return out.reset_index(drop=True)


def _pairs(src: pd.Series, dst: pd.Series, **props: pd.Series) -> pd.DataFrame:
    """Relationship rows for the entries where both ends are given."""
    both = (src.notna() & dst.notna()).to_numpy()
    frame = pd.DataFrame({"src": _plain(src[both]), "dst": _plain(dst[both])})
    for name, values in props.items():
        frame[name] = _plain(values[both])
    return frame.reset_index(drop=True)


def _ids(values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"id": pd.Series(values.dropna().unique(), dtype="str")})


class _Builder:
    def __init__(self, checked: dict[str, CheckedTable], report: LoadReport, existing: ExistingFn | None):
        self.checked = checked
        self.report = report
        self.existing = existing
        self.data = GraphData()

    def build(self) -> GraphData:
        departments = self.employees()  # employees first: their departments carry names
        for label, table in PARTY_TYPES.values():
            checked = self.checked.get(table)
            if checked is None:
                continue
            id_column = TABLES[table].key[0]
            if label != "Employee":
                self.data.add_nodes(label, _node_frame(checked, label, id_column))
            self.pivots(checked, label, id_column)
        self.relations()
        self.contracts(departments)
        self.approvals()
        self.bids()
        self.payments()
        return self.data

    def employees(self) -> set[str]:
        """Employees and their departments; returns the ids of the departments added here."""
        checked = self.checked.get("employees")
        if checked is None:
            return set()
        frame = checked.frame
        self.data.add_nodes("Employee", _node_frame(checked, "Employee", "employee_id"))
        if "department_id" not in frame:
            return set()
        given = frame[frame["department_id"].notna()]
        departments = pd.DataFrame({"id": _plain(given["department_id"])})
        if "department_name" in given:
            departments["name"] = _plain(given["department_name"])
            named = departments.dropna(subset=["name"])
            counts = named.groupby("id")["name"].nunique()
            several = counts[counts > 1].index
            if len(several):
                rows = isin(given["department_id"], several)
                self.report.add(
                    "department_names_differ",
                    checked.file,
                    column="department_name",
                    rows=given.index.to_numpy()[rows],
                    values=given["department_name"].to_numpy(dtype=object)[rows],
                )
            last_name = named.groupby("id")["name"].last()
            departments = pd.DataFrame({"id": departments["id"].unique()})
            departments["name"] = _plain(departments["id"].map(last_name))
        else:
            departments = departments.drop_duplicates("id")
        self.data.add_nodes("Department", departments.reset_index(drop=True))
        self.data.add_rels(
            "WORKS_IN", "Employee", "Department", _pairs(frame["employee_id"], frame["department_id"])
        )
        return set(departments["id"])

    def pivots(self, checked: CheckedTable, label: str, id_column: str) -> None:
        frame = checked.frame
        for column, (pivot, rel, normalise) in PIVOTS.items():
            if column not in frame or (label, pivot) not in rel_type(rel).ends:
                continue
            given = frame[column].notna().to_numpy()
            found = per_unique(frame[column][given], normalise).to_numpy()
            counts = np.fromiter((len(v) for v in found), dtype=np.int64, count=len(found))
            if not counts.any():
                continue
            pairs = pd.DataFrame(
                {
                    "src": pd.Series(
                        np.repeat(frame[id_column].to_numpy(dtype=object)[given], counts), dtype="str"
                    ),
                    "dst": pd.Series(
                        np.concatenate([np.asarray(v, dtype=object) for v in found if v]), dtype="str"
                    ),
                }
            ).drop_duplicates()
            self.data.add_nodes(pivot, _ids(pairs["dst"]))
            self.data.add_rels(rel, label, pivot, pairs)

    def relations(self) -> None:
        checked = self.checked.get("relations")
        if checked is None or checked.frame.empty:
            return
        frame = checked.frame
        props = [p for p in ("share", "since") if p in frame]
        for (relation, src_type, dst_type), group in frame.groupby(
            ["relation", "src_type", "dst_type"], sort=True, dropna=True
        ):
            src_label, dst_label = PARTY_TYPES[src_type][0], PARTY_TYPES[dst_type][0]
            pairs = _pairs(group["src_id"], group["dst_id"], **{p: group[p] for p in props})
            self.data.add_rels(relation, src_label, dst_label, pairs)

    def contracts(self, employee_departments: set[str]) -> None:
        checked = self.checked.get("contracts")
        if checked is None:
            return
        frame = checked.frame
        # Validated tables have unique keys (a repeated key is an error), and every relationship of
        # a contract, a payment, an approval or a bid carries its row's key: no repeats to look for.
        self.data.add_nodes("Contract", _node_frame(checked, "Contract", "contract_id"), unique=True)
        ids = frame["contract_id"]
        if "supplier_id" in frame:
            self.data.add_rels(
                "AWARDED_TO", "Contract", "Supplier", _pairs(ids, frame["supplier_id"]), unique=True
            )
        if "department_id" in frame:
            referenced = _ids(frame["department_id"])
            new = referenced[~referenced["id"].isin(employee_departments)]
            if len(new) and self.existing is not None:
                # Departments already in the store are left as they are (their names included).
                new = new[~isin(new["id"], self.existing("Department"))]
            self.data.add_nodes("Department", new.reset_index(drop=True))
            self.data.add_rels(
                "ORDERED_BY", "Contract", "Department", _pairs(ids, frame["department_id"]), unique=True
            )
        if "requester_id" in frame:
            self.data.add_rels(
                "REQUESTED", "Employee", "Contract", _pairs(frame["requester_id"], ids), unique=True
            )
        if "tender_id" in frame:
            self.data.add_nodes("Tender", _ids(frame["tender_id"]))
            self.data.add_rels(
                "FROM_TENDER", "Contract", "Tender", _pairs(ids, frame["tender_id"]), unique=True
            )

    def approvals(self) -> None:
        checked = self.checked.get("approvals")
        if checked is None:
            return
        frame = checked.frame
        props = {p: frame[p] for p in ("step", "approved_at", "decision") if p in frame}
        if "decision" not in props:
            props["decision"] = pd.Series("approve", index=frame.index, dtype="str")
        pairs = _pairs(frame["approver_id"], frame["contract_id"], **props)
        self.data.add_rels("APPROVED", "Employee", "Contract", pairs, unique=True)  # the approvals' key

    def bids(self) -> None:
        checked = self.checked.get("bids")
        if checked is None:
            return
        frame = checked.frame
        self.data.add_nodes("Tender", _ids(frame["tender_id"]))
        props = {"amount": frame["bid_amount"]}
        props.update({p: frame[p] for p in ("is_winner", "submitted_at") if p in frame})
        self.data.add_rels(
            "BID_ON",
            "Supplier",
            "Tender",
            _pairs(frame["supplier_id"], frame["tender_id"], **props),
            unique=True,
        )

    def payments(self) -> None:
        checked = self.checked.get("payments")
        if checked is None:
            return
        frame = checked.frame
        self.data.add_nodes("Payment", _node_frame(checked, "Payment", "payment_id"), unique=True)
        ids = frame["payment_id"]
        if "contract_id" in frame:
            self.data.add_rels(
                "PAYS_FOR", "Payment", "Contract", _pairs(ids, frame["contract_id"]), unique=True
            )
        account_of = _long_enough(normalize_account)
        accounts = per_unique(frame["payee_account"], lambda v: next(iter(account_of(v)), None))
        pairs = _pairs(ids, accounts)
        if len(pairs):
            self.data.add_nodes("BankAccount", _ids(pairs["dst"]))
            self.data.add_rels("PAID_TO", "Payment", "BankAccount", pairs, unique=True)


def build_graph(
    checked: dict[str, CheckedTable],
    report: LoadReport,
    existing: ExistingFn | None = None,
    policy: dict[str, Any] | None = None,
) -> GraphData:
    """The graph of validated tables (see the module docstring), with ``policy`` attached."""
    data = _Builder(checked, report, existing).build()
    data.policy = policy
    report.graph_counts = data.counts()
    return data
