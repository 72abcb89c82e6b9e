"""Labelled bid-rigging markets as data-contract tables, with their ground truth kept apart.

Two public sources of tenders with known cartels are read here (neither ships with
Sunlight; point ``data_dir`` at a folder that holds them):

* ``garcia-collusion/DB_Collusion_<Market>_processed.csv`` — six markets of
  García Rodríguez et al. (2022): Brazil, Italy, Japan, the USA (Ohio school
  milk), Switzerland Ticino and Switzerland GR/See-Gaster; one row per bid.
* ``ohio-school-milk/ohio_milk_data.csv`` (+ ``DISTRICT.PRN``) — the same Ohio
  bids with firm names and the buying school district (Porter & Zona 1999).

Each market becomes the tables of the data contract — ``suppliers``, ``bids``,
``contracts`` (one per winning bid, where the source dates it), ``departments``
as contract ``department_id`` (Ohio: the school district) and empty ``employees``
and ``approvals`` — plus the labels, which never enter the tables: detectors stay
unsupervised and cannot see them.

Mapping choices
---------------
* ``tender_id`` = ``<market>-<Tender>``; ``supplier_id`` = ``<market>-<Competitors>``
  (Ohio: the firm name). Ids are unique across markets, so markets may share a store.
* The Swiss files have no bidder ids. Each bid gets its own anonymous supplier
  ``<market>-T<tender>-B<k>``; the bid screens work on them, co-bidding does not.
* A supplier that bid twice in one tender (5 rows in Japan) keeps its lowest bid.
* Contracts: one per winning bid, ``amount`` = the winning bid, ``signed_date`` =
  the source's date (unix seconds; Ohio and the USA: 1 September of the school
  year). Italy and GR/See-Gaster have no calendar dates (none, resp. an anonymised
  day index), so they get no contracts: their tenders have bids only.
* ``estimate`` = the source's pre-tender estimate (Brazil, Italy, Japan; Italy has no
  contracts to carry it).
* ``category`` = the market's trade (GR/See-Gaster: its ``Contract_type``).
* Amounts stay in the market's currency (BRL, EUR, JPY, USD per half-pint, CHF);
  ``currency`` is in the market's policy.

Labels
------
* ``tender_labels`` — ``Collusive_competitor`` (the authors' thresholded label,
  constant within a tender): 1 for a collusive tender. Ohio: 1 when a cartel dairy
  bid in the tender, which is exactly García's thresholded label of the ``usa`` file.
* ``firm_labels`` — 1 for a supplier with any bid labelled collusive in
  ``Collusive_competitor_original`` (Ohio: ``is_cartel_firm``); ``None`` where the
  source has no bidder ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "GARCIA_MARKETS",
    "OHIO",
    "CartelDataMissing",
    "CartelMarket",
    "garcia_folder",
    "load_cartel_markets",
    "load_garcia_market",
    "load_ohio_market",
    "market_graph_data",
]


class CartelDataMissing(FileNotFoundError):
    """A labelled source file is not where it should be."""


@dataclass(frozen=True)
class _GarciaSpec:
    file: str
    title: str
    currency: str
    category: str
    date: str  # "unix", "year" or "none"
    has_firms: bool
    category_column: str | None = None


#: market key -> how its García file reads.
GARCIA_MARKETS: dict[str, _GarciaSpec] = {
    "brazil": _GarciaSpec(
        "DB_Collusion_Brazil_processed.csv",
        "Brazil (Petrobras, Lava Jato)",
        "BRL",
        "construction",
        "unix",
        True,
    ),
    "italy": _GarciaSpec(
        "DB_Collusion_Italy_processed.csv", "Italy (Turin road works)", "EUR", "road works", "none", True
    ),
    "japan": _GarciaSpec(
        "DB_Collusion_Japan_processed.csv",
        "Japan (Okinawa public works)",
        "JPY",
        "public works",
        "unix",
        True,
    ),
    "usa": _GarciaSpec(
        "DB_Collusion_America_processed.csv", "USA (Ohio school milk)", "USD", "school milk", "year", True
    ),
    "switzerland_ticino": _GarciaSpec(
        "DB_Collusion_Switzerland_Ticino_processed.csv",
        "Switzerland (Ticino road works)",
        "CHF",
        "road works",
        "unix",
        False,
    ),
    "switzerland_gr_see_gaster": _GarciaSpec(
        "DB_Collusion_Switzerland_GR_and_See-Gaster_processed.csv",
        "Switzerland (Graubünden and See-Gaster construction)",
        "CHF",
        "construction",
        "none",
        False,
        "Contract_type",
    ),
}
OHIO = "ohio_school_milk"
#: the pre-tender estimate of Brazil, Italy and Japan: the contracts' ``estimate``
_ESTIMATE = "Pre-Tender Estimate (PTE)"

_CONTRACT_COLUMNS = [
    "contract_id",
    "supplier_id",
    "amount",
    "signed_date",
    "department_id",
    "category",
    "estimate",
    "tender_id",
]
_EMPTY = {
    "employees": ["employee_id", "name", "department_id", "department_name"],
    "approvals": ["contract_id", "step", "approver_id", "decision", "approved_at"],
}


@dataclass
class CartelMarket:
    """One labelled market: data-contract tables and, kept apart, the ground truth."""

    key: str
    title: str
    currency: str
    tables: dict[str, pd.DataFrame]
    tender_labels: pd.Series  # tender_id -> 0/1
    firm_labels: pd.Series | None  # supplier_id -> 0/1; None without bidder ids
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def policy(self) -> dict[str, Any]:
        return {"currency": self.currency}

    @property
    def has_firm_ids(self) -> bool:
        return self.firm_labels is not None


def garcia_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "garcia-collusion"


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise CartelDataMissing(f"labelled market file not found: {path}")
    return pd.read_csv(path)


def _dates(values: pd.Series, kind: str) -> pd.Series:
    """ISO dates from the source's date column; implausible values (before 1970-01-02) are missing."""
    if kind == "year":
        years = pd.to_numeric(values, errors="coerce")
        years = years.where(years >= 100, years + 1900)
        return years.map(lambda y: None if pd.isna(y) else f"{int(y):04d}-09-01")
    if kind == "unix":
        seconds = pd.to_numeric(values, errors="coerce")
        seconds = seconds.where(seconds > 86_400)
        stamps = pd.to_datetime(seconds, unit="s", errors="coerce")
        # the Brazil file dates 16 rows before 2000 and one at the NaT sentinel: treat as unknown
        stamps = stamps.where(stamps.dt.year >= 1995)
        return stamps.dt.strftime("%Y-%m-%d").astype(object).where(stamps.notna(), None)
    return pd.Series(None, index=values.index, dtype=object)


def _winner_flags(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").fillna(0).astype(int) == 1


def _contracts(
    bids: pd.DataFrame,
    dates: pd.Series,
    categories: pd.Series,
    departments: pd.Series,
    estimates: pd.Series | None = None,
) -> pd.DataFrame:
    """One contract per winning bid that has a date; a tender with several winners gets several.
    ``estimates`` (per bid row, the tender's pre-tender estimate) become the contracts' ``estimate``."""
    if estimates is None:
        estimates = pd.Series(float("nan"), index=bids.index)
    dates, categories, departments, estimates = (
        s.reindex(bids.index) for s in (dates, categories, departments, estimates)
    )
    won = bids[bids["is_winner"] & dates.notna()].copy()
    if won.empty:
        return pd.DataFrame(columns=_CONTRACT_COLUMNS)
    won["signed_date"] = dates[won.index]
    won["category"] = categories[won.index]
    won["department_id"] = departments[won.index]
    won["estimate"] = pd.to_numeric(estimates[won.index], errors="coerce")
    nth = won.groupby("tender_id").cumcount()
    several = won.groupby("tender_id")["tender_id"].transform("size") > 1
    won["contract_id"] = won["tender_id"].where(~several, won["tender_id"] + "-" + (nth + 1).astype(str))
    won["amount"] = won["bid_amount"]
    return won[_CONTRACT_COLUMNS].reset_index(drop=True)


def _bids_frame(
    tender_ids: pd.Series, supplier_ids: pd.Series, amounts: pd.Series, winners: pd.Series
) -> pd.DataFrame:
    bids = pd.DataFrame(
        {
            "tender_id": tender_ids.astype(str),
            "supplier_id": supplier_ids.astype(str),
            "bid_amount": pd.to_numeric(amounts, errors="coerce"),
            "is_winner": _winner_flags(winners),
        }
    )
    return bids


def _dedupe(bids: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One bid per (tender, supplier): the lowest, and a winning bid before a losing one."""
    ordered = bids.sort_values(
        ["tender_id", "supplier_id", "is_winner", "bid_amount"], ascending=[True, True, False, True]
    )
    kept = ordered.drop_duplicates(["tender_id", "supplier_id"]).sort_index()
    return kept, len(bids) - len(kept)


def _tables(suppliers: pd.DataFrame, bids: pd.DataFrame, contracts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    tables = {name: pd.DataFrame(columns=cols) for name, cols in _EMPTY.items()}
    tables["suppliers"] = suppliers.reset_index(drop=True)
    tables["bids"] = bids.reset_index(drop=True)
    tables["contracts"] = contracts
    return tables


def load_garcia_market(data_dir: Path, key: str) -> CartelMarket:
    """One market of the García Rodríguez et al. (2022) benchmark, from ``data_dir/garcia-collusion``."""
    spec = GARCIA_MARKETS[key]
    path = garcia_folder(data_dir) / spec.file
    raw = _read(path)
    tender_ids = key + "-" + raw["Tender"].astype(str)
    if spec.has_firms:
        supplier_ids = key + "-" + raw["Competitors"].astype(str)
    else:
        bid_no = raw.groupby("Tender").cumcount() + 1
        supplier_ids = tender_ids.str.replace(f"{key}-", f"{key}-T", n=1) + "-B" + bid_no.astype(str)
    bids = _bids_frame(tender_ids, supplier_ids, raw["Bid_value"], raw["Winner"])
    bids, dropped = _dedupe(bids)
    notes = [f"{dropped} repeated (tender, bidder) rows: the lowest bid kept"] if dropped else []

    if spec.has_firms and "Name competitors" in raw.columns:
        names = raw["Name competitors"].astype(str)
    elif spec.has_firms:
        names = "Bidder " + raw["Competitors"].astype(str)
    else:
        names = pd.Series("匿名投标人 anonymous bidder", index=raw.index)
    suppliers = (
        pd.DataFrame({"supplier_id": supplier_ids.astype(str), "name": names})
        .loc[bids.index]
        .drop_duplicates("supplier_id")
    )
    if spec.category_column:
        categories = spec.category + " type " + raw[spec.category_column].astype("Int64").astype(str)
    else:
        categories = pd.Series(spec.category, index=raw.index)
    dates = (
        _dates(raw["Date"], spec.date)
        if "Date" in raw.columns and spec.date != "none"
        else _dates(raw["Tender"], "none")
    )
    departments = pd.Series(None, index=raw.index, dtype=object)
    estimates = raw[_ESTIMATE] if _ESTIMATE in raw.columns else None
    contracts = _contracts(bids, dates, categories, departments, estimates)
    if contracts.empty:
        notes.append("no calendar dates in the source: tenders have bids only, no contracts")

    label = pd.to_numeric(raw["Collusive_competitor"], errors="coerce").fillna(0).astype(int)
    tender_labels = label.groupby(tender_ids).max().rename("collusive")
    firm_labels = None
    if spec.has_firms:
        original = pd.to_numeric(raw["Collusive_competitor_original"], errors="coerce").fillna(0).astype(int)
        firm_labels = original.groupby(supplier_ids).max().rename("cartel_firm")
    return CartelMarket(
        key=key,
        title=spec.title,
        currency=spec.currency,
        tables=_tables(suppliers, bids, contracts),
        tender_labels=tender_labels,
        firm_labels=firm_labels,
        source=str(path),
        notes=notes,
    )


def _districts(path: Path) -> pd.Series:
    """School-district names by their 6-digit code, from the fixed-width DISTRICT.PRN."""
    if not path.exists():
        return pd.Series(dtype=object)
    table = pd.read_fwf(path, header=None, dtype=str)
    codes = table[2].str.strip().str.zfill(6)
    names = table[1].str.strip() + " (" + table[0].str.strip() + ")"
    return pd.Series(names.to_numpy(), index=codes.to_numpy()).groupby(level=0).first()


def load_ohio_market(data_dir: Path) -> CartelMarket:
    """The Ohio school-milk auctions with firm names and buying districts (Porter & Zona 1999)."""
    folder = Path(data_dir) / "ohio-school-milk"
    path = folder / "ohio_milk_data.csv"
    raw = _read(path)
    contract = raw["contract_id"].astype(str)
    district = contract.str.split("_").str[1].str.zfill(6)
    tender_ids = "ohio-" + contract
    firms = raw["firm"].astype(str).str.strip()
    bids = _bids_frame(tender_ids, firms, raw["bid"], raw["winning_bid"])
    bids, dropped = _dedupe(bids)
    notes = [f"{dropped} repeated (tender, bidder) rows: the lowest bid kept"] if dropped else []
    suppliers = pd.DataFrame({"supplier_id": firms, "name": firms}).drop_duplicates("supplier_id")
    district_names = _districts(folder / "DISTRICT.PRN")
    departments = "district-" + district
    dates = _dates(raw["year"], "year")
    categories = pd.Series("school milk", index=raw.index)
    contracts = _contracts(bids, dates, categories, departments)
    tender_labels = (
        pd.to_numeric(raw["is_cartel_firm"], errors="coerce")
        .fillna(0)
        .astype(int)
        .groupby(tender_ids)
        .max()
        .rename("cartel_bid_in_tender")
    )
    firm_labels = (
        pd.to_numeric(raw["is_cartel_firm"], errors="coerce").fillna(0).astype(int).groupby(firms).max()
    ).rename("cartel_firm")
    tables = _tables(suppliers, bids, contracts)
    tables["departments"] = pd.DataFrame(
        {
            "department_id": "district-" + pd.Series(sorted(set(district))),
            "name": [district_names.get(d, f"district {d}") for d in sorted(set(district))],
        }
    )
    notes.append(
        "tender label = a cartel dairy bid in the tender (equal to García's thresholded 'usa' label)"
    )
    return CartelMarket(
        key=OHIO,
        title="Ohio school milk, named firms and districts",
        currency="USD",
        tables=tables,
        tender_labels=tender_labels,
        firm_labels=firm_labels,
        source=str(path),
        notes=notes,
    )


def _present(data_dir: Path, key: str) -> bool:
    if key == OHIO:
        return (Path(data_dir) / "ohio-school-milk" / "ohio_milk_data.csv").exists()
    return (garcia_folder(data_dir) / GARCIA_MARKETS[key].file).exists()


def load_cartel_markets(data_dir: Path, markets: list[str] | None = None) -> list[CartelMarket]:
    """The labelled markets under ``data_dir``: ``markets`` (each must be there), else every one found.

    García's six come first, then Ohio. Raises :class:`CartelDataMissing` when a
    requested market's file is missing or, without ``markets``, when none is found.
    """
    known = [*GARCIA_MARKETS, OHIO]
    unknown = [m for m in markets or [] if m not in known]
    if unknown:
        raise KeyError(f"unknown labelled market {', '.join(unknown)}; known: {', '.join(known)}")
    wanted = markets or [key for key in known if _present(data_dir, key)]
    if not wanted:
        raise CartelDataMissing(
            f"no labelled market under {data_dir} (expected garcia-collusion/ or ohio-school-milk/)"
        )
    return [
        load_ohio_market(data_dir) if key == OHIO else load_garcia_market(data_dir, key) for key in wanted
    ]


def market_graph_data(market: CartelMarket) -> Any:
    """The market's tables through the data-contract loader: validated ``GraphData``.

    The departments of Ohio travel as contract ``department_id``; a department's
    name is not part of the contract tables and is left out.
    """
    from loaders import load_tables

    tables = {name: frame for name, frame in market.tables.items() if name != "departments"}
    return load_tables(tables, origin=f"{market.key} ({market.source})", policy=market.policy).data
