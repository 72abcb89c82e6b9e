"""The bad-input corpus (``tests/bad_inputs``) through the loaders, ``sunlight load`` and a real store.

For every case:

* the loader's report holds exactly the expected errors and warnings, and each message names
  its file, its row (where there is one), its column (where there is one) and its reason, in
  English and in Chinese, with the words the case asks for;
* a refused load through ``sunlight load`` exits 1 with those messages on stderr and leaves a
  store that holds an earlier good load exactly as it was (counts, every snapshot frame, trail);
* a load with warnings exits 0, says the warnings, and the rest is in the store.

Formula-like names are stored as given and escaped only on export.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from bad_inputs.cases import CASES, FORMULAS, VALID, Case, Expect, Source, case_named

from graph.ladybug_store import LadybugStore
from loaders import LoadError, LoadReport, LoadResult, Problem, Severity, load_source
from sunlight.audit import AuditLog
from sunlight.cli import main
from sunlight.export import escape_formula, to_csv_text, to_xlsx_bytes

ERROR_CASES = [c for c in CASES if c.store_outcome == "error"]
# Loads that go through: those with warnings or with something to look for in the store. The
# formula case has a test of its own below; cases accepted silently are checked on the loaded data.
LOADED_CASES = [
    c
    for c in CASES
    if c.store_outcome != "error"
    and (c.warnings or c.in_store or c.into_store)
    and c.name != "formula_injection"
]
SNAPSHOT_FRAMES = (
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


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in English, whatever the machine's locale (the loader follows LANG)."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)


# ---- helpers ---------------------------------------------------------------------------------------
def attempt(source: Source, existing: Any = None) -> tuple[LoadResult | None, LoadReport]:
    try:
        result = load_source(source.path, mapping=source.mapping, existing=existing)
    except LoadError as error:
        return None, error.report
    return result, result.report


def expected(case: Case, source: Source, kind: str) -> list[Expect]:
    listed = case.errors if kind == "errors" else case.warnings
    return [Expect(e.file.format(source=source.path), e.row, e.column, e.code, e.words) for e in listed]


def assert_names_it(problem: Problem, expect: Expect, text_en: str, text_zh: str) -> None:
    """The message names file, row, column and reason, in both languages, and shows the case's words."""
    line = problem.text("en")
    assert line.startswith(expect.file), line
    assert (f"row {expect.row}" in line) == (expect.row is not None), line
    assert expect.column is None or f"column {expect.column}" in line, line
    assert problem.reason and problem.reason in line, line
    for word in expect.words:
        assert word in line, f"{word!r} not in {line!r}"
    zh = problem.text("zh")
    assert zh.startswith(expect.file) and problem.reason_zh and problem.reason_zh in zh, zh
    assert expect.row is None or f"第 {expect.row} 行" in zh, zh
    assert expect.column is None or f"列“{expect.column}”" in zh, zh
    assert line in text_en, f"{line!r} is not in the report"
    assert zh in text_zh, f"{zh!r} is not in the report"


def where(problems: Any) -> list[tuple[str, int | None, str | None, str]]:
    return sorted(((p.file, p.row, p.column, p.code) for p in problems), key=repr)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def load_args(store: Path, source: Source) -> list[str]:
    args = ["--lang", "en", "--store", str(store), "load", str(source.path)]
    return [*args, "--mapping", str(source.mapping)] if source.mapping else args


State = tuple[dict[str, dict[str, int]], dict[str, pd.DataFrame], int]


def store_state(folder: Path) -> State:
    """Counts, every snapshot frame (sorted) and the length of the trail."""
    with LadybugStore(folder, read_only=True) as store:
        # the numbers of store.counts(), in two queries rather than one per label and type
        nodes = store.query("MATCH (n) RETURN label(n) AS label, count(*) AS n")
        rels = store.query("MATCH ()-[r]->() RETURN label(r) AS label, count(*) AS n")
        counts = {
            "nodes": dict(zip(nodes["label"], nodes["n"], strict=True)),
            "relationships": dict(zip(rels["label"], rels["n"], strict=True)),
        }
        snapshot = store.snapshot()
    frames = {}
    for name in SNAPSHOT_FRAMES:
        frame = getattr(snapshot, name)
        frames[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    frames["policy"] = pd.DataFrame([snapshot.policy])
    return counts, frames, len(AuditLog(folder).entries())


def assert_same_state(after: State, before: State) -> None:
    assert after[0] == before[0]
    for name, frame in before[1].items():
        pd.testing.assert_frame_equal(after[1][name], frame, obj=name)
    assert after[2] == before[2], "the trail changed"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, State, dict[str, set[str]]]:
    """A store holding the valid extract, loaded through `sunlight load`, and its state."""
    folder = tmp_path_factory.mktemp("baseline") / "store"
    assert main(["--lang", "en", "--store", str(folder), "load", str(VALID)]) == 0
    with LadybugStore(folder, read_only=True) as store:
        snapshot = store.snapshot()
    ids = {
        label: set(getattr(snapshot, frame)["id"])
        for label, frame in (
            ("Employee", "employees"),
            ("Supplier", "suppliers"),
            ("Person", "persons"),
            ("Contract", "contracts"),
            ("Department", "departments"),
            ("Tender", "tenders"),
            ("Payment", "payments"),
        )
    }
    return folder, store_state(folder), ids


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store that the loadable cases are written into, one after another."""
    return tmp_path_factory.mktemp("scratch") / "store"


# ---- the corpus itself --------------------------------------------------------------------------------
def test_the_corpus_is_large_and_its_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    assert {c.outcome for c in CASES} == {"error", "warning", "accepted"}


def test_the_readme_lists_every_case_with_its_outcome() -> None:
    readme = (Path(__file__).parent / "bad_inputs" / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[2]
    assert rows == {c.name: c.outcome for c in CASES}


# ---- every case through the loader ------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_loader_reports_each_case_by_file_row_column_and_reason(case: Case, tmp_path: Path) -> None:
    source = case.write(tmp_path)
    result, report = attempt(source)
    errors, warnings = expected(case, source, "errors"), expected(case, source, "warnings")
    assert where(report.errors) == sorted((e.where for e in errors), key=repr)
    assert where(report.warnings) == sorted((w.where for w in warnings), key=repr)
    assert (result is None) == (case.outcome == "error")
    # what a person reads: the refusal lists the errors, the summary lists everything
    refusal = LoadError(report)
    for expect in [*errors, *warnings]:
        (problem,) = [p for p in report.all_problems if (p.file, p.row, p.column, p.code) == expect.where]
        assert problem.severity == (Severity.ERROR if expect in errors else Severity.WARNING)
        if problem.severity == Severity.ERROR:
            assert_names_it(problem, expect, refusal.text("en", limit=50), refusal.text("zh", limit=50))
        assert_names_it(problem, expect, report.summary("en", limit=50), report.summary("zh", limit=50))
    if result is not None and case.check is not None:
        case.check(result)


# ---- refused loads through the command line leave the store as it was ------------------------------------
@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_a_refused_load_exits_1_with_the_messages_and_leaves_the_store_unchanged(
    case: Case, tmp_path: Path, baseline: tuple[Path, State, dict[str, set[str]]], capsys: Any
) -> None:
    folder, before, ids = baseline
    source = case.write(tmp_path)
    result, report = attempt(source, existing=lambda label: ids.get(label, set()))
    assert result is None, "refused on its own but loaded into the store"
    code, out, err = run_cli(capsys, *load_args(folder, source))
    assert code == 1
    assert "Traceback" not in err and "Traceback" not in out
    if source.path.exists():
        for line in report.problem_lines(Severity.ERROR, "en", limit=20):
            assert line in err, f"{line!r} not on stderr:\n{err}"
    else:
        assert f"Not found: {source.path}" in err
    assert_same_state(store_state(folder), before)


# ---- loads with warnings go through and the rest is stored ----------------------------------------------
@pytest.mark.parametrize("case", LOADED_CASES, ids=[c.name for c in LOADED_CASES])
def test_a_load_with_warnings_exits_0_says_them_and_stores_the_rest(
    case: Case, tmp_path: Path, scratch: Path, capsys: Any
) -> None:
    source = case.write(tmp_path)
    code, out, err = run_cli(capsys, *load_args(scratch, source))
    assert code == 0, err
    assert "Traceback" not in err
    with LadybugStore(scratch, read_only=True) as store:
        snapshot = store.snapshot()
    result, report = attempt(source, existing=lambda label: set(store_ids(snapshot, label)))
    assert result is not None
    for line in report.problem_lines(Severity.WARNING, "en", limit=20):
        assert line in out, f"{line!r} not in the summary:\n{out}"
    if case.in_store is not None:
        case.in_store(snapshot)
    loaded = set(snapshot.contracts["id"])
    assert {"C001", "C002", "C003", "C004"} <= loaded


def store_ids(snapshot: Any, label: str) -> set[str]:
    frame = {
        "Employee": snapshot.employees,
        "Supplier": snapshot.suppliers,
        "Person": snapshot.persons,
        "Contract": snapshot.contracts,
        "Department": snapshot.departments,
        "Tender": snapshot.tenders,
        "Payment": snapshot.payments,
    }.get(label)
    return set() if frame is None else set(frame["id"])


# ---- no traceback from a real process ---------------------------------------------------------------------
def test_the_sunlight_command_refuses_binary_garbage_without_a_traceback(tmp_path: Path) -> None:
    source = case_named("xlsx_named_csv").write(tmp_path)
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "PYTHONIOENCODING": "utf-8"}
    env.pop("LC_ALL", None)
    done = subprocess.run(
        [sys.executable, "-m", "sunlight.cli", "--store", str(tmp_path / "store"), "load", str(source.path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "contracts.csv" in done.stderr and "ZIP 压缩包" in done.stderr


# ---- formulas are data in the store and escaped on the way out --------------------------------------------
@pytest.fixture(scope="module")
def formula_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the formula case, loaded through `sunlight load`."""
    folder = tmp_path_factory.mktemp("formulas")
    source = case_named("formula_injection").write(folder)
    store = folder / "store"
    assert main(["--lang", "en", "--store", str(store), "load", str(source.path)]) == 0
    return store


def stored_names(store: Path) -> pd.DataFrame:
    with LadybugStore(store, read_only=True) as opened:
        return opened.query(
            "MATCH (n) WHERE n.id IN $ids RETURN n.id AS id, n.name AS name ORDER BY id",
            {"ids": list(FORMULAS)},
        )


def query_output(capsys: Any, store: Path, output: str) -> str:
    code, out, err = run_cli(
        capsys, "--lang", "en", "--store", str(store), "query", "top_suppliers_in_period", "--format", output
    )
    assert code == 0, err
    return out


def test_formula_names_are_stored_exactly_as_given(formula_store: Path, capsys: Any) -> None:
    names = stored_names(formula_store)
    assert dict(zip(names["id"], names["name"], strict=True)) == FORMULAS
    with LadybugStore(formula_store, read_only=True) as store:
        case_named("formula_injection").in_store(store.snapshot())  # type: ignore[misc]
    # JSON is read by programs, not spreadsheets: it carries the value as it is
    records = json.loads(query_output(capsys, formula_store, "json"))
    assert {r["supplier_id"]: r["supplier_name"] for r in records}["S003"] == FORMULAS["S003"]
    for formula in FORMULAS.values():
        assert escape_formula(formula) == "'" + formula


def test_formula_names_are_escaped_in_csv_and_excel_exports(formula_store: Path, capsys: Any) -> None:
    shown = {
        r["supplier_id"]: r["supplier_name"]
        for r in csv.DictReader(io.StringIO(query_output(capsys, formula_store, "csv")))
    }
    assert shown["S003"] == "'" + FORMULAS["S003"]
    names = stored_names(formula_store)
    exported = {r["id"]: r["name"] for r in csv.DictReader(io.StringIO(to_csv_text(names)))}
    assert exported == {node_id: "'" + formula for node_id, formula in FORMULAS.items()}
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(names))).active
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    for node_id, formula in FORMULAS.items():
        assert cells[node_id].value == "'" + formula and cells[node_id].data_type == "s"
