"""Conflict-of-interest paths and circular relationships between staff, suppliers and money.

Summary
-------
Flags an employee who approved or requested contracts of a supplier that they, their
spouse or a relative own, represent or direct — directly or through a short chain of
ties and shared identifiers; suppliers that own one another in a circle and win from the
same department; and contract payments that land in the bank account of an employee or
of an employee's relative (a hard flag).

Methodology
-----------
**Tie graph.** Employees, persons and suppliers joined by the declared ties ``OWNS``,
``LEGAL_REP_OF``, ``DIRECTOR_OF``, ``RELATIVE_OF``, ``SPOUSE_OF`` and by the pivots they
share (``Phone``, ``BankAccount``, ``Address``, ``IdNumber`` nodes holding the loaders'
normalised value). A pivot held by more than ``max_pivot_parties`` parties, or written for
more than ``max_pivot_employees`` employees (a switchboard, a head-office address), is a
*hub*: it is not traversed, and the hubs touching a finding's path are listed in its
evidence (the shared-identifier detector reports each one).

**Conflict paths.** The loop employee → contract → supplier → … → employee has length
2 + the hops of the tie path, where a shared identifier is two hops (party → identifier →
party); the loop may be at most ``max_length`` long. A breadth-first search, vectorised
over all employees at once, runs to ``max_length`` − 2 hops from every employee whose
connected component of the tie graph also holds a supplier. Each supplier reached is
joined with the employee's dealings: *n* = the supplier's contracts the employee approved
(decision not ``reject``) or requested; failing that, the contracts the supplier won from
the employee's department. For each such pair, up to ``max_paths_per_pair`` simple paths
are compared and the strongest is reported. Strength is the product of the tie weights:
``SPOUSE_OF`` 1.0, ``RELATIVE_OF`` 0.9, ``OWNS`` 0.95, ``LEGAL_REP_OF`` 0.95,
``DIRECTOR_OF`` 0.9; a shared identity number 0.98, bank account 0.9, phone 0.8, address
0.6; and 0.85 for every supplier the path passes through (a holding or sister company).
Score = strength × engagement, where engagement = 0.85 + 0.15 · min(1, *n* /
``full_engagement_contracts``) for the employee's own dealings and ``department_factor``
when only the department bought: a relative's company that the employee never requests,
approves or pays is a declared interest that colleagues handle — the legitimate look-alike
of this scheme — so it stays a low note (at most 0.3 by default). Reported from ``min_score``; a hard flag (at least high)
when the employee dealt with the supplier personally and the strength is at least
``hard_strength`` (the employee, their spouse or another record of the same person
controls it).

**Ownership cycles.** ``networkx.simple_cycles(G, length_bound=max_length)`` on the
projection supplier → supplier ``OWNS`` only, at most ``max_cycles`` cycles. A cycle with at
least ``min_cycle_members_same_department`` members winning contracts from one department
scores 0.75 + 0.2 × the share of its members that did; a cycle whose members won contracts
but from no common department scores 0.5.

**Payments to staff.** A payment for a contract whose ``PAID_TO`` account is held by an
employee or by a declared relative or spouse of one: hard flag, score 0.95. When that
account is a hub the finding scores 0.5 and is not hard.

Example
-------
王芳 (E7) approved 3 contracts of 华信科技 (S12) worth 86万元; her spouse 李强 (P3) owns
60 % of 华信科技: loop 王芳 → C1 → 华信科技 ← 李强 — 王芳, length 4, strength 1.0 × 0.95 =
0.95, engagement 1.0 → score 0.95, hard. A colleague whose cousin owns 华信科技 but who
never requested or approved its contracts, in a department that never bought from it,
is not reported.

Why is this a red flag?
-----------------------
An employee who decides on a contract with a company that they or their family own is
the textbook conflict of interest (利益冲突, 回避制度): ACFE finds an unusually close
association with a vendor in 20 % of occupational frauds. Circular shareholding hides who
benefits from a company, and contract money paid into a staff account is a kickback or an
embezzlement until shown otherwise.

Based on
--------
INDICATORS R02 (employee approves related supplier, path length ≤ 4 hops), R04 (cycles
through ownership, payments, directorships and family, length 2–6; Follow the Money edge
schemata; Neo4j second-party fraud); INDICATORS 4.7 (hard flags).

Output
------
Subjects ``path|<employee>|<supplier>``, ``cycle|<supplier>>…`` (starting at the smallest
id) and ``payment|<account holder key>|<supplier>``. Entities: the employee, the supplier
and every party on the path; the cycle's suppliers; the employees, the account holder and
the payments, and the supplier when the account is also registered as its own (otherwise
the supplier and the contracts paid for are in the subgraph). Evidence:
``path`` (ordered entity keys, pivots included), ``relations`` (one per hop: type,
direction, share), ``loop`` (the path closed through the first contract), ``metrics``
(strength, hops, loop_length, contracts, value, engagement, hubs_skipped_total),
``skipped_hubs`` (hubs held by parties of the path, masked), ``rows`` (contracts or
payments), ``thresholds`` and ``subgraph``.

Configuration
-------------
See the parameter table: ``max_length`` (hops), ``max_pivot_parties``,
``max_pivot_employees``, ``full_engagement_contracts`` (count), ``department_factor``,
``min_score``, ``hard_strength`` (ratio), ``min_cycle_members_same_department`` (count), ``max_cycles``,
``max_paths_per_pair``, ``max_rows`` (count).

Exclusions
----------
Relationships with no dealings (neither the employee nor their department bought from
the supplier); ``FORMER_EMPLOYEE_OF`` ties; rejected approvals; hub pivots (listed, not
traversed); ownership cycles whose members won no contract; ownership through persons
(a person cannot be owned, so a cycle runs through suppliers only); payments without a
contract. The ``since`` date of a tie is shown but not compared with contract dates.

Legitimate look-alikes
----------------------
A relative's (or one's own) company that the employee never requests, approves or
pays, bought by colleagues of the department, is a declared interest handled by
others: it stays a low note (``department_factor``) that says so.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.prepare import prepare
from detectors.prepare.parties import (
    KIN_RELATIONS,
    PIVOT_WEIGHTS,
    engaged_contracts,
    keys_of,
    party_phrase,
    pivot_phrase,
)
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot
from sunlight.masking import mask_node_id

__all__ = ["DETECTOR", "TIE_WEIGHTS", "Params", "run"]

#: How strongly one declared tie binds its two parties, for the strength of a path.
TIE_WEIGHTS: dict[str, float] = {
    "SPOUSE_OF": 1.0,
    "RELATIVE_OF": 0.9,
    "OWNS": 0.95,
    "LEGAL_REP_OF": 0.95,
    "DIRECTOR_OF": 0.9,
}
PASS_THROUGH_SUPPLIER = 0.85
CYCLE_SAME_DEPARTMENT_BASE = 0.75
CYCLE_SAME_DEPARTMENT_SPAN = 0.2
CYCLE_NO_COMMON_DEPARTMENT = 0.5
PAYMENT_SCORE = 0.95
PAYMENT_TO_HUB_SCORE = 0.5
_PIVOT_RELS = {
    "Phone": "HAS_PHONE",
    "BankAccount": "HAS_ACCOUNT",
    "Address": "HAS_ADDRESS",
    "IdNumber": "HAS_ID_NUMBER",
}
_PARTY_TYPES = ("employee:", "person:", "supplier:")
_TIE_WORDS: dict[str, tuple[str, str]] = {
    "OWNS": ("持股", "owns"),
    "LEGAL_REP_OF": ("任法定代表人", "is legal representative of"),
    "DIRECTOR_OF": ("任董事/高管", "is director of"),
    "RELATIVE_OF": ("亲属", "relative"),
    "SPOUSE_OF": ("配偶", "spouse"),
}


@dataclass(frozen=True)
class Params:
    max_length: int = param(
        6,
        "hops",
        "longest loop employee → contract → supplier → … → employee and longest ownership cycle "
        "(a shared identifier counts two hops)",
    )
    max_pivot_parties: int = param(
        20, "count", "an identifier held by more parties than this is a hub: not traversed, listed"
    )
    max_pivot_employees: int = param(
        5, "count", "an identifier written for more employees than this is an office's: a hub"
    )
    full_engagement_contracts: int = param(
        3, "count", "contracts the employee approved or requested at which the engagement term is full"
    )
    department_factor: float = param(
        0.3,
        "ratio",
        "engagement term when only the employee's department bought from the supplier (keeps it low)",
    )
    min_score: float = param(0.25, "ratio", "weakest conflict path reported")
    hard_strength: float = param(
        0.9, "ratio", "path strength from which personal dealings with the supplier are a hard flag"
    )
    min_cycle_members_same_department: int = param(
        2, "count", "members of an ownership cycle winning from one department for the high score"
    )
    max_cycles: int = param(1000, "count", "ownership cycles listed at most")
    max_paths_per_pair: int = param(200, "count", "simple paths compared per employee–supplier pair")
    max_rows: int = param(50, "count", "contracts or payments listed in the evidence")


# ---- the tie graph ---------------------------------------------------------------------------


@dataclass
class _TieGraph:
    """Parties and shared pivots as a compressed adjacency (both directions), plus the edge table."""

    nodes: np.ndarray  # entity keys, by code
    indptr: np.ndarray
    indices: np.ndarray
    edges: pd.DataFrame  # a, b, relation, src, share, weight: one row per unordered pair

    @property
    def size(self) -> int:
        return len(self.nodes)


def _tie_graph(snapshot: GraphSnapshot, links: pd.DataFrame) -> _TieGraph:
    rel = snapshot.relations[snapshot.relations["relation"].isin(TIE_WEIGHTS)]
    a = keys_of(rel["src_label"], rel["src_id"]).to_numpy(dtype=object)
    b = keys_of(rel["dst_label"], rel["dst_id"]).to_numpy(dtype=object)
    ties = pd.DataFrame(
        {
            "a": a,
            "b": b,
            "relation": rel["relation"].to_numpy(),
            "src": a,
            "share": rel["share"].to_numpy(),
            "weight": rel["relation"].map(TIE_WEIGHTS).to_numpy(),
        }
    )
    shared = pd.DataFrame(
        {
            "a": links["party"].to_numpy(dtype=object),
            "b": links["pivot"].to_numpy(dtype=object),
            "relation": links["kind"].map(_PIVOT_RELS).to_numpy(),
            "src": links["party"].to_numpy(dtype=object),
            "share": np.nan,
            "weight": links["kind"].map(PIVOT_WEIGHTS).to_numpy(),
        }
    )
    edges = pd.concat([frame for frame in (ties, shared) if not frame.empty] or [ties], ignore_index=True)
    edges = edges[edges["a"] != edges["b"]]
    low = np.where(edges["a"] < edges["b"], edges["a"], edges["b"])
    high = np.where(edges["a"] < edges["b"], edges["b"], edges["a"])
    edges = (
        edges.assign(low=low, high=high)
        .sort_values(["weight", "relation", "src"], ascending=[False, True, True])
        .drop_duplicates(["low", "high"])
        .drop(columns=["low", "high"])
        .sort_values(["a", "b"])
        .reset_index(drop=True)
    )
    codes, nodes = pd.factorize(pd.concat([edges["a"], edges["b"]], ignore_index=True), sort=True)
    half = len(edges)
    src_codes = np.concatenate([codes[:half], codes[half:]])
    dst_codes = np.concatenate([codes[half:], codes[:half]])
    order = np.lexsort((dst_codes, src_codes))
    indices = dst_codes[order].astype(np.int64)
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(src_codes, minlength=len(nodes)), out=indptr[1:])
    return _TieGraph(np.asarray(nodes, dtype=object), indptr, indices, edges)


def _reach(graph: _TieGraph, starts: np.ndarray, max_hops: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every (start, node) within ``max_hops`` hops, with its distance; and the visited keys.

    The frontier of all starts advances together as arrays, so the cost is the number of
    (start, node) pairs reached, not the number of starts times the graph.
    """
    n = np.int64(max(graph.size, 1))
    src = starts.astype(np.int64)
    node = starts.astype(np.int64)
    visited = np.unique(src * n + node)
    found = []
    for hops in range(1, max_hops + 1):
        degree = graph.indptr[node + 1] - graph.indptr[node]
        total = int(degree.sum())
        if total == 0:
            break
        first = np.repeat(graph.indptr[node], degree)
        offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(degree) - degree, degree)
        neighbour = graph.indices[first + offset]
        keys = np.unique(np.repeat(src, degree) * n + neighbour)
        keys = keys[~np.isin(keys, visited, assume_unique=True)]
        if len(keys) == 0:
            break
        visited = np.union1d(visited, keys)
        src, node = keys // n, keys % n
        found.append(pd.DataFrame({"start": src, "node": node, "hops": hops}))
    reached = (
        pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["start", "node", "hops"])
    )
    return reached, visited


def _mixed_starts(graph: _TieGraph) -> np.ndarray:
    """Employees whose connected component of the tie graph also holds a supplier."""
    if graph.size == 0:
        return np.array([], dtype=np.int64)
    rows = np.repeat(np.arange(graph.size), np.diff(graph.indptr))
    matrix = csr_matrix((np.ones(len(graph.indices)), (rows, graph.indices)), shape=(graph.size, graph.size))
    _, component = connected_components(matrix, directed=False)
    keys = pd.Series(graph.nodes)
    is_employee = keys.str.startswith("employee:").to_numpy()
    is_supplier = keys.str.startswith("supplier:").to_numpy()
    with_supplier = np.unique(component[is_supplier])
    return np.flatnonzero(is_employee & np.isin(component, with_supplier))


# ---- conflict paths ----------------------------------------------------------------------------


def _candidates(snapshot: GraphSnapshot, graph: _TieGraph, params: Params) -> tuple[pd.DataFrame, np.ndarray]:
    """(employee, supplier) pairs joined by a tie path and by dealings, with the dealings measured."""
    cols = ["employee_id", "supplier_id", "department_id", "hops", "n", "value", "dealing", "start"]
    starts = _mixed_starts(graph)
    if len(starts) == 0:
        return pd.DataFrame(columns=cols), np.array([], dtype=np.int64)
    reached, visited = _reach(graph, starts, max(params.max_length - 2, 1))
    keys = pd.Series(graph.nodes)
    reached = reached[keys.iloc[reached["node"].to_numpy()].str.startswith("supplier:").to_numpy()]
    if reached.empty:
        return pd.DataFrame(columns=cols), visited
    pairs = pd.DataFrame(
        {
            "employee_id": keys.iloc[reached["start"].to_numpy()].str.slice(len("employee:")).to_numpy(),
            "supplier_id": keys.iloc[reached["node"].to_numpy()].str.slice(len("supplier:")).to_numpy(),
            "hops": reached["hops"].to_numpy(),
            "start": reached["start"].to_numpy(),
        }
    )
    personal = engaged_contracts(snapshot, pairs)
    personal = personal.groupby(["employee_id", "supplier_id"]).agg(
        n=("contract_id", "nunique"), value=("amount", "sum")
    )
    pairs = pairs.join(personal, on=["employee_id", "supplier_id"])
    departments = snapshot.employees.set_index("id")["department_id"]
    pairs["department_id"] = pairs["employee_id"].map(departments)
    bought = snapshot.contracts[
        snapshot.contracts["supplier_id"].isin(set(pairs["supplier_id"]))
        & snapshot.contracts["department_id"].notna()
    ]
    by_department = bought.groupby(["department_id", "supplier_id"]).agg(
        department_n=("id", "nunique"), department_value=("amount", "sum")
    )
    pairs = pairs.join(by_department, on=["department_id", "supplier_id"])
    pairs["dealing"] = np.where(
        pairs["n"].fillna(0) > 0, "personal", np.where(pairs["department_n"].fillna(0) > 0, "department", "")
    )
    pairs = pairs[pairs["dealing"] != ""].copy()
    department_only = pairs["dealing"] == "department"
    pairs.loc[department_only, "n"] = pairs.loc[department_only, "department_n"]
    pairs.loc[department_only, "value"] = pairs.loc[department_only, "department_value"]
    pairs["n"] = pairs["n"].astype(int)
    return pairs[cols].sort_values(["employee_id", "supplier_id"]).reset_index(drop=True), visited


def _path_graph(graph: _TieGraph, visited: np.ndarray, starts: np.ndarray) -> nx.Graph:
    """The part of the tie graph within reach of ``starts``: every path the search may report."""
    n = np.int64(max(graph.size, 1))
    mine = visited[np.isin(visited // n, starts)]
    near = set(graph.nodes[np.unique(mine % n)])
    edges = graph.edges[graph.edges["a"].isin(near) & graph.edges["b"].isin(near)]
    g = nx.Graph()
    for row in edges.itertuples(index=False):
        g.add_edge(row.a, row.b, relation=row.relation, src=row.src, share=row.share, weight=row.weight)
    return g


def _is_pivot(key: str) -> bool:
    return not key.startswith(_PARTY_TYPES)


def _strength(g: nx.Graph, path: list[str]) -> float:
    strength = 1.0
    for a, b in itertools.pairwise(path):
        if _is_pivot(a):
            continue  # a shared identifier weighs once, on the way in
        strength *= float(g.edges[a, b]["weight"])
    passed = sum(1 for key in path[1:-1] if key.startswith("supplier:"))
    return strength * PASS_THROUGH_SUPPLIER**passed


def _strongest_path(g: nx.Graph, employee: str, supplier: str, params: Params) -> tuple[list[str], float]:
    paths = itertools.islice(
        nx.all_simple_paths(g, employee, supplier, cutoff=max(params.max_length - 2, 1)),
        params.max_paths_per_pair,
    )
    best: tuple[float, int, tuple[str, ...]] | None = None
    for path in paths:
        candidate = (-_strength(g, path), len(path), tuple(path))
        if best is None or candidate < best:
            best = candidate
    if best is None:
        return [], 0.0
    return list(best[2]), -best[0]


def _hop_records(g: nx.Graph, path: list[str]) -> list[dict[str, Any]]:
    out = []
    for a, b in itertools.pairwise(path):
        data = g.edges[a, b]
        share = data.get("share")
        out.append(
            {
                "from": a,
                "to": b,
                "type": data["relation"],
                "forward": data["src"] == a,
                "share": None if share is None or pd.isna(share) else float(share),
            }
        )
    return out


def _render_path(snapshot: GraphSnapshot, path: list[str], hops: list[dict[str, Any]]) -> tuple[str, str]:
    """A path as a person reads it, e.g. ``王芳（E7） —配偶— 李强（P3） —持股60%→ 华信科技（S12）``."""
    zh, en = [party_phrase(snapshot, path[0])[0]], [party_phrase(snapshot, path[0])[1]]
    i = 0
    while i < len(hops):
        hop = hops[i]
        if _is_pivot(hop["to"]):
            what_zh, what_en = pivot_phrase(hop["to"])
            after_zh, after_en = party_phrase(snapshot, hops[i + 1]["to"])
            zh.append(f" —共用{what_zh}— {after_zh}")
            en.append(f" —shares {what_en} with— {after_en}")
            i += 2
            continue
        word_zh, word_en = _TIE_WORDS[hop["type"]]
        share = hop["share"]
        share_zh = f"{share:.0%}" if share is not None and hop["type"] == "OWNS" else ""
        share_en = f" {share:.0%} of" if share is not None and hop["type"] == "OWNS" else ""
        after_zh, after_en = party_phrase(snapshot, hop["to"])
        if hop["type"] in KIN_RELATIONS:
            zh.append(f" —{word_zh}— {after_zh}")
            en.append(f" —{word_en}— {after_en}")
        elif hop["forward"]:
            zh.append(f" —{word_zh}{share_zh}→ {after_zh}")
            en.append(f" —{word_en}{share_en}→ {after_en}")
        else:
            zh.append(f" ←{word_zh}{share_zh}— {after_zh}")
            en.append(f" ←{word_en}{share_en}— {after_en}")
        i += 1
    return "".join(zh), "".join(en)


def _skipped_hubs(hubs: pd.DataFrame, parties: list[str]) -> list[dict[str, Any]]:
    touching = hubs[hubs["party"].isin(parties)].drop_duplicates("pivot").sort_values("pivot").head(20)
    return [
        {
            "pivot": row.pivot,
            "kind": row.kind,
            "value_masked": mask_node_id(row.kind, row.value),
            "parties": int(row.parties),
            "held_by": row.party,
        }
        for row in touching.itertuples(index=False)
    ]


def _path_findings(
    snapshot: GraphSnapshot, graph: _TieGraph, hubs: pd.DataFrame, params: Params, thresholds: dict[str, Any]
) -> list[Finding]:
    pairs, visited = _candidates(snapshot, graph, params)
    if pairs.empty:
        return []
    g = _path_graph(graph, visited, pairs["start"].unique())
    personal = engaged_contracts(snapshot, pairs[pairs["dealing"] == "personal"])
    by_department = _department_contracts(snapshot, pairs[pairs["dealing"] == "department"])
    contracts_of = {
        **dict(tuple(personal.groupby(["employee_id", "supplier_id"], sort=False))),
        **dict(tuple(by_department.groupby(["employee_id", "supplier_id"], sort=False))),
    }
    findings = []
    for row in pairs.itertuples(index=False):
        employee_key = entity_key("Employee", row.employee_id)
        supplier_key = entity_key("Supplier", row.supplier_id)
        path, strength = _strongest_path(g, employee_key, supplier_key, params)
        if not path:
            continue
        if row.dealing == "personal":
            engagement = 0.85 + 0.15 * min(1.0, row.n / max(params.full_engagement_contracts, 1))
        else:
            engagement = params.department_factor
        score = strength * engagement
        if score < params.min_score:
            continue
        hard = row.dealing == "personal" and strength >= params.hard_strength
        contracts = contracts_of[(row.employee_id, row.supplier_id)]
        findings.append(
            _path_finding(snapshot, g, row, path, strength, score, hard, contracts, hubs, params, thresholds)
        )
    return findings


def _department_contracts(snapshot: GraphSnapshot, pairs: pd.DataFrame) -> pd.DataFrame:
    """The contracts each supplier of ``pairs`` won from the department of the pair's employee."""
    c = snapshot.contracts
    c = c[c["supplier_id"].isin(set(pairs["supplier_id"]))]
    rows = pairs[["employee_id", "supplier_id", "department_id"]].merge(
        c[["id", "supplier_id", "department_id", "amount", "signed_date"]],
        on=["supplier_id", "department_id"],
    )
    return pd.DataFrame(
        {
            "employee_id": rows["employee_id"],
            "supplier_id": rows["supplier_id"],
            "contract_id": rows["id"],
            "amount": rows["amount"],
            "signed_date": rows["signed_date"],
            "role": "department " + rows["department_id"].astype(str),
        }
    ).sort_values(["employee_id", "supplier_id", "signed_date", "contract_id"])


def _path_finding(
    snapshot: GraphSnapshot,
    g: nx.Graph,
    row: Any,
    path: list[str],
    strength: float,
    score: float,
    hard: bool,
    contracts: pd.DataFrame,
    hubs: pd.DataFrame,
    params: Params,
    thresholds: dict[str, Any],
) -> Finding:
    hops = _hop_records(g, path)
    path_zh, path_en = _render_path(snapshot, path, hops)
    emp_zh, emp_en = party_phrase(snapshot, path[0])
    sup_zh, sup_en = party_phrase(snapshot, path[-1])
    loop_length = len(hops) + 2
    n, value = int(row.n), float(row.value)
    if row.dealing == "personal":
        deal_zh = f"员工{emp_zh}审批或申请了供应商{sup_zh}的{n}份合同，合计{wan(value)}"
        deal_en = (
            f"Employee {emp_en} approved or requested {n} contracts of supplier {sup_en} worth {yuan(value)}"
        )
    else:
        dept = row.department_id
        dept_name = snapshot.name("Department", dept)
        deal_zh = (
            f"员工{emp_zh}本人未审批或申请，但其所在部门{dept_name}向供应商{sup_zh}采购了{n}份合同，合计{wan(value)}"
            f"（亲属企业但本人从未经手：低风险提示）"
        )
        deal_en = (
            f"The department {dept_name} of employee {emp_en} bought {n} contracts worth {yuan(value)} from "
            f"supplier {sup_en}, though the employee approved or requested none of them (a relative's company "
            f"the employee never handles: a low-risk note)"
        )
    hard_zh = f"，达到硬性预警强度{params.hard_strength:g}" if hard else ""
    hard_en = f", at or above the hard-flag strength {params.hard_strength:g}" if hard else ""
    zh = (
        f"{deal_zh}，而二者之间存在关联：{path_zh}（{len(hops)}跳，闭环长度{loop_length}，上限{params.max_length}；"
        f"关联强度{strength:.2f}{hard_zh}；共用主体超过{params.max_pivot_parties}个或员工超过"
        f"{params.max_pivot_employees}名的标识视为枢纽不予追踪）。"
    )
    en = (
        f"{deal_en}, and the two are linked: {path_en} ({len(hops)} hops, loop length {loop_length} of at most "
        f"{params.max_length}; strength {strength:.2f}{hard_en}; identifiers held by more than "
        f"{params.max_pivot_parties} parties or {params.max_pivot_employees} employees are hubs and not followed)."
    )
    listed = contracts.head(params.max_rows)
    parties = [key for key in path if not _is_pivot(key)]
    first_contract = entity_key("Contract", listed["contract_id"].iloc[0]) if not listed.empty else None
    # the loop closes through a contract: employee → contract → supplier → … → employee
    loop = [path[0], first_contract, *reversed(path)] if first_contract else list(path)
    evidence = {
        "path": list(path),
        "relations": [{k: hop[k] for k in ("type", "forward", "share")} for hop in hops],
        "loop": loop,
        "dealing": row.dealing,
        "metrics": {
            "strength": round(strength, 4),
            "hops": len(hops),
            "loop_length": loop_length,
            "contracts": n,
            "value": value,
            "engagement": row.dealing,
            "hubs_skipped_total": int(hubs["pivot"].nunique()) if not hubs.empty else 0,
        },
        "skipped_hubs": _skipped_hubs(hubs, parties),
        "thresholds": thresholds,
        "rows": [
            {
                "contract_id": r.contract_id,
                "signed_date": None if pd.isna(r.signed_date) else f"{r.signed_date:%Y-%m-%d}",
                "amount": float(r.amount),
                "role": r.role,
            }
            for r in listed.itertuples(index=False)
        ],
        "subgraph": list(
            dict.fromkeys([*path, *(entity_key("Contract", c) for c in listed["contract_id"].head(20))])
        ),
    }
    return Finding(
        detector=DETECTOR.id,
        subject=f"path|{row.employee_id}|{row.supplier_id}",
        score=float(min(1.0, max(0.0, score))),
        entities=(path[0], path[-1], *parties[1:-1]),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
        hard=hard,
    )


# ---- ownership cycles --------------------------------------------------------------------------


def _cycle_findings(snapshot: GraphSnapshot, params: Params, thresholds: dict[str, Any]) -> list[Finding]:
    rel = snapshot.relations
    owns = rel[
        (rel["relation"] == "OWNS") & (rel["src_label"] == "Supplier") & (rel["dst_label"] == "Supplier")
    ]
    owns = owns[owns["src_id"] != owns["dst_id"]].sort_values(["src_id", "dst_id"])
    if owns.empty:
        return []
    g = nx.DiGraph()
    for src, dst, share in zip(owns["src_id"], owns["dst_id"], owns["share"], strict=True):
        g.add_edge(str(src), str(dst), share=None if pd.isna(share) else float(share))
    cycles = list(
        itertools.islice(nx.simple_cycles(g, length_bound=params.max_length), params.max_cycles + 1)
    )
    truncated = len(cycles) > params.max_cycles
    members = {s for cycle in cycles for s in cycle}
    c = snapshot.contracts
    won = c[c["supplier_id"].isin(members)]
    by_department = won.groupby(["supplier_id", "department_id"]).agg(
        n=("id", "nunique"), value=("amount", "sum")
    )
    total = won.groupby("supplier_id").agg(n=("id", "nunique"), value=("amount", "sum"))
    findings = []
    seen = set()
    for cycle in cycles[: params.max_cycles]:
        start = cycle.index(min(cycle))
        ordered = [str(s) for s in cycle[start:] + cycle[:start]]
        if tuple(ordered) in seen:
            continue
        seen.add(tuple(ordered))
        finding = _cycle_finding(snapshot, g, ordered, by_department, total, truncated, params, thresholds)
        if finding is not None:
            findings.append(finding)
    return findings


def _cycle_finding(
    snapshot: GraphSnapshot,
    g: nx.DiGraph,
    cycle: list[str],
    by_department: pd.DataFrame,
    total: pd.DataFrame,
    truncated: bool,
    params: Params,
    thresholds: dict[str, Any],
) -> Finding | None:
    wins = total[total.index.isin(cycle)]
    if wins.empty:
        return None
    mine = by_department[by_department.index.get_level_values("supplier_id").isin(cycle)].reset_index()
    per_department = (
        mine.groupby("department_id")
        .agg(members=("supplier_id", "nunique"), n=("n", "sum"), value=("value", "sum"))
        .sort_values(["members", "value"], ascending=[False, False])
    )
    best_department = per_department.index[0] if not per_department.empty else None
    best_members = int(per_department["members"].iloc[0]) if not per_department.empty else 0
    same_department = best_members >= params.min_cycle_members_same_department
    if same_department:
        score = CYCLE_SAME_DEPARTMENT_BASE + CYCLE_SAME_DEPARTMENT_SPAN * best_members / len(cycle)
    else:
        score = CYCLE_NO_COMMON_DEPARTMENT
    names_zh = [party_phrase(snapshot, f"supplier:{s}")[0] for s in cycle]
    names_en = [party_phrase(snapshot, f"supplier:{s}")[1] for s in cycle]
    hops = []
    for src, dst in itertools.pairwise([*cycle, cycle[0]]):
        share = g.edges[src, dst].get("share")
        hops.append(
            {
                "from": f"supplier:{src}",
                "to": f"supplier:{dst}",
                "type": "OWNS",
                "forward": True,
                "share": share,
            }
        )
    ring_zh = " → ".join([*names_zh, names_zh[0]])
    ring_en = " → ".join([*names_en, names_en[0]])
    n_all, value_all = int(wins["n"].sum()), float(wins["value"].sum())
    if same_department:
        dept = snapshot.name("Department", str(best_department))
        d_n = int(per_department["n"].iloc[0])
        d_value = float(per_department["value"].iloc[0])
        won_zh = f"其中{best_members}家在同一部门{dept}中标{d_n}份合同，合计{wan(d_value)}"
        won_en = (
            f"{best_members} of them won {d_n} contracts worth {yuan(d_value)} from one department, {dept}"
        )
    else:
        won_zh = f"成员共中标{n_all}份合同，合计{wan(value_all)}，但无共同采购部门"
        won_en = f"its members won {n_all} contracts worth {yuan(value_all)}, from no common department"
    zh = (
        f"供应商之间循环持股：{ring_zh}（{len(cycle)}家，环长上限{params.max_length}）；{won_zh}"
        f"（阈值：同一部门中标≥{params.min_cycle_members_same_department}家）。"
    )
    en = (
        f"Suppliers own one another in a circle: {ring_en} ({len(cycle)} companies, cycle length at most "
        f"{params.max_length}); {won_en} (threshold: at least {params.min_cycle_members_same_department} "
        f"members winning from one department)."
    )
    keys = [f"supplier:{s}" for s in cycle]
    rows = [
        {
            "supplier_id": r.supplier_id,
            "department_id": r.department_id,
            "contracts": int(r.n),
            "value": float(r.value),
        }
        for r in mine.sort_values(["department_id", "supplier_id"])
        .head(params.max_rows)
        .itertuples(index=False)
    ]
    evidence = {
        "path": [*keys, keys[0]],
        "relations": [{k: hop[k] for k in ("type", "forward", "share")} for hop in hops],
        "metrics": {
            "length": len(cycle),
            "members_winning": len(wins),
            "members_same_department": best_members,
            "department_id": None if best_department is None else str(best_department),
            "contracts": n_all,
            "value": value_all,
            "cycles_truncated": truncated,
        },
        "thresholds": thresholds,
        "rows": rows,
        "subgraph": keys
        + ([entity_key("Department", str(best_department))] if best_department is not None else []),
    }
    return Finding(
        detector=DETECTOR.id,
        subject="cycle|" + ">".join(cycle),
        score=float(min(1.0, score)),
        entities=tuple(keys),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


# ---- payments into staff accounts -------------------------------------------------------------


def _payment_findings(
    snapshot: GraphSnapshot,
    staff: pd.DataFrame,
    hubs: pd.DataFrame,
    params: Params,
    thresholds: dict[str, Any],
) -> list[Finding]:
    payments = snapshot.payments
    payments = payments[payments["account"].notna() & payments["contract_id"].notna()]
    ident = snapshot.identifiers
    accounts = ident[(ident["kind"] == "BankAccount")]
    if payments.empty or accounts.empty:
        return []
    holders = pd.DataFrame(
        {"holder": keys_of(accounts["label"], accounts["party_id"]), "account": accounts["value"].astype(str)}
    ).drop_duplicates()
    holders_per_account = holders.groupby("account")["holder"].nunique()
    hub_accounts = set(hubs.loc[hubs["kind"] == "BankAccount", "value"])
    staff_holders = holders.merge(staff.rename(columns={"party": "holder"}), on="holder")
    if staff_holders.empty:
        return []
    paid = payments.merge(staff_holders, on="account")
    if paid.empty:
        return []
    contracts = snapshot.contracts[["id", "supplier_id", "amount", "signed_date"]].rename(
        columns={"id": "contract_id", "amount": "contract_amount"}
    )
    paid = paid.merge(contracts, on="contract_id", how="left")
    paid = paid[paid["supplier_id"].notna()]
    findings = []
    for (holder, supplier), group in paid.groupby(["holder", "supplier_id"], sort=True):
        findings.append(
            _payment_finding(
                snapshot,
                str(holder),
                str(supplier),
                group,
                holders,
                holders_per_account,
                hub_accounts,
                params,
                thresholds,
            )
        )
    return findings


def _payment_finding(
    snapshot: GraphSnapshot,
    holder: str,
    supplier: str,
    group: pd.DataFrame,
    holders: pd.DataFrame,
    holders_per_account: pd.Series,
    hub_accounts: set[str],
    params: Params,
    thresholds: dict[str, Any],
) -> Finding:
    payments = group.drop_duplicates("id").sort_values(["paid_at", "id"])
    accounts = sorted(payments["account"].unique())
    crowded = [a for a in accounts if a in hub_accounts]
    hard = len(crowded) < len(accounts)
    score = PAYMENT_SCORE if hard else PAYMENT_TO_HUB_SCORE
    employees = sorted(set(group["employee_id"]))
    ties = group.drop_duplicates("employee_id").set_index("employee_id")["via"]
    total = float(payments["amount"].sum())
    holder_zh, holder_en = party_phrase(snapshot, holder)
    sup_zh, sup_en = party_phrase(snapshot, f"supplier:{supplier}")
    owners_zh, owners_en = [], []
    for employee in employees:
        emp_zh, emp_en = party_phrase(snapshot, f"employee:{employee}")
        via = str(ties[employee])
        if via == "self":
            owners_zh.append(f"员工{emp_zh}")
            owners_en.append(f"employee {emp_en}")
        else:
            word_zh, word_en = _TIE_WORDS[via]
            owners_zh.append(f"员工{emp_zh}的{word_zh}{holder_zh}")
            owners_en.append(f"{holder_en}, {word_en} of employee {emp_en}")
    account_zh = "、".join(mask_node_id("BankAccount", a) for a in accounts)
    contract_ids = list(dict.fromkeys(payments["contract_id"]))
    also_supplier = bool(
        holders[(holders["account"].isin(accounts)) & (holders["holder"] == f"supplier:{supplier}")].shape[0]
    )
    shared_zh = "（该账户同时登记为供应商收款账户）" if also_supplier else ""
    shared_en = " (the account is also registered as the supplier's)" if also_supplier else ""
    if hard:
        rule_zh = "硬性预警：合同款流入员工或其亲属账户"
        rule_en = "hard flag: contract money paid into the account of an employee or a relative"
    else:
        rule_zh = f"该账户被超过{params.max_pivot_parties}个主体或{params.max_pivot_employees}名员工共用，视为枢纽，降为提示"
        rule_en = (
            f"the account is held by more than {params.max_pivot_parties} parties or "
            f"{params.max_pivot_employees} employees, a hub, so not a hard flag"
        )
    zh = (
        f"供应商{sup_zh}合同（{'、'.join(contract_ids[:3])}{'等' if len(contract_ids) > 3 else ''}）的"
        f"{len(payments)}笔付款合计{wan(total)}支付至银行账户{account_zh}{shared_zh}，该账户登记在"
        f"{'、'.join(owners_zh)}名下（{rule_zh}）。"
    )
    en = (
        f"{len(payments)} payments worth {yuan(total)} for contracts of supplier {sup_en} "
        f"({', '.join(contract_ids[:3])}{' and more' if len(contract_ids) > 3 else ''}) went to bank account "
        f"{', '.join(mask_node_id('BankAccount', a) for a in accounts)}{shared_en}, which is held by "
        f"{'; '.join(owners_en)} ({rule_en})."
    )
    listed = payments.head(params.max_rows)
    payment_keys = [entity_key("Payment", p) for p in listed["id"]]
    contract_keys = [entity_key("Contract", c) for c in contract_ids[: params.max_rows]]
    employee_keys = [entity_key("Employee", e) for e in employees]
    # the accused are the account's holder and the employees behind it, and the supplier only
    # when it registered that account as its own; otherwise the supplier and the contracts
    # paid for are the context, drawn in the subgraph
    accused_supplier = [f"supplier:{supplier}"] if also_supplier else []
    entities = list(dict.fromkeys([*employee_keys, holder, *accused_supplier, *payment_keys]))
    evidence = {
        "path": [
            f"supplier:{supplier}",
            contract_keys[0],
            payment_keys[0],
            f"bank_account:{accounts[0]}",
            holder,
        ],
        "relations": [
            {"type": "AWARDED_TO", "forward": False, "share": None},
            {"type": "PAYS_FOR", "forward": False, "share": None},
            {"type": "PAID_TO", "forward": True, "share": None},
            {"type": "HAS_ACCOUNT", "forward": False, "share": None},
        ],
        "metrics": {
            "payments": len(payments),
            "value": total,
            "contracts": len(contract_ids),
            "account_holders": {a: int(holders_per_account.get(a, 0)) for a in map(str, accounts)},
            "hub_accounts": len(crowded),
        },
        "thresholds": thresholds,
        "rows": [
            {
                "payment_id": r.id,
                "contract_id": r.contract_id,
                "paid_at": None if pd.isna(r.paid_at) else f"{r.paid_at:%Y-%m-%dT%H:%M:%S}",
                "amount": float(r.amount),
                "account_masked": mask_node_id("BankAccount", r.account),
                "payee_name": r.payee_name,
            }
            for r in listed.itertuples(index=False)
        ],
        "subgraph": list(
            dict.fromkeys(
                [
                    *entities[:20],
                    f"supplier:{supplier}",
                    *contract_keys[:20],
                    *(f"bank_account:{a}" for a in accounts),
                ]
            )
        ),
    }
    return Finding(
        detector=DETECTOR.id,
        subject=f"payment|{holder}|{supplier}",
        score=score,
        entities=tuple(entities),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
        hard=hard,
    )


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    thresholds: dict[str, Any] = {
        "max_length": params.max_length,
        "max_pivot_parties": params.max_pivot_parties,
        "max_pivot_employees": params.max_pivot_employees,
        "min_score": params.min_score,
        "hard_strength": params.hard_strength,
        "full_engagement_contracts": params.full_engagement_contracts,
        "department_factor": params.department_factor,
        "min_cycle_members_same_department": params.min_cycle_members_same_department,
    }
    prepared = prepare(snapshot)
    links, hubs = prepared.shared_pivots(params.max_pivot_parties, params.max_pivot_employees)
    graph = _tie_graph(snapshot, links)
    findings = _path_findings(snapshot, graph, hubs, params, thresholds)
    findings += _cycle_findings(snapshot, params, thresholds)
    findings += _payment_findings(snapshot, prepared.staff_parties, hubs, params, thresholds)
    return findings


DETECTOR = Detector(
    id="conflict_paths",
    title_zh="利益冲突路径与循环关联",
    title_en="Conflict-of-interest paths and circular relationships",
    family="relationship",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)
