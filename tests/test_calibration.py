"""Calibrated scores: the curves, the runner applying them, and the command that fits them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from detector_snapshots import snapshot_of

from detectors.base import Finding, level_of
from detectors.calibration import (
    CURVES,
    MAX_SOFT_SCORE,
    Curve,
    calibrate,
    calibrated_score,
    curve_literal,
    fit_curve,
    kind_of,
)
from detectors.runner import run_detectors
from sunlight import calibrate as calibrate_command


def finding(score, hard=False, **evidence):
    return Finding(
        "repeated_pairs", "E1|S1", score, ("employee:E1", "supplier:S1"), "中文", "English", evidence, hard
    )


def test_a_curve_is_monotone_and_shrinks_small_blocks_towards_the_prior():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0, 1, 400)
    real = rng.uniform(0, 1, 400) < raw  # the higher the raw score, the likelier real
    curve = fit_curve(raw.tolist(), real.tolist())
    ys = [y for _, y in curve.knots]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    assert curve.alerts == 400 and curve.real == int(real.sum())
    assert curve(0.05) < 0.25 and curve(0.95) > 0.75
    # two alerts, both false, among a detector confirmed 80 % of the time: not a rate of 0
    assert fit_curve([0.5, 0.6], [False, False], prior=0.8)(0.55) == pytest.approx(0.4)


def test_hard_evidence_alone_reaches_one():
    curves = {"repeated_pairs": Curve(((0.0, 0.2), (1.0, 0.99)))}
    assert calibrated_score("repeated_pairs", "repeated_pairs", 1.0, False, curves) == MAX_SOFT_SCORE
    assert calibrated_score("repeated_pairs", "repeated_pairs", 0.3, True, curves) == 1.0
    assert calibrated_score("repeated_pairs", "repeated_pairs", 0.5, False, curves) == pytest.approx(0.5955)


def test_a_kind_falls_back_to_its_detector_then_to_the_raw_score():
    curves = {"direct_awards": Curve(((0.0, 0.1), (1.0, 0.1)))}
    f = Finding("direct_awards", "s", 0.9, ("department:D1",), "zh", "en", {"rule": "repeat"})
    assert kind_of(f) == "direct_awards/repeat"
    assert calibrate(f, curves).score == pytest.approx(0.1 + 0.0009)
    assert calibrate(f, {}).score == pytest.approx(0.9)
    calibrated = calibrate(f, curves)
    assert (
        calibrated.evidence["raw_score"] == 0.9
        and calibrated.evidence["calibration"] == "direct_awards/repeat"
    )


def test_the_runner_calibrates_and_keeps_the_raw_score():
    contracts = [
        {
            "contract_id": f"C{i}",
            "supplier_id": "S1",
            "amount": 1000.0,
            "signed_date": "2024-01-01",
            "requester_id": "E1",
        }
        for i in range(3)
    ]
    approvals = [
        {"contract_id": f"C{i}", "step": 1, "approver_id": "E1", "approved_at": "2024-01-01T10:00:00"}
        for i in range(3)
    ]
    snap = snapshot_of(
        contracts=contracts, approvals=approvals, employees=[{"employee_id": "E1", "name": "李强"}]
    )
    raw = run_detectors(snap, only=["approval_controls"], calibrated=False).outcomes[0].findings
    calibrated = run_detectors(snap, only=["approval_controls"]).outcomes[0].findings
    assert raw and len(raw) == len(calibrated)
    for before, after in zip(raw, calibrated, strict=True):
        assert after.evidence["raw_score"] == round(before.score, 4)
        if before.hard:  # self-approval is hard evidence
            assert after.score == 1.0 and level_of(after.score, after.hard) == "high"
        else:
            assert after.score <= MAX_SOFT_SCORE


def test_the_fitted_table_is_valid_code(tmp_path: Path):
    module = tmp_path / "calibration.py"
    source = Path(calibrate_command.CALIBRATION_MODULE).read_text(encoding="utf-8")
    module.write_text(source, encoding="utf-8")
    curves = {"bid_rigging/ring": Curve(((0.6, 0.5), (0.9, 0.93)), alerts=12, real=10)}
    calibrate_command.write_curves(
        curves, {"command": "python -m sunlight.calibrate", "holdout": None}, module
    )
    text = module.read_text(encoding="utf-8")
    assert curve_literal("bid_rigging/ring", curves["bid_rigging/ring"]) in text
    namespace: dict = {}
    exec(compile(text, str(module), "exec"), namespace)
    assert namespace["CURVES"]["bid_rigging/ring"].knots == ((0.6, 0.5), (0.9, 0.93))
    assert namespace["FITTED_WITH"]["holdout"] is None


def test_the_committed_curves_stay_within_bounds():
    for name, curve in CURVES.items():
        ys = [y for _, y in curve.knots]
        assert ys == sorted(ys), name
        assert all(0.0 <= y <= 1.0 for y in ys), name


@pytest.mark.slow
def test_the_command_fits_and_reports_raw_beside_calibrated(tmp_path: Path, capsys):
    out = tmp_path / "report.json"
    code = calibrate_command.main(
        [
            "--profiles",
            "classic",
            "--seeds",
            "3",
            "--scale",
            "800",
            "--cache",
            str(tmp_path / "cache"),
            "--jobs",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    (run,) = report["runs"]
    assert run["profile"] == "classic" and not run["held_out"]
    assert run["raw"]["alerts"] == run["calibrated"]["alerts"] > 0
    assert report["curves"] and all(c["alerts"] > 0 for c in report["curves"].values())
    assert "held out while fitting" in capsys.readouterr().out
