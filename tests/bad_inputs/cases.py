"""Every case of the bad-input corpus: how to write it, and what the loader must answer.

A case starts from the small valid extract in ``tests/fixtures/loaders/valid`` and breaks
one thing, the way real extracts arrive broken. Its outcome is one of

* **error** — the load is refused; ``errors`` lists *every* error the report must hold
  (file, row, column, problem code, and words the message must show);
* **warning** — the data loads with exactly the ``warnings`` listed, and ``check`` says
  what the loaded data must hold;
* **accepted** — no error and no warning; ``check`` says how the value was read.

``README.md`` beside this file is the table of cases and decisions; a test keeps it in step.
"""

from __future__ import annotations

import io
import random
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from graph.snapshot import GraphSnapshot
from loaders import LoadResult

__all__ = ["CASES", "VALID", "Case", "Expect", "Source", "case_named"]

VALID = Path(__file__).resolve().parent.parent / "fixtures" / "loaders" / "valid"

#: Ten megabytes of UTF-8 in one cell: far longer than any description a buyer types.
BIG_CELL = "长" * (10_000_000 // len("长".encode()) + 1)

FORMULAS = {
    "S003": '=HYPERLINK("http://evil.example/x","点击查看")',
    "P002": "+cmd|' /C calc'!A0",
    "E003": "@SUM(A1:A9)",
    "E004": "-2+3",
}


@dataclass(frozen=True)
class Source:
    """What to hand to ``load_source`` (and ``sunlight load``): a folder or workbook, and a mapping."""

    path: Path
    mapping: Path | None = None


@dataclass(frozen=True)
class Expect:
    """One problem the report must hold, and words its message must show besides its reason."""

    file: str
    row: int | None
    column: str | None
    code: str
    words: tuple[str, ...] = ()

    @property
    def where(self) -> tuple[str, int | None, str | None, str]:
        return (self.file, self.row, self.column, self.code)


def at(file: str, row: int | None, column: str | None, code: str, *words: str) -> Expect:
    return Expect(file, row, column, code, words)


@dataclass(frozen=True)
class Case:
    name: str
    given: str  # the input, in a phrase
    decision: str  # what the loader does with it, and why
    write: Callable[[Path], Source]
    errors: tuple[Expect, ...] = ()
    warnings: tuple[Expect, ...] = ()
    check: Callable[[LoadResult], None] | None = None  # on the loaded data
    in_store: Callable[[GraphSnapshot], None] | None = None  # on the store after `sunlight load`
    # Loaded into a store that already holds the valid extract (what `sunlight load` does), a
    # missing file is an incremental load, not an error: the outcome there, when it differs.
    into_store: str | None = None

    @property
    def outcome(self) -> str:
        return "error" if self.errors else "warning" if self.warnings else "accepted"

    @property
    def store_outcome(self) -> str:
        return self.into_store or self.outcome


# ---- writers ---------------------------------------------------------------------------------
Writer = Callable[[Path], Source]


def extract(folder: Path) -> Path:
    """A copy of the valid extract in ``folder/extract``."""
    target = folder / "extract"
    shutil.copytree(VALID, target)
    return target


def text_of(file: str) -> str:
    return (VALID / file).read_text(encoding="utf-8")


def replaced(file: str, old: str, new: str) -> Writer:
    """The valid extract with the first ``old`` in ``file`` written as ``new``."""

    def write(folder: Path) -> Source:
        target = extract(folder)
        text = text_of(file)
        if old not in text:
            raise AssertionError(f"{old!r} is not in {file}")
        (target / file).write_text(text.replace(old, new, 1), encoding="utf-8")
        return Source(target)

    return write


def with_bytes(file: str, make: Callable[[str], bytes]) -> Writer:
    """The valid extract with ``file`` replaced by ``make(its valid text)``."""

    def write(folder: Path) -> Source:
        target = extract(folder)
        (target / file).write_bytes(make(text_of(file)))
        return Source(target)

    return write


def frames() -> dict[str, pd.DataFrame]:
    return {
        path.stem: pd.read_csv(path, dtype=str, keep_default_na=False) for path in sorted(VALID.glob("*.csv"))
    }


def workbook_bytes(leave_out: tuple[str, ...] = ()) -> bytes:
    """The valid extract as an Excel workbook, one sheet per table, all cells text."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, frame in frames().items():
        if name in leave_out:
            continue
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            sheet.append([value or None for value in record])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook(leave_out: tuple[str, ...] = ()) -> Writer:
    def write(folder: Path) -> Source:
        path = folder / "book.xlsx"
        path.write_bytes(workbook_bytes(leave_out))
        return Source(path)

    return write


def parquet_contracts(columns: dict[str, pa.Array]) -> Writer:
    """The valid extract with contracts as a Parquet file of the given columns."""

    def write(folder: Path) -> Source:
        target = extract(folder)
        (target / "contracts.csv").unlink()
        contracts = frames()["contracts"]
        table = pa.table(
            {"contract_id": contracts["contract_id"], "supplier_id": contracts["supplier_id"], **columns}
        )
        pq.write_table(table, target / "contracts.parquet")
        return Source(target)

    return write


def mapped(mapping_text: str | bytes) -> Writer:
    def write(folder: Path) -> Source:
        target = extract(folder)
        mapping = folder / "mapping.yaml"
        if isinstance(mapping_text, bytes):
            mapping.write_bytes(mapping_text)
        else:
            mapping.write_text(mapping_text, encoding="utf-8")
        return Source(target, mapping)

    return write


def gbk_mostly_ascii(folder: Path) -> Source:
    """Two hundred ASCII-only suppliers, then the three of the extract with their Chinese names."""
    target = extract(folder)
    header, *rows = text_of("suppliers.csv").splitlines()
    filler = [f"S9{i:03d},Filler Supplier {i} Ltd,,,,,,,,," for i in range(200)]
    (target / "suppliers.csv").write_bytes(("\n".join([header, *filler, *rows]) + "\n").encode("gbk"))
    return Source(target)


def concatenated(folder: Path) -> Source:
    """``cat contracts.csv more.csv`` where both files were saved by Excel as "CSV UTF-8" (with a BOM)."""
    target = extract(folder)
    header = text_of("contracts.csv").splitlines()[0]
    more = "\ufeff" + header + "\nC005,S001,1000,2024-04-01,D01,E001,IT,鼠标,10,100,inquiry,,\n"
    (target / "contracts.csv").write_text("\ufeff" + text_of("contracts.csv") + more, encoding="utf-8")
    return Source(target)


def formulas(folder: Path) -> Source:
    """Names that a spreadsheet would run as formulas, each a real name field of the extract."""
    target = extract(folder)
    edits = {
        "suppliers.csv": ("S003,ACME Trading Ltd", "S003," + _csv_quoted(FORMULAS["S003"])),
        "persons.csv": ("P002,吴十", "P002," + FORMULAS["P002"]),
        "employees.csv": ("E003,王五", "E003," + FORMULAS["E003"]),
    }
    for file, (old, new) in edits.items():
        text = text_of(file)
        (target / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    employees = (target / "employees.csv").read_text(encoding="utf-8")
    (target / "employees.csv").write_text(
        employees.replace("E004,赵六", "E004," + FORMULAS["E004"], 1), "utf-8"
    )
    return Source(target)


def _csv_quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def zip_named_csv(folder: Path) -> Source:
    target = extract(folder)
    (target / "contracts.csv").write_bytes(workbook_bytes())
    return Source(target)


def plain_zip_named_xlsx(folder: Path) -> Source:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    path = folder / "book.xlsx"
    path.write_bytes(buffer.getvalue())
    return Source(path)


def missing_folder(folder: Path) -> Source:
    return Source(folder / "no-such-extract")


def dropped_column(file: str, column: str) -> Writer:
    def write(folder: Path) -> Source:
        target = extract(folder)
        frame = frames()[file.removesuffix(".csv")].drop(columns=[column])
        frame.to_csv(target / file, index=False, lineterminator="\n")
        return Source(target)

    return write


# ---- checks on what was loaded -------------------------------------------------------------------
def node_value(result: LoadResult, label: str, node_id: str, prop: str) -> object:
    frame = result.data.nodes[label].set_index("id")
    return frame.loc[node_id, prop]


def same_as_valid(result: LoadResult) -> None:
    """Every table of the valid extract arrived whole."""
    counts = {label: len(frame) for label, frame in result.data.nodes.items()}
    assert counts == {
        "Employee": 4,
        "Department": 4,
        "Phone": 7,
        "BankAccount": 4,
        "Address": 1,
        "IdNumber": 4,
        "Supplier": 3,
        "Person": 2,
        "Contract": 4,
        "Tender": 2,
        "Payment": 3,
    }, counts
    assert len(result.data.rels[("APPROVED", "Employee", "Contract")]) == 7


def contract_value(prop: str, node_id: str, expected: object) -> Callable[[LoadResult], None]:
    def check(result: LoadResult) -> None:
        same_as_valid(result)
        value = node_value(result, "Contract", node_id, prop)
        assert value == expected, f"{node_id}.{prop} = {value!r}, expected {expected!r}"

    return check


def gbk_read(result: LoadResult) -> None:
    assert result.report.tables["suppliers"].encoding == "gb18030"
    assert len(result.data.nodes["Supplier"]) == 203
    assert node_value(result, "Supplier", "S001", "name") == "某某(北京)科技有限公司"
    assert node_value(result, "Supplier", "S002", "name") == "华东办公用品有限公司"


def no_approvals(result: LoadResult) -> None:
    assert len(result.data.nodes["Contract"]) == 4
    approved = result.data.rels.get(("APPROVED", "Employee", "Contract"))
    assert approved is None or approved.empty


def bom_removed(result: LoadResult) -> None:
    same_as_valid(result)
    assert "C003" in set(result.data.nodes["Contract"]["id"])


def unnamed_kept(result: LoadResult) -> None:
    same_as_valid(result)
    extra = node_value(result, "Contract", "C001", "extra")
    assert isinstance(extra, str) and '"column_7":"IT"' in extra


def formulas_loaded(result: LoadResult) -> None:
    same_as_valid(result)
    assert node_value(result, "Supplier", "S003", "name") == FORMULAS["S003"]
    assert node_value(result, "Person", "P002", "name") == FORMULAS["P002"]
    assert node_value(result, "Employee", "E003", "name") == FORMULAS["E003"]
    assert node_value(result, "Employee", "E004", "name") == FORMULAS["E004"]


def formulas_stored(snapshot: GraphSnapshot) -> None:
    names = {
        **snapshot.suppliers.set_index("id")["name"].to_dict(),
        **snapshot.persons.set_index("id")["name"].to_dict(),
        **snapshot.employees.set_index("id")["name"].to_dict(),
    }
    for node_id, formula in FORMULAS.items():
        assert names[node_id] == formula, (node_id, names[node_id])


def big_cell_loaded(result: LoadResult) -> None:
    same_as_valid(result)
    assert node_value(result, "Contract", "C001", "item") == BIG_CELL


def big_cell_stored(snapshot: GraphSnapshot) -> None:
    item = snapshot.contracts.set_index("id").loc["C001", "item"]
    assert item == BIG_CELL


def long_name_kept(result: LoadResult) -> None:
    same_as_valid(result)
    assert node_value(result, "Supplier", "S002", "name") == "华东办公用品有限公司" * 500_000


def huge_stored(snapshot: GraphSnapshot) -> None:
    assert snapshot.contracts.set_index("id").loc["C003", "amount"] == 1e30


# ---- the corpus ----------------------------------------------------------------------------------
C, A, P = "contracts.csv", "approvals.csv", "persons.csv"

CASES: tuple[Case, ...] = (
    # -- encodings ----------------------------------------------------------------------------------
    Case(
        "gbk_mostly_ascii",
        "suppliers.csv in GBK whose first 200 rows are plain ASCII",
        "accepted: the whole file is tried as UTF-8 before GB18030 is chosen, so no sniffed prefix decides; "
        "the report names the encoding used",
        gbk_mostly_ascii,
        check=gbk_read,
    ),
    Case(
        "utf16_with_bom",
        "persons.csv saved as UTF-16 (Excel's “Unicode Text”)",
        "error: named as UTF-16, with the way to save it as UTF-8",
        with_bytes(P, lambda text: text.encode("utf-16")),
        errors=(at(P, None, None, "utf16", "UTF-16", "CSV UTF-8"),),
    ),
    Case(
        "utf16_without_bom",
        "persons.csv as UTF-16LE without a byte-order mark",
        "error: NUL bytes, found on the first line",
        with_bytes(P, lambda text: text.encode("utf-16-le")),
        errors=(at(P, 1, None, "nul_bytes", "NUL", "UTF-16"),),
    ),
    Case(
        "latin1_valid_as_gbk",
        "persons.csv in Latin-1 whose bytes happen to be valid GBK (Müller, Jörg)",
        "error: read as GBK it would silently become “M黮ler”; text with no common Chinese character "
        "at all is refused as probable Latin-1",
        with_bytes(P, lambda _: "person_id,name\nP001,Müller\nP002,Jörg\n".encode("latin-1")),
        errors=(at(P, 2, None, "likely_latin1", "Latin-1", "M黮ler"),),
    ),
    Case(
        "latin1_undecodable",
        "persons.csv in Latin-1 with “é” before a comma (neither UTF-8 nor GBK)",
        "error: the first bad byte is named by row and offset",
        with_bytes(P, lambda _: "person_id,name\nP001,Soci\u00e9t\u00e9\nP002,Caf\u00e9\n".encode("latin-1")),
        errors=(at(P, 2, None, "undecodable", "offset 24"),),
    ),
    Case(
        "utf8_mojibake",
        "persons.csv in UTF-8 that was once read as Latin-1 and saved again as UTF-8 (周九 → å¨ä¹)",
        "error: the garbled run and the text it stands for are shown",
        with_bytes(P, lambda text: text.encode("utf-8").decode("latin-1").encode("utf-8")),
        errors=(at(P, 2, None, "mojibake", "周"),),
    ),
    Case(
        "nul_in_a_name",
        "a NUL byte inside a person's name",
        "error: NUL bytes are never text; the row is named",
        replaced(P, "周九", "周\x00九"),
        errors=(at(P, 2, None, "nul_bytes", "NUL"),),
    ),
    Case(
        "random_bytes",
        "contracts.csv holding 4 KiB of random bytes (seed 1)",
        "error: binary data, refused before any decoding",
        with_bytes(C, lambda _: random.Random(1).randbytes(4096)),
        errors=(at(C, 1, None, "nul_bytes", "binary"),),
    ),
    Case(
        "xlsx_named_csv",
        "an Excel workbook renamed contracts.csv",
        "error: recognised as a ZIP archive, with the likely cause",
        zip_named_csv,
        errors=(at(C, None, None, "zip_file", "ZIP", "Excel"),),
    ),
    # -- file shape ---------------------------------------------------------------------------------
    Case(
        "empty_file",
        "contracts.csv of zero bytes",
        "error: an empty file (no column errors and no dangling references into it)",
        with_bytes(C, lambda _: b""),
        errors=(at(C, None, None, "empty_file", "empty"),),
    ),
    Case(
        "bom_only_file",
        "employees.csv holding only a UTF-8 byte-order mark and a line break",
        "error: as empty as an empty file",
        with_bytes("employees.csv", lambda _: b"\xef\xbb\xbf\r\n"),
        errors=(at("employees.csv", None, None, "empty_file"),),
    ),
    Case(
        "header_only",
        "approvals.csv with its header and no rows",
        "warning: loaded (an incremental extract may have no approvals), but an export cut short "
        "looks the same, so it is said",
        with_bytes(A, lambda text: (text.splitlines()[0] + "\n").encode()),
        warnings=(at(A, None, None, "no_records", "no records"),),
        check=no_approvals,
    ),
    Case(
        "missing_required_column",
        "contracts.csv without its signed_date column",
        "error: the column is named, on the header row",
        dropped_column(C, "signed_date"),
        errors=(at(C, 1, "signed_date", "missing_column"),),
    ),
    Case(
        "semicolon_delimiter",
        "contracts.csv separated by semicolons (European Excel)",
        "error: one wrong-delimiter message instead of four missing columns",
        with_bytes(C, lambda text: text.replace(",", ";").encode()),
        errors=(at(C, 1, None, "wrong_delimiter", "semicolons"),),
    ),
    Case(
        "tab_delimiter",
        "employees.csv separated by tabs",
        "error: the delimiter is named",
        with_bytes("employees.csv", lambda text: text.replace(",", "\t").encode()),
        errors=(at("employees.csv", 1, None, "wrong_delimiter", "tabs"),),
    ),
    Case(
        "unbalanced_quote",
        'employees.csv row 4 opens a quote that never closes (E003,"王五,...)',
        "error: the row and column where the runaway value starts, not the end of the file",
        replaced("employees.csv", "E003,王五", 'E003,"王五'),
        errors=(at("employees.csv", 4, "name", "unclosed_quote"),),
    ),
    Case(
        "row_with_extra_field",
        "payments.csv row 3 has one field too many",
        "error: the row, with both counts",
        replaced("payments.csv", "PAY002,C003,", "PAY002,C003,,"),
        errors=(at("payments.csv", 3, None, "ragged_row", "7 fields", "header has 6"),),
    ),
    Case(
        "row_with_missing_fields",
        "bids.csv row 3 cut short after three fields",
        "error: the row, with both counts",
        replaced("bids.csv", "T001,S002,49000,false,2023-12-20T11:00:00", "T001,S002,49000"),
        errors=(at("bids.csv", 3, None, "ragged_row", "3 fields", "header has 5"),),
    ),
    Case(
        "crlf_line_ends",
        "every file with Windows line ends (CRLF)",
        "accepted: the same graph as with LF",
        lambda folder: _every_file(folder, lambda text: text.replace("\n", "\r\n")),
        check=same_as_valid,
    ),
    Case(
        "mixed_line_ends",
        "contracts.csv mixing CRLF, LF and a lone CR",
        "accepted: the same graph",
        with_bytes(C, lambda text: text.replace("\n", "\r\n", 2).replace("\n", "\r", 1).encode()),
        check=contract_value("amount", "C004", 120000.0),
    ),
    Case(
        "bom_before_a_row",
        "a UTF-8 byte-order mark at the start of contracts.csv row 4 (before C003)",
        "warning: the mark is removed and said so; otherwise “\\ufeffC003” would look like C003 "
        "and match nothing",
        replaced(C, "\nC003", "\n\ufeffC003"),
        warnings=(at(C, 4, None, "stray_bom", "byte-order"),),
        check=bom_removed,
    ),
    Case(
        "concatenated_files",
        "two “CSV UTF-8” exports joined with cat: a BOM and a second header in row 6",
        "error: the repeated header row fails as data, value by value (and the mark is noted)",
        concatenated,
        errors=(
            at(C, 6, "amount", "bad_money", "'amount'"),
            at(C, 6, "signed_date", "bad_date"),
            at(C, 6, "quantity", "bad_number"),
            at(C, 6, "unit_price", "bad_money"),
            at(C, 6, "supplier_id", "dangling", "'supplier_id'"),
            at(C, 6, "requester_id", "dangling"),
        ),
        warnings=(at(C, 6, None, "stray_bom"), at(C, 6, "method", "unknown_method", "'method'")),
    ),
    Case(
        "duplicated_header",
        "contracts.csv naming category twice in its header",
        "error: neither column is read (which one holds the data is a guess)",
        replaced(C, "category,item", "category,category"),
        errors=(at(C, 1, "category", "duplicate_column"),),
    ),
    Case(
        "unnamed_column",
        "contracts.csv with an empty header cell over a column of values",
        "warning: the values are kept under a made-up name, not dropped",
        replaced(C, "category,item", ",item"),
        warnings=(at(C, 1, "#7", "unnamed_column", "column_7"),),
        check=unnamed_kept,
    ),
    # -- values -------------------------------------------------------------------------------------
    Case(
        "impossible_date",
        "signed_date 2024-02-30",
        "error: not a date",
        replaced(C, "2024-02-01,D02", "2024-02-30,D02"),
        errors=(at(C, 4, "signed_date", "bad_date", "2024-02-30"),),
    ),
    Case(
        "day_first_date",
        "signed_date 24/03/2024",
        "error: day-first and month-first cannot be told apart in general (03/04/2024), so neither is guessed",
        replaced(C, "2024-02-01,D02", "24/03/2024,D02"),
        errors=(at(C, 4, "signed_date", "bad_date", "24/03/2024"),),
    ),
    Case(
        "chinese_date",
        "signed_date 2024年3月1日",
        "accepted: year-month-day order is unambiguous; read as 2024-03-01 (documented in loaders.parsing)",
        replaced(C, "2024-02-01,D02", "2024年3月1日,D02"),
        check=contract_value("signed_date", "C003", pd.Timestamp("2024-03-01")),
    ),
    Case(
        "excel_serial_date",
        "signed_date 45352 (an Excel day number)",
        "error: a bare number is not guessed to be a date",
        replaced(C, "2024-02-01,D02", "45352,D02"),
        errors=(at(C, 4, "signed_date", "bad_date", "45352"),),
    ),
    Case(
        "hour_24",
        "approved_at 2024-01-31T24:00:00",
        "error: 24:00 would silently become the next day",
        replaced(A, "2024-01-31T09:00:00", "2024-01-31T24:00:00"),
        errors=(at(A, 5, "approved_at", "bad_timestamp"),),
    ),
    Case(
        "negative_amount",
        "amount -8000",
        "error: money is never negative in the data contract (a refund is its own record)",
        replaced(C, "C003,S002,8000", "C003,S002,-8000"),
        errors=(at(C, 4, "amount", "negative_amount", "-8000"),),
    ),
    Case(
        "nan_amount",
        "amount NaN",
        "error: not an amount",
        replaced(C, "C003,S002,8000", "C003,S002,NaN"),
        errors=(at(C, 4, "amount", "bad_money", "NaN"),),
    ),
    Case(
        "infinite_amount",
        "amount inf",
        "error: not an amount",
        replaced(C, "C003,S002,8000", "C003,S002,inf"),
        errors=(at(C, 4, "amount", "bad_money", "inf"),),
    ),
    Case(
        "overflowing_amount",
        "amount 1e400 (beyond a double)",
        "error: not an amount (it would read as infinity)",
        replaced(C, "C003,S002,8000", "C003,S002,1e400"),
        errors=(at(C, 4, "amount", "bad_money", "1e400"),),
    ),
    Case(
        "huge_amount",
        "amount 1e30",
        "warning: loaded as written (it may be true in another currency unit), but flagged: "
        "one such value would dominate every concentration measure",
        replaced(C, "C003,S002,8000", "C003,S002,1e30"),
        warnings=(at(C, 4, "amount", "huge_amount", "trillion"),),
        check=contract_value("amount", "C003", 1e30),
        in_store=huge_stored,
    ),
    Case(
        "approval_in_the_future",
        "an approval dated 2031",
        "warning: loaded as written, but no record of an extract can be dated after the day of its load",
        replaced(A, "C001,2,E004,2024-01-04T16:00:00", "C001,2,E004,2031-01-04T16:00:00"),
        warnings=(at(A, 3, "approved_at", "future_date", "2031-01-04", "after the day of the load"),),
        check=same_as_valid,
    ),
    Case(
        "contract_signed_in_the_future",
        "a contract signed on 2099-02-01",
        "warning: loaded as written (a wrong year is the usual cause), flagged with the date",
        replaced(C, "C003,S002,8000,2024-02-01", "C003,S002,8000,2099-02-01"),
        warnings=(at(C, 4, "signed_date", "future_date", "2099-02-01"),),
        check=contract_value("signed_date", "C003", pd.Timestamp("2099-02-01")),
    ),
    Case(
        "five_megabyte_supplier_name",
        "a supplier name of 5,000,000 characters",
        "warning: loaded as written (the app cuts it on screen); the warning shows its start and its length",
        replaced("suppliers.csv", "S002,华东办公用品有限公司", "S002," + "华东办公用品有限公司" * 500_000),
        warnings=(at("suppliers.csv", 3, "name", "long_text", "2,000", "5,000,000"),),
        check=long_name_kept,
    ),
    Case(
        "mixed_types_in_a_column",
        "approval step “two” among numbers",
        "error: the one value that is not a whole number",
        replaced(A, "C001,2,E004", "C001,two,E004"),
        errors=(at(A, 3, "step", "bad_integer", "two"),),
    ),
    Case(
        "bad_yes_no",
        "is_winner “maybe”",
        "error: not one of the accepted yes/no words",
        replaced("bids.csv", "49000,false", "49000,maybe"),
        errors=(at("bids.csv", 3, "is_winner", "bad_bool", "maybe"),),
    ),
    Case(
        "exact_duplicate_approval_row",
        "an approval row repeated word for word (an ERP export artefact)",
        "warning: the copy is dropped, the row of the first named; the rest loads as if it were not there",
        with_bytes(A, lambda text: (text + "C002,1,E002,2024-01-19T21:30:00,approve\n").encode()),
        warnings=(
            at(A, 9, "contract_id+step+approver_id", "duplicate_row", "row 4", "C002 / 1 / E002", "dropped"),
        ),
        check=same_as_valid,
    ),
    Case(
        "approval_row_repeated_with_another_time",
        "an approval step repeated with another time",
        "error: the rows differ, so which one is true is not the loader's to choose",
        with_bytes(A, lambda text: (text + "C002,1,E002,2024-01-20T09:30:00,approve\n").encode()),
        errors=(at(A, 9, "contract_id+step+approver_id", "duplicate_key", "first at row 4"),),
    ),
    Case(
        "duplicate_id",
        "a second supplier S002 at the end of suppliers.csv",
        "error: the duplicate and the row of the first",
        with_bytes("suppliers.csv", lambda text: (text + "S002,另一家公司,,,,,,,,,\n").encode()),
        errors=(at("suppliers.csv", 5, "supplier_id", "duplicate_key", "first at row 3", "S002"),),
    ),
    Case(
        "dangling_reference",
        "a bid by supplier S404, who is in no file",
        "error: the unknown id and where it was looked for",
        replaced("bids.csv", "T002,S003", "T002,S404"),
        errors=(at("bids.csv", 4, "supplier_id", "dangling", "S404", "suppliers.csv"),),
    ),
    Case(
        "full_width_reference",
        "an approval naming contract Ｃ００３ in full-width characters",
        "error: identifiers are matched as written (keys are never rewritten); the value is shown",
        replaced(A, "C003,1,E002", "Ｃ００３,1,E002"),
        errors=(at(A, 5, "contract_id", "dangling", "Ｃ００３"),),
    ),
    Case(
        "unknown_relation_kind",
        "relation FRIEND_OF",
        "error: with the kinds that exist",
        replaced("relations.csv", "RELATIVE_OF", "FRIEND_OF"),
        errors=(at("relations.csv", 3, "relation", "unknown_relation", "FRIEND_OF", "RELATIVE_OF"),),
    ),
    Case(
        "unknown_party_type",
        "a relation from a “robot”",
        "error: with the types that exist",
        replaced("relations.csv", "employee,E004,配偶", "robot,E004,配偶"),
        errors=(at("relations.csv", 5, "src_type", "unknown_party_type", "robot"),),
    ),
    Case(
        "self_loop",
        "employee E004 is her own spouse",
        "error: a relation joins two parties",
        replaced("relations.csv", "employee,E004,配偶,person,P002", "employee,E004,配偶,employee,E004"),
        errors=(at("relations.csv", 5, "dst_id", "self_loop", "E004"),),
    ),
    Case(
        "formula_injection",
        "names =HYPERLINK(...), +cmd|' /C calc'!A0, @SUM(A1:A9), -2+3",
        "accepted: they are data and are stored exactly as given; CSV and Excel exports escape them "
        "(sunlight.export.escape_formula)",
        formulas,
        check=formulas_loaded,
        in_store=formulas_stored,
    ),
    Case(
        "ten_megabyte_cell",
        "a contract item of ten megabytes (3.3 million Chinese characters)",
        "warning: stored whole (nothing is cut without a word); the warning shows its start and length",
        replaced(C, "服务器", BIG_CELL),
        warnings=(at(C, 2, "item", "long_text", f"{len(BIG_CELL):,}"),),
        check=big_cell_loaded,
        in_store=big_cell_stored,
    ),
    # -- workbooks, Parquet, mapping files, the source itself --------------------------------------------
    Case(
        "xlsx_missing_sheet",
        "a workbook without a suppliers sheet",
        "error: the missing sheet is named as book.xlsx[suppliers]; loaded into a store that holds "
        "the suppliers already, it is an incremental load (a warning)",
        workbook(leave_out=("suppliers",)),
        errors=(at("book.xlsx[suppliers]", None, None, "missing_file"),),
        into_store="warning",
    ),
    Case(
        "zip_named_xlsx",
        "a ZIP archive that is no workbook, named book.xlsx",
        "error: unreadable, said once (not also every sheet as missing)",
        plain_zip_named_xlsx,
        errors=(at("book.xlsx", None, None, "unreadable", "Content_Types"),),
    ),
    Case(
        "parquet_wrong_types",
        "contracts.parquet with amount as booleans and signed_date as epoch seconds",
        "error: every value that is not of its type, by row (typed cells are written out, then read "
        "as the data contract reads text)",
        parquet_contracts(
            {
                "amount": pa.array([True, False, True, True]),
                "signed_date": pa.array([1704412800, 1705708800, 1706745600, 1709424000], pa.int64()),
            }
        ),
        errors=(
            *(at("contracts.parquet", row, "amount", "bad_money", "true") for row in (2, 4, 5)),
            at("contracts.parquet", 3, "amount", "bad_money", "false"),
            *(at("contracts.parquet", row, "signed_date", "bad_date", "YYYY-MM-DD") for row in (2, 3, 4, 5)),
        ),
    ),
    Case(
        "parquet_nested_column",
        "contracts.parquet whose amount column holds lists",
        "error: the column type is named",
        parquet_contracts(
            {"amount": pa.array([[1], [2], [3], [4]]), "signed_date": pa.array(["2024-01-05"] * 4)}
        ),
        errors=(at("contracts.parquet", 1, "amount", "unsupported_column_type", "list"),),
    ),
    Case(
        "mapping_two_columns_to_one",
        "a mapping file that maps both 金额 and 合同金额 to amount",
        "error: refused before any file is read, naming both columns",
        mapped("contracts:\n  金额: amount\n  合同金额: amount\n"),
        errors=(at("mapping.yaml", None, "contracts.合同金额", "bad_mapping", "金额", "both map to amount"),),
    ),
    Case(
        "mapping_not_yaml",
        "a mapping file with an unclosed bracket",
        "error: the YAML line",
        mapped("contracts: [合同编号, 金额\n"),
        errors=(at("mapping.yaml", 2, None, "bad_yaml"),),
    ),
    Case(
        "mapping_binary",
        "a mapping file of random bytes",
        "error: not YAML",
        mapped(random.Random(3).randbytes(200)),
        errors=(at("mapping.yaml", None, None, "bad_yaml", "utf-8"),),
    ),
    Case(
        "policy_not_yaml",
        "policy.yaml with an unclosed bracket",
        "error: the YAML line",
        replaced("policy.yaml", "currency: CNY", "currency: [CNY"),
        errors=(at("policy.yaml", 2, None, "bad_yaml"),),
    ),
    Case(
        "no_such_source",
        "a folder that does not exist",
        "error: said once",
        missing_folder,
        errors=(at("{source}", None, None, "no_source"),),
    ),
)


def _every_file(folder: Path, change: Callable[[str], str]) -> Source:
    target = extract(folder)
    for path in target.glob("*.csv"):
        path.write_bytes(change(path.read_text(encoding="utf-8")).encode("utf-8"))
    return Source(target)


def case_named(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(name)
