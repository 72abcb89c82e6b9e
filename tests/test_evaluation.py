"""The evaluation's rules on alert rows small enough to check by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sunlight.evaluation import evaluate_alerts

FAMILY_OF = {"pairs": "concentration", "screens": "bidding", "paths": "relationship"}

LABELS = pd.DataFrame(
    [
        ("favoritism", "f1", "employee", "E1"),
        ("favoritism", "f1", "supplier", "S1"),
        ("bid_rotation", "r1", "supplier", "S7"),
        ("bid_rotation", "r1", "supplier", "S8"),
        ("bid_rotation", "r1", "tender", "T1"),
        ("self_approval", "s1", "employee", "E5"),
        ("decoy_monopoly_utility", "d1", "supplier", "U1"),
        ("decoy_hub_address", "d1", "employee", "E20"),
        ("decoy_hub_address", "d1", "employee", "E21"),
        # an entity both planted and decoy-labelled is not counted as a decoy at high
        ("decoy_hub_address", "d1", "employee", "E1"),
    ],
    columns=["scheme", "instance_id", "entity_type", "entity_id"],
)


def alert_rows(rows: list[tuple[str, str, str, float, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["alert_id", "detector", "level", "score", "entity_type", "entity_id"])


# a1 finds f1 strictly; a2 touches only one ring member (loose only); a3 flags the utility at
# high; a4 flags two hub employees at high; a5 is a medium finding of r1; a6 is noise
ALERTS = alert_rows(
    [
        ("a1", "pairs", "high", 0.95, "employee", "E1"),
        ("a1", "pairs", "high", 0.95, "supplier", "S1"),
        ("a2", "screens", "high", 0.99, "supplier", "S7"),
        ("a2", "screens", "high", 0.99, "supplier", "S99"),
        ("a3", "pairs", "high", 1.0, "supplier", "U1"),
        ("a4", "paths", "high", 0.9, "employee", "E20"),
        ("a4", "paths", "high", 0.9, "employee", "E21"),
        ("a4", "paths", "high", 0.9, "employee", "E1"),
        ("a5", "screens", "medium", 0.5, "supplier", "S7"),
        ("a5", "screens", "medium", 0.5, "tender", "T1"),
        ("a6", "screens", "low", 0.2, "supplier", "S50"),
    ]
)


@pytest.fixture(scope="module")
def report():
    return evaluate_alerts(ALERTS, LABELS, ks=(1, 2, 3, 10), contracts=4_000, family_of=FAMILY_OF)


def test_strict_rule_needs_two_entities_and_loose_rule_one(report):
    schemes = report.schemes.set_index("scheme")
    assert schemes.loc["favoritism", ["found", "found_loose"]].tolist() == [1, 1]
    # r1: a2 touches one member only (loose), a5 two entities (strict)
    assert schemes.loc["bid_rotation", ["found", "found_loose"]].tolist() == [1, 1]
    assert schemes.loc["bid_rotation", "detectors"] == "screens"
    assert schemes.loc["self_approval", ["found", "recall", "recall_loose"]].tolist() == [0, 0.0, 0.0]
    assert report.missed == {"self_approval": ["s1"]}
    assert report.min_recall == 0.0


def test_alert_precision_follows_the_queue_riskiest_first(report):
    # queue: a3 (1.0, the utility), a2 (0.99, loose), a1 (0.95, strict), a4 (0.9, one entity of f1:
    # loose), a5 (0.5, strict), a6 (noise)
    strict, loose = report.precision["alert"]["strict"], report.precision["alert"]["loose"]
    assert strict == {1: 0.0, 2: 0.0, 3: 0.333, 10: 0.333}
    assert loose == {1: 0.0, 2: 0.5, 3: 0.667, 10: 0.667}
    assert report.precision_at_k == strict


def test_high_alerts_real_and_decoy_entities_at_high(report):
    assert report.high == {
        "alerts": 4,
        "real_strict": 1,
        "real_loose": 3,
        "share_strict": 0.25,
        "share_loose": 0.75,
    }
    # U1, E20, E21 (E1 is planted as well, so it does not count)
    assert report.decoy_entities_at_high == 3
    decoys = report.decoys.set_index("scheme")
    assert decoys.loc["decoy_hub_address", ["alerts", "high_alerts", "entities_at_high"]].tolist() == [
        2,
        2,
        2,
    ]
    assert decoys.loc["decoy_monopoly_utility", "entities_at_high"] == 1


def test_counts_by_detector_level_and_per_ten_thousand_contracts(report):
    by = report.by_detector.set_index("detector")
    assert by.loc["screens", ["alerts", "high", "medium", "low", "real_strict", "real_loose"]].tolist() == [
        3,
        1,
        1,
        1,
        1,
        2,
    ]
    assert report.by_level == {"high": 4, "medium": 1, "low": 1}
    assert report.alerts == 6 and report.alerts_per_10k_contracts == 15.0


def test_every_alert_is_its_own_case_until_alerts_carry_a_case_id(report):
    assert (report.case_source, report.cases) == ("alert", 6)
    assert report.precision["case"] == report.precision["alert"]
    grouped = ALERTS.assign(case_id=ALERTS["alert_id"].map({"a1": "c1", "a3": "c1", "a2": "c2"}))
    cases = evaluate_alerts(grouped, LABELS, ks=(1, 3), family_of=FAMILY_OF)
    # c1 = {a3, a1} scores 1.0 and is real; c2 = {a2} loose only; a4, a5, a6 stay their own cases
    assert (cases.case_source, cases.cases) == ("case_id", 5)
    assert cases.precision["case"]["strict"] == {1: 1.0, 3: 0.333}
    assert cases.alerts_per_10k_contracts is None


def test_entity_precision_ranks_by_composite_risk(report):
    # entities by risk: U1 (1.0) is a decoy, E1 (two families) real, then S7, S99 ...
    entity = report.precision["entity"]["labelled"]
    assert entity[1] == 0.0 and entity[2] == 0.5
    assert 0 < entity[10] < 1


# ---- the commands --------------------------------------------------------------------------------
def _run(capsys, *args: str) -> tuple[int, str, str]:
    from sunlight.cli import main

    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse refuses bad usage itself
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_writes_the_profile_asked_for(tmp_path, capsys):
    code, out, _ = _run(
        capsys,
        "--lang",
        "en",
        "generate",
        "--out",
        str(tmp_path / "city"),
        "--scale",
        "800",
        "--profile",
        "city",
    )
    assert code == 0 and "800 contracts" in out
    policy = (tmp_path / "city" / "policy.yaml").read_text(encoding="utf-8")
    assert "江城公用事业集团" in policy and "09:00" in policy
    code, _, err = _run(capsys, "generate", "--out", str(tmp_path / "x"), "--profile", "hospital")
    assert code == 2 and "hospital" in err


def test_eval_profiles_usage_errors(tmp_path, capsys):
    code, _, err = _run(capsys, "--lang", "en", "eval-profiles", "--profiles", "classic,mars")
    assert code == 2 and "mars" in err
    code, _, err = _run(capsys, "--lang", "en", "eval-profiles", "--profiles", "classic", "--holdout", "city")
    assert code == 2 and "holdout" in err
    code, _, err = _run(capsys, "--lang", "en", "eval-profiles", "--seeds", "one")
    assert code == 2


@pytest.mark.slow
def test_eval_profiles_generates_loads_detects_and_scores_each_run(tmp_path, capsys):
    out_file = tmp_path / "profiles.json"
    code, out, err = _run(
        capsys,
        "--lang",
        "en",
        "eval-profiles",
        "--profiles",
        "classic,city",
        "--seeds",
        "3",
        "--scale",
        "600",
        "--holdout",
        "city",
        "--cache",
        str(tmp_path / "cache"),
        "--out",
        str(out_file),
    )
    assert code == 0, err
    result = json.loads(out_file.read_text(encoding="utf-8"))
    assert [(r["profile"], r["seed"]) for r in result["runs"]] == [("classic", 3), ("city", 3)]
    for run in result["runs"]:
        assert run["alerts"] == sum(run["alerts_by_detector"].values()) > 0
        assert set(run["recall"]) == {
            "favoritism", "split_purchase", "self_approval", "relative_supplier", "shared_identifier",
            "ownership_cycle", "payment_to_staff", "bid_rotation", "price_inflation", "after_hours",
            "repeat_direct_awards",
        }  # fmt: skip
        assert 0 <= run["p10"] <= 1 and run["failed_detectors"] == []
    # the union leaves the held-out profile out; its figures are reported on their own
    assert result["union"]["runs"] == 1 and result["holdout_summary"]["runs"] == 1
    assert result["union"]["min_recall"] == result["runs"][0]["recall"]
    assert "held out: city" in out and "min recall" in out
    # the worlds are cached for the next run
    assert len(list((tmp_path / "cache").glob("*/.complete"))) == 2
