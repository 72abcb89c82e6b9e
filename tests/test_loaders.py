"""The loaders on real files: CSV (UTF-8, BOM, GBK), xlsx, Parquet, mapping files, every
validation error, warnings, and loads into a real embedded store."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from graph.dataset import GraphData
from graph.ladybug_store import LadybugStore
from loaders import LoadError, LoadReport, Severity, load_source, load_tables
from loaders.parsing import parse_bools, parse_dates, parse_money, parse_numbers, parse_timestamps

FIXTURES = Path(__file__).parent / "fixtures" / "loaders"
VALID = FIXTURES / "valid"
BROKEN = FIXTURES / "broken"
MAPPED = FIXTURES / "mapped"

MONEY_COLUMNS = {"amount", "bid_amount", "unit_price", "estimate", "registered_capital"}
NUMBER_COLUMNS = {"quantity", "share"}
DATE_COLUMNS = {"hire_date", "leave_date", "registered_date", "signed_date", "since"}
TIMESTAMP_COLUMNS = {"approved_at", "submitted_at", "paid_at"}


# ---- helpers -----------------------------------------------------------------------------
def copy_valid(tmp_path: Path, name: str = "extract") -> Path:
    folder = tmp_path / name
    shutil.copytree(VALID, folder)
    return folder


def edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_column(folder: Path, file: str, column: str) -> None:
    path = folder / file
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    index = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:index] + r[index + 1 :] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")


def read_fixture(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def typed_cell(column: str, value: str) -> object:
    """A CSV value as a spreadsheet or Parquet file would type it."""
    if value == "":
        return None
    try:
        if column in MONEY_COLUMNS | NUMBER_COLUMNS and "," not in value:
            return float(value)
        if column == "step":
            return int(value)
        if column in DATE_COLUMNS:
            return date.fromisoformat(value)
        if column in TIMESTAMP_COLUMNS:
            return datetime.fromisoformat(value)
    except ValueError:
        pass  # a bad value stays text, as a spreadsheet would keep it
    return value


def typed_frame(path: Path) -> pd.DataFrame:
    frame = read_fixture(path)
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = [typed_cell(column, v) for v in frame[column]]
        if any(isinstance(v, str) for v in values):
            values = [v or None for v in frame[column]]  # one column, one type: text as written
        if any(isinstance(v, str) for v in values):
            out[column] = pd.Series(values, dtype=object)
        elif column in DATE_COLUMNS | TIMESTAMP_COLUMNS:
            out[column] = pd.to_datetime(pd.Series(values, dtype=object))
        elif column in MONEY_COLUMNS | NUMBER_COLUMNS:
            out[column] = pd.Series(values, dtype="float64")
        elif column == "step":
            out[column] = pd.Series(values, dtype="int64")
        else:
            out[column] = pd.Series(values, dtype=object)
    return out


def write_workbook(source: Path, target: Path, sheet_names: dict[str, str] | None = None) -> None:
    """One sheet per CSV file, with numbers, dates and timestamps as typed cells."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for path in sorted(source.glob("*.csv")):
        sheet = workbook.create_sheet((sheet_names or {}).get(path.stem, path.stem))
        frame = read_fixture(path)
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append([typed_cell(c, v) for c, v in zip(frame.columns, record, strict=True)])
    workbook.create_sheet("说明").append(["这张表不是数据"])
    workbook.save(target)


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("id", "src", "dst", "step") if c in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True)


def assert_same_graph(a: GraphData, b: GraphData) -> None:
    assert sorted(a.nodes) == sorted(b.nodes)
    assert sorted(a.rels) == sorted(b.rels)
    for label in a.nodes:
        pd.testing.assert_frame_equal(sorted_frame(a.nodes[label]), sorted_frame(b.nodes[label]), obj=label)
    for key in a.rels:
        pd.testing.assert_frame_equal(sorted_frame(a.rels[key]), sorted_frame(b.rels[key]), obj=str(key))


def where(
    report: LoadReport, severity: Severity = Severity.ERROR
) -> set[tuple[str, int | None, str | None, str]]:
    problems = report.errors if severity == Severity.ERROR else report.warnings
    return {(p.file, p.row, p.column, p.code) for p in problems}


def refused(source: Path, **kwargs: object) -> LoadReport:
    with pytest.raises(LoadError) as caught:
        load_source(source, **kwargs)  # type: ignore[arg-type]
    return caught.value.report


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing values as ``None`` whatever the column's type (Arrow text keeps them as NaN)."""
    return frame.astype(object).where(frame.notna(), None)


def node(data: GraphData, label: str, node_id: str) -> dict[str, object]:
    frame = data.nodes[label]
    return _missing_as_none(frame[frame["id"] == node_id]).iloc[0].to_dict()


def rel_rows(data: GraphData, rel: str, src: str, dst: str) -> list[dict[str, object]]:
    return _missing_as_none(sorted_frame(data.rels[(rel, src, dst)])).to_dict("records")


# ---- a valid folder ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def valid() -> GraphData:
    return load_source(VALID).data


def test_a_valid_folder_becomes_the_graph_of_the_data_contract(valid: GraphData) -> None:
    counts = valid.counts()
    assert {k: counts[k] for k in ("Employee", "Supplier", "Person", "Contract", "Payment", "Tender")} == {
        "Employee": 4,
        "Supplier": 3,
        "Person": 2,
        "Contract": 4,
        "Payment": 3,
        "Tender": 2,
    }
    contract = node(valid, "Contract", "C001")
    assert contract["amount"] == 48000.0
    assert contract["signed_date"] == pd.Timestamp("2024-01-05")
    assert contract["method"] == "open"
    assert node(valid, "Supplier", "S001")["registered_capital"] == 1_000_000.0
    assert node(valid, "Supplier", "S001")["blacklisted"] == False  # noqa: E712 (pandas' NA-aware bool)
    assert node(valid, "Employee", "E003")["leave_date"] == pd.Timestamp("2024-06-30")

    assert rel_rows(valid, "AWARDED_TO", "Contract", "Supplier")[0] == {"src": "C001", "dst": "S001"}
    assert {(r["src"], r["dst"]) for r in rel_rows(valid, "REQUESTED", "Employee", "Contract")} == {
        ("E001", "C001"),
        ("E001", "C002"),
        ("E003", "C003"),
        ("E002", "C004"),
    }
    assert {(r["src"], r["dst"]) for r in rel_rows(valid, "FROM_TENDER", "Contract", "Tender")} == {
        ("C001", "T001"),
        ("C004", "T002"),
    }


def test_departments_come_from_employees_and_from_contracts_that_only_name_them(valid: GraphData) -> None:
    departments = sorted_frame(valid.nodes["Department"])
    assert departments["id"].tolist() == ["D01", "D02", "D03", "D04"]
    assert node(valid, "Department", "D01")["name"] == "采购部"
    assert pd.isna(node(valid, "Department", "D04")["name"])  # only ordered contracts
    assert {(r["src"], r["dst"]) for r in rel_rows(valid, "ORDERED_BY", "Contract", "Department")} == {
        ("C001", "D01"),
        ("C002", "D01"),
        ("C003", "D02"),
        ("C004", "D04"),
    }
    assert len(valid.rels[("WORKS_IN", "Employee", "Department")]) == 4


def test_approvals_bids_and_payments_carry_their_properties(valid: GraphData) -> None:
    approvals = rel_rows(valid, "APPROVED", "Employee", "Contract")
    second = next(r for r in approvals if r["dst"] == "C001" and r["step"] == 2)
    assert second == {
        "src": "E004",
        "dst": "C001",
        "step": 2,
        "approved_at": pd.Timestamp("2024-01-04 16:00:00"),
        "decision": "approve",  # empty decision: approve
    }
    assert [r["decision"] for r in approvals if r["dst"] == "C004"] == ["approve", "reject", "approve"]

    bids = {(r["src"], r["dst"]): r for r in rel_rows(valid, "BID_ON", "Supplier", "Tender")}
    assert bids[("S003", "T002")]["amount"] == 120000.0
    assert bids[("S003", "T002")]["is_winner"] == True  # noqa: E712
    assert bids[("S001", "T002")]["is_winner"] == False  # noqa: E712
    assert bids[("S001", "T001")]["submitted_at"] == pd.Timestamp("2023-12-20 10:00:00")

    assert node(valid, "Payment", "PAY003")["amount"] == 5000.0
    assert {(r["src"], r["dst"]) for r in rel_rows(valid, "PAYS_FOR", "Payment", "Contract")} == {
        ("PAY001", "C001"),
        ("PAY002", "C003"),
    }
    paid_to = {r["src"]: r["dst"] for r in rel_rows(valid, "PAID_TO", "Payment", "BankAccount")}
    assert paid_to == {
        "PAY001": "6222029988887777",
        "PAY002": "6222029912345678",
        "PAY003": "6222021234567890",
    }


def test_relations_become_their_relationship_types_between_the_right_labels(valid: GraphData) -> None:
    assert rel_rows(valid, "OWNS", "Person", "Supplier") == [
        {"src": "P001", "dst": "S001", "share": 0.6, "since": pd.Timestamp("2016-01-01")}
    ]
    assert rel_rows(valid, "LEGAL_REP_OF", "Person", "Supplier")[0]["dst"] == "S002"  # written legal_rep_of
    assert rel_rows(valid, "SPOUSE_OF", "Employee", "Person")[0]["src"] == "E004"  # written 配偶
    assert rel_rows(valid, "RELATIVE_OF", "Employee", "Person")[0]["dst"] == "P001"


def test_shared_identifiers_written_differently_meet_at_one_pivot(valid: GraphData) -> None:
    # E001 wrote "+86 138-0013-8000", S001 "１３８００１３８０００" (full-width).
    assert ("E001", "13800138000") in {
        (r["src"], r["dst"]) for r in rel_rows(valid, "HAS_PHONE", "Employee", "Phone")
    }
    assert ("S001", "13800138000") in {
        (r["src"], r["dst"]) for r in rel_rows(valid, "HAS_PHONE", "Supplier", "Phone")
    }
    assert (valid.nodes["Phone"]["id"] == "13800138000").sum() == 1
    # 88號 with spaces vs 88号: one address for an employee, a supplier and a person.
    addresses = {
        r["src"] for key, f in valid.rels.items() if key[0] == "HAS_ADDRESS" for r in f.to_dict("records")
    }
    assert addresses == {"E001", "S001", "P002"}
    assert valid.nodes["Address"]["id"].tolist() == ["上海市徐汇区漕溪北路88号"]
    # The employee's salary account is also where payment PAY003 went.
    assert ("E001", "6222021234567890") in {
        (r["src"], r["dst"]) for r in rel_rows(valid, "HAS_ACCOUNT", "Employee", "BankAccount")
    }
    assert ("Supplier", "IdNumber") not in {(k[1], k[2]) for k in valid.rels if k[0] == "HAS_ID_NUMBER"}


def test_names_are_normalised_and_raw_identifiers_kept_for_display(valid: GraphData) -> None:
    assert node(valid, "Employee", "E001")["name"] == "张三"  # was 张　三
    assert node(valid, "Supplier", "S001")["name"] == "某某(北京)科技有限公司"
    assert node(valid, "Employee", "E001")["phone"] == "+86 138-0013-8000"


def test_unknown_columns_are_kept_as_json_in_extra(valid: GraphData) -> None:
    assert node(valid, "Employee", "E001")["extra"] == '{"工位":"A-101"}'
    assert node(valid, "Employee", "E002")["extra"] is None
    assert node(valid, "Contract", "C002")["extra"] == '{"合同备注":"急件, 口头通知"}'
    assert node(valid, "Supplier", "S002")["extra"] == '{"行业":"办公用品"}'


def test_policy_is_checked_and_unknown_keys_kept(valid: GraphData) -> None:
    assert valid.policy == {
        "currency": "CNY",
        "approval_limits": [
            {"level": 1, "max_amount": 50000.0},
            {"level": 2, "max_amount": 200000.0},
            {"level": 3, "max_amount": 1000000.0},
        ],
        "working_hours": {"start": "08:00", "end": "19:00"},
        "fiscal_year_start": "01-01",
    }


def test_unquoted_yaml_times_are_read_as_clock_times(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(
        folder,
        "policy.yaml",
        'working_hours: {start: "08:00", end: "19:00"}',
        "working_hours: {start: 08:30, end: 19:00}",
    )
    policy = load_source(folder).data.policy
    assert policy is not None and policy["working_hours"] == {"start": "08:30", "end": "19:00"}


def test_the_report_counts_rows_names_encodings_and_reads_in_both_languages() -> None:
    report = load_source(VALID).report
    assert report.tables["approvals"].rows == 7
    assert report.tables["employees"].encoding == "utf-8"
    assert report.tables["contracts"].extra_columns == ["合同备注"]
    assert report.error_count == 0 and report.warning_count == 0
    zh, en = report.summary(lang="zh"), report.summary(lang="en")
    assert "approvals.csv：7 行" in zh and "错误 0 个" in zh
    assert "approvals.csv: 7 rows" in en and "0 error(s), 0 warning(s)" in en
    assert "APPROVED 7" in en


def test_progress_is_reported_per_file_then_for_validation_and_graph() -> None:
    calls: list[tuple[str, int, int]] = []
    load_source(VALID, progress=lambda what, done, total: calls.append((what, done, total)))
    assert [c[0] for c in calls[:2]] == ["employees.csv", "suppliers.csv"]
    assert calls[-2:] == [("validate", 9, 10), ("graph", 10, 10)]
    assert {c[2] for c in calls} == {10}
    assert [c[1] for c in calls] == list(range(1, 11))


def test_files_that_are_not_tables_are_listed_as_ignored(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "labels.csv").write_text("scheme,instance_id\n", encoding="utf-8")
    (folder / "readme.txt").write_text("notes", encoding="utf-8")
    report = load_source(folder).report
    assert report.ignored == ["labels.csv"]
    assert "labels.csv" in report.summary(lang="en")


# ---- encodings and formats -----------------------------------------------------------------
def test_a_gbk_csv_reads_as_its_utf8_original(tmp_path: Path, valid: GraphData) -> None:
    folder = copy_valid(tmp_path)
    for name in ("employees.csv", "suppliers.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(text.encode("gbk"))
    result = load_source(folder)
    assert result.report.tables["employees"].encoding == "gb18030"
    assert result.report.tables["contracts"].encoding == "utf-8"
    assert_same_graph(result.data, valid)


def test_a_utf8_csv_with_a_byte_order_mark_reads_as_without(tmp_path: Path, valid: GraphData) -> None:
    folder = copy_valid(tmp_path)
    text = (folder / "contracts.csv").read_text(encoding="utf-8")
    (folder / "contracts.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    result = load_source(folder)
    assert result.report.tables["contracts"].encoding == "utf-8-sig"
    assert_same_graph(result.data, valid)


def test_a_file_in_neither_encoding_is_refused(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    data = (folder / "persons.csv").read_bytes()
    # a Latin-1 "ë" before a comma is a byte that neither UTF-8 nor GB18030 can read
    (folder / "persons.csv").write_bytes(data.replace("周九".encode(), b"Zo\xeb"))
    assert where(refused(folder)) == {("persons.csv", 2, None, "undecodable")}


def test_an_xlsx_workbook_gives_the_same_graph_as_the_csv_folder(tmp_path: Path, valid: GraphData) -> None:
    book = tmp_path / "extract.xlsx"
    write_workbook(VALID, book)
    result = load_source(book)
    assert_same_graph(result.data, valid)
    assert result.data.policy is None
    assert result.report.ignored == ["extract.xlsx[说明]"]
    assert result.report.tables["contracts"].file == "extract.xlsx[contracts]"


def test_problems_in_a_workbook_name_the_sheet_and_its_row(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "contracts.csv", "C003,S002,8000", "C003,S002,8千")
    book = tmp_path / "extract.xlsx"
    write_workbook(folder, book)
    assert ("extract.xlsx[contracts]", 4, "amount", "bad_money") in where(refused(book))


def test_a_missing_sheet_is_named_as_a_sheet(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "suppliers.csv").unlink()
    book = tmp_path / "extract.xlsx"
    write_workbook(folder, book)
    assert ("extract.xlsx[suppliers]", None, None, "missing_file") in where(refused(book))


def test_a_parquet_folder_gives_the_same_graph_as_the_csv_folder(tmp_path: Path, valid: GraphData) -> None:
    folder = tmp_path / "parquet"
    folder.mkdir()
    for path in VALID.glob("*.csv"):
        typed_frame(path).to_parquet(folder / f"{path.stem}.parquet")
    shutil.copy(VALID / "policy.yaml", folder / "policy.yaml")
    result = load_source(folder)
    assert_same_graph(result.data, valid)
    assert result.data.policy == valid.policy
    assert result.report.tables["contracts"].file == "contracts.parquet"


def test_tables_built_in_memory_give_the_same_graph(valid: GraphData) -> None:
    tables = {path.stem: typed_frame(path) for path in VALID.glob("*.csv")}
    result = load_tables(tables, origin="memory", policy=valid.policy)
    assert_same_graph(result.data, valid)
    assert result.data.policy == valid.policy


def test_problems_in_tables_built_in_memory_count_rows_as_a_csv_would() -> None:
    tables = {path.stem: read_fixture(path) for path in VALID.glob("*.csv")}
    tables["contracts"].loc[1, "amount"] = "-1"
    with pytest.raises(LoadError) as caught:
        load_tables(tables, origin="ocds.json")
    assert where(caught.value.report) == {("ocds.json[contracts]", 3, "amount", "negative_amount")}


def test_a_table_given_twice_is_refused(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    typed_frame(folder / "bids.csv").to_parquet(folder / "bids.parquet")
    report = refused(folder)
    assert {p.code for p in report.errors} == {"two_sources"}
    assert "bids.csv, bids.parquet" in report.errors[0].reason


# ---- row numbers ----------------------------------------------------------------------------------
def test_rows_are_line_numbers_even_with_blank_lines_and_values_spanning_lines(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "contracts.csv").write_text(
        "contract_id,supplier_id,amount,signed_date,item\n"  # line 1
        'C001,S001,100,2024-01-05,"服务器\n两台"\n'  # lines 2-3
        "\n"  # line 4, blank
        "C002,S001,oops,2024-01-06,交换机\n"  # line 5
        'C003,S001,5,2024-01-07,"a ""quoted"", b"\n'  # line 6
        "C004,S001,-1,2024-01-08,x\n"  # line 7
        "\n\n",
        encoding="utf-8",
    )
    for name in ("approvals.csv", "payments.csv"):
        (folder / name).write_text((VALID / name).read_text(encoding="utf-8").splitlines()[0] + "\n")
    report = refused(folder)
    assert where(report) == {
        ("contracts.csv", 5, "amount", "bad_money"),
        ("contracts.csv", 7, "amount", "negative_amount"),
    }


def test_rows_of_a_regular_file_are_line_numbers(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "approvals.csv", "C004,3,E004,2024-03-02T15:00:00", "C004,3,E004,2024-03-02T15:00:61")
    assert where(refused(folder)) == {("approvals.csv", 8, "approved_at", "bad_timestamp")}


# ---- every validation error, one at a time -----------------------------------------------------------
Edit = Callable[[Path], None]


def _replace(file: str, old: str, new: str) -> Edit:
    return lambda folder: edit(folder, file, old, new)


def _delete(file: str) -> Edit:
    return lambda folder: (folder / file).unlink()


def _append(file: str, line: str) -> Edit:
    def apply(folder: Path) -> None:
        with (folder / file).open("a", encoding="utf-8") as out:
            out.write(line)

    return apply


ERROR_CASES: list[tuple[str, Edit, tuple[str, int | None, str | None, str]]] = [
    ("missing file", _delete("suppliers.csv"), ("suppliers.csv", None, None, "missing_file")),
    (
        "missing column",
        lambda f: drop_column(f, "contracts.csv", "amount"),
        ("contracts.csv", 1, "amount", "missing_column"),
    ),
    (
        "empty required value",
        _replace("approvals.csv", "C001,2,E004,", "C001,2,,"),
        ("approvals.csv", 3, "approver_id", "empty_value"),
    ),
    (
        "duplicate id",
        _append("employees.csv", "E002,李四,D01,采购部,,,,,,,,\n"),
        ("employees.csv", 6, "employee_id", "duplicate_key"),
    ),
    (
        "duplicate approval step",
        _replace("approvals.csv", "C004,3,E004", "C004,2,E004"),
        ("approvals.csv", 8, "contract_id+step+approver_id", "duplicate_key"),
    ),
    (
        "contract names an unknown supplier",
        _replace("contracts.csv", "C003,S002", "C003,S999"),
        ("contracts.csv", 4, "supplier_id", "dangling"),
    ),
    (
        "contract names an unknown requester",
        _replace("contracts.csv", "D02,E003", "D02,E999"),
        ("contracts.csv", 4, "requester_id", "dangling"),
    ),
    (
        "approval names an unknown approver",
        _replace("approvals.csv", "C003,1,E002", "C003,1,E999"),
        ("approvals.csv", 5, "approver_id", "dangling"),
    ),
    (
        "approval names an unknown contract",
        _replace("approvals.csv", "C003,1,E002", "C009,1,E002"),
        ("approvals.csv", 5, "contract_id", "dangling"),
    ),
    (
        "bid names an unknown supplier",
        _replace("bids.csv", "T002,S003", "T002,S999"),
        ("bids.csv", 4, "supplier_id", "dangling"),
    ),
    (
        "payment names an unknown contract",
        _replace("payments.csv", "PAY002,C003", "PAY002,C999"),
        ("payments.csv", 3, "contract_id", "dangling"),
    ),
    (
        "relation from an unknown party",
        _replace("relations.csv", "person,P001,OWNS", "person,P999,OWNS"),
        ("relations.csv", 2, "src_id", "dangling"),
    ),
    (
        "relation to a party of the wrong type",
        _replace("relations.csv", "RELATIVE_OF,person,P001", "RELATIVE_OF,supplier,P001"),
        ("relations.csv", 3, "dst_id", "dangling"),
    ),
    (
        "bad date",
        _replace("contracts.csv", "2024-02-01,D02", "2024-02-31,D02"),
        ("contracts.csv", 4, "signed_date", "bad_date"),
    ),
    (
        "bad timestamp",
        _replace("approvals.csv", "2024-01-31T09:00:00", "2024-01-31T25:00:00"),
        ("approvals.csv", 5, "approved_at", "bad_timestamp"),
    ),
    (
        "bad amount",
        _replace("contracts.csv", "C003,S002,8000", "C003,S002,8千"),
        ("contracts.csv", 4, "amount", "bad_money"),
    ),
    (
        "bad number",
        _replace("contracts.csv", "打印纸,400", "打印纸,四百"),
        ("contracts.csv", 4, "quantity", "bad_number"),
    ),
    (
        "bad bool",
        _replace("bids.csv", "49000,false", "49000,maybe"),
        ("bids.csv", 3, "is_winner", "bad_bool"),
    ),
    (
        "bad integer",
        _replace("approvals.csv", "C004,3,E004", "C004,3.5,E004"),
        ("approvals.csv", 8, "step", "bad_integer"),
    ),
    (
        "step below 1",
        _replace("approvals.csv", "C001,1,E002", "C001,0,E002"),
        ("approvals.csv", 2, "step", "bad_step"),
    ),
    (
        "negative amount",
        _replace("payments.csv", "张三,5000", "张三,-5000"),
        ("payments.csv", 4, "amount", "negative_amount"),
    ),
    (
        "unknown relation kind",
        _replace("relations.csv", "legal_rep_of", "friend_of"),
        ("relations.csv", 4, "relation", "unknown_relation"),
    ),
    (
        "unknown party type",
        _replace("relations.csv", "employee,E004,配偶", "robot,E004,配偶"),
        ("relations.csv", 5, "src_type", "unknown_party_type"),
    ),
    (
        "relation self-loop",
        _replace(
            "relations.csv",
            "employee,E001,RELATIVE_OF,person,P001",
            "employee,E001,RELATIVE_OF,employee,E001",
        ),
        ("relations.csv", 3, "dst_id", "self_loop"),
    ),
    (
        "unknown approval decision",
        _replace("approvals.csv", ",reject", ",maybe"),
        ("approvals.csv", 7, "decision", "unknown_decision"),
    ),
    (
        "row of the wrong width",
        _append("contracts.csv", "C005,S001\n"),
        ("contracts.csv", 6, None, "ragged_row"),
    ),
    (
        "duplicate column name",
        _replace("bids.csv", "is_winner,submitted_at", "submitted_at,submitted_at"),
        ("bids.csv", 1, "submitted_at", "duplicate_column"),
    ),
    (
        "unterminated quote",
        _replace("persons.csv", "P002,吴十", 'P002,"吴十'),
        ("persons.csv", 3, "name", "unclosed_quote"),
    ),
    (
        "bad policy value",
        _replace("policy.yaml", "max_amount: 50000", "max_amount: lots"),
        ("policy.yaml", 3, "approval_limits[0].max_amount", "bad_policy"),
    ),
    (
        "bad policy shape",
        _replace("policy.yaml", 'working_hours: {start: "08:00", end: "19:00"}', "working_hours: [8, 19]"),
        ("policy.yaml", 6, "working_hours", "bad_policy"),
    ),
    (
        "policy not YAML",
        _replace("policy.yaml", "currency: CNY", "currency: [CNY"),
        ("policy.yaml", 2, None, "bad_yaml"),
    ),
]


@pytest.mark.parametrize(
    ("edit_folder", "expected"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_each_error_names_file_row_column_and_reason(
    tmp_path: Path, edit_folder: Edit, expected: tuple[str, int | None, str | None, str]
) -> None:
    folder = copy_valid(tmp_path)
    edit_folder(folder)
    with pytest.raises(LoadError) as caught:
        load_source(folder)
    report = caught.value.report
    assert where(report) == {expected}
    problem = report.errors[0]
    assert problem.severity == Severity.ERROR and problem.reason and problem.reason_zh
    file, row, column, _ = expected
    line = problem.text("en")
    assert line.startswith(file)
    assert (f"row {row}" in line) == (row is not None)
    assert column is None or f"column {column}" in line
    assert problem.reason in line
    assert line in caught.value.text("en")
    assert problem.text("zh") in caught.value.text("zh")


def test_several_errors_in_several_files_are_reported_together() -> None:
    report = refused(BROKEN)
    assert where(report) == {
        ("employees.csv", 3, "employee_id", "duplicate_key"),
        ("employees.csv", 3, "hire_date", "bad_date"),
        ("employees.csv", 4, "employee_id", "empty_value"),
        ("suppliers.csv", 1, "name", "missing_column"),
        ("suppliers.csv", 2, "registered_capital", "negative_amount"),
        ("suppliers.csv", 3, "registered_capital", "bad_money"),
        ("contracts.csv", 3, "supplier_id", "dangling"),
        ("contracts.csv", 3, "requester_id", "dangling"),
        ("contracts.csv", 4, "amount", "empty_value"),
        ("approvals.csv", 3, "contract_id", "dangling"),
        ("approvals.csv", 3, "step", "bad_integer"),
        ("approvals.csv", 3, "approved_at", "bad_timestamp"),
        ("relations.csv", 2, "dst_id", "self_loop"),
        ("relations.csv", 3, "src_type", "unknown_party_type"),
        ("relations.csv", 3, "relation", "unknown_relation"),
    }
    assert where(report, Severity.WARNING) == {("suppliers.csv", 3, "credit_code", "bad_credit_code")}
    assert len(report.errors) == 15
    message = str(LoadError(report))
    for problem in report.errors:
        assert problem.file in message and str(problem.row or "") in message


def test_a_flood_of_one_problem_is_counted_in_full_and_shown_capped(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    header = "contract_id,supplier_id,amount,signed_date\n"
    rows = "".join(f"X{i:03d},S001,{i}元整,2024-01-01\n" for i in range(150))
    (folder / "contracts.csv").write_text(header + rows, encoding="utf-8")
    for name in ("approvals.csv", "payments.csv"):
        (folder / name).write_text((VALID / name).read_text(encoding="utf-8").splitlines()[0] + "\n")
    with pytest.raises(LoadError) as caught:
        load_source(folder)
    report = caught.value.report
    assert len(report.errors) == 150
    assert [p.row for p in report.errors[:3]] == [2, 3, 4]
    assert report.errors[149].row == 151
    text = caught.value.text("en", limit=20)
    assert text.count("column amount: not an amount of money") == 21  # 20 shown, one "… and 130 more" line
    assert "… and 130 more in contracts.csv, column amount" in text
    assert "另有 130 处同类问题" in caught.value.text("zh")
    frame = report.problems_frame()
    errors = frame[frame["severity"] == "error"]
    assert len(errors) == 150 and errors["row"].max() == 151


def test_a_broken_mapping_is_refused_before_reading(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "tables: {合同: contract}\ncontracts: {合同编号: contract_idd, 编号: contract_id, 号码: contract_id}\n"
        "orders: {a: b}\n",
        encoding="utf-8",
    )
    report = refused(MAPPED, mapping=mapping)
    assert {p.code for p in report.errors} == {"bad_mapping"}
    assert [p.column for p in report.errors] == ["tables", "contracts.合同编号", "contracts.号码", "orders"]


# ---- warnings -------------------------------------------------------------------------------------------
def test_bad_check_digits_and_odd_phones_are_warnings_and_load(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "suppliers.csv", "91440300MA5D000015", "91440300MA5D000016")
    edit(folder, "employees.csv", "310104198001011239", "310104198001011230")
    edit(folder, "employees.csv", "010-6552 1234", "12345")
    edit(folder, "contracts.csv", "inquiry", "询价比价")
    edit(folder, "relations.csv", "S001,0.6", "S001,60")
    result = load_source(folder)
    assert where(result.report, Severity.WARNING) == {
        ("suppliers.csv", 3, "credit_code", "bad_credit_code"),
        ("employees.csv", 3, "id_number", "bad_id_number"),
        ("employees.csv", 4, "phone", "odd_phone"),
        ("contracts.csv", 4, "method", "unknown_method"),
        ("relations.csv", 2, "share", "share_out_of_range"),
    }
    values = {p.code: p.value for p in result.report.warnings}
    assert values["bad_id_number"] == "310***********1230"  # personal: masked
    assert values["bad_credit_code"] == "91440300MA5D000016"
    assert node(result.data, "Employee", "E002")["id_number"] == "310104198001011230"  # still loaded
    assert node(result.data, "Contract", "C003")["method"] == "询价比价"
    assert "12345" not in set(result.data.nodes["Phone"]["id"])  # no pivot for a phone that is not one
    assert "数据质量提示 5 条" in result.report.summary(lang="zh")


def test_relationship_tables_warn_about_columns_they_cannot_keep(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    path = folder / "approvals.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",comment"] + [line + ",ok" for line in lines[1:]]) + "\n")
    result = load_source(folder)
    assert where(result.report, Severity.WARNING) == {("approvals.csv", 1, "comment", "column_dropped")}


# ---- the column-mapping file ---------------------------------------------------------------------------
def test_a_mapping_file_maps_foreign_table_and_column_names() -> None:
    result = load_source(MAPPED, mapping=MAPPED / "mapping.yaml")
    data = result.data
    assert sorted_frame(data.nodes["Contract"]).to_dict("records") == [
        {
            "id": "HT-001",
            "amount": 48000.0,
            "signed_date": pd.Timestamp("2024-01-05"),
            "extra": '{"项目名称":"服务器采购"}',
        },
        {
            "id": "HT-002",
            "amount": 9500.0,
            "signed_date": pd.Timestamp("2024-01-20"),
            "extra": '{"项目名称":"打印纸"}',
        },
    ]
    assert [r["decision"] for r in rel_rows(data, "APPROVED", "Employee", "Contract")] == [
        "approve",
        "reject",
    ]
    assert rel_rows(data, "REQUESTED", "Employee", "Contract") == [
        {"src": "E001", "dst": "HT-001"}
    ]  # NULL: empty
    assert node(data, "Employee", "E002")["phone"] is None
    info = result.report.tables["contracts"]
    assert info.file == "合同.csv"
    assert info.columns["合同金额"] == "amount"
    assert info.dropped_columns == ["内部备注"]
    assert info.extra_columns == ["项目名称"]


def test_problems_in_mapped_files_name_the_source_column(tmp_path: Path) -> None:
    folder = tmp_path / "mapped"
    shutil.copytree(MAPPED, folder)
    edit(folder, "合同.csv", "9500", "九千五")
    assert where(refused(folder, mapping=folder / "mapping.yaml")) == {
        ("合同.csv", 3, "合同金额 (amount)", "bad_money")
    }


def test_a_workbook_with_chinese_sheet_names_loads_through_the_mapping(tmp_path: Path) -> None:
    book = tmp_path / "导出.xlsx"
    write_workbook(MAPPED, book)
    from_book = load_source(book, mapping=MAPPED / "mapping.yaml").data
    from_folder = load_source(MAPPED, mapping=MAPPED / "mapping.yaml").data
    assert_same_graph(from_book, from_folder)


# ---- incremental loads --------------------------------------------------------------------------------
def _incremental_extract(tmp_path: Path) -> Path:
    folder = tmp_path / "increment"
    folder.mkdir()
    (folder / "contracts.csv").write_text(
        "contract_id,supplier_id,amount,signed_date,department_id,requester_id\nC005,S001,3000,2024-04-01,D01,E001\n",
        encoding="utf-8",
    )
    (folder / "approvals.csv").write_text(
        "contract_id,step,approver_id,approved_at\nC005,1,E002,2024-03-31T10:00:00\nC001,3,E004,2024-01-05T09:00:00\n",
        encoding="utf-8",
    )
    return folder


def test_an_incremental_extract_may_reference_records_already_in_the_store(tmp_path: Path) -> None:
    folder = _incremental_extract(tmp_path)
    report = refused(folder)  # without the store: files are missing, C001 is unknown
    assert where(report) == {
        ("employees.csv", None, None, "missing_file"),
        ("suppliers.csv", None, None, "missing_file"),
        ("approvals.csv", 3, "contract_id", "dangling"),
    }

    asked: list[str] = []
    in_store = {
        "Supplier": {"S001"},
        "Employee": {"E001", "E002", "E004"},
        "Contract": {"C001"},
        "Department": {"D01"},
    }

    def existing(label: str) -> set[str]:
        asked.append(label)
        return in_store.get(label, set())

    result = load_source(folder, existing=existing)
    assert sorted(asked) == ["Contract", "Department", "Employee", "Supplier"]
    assert {p.code for p in result.report.warnings} == {"absent_file_incremental"}
    assert "Department" not in result.data.nodes  # D01 is in the store already: its name stays
    assert len(result.data.rels[("APPROVED", "Employee", "Contract")]) == 2

    in_store["Contract"] = set()
    assert where(refused(folder, existing=existing)) == {("approvals.csv", 3, "contract_id", "dangling")}


# ---- into a real store ----------------------------------------------------------------------------------
State = tuple[dict[str, dict[str, int]], dict[str, pd.DataFrame]]  # counts, snapshot frames


def store_state(store: LadybugStore) -> State:
    snapshot = store.snapshot()
    frames = {
        name: sorted_frame(getattr(snapshot, name))
        if "id" in getattr(snapshot, name).columns
        else getattr(snapshot, name).sort_values(list(getattr(snapshot, name).columns)).reset_index(drop=True)
        for name in (
            "departments",
            "employees",
            "suppliers",
            "persons",
            "contracts",
            "tenders",
            "approvals",
            "bids",
            "payments",
            "relations",
            "identifiers",
        )
    }
    frames["policy"] = pd.DataFrame([snapshot.policy])
    return store.counts(), frames


def assert_same_state(a: State, b: State) -> None:
    assert a[0] == b[0]
    for name in a[1]:
        pd.testing.assert_frame_equal(a[1][name], b[1][name], obj=name)


def test_loading_into_the_store_is_idempotent_updates_values_and_refuses_broken_folders(
    tmp_path: Path,
) -> None:
    with LadybugStore(tmp_path / "store") as store:
        store.write(load_source(VALID).data)
        first = store_state(store)
        assert first[0]["nodes"]["Contract"] == 4 and first[0]["relationships"]["APPROVED"] == 7
        assert first[0]["nodes"]["Phone"] == 7 and first[0]["relationships"]["HAS_PHONE"] == 8
        assert first[1]["contracts"].set_index("id").loc["C004", "department_id"] == "D04"

        summary = store.write(load_source(VALID).data)
        assert set(summary.created.values()) == {0}
        assert_same_state(store_state(store), first)

        newer = copy_valid(tmp_path, "newer")
        edit(newer, "contracts.csv", "C002,S001,49500", "C002,S001,51000")
        store.write(load_source(newer).data)
        updated = store_state(store)
        assert updated[0] == first[0]
        assert updated[1]["contracts"].set_index("id").loc["C002", "amount"] == 51000.0
        assert updated[1]["contracts"].set_index("id").loc["C001", "amount"] == 48000.0

        with pytest.raises(LoadError):
            store.write(load_source(BROKEN).data)
        assert_same_state(store_state(store), updated)

        increment = _incremental_extract(tmp_path)

        def existing(label: str) -> set[str]:
            return set(store.query(f"MATCH (n:{label}) RETURN n.id AS id")["id"])

        store.write(load_source(increment, existing=existing).data)
        after = store_state(store)
        assert after[0]["nodes"]["Contract"] == 5
        assert after[0]["relationships"]["APPROVED"] == 9
        assert after[1]["departments"].set_index("id").loc["D01", "name"] == "采购部"


# ---- typed values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        (parse_dates, "2024-01-05", pd.Timestamp("2024-01-05")),
        (parse_dates, "2024/1/5", pd.Timestamp("2024-01-05")),
        (parse_dates, "2024.01.05", pd.Timestamp("2024-01-05")),
        (parse_dates, "2024年1月5日", pd.Timestamp("2024-01-05")),
        (parse_dates, "２０２４－０１－０５", pd.Timestamp("2024-01-05")),
        (parse_dates, "20240105", pd.Timestamp("2024-01-05")),
        (parse_dates, "2024-01-05T00:00:00", pd.Timestamp("2024-01-05")),
        (parse_dates, "2024-02-30", None),
        (parse_dates, "05/01/2024", None),
        (parse_timestamps, "2024-01-05T09:30:00", pd.Timestamp("2024-01-05 09:30")),
        (parse_timestamps, "2024-01-05 09:30:00", pd.Timestamp("2024-01-05 09:30")),
        (parse_timestamps, "2024-01-05 9:30", pd.Timestamp("2024-01-05 09:30")),
        (parse_timestamps, "2024-01-05T09:30:00.250", pd.Timestamp("2024-01-05 09:30:00.250")),
        (parse_timestamps, "2024-01-05T01:30:00Z", pd.Timestamp("2024-01-05 09:30")),
        (parse_timestamps, "2024-01-05T09:30:00+08:00", pd.Timestamp("2024-01-05 09:30")),
        (parse_timestamps, "2024-01-05", None),
        (parse_timestamps, "2024-01-05T24:00:00", None),
        (parse_money, "1234.5", 1234.5),
        (parse_money, "1,234.50", 1234.5),
        (parse_money, "¥1,234.50", 1234.5),
        (parse_money, "RMB 100", 100.0),
        (parse_money, "100元", 100.0),
        (parse_money, "１２３", 123.0),
        (parse_money, "1.5E+06", 1_500_000.0),
        (parse_money, "12万", None),
        (parse_money, "1,23", None),
        (parse_money, "nan", None),
        (parse_money, "inf", None),
        (parse_numbers, "0.25", 0.25),
        (parse_numbers, "¥5", None),
        (parse_bools, "TRUE", True),
        (parse_bools, "是", True),
        (parse_bools, "No", False),
        (parse_bools, "0", False),
        (parse_bools, "y", None),
    ],
)
def test_typed_values_parse_or_are_marked_bad(
    parser: Callable[[pd.Series], tuple[pd.Series, np.ndarray]], text: str, expected: object
) -> None:
    parsed, bad = parser(pd.Series([text, None], dtype="str"))
    assert bad.tolist() == [expected is None, False]
    assert pd.isna(parsed.iloc[1])
    if expected is None:
        assert pd.isna(parsed.iloc[0])
    else:
        assert parsed.iloc[0] == expected
