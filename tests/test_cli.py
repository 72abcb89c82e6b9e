"""The `sunlight` command as scripts and schedulers use it: verbs, outputs, exit codes."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sunlight.cli import main
from sunlight.export import ALERT_EXPORT_COLUMNS, LEARNED_COLUMNS

FIXTURE = Path(__file__).parent / "fixtures" / "detectors" / "repeated_pairs" / "true_positive"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNLIGHT_STORE", str(tmp_path / "store"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    return tmp_path / "store"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_load_detect_export_stats_audit(store, capsys, tmp_path):
    code, out, _ = run(capsys, "--lang", "en", "load", str(FIXTURE))
    assert code == 0 and "Loaded" in out
    code, out, _ = run(capsys, "--lang", "en", "detect")
    assert code == 0 and "repeated_pairs" in out
    code, out, _ = run(capsys, "alerts", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    # the documented columns, then the alert's case and the case's score; riskiest alert first
    assert code == 0 and list(rows[0]) == [*ALERT_EXPORT_COLUMNS, "case_id", "case_score", *LEARNED_COLUMNS]
    assert all(r["case_id"].startswith("CS-") and 0 < float(r["case_score"]) <= 1 for r in rows)
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    code, out, _ = run(capsys, "alerts", "--by", "case")
    by_case = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and list(by_case[0])[:2] == ["case_id", "case_score"] and len(by_case) == len(rows)
    case_scores = [float(r["case_score"]) for r in by_case]
    assert case_scores == sorted(case_scores, reverse=True)
    # a case's alerts are together, right after it
    order = [r["case_id"] for r in by_case]
    assert order == sorted(order, key=order.index)
    pair = [r for r in rows if r["detector"] == "repeated_pairs"]
    assert {(r["entity_type"], r["entity_id"]) for r in pair} == {("employee", "E1"), ("supplier", "S1")}
    assert "张伟" in pair[0]["explanation_zh"] and "华信科技有限公司" in pair[0]["explanation_en"]
    out_file = tmp_path / "alerts.json"
    code, _, _ = run(capsys, "alerts", "--format", "json", "--out", str(out_file))
    exported = json.loads(out_file.read_text(encoding="utf-8"))
    assert code == 0 and len(exported) == len(rows) and exported[0]["level"] in {"high", "medium", "low"}
    code, out, _ = run(capsys, "stats", "--format", "json")
    stats = json.loads(out)
    assert stats["nodes"]["Contract"] == 40 and stats["relationships"]["APPROVED"] == 40
    assert sum(stats["alerts"].values()) == len({r["alert_id"] for r in rows})
    code, out, _ = run(capsys, "--lang", "en", "audit", "verify")
    assert code == 0 and "intact" in out


def test_detecting_twice_keeps_alert_ids(store, capsys):
    run(capsys, "load", str(FIXTURE))
    run(capsys, "detect")
    _, first, _ = run(capsys, "alerts", "--format", "json")
    code, out, _ = run(capsys, "--lang", "en", "detect")
    assert code == 0 and "0 new" in out
    _, second, _ = run(capsys, "alerts", "--format", "json")
    ids = lambda text: sorted({a["alert_id"] for a in json.loads(text)})  # noqa: E731
    assert ids(first) == ids(second)


def test_a_bad_load_exits_1_naming_file_row_and_column(store, capsys, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(FIXTURE, broken)
    text = (broken / "contracts.csv").read_text(encoding="utf-8").splitlines()
    fields = text[3].split(",")
    fields[2] = "12万"  # not an amount in yuan
    text[3] = ",".join(fields)
    (broken / "contracts.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--lang", "en", "load", str(broken))
    assert code == 1
    assert "contracts.csv" in err and "amount" in err and "4" in err
    code, out, _ = run(capsys, "stats", "--format", "json")
    assert json.loads(out)["nodes"]["Contract"] == 0


def test_unknown_detector_and_bad_settings_fail_clearly(store, capsys, tmp_path):
    run(capsys, "load", str(FIXTURE))
    code, _, err = run(capsys, "detect", "--only", "nonsense")
    assert code == 1 and "nonsense" in err
    settings = tmp_path / "settings.yaml"
    settings.write_text("repeated_pairs: {min_contract: 2}\n", encoding="utf-8")
    code, _, err = run(capsys, "detect", "--settings", str(settings))
    assert code == 1 and "min_contract" in err


def test_eval_scores_alerts_against_labels(store, capsys, tmp_path):
    dataset = tmp_path / "dataset"
    shutil.copytree(FIXTURE, dataset)
    (dataset / "labels.csv").write_text(
        "scheme,instance_id,entity_type,entity_id\n"
        "favoritism,f1,employee,E1\nfavoritism,f1,supplier,S1\n"
        "favoritism,f2,employee,E2\nfavoritism,f2,supplier,S4\n"
        "decoy_monopoly_utility,d1,supplier,S2\n",
        encoding="utf-8",
    )
    run(capsys, "load", str(dataset))
    run(capsys, "detect", "--only", "repeated_pairs")
    code, out, _ = run(capsys, "eval", "--dataset", str(dataset), "--format", "json")
    report = json.loads(out)
    scheme = report["schemes"][0]
    assert code == 0 and (scheme["instances"], scheme["found"], scheme["recall"]) == (2, 1, 0.5)
    assert report["missed"] == {"favoritism": ["f2"]}
    assert report["precision_at_k"]["10"] == 1.0
    assert report["decoys"][0]["high_alerts"] == 0
    # the queue figures beside them: both rules, cases (from the alerts' case_id), entities, budget
    assert report["precision"]["alert"]["strict"] == report["precision_at_k"]
    assert set(report["precision"]) == {"alert", "case", "entity"}
    assert report["cases"]["source"] == "case_id" and 0 < report["cases"]["count"] <= report["alerts"]
    assert report["contracts"] > 0 and report["alerts_per_10k_contracts"] > 0
    assert sum(row["alerts"] for row in report["alerts_by_detector"]) == report["alerts"]


def test_usage_errors_exit_2_and_every_verb_has_help(capsys):
    with pytest.raises(SystemExit) as usage:
        main(["frobnicate"])
    assert usage.value.code == 2
    verbs = [
        "demo",
        "generate",
        "load",
        "detect",
        "alerts",
        "stats",
        "eval",
        "eval-profiles",
        "eval-learning",
        "learn",
        "risk",
        "run",
        "audit",
        "bench",
        "query",
        "user",
    ]
    for verb in verbs:
        with pytest.raises(SystemExit) as shown:
            main([verb, "--help"])
        assert shown.value.code == 0 and "usage: sunlight" in capsys.readouterr().out, verb


def test_the_command_runs_as_an_installed_script():
    proc = subprocess.run(
        [sys.executable, "-m", "sunlight.cli", "--help"], check=False, capture_output=True, text=True
    )
    assert proc.returncode == 0 and "demo" in proc.stdout


def test_query_lists_runs_and_rejects_bad_parameters(store, capsys):
    run(capsys, "load", str(FIXTURE))
    code, out, _ = run(capsys, "query", "--list")
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert code == 0 and len(names) >= 20
    code, out, _ = run(capsys, "query", "approver_supplier_pairs", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows, "the planted pair must be among the top pairs"
    code, _, err = run(capsys, "query", "no_such_query")
    assert code == 2 and "no_such_query" in err
    code, _, err = run(capsys, "query", "approver_supplier_pairs", "--param", "nonsense")
    assert code == 2 and "KEY=VALUE" in err


def test_exports_escape_spreadsheet_formulas_in_text_columns():
    import pandas as pd

    from sunlight.export import to_csv_text, to_xlsx_bytes

    frame = pd.DataFrame({"name": pd.Series(["=HYPERLINK(1)", "+cmd", "普通"], dtype="str"), "n": [1, -2, 3]})
    text = to_csv_text(frame)
    assert "'=HYPERLINK(1)" in text and "'+cmd" in text and ",-2" in text
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(to_xlsx_bytes(frame))).active
    assert sheet["A2"].value == "'=HYPERLINK(1)" and sheet["B3"].value == -2


def test_bad_arguments_to_other_verbs_fail_clearly_without_a_traceback(store, capsys, tmp_path):
    with pytest.raises(SystemExit) as usage:
        main(["bench", "--scales", "ten"])
    assert usage.value.code == 2 and "whole numbers" in capsys.readouterr().err
    # a count of sessions, rounds, rows or runs below 1 is refused before anything runs
    for verb in (
        ["bench", "--sessions", "-3"],
        ["bench", "--sessions", "2", "--rounds", "0"],
        ["eval-profiles", "--jobs", "0"],
        ["audit", "show", "--tail", "x"],
    ):
        with pytest.raises(SystemExit) as usage:
            main(verb)
        err = capsys.readouterr().err
        assert usage.value.code == 2 and ("at least 1" in err or "whole number" in err), verb
    code, _, err = run(capsys, "generate", "--out", "/proc/no/such/place", "--scale", "500")
    assert code == 1 and "/proc/no/such/place" in err and "cannot write" in err
    run(capsys, "load", str(FIXTURE))
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    (dataset / "labels.csv").write_text("scheme,instance\nx,1\n", encoding="utf-8")
    code, _, err = run(capsys, "eval", "--dataset", str(dataset))
    assert code == 1 and "missing column instance_id, entity_type, entity_id" in err
    (dataset / "labels.csv").write_text(
        "scheme,instance_id,entity_type,entity_id\nfavoritism,f1,planet,P1\n", encoding="utf-8"
    )
    code, _, err = run(capsys, "eval", "--dataset", str(dataset))
    assert code == 1 and "row 2, column entity_type" in err and "planet" in err


@pytest.mark.slow
def test_bench_measures_a_tiny_scale_with_the_keys_cli_md_names(tmp_path: Path):
    from loaders.generator import MIN_SCALE
    from sunlight.bench import format_table, run_bench

    (result,) = run_bench([MIN_SCALE], seed=3, cache=tmp_path / "cache", engines=["python-louvain", "leiden"])
    for key in ("scale", "load_seconds", "detect_seconds", "detectors", "peak_rss_bytes", "store_bytes"):
        assert key in result
    assert set(result["drilldown_ms"]) >= {"p50", "p95"}
    assert set(result["community"]["leiden"]) >= {"seconds", "cpu_seconds", "modularity"}
    # the default engine is quoted against the reference: how much faster, how far its modularity is
    leiden = result["community"]["leiden"]
    assert leiden["speedup"] > 0 and -1 < leiden["modularity_gap"] < 1
    assert "speedup" not in result["community"]["python-louvain"]
    # detect runs in a process of its own; the app's reads are measured from a fresh one
    assert 0 < result["detect_peak_rss_bytes"] <= result["peak_rss_bytes"]
    assert result["app_reads"]["overview_from_summary"] is True
    assert result["app_reads"]["queue_alerts"] == result["alerts"] > 0
    # the queue reads the contracts its alerts name, not every contract of the store
    assert 0 < result["app_reads"]["queue_contracts_read"] < result["app_reads"]["store_contracts"]
    assert not result["failed_detectors"]
    assert set(result["detectors_cpu"]) == set(result["detectors"])
    table = format_table([result])
    assert f"{MIN_SCALE:,}" in table and f"{leiden['speedup']}× python-louvain, modularity" in table


def test_bench_reads_measures_an_existing_store_and_leaves_it_as_it_was(store, capsys, tmp_path):
    assert run(capsys, "load", str(FIXTURE))[0] == 0
    assert run(capsys, "detect")[0] == 0
    before = run(capsys, "alerts", "--format", "csv")[1]
    out_file = tmp_path / "reads.json"
    code, out, _ = run(
        capsys, "--lang", "en", "bench", "--store", str(store), "--reads", "--out", str(out_file)
    )
    result = json.loads(out_file.read_text(encoding="utf-8"))
    assert code == 0 and "drill-down p50" in out
    assert result["alerts"] > 0 and result["drilldown_ms"]["samples"] > 0
    assert result["drilldown_ms"]["p95"] >= result["drilldown_ms"]["p50"] > 0
    assert result["app_reads"]["queue_alerts"] == result["alerts"]
    assert run(capsys, "alerts", "--format", "csv")[1] == before
    code, _, err = run(capsys, "bench", "--store", str(tmp_path / "nowhere"), "--reads")
    assert code != 0 and "nowhere" in err
