"""The input data contract (``DATA_CONTRACT.md``) as data: tables, columns, kinds, keys, references.

Columns that land on a node or relationship property take their type and
``required`` flag from :mod:`graph.schema`, so the contract and the graph cannot
drift apart; what the schema cannot say (which column names another table's key,
that money is never negative, that ``payee_account`` must be given) is added here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from graph.schema import PARTY_RELATIONS, Prop, PropType, node_type, rel_type

__all__ = [
    "DECISIONS",
    "METHODS",
    "PARTY_TYPES",
    "TABLES",
    "Column",
    "Kind",
    "Table",
    "table_spec",
]


class Kind(StrEnum):
    """How a column's text is parsed."""

    ID = "id"
    TEXT = "text"
    NAME = "name"  # text normalised with loaders.normalize.normalize_name
    DATE = "date"
    TIMESTAMP = "timestamp"
    MONEY = "money"  # a number that may not be negative
    NUMBER = "number"
    INTEGER = "integer"
    BOOL = "bool"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    refers_to: str | None = None  # the table whose key this column names
    personal: bool = False  # masked in messages


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique within the file
    label: str | None = None  # the node label its rows become, if they become nodes
    what: tuple[str, str] = ("record", "记录")  # one row, in English and Chinese

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def file(self) -> str:
        return f"{self.name}.csv"


_KIND_OF_TYPE = {
    PropType.STRING: Kind.TEXT,
    PropType.INT: Kind.INTEGER,
    PropType.FLOAT: Kind.NUMBER,
    PropType.BOOL: Kind.BOOL,
    PropType.DATE: Kind.DATE,
    PropType.TIMESTAMP: Kind.TIMESTAMP,
}
_NAME_COLUMNS = {"name", "legal_rep", "payee_name", "department_name"}


def _columns(
    props: tuple[Prop, ...],
    rename: dict[str, str] | None = None,
    money: tuple[str, ...] = (),
) -> list[Column]:
    """Contract columns for schema properties (``extra`` is not a column)."""
    rename = rename or {}
    out = []
    for prop in props:
        if prop.name == "extra":
            continue
        kind = _KIND_OF_TYPE[prop.type]
        if prop.name == "id":
            kind = Kind.ID
        elif prop.name in money:
            kind = Kind.MONEY
        elif prop.name in _NAME_COLUMNS:
            kind = Kind.NAME
        out.append(Column(rename.get(prop.name, prop.name), kind, prop.required, personal=prop.personal))
    return out


def _node_columns(label: str, id_column: str, money: tuple[str, ...] = ()) -> list[Column]:
    return _columns(node_type(label).props, {"id": id_column}, money)


def _required(columns: list[Column], *names: str) -> list[Column]:
    return [replace(c, required=True) if c.name in names else c for c in columns]


#: Procurement methods of the data contract, and the Chinese terms that mean them.
METHODS: dict[str, str] = {
    "open": "open",
    "公开招标": "open",
    "invited": "invited",
    "邀请招标": "invited",
    "negotiation": "negotiation",
    "竞争性谈判": "negotiation",
    "竞争性磋商": "negotiation",
    "single_source": "single_source",
    "单一来源": "single_source",
    "单一来源采购": "single_source",
    "inquiry": "inquiry",
    "询价": "inquiry",
    "询价采购": "inquiry",
    "direct": "direct",
    "直接采购": "direct",
    "直接委托": "direct",
}

#: Approval decisions, and the Chinese words an approval system writes for them.
DECISIONS: dict[str, str] = {
    "approve": "approve",
    "approved": "approve",
    "同意": "approve",
    "通过": "approve",
    "批准": "approve",
    "reject": "reject",
    "rejected": "reject",
    "不同意": "reject",
    "驳回": "reject",
    "拒绝": "reject",
    "退回": "reject",
}

#: relations.csv party types -> (node label, table).
PARTY_TYPES: dict[str, tuple[str, str]] = {
    "employee": ("Employee", "employees"),
    "supplier": ("Supplier", "suppliers"),
    "person": ("Person", "persons"),
}

_ID = Kind.ID

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "employees",
            True,
            (
                *_node_columns("Employee", "employee_id"),
                Column("department_id", _ID),
                Column("department_name", Kind.NAME),
            ),
            ("employee_id",),
            "Employee",
            ("employee", "员工"),
        ),
        Table(
            "suppliers",
            True,
            tuple(_node_columns("Supplier", "supplier_id", money=("registered_capital",))),
            ("supplier_id",),
            "Supplier",
            ("supplier", "供应商"),
        ),
        Table(
            "persons",
            False,
            tuple(_node_columns("Person", "person_id")),
            ("person_id",),
            "Person",
            ("person", "自然人"),
        ),
        Table(
            "relations",
            False,
            (
                Column("src_type", Kind.TEXT, True),
                Column("src_id", _ID, True),
                Column("relation", Kind.TEXT, True),
                Column("dst_type", Kind.TEXT, True),
                Column("dst_id", _ID, True),
                *_columns(rel_type(PARTY_RELATIONS[0]).props),
            ),
            ("src_type", "src_id", "relation", "dst_type", "dst_id"),
            None,
            ("relation", "关系"),
        ),
        Table(
            "contracts",
            True,
            (
                *_node_columns("Contract", "contract_id", money=("amount", "unit_price", "estimate")),
                Column("supplier_id", _ID, True, refers_to="suppliers"),
                Column("department_id", _ID),
                Column("requester_id", _ID, refers_to="employees"),
                Column("tender_id", _ID),
            ),
            ("contract_id",),
            "Contract",
            ("contract", "合同"),
        ),
        Table(
            "approvals",
            True,
            (
                Column("contract_id", _ID, True, refers_to="contracts"),
                Column("approver_id", _ID, True, refers_to="employees"),
                *_columns(rel_type("APPROVED").props),
            ),
            ("contract_id", "step", "approver_id"),
            None,
            ("approval step", "审批步骤"),
        ),
        Table(
            "bids",
            False,
            (
                Column("tender_id", _ID, True),
                Column("supplier_id", _ID, True, refers_to="suppliers"),
                *_columns(rel_type("BID_ON").props, {"amount": "bid_amount"}, money=("amount",)),
            ),
            ("tender_id", "supplier_id"),
            None,
            ("bid", "投标"),
        ),
        Table(
            "payments",
            False,
            (
                *_required(
                    _node_columns("Payment", "payment_id", money=("amount",)),
                    "payee_account",
                ),
                Column("contract_id", _ID, refers_to="contracts"),
            ),
            ("payment_id",),
            "Payment",
            ("payment", "付款"),
        ),
    )
}


def table_spec(name: str) -> Table:
    """The contract of table ``name`` (a file stem such as ``contracts``)."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a data-contract table; known: {', '.join(TABLES)}") from None
