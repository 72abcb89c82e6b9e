"""Writing a generated world as a data-contract folder, with a little realistic noise
(blank optional fields, a few wrong check characters) on records no scheme uses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import yaml

from loaders.identifiers import CREDIT_CODE_ALPHABET

from .catalog import METHODS
from .process import Process
from .profiles import IdFormat
from .world import END_DAY, NO_LEAVE, START, World

__all__ = ["FILES", "write_dataset"]

#: Data-contract files in the order they are written, with their columns.
FILES: dict[str, tuple[str, ...]] = {
    "employees": (
        "employee_id",
        "name",
        "department_id",
        "department_name",
        "position",
        "hire_date",
        "leave_date",
        "phone",
        "id_number",
        "bank_account",
        "address",
    ),
    "suppliers": (
        "supplier_id",
        "name",
        "credit_code",
        "legal_rep",
        "phone",
        "address",
        "bank_account",
        "registered_date",
        "registered_capital",
        "blacklisted",
    ),
    "persons": ("person_id", "name", "phone", "id_number", "bank_account", "address"),
    "relations": ("src_type", "src_id", "relation", "dst_type", "dst_id", "share", "since"),
    "contracts": (
        "contract_id",
        "supplier_id",
        "amount",
        "signed_date",
        "department_id",
        "requester_id",
        "category",
        "item",
        "quantity",
        "unit_price",
        "method",
        "tender_id",
    ),
    "approvals": ("contract_id", "step", "approver_id", "decision", "approved_at"),
    "bids": ("tender_id", "supplier_id", "bid_amount", "is_winner", "submitted_at"),
    "payments": ("payment_id", "contract_id", "payee_account", "payee_name", "amount", "paid_at"),
    "labels": ("scheme", "instance_id", "entity_type", "entity_id"),
}
_ID_CHECK_CHARS = "0123456789X"
_START_SECOND = START.astype("datetime64[s]")
#: characters that would need quoting in a CSV field
_NEEDS_QUOTES = r'[,"\r\n]'
#: columns that hold names and free text; identifiers, numbers and dates never need quotes
_FREE_TEXT = frozenset({"name", "department_name", "position", "legal_rep", "address", "item", "payee_name"})


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _numbered(form: IdFormat, count: int) -> pa.Array:
    """Ids for records 0 .. count-1 in the profile's format (records without a year)."""
    return _ids(form.prefix, np.arange(form.start, form.start + count), form.width)


def _numbered_by_year(form: IdFormat, days: np.ndarray) -> pa.Array:
    """Ids for records in the order given, dated ``days``: running numbers, restarting every
    year and carrying it when the format is yearly."""
    days = np.asarray(days, dtype=np.int64)
    if not form.yearly:
        return _numbered(form, len(days))
    years = (START + days.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64) + 1970
    order = np.argsort(years, kind="stable")
    running = np.empty(len(days), dtype=np.int64)
    sorted_years = years[order]
    first = np.searchsorted(sorted_years, sorted_years, side="left")
    running[order] = np.arange(len(days)) - first + form.start
    digits = pc.utf8_lpad(pa.array(running).cast(pa.string()), form.width, "0")
    prefix = pc.binary_join_element_wise(form.prefix, pa.array(years).cast(pa.string()), "")
    return pc.binary_join_element_wise(prefix, digits, form.separator)


def _money(fen: np.ndarray) -> pa.Array:
    """Fen as yuan with two decimals: 12345 -> ``123.45``."""
    fen = np.asarray(fen, dtype=np.int64)
    whole = pa.array(fen // 100).cast(pa.string())
    cents = pc.utf8_lpad(pa.array(fen % 100).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, cents, ".")


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(START + np.asarray(days).astype("timedelta64[D]")).cast(pa.string())


def _timestamps(seconds: np.ndarray) -> pa.Array:
    """ISO 8601 local times, ``YYYY-MM-DDTHH:MM:SS``."""
    stamps = pa.array(_START_SECOND + np.asarray(seconds).astype("timedelta64[s]"))
    return pc.replace_substring(stamps.cast(pa.string()), " ", "T")


def _text(values: object) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(pa.string())
    return pa.array(np.asarray(values, dtype=object), pa.string())


def _blank(rng: np.random.Generator, values: object, share: float, protected: np.ndarray) -> pa.Array:
    """Blank a share of the values (at least one), never the protected ones."""
    text = _text(values)
    eligible = ~np.asarray(protected, dtype=bool)
    hit = (rng.random(len(text)) < share) & eligible
    if not hit.any() and eligible.any():
        hit[rng.choice(np.flatnonzero(eligible))] = True
    return pc.if_else(pa.array(hit), "", text)


def _wrong_check_char(
    rng: np.random.Generator, values: np.ndarray, share: float, protected: np.ndarray, alphabet: str
) -> tuple[np.ndarray, np.ndarray]:
    """Replace the check character of a few values (at least one) by a wrong one; returns the
    values and which were changed (so later noise leaves them visible)."""
    out = np.asarray(values, dtype=object).copy()
    changed = np.zeros(len(out), dtype=bool)
    eligible = np.flatnonzero(~protected & np.array([len(v) == 18 for v in out], dtype=bool))
    if not len(eligible):
        return out, changed
    chosen = rng.choice(eligible, min(len(eligible), max(1, round(share * len(out)))), replace=False)
    for i in chosen:
        wrong = [ch for ch in alphabet if ch != out[i][17]]
        out[i] = out[i][:17] + wrong[rng.integers(len(wrong))]
    changed[chosen] = True
    return out, changed


def _mask(n: int, members: set[int]) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[list(members)] = True
    return mask


def _write(out_dir: Path, name: str, columns: dict[str, object]) -> int:
    """Write one CSV: a header, then the rows; fields are quoted only if they must be."""
    table = pa.table({col: columns[col] for col in FILES[name]})
    must_quote = any(
        pc.any(pc.match_substring_regex(table[col], _NEEDS_QUOTES)).as_py()
        for col in table.column_names
        if col in _FREE_TEXT
    )
    path = out_dir / f"{name}.csv"
    with path.open("wb") as sink:
        sink.write((",".join(FILES[name]) + "\n").encode("utf-8"))
        options = pcsv.WriteOptions(include_header=False, quoting_style="needed" if must_quote else "none")
        pcsv.write_csv(table, sink, options)
    return table.num_rows


def _take(values: pa.Array, indices: np.ndarray) -> pa.Array:
    return values.take(pa.array(np.asarray(indices, dtype=np.int64)))


def write_dataset(w: World, p: Process, out_dir: Path) -> dict[str, int]:
    """Write every file; returns the data rows per file (by name without ``.csv``)."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    emp, sup, per = w.employees, w.suppliers, w.persons
    formats = w.profile.formats
    noise = w.profile.noise
    dept_ids = _numbered(formats.department_id, len(w.dept_names))
    emp_ids = _numbered(formats.employee_id, len(emp))
    sup_ids = _numbered(formats.supplier_id, len(sup))
    per_ids = _numbered(formats.person_id, len(per))

    # contracts are numbered in signing order, tenders in the order of their contracts
    n = len(c)
    order = np.lexsort((np.arange(n), p.signed_day))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    contract_ids = _take(_numbered_by_year(formats.contract_id, p.signed_day[order]), rank)
    tendered = np.unique(p.bid_contract)
    tendered = tendered[np.argsort(rank[tendered])]
    tender_number = np.zeros(n, dtype=np.int64)
    tender_number[tendered] = np.arange(1, len(tendered) + 1)
    tender_ids = _numbered_by_year(formats.tender_id, p.signed_day[tendered])
    # a framework agreement's call-offs carry its tender
    calloff = np.flatnonzero(c.agreement >= 0)
    tender_number[calloff] = tender_number[c.agreement[calloff]]
    tender_of = pc.if_else(
        pa.array(tender_number > 0), _take(tender_ids, np.maximum(tender_number - 1, 0)), ""
    )
    payment_ids = _numbered_by_year(formats.payment_id, p.payment_time // 86_400)

    # ---- parties ----
    protected_emp = _mask(len(emp), w.protected_employees)
    leave_day = emp["leave_day"].to_numpy()
    leave = pc.if_else(pa.array(leave_day == NO_LEAVE), "", _dates(np.minimum(leave_day, END_DAY)))
    id_numbers, miswritten = _wrong_check_char(
        rng, emp["id_number"].to_numpy(), noise.wrong_check_characters, protected_emp, _ID_CHECK_CHARS
    )
    passport = (rng.random(len(emp)) < noise.passports) & ~protected_emp & ~miswritten
    id_numbers[passport] = [f"E{x:08d}" for x in rng.integers(0, 10**8, int(passport.sum()))]
    emp_dept = emp["dept"].to_numpy()
    counts["employees"] = _write(
        out_dir,
        "employees",
        {
            "employee_id": emp_ids,
            "name": _text(emp["name"].to_numpy()),
            "department_id": _take(dept_ids, emp_dept),
            "department_name": _text(np.array(w.dept_names, dtype=object)[emp_dept]),
            "position": _text(emp["position"].to_numpy()),
            "hire_date": _blank(rng, _dates(emp["hire_day"].to_numpy()), 0.01, protected_emp),
            "leave_date": leave,
            "phone": _blank(rng, emp["phone"].to_numpy(), noise.employee_blank_phone, protected_emp),
            "id_number": _blank(rng, id_numbers, 0.02, protected_emp | miswritten),
            "bank_account": _blank(rng, emp["bank_account"].to_numpy(), 0.02, protected_emp),
            "address": _blank(rng, emp["address"].to_numpy(), noise.employee_blank_address, protected_emp),
        },
    )

    protected_sup = _mask(len(sup), w.protected_suppliers) | (sup["kind"].to_numpy() != "pool")
    counts["suppliers"] = _write(
        out_dir,
        "suppliers",
        {
            "supplier_id": sup_ids,
            "name": _text(sup["name"].to_numpy()),
            "credit_code": _text(
                _wrong_check_char(
                    rng,
                    sup["credit_code"].to_numpy(),
                    noise.wrong_check_characters,
                    protected_sup,
                    CREDIT_CODE_ALPHABET,
                )[0]
            ),
            "legal_rep": _blank(rng, sup["legal_rep"].to_numpy(), 0.01, protected_sup),
            "phone": _blank(rng, sup["phone"].to_numpy(), noise.supplier_blank_phone, protected_sup),
            "address": _blank(rng, sup["address"].to_numpy(), noise.supplier_blank_address, protected_sup),
            "bank_account": _blank(rng, sup["bank_account"].to_numpy(), 0.03, protected_sup),
            "registered_date": _blank(rng, _dates(sup["registered_day"].to_numpy()), 0.01, protected_sup),
            "registered_capital": _blank(
                rng, pa.array(sup["registered_capital"].to_numpy(dtype=np.int64)), 0.04, protected_sup
            ),
            "blacklisted": _text(np.where(sup["blacklisted"].to_numpy(dtype=bool), "true", "false")),
        },
    )

    counts["persons"] = _write(
        out_dir,
        "persons",
        {
            "person_id": per_ids,
            "name": _text(per["name"].to_numpy()),
            **{col: _text(per[col].to_numpy()) for col in ("phone", "id_number", "bank_account", "address")},
        },
    )

    party_ids = {"employee": emp_ids, "supplier": sup_ids, "person": per_ids}
    rel = pd.DataFrame(
        w.relations, columns=["src_type", "src", "relation", "dst_type", "dst", "share", "since"]
    )
    src_ids = pa.array([""] * len(rel), pa.string())
    dst_ids = src_ids
    for kind, ids in party_ids.items():
        src_ids = pc.if_else(
            pa.array((rel["src_type"] == kind).to_numpy()),
            _take(ids, rel["src"].clip(0, len(ids) - 1)),
            src_ids,
        )
        dst_ids = pc.if_else(
            pa.array((rel["dst_type"] == kind).to_numpy()),
            _take(ids, rel["dst"].clip(0, len(ids) - 1)),
            dst_ids,
        )
    counts["relations"] = _write(
        out_dir,
        "relations",
        {
            "src_type": _text(rel["src_type"].to_numpy()),
            "src_id": src_ids,
            "relation": _text(rel["relation"].to_numpy()),
            "dst_type": _text(rel["dst_type"].to_numpy()),
            "dst_id": dst_ids,
            "share": _text(["" if pd.isna(x) else f"{x:.2f}" for x in rel["share"]]),
            "since": _text(
                ["" if pd.isna(x) else str(START + np.timedelta64(int(x), "D")) for x in rel["since"]]
            ),
        },
    )

    # ---- purchase orders, in signing order ----
    routine = ~c.reserved[order]
    no_item = (rng.random(n) < noise.missing_item) & routine
    no_price = (rng.random(n) < noise.missing_unit_price) & routine
    category_names = w.cats.names
    counts["contracts"] = _write(
        out_dir,
        "contracts",
        {
            "contract_id": _take(contract_ids, order),
            "supplier_id": _take(sup_ids, c.supplier[order]),
            "amount": _money(c.amount_fen[order]),
            "signed_date": _dates(p.signed_day[order]),
            "department_id": _blank(rng, _take(dept_ids, c.dept[order]), noise.blank_department, ~routine),
            "requester_id": _blank(rng, _take(emp_ids, c.requester[order]), noise.blank_requester, ~routine),
            "category": _blank(rng, category_names[c.cat[order]], noise.blank_category, ~routine),
            "item": pc.if_else(pa.array(no_item), "", _text(w.cats.item_name[c.item[order]])),
            "quantity": pc.if_else(pa.array(no_price), "", pa.array(c.quantity[order]).cast(pa.string())),
            "unit_price": pc.if_else(pa.array(no_price), "", _money(c.unit_fen[order])),
            "method": _text(np.array(METHODS, dtype=object)[p.method[order]]),
            "tender_id": _take(tender_of, order),
        },
    )

    a_order = np.lexsort((p.approval_step, rank[p.approval_contract]))
    counts["approvals"] = _write(
        out_dir,
        "approvals",
        {
            "contract_id": _take(contract_ids, p.approval_contract[a_order]),
            "step": pa.array(p.approval_step[a_order]),
            "approver_id": _take(emp_ids, p.approval_employee[a_order]),
            "decision": _text(np.where(rng.random(len(a_order)) < noise.blank_decision, "", "approve")),
            "approved_at": _timestamps(p.approval_time[a_order]),
        },
    )

    b_order = np.lexsort((p.bid_time, rank[p.bid_contract]))
    if noise.tenders_without_bids:
        # the bids of some routine tenders never reached the extract; their contracts keep the tender id
        routine_tenders = np.setdiff1d(
            np.unique(p.bid_contract), np.array(sorted(w.scripted_tenders), dtype=np.int64)
        )
        labelled = [ref[1] for _, _, kind, ref in w.labels if kind == "tender"]  # type: ignore[index]
        routine_tenders = routine_tenders[~c.reserved[routine_tenders] & ~np.isin(routine_tenders, labelled)]
        lost = routine_tenders[rng.random(len(routine_tenders)) < noise.tenders_without_bids]
        b_order = b_order[~np.isin(p.bid_contract[b_order], lost)]
    counts["bids"] = _write(
        out_dir,
        "bids",
        {
            "tender_id": _take(tender_of, p.bid_contract[b_order]),
            "supplier_id": _take(sup_ids, p.bid_supplier[b_order]),
            "bid_amount": _money(p.bid_fen[b_order]),
            "is_winner": _text(np.where(p.bid_winner[b_order], "true", "false")),
            "submitted_at": _timestamps(p.bid_time[b_order]),
        },
    )

    counts["payments"] = _write(
        out_dir,
        "payments",
        {
            "payment_id": payment_ids,
            "contract_id": _take(contract_ids, p.payment_contract),
            "payee_account": _text(p.payment_account),
            "payee_name": _blank(rng, p.payment_name, noise.blank_payee_name, p.payment_diverted),
            "amount": _money(p.payment_fen),
            "paid_at": _timestamps(p.payment_time),
        },
    )

    (out_dir / "policy.yaml").write_text(
        yaml.safe_dump(w.profile.policy_document(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    counts["labels"] = _write(
        out_dir, "labels", _labels(w, p, party_ids, dept_ids, contract_ids, tender_of, payment_ids)
    )
    return counts


def _labels(
    w: World,
    p: Process,
    party_ids: dict[str, pa.Array],
    dept_ids: pa.Array,
    contract_ids: pa.Array,
    tender_of: pa.Array,
    payment_ids: pa.Array,
) -> dict[str, object]:
    diverted = np.flatnonzero(p.payment_diverted)
    payment_of = dict(zip(p.payment_contract[diverted].tolist(), diverted.tolist(), strict=True))
    ids = {**party_ids, "department": dept_ids, "contract": contract_ids}
    rows = []
    for scheme, number, entity_type, ref in w.labels:
        if entity_type == "tender":
            entity_id = tender_of[ref[1]].as_py()  # type: ignore[index]
        elif entity_type == "payment":
            entity_id = payment_ids[payment_of[ref[1]]].as_py()  # type: ignore[index]
        else:
            entity_id = ids[entity_type][ref].as_py()
        rows.append((scheme, f"{scheme}-{number:02d}", entity_type, entity_id))
    frame = pd.DataFrame(rows, columns=list(FILES["labels"])).drop_duplicates()
    return {col: _text(frame[col].to_numpy()) for col in frame.columns}
