"""What both stores share: the snapshot read, the subgraph search, alert bookkeeping and counts.

Written once, in Cypher that both engines run as it is, over the few primitives each store
supplies (splink's pattern: the logic once, each backend a handful of small methods):

* ``_read_all(work)`` runs ``work(read)`` in one read transaction, where ``read(cypher,
  params)`` returns the rows as a frame;
* ``_write_all(work)`` runs ``work(run)`` in one write transaction — all of it or nothing —
  where ``run(cypher, params)`` returns the rows as a frame;
* ``_lock_alert(run, id)`` locks an alert until the transaction ends, so a status change
  can compare and set;
* ``cypher_variant(texts)`` picks, from a library entry's texts by dialect, the one the
  store runs.

Every statement here names its labels and relationship types, so none needs a dialect's
label function, and each is one index look-up per id on both engines. Neo4j's linter checks
them all (:func:`statements_for_linting`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, final

import pandas as pd

from graph.cypher_lint import Statement
from graph.errors import AlertStatusConflict, CaseStatusConflict, StoreError
from graph.schema import ENTITY_LABELS, NODE_TYPES, REL_TYPES, entity_key, node_type, split_entity_key
from graph.snapshot import GraphSnapshot, build_snapshot, build_snapshot_for
from graph.store import ALERT_STATUSES, AlertRecord, AlertSaveSummary, Subgraph

__all__ = [
    "ALERT_FIELDS",
    "APPROVAL_PAIRS_STATEMENT",
    "MARKET_SHARE_KEYS",
    "NEIGHBOUR_UNION",
    "CypherStore",
    "Hop",
    "RunFn",
    "alert_rows",
    "market_shares_statement",
    "neighbour_branches",
    "neighbour_hops",
    "neighbour_statement",
    "present_statement",
    "statements_for_linting",
]

T = TypeVar("T")
#: ``run(cypher, params)``: the statement's rows as a frame.
RunFn = Callable[..., pd.DataFrame]

#: Properties of an alert that a detector run sets (status, assignee and first_seen belong to
#: the case workflow and are never overwritten by a run).
ALERT_FIELDS: tuple[str, ...] = (
    "detector",
    "subject",
    "score",
    "level",
    "grade",
    "title_zh",
    "title_en",
    "explanation_zh",
    "explanation_en",
    "evidence",
)

#: Labels a subgraph shows but never expands from: alerts are not evidence, the policy is not
#: connected.
_NOT_EXPANDED = ("Alert", "Policy")

# ---- statements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One typed hop: from nodes of ``label`` along ``rel`` (``outgoing`` or not) to ``other``."""

    label: str
    rel: str
    other: str
    outgoing: bool


def neighbour_hops(label: str) -> list[Hop]:
    """Every typed hop out of (or into) nodes of ``label`` that the schema allows, alert flags
    left out, in schema order."""
    if label in _NOT_EXPANDED:
        return []
    out = []
    for rel in REL_TYPES:
        if rel.type == "FLAGS":
            continue
        for src, dst in rel.ends:
            if src == label:
                out.append(Hop(label, rel.type, dst, True))
            if dst == label:
                out.append(Hop(label, rel.type, src, False))
    return out


def neighbour_branches(label: str) -> list[str]:
    """One statement per typed hop of :func:`neighbour_hops` out of some nodes of ``label``
    (``$ids``), at most ``$cap`` rows: an index look-up per id, reading names only where the
    other end has them. Every branch returns the same columns."""
    branches = []
    for hop in neighbour_hops(label):
        arrow = f"-[:{hop.rel}]->" if hop.outgoing else f"<-[:{hop.rel}]-"
        name = "m.name" if "name" in node_type(hop.other).prop_names else "''"
        branches.append(
            f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}){arrow}(m:{hop.other}) "
            f"RETURN n.id AS nid, '{hop.rel}' AS rel, '{hop.other}' AS mlabel, "
            f"{'true' if hop.outgoing else 'false'} AS outgoing, m.id AS mid, {name} AS mname LIMIT $cap"
        )
    return branches


#: How :func:`neighbour_statement` joins its branches (each keeps its own ``LIMIT``).
NEIGHBOUR_UNION = " UNION ALL "


def neighbour_statement(label: str) -> str | None:
    """One hop from some nodes of ``label`` (``$ids``) along every typed hop the schema allows:
    the branches of :func:`neighbour_branches` in one statement, one round trip."""
    return NEIGHBOUR_UNION.join(neighbour_branches(label)) or None


def _names_statement(label: str) -> str:
    return f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n.id AS id, n.name AS name"


def present_statement(label: str) -> str:
    """Which of some ids (``$ids``) are nodes of ``label`` in the store."""
    return f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n.id AS id"


_ALERTS_KNOWN = (
    "UNWIND $ids AS i MATCH (a:Alert {id: i}) RETURN a.id AS id, a.score AS score, a.evidence AS evidence"
)

_ALERT_MERGE = (
    "UNWIND $rows AS row MERGE (a:Alert {id: row.id}) "
    "ON CREATE SET a.status = 'open', a.first_seen = $now "
    "SET a.last_seen = $now, " + ", ".join(f"a.{f} = row.{f}" for f in ALERT_FIELDS)
)


def _flag_statement(label: str) -> str:
    """Flag entities of ``label``; returns how many (alert, entity) pairs both ends were found for."""
    return (
        f"UNWIND $rows AS row MATCH (a:Alert) WHERE a.id = row.alert_id MATCH (x:{label}) WHERE x.id = row.entity_id "
        "MERGE (a)-[:FLAGS]->(x) RETURN count(*) AS n"
    )


_ALERT_COLUMNS = (
    "a.id AS alert_id, a.detector AS detector, a.level AS level, a.grade AS grade, a.score AS score, "
    "a.status AS status, a.assignee AS assignee, a.title_zh AS title_zh, a.title_en AS title_en, "
    "a.explanation_zh AS explanation_zh, a.explanation_en AS explanation_en, a.evidence AS evidence, "
    "a.first_seen AS first_seen, a.last_seen AS last_seen, a.case_id AS case_id, "
    "a.learned_score AS learned_score, a.learned_level AS learned_level, "
    "a.learned_reasons AS learned_reasons, a.learned_model AS learned_model"
)
_ALERTS_ALL = f"MATCH (a:Alert) RETURN {_ALERT_COLUMNS}"
_ALERT_ONE = f"MATCH (a:Alert {{id: $id}}) RETURN {_ALERT_COLUMNS}"


def _flags_statement(label: str, one: bool) -> str:
    alert = "(a:Alert {id: $id})" if one else "(a:Alert)"
    return f"MATCH {alert}-[:FLAGS]->(x:{label}) RETURN a.id AS alert_id, x.id AS entity_id"


_ALERT_STATUS = "MATCH (a:Alert {id: $id}) RETURN a.status AS status"
_ALERT_SET_STATUS = "MATCH (a:Alert {id: $id}) SET a.status = $status"
_ALERT_SET_ASSIGNEE = "MATCH (a:Alert {id: $id}) SET a.assignee = $assignee"
_ALERT_LEVELS = "MATCH (a:Alert) RETURN a.level AS level, count(a) AS n"
#: A case's status read under a write lock (as an alert's above); its alerts follow its workflow.
_CASE_STATUS_LOCKED = "MATCH (c:CaseFile {id: $id}) SET c.status = c.status RETURN c.status AS status"
_CASE_SET_STATUS = "MATCH (c:CaseFile {id: $id}) SET c.status = $status"
_CASE_SET_ASSIGNEE = "MATCH (c:CaseFile {id: $id}) SET c.assignee = $assignee"
_CASE_ALERTS_SET_STATUS = "MATCH (a:Alert) WHERE a.case_id = $id SET a.status = $status"
_CASE_ALERTS_SET_ASSIGNEE = "MATCH (a:Alert) WHERE a.case_id = $id SET a.assignee = $assignee"
#: Many cases moved at once (:meth:`CypherStore.set_case_states`): the same steps over a list of ids.
_CASES_STATUS_LOCKED = "UNWIND $ids AS i MATCH (c:CaseFile {id: i}) SET c.status = c.status RETURN c.id AS id, c.status AS status"
_CASES_SET_STATUS = "UNWIND $ids AS i MATCH (c:CaseFile {id: i}) SET c.status = $status"
_CASES_ALERTS_SET_STATUS = "MATCH (a:Alert) WHERE a.case_id IN $ids SET a.status = $status"


#: Contracts and value per (category, approver, supplier), counted as the repeated-pairs
#: detector counts them (approvals not rejected, one per approver and contract, a missing
#: category under ``$uncategorised``): the heaviest aggregation of a detector run, done by the
#: engine so that only the pairs, not every approval, leave it.
APPROVAL_PAIRS_STATEMENT = (
    "MATCH (e:Employee)-[r:APPROVED]->(c:Contract)-[:AWARDED_TO]->(s:Supplier) "
    "WHERE r.decision IS NULL OR toLower(r.decision) <> 'reject' "
    "WITH DISTINCT e, c, s "
    "OPTIONAL MATCH (c)-[:ORDERED_BY]->(d:Department) "
    "RETURN coalesce(d.id, '') AS department_id, coalesce(c.category, $uncategorised) AS category, "
    "e.id AS approver_id, s.id AS supplier_id, count(*) AS n, sum(c.amount) AS value"
)


#: One market cell of the concentration detector: a department's buying of a category in a year.
MARKET_SHARE_KEYS = ("department_id", "category", "year", "supplier_id")


def market_shares_statement(year_of: str) -> str:
    """Contracts ``k`` and value of each supplier in each market cell, with the cell's contracts
    ``n``, value ``total`` and the supplier's value ``share``, counted as the concentration
    detector counts them (contracts with a positive amount, a department, a category and a
    date, outside ``$excluded`` categories). ``year_of`` is the engine's year of
    ``signed_date`` (the only dialect in it). Per supplier and cell, not per contract, is what
    leaves the engine."""
    return (
        "MATCH (c:Contract)-[:AWARDED_TO]->(s:Supplier) "
        "MATCH (c)-[:ORDERED_BY]->(d:Department) "
        "WHERE c.amount > 0 AND c.category IS NOT NULL AND c.signed_date IS NOT NULL "
        "AND NOT c.category IN $excluded "
        "WITH d.id AS department_id, c.category AS category, c.signed_date AS signed_date, "
        "s.id AS supplier_id, c.amount AS amount "
        f"WITH department_id, category, {year_of} AS year, supplier_id, count(*) AS k, sum(amount) AS value "
        "WITH department_id, category, year, sum(k) AS n, sum(value) AS total, "
        "collect({supplier_id: supplier_id, k: k, value: value}) AS suppliers "
        "UNWIND suppliers AS x "
        "RETURN department_id, category, year, x.supplier_id AS supplier_id, x.k AS k, "
        "x.value AS value, n, total, x.value / total AS share"
    )


def _node_count_statement(label: str) -> str:
    return f"MATCH (n:{label}) RETURN count(n) AS n"


def _rel_count_statement(rel: str) -> str:
    return f"MATCH ()-[r:{rel}]->() RETURN count(r) AS n"


def statements_for_linting() -> list[Statement]:
    """Every statement this module sends, with a sample value for each parameter."""
    from datetime import datetime as _dt

    now = _dt(2024, 1, 31, 9, 30)
    out = [
        Statement("alerts:known", _ALERTS_KNOWN, {"ids": ["A1"]}),
        Statement(
            "alerts:merge",
            _ALERT_MERGE,
            {"rows": [dict.fromkeys(ALERT_FIELDS, "x") | {"id": "A1", "score": 0.9}], "now": now},
        ),
        Statement("alerts:list", _ALERTS_ALL),
        Statement("alerts:one", _ALERT_ONE, {"id": "A1"}),
        Statement("alerts:status", _ALERT_STATUS, {"id": "A1"}),
        Statement("alerts:set-status", _ALERT_SET_STATUS, {"id": "A1", "status": "reviewing"}),
        Statement("alerts:set-assignee", _ALERT_SET_ASSIGNEE, {"id": "A1", "assignee": "张三"}),
        Statement("alerts:levels", _ALERT_LEVELS),
        Statement("aggregate:approval-pairs", APPROVAL_PAIRS_STATEMENT, {"uncategorised": "未分类"}),
        Statement("cases:status-locked", _CASE_STATUS_LOCKED, {"id": "CS-1"}),
        Statement("cases:set-status", _CASE_SET_STATUS, {"id": "CS-1", "status": "reviewing"}),
        Statement("cases:set-assignee", _CASE_SET_ASSIGNEE, {"id": "CS-1", "assignee": "张三"}),
        Statement("cases:alerts-status", _CASE_ALERTS_SET_STATUS, {"id": "CS-1", "status": "reviewing"}),
        Statement("cases:alerts-assignee", _CASE_ALERTS_SET_ASSIGNEE, {"id": "CS-1", "assignee": "张三"}),
        Statement("cases:many-status-locked", _CASES_STATUS_LOCKED, {"ids": ["CS-1"]}),
        Statement("cases:many-set-status", _CASES_SET_STATUS, {"ids": ["CS-1"], "status": "dismissed"}),
        Statement(
            "cases:many-alerts-status", _CASES_ALERTS_SET_STATUS, {"ids": ["CS-1"], "status": "dismissed"}
        ),
    ]
    for label in ENTITY_LABELS:
        rows = {"rows": [{"alert_id": "A1", "entity_id": "S1"}]}
        out.append(Statement(f"alerts:flag:{label}", _flag_statement(label), rows))
        out.append(Statement(f"alerts:flags:{label}", _flags_statement(label, one=False)))
        out.append(Statement(f"alerts:flags-one:{label}", _flags_statement(label, one=True), {"id": "A1"}))
    for spec in NODE_TYPES:
        out.append(Statement(f"count:{spec.label}", _node_count_statement(spec.label)))
        out.append(Statement(f"present:{spec.label}", present_statement(spec.label), {"ids": ["S1"]}))
        if "name" in spec.prop_names:
            out.append(Statement(f"names:{spec.label}", _names_statement(spec.label), {"ids": ["S1"]}))
        # Each branch on its own, and the first two joined as neighbour_statement joins them all:
        # the linter's analysis of a union grows faster than its length (a forty-branch union
        # takes it half a minute), and the branches of a union are analysed independently.
        branches = neighbour_branches(spec.label)
        sample = {"ids": ["S1"], "cap": 800}
        for i, branch in enumerate(branches):
            out.append(Statement(f"neighbours:{spec.label}:{i}", branch, sample))
        if len(branches) > 1:
            union = NEIGHBOUR_UNION.join(branches[:2])
            out.append(Statement(f"neighbours:{spec.label}:union", union, sample))
    out += [Statement(f"count:{rel.type}", _rel_count_statement(rel.type)) for rel in REL_TYPES]
    return out


# ---- the shared store --------------------------------------------------------------------------


def _local_naive(moment: datetime) -> datetime:
    """Timestamps are stored in local time without a zone, as the data contract has them."""
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


class CypherStore(ABC):
    """The part of :class:`graph.store.Store` that is the same on every Cypher engine."""

    #: Rows per ``UNWIND`` batch of the alert statements.
    alert_batch_size = 5_000

    # ---- primitives each store supplies --------------------------------------------------
    @abstractmethod
    def _read_all(self, work: Callable[[RunFn], T]) -> T:
        """Run ``work(read)`` in one read transaction."""

    @abstractmethod
    def _write_all(self, work: Callable[[RunFn], T]) -> T:
        """Run ``work(run)`` in one write transaction: committed if it returns, rolled back if it raises."""

    @abstractmethod
    def _lock_alert(self, run: RunFn, alert_id: str) -> None:
        """Take the alert's write lock for the rest of the transaction (no-op where the engine
        has one writer at a time)."""

    @abstractmethod
    def _year_of(self, expression: str) -> str:
        """The engine's expression for the calendar year of the date ``expression``."""

    @abstractmethod
    def cypher_variant(self, texts: Mapping[str, str]) -> str:
        """The text of a library entry (``{dialect: cypher}``, ``neo4j`` always present) this store runs."""

    # ---- reads -----------------------------------------------------------------------------
    @final
    def snapshot(self) -> GraphSnapshot:
        """All frames read in one read transaction, so they agree with each other."""
        return self._read_all(build_snapshot)

    @final
    def snapshot_for(self, contract_ids: Sequence[str]) -> GraphSnapshot:
        """Every party and only the contracts ``contract_ids`` (:func:`graph.snapshot.build_snapshot_for`),
        in one read transaction."""
        return self._read_all(lambda read: build_snapshot_for(read, contract_ids))

    @final
    def subgraph(self, keys: Sequence[str], hops: int = 1, limit: int = 200) -> Subgraph:
        return self._read_all(lambda read: _subgraph(read, keys, hops, limit, self._neighbours))

    def _neighbours(self, read: RunFn, label: str, ids: list[str], cap: int) -> pd.DataFrame:
        """One hop from nodes of ``label``: ``nid, rel, mlabel, outgoing, mid, mname`` rows, at
        most ``cap`` per hop. By default the typed statement of :func:`neighbour_statement`."""
        statement = neighbour_statement(label)
        if statement is None:
            return pd.DataFrame(columns=["nid", "rel", "mlabel", "outgoing", "mid", "mname"])
        return read(statement, {"ids": ids, "cap": cap})

    @final
    def counts(self) -> dict[str, dict[str, int]]:
        def count(read: RunFn) -> dict[str, dict[str, int]]:
            nodes = {s.label: int(read(_node_count_statement(s.label)).iloc[0, 0]) for s in NODE_TYPES}
            rels = {r.type: int(read(_rel_count_statement(r.type)).iloc[0, 0]) for r in REL_TYPES}
            levels = read(_ALERT_LEVELS)
            alerts = {str(r.level): int(r.n) for r in levels.itertuples(index=False)}
            return {"nodes": nodes, "relationships": rels, "alerts": alerts}

        return self._read_all(count)

    @final
    def approval_pair_counts(self, uncategorised: str) -> pd.DataFrame:
        """Approvals per market (ordering department and category), approver and supplier with
        their contracts' value, counted by the store's engine (on Neo4j, on the server):
        ``department_id, category, approver_id, supplier_id, n, value`` ("" for a contract no
        department ordered), in key order. A graph too large to stream into Python still gives
        its pairs."""
        frame = self._read_all(lambda read: read(APPROVAL_PAIRS_STATEMENT, {"uncategorised": uncategorised}))
        frame["n"] = frame["n"].astype("int64")
        frame["value"] = frame["value"].astype("float64")
        keys = ["department_id", "category", "approver_id", "supplier_id"]
        return frame.sort_values(keys).reset_index(drop=True)

    @final
    def market_shares(self, excluded_categories: Sequence[str]) -> pd.DataFrame:
        """Each supplier's contracts and value share of each market cell (department, category,
        year) outside ``excluded_categories``, counted by the store's engine (on Neo4j, on the
        server; :func:`market_shares_statement`): ``department_id, category, year,
        supplier_id, k, value, n, total, share``, in key order."""
        statement = market_shares_statement(self._year_of("signed_date"))
        frame = self._read_all(lambda read: read(statement, {"excluded": list(excluded_categories)}))
        columns = [*MARKET_SHARE_KEYS, "k", "value", "n", "total", "share"]
        if frame.empty:
            frame = pd.DataFrame(columns=columns)
        types = {"year": "int64", "k": "int64", "n": "int64", "value": "float64", "total": "float64"}
        frame = frame[columns].astype(types | {"share": "float64"})
        return frame.sort_values(list(MARKET_SHARE_KEYS)).reset_index(drop=True)

    # ---- alerts ----------------------------------------------------------------------------
    @final
    def save_alerts(self, alerts: Sequence[AlertRecord], seen_at: datetime) -> AlertSaveSummary:
        """Upsert alerts by id; new ones open, known ones keep their status, assignee and first
        sighting. An alert naming an entity that is not in the store is refused, and nothing
        of the call is saved."""
        if not alerts:
            return AlertSaveSummary(0, 0, 0)
        latest = {a.id: a for a in alerts}  # the last of repeated ids wins
        rows = [
            {"id": a.id, **{f: getattr(a, f) for f in ALERT_FIELDS if f != "evidence"}}
            | {"score": float(a.score), "evidence": a.evidence_json()}
            for a in latest.values()
        ]
        flags: dict[str, list[dict[str, str]]] = {}
        for a in latest.values():
            for key in dict.fromkeys(a.entities):
                label, node_id = split_entity_key(key)
                if label in ENTITY_LABELS:
                    flags.setdefault(label, []).append({"alert_id": a.id, "entity_id": node_id})
        now = _local_naive(seen_at)
        size = self.alert_batch_size

        def save(run: RunFn) -> AlertSaveSummary:
            ids = list(latest)
            known: dict[str, tuple[Any, Any]] = {}
            for start in range(0, len(ids), size):
                before = run(_ALERTS_KNOWN, {"ids": ids[start : start + size]})
                known.update({r.id: (r.score, r.evidence) for r in before.itertuples(index=False)})
            for start in range(0, len(rows), size):
                run(_ALERT_MERGE, {"rows": rows[start : start + size], "now": now})
            for label, pairs in flags.items():
                for start in range(0, len(pairs), size):
                    batch = pairs[start : start + size]
                    found = int(run(_flag_statement(label), {"rows": batch}).iloc[0, 0])
                    if found < len(batch):
                        missing = _missing_entities(run, label, batch)
                        raise StoreError(
                            f"alerts flag {label} entities that are not in the store: "
                            + ", ".join(missing[:5])
                            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
                        )
            new = sum(1 for a in latest.values() if a.id not in known)
            unchanged = sum(
                1
                for a in latest.values()
                if a.id in known and known[a.id] == (float(a.score), a.evidence_json())
            )
            return AlertSaveSummary(new=new, updated=len(latest) - new - unchanged, unchanged=unchanged)

        return self._write_all(save)

    @final
    def alerts(self) -> pd.DataFrame:
        """One row per (alert, flagged entity), riskiest first."""
        return self._read_all(lambda read: _alert_frame(read, None))

    @final
    def alert(self, alert_id: str) -> pd.DataFrame:
        """The rows of :meth:`alerts` for one alert (empty when there is no such alert)."""
        return self._read_all(lambda read: _alert_frame(read, alert_id))

    @final
    def set_alert_status(
        self,
        alert_id: str,
        status: str,
        assignee: str | None = None,
        expected_status: str | None = None,
    ) -> None:
        """Move an alert through the case workflow (and give it to ``assignee`` if named).

        With ``expected_status`` the change is a compare-and-set: it happens only if the alert
        is in that status when the change is made, else :class:`graph.errors.AlertStatusConflict`
        is raised and nothing changes (another change got there first)."""
        if status not in ALERT_STATUSES:
            raise StoreError(f"unknown alert status {status!r}; expected one of {', '.join(ALERT_STATUSES)}")

        def change(run: RunFn) -> None:
            # the status is read after the alert is locked, so two changes cannot both see
            # the old status (read committed isolation would otherwise allow a lost update)
            self._lock_alert(run, alert_id)
            found = run(_ALERT_STATUS, {"id": alert_id})
            if found.empty:
                raise StoreError(f"no alert with id {alert_id!r}")
            current = found.iloc[0, 0]
            if expected_status is not None and current != expected_status:
                raise AlertStatusConflict(alert_id, expected_status, str(current))
            run(_ALERT_SET_STATUS, {"id": alert_id, "status": status})
            if assignee is not None:
                run(_ALERT_SET_ASSIGNEE, {"id": alert_id, "assignee": assignee})

        self._write_all(change)

    @final
    def set_case_state(
        self,
        case_id: str,
        status: str,
        assignee: str | None = None,
        expected_status: str | None = None,
    ) -> None:
        """Move a case, and every alert in it, to ``status`` (and give them to ``assignee`` if named),
        in one transaction; with ``expected_status`` a compare-and-set as :meth:`set_alert_status`
        (:class:`graph.errors.CaseStatusConflict` when the case had moved on)."""
        if status not in ALERT_STATUSES:
            raise StoreError(f"unknown case status {status!r}; expected one of {', '.join(ALERT_STATUSES)}")

        def change(run: RunFn) -> None:
            found = run(_CASE_STATUS_LOCKED, {"id": case_id})
            if found.empty:
                raise StoreError(f"no case with id {case_id!r}")
            current = found.iloc[0, 0]
            if expected_status is not None and current != expected_status:
                raise CaseStatusConflict(case_id, expected_status, str(current))
            run(_CASE_SET_STATUS, {"id": case_id, "status": status})
            run(_CASE_ALERTS_SET_STATUS, {"id": case_id, "status": status})
            if assignee is not None:
                run(_CASE_SET_ASSIGNEE, {"id": case_id, "assignee": assignee})
                run(_CASE_ALERTS_SET_ASSIGNEE, {"id": case_id, "assignee": assignee})

        self._write_all(change)

    @final
    def set_case_states(self, expected: Mapping[str, str], status: str) -> None:
        """Move every case of ``expected`` (case id -> the status it must be in) and its alerts to
        ``status``, in one transaction: all of them or, when one is missing or has moved on
        (:class:`graph.errors.CaseStatusConflict`), none."""
        if status not in ALERT_STATUSES:
            raise StoreError(f"unknown case status {status!r}; expected one of {', '.join(ALERT_STATUSES)}")
        ids = sorted(expected)
        if not ids:
            return

        def change(run: RunFn) -> None:
            found = run(_CASES_STATUS_LOCKED, {"ids": ids})
            current = dict(zip(found["id"], found["status"], strict=True)) if not found.empty else {}
            for case_id in ids:
                if case_id not in current:
                    raise StoreError(f"no case with id {case_id!r}")
                if current[case_id] != expected[case_id]:
                    raise CaseStatusConflict(case_id, expected[case_id], str(current[case_id]))
            run(_CASES_SET_STATUS, {"ids": ids, "status": status})
            run(_CASES_ALERTS_SET_STATUS, {"ids": ids, "status": status})

        self._write_all(change)


def _missing_entities(run: RunFn, label: str, batch: Sequence[Mapping[str, str]]) -> list[str]:
    wanted = sorted({row["entity_id"] for row in batch})
    present = set(run(present_statement(label), {"ids": wanted})["id"])
    return [entity_key(label, i) for i in wanted if i not in present]


def alert_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Shape an alert listing (``entity_label`` column) for export: entity types as the CLI
    names them, riskiest first, a stable order within a score."""
    label_to_type = {spec.label: spec.entity_type for spec in NODE_TYPES}
    frame = frame.copy()
    frame["entity_type"] = frame["entity_label"].map(label_to_type)
    frame = frame.drop(columns=["entity_label"])
    order = ["score", "alert_id", "entity_type", "entity_id"]
    return frame.sort_values(order, ascending=[False, True, True, True]).reset_index(drop=True)


def _alert_frame(read: RunFn, alert_id: str | None) -> pd.DataFrame:
    """Alerts (all, or one) with their flagged entities, in the listing's columns."""
    params = {"id": alert_id} if alert_id is not None else None
    alerts = read(_ALERTS_ALL if alert_id is None else _ALERT_ONE, params)
    flags = [
        read(_flags_statement(label, one=alert_id is not None), params).assign(entity_label=label)
        for label in ENTITY_LABELS
    ]
    flagged = pd.concat(flags, ignore_index=True) if flags else pd.DataFrame()
    flagged = flagged.reindex(columns=["alert_id", "entity_label", "entity_id"]).astype(object)
    joined = alerts.merge(flagged, on="alert_id", how="left")
    order = [
        "alert_id",
        "detector",
        "level",
        "grade",
        "score",
        "status",
        "assignee",
        "entity_label",
        "entity_id",
        "title_zh",
        "title_en",
        "explanation_zh",
        "explanation_en",
        "evidence",
        "first_seen",
        "last_seen",
        "case_id",
        "learned_score",
        "learned_level",
        "learned_reasons",
        "learned_model",
    ]
    return alert_rows(joined[order])


def _subgraph(
    read: RunFn,
    keys: Sequence[str],
    hops: int,
    limit: int,
    neighbours: Callable[[RunFn, str, list[str], int], pd.DataFrame],
) -> Subgraph:
    """Breadth-first from ``keys``, one ``neighbours`` call per label and hop, at most ``limit`` nodes."""
    seen: dict[str, tuple[str, str, str]] = {}  # key -> (label, id, name)
    for key in keys:
        label, node_id = split_entity_key(key)
        seen[key] = (label, node_id, "")
    edges: set[tuple[str, str, str]] = set()
    frontier = list(seen)
    truncated = False
    for _ in range(hops):
        by_label: dict[str, list[str]] = {}
        for key in frontier:
            label, node_id, _name = seen[key]
            by_label.setdefault(label, []).append(node_id)
        found: list[str] = []
        for label, ids in by_label.items():
            if label in _NOT_EXPANDED:
                continue
            frame = neighbours(read, label, ids, limit * 4)
            for nid, rel, mlabel, outgoing, mid, mname in frame[
                ["nid", "rel", "mlabel", "outgoing", "mid", "mname"]
            ].itertuples(index=False, name=None):
                nkey = entity_key(label, nid)
                mkey = entity_key(mlabel, mid)
                if mkey not in seen:
                    if len(seen) >= limit:
                        truncated = True
                        continue
                    seen[mkey] = (mlabel, mid, mname if isinstance(mname, str) else "")
                    found.append(mkey)
                edges.add((nkey, mkey, rel) if outgoing else (mkey, nkey, rel))
        frontier = found
    # names not read with the hops (the starting keys', and where a store's hops bring none)
    wanted: dict[str, list[str]] = {}
    for label, node_id, name in seen.values():
        if not name and "name" in node_type(label).prop_names:
            wanted.setdefault(label, []).append(node_id)
    names: dict[str, str] = {}
    for label, ids in wanted.items():
        frame = read(_names_statement(label), {"ids": ids})
        for node_id, name in zip(frame["id"], frame["name"], strict=True):
            if isinstance(name, str):
                names[entity_key(label, node_id)] = name
    nodes = pd.DataFrame(
        [(k, lab, nid, names.get(k) or nm or nid) for k, (lab, nid, nm) in seen.items()],
        columns=["key", "label", "id", "name"],
    )
    edge_frame = pd.DataFrame(sorted(edges), columns=["src", "dst", "type"])
    return Subgraph(nodes=nodes, edges=edge_frame, truncated=truncated)
