"""``GraphSnapshot``: the whole graph as pandas frames, read once for a detector run.

Detectors never talk to a store: they get a snapshot. Frames are flat and typed
(dates as ``datetime64``, money as ``float64``), one per record kind, with the
foreign keys of the data contract resolved from the relationships, so a
detector can group and join with pandas. networkx views are built on demand
and cached, because only some detectors need them.

The snapshot is built from portable Cypher (the same text runs on LadybugDB and
Neo4j) through a ``read`` callable that each store supplies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from graph.schema import (
    PARTY_LABELS,
    PARTY_RELATIONS,
    NodeType,
    PropType,
    entity_key,
    node_type,
)

__all__ = [
    "SNAPSHOT_FOR_QUERIES",
    "SNAPSHOT_QUERIES",
    "GraphSnapshot",
    "build_snapshot",
    "build_snapshot_for",
    "empty_snapshot",
]

ReadFn = Callable[..., pd.DataFrame]  # read(cypher) or read(cypher, params)

_PIVOT_RELS = {
    "HAS_PHONE": "Phone",
    "HAS_ACCOUNT": "BankAccount",
    "HAS_ADDRESS": "Address",
    "HAS_ID_NUMBER": "IdNumber",
}


def _node_query(label: str, var: str) -> str:
    spec = node_type(label)
    cols = ", ".join(f"{var}.{p} AS {p}" for p in spec.prop_names if p != "extra")
    return f"MATCH ({var}:{label}) RETURN {cols}"


def _pairs_query(rel: str, src: str, dst: str, src_col: str, dst_col: str, props: str = "") -> str:
    extra = f", {props}" if props else ""
    return f"MATCH (a:{src})-[r:{rel}]->(b:{dst}) RETURN a.id AS {src_col}, b.id AS {dst_col}{extra}"


def _snapshot_queries() -> dict[str, str]:
    q: dict[str, str] = {
        "departments": _node_query("Department", "d"),
        "employees": _node_query("Employee", "e"),
        "suppliers": _node_query("Supplier", "s"),
        "persons": _node_query("Person", "p"),
        "contracts": _node_query("Contract", "c"),
        "tenders": _node_query("Tender", "t"),
        "payments": _node_query("Payment", "p"),
        "works_in": _pairs_query("WORKS_IN", "Employee", "Department", "employee_id", "department_id"),
        "awarded_to": _pairs_query("AWARDED_TO", "Contract", "Supplier", "contract_id", "supplier_id"),
        "ordered_by": _pairs_query("ORDERED_BY", "Contract", "Department", "contract_id", "department_id"),
        "requested": _pairs_query("REQUESTED", "Employee", "Contract", "requester_id", "contract_id"),
        "from_tender": _pairs_query("FROM_TENDER", "Contract", "Tender", "contract_id", "tender_id"),
        "approvals": _pairs_query(
            "APPROVED",
            "Employee",
            "Contract",
            "approver_id",
            "contract_id",
            "r.step AS step, r.approved_at AS approved_at, r.decision AS decision",
        ),
        "bids": _pairs_query(
            "BID_ON",
            "Supplier",
            "Tender",
            "supplier_id",
            "tender_id",
            "r.amount AS amount, r.is_winner AS is_winner, r.submitted_at AS submitted_at",
        ),
        "pays_for": _pairs_query("PAYS_FOR", "Payment", "Contract", "payment_id", "contract_id"),
        "paid_to": _pairs_query("PAID_TO", "Payment", "BankAccount", "payment_id", "account"),
        "policy": "MATCH (p:Policy) RETURN p.id AS id, p.document AS document",
    }
    for rel in PARTY_RELATIONS:
        for src in PARTY_LABELS:
            for dst in PARTY_LABELS:
                q[f"rel:{rel}:{src}:{dst}"] = _pairs_query(
                    rel, src, dst, "src_id", "dst_id", "r.share AS share, r.since AS since"
                )
    for rel, pivot in _PIVOT_RELS.items():
        for src in PARTY_LABELS:
            if rel == "HAS_ID_NUMBER" and src == "Supplier":
                continue
            q[f"ident:{rel}:{src}"] = _pairs_query(rel, src, pivot, "party_id", "value")
    return q


#: Every read a snapshot makes, by name; the Neo4j linter tests check them all.
SNAPSHOT_QUERIES: dict[str, str] = _snapshot_queries()


def _contract_queries() -> dict[str, str]:
    """The frames about contracts — the bulk of a store — read for the contracts in ``$contracts``
    only: the same columns as :data:`SNAPSHOT_QUERIES`' frames of the same names. Each contract is
    found by its id (``UNWIND``, then a key lookup): ``WHERE c.id IN $contracts`` compares every
    contract of the store with every id asked for (1 s per statement at 100 k contracts on the
    embedded store, against 0.01–0.2 s)."""

    def props(label: str, var: str) -> str:
        return ", ".join(f"{var}.{p} AS {p}" for p in node_type(label).prop_names if p != "extra")

    each = "UNWIND $contracts AS cid MATCH "
    return {
        "contracts": f"{each}(c:Contract {{id: cid}}) RETURN {props('Contract', 'c')}",
        "tenders": f"{each}(c:Contract {{id: cid}})-[:FROM_TENDER]->(t:Tender) "
        f"RETURN DISTINCT {props('Tender', 't')}",
        "payments": f"{each}(c:Contract {{id: cid}})<-[:PAYS_FOR]-(p:Payment) RETURN {props('Payment', 'p')}",
        "awarded_to": f"{each}(a:Contract {{id: cid}})-[r:AWARDED_TO]->(b:Supplier) "
        "RETURN a.id AS contract_id, b.id AS supplier_id",
        "ordered_by": f"{each}(a:Contract {{id: cid}})-[r:ORDERED_BY]->(b:Department) "
        "RETURN a.id AS contract_id, b.id AS department_id",
        "from_tender": f"{each}(a:Contract {{id: cid}})-[r:FROM_TENDER]->(b:Tender) "
        "RETURN a.id AS contract_id, b.id AS tender_id",
        "requested": f"{each}(b:Contract {{id: cid}})<-[r:REQUESTED]-(a:Employee) "
        "RETURN a.id AS requester_id, b.id AS contract_id",
        "approvals": f"{each}(b:Contract {{id: cid}})<-[r:APPROVED]-(a:Employee) "
        "RETURN a.id AS approver_id, b.id AS contract_id, r.step AS step, r.approved_at AS approved_at, "
        "r.decision AS decision",
        "bids": f"{each}(c:Contract {{id: cid}})-[:FROM_TENDER]->(b:Tender)<-[r:BID_ON]-(a:Supplier) "
        "RETURN DISTINCT a.id AS supplier_id, b.id AS tender_id, "
        "r.amount AS amount, r.is_winner AS is_winner, r.submitted_at AS submitted_at",
        "pays_for": f"{each}(b:Contract {{id: cid}})<-[r:PAYS_FOR]-(a:Payment) "
        "RETURN a.id AS payment_id, b.id AS contract_id",
        "paid_to": f"{each}(c:Contract {{id: cid}})<-[:PAYS_FOR]-(a:Payment)-[r:PAID_TO]->(b:BankAccount) "
        "RETURN a.id AS payment_id, b.id AS account",
    }


#: The reads of :func:`build_snapshot_for`: every party frame of :data:`SNAPSHOT_QUERIES` as it is,
#: and the contract frames for the contracts in ``$contracts`` (parameter: a list of contract ids).
SNAPSHOT_FOR_QUERIES: dict[str, str] = {
    **{name: text for name, text in SNAPSHOT_QUERIES.items() if name not in _contract_queries()},
    **_contract_queries(),
}

_DTYPES = {
    PropType.STRING: "object",
    PropType.INT: "Int64",
    PropType.FLOAT: "float64",
    PropType.BOOL: "boolean",
    PropType.DATE: "datetime64[us]",
    PropType.TIMESTAMP: "datetime64[us]",
}


def _typed(frame: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """Give ``frame`` exactly ``columns`` with their dtypes, even when it is empty."""
    out = pd.DataFrame(index=frame.index)
    for col, dtype in columns.items():
        values = frame[col] if col in frame.columns else pd.Series(None, index=frame.index)
        if dtype.startswith("datetime64"):
            out[col] = pd.to_datetime(values, errors="coerce").astype(dtype)
        elif dtype == "object":
            out[col] = _shared_text(values)
        else:
            out[col] = values.astype(dtype)
    return out.reset_index(drop=True)


def _shared_text(values: pd.Series) -> pd.Series:
    """``values`` as an object column whose equal strings are one object, missing ones ``None``.

    A store hands back a new string object per row (a contract's id once in every approval,
    "approved" once per approval); each costs 50-80 bytes besides its pointer, so a 1 M-contract
    snapshot held 1.9 GiB of frames. The values, the dtype and ``None`` for missing stay as
    they were: only the copies go."""
    codes, uniques = pd.factorize(values)  # Arrow-backed text is encoded by Arrow, without a string per row
    shared = np.append(np.asarray(uniques, dtype=object), None)[codes]  # code -1 (missing) takes the None
    return pd.Series(shared, index=values.index, dtype=object)


def _node_columns(spec: NodeType) -> dict[str, str]:
    return {p.name: _DTYPES[p.type] for p in spec.props if p.name != "extra"}


def _left(frame: pd.DataFrame, pairs: pd.DataFrame, on: str, col: str) -> pd.DataFrame:
    """Attach ``pairs[col]`` to ``frame`` by ``on``; one value per row (the first)."""
    if pairs.empty:
        frame[col] = None
        return frame
    first = pairs.drop_duplicates(on).set_index(on)[col]
    frame[col] = frame[on].map(first)
    return frame


@dataclass
class GraphSnapshot:
    """All records of a store, as frames. See the module docstring."""

    departments: pd.DataFrame
    employees: pd.DataFrame
    suppliers: pd.DataFrame
    persons: pd.DataFrame
    contracts: pd.DataFrame
    tenders: pd.DataFrame
    approvals: pd.DataFrame
    bids: pd.DataFrame
    payments: pd.DataFrame
    relations: pd.DataFrame
    identifiers: pd.DataFrame
    policy: dict[str, Any] = field(default_factory=dict)
    _derived: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A table derived from this snapshot, computed once and shared by the detectors
        that need it (callers must not modify what they get)."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    # ---- names -------------------------------------------------------------
    @cached_property
    def names(self) -> dict[str, str]:
        """Entity key -> display name, for explanations."""
        out: dict[str, str] = {}
        for label, frame in (
            ("Department", self.departments),
            ("Employee", self.employees),
            ("Supplier", self.suppliers),
            ("Person", self.persons),
        ):
            for node_id, name in zip(frame["id"], frame["name"], strict=True):
                out[entity_key(label, node_id)] = name if isinstance(name, str) and name else node_id
        return out

    def name(self, label: str, node_id: str) -> str:
        return self.names.get(entity_key(label, node_id), node_id)

    # ---- networkx views -------------------------------------------------------
    @cached_property
    def approval_graph(self) -> nx.Graph:
        """Bipartite approver–supplier graph; edge weight = approved contracts."""
        g = nx.Graph()
        if self.approvals.empty:
            return g
        pairs = self.approvals.merge(
            self.contracts[["id", "supplier_id"]], left_on="contract_id", right_on="id"
        )
        grouped = pairs.groupby(["approver_id", "supplier_id"]).size()
        for (approver, supplier), weight in grouped.items():
            g.add_edge(entity_key("Employee", approver), entity_key("Supplier", supplier), weight=int(weight))
        return g

    @cached_property
    def relationship_graph(self) -> nx.MultiGraph:
        """Parties joined by ties (ownership, kinship ...) and by shared identifiers."""
        g = nx.MultiGraph()
        for row in self.relations.itertuples(index=False):
            g.add_edge(
                entity_key(row.src_label, row.src_id),
                entity_key(row.dst_label, row.dst_id),
                type=row.relation,
            )
        for row in self.identifiers.itertuples(index=False):
            g.add_edge(entity_key(row.label, row.party_id), entity_key(row.kind, row.value), type="HAS")
        return g


def _relations(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for name, frame in frames.items():
        if not name.startswith("rel:") or frame.empty:
            continue
        _, rel, src, dst = name.split(":")
        parts.append(frame.assign(relation=rel, src_label=src, dst_label=dst))
    cols = {
        "src_label": "object",
        "src_id": "object",
        "relation": "object",
        "dst_label": "object",
        "dst_id": "object",
        "share": "float64",
        "since": "datetime64[us]",
    }
    return _typed(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), cols)


def _identifiers(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for name, frame in frames.items():
        if not name.startswith("ident:") or frame.empty:
            continue
        _, rel, src = name.split(":")
        parts.append(frame.assign(label=src, kind=_PIVOT_RELS[rel]))
    cols = {"label": "object", "party_id": "object", "kind": "object", "value": "object"}
    return _typed(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), cols)


def build_snapshot(read: ReadFn) -> GraphSnapshot:
    """Read every frame of a snapshot through ``read`` (one Cypher text -> one frame)."""
    raw = {name: read(query) for name, query in SNAPSHOT_QUERIES.items()}
    return assemble_snapshot(raw)


def build_snapshot_for(read: ReadFn, contract_ids: Sequence[str]) -> GraphSnapshot:
    """A snapshot of every party (departments, staff, suppliers, persons, their ties and identifiers)
    and of the contracts ``contract_ids`` only, with their tenders, bids, approvals and payments:
    what the app draws of the records alerts name, without reading every contract of the store."""
    ids = sorted({str(c) for c in contract_ids})
    raw = {
        name: read(query, {"contracts": ids}) if "$contracts" in query else read(query)
        for name, query in SNAPSHOT_FOR_QUERIES.items()
    }
    return assemble_snapshot(raw)


def assemble_snapshot(raw: dict[str, pd.DataFrame]) -> GraphSnapshot:
    """Type and join the frames read by :data:`SNAPSHOT_QUERIES`."""

    def nodes(name: str, label: str) -> pd.DataFrame:
        return _typed(raw.get(name, pd.DataFrame()), _node_columns(node_type(label)))

    def pairs(name: str, cols: dict[str, str]) -> pd.DataFrame:
        return _typed(raw.get(name, pd.DataFrame()), cols)

    s = "object"

    def attach(frame: pd.DataFrame, name: str, key: str, col: str) -> pd.DataFrame:
        """Attach the far end ``col`` of pairs ``name`` whose near end ``key`` is frame's id."""
        linked = pairs(name, {key: s, col: s}).rename(columns={key: "id"})
        return _left(frame, linked, "id", col)

    employees = attach(nodes("employees", "Employee"), "works_in", "employee_id", "department_id")
    contracts = nodes("contracts", "Contract")
    for name, col in (
        ("awarded_to", "supplier_id"),
        ("ordered_by", "department_id"),
        ("from_tender", "tender_id"),
        ("requested", "requester_id"),
    ):
        contracts = attach(contracts, name, "contract_id", col)
    payments = nodes("payments", "Payment")
    payments = attach(payments, "pays_for", "payment_id", "contract_id")
    payments = attach(payments, "paid_to", "payment_id", "account")
    approvals = pairs(
        "approvals",
        {"contract_id": s, "step": "Int64", "approver_id": s, "approved_at": "datetime64[us]", "decision": s},
    )
    bids = pairs(
        "bids",
        {
            "tender_id": s,
            "supplier_id": s,
            "amount": "float64",
            "is_winner": "boolean",
            "submitted_at": "datetime64[us]",
        },
    )
    policy_frame = raw.get("policy", pd.DataFrame())
    policy: dict[str, Any] = {}
    if not policy_frame.empty and isinstance(policy_frame["document"].iloc[0], str):
        policy = json.loads(policy_frame["document"].iloc[0])
    return GraphSnapshot(
        departments=nodes("departments", "Department"),
        employees=employees,
        suppliers=nodes("suppliers", "Supplier"),
        persons=nodes("persons", "Person"),
        contracts=contracts,
        tenders=nodes("tenders", "Tender"),
        approvals=approvals.sort_values(["contract_id", "step"]).reset_index(drop=True),
        bids=bids,
        payments=payments,
        relations=_relations(raw),
        identifiers=_identifiers(raw),
        policy=policy,
    )


def empty_snapshot() -> GraphSnapshot:
    """A snapshot with every frame present and empty."""
    return assemble_snapshot({})
