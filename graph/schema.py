"""The property-graph schema of Sunlight, written once.

Everything that needs to know the shape of the graph reads it from here: the
embedded store's DDL (``CREATE NODE TABLE`` / ``CREATE REL TABLE``), the Neo4j
store's constraints, the loaders' validation of typed columns, the schema handed
to Neo4j's Cypher linter in the tests, and the generated ``docs/schema.md``.

Modelling choices
-----------------
* **Every node has a string key ``id``** taken from the source data (staff
  number, vendor number, contract number ...). Keys are unique per label, not
  across labels, so code that mixes labels names a node by its *entity key*
  ``"<entity_type>:<id>"`` (for example ``supplier:S0012``).
* **Approvals are relationships**, ``(Employee)-[:APPROVED {step, approved_at,
  decision}]->(Contract)``, not nodes. An approval has no identity of its own in
  the ERP exports, the questions asked of it ("who approved what") are one hop,
  and relationships keep the approval graph small enough for Louvain. The step
  number is part of the relationship's identity, so one employee may sign two
  steps of one contract.
* **Bids are relationships** ``(Supplier)-[:BID_ON {amount, is_winner,
  submitted_at}]->(Tender)``: one bid per supplier and tender.
* **Shared identifiers are nodes** (*pivots*): ``Phone``, ``BankAccount``,
  ``Address`` and ``IdNumber`` hold the *normalised* value as their ``id``, so
  two parties that share a phone are two hops apart and cycle searches find
  them. The raw value stays on the party for display (masked).
* **Ties between parties** (ownership, kinship, directorship ...) are one
  relationship type each, allowed between any two of Employee, Supplier and
  Person.
* **Alerts live in the graph**: ``(Alert)-[:FLAGS]->(entity)``, so analysts can
  query them with the data they point at. Evidence is kept as a JSON string.
* **Cases** group alerts that share entities (``detectors.case_grouping``): a ``CaseFile``
  node (``Case`` is a reserved word of Cypher) holds the workflow (status, assignee) and the combined score; each alert names
  its case in ``case_id``. A case merged into another keeps its node, with
  ``merged_into`` set, so an old id still leads to the work.
* Columns that the data contract does not know are not dropped: they are kept as
  a JSON object in the node's ``extra`` property.
* The organisation's ``policy.yaml`` is stored as one ``Policy`` node (JSON text)
  so a detector run needs nothing but the store; each detector run writes one
  ``Summary`` node (JSON text) with what the app's overview shows, so the app's
  first page reads one node instead of the whole graph.
* Every model that ``sunlight learn`` trains on investigators' decisions is one
  ``LearnedModel`` node (JSON text: its coefficients, calibration, training-set summary
  and cross-validated figures), one of them ``active``; the learned score it gives
  stands on each alert and case beside the rule score, which it never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ENTITY_LABELS",
    "NODE_TYPES",
    "PARTY_LABELS",
    "PARTY_RELATIONS",
    "REL_TYPES",
    "NodeType",
    "Prop",
    "PropType",
    "RelType",
    "entity_key",
    "label_of_entity_type",
    "node_type",
    "rel_type",
    "split_entity_key",
]


class PropType(StrEnum):
    """Property types, named as the embedded store names them."""

    STRING = "STRING"
    INT = "INT64"
    FLOAT = "DOUBLE"
    BOOL = "BOOLEAN"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"


@dataclass(frozen=True)
class Prop:
    """One typed property."""

    name: str
    type: PropType = PropType.STRING
    required: bool = False
    doc: str = ""
    personal: bool = False  # a personal identifier: masked for display (PIPL)


@dataclass(frozen=True)
class NodeType:
    """A node label. ``entity_type`` is the lower-case name used in exports."""

    label: str
    entity_type: str
    props: tuple[Prop, ...]
    doc_zh: str
    doc_en: str
    pivot: bool = False

    @property
    def prop_names(self) -> list[str]:
        return [p.name for p in self.props]

    def prop(self, name: str) -> Prop:
        for p in self.props:
            if p.name == name:
                return p
        raise KeyError(f"{self.label} has no property {name!r}")


@dataclass(frozen=True)
class RelType:
    """A relationship type and the (source label, target label) pairs it joins."""

    type: str
    ends: tuple[tuple[str, str], ...]
    props: tuple[Prop, ...]
    doc_zh: str
    doc_en: str
    key_props: tuple[str, ...] = ()  # properties that are part of the relationship's identity
    #: The fields whose relationships a newer extract replaces as a set: with ("src",) the
    #: contracts' suppliers (or a party's phones) in the newest extract are all there is for
    #: each contract (party) it names, so a changed supplier does not leave the old link behind.
    replace_per: tuple[str, ...] = ()

    @property
    def prop_names(self) -> list[str]:
        return [p.name for p in self.props]


S, INT, F, B, D, T = (
    PropType.STRING,
    PropType.INT,
    PropType.FLOAT,
    PropType.BOOL,
    PropType.DATE,
    PropType.TIMESTAMP,
)

_EXTRA = Prop("extra", S, doc="columns the data contract does not name, as a JSON object")


def _contact_props() -> tuple[Prop, ...]:
    return (
        Prop("phone", S, doc="mobile or landline, as written", personal=True),
        Prop("id_number", S, doc="居民身份证号码 or passport", personal=True),
        Prop("bank_account", S, doc="bank account number", personal=True),
        Prop("address", S, doc="postal address", personal=True),
    )


NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        "Department",
        "department",
        (Prop("id", S, True), Prop("name", S)),
        "部门",
        "Department",
    ),
    NodeType(
        "Employee",
        "employee",
        (
            Prop("id", S, True, "staff number"),
            Prop("name", S, True),
            Prop("position", S, doc="job title, e.g. 采购员"),
            Prop("hire_date", D),
            Prop("leave_date", D),
            *_contact_props(),
            _EXTRA,
        ),
        "员工",
        "Employee",
    ),
    NodeType(
        "Supplier",
        "supplier",
        (
            Prop("id", S, True, "vendor number"),
            Prop("name", S, True),
            Prop("credit_code", S, doc="统一社会信用代码"),
            Prop("legal_rep", S, doc="法定代表人"),
            Prop("phone", S, personal=True),
            Prop("address", S),
            Prop("bank_account", S, personal=True),
            Prop("registered_date", D),
            Prop("registered_capital", F),
            Prop("blacklisted", B),
            _EXTRA,
        ),
        "供应商",
        "Supplier",
    ),
    NodeType(
        "Person",
        "person",
        (Prop("id", S, True), Prop("name", S, True), *_contact_props(), _EXTRA),
        "自然人",
        "Person",
    ),
    NodeType(
        "Contract",
        "contract",
        (
            Prop("id", S, True),
            Prop("amount", F, True, "total value in the dataset's currency"),
            Prop("signed_date", D, True),
            Prop("category", S),
            Prop("item", S),
            Prop("quantity", F),
            Prop("unit_price", F),
            Prop(
                "estimate",
                F,
                doc="the buyer's estimate or ceiling price of the purchase (预算金额, 最高投标限价)",
            ),
            Prop("method", S, doc="open, invited, negotiation, single_source, inquiry, direct"),
            _EXTRA,
        ),
        "合同",
        "Contract",
    ),
    NodeType("Tender", "tender", (Prop("id", S, True),), "招标", "Tender"),
    NodeType(
        "Payment",
        "payment",
        (
            Prop("id", S, True),
            Prop("amount", F, True),
            Prop("paid_at", T, True),
            Prop("payee_name", S),
            Prop("payee_account", S, personal=True),
            _EXTRA,
        ),
        "付款",
        "Payment",
    ),
    NodeType("Phone", "phone", (Prop("id", S, True, "normalised number"),), "电话", "Phone", pivot=True),
    NodeType(
        "BankAccount",
        "bank_account",
        (Prop("id", S, True, "normalised account number"),),
        "银行账户",
        "Bank account",
        pivot=True,
    ),
    NodeType(
        "Address", "address", (Prop("id", S, True, "normalised address"),), "地址", "Address", pivot=True
    ),
    NodeType(
        "IdNumber",
        "id_number",
        (Prop("id", S, True, "normalised identity number"),),
        "证件号码",
        "Identity number",
        pivot=True,
    ),
    NodeType(
        "Alert",
        "alert",
        (
            Prop("id", S, True, "stable: the same finding on the next run has the same id"),
            Prop("detector", S, True),
            Prop("score", F, True, "0..1"),
            Prop("level", S, True, "high, medium or low"),
            Prop("grade", S, doc="一级 / 二级 / 三级"),
            Prop("status", S, True, "open, reviewing, confirmed, dismissed, remediated"),
            Prop("title_zh", S),
            Prop("title_en", S),
            Prop("explanation_zh", S),
            Prop("explanation_en", S),
            Prop("evidence", S, doc="JSON: rows, thresholds and the entity keys of the subgraph"),
            Prop("subject", S, doc="the finding's identity within its detector"),
            Prop("first_seen", T),
            Prop("last_seen", T),
            Prop("assignee", S),
            Prop("case_id", S, doc="the case it belongs to (its status and assignee are the case's)"),
            Prop(
                "learned_score",
                F,
                doc="0..1: the learned model's score beside the rule score (sunlight learn)",
            ),
            Prop("learned_level", S, doc="high, medium or low by the learned score (a hard flag stays high)"),
            Prop("learned_reasons", S, doc="JSON: why the learned score moved, in both languages"),
            Prop("learned_model", S, doc="the version of the model that gave the learned score"),
        ),
        "预警",
        "Alert",
    ),
    NodeType(
        # not "Case": CASE is a reserved word of Cypher, and the embedded store refuses it as a label
        "CaseFile",
        "case",
        (
            Prop("id", S, True, "stable: keeps its id when alerts join or leave it"),
            Prop("status", S, True, "open, reviewing, confirmed, dismissed, remediated"),
            Prop("assignee", S),
            Prop("score", F, True, "0..1: noisy-OR over detector families of each family's best alert"),
            Prop("level", S, True, "high, medium or low"),
            Prop("grade", S, doc="一级 / 二级 / 三级"),
            Prop("families", S, doc="JSON: the best alert score per detector family"),
            Prop("alerts", INT, doc="how many alerts it holds"),
            Prop("entities", S, doc="JSON: the entity keys that tie its alerts, most named first"),
            Prop("first_seen", T),
            Prop("last_seen", T),
            Prop("merged_into", S, doc="set when it was merged into another case, which carries on its work"),
            Prop("learned_score", F, doc="0..1: the best learned score of its alerts (sunlight learn)"),
            Prop("learned_level", S, doc="high, medium or low by the learned score"),
            Prop("learned_reasons", S, doc="JSON: why the learned score moved (its best alert's reasons)"),
        ),
        "线索",
        "Case",
    ),
    NodeType(
        "Policy",
        "policy",
        (Prop("id", S, True), Prop("document", S, doc="policy.yaml as JSON")),
        "制度参数",
        "Policy",
    ),
    NodeType(
        "LearnedModel",
        "learned_model",
        (
            Prop("id", S, True, "the model's version, e.g. LM-20261207-140501-3fa9c2"),
            Prop("created_at", T, True),
            Prop("active", B, doc="the model whose scores stand beside the rule scores (one at a time)"),
            Prop(
                "document",
                S,
                doc="JSON: coefficients, calibration, training-set summary, cross-validated figures",
            ),
        ),
        "学习模型",
        "Learned model",
    ),
    NodeType(
        "Summary",
        "summary",
        (
            Prop("id", S, True),
            Prop("document", S, doc="JSON: what the app's overview shows, written by each detector run"),
        ),
        "概览摘要",
        "Summary",
    ),
)

#: Labels that hold the organisation's own records (as opposed to pivots and alerts).
ENTITY_LABELS: tuple[str, ...] = (
    "Employee",
    "Supplier",
    "Person",
    "Department",
    "Contract",
    "Tender",
    "Payment",
)
PARTY_LABELS: tuple[str, ...] = ("Employee", "Supplier", "Person")
#: Relationship types between parties that relations.csv may name.
PARTY_RELATIONS: tuple[str, ...] = (
    "OWNS",
    "LEGAL_REP_OF",
    "DIRECTOR_OF",
    "RELATIVE_OF",
    "SPOUSE_OF",
    "FORMER_EMPLOYEE_OF",
)

_ALL_PARTY_PAIRS = tuple((a, b) for a in PARTY_LABELS for b in PARTY_LABELS)

_PARTY_REL_DOCS = {
    "OWNS": ("持股", "owns a share of"),
    "LEGAL_REP_OF": ("法定代表人", "is the legal representative of"),
    "DIRECTOR_OF": ("董事/高管", "is a director of"),
    "RELATIVE_OF": ("亲属", "is a relative of"),
    "SPOUSE_OF": ("配偶", "is the spouse of"),
    "FORMER_EMPLOYEE_OF": ("曾任职于", "formerly worked for"),
}

REL_TYPES: tuple[RelType, ...] = (
    RelType("WORKS_IN", (("Employee", "Department"),), (), "所属部门", "works in", replace_per=("src",)),
    RelType("REQUESTED", (("Employee", "Contract"),), (), "申请", "requested", replace_per=("dst",)),
    RelType(
        "APPROVED",
        (("Employee", "Contract"),),
        (
            Prop("step", INT, True, "1 = first approver"),
            Prop("approved_at", T, True),
            Prop("decision", S, doc="approve or reject"),
        ),
        "审批",
        "approved",
        key_props=("step",),
        replace_per=("dst", "step"),
    ),
    RelType("AWARDED_TO", (("Contract", "Supplier"),), (), "授予", "awarded to", replace_per=("src",)),
    RelType("ORDERED_BY", (("Contract", "Department"),), (), "采购部门", "ordered by", replace_per=("src",)),
    RelType(
        "FROM_TENDER", (("Contract", "Tender"),), (), "来自招标", "came from tender", replace_per=("src",)
    ),
    RelType(
        "BID_ON",
        (("Supplier", "Tender"),),
        (Prop("amount", F, True), Prop("is_winner", B), Prop("submitted_at", T)),
        "投标",
        "bid on",
    ),
    *(
        RelType(
            name,
            _ALL_PARTY_PAIRS,
            (Prop("share", F, doc="ownership share 0..1"), Prop("since", D)),
            zh,
            en,
        )
        for name, (zh, en) in _PARTY_REL_DOCS.items()
    ),
    RelType("PAYS_FOR", (("Payment", "Contract"),), (), "支付合同", "pays for", replace_per=("src",)),
    RelType("PAID_TO", (("Payment", "BankAccount"),), (), "收款账户", "paid to", replace_per=("src",)),
    RelType(
        "HAS_PHONE", tuple((p, "Phone") for p in PARTY_LABELS), (), "电话", "has phone", replace_per=("src",)
    ),
    RelType(
        "HAS_ACCOUNT",
        tuple((p, "BankAccount") for p in PARTY_LABELS),
        (),
        "银行账户",
        "has account",
        replace_per=("src",),
    ),
    RelType(
        "HAS_ADDRESS",
        tuple((p, "Address") for p in PARTY_LABELS),
        (),
        "地址",
        "has address",
        replace_per=("src",),
    ),
    RelType(
        "HAS_ID_NUMBER",
        (("Employee", "IdNumber"), ("Person", "IdNumber")),
        (),
        "证件号码",
        "has identity number",
        replace_per=("src",),
    ),
    RelType(
        "SAME_AS",
        _ALL_PARTY_PAIRS,
        (Prop("probability", F, True), Prop("method", S)),
        "疑似同一",
        "is probably the same as",
    ),
    RelType("FLAGS", tuple(("Alert", label) for label in ENTITY_LABELS), (), "预警对象", "flags"),
)

_NODES_BY_LABEL = {n.label: n for n in NODE_TYPES}
_NODES_BY_ENTITY = {n.entity_type: n for n in NODE_TYPES}
_RELS_BY_TYPE = {r.type: r for r in REL_TYPES}


def node_type(label: str) -> NodeType:
    """The node type of ``label``; ``KeyError`` names the unknown label."""
    try:
        return _NODES_BY_LABEL[label]
    except KeyError:
        raise KeyError(f"unknown node label {label!r}") from None


def rel_type(name: str) -> RelType:
    """The relationship type called ``name``."""
    try:
        return _RELS_BY_TYPE[name]
    except KeyError:
        raise KeyError(f"unknown relationship type {name!r}") from None


def label_of_entity_type(entity_type: str) -> str:
    """``'supplier'`` -> ``'Supplier'``.

    >>> label_of_entity_type("bank_account")
    'BankAccount'
    """
    try:
        return _NODES_BY_ENTITY[entity_type].label
    except KeyError:
        raise KeyError(f"unknown entity type {entity_type!r}") from None


def entity_key(label: str, node_id: str) -> str:
    """The key that names one node across labels.

    >>> entity_key("Supplier", "S001")
    'supplier:S001'
    """
    return f"{node_type(label).entity_type}:{node_id}"


def split_entity_key(key: str) -> tuple[str, str]:
    """``'supplier:S001'`` -> ``('Supplier', 'S001')``.

    >>> split_entity_key("employee:E7:2")
    ('Employee', 'E7:2')
    """
    entity_type, _, node_id = key.partition(":")
    return label_of_entity_type(entity_type), node_id
