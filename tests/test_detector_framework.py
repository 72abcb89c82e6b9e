"""The detector framework: settings, the runner's isolation, alert identity, composite risk."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from detectors.base import Detector, Finding, alert_id, level_of, param, param_table, to_alert
from detectors.composite import department_risk, entity_risk
from detectors.registry import all_detectors, get_detector
from detectors.runner import run_detectors
from detectors.settings import SettingsError, load_settings
from graph.snapshot import empty_snapshot


@dataclass(frozen=True)
class _Params:
    threshold: int = param(3, "count", "a threshold")


def _finding(subject: str, score: float = 0.8, hard: bool = False) -> Finding:
    return Finding(
        detector="fake",
        subject=subject,
        score=score,
        entities=("supplier:S1",),
        explanation_zh="说明",
        explanation_en="explanation",
        evidence={"thresholds": {"threshold": 3}},
        hard=hard,
    )


def _detector(run) -> Detector:
    return Detector("fake", "假", "fake", "price", _Params, run, "doc")


def test_registry_ids_are_unique_and_resolvable():
    ids = [d.id for d in all_detectors()]
    assert len(ids) == len(set(ids))
    assert get_detector("repeated_pairs").family == "concentration"
    with pytest.raises(KeyError, match="known detectors"):
        get_detector("no_such_detector")


def test_settings_override_defaults_and_reject_unknown_names(tmp_path):
    detectors = all_detectors()
    good = tmp_path / "good.yaml"
    good.write_text("repeated_pairs:\n  min_contracts: 5\n  alpha: 0.001\n", encoding="utf-8")
    params = load_settings(good, detectors)
    assert params["repeated_pairs"].min_contracts == 5 and params["repeated_pairs"].alpha == 0.001
    typo = tmp_path / "typo.yaml"
    typo.write_text("repeated_pairs:\n  min_contract: 5\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="min_contract"):
        load_settings(typo, detectors)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("not_a_detector: {}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not_a_detector"):
        load_settings(unknown, detectors)
    wrong_type = tmp_path / "wrong.yaml"
    wrong_type.write_text("repeated_pairs:\n  min_contracts: many\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="expected a int"):
        load_settings(wrong_type, detectors)


def test_a_failing_detector_does_not_stop_the_others():
    def broken(snapshot, params):
        raise RuntimeError("boom")

    ok = _detector(lambda snapshot, params: [_finding("x")])
    bad = Detector("broken", "坏", "broken", "price", _Params, broken, "doc")
    result = run_detectors(empty_snapshot(), detectors=[bad, ok])
    assert [o.detector.id for o in result.failed] == ["broken"]
    assert "boom" in (result.failed[0].error or "")
    assert [a.subject for a in result.alerts] == ["x"]


def test_alert_ids_depend_only_on_detector_and_subject():
    detector = _detector(lambda s, p: [])
    a = to_alert(_finding("E1|S1", score=0.8), detector)
    b = to_alert(_finding("E1|S1", score=0.5), detector)
    c = to_alert(_finding("E1|S2", score=0.8), detector)
    assert a.id == b.id == alert_id("fake", "E1|S1") and a.id != c.id
    assert (a.level, a.grade) == ("high", "一级") and (b.level, b.grade) == ("medium", "二级")


def test_hard_flags_are_at_least_high():
    assert level_of(0.1, hard=True) == "high"
    assert to_alert(_finding("x", score=0.2, hard=True), _detector(lambda s, p: [])).level == "high"


def test_findings_validate_their_score_and_entities():
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        _finding("x", score=1.5)
    with pytest.raises(ValueError, match="at least one entity"):
        Finding("d", "s", 0.5, (), "zh", "en", {})


def test_composite_risk_combines_families_and_keeps_hard_flags_high():
    rows = pd.DataFrame(
        {
            "alert_id": ["a1", "a2", "a3", "a4"],
            "detector": ["pairs", "price", "pairs", "self"],
            "score": [0.6, 0.6, 0.3, 0.2],
            "level": ["medium", "medium", "low", "high"],
            "entity_type": ["supplier", "supplier", "employee", "employee"],
            "entity_id": ["S1", "S1", "E1", "E2"],
        }
    )
    families = {"pairs": "concentration", "price": "price", "self": "approval"}
    risk = entity_risk(rows, families).set_index(["entity_type", "entity_id"])
    # two independent medium signals add up to more than either alone
    assert risk.loc[("supplier", "S1"), "risk"] > 0.6
    assert risk.loc[("supplier", "S1"), "alerts"] == 2
    assert risk.loc[("employee", "E1"), "level"] == "low"
    assert risk.loc[("employee", "E2"), "level"] == "high"
    employees = pd.DataFrame({"id": ["E1", "E2"], "department_id": ["D1", "D2"]})
    contracts = pd.DataFrame({"id": ["C1"], "department_id": ["D1"]})
    departments = department_risk(risk.reset_index(), employees, contracts).set_index("department_id")
    assert departments.loc["D2", "level"] == "high" and departments.loc["D1", "flagged_entities"] == 1
    with pytest.raises(ValueError, match="unknown detector families"):
        entity_risk(rows, families, weights={"astrology": 1.0})


def test_a_single_name_in_a_list_setting_is_a_one_item_list(tmp_path):
    detectors = all_detectors()
    concentration = next(d for d in detectors if d.id == "concentration")
    list_params = [
        name for name, default, _, _ in param_table(concentration.params_type) if isinstance(default, tuple)
    ]
    assert list_params, "concentration has a list parameter (exempt categories)"
    settings = tmp_path / "s.yaml"
    settings.write_text(f"concentration:\n  {list_params[0]}: 供水\n", encoding="utf-8")
    params = load_settings(settings, detectors)
    assert getattr(params["concentration"], list_params[0]) == ("供水",)
