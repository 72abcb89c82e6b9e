"""Load Open Contracting Data Standard (OCDS) JSON as data-contract tables.

:func:`ocds_to_tables` reads a file or folder of OCDS (release packages, record
packages, releases, records, compiled releases, JSON Lines) with
:mod:`loaders.ocds_read`, one compiled release per contracting process, and maps
it onto the tables of the data contract (``DATA_CONTRACT.md``); :func:`load_ocds`
hands those tables to :func:`loaders.load_tables`, which validates them and
builds the graph. docs/ocds.md has the mapping table; the choices in short:

* **Buyer → department.** Sunlight models one organisation with departments; OCDS
  names a buyer organisation and, sometimes, a separate procuring entity. The
  department is the procuring entity *within* its buyer: id ``"<buyer> / <entity>"``
  when the two differ, else the buyer (or whichever one is given).
* **Organisations are keyed by their registered identifier** so that a supplier
  met in many processes is one node: ``"<scheme>-<id>"`` (the org-id form, as most
  OCDS 1.1 party ids already are), else ``"<ocid prefix>/<id>"`` for an identifier
  without a scheme, else ``"<ocid prefix>/party/<party id>"``, else
  ``"<ocid prefix>/name/<name>"``.
* **One process is one tender** (``tender_id`` = ocid); lots are folded into it.
* **Contract rows** come from OCDS contracts that name an award of their process
  (or the only award, when ``awardID`` is absent), else from the award itself.
  A row has one supplier: a contract or award with several suppliers becomes one
  row per supplier with the amount split equally (OCDS does not say who gets what).
* **Bids** come from the bids extension (``bids.details``) when present, and every
  other tenderer (``tender.tenderers``, parties with role ``tenderer``) becomes a
  bid row without an amount, so partial data still loads. Several bids of one
  tenderer in one process (lots) are one row with the amounts summed.
* **Currency.** Every contract row carries ``currency``. Amounts in another currency
  are converted when a rate is configured (the original kept in
  ``original_amount`` / ``original_currency``), and kept unconverted otherwise, with
  the report saying how many are excluded from money-based checks.
* **Skipped** (and counted, per publisher): cancelled tenders, cancelled or
  unsuccessful awards, pending awards without a contract, cancelled contracts,
  amendments (``extendsContractID``),
  contracts or awards without a supplier, an amount or any date, invited or
  withdrawn bids.
* OCDS has no approvals and no staff: ``employees`` and ``approvals`` are empty.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from loaders.identifiers import is_valid_credit_code
from loaders.ocds_read import OCDS_SUFFIXES, OcdsReadError, Process, ocid_prefix, read_processes
from loaders.ocds_report import OcdsReport, PublisherReport, markdown_tables

if TYPE_CHECKING:
    from loaders import LoadResult

__all__ = [
    "CONTRACT_TABLE_COLUMNS",
    "OcdsReadError",
    "OcdsSettings",
    "OcdsSettingsError",
    "OcdsTables",
    "is_ocds_source",
    "load_ocds",
    "ocds_settings",
    "ocds_to_tables",
    "publisher_tables",
]

#: The data contract's columns of each table this loader writes (DATA_CONTRACT.md).
CONTRACT_TABLE_COLUMNS: dict[str, list[str]] = {
    "employees": [
        "employee_id", "name", "department_id", "department_name", "position", "hire_date",
        "leave_date", "phone", "id_number", "bank_account", "address",
    ],
    "suppliers": [
        "supplier_id", "name", "credit_code", "legal_rep", "phone", "address", "bank_account",
        "registered_date", "registered_capital", "blacklisted",
    ],
    "contracts": [
        "contract_id", "supplier_id", "amount", "signed_date", "department_id", "requester_id",
        "category", "item", "quantity", "unit_price", "method", "tender_id",
    ],
    "approvals": ["contract_id", "step", "approver_id", "decision", "approved_at"],
    "bids": ["tender_id", "supplier_id", "bid_amount", "is_winner", "submitted_at"],
}  # fmt: skip

#: Extra columns kept on contract rows (they land in the node's ``extra``).
CONTRACT_EXTRA_COLUMNS = [
    "currency", "original_amount", "original_currency", "department_name", "ocid", "award_id",
    "ocds_contract_id", "joint_suppliers", "signed_date_from", "procurement_method",
    "procurement_method_details", "classification", "publisher",
]  # fmt: skip
#: Extra columns kept on supplier rows.
SUPPLIER_EXTRA_COLUMNS = [
    "email", "identifier_scheme", "identifier_id", "additional_identifiers", "country",
    "contact_name", "publisher",
]  # fmt: skip

#: OCDS procurementMethod -> the data contract's method.
METHODS = {"open": "open", "selective": "invited", "limited": "negotiation", "direct": "single_source"}
#: Award and contract statuses that mean "this did not happen".
_DEAD_AWARD = {"cancelled", "unsuccessful"}
_NOT_SUBMITTED_BID = {"invited", "withdrawn"}
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?)?")
_SETTING_KEYS = {"currency", "rates"}
#: Identifier values some publishers write for "no identifier"; they must not join parties.
_PLACEHOLDERS = {"null", "none", "n/a", "na", "-", "undefined"}


class OcdsSettingsError(ValueError):
    """The OCDS settings (currency, rates) are malformed; the message says which key."""


@dataclass(frozen=True)
class OcdsSettings:
    """How to treat money.

    ``currency`` is the dataset's main currency (ISO 4217); ``None`` takes the most
    frequent currency of the data. ``rates`` maps another currency to the number of
    main-currency units one unit of it is worth (``{"USD": 7.1}`` with ``CNY``).
    """

    currency: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)


def ocds_settings(mapping: str | Path | Mapping[str, Any] | OcdsSettings | None) -> OcdsSettings:
    """Settings from a YAML file, a mapping or nothing.

    The YAML (the ``--mapping`` file of ``sunlight load`` for OCDS) looks like::

        currency: CNY
        rates: {USD: 7.1, EUR: 7.8}

    >>> ocds_settings({"currency": "cny", "rates": {"usd": 7.1}})
    OcdsSettings(currency='CNY', rates={'USD': 7.1})
    """
    if mapping is None:
        return OcdsSettings()
    if isinstance(mapping, OcdsSettings):
        return mapping
    if isinstance(mapping, str | Path):
        try:
            loaded = yaml.safe_load(Path(mapping).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise OcdsSettingsError(f"{mapping}: cannot read the OCDS settings: {exc}") from exc
        where = str(mapping)
    else:
        loaded, where = mapping, "OCDS settings"
    if not isinstance(loaded, Mapping):
        raise OcdsSettingsError(f"{where}: expected keys currency and rates")
    unknown = sorted(set(loaded) - _SETTING_KEYS)
    if unknown:
        raise OcdsSettingsError(f"{where}: unknown keys {unknown} (known: currency, rates)")
    currency = loaded.get("currency")
    if currency is not None and (not isinstance(currency, str) or not currency.strip()):
        raise OcdsSettingsError(f"{where}: currency must be a currency code such as CNY")
    rates_in = loaded.get("rates") or {}
    if not isinstance(rates_in, Mapping):
        raise OcdsSettingsError(f"{where}: rates must map a currency code to a number")
    rates: dict[str, float] = {}
    for code, rate in rates_in.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
            raise OcdsSettingsError(f"{where}: rates.{code} must be a positive number, not {rate!r}")
        rates[str(code).strip().upper()] = float(rate)
    return OcdsSettings(currency.strip().upper() if currency else None, rates)


@dataclass
class OcdsTables:
    """Data-contract tables made from OCDS, and the account of what went into them."""

    tables: dict[str, pd.DataFrame]
    report: OcdsReport
    publisher_of: dict[str, str]  # ocid -> publisher, to trace any row back

    @property
    def currency(self) -> str | None:
        return self.report.currency


def is_ocds_source(path: str | Path) -> bool:
    """True for an OCDS file (``.json``, ``.jsonl``, ``.ndjson``) or a folder holding such
    files and no data-contract tables (``.csv``, ``.xlsx``, ``.parquet``, ``.pq``) at its top."""
    path = Path(path)
    if path.is_file():
        return path.name.lower().endswith(OCDS_SUFFIXES)
    if not path.is_dir():
        return False
    if any(p.suffix.lower() in {".csv", ".xlsx", ".parquet", ".pq"} for p in path.iterdir() if p.is_file()):
        return False
    return any(p.is_file() and p.name.lower().endswith(OCDS_SUFFIXES) for p in path.rglob("*"))


# ---- small readers of OCDS values --------------------------------------------------------
def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of an array; a lone object stands for a one-item array (some publishers
    write ``"suppliers": {...}``)."""
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _status(value: Any) -> str:
    return _text(value).lower()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _date(value: Any) -> str | None:
    """The calendar date as written (the publisher's local date): ``YYYY-MM-DD``."""
    match = _DATE.match(_text(value))
    return match.group(1) if match else None


def _timestamp(value: Any) -> str | None:
    """Local date and time as written, without the zone: ``YYYY-MM-DDTHH:MM:SS``."""
    match = _TIME.match(_text(value))
    if not match:
        return None
    day, hm, seconds = match.groups()
    return f"{day}T{hm or '00:00'}{seconds or ':00'}"


# ---- organisations ------------------------------------------------------------------------
@dataclass
class _Org:
    key: str
    name: str
    scheme: str = ""
    ident: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    country: str = ""
    contact_name: str = ""
    additional: str = ""


def _organisation(ref: dict[str, Any], parties: Mapping[str, dict[str, Any]], prefix: str) -> _Org | None:
    """The organisation a reference names: the party it points at, filled in from the
    reference itself (OCDS 1.0 references are whole organisations)."""
    party_id = _text(ref.get("id"))
    org = dict(ref)
    party = parties.get(party_id) if party_id else None
    if party:
        org.update({k: v for k, v in party.items() if v not in (None, "", [], {})})
    identifier = _obj(org.get("identifier"))
    scheme, ident = _text(identifier.get("scheme")), _text(identifier.get("id"))
    if ident.casefold() in _PLACEHOLDERS:
        ident = ""
    name = _text(org.get("name")) or _text(identifier.get("legalName"))
    if ident and scheme:
        key = ident if ident.startswith(f"{scheme}-") else f"{scheme}-{ident}"
    elif ident:
        key = f"{prefix}/{ident}"
    elif party_id:
        key = f"{prefix}/party/{party_id}"
    elif name:
        key = f"{prefix}/name/{' '.join(name.casefold().split())}"
    else:
        return None
    address = _obj(org.get("address"))
    street = _text(address.get("streetAddress"))
    # Without a street an address is a town or a country, which many suppliers share:
    # it would join unrelated parties at one Address pivot, so it is kept as country only.
    parts = [street, _text(address.get("locality")), _text(address.get("region")),
             _text(address.get("postalCode")), _text(address.get("countryName"))]  # fmt: skip
    contact = _obj(org.get("contactPoint"))
    extra_ids = [
        f"{_text(x.get('scheme'))}-{_text(x.get('id'))}".strip("-")
        for x in _objects(org.get("additionalIdentifiers"))
        if _text(x.get("id"))
    ]
    return _Org(
        key=key,
        name=name,
        scheme=scheme,
        ident=ident,
        phone=_text(contact.get("telephone")),
        email=_text(contact.get("email")),
        address=", ".join(p for p in parts if p) if street else "",
        country=_text(address.get("countryName")),
        contact_name=_text(contact.get("name")),
        additional="; ".join(extra_ids),
    )


def _parties_with_role(release: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [p for p in _objects(release.get("parties")) if role in (p.get("roles") or [])]


# ---- the mapping --------------------------------------------------------------------------
@dataclass
class _Money:
    amount: float | None
    currency: str


def _money(value: Any) -> _Money:
    value = _obj(value)
    return _Money(_number(value.get("amount")), _text(value.get("currency")).upper())


@dataclass
class _Context:
    """What every row of one process shares."""

    process: Process
    report: PublisherReport
    resolve: Callable[[dict[str, Any]], _Org | None]
    department_id: str
    department_name: str
    method: str
    method_raw: str
    method_details: str
    release_date: str | None


class _Mapper:
    def __init__(self, report: OcdsReport, settings: OcdsSettings, currency: str | None) -> None:
        self.report = report
        self.rates = dict(settings.rates)
        self.currency = currency
        self.contracts: list[dict[str, Any]] = []
        self.bids: list[dict[str, Any]] = []
        self.orgs: dict[str, _Org] = {}
        self.org_publisher: dict[str, str] = {}
        self.phones: dict[str, list[str]] = {}
        self.emails: dict[str, list[str]] = {}
        self.contract_ids: set[str] = set()
        self.departments: dict[str, set[str]] = {}
        self.suppliers_of: dict[str, set[str]] = {}

    # -- money ---------------------------------------------------------------------------
    def _in_main_currency(self, money: _Money, ctx: _Context, what: str) -> tuple[float | None, str, bool]:
        """(amount, currency, converted); an amount with no rate stays in its currency."""
        amount, currency = money.amount, money.currency
        if amount is None:
            return None, currency, False
        if not currency:
            ctx.report.note("currency_missing", self.currency or "")
            return amount, self.currency or "", False
        if self.currency is None or currency == self.currency:
            return amount, currency, False
        if currency in self.rates:
            ctx.report.note("converted", currency)
            return amount * self.rates[currency], self.currency, True
        ctx.report.note("bid_amount_dropped" if what == "bid" else "other_currency", currency)
        return (None if what == "bid" else amount), currency, False

    # -- one process ---------------------------------------------------------------------
    def process(self, process: Process) -> None:
        report = self.report.publisher(process.publisher)
        report.compiled_by[process.compiled_by] += 1
        report.see("processes")
        release = process.release
        tender = _obj(release.get("tender"))
        if _status(tender.get("status")) == "cancelled":
            report.skip("processes", "tender_cancelled")
            return
        report.load("processes")
        prefix = ocid_prefix(process.ocid)
        parties = {_text(p.get("id")): p for p in _objects(release.get("parties")) if _text(p.get("id"))}

        def resolve(ref: dict[str, Any]) -> _Org | None:
            return _organisation(ref, parties, prefix)

        department_id, department_name = self._department(release, tender, resolve)
        raw_method = _text(tender.get("procurementMethod"))
        method = METHODS.get(raw_method.lower(), "")
        if raw_method and not method:
            report.note("method_not_in_codelist", raw_method)
        ctx = _Context(
            process=process,
            report=report,
            resolve=resolve,
            department_id=department_id,
            department_name=department_name,
            method=method,
            method_raw=raw_method,
            method_details=_text(tender.get("procurementMethodDetails")),
            release_date=_date(release.get("date")),
        )
        rows_before, bids_before = len(self.contracts), len(self.bids)
        winners = self._awards(ctx, release, tender)
        self._bids(ctx, release, tender, winners)
        if len(self.contracts) == rows_before and len(self.bids) == bids_before:
            report.note("without_award_or_bid")

    def _department(
        self,
        release: dict[str, Any],
        tender: dict[str, Any],
        resolve: Callable[[dict[str, Any]], _Org | None],
    ) -> tuple[str, str]:
        buyer_ref = _obj(release.get("buyer")) or next(iter(_parties_with_role(release, "buyer")), {})
        entity_ref = _obj(tender.get("procuringEntity")) or next(
            iter(_parties_with_role(release, "procuringEntity")), {}
        )
        buyer = resolve(buyer_ref) if buyer_ref else None
        entity = resolve(entity_ref) if entity_ref else None
        if buyer and entity and buyer.key != entity.key:
            return f"{buyer.key} / {entity.key}", f"{buyer.name or buyer.key} / {entity.name or entity.key}"
        org = buyer or entity
        return (org.key, org.name or org.key) if org else ("", "")

    # -- awards and contracts ------------------------------------------------------------
    def _awards(self, ctx: _Context, release: dict[str, Any], tender: dict[str, Any]) -> set[str]:
        report = ctx.report
        raw_awards = release.get("awards")
        if raw_awards is not None and not isinstance(raw_awards, list):
            report.note("awards_not_a_list")
        awards = _objects(raw_awards) if isinstance(raw_awards, list) else []
        index_of = {_text(a.get("id")): i for i, a in enumerate(awards) if _text(a.get("id"))}
        contracts_of: dict[int, list[dict[str, Any]]] = {}
        for contract in _objects(release.get("contracts")):
            report.see("contracts")
            if _text(contract.get("extendsContractID")):
                # An amendment restates or changes another contract; as a row of its own it
                # would count that contract's money twice.
                report.skip("contracts", "contract_amendment")
                continue
            award_id = _text(contract.get("awardID"))
            if award_id in index_of:
                target = index_of[award_id]
            elif not award_id and len(awards) == 1:
                target = 0
            else:
                report.skip("contracts", "contract_without_award")
                continue
            contracts_of.setdefault(target, []).append(contract)

        winners: set[str] = set()
        for i, award in enumerate(awards):
            report.see("awards")
            status = _status(award.get("status"))
            mine = contracts_of.get(i, [])
            if status in _DEAD_AWARD:
                report.skip("awards", "award_not_active")
                report.skip("contracts", "award_skipped", len(mine))
                continue
            live = []
            for contract in mine:
                if _status(contract.get("status")) == "cancelled":
                    report.skip("contracts", "contract_cancelled")
                else:
                    live.append(contract)
            if not live and mine:
                report.skip("awards", "contracts_not_loaded")
                continue
            if status == "pending" and not live:
                report.skip("awards", "award_pending")
                continue
            if not live:
                reason = self._rows(
                    ctx,
                    base_id=f"{ctx.process.ocid}/award/{_text(award.get('id')) or i}",
                    supplier_refs=_objects(award.get("suppliers")),
                    money=_money(award.get("value")),
                    dates=[
                        ("award.date", award.get("date")),
                        (
                            "award.contractPeriod.startDate",
                            _obj(award.get("contractPeriod")).get("startDate"),
                        ),
                        ("release.date", ctx.release_date),
                    ],
                    award=award,
                    contract=None,
                    tender=tender,
                    winners=winners,
                )
                if reason:
                    report.skip("awards", reason)
                else:
                    report.load("awards")
                continue
            loaded_any = False
            for contract in live:
                own_money = _money(contract.get("value"))
                if own_money.amount is None and len(live) == 1:
                    own_money = _money(award.get("value"))
                reason = self._rows(
                    ctx,
                    base_id=f"{ctx.process.ocid}/contract/{_text(contract.get('id')) or i}",
                    supplier_refs=_objects(contract.get("suppliers")) or _objects(award.get("suppliers")),
                    money=own_money,
                    dates=[
                        ("contract.dateSigned", contract.get("dateSigned")),
                        ("award.date", award.get("date")),
                        ("contract.period.startDate", _obj(contract.get("period")).get("startDate")),
                        ("release.date", ctx.release_date),
                    ],
                    award=award,
                    contract=contract,
                    tender=tender,
                    winners=winners,
                )
                if reason:
                    report.skip("contracts", reason)
                else:
                    report.load("contracts")
                    loaded_any = True
            if loaded_any:
                report.load("awards")
            else:
                report.skip("awards", "contracts_not_loaded")
        return winners

    def _rows(
        self,
        ctx: _Context,
        *,
        base_id: str,
        supplier_refs: list[dict[str, Any]],
        money: _Money,
        dates: list[tuple[str, Any]],
        award: dict[str, Any],
        contract: dict[str, Any] | None,
        tender: dict[str, Any],
        winners: set[str],
    ) -> str | None:
        """Add the contract rows of one award or OCDS contract; the skip reason, or None."""
        suppliers: dict[str, _Org] = {}
        for ref in supplier_refs:
            org = ctx.resolve(ref)
            if org is not None:
                suppliers.setdefault(org.key, org)
        if not suppliers:
            return "no_supplier"
        if money.amount is None:
            return "amount_missing"
        signed, signed_from = None, ""
        for source, value in dates:
            signed = _date(value)
            if signed:
                signed_from = source
                break
        if not signed:
            return "date_missing"
        if signed_from != dates[0][0]:
            ctx.report.note("date_from", signed_from)
        if not ctx.department_id:
            ctx.report.note("no_buyer")
        amount, currency, converted = self._in_main_currency(money, ctx, "contract")
        assert amount is not None  # contract amounts are kept even without a rate
        share = len(suppliers)
        if share > 1:
            ctx.report.note("joint_award_split")
        items = (
            _objects((contract or {}).get("items"))
            or _objects(award.get("items"))
            or _objects(tender.get("items"))
        )
        classification = _obj(items[0].get("classification")) if items else {}
        quantity = unit_price = None
        if len(items) == 1 and share == 1:
            quantity = _number(items[0].get("quantity"))
            unit_money = _money(_obj(items[0].get("unit")).get("value"))
            if unit_money.amount is not None and unit_money.currency in ("", money.currency):
                unit_price = unit_money.amount * (self.rates[money.currency] if converted else 1.0)
        title = (
            _text((contract or {}).get("title"))
            or _text(award.get("title"))
            or _text(tender.get("title"))
            or (_text(items[0].get("description")) if items else "")
        )
        category = _text(classification.get("description")) or _text(tender.get("mainProcurementCategory"))
        for n, org in enumerate(suppliers.values(), start=1):
            row_id = base_id if share == 1 else f"{base_id}#{n}"
            while row_id in self.contract_ids:  # an id repeated inside a process
                row_id += "'"
            self.contract_ids.add(row_id)
            self._remember(org, ctx)
            winners.add(org.key)
            self.contracts.append(
                {
                    "contract_id": row_id,
                    "supplier_id": org.key,
                    "amount": amount / share,
                    "signed_date": signed,
                    "department_id": ctx.department_id,
                    "category": category,
                    "item": title,
                    "quantity": quantity,
                    "unit_price": unit_price,
                    "method": ctx.method,
                    "tender_id": ctx.process.ocid,
                    "currency": currency,
                    "original_amount": money.amount / share if converted else None,
                    "original_currency": money.currency if converted else "",
                    "department_name": ctx.department_name,
                    "ocid": ctx.process.ocid,
                    "award_id": _text(award.get("id")),
                    "ocds_contract_id": _text((contract or {}).get("id")),
                    "joint_suppliers": share if share > 1 else None,
                    "signed_date_from": signed_from,
                    "procurement_method": ctx.method_raw,
                    "procurement_method_details": ctx.method_details,
                    "classification": "-".join(
                        p for p in (_text(classification.get("scheme")), _text(classification.get("id"))) if p
                    ),
                    "publisher": ctx.process.publisher,
                }
            )
        if ctx.department_id:
            self.departments.setdefault(ctx.process.publisher, set()).add(ctx.department_id)
        return None

    # -- bids ----------------------------------------------------------------------------
    def _bids(
        self, ctx: _Context, release: dict[str, Any], tender: dict[str, Any], winners: set[str]
    ) -> None:
        report = ctx.report
        amounts: dict[str, list[float]] = {}
        times: dict[str, list[str]] = {}
        orgs: dict[str, _Org] = {}
        bids = release.get("bids")
        details = _objects(_obj(bids).get("details")) if isinstance(bids, dict) else _objects(bids)
        for bid in details:
            report.see("bids")
            if _status(bid.get("status")) in _NOT_SUBMITTED_BID:
                report.skip("bids", "bid_not_submitted")
                continue
            bidders = [org for org in map(ctx.resolve, _objects(bid.get("tenderers"))) if org is not None]
            if not bidders:
                report.skip("bids", "bid_without_tenderer")
                continue
            report.load("bids")
            if len(bidders) > 1:
                report.note("joint_bid")
            amount, _, _ = self._in_main_currency(_money(bid.get("value")), ctx, "bid")
            when = _timestamp(bid.get("date"))
            for org in bidders:
                orgs.setdefault(org.key, org)
                amounts.setdefault(org.key, [])
                times.setdefault(org.key, [])
                if amount is not None:
                    amounts[org.key].append(amount)
                if when:
                    times[org.key].append(when)

        unidentified = 0
        listed: dict[str, _Org] = {}
        for ref in _objects(tender.get("tenderers")) + _parties_with_role(release, "tenderer"):
            tenderer = ctx.resolve(ref)
            if tenderer is None:
                unidentified += 1
            else:
                listed.setdefault(tenderer.key, tenderer)
        report.see("tenderers", len(listed) + unidentified)
        report.load("tenderers", len(listed))
        if unidentified:
            report.skip("tenderers", "tenderer_unidentified", unidentified)
        for key, org in listed.items():
            orgs.setdefault(key, org)
            amounts.setdefault(key, [])
            times.setdefault(key, [])

        for key, org in orgs.items():
            own = amounts[key]
            if len(own) > 1:
                report.note("bids_folded")
            if not own:
                report.note("tenderer_without_amount")
            self._remember(org, ctx)
            self.bids.append(
                {
                    "tender_id": ctx.process.ocid,
                    "supplier_id": key,
                    "bid_amount": sum(own) if own else None,
                    "is_winner": "true" if key in winners else "false",
                    "submitted_at": min(times[key]) if times[key] else None,
                }
            )
            report.load("bid_rows")

    # -- suppliers -----------------------------------------------------------------------
    def _remember(self, org: _Org, ctx: _Context) -> None:
        """Keep what is known of a supplier: first non-empty value per field wins; phones and
        emails from every appearance are kept, so each becomes a pivot."""
        self.suppliers_of.setdefault(ctx.process.publisher, set()).add(org.key)
        known = self.orgs.get(org.key)
        if known is None:
            self.orgs[org.key] = known = _Org(org.key, org.name)
            self.org_publisher[org.key] = ctx.process.publisher
        for name in ("name", "scheme", "ident", "address", "country", "contact_name", "additional"):
            if not getattr(known, name) and getattr(org, name):
                setattr(known, name, getattr(org, name))
        for store, value in ((self.phones, org.phone), (self.emails, org.email)):
            values = store.setdefault(org.key, [])
            if value and value not in values:
                values.append(value)

    # -- output --------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        supplier_rows = []
        for key, org in self.orgs.items():
            if not org.name:
                self.report.publisher(self.org_publisher[key]).note("supplier_unnamed")
            credit_code = (
                org.ident if org.scheme.upper().startswith("CN") and is_valid_credit_code(org.ident) else ""
            )
            supplier_rows.append(
                {
                    "supplier_id": key,
                    "name": org.name or key,
                    "credit_code": credit_code,
                    "phone": "; ".join(self.phones.get(key, [])),
                    "address": org.address,
                    "email": "; ".join(self.emails.get(key, [])),
                    "identifier_scheme": org.scheme,
                    "identifier_id": org.ident,
                    "additional_identifiers": org.additional,
                    "country": org.country,
                    "contact_name": org.contact_name,
                    "publisher": self.org_publisher[key],
                }
            )
        for publisher, keys in self.suppliers_of.items():
            self.report.publisher(publisher).load("suppliers", len(keys))
        for publisher, keys in self.departments.items():
            self.report.publisher(publisher).load("departments", len(keys))
        self.report.suppliers = len(self.orgs)
        self.report.departments = len({d for keys in self.departments.values() for d in keys})
        rows_per_publisher = Counter(r["publisher"] for r in self.contracts)
        for pub in self.report.publishers.values():
            pub.load("contract_rows", rows_per_publisher[pub.publisher])
        return {
            "employees": _frame([], CONTRACT_TABLE_COLUMNS["employees"]),
            "approvals": _frame([], CONTRACT_TABLE_COLUMNS["approvals"]),
            "suppliers": _frame(supplier_rows, CONTRACT_TABLE_COLUMNS["suppliers"] + SUPPLIER_EXTRA_COLUMNS),
            "contracts": _frame(self.contracts, CONTRACT_TABLE_COLUMNS["contracts"] + CONTRACT_EXTRA_COLUMNS),
            "bids": _frame(self.bids, CONTRACT_TABLE_COLUMNS["bids"]),
        }


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Rows as text columns (as a CSV of the data contract would be read), empty for missing."""
    return pd.DataFrame(
        {col: pd.array([_cell(row.get(col)) for row in rows], dtype="string") for col in columns},
        columns=columns,
    )


def _cell(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def _main_currency(processes: list[Process]) -> str | None:
    """The most frequent currency of award, contract and bid values (ties: alphabetical)."""
    counts: dict[str, int] = {}
    for process in processes:
        release = process.release
        values = (
            [a.get("value") for a in _objects(release.get("awards"))]
            if isinstance(release.get("awards"), list)
            else []
        )
        values += [c.get("value") for c in _objects(release.get("contracts"))]
        bids = release.get("bids")
        values += [
            b.get("value") for b in _objects(_obj(bids).get("details") if isinstance(bids, dict) else bids)
        ]
        for value in values:
            money = _money(value)
            if money.amount is not None and money.currency:
                counts[money.currency] = counts.get(money.currency, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda cur: (-counts[cur], cur))


def ocds_to_tables(
    path: str | Path, settings: str | Path | Mapping[str, Any] | OcdsSettings | None = None
) -> OcdsTables:
    """Read OCDS at ``path`` (file or folder) and map it onto data-contract tables.

    Raises :class:`OcdsReadError` for a file that is not JSON (naming file and line)
    and :class:`OcdsSettingsError` for bad settings; skips nothing without counting it
    in the returned report.
    """
    path = Path(path)
    options = ocds_settings(settings)
    reading = read_processes(path)
    report = OcdsReport(str(path))
    currency = options.currency or _main_currency(reading.processes)
    report.currency = currency
    report.rates = {cur: rate for cur, rate in options.rates.items() if cur != currency}
    for publisher, tally in reading.tallies.items():
        report.publisher(publisher).read.update(tally.counts)
    for (publisher, reason), n in reading.skipped.items():
        pub = report.publisher(publisher)
        # Read-level skips are processes that never came to exist: count them as seen.
        pub.see("processes", n)
        pub.skip("processes", reason, n)
    mapper = _Mapper(report, options, currency)
    for process in reading.processes:
        mapper.process(process)
    tables = mapper.tables()
    report.check()
    return OcdsTables(tables, report, {p.ocid: p.publisher for p in reading.processes})


def _amount_required_for_bids() -> bool:
    from loaders.contract import TABLES

    return TABLES["bids"].column("bid_amount").required


def load_ocds(
    path: str | Path,
    mapping: str | Path | Mapping[str, Any] | OcdsSettings | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    existing: Callable[[str], set[str]] | None = None,
) -> LoadResult:
    """Load OCDS at ``path`` through :func:`loaders.load_tables`.

    ``mapping`` holds the money settings (a YAML file or mapping, see
    :func:`ocds_settings`); ``existing`` makes the load incremental as for any source.
    Returns the ``LoadResult`` of ``load_tables``; the :class:`OcdsReport` rides on
    its report as ``result.report.source_report`` (``.render(lang)`` for the text).

    While the data contract requires ``bid_amount``, bid rows without an amount (a
    list of tenderers only) are left out here and counted in the report; they load
    as they are once the contract makes the column optional.

    Raises :class:`loaders.LoadError` for a file that is not JSON or bad settings,
    as for any source: the report names the file (and line) and nothing is loaded.
    """
    result, report = _load(Path(path), mapping, progress, existing)
    result.report.source_report = report
    return result


def _load(
    path: Path,
    mapping: str | Path | Mapping[str, Any] | OcdsSettings | None,
    progress: Callable[[str, int, int], None] | None,
    existing: Callable[[str], set[str]] | None,
) -> tuple[LoadResult, OcdsReport]:
    from loaders import LoadError, LoadReport, load_tables

    try:
        made = ocds_to_tables(path, mapping)
    except OcdsReadError as exc:
        refused = LoadReport(str(path))
        where = f"line {exc.line}, column {exc.column}: " if exc.line else ""
        refused.add("unreadable", str(exc.file), detail=where + exc.reason)
        raise LoadError(refused) from exc
    except OcdsSettingsError as exc:
        refused = LoadReport(str(path))
        refused.add("bad_mapping", str(mapping), detail=str(exc), detail_zh=f"OCDS 设置有误：{exc}")
        raise LoadError(refused) from exc
    if progress:
        progress("OCDS", 1, 1)
    tables = dict(made.tables)
    if _amount_required_for_bids():
        bids = tables["bids"]
        without = bids["bid_amount"].isna()
        for ocid in bids.loc[without, "tender_id"]:
            publisher = made.report.publisher(made.publisher_of[ocid])
            publisher.note("bid_rows_left_out")
            publisher.loaded["bid_rows"] -= 1
        tables["bids"] = bids[~without].reset_index(drop=True)
    # The dataset's currency goes into the store's policy, unless the store already has
    # a policy (an organisation's policy.yaml): that one is kept whole, not overwritten.
    policy = {"currency": made.currency} if made.currency else None
    if policy and existing is not None and existing("Policy"):
        policy = None
        made.report.policy_kept = True
    return load_tables(tables, origin=str(path), policy=policy, existing=existing), made.report


def publisher_tables(paths: list[Path], root: Path | None = None) -> str:
    """Load each of ``paths`` on its own (as ``sunlight load`` would) and tabulate the
    reports in Markdown, one row per publisher; sources are named relative to ``root``."""
    reports = []
    for path in paths:
        label = str(path.relative_to(root)) if root else str(path)
        reports.append((label, _load(path, None, None, None)[1]))
    return markdown_tables(reports)


if __name__ == "__main__":
    import sys

    # python -m loaders.ocds ROOT FOLDER [FOLDER ...]: the per-publisher tables of docs/ocds.md
    base, *folders = (Path(arg) for arg in sys.argv[1:])
    sys.stdout.write(publisher_tables([base / f for f in folders], base))
