"""Golden fixtures: one true positive and one near miss per detector.

Each case is a data-contract folder under ``tests/fixtures/detectors/<detector id>/<case>/``
with ``expected.json`` — ``{"findings": [{"subject": ..., "level": ...}, ...]}``, the
complete list of findings the detector must return — and optionally ``params.yaml``
(the detector's parameters for this case). The folder is loaded through the real
loader into a real embedded store; the detector runs on its snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from detectors.base import level_of
from detectors.registry import all_detectors, get_detector
from detectors.settings import params_from_mapping
from graph.ladybug_store import LadybugStore
from loaders import load_source

FIXTURES = Path(__file__).parent / "fixtures" / "detectors"
CASES = sorted(p for p in FIXTURES.glob("*/*") if (p / "expected.json").exists())


def test_every_detector_has_a_true_positive_and_a_near_miss():
    for detector in all_detectors():
        names = {p.name for p in CASES if p.parent.name == detector.id}
        assert {"true_positive", "near_miss"} <= names, f"{detector.id} lacks golden fixtures: has {names}"


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_golden_case(case: Path, tmp_path: Path):
    detector = get_detector(case.parent.name)
    params_file = case / "params.yaml"
    params = (
        params_from_mapping(
            detector, yaml.safe_load(params_file.read_text(encoding="utf-8")), str(params_file)
        )
        if params_file.exists()
        else detector.default_params()
    )
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))["findings"]
    store = LadybugStore(tmp_path / "store")
    try:
        store.write(load_source(case).data)
        findings = detector.run(store.snapshot(), params)
    finally:
        store.close()
    got = sorted((f.subject, level_of(f.score, f.hard)) for f in findings)
    assert got == sorted((e["subject"], e["level"]) for e in expected)
    for finding in findings:
        assert finding.explanation_zh and finding.explanation_en
        assert finding.evidence.get("thresholds"), "a finding must say which threshold fired"
