"""Learning from investigators' decisions on a real embedded store, decisions taken through the
case workflow: training, re-scoring, explanations, guard rails, restore, the trail and the CLI.

The world: 40 tenders rigged by one ring of bidders and 40 tenders of independent bidders, one
bid-rigging alert each (its tender alone, so every alert is a case of its own), the rule score
drawn at random so that only the investigators' decisions tell the ring apart; and utility
direct awards that investigators dismiss with one recurring reason.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detectors.base import alert_id
from detectors.registry import all_detectors
from graph.cases import read_cases
from graph.dataset import GraphData
from graph.ladybug_store import LadybugStore
from graph.learned import active_model, read_models
from graph.store import AlertRecord, Store
from sunlight import learning as L
from sunlight.audit import AuditLog
from sunlight.auth import Role, User
from sunlight.cartel_eval import roc_auc
from sunlight.cases import change_status, update_cases
from sunlight.cli import main
from sunlight.relearn import apply_plan, learn_step, plan_learning, restore_model

RING = [f"R{i:02d}" for i in range(8)]
INDEPENDENT = [f"F{i:02d}" for i in range(40)]
ADMIN = User("审计员", Role.ADMIN)
UTILITY_REASON = "公用事业，独家供应"
TENDERS = 48  # the first half rigged by the ring
#: Cases decided in the shared store: rigged ones confirmed, clean ones dismissed, utilities dismissed.
RIGGED_DECIDED, CLEAN_DECIDED, UTILITIES_DISMISSED = range(12), range(24, 36), range(4)


def _alert(detector: str, subject: str, score: float, entity: str, metrics: dict) -> AlertRecord:
    level = "high" if score > 0.7 else "medium"
    return AlertRecord(
        id=alert_id(detector, subject),
        detector=detector,
        subject=subject,
        score=round(score, 4),
        level=level,
        grade="一级" if level == "high" else "二级",
        title_zh=detector,
        title_en=detector,
        explanation_zh=f"{subject} 的说明",
        explanation_en=f"about {subject}",
        evidence={"metrics": metrics},
        entities=(entity,),
    )


def _world() -> tuple[GraphData, list[AlertRecord]]:
    """Each tender has two alerts (its bid screens and its prices), one case; the rule scores are
    drawn at random, so only the decisions tell the ring's tenders apart."""
    rng = np.random.default_rng(5)
    tenders, bids, alerts = [], [], []
    for i in range(TENDERS):
        tender = f"T{i:03d}"
        tenders.append(tender)
        pool = RING if i < TENDERS // 2 else INDEPENDENT
        for supplier in rng.choice(pool, size=3, replace=False):
            bids.append({"src": str(supplier), "dst": tender, "amount": float(rng.uniform(9e4, 1.1e5))})
        metrics = {"cv": float(rng.uniform(0.01, 0.2)), "tenders": 1, "year": 2024}
        alerts.append(
            _alert("bid_rigging", tender, float(rng.uniform(0.3, 0.95)), f"tender:{tender}", metrics)
        )
        alerts.append(
            _alert(
                "price_anomalies",
                tender,
                float(rng.uniform(0.3, 0.95)),
                f"tender:{tender}",
                {"max_abs_z": 3.0},
            )
        )
    contracts = [f"C{i:03d}" for i in range(8)]
    alerts += [
        _alert("direct_awards", c, 0.6, f"contract:{c}", {"category": "电力", "total": 50000.0 + i})
        for i, c in enumerate(contracts)
    ]
    data = GraphData()
    suppliers = RING + INDEPENDENT + ["U1"]
    data.add_nodes("Supplier", pd.DataFrame({"id": suppliers, "name": [f"公司{s}" for s in suppliers]}))
    data.add_nodes("Tender", pd.DataFrame({"id": tenders}))
    data.add_nodes(
        "Contract",
        pd.DataFrame(
            {
                "id": contracts,
                "amount": 50000.0,
                "signed_date": pd.Timestamp("2024-05-01"),
                "category": "电力",
            }
        ),
    )
    data.add_rels("BID_ON", "Supplier", "Tender", pd.DataFrame(bids))
    data.add_rels(
        "AWARDED_TO", "Contract", "Supplier", pd.DataFrame({"src": contracts, "dst": ["U1"] * len(contracts)})
    )
    return data, alerts


def _tender_alert(i: int) -> str:
    return alert_id("bid_rigging", f"T{i:03d}")


def _decide(store: Store, audit: AuditLog, rigged: range, clean: range, utilities: range = range(0)) -> None:
    """Confirm the rigged tenders' cases, dismiss the clean ones and the utilities, as investigators do."""
    for i in rigged:
        change_status(store, audit, _tender_alert(i), "reviewing", ADMIN)
        change_status(store, audit, _tender_alert(i), "confirmed", ADMIN)
    for i in clean:
        change_status(store, audit, _tender_alert(i), "dismissed", ADMIN, reason="报价正常，竞争充分")
    for i in utilities:
        change_status(
            store, audit, alert_id("direct_awards", f"C{i:03d}"), "dismissed", ADMIN, reason=UTILITY_REASON
        )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world in an embedded store, alerts grouped into cases (built once, copied per test)."""
    folder = tmp_path_factory.mktemp("learning") / "store"
    store = LadybugStore(folder)
    data, alerts = _world()
    store.write(data)
    store.save_alerts(alerts, datetime(2024, 6, 1, 9, 0))
    update_cases(store, None, {d.id: d.family for d in all_detectors()}, datetime(2024, 6, 1, 9, 0))
    store.close()
    return folder


@pytest.fixture(scope="module")
def decided(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The world after investigators decided part of it (24 positive, 24 + 4 negative alerts)."""
    folder = tmp_path_factory.mktemp("decided") / "store"
    shutil.copytree(built, folder)
    store = LadybugStore(folder)
    try:
        _decide(store, AuditLog(folder), RIGGED_DECIDED, CLEAN_DECIDED, UTILITIES_DISMISSED)
    finally:
        store.close()
    return folder


def _open_copy(source: Path, tmp_path: Path) -> tuple[Store, AuditLog]:
    folder = tmp_path / "store"
    shutil.copytree(source, folder)
    return LadybugStore(folder), AuditLog(folder)


@pytest.fixture
def world(built: Path, tmp_path: Path) -> tuple[Store, AuditLog]:
    store, audit = _open_copy(built, tmp_path)
    yield store, audit
    store.close()


@pytest.fixture
def decided_world(decided: Path, tmp_path: Path) -> tuple[Store, AuditLog]:
    store, audit = _open_copy(decided, tmp_path)
    yield store, audit
    store.close()


def _alerts(store: Store) -> pd.DataFrame:
    return store.alerts().drop_duplicates("alert_id").set_index("alert_id")


def test_below_the_minimum_the_rules_stand_alone(world: tuple[Store, AuditLog]) -> None:
    store, audit = world
    _decide(store, audit, range(5), range(24, 29))  # 10 alerts of each class: fewer than 20
    plan = plan_learning(store, audit)
    apply_plan(store, audit, plan)
    assert plan.status == "rules_only" and plan.counts["positive"] == 10 < L.MIN_PER_CLASS
    assert read_models(store).empty and _alerts(store)["learned_score"].isna().all()
    entry = audit.entries()[-1]
    assert entry["action"] == "learn" and entry["details"]["status"] == "rules_only"
    assert entry["details"]["minimum_per_class"] == L.MIN_PER_CLASS


def _open_tenders() -> tuple[list[str], list[int]]:
    rigged = [i for i in range(TENDERS // 2) if i not in RIGGED_DECIDED]
    clean = [i for i in range(TENDERS // 2, TENDERS) if i not in CLEAN_DECIDED]
    return [_tender_alert(i) for i in rigged + clean], [1] * len(rigged) + [0] * len(clean)


def test_training_ranks_the_open_ring_tenders_first_and_leaves_rule_scores_alone(
    decided_world: tuple[Store, AuditLog],
) -> None:
    store, audit = decided_world
    rule_before = _alerts(store)["score"].copy()
    plan = plan_learning(store, audit)
    apply_plan(store, audit, plan)
    assert plan.status == "trained" and plan.new_model
    assert plan.counts["positive"] == 24 and plan.counts["negative"] == 28

    alerts = _alerts(store)
    pd.testing.assert_series_equal(alerts["score"], rule_before.reindex(alerts.index))
    open_tenders, truth = _open_tenders()
    learned = alerts.loc[open_tenders, "learned_score"].astype(float)
    assert learned.notna().all() and set(alerts.loc[open_tenders, "learned_model"]) == {plan.version}
    assert roc_auc(truth, learned) > 0.95  # the rule score is drawn at random: about chance
    assert abs(roc_auc(truth, alerts.loc[open_tenders, "score"]) - 0.5) < 0.35
    decided = [_tender_alert(i) for i in RIGGED_DECIDED]
    assert alerts.loc[decided, "learned_score"].isna().all()

    # why: an open ring tender shares bidders with a confirmed case, said in both languages
    reasons = json.loads(alerts.loc[open_tenders[0], "learned_reasons"])
    shared = next(r for r in reasons if r["code"] == "shared_confirmed")
    assert "与已确认案件 CS-" in shared["zh"] and "家投标人/供应商" in shared["zh"]
    assert "with confirmed case CS-" in shared["en"] and "bidders/suppliers" in shared["en"]
    clean_reasons = json.loads(alerts.loc[open_tenders[-1], "learned_reasons"])
    assert any(r["code"] in ("kind_dismissed", "shared_dismissed") for r in clean_reasons)

    # the case carries its best alert's learned score
    cases = read_cases(store).set_index("case_id")
    case_id = alerts.loc[open_tenders[0], "case_id"]
    best = alerts[alerts["case_id"] == case_id]["learned_score"].max()
    assert cases.at[case_id, "learned_score"] == pytest.approx(best)

    # the model is kept with its training summary and cross-validated figures; the trail says so
    model = active_model(store)
    assert model is not None and model["version"] == plan.version
    assert model["training"]["positive"] == 24 and model["training"]["negative"] == 28
    assert model["cross_validation"]["roc_auc"] > 0.9 and "rule_roc_auc" in model["cross_validation"]
    entry = next(e for e in reversed(audit.entries()) if e["action"] == "learn")
    assert entry["details"]["version"] == plan.version and entry["details"]["rescored"] == len(plan.moves)
    assert audit.verify() is None


def test_a_stored_model_scores_as_scikit_learn_does() -> None:
    from sklearn.calibration import CalibratedClassifierCV

    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"], index=[f"i{i}" for i in range(80)])
    y = pd.Series((x["a"] + rng.normal(scale=0.5, size=80) > 0).astype(int), index=x.index)
    groups = pd.Series([f"g{i // 2}" for i in range(80)], index=x.index)
    model = L.fit(x, y, groups)
    again = L.LearnedModel.from_dict(json.loads(json.dumps(model.to_dict())))
    folds = L._group_folds(list(x.index), groups, y, L.CV_FOLDS)
    every = np.arange(80)
    mean, scale = L.standardisation(x)
    z = (x.to_numpy() - mean) / scale
    reference = CalibratedClassifierCV(
        L._estimator(), method="sigmoid", cv=[(np.setdiff1d(every, t), t) for t in folds], ensemble=False
    ).fit(z, y.to_numpy())
    np.testing.assert_allclose(L.predict(again, x), reference.predict_proba(z)[:, 1], rtol=1e-9)


def test_a_hard_flag_is_never_demoted_below_high(decided_world: tuple[Store, AuditLog]) -> None:
    store, audit = decided_world
    # on an open clean tender, next to independent bidders only: the model ranks it low
    hard = _alert("approval_controls", "self", 1.0, f"tender:T{TENDERS - 1:03d}", {"amount": 100.0})
    store.save_alerts([hard], datetime(2024, 6, 1, 9, 0))
    update_cases(store, audit, {d.id: d.family for d in all_detectors()}, datetime(2024, 6, 1, 9, 0))
    plan = plan_learning(store, audit)
    apply_plan(store, audit, plan)
    alerts = _alerts(store)
    row = alerts.loc[hard.id]
    assert row["learned_level"] == "high" and float(row["learned_score"]) >= L.HARD_FLOOR > 0.7
    assert json.loads(row["learned_reasons"])[0]["code"] == "hard_floor"
    assert row["score"] == 1.0
    neighbour = alerts.loc[_tender_alert(TENDERS - 1)]
    assert float(neighbour["learned_score"]) < L.HARD_FLOOR  # the floor is the hard flag's alone


def test_restore_brings_back_the_earlier_model(decided_world: tuple[Store, AuditLog]) -> None:
    store, audit = decided_world
    first = plan_learning(store, audit, at=datetime(2026, 1, 1, 8, 0))
    apply_plan(store, audit, first)
    _decide(store, audit, range(12, 14), range(36, 38))
    second = plan_learning(store, audit, at=datetime(2026, 1, 2, 8, 0))
    apply_plan(store, audit, second)
    assert second.new_model and second.version != first.version
    assert set(_alerts(store)["learned_model"].dropna()) == {second.version}

    restore_model(store, audit, str(first.version), actor="管理员")
    assert active_model(store)["version"] == first.version
    assert set(_alerts(store)["learned_model"].dropna()) == {first.version}
    assert len(read_models(store)) == 2  # nothing is deleted
    entry = audit.entries()[-1]
    assert entry["action"] == "learn.restore" and entry["details"]["version"] == first.version
    assert entry["details"]["replaced"] == second.version
    with pytest.raises(KeyError):
        restore_model(store, audit, "LM-19990101-000000-000000")

    # no new decisions: the nightly step re-scores with the restored model, it does not retrain
    step = learn_step(store, audit)
    assert step["status"] == "rescored" and step["version"] == first.version and len(read_models(store)) == 2


def test_a_recurring_dismissal_reason_is_offered_as_a_policy_exemption(
    decided_world: tuple[Store, AuditLog],
) -> None:
    from sunlight.relearn import suggestion_yaml

    store, audit = decided_world
    plan = plan_learning(store, audit)
    utility = next(s for s in plan.suggestions if s["reason"] == UTILITY_REASON)
    assert utility["cases"] == len(UTILITIES_DISMISSED) and utility["detectors"] == ["direct_awards"]
    assert utility["categories"] == ["电力"]
    assert suggestion_yaml(utility).startswith("direct_award_exempt_categories: [电力]")
    tenders = next(s for s in plan.suggestions if s["detectors"] == ["bid_rigging", "price_anomalies"])
    assert suggestion_yaml(tenders).startswith(
        "# bid_rigging, price_anomalies:"
    )  # no exemption key governs them


def test_the_cli_dry_run_writes_nothing_then_learn_writes_and_the_export_shows_it(
    decided_world: tuple[Store, AuditLog], capsys: pytest.CaptureFixture[str]
) -> None:
    store, audit = decided_world
    folder = str(store.folder)
    store.close()
    entries = len(audit.entries())

    assert main(["learn", "--dry-run", "--store", folder, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Would train model LM-" in out and "(dry run: nothing written)" in out
    assert "Alerts that move most:" in out and "→" in out
    assert f'The dismissal reason "{UTILITY_REASON}" was given to 4 cases' in out
    assert len(audit.entries()) == entries  # nothing in the trail
    reopened = LadybugStore(Path(folder), read_only=True)
    try:
        assert read_models(reopened).empty and _alerts(reopened)["learned_score"].isna().all()
    finally:
        reopened.close()

    assert main(["learn", "--store", folder, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "已训练模型 LM-" in out and "交叉验证 ROC-AUC" in out and "共用" in out

    assert main(["alerts", "--store", folder, "--lang", "en", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    scored = [r for r in rows if r["learned_score"] is not None]
    assert scored and all(0 <= r["learned_score"] <= 1 for r in scored)
    assert any("with confirmed case CS-" in (r["learned_reasons"] or "") for r in scored)
    assert main(["learn", "--list", "--store", folder, "--lang", "en", "--format", "json"]) == 0
    (model,) = json.loads(capsys.readouterr().out)
    assert model["active"] and model["positive"] == 24 and model["roc_auc"] is not None
    assert main(["learn", "--restore", model["version"], "--store", folder, "--lang", "en"]) == 0
    assert f"Restored model {model['version']}" in capsys.readouterr().out
    assert main(["learn", "--restore", "LM-none", "--store", folder, "--lang", "en"]) == 1
    assert "No model LM-none" in capsys.readouterr().err


def test_eval_learning_refuses_a_share_outside_zero_and_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-learning", "--share", "1.5", "--lang", "en"]) == 2
    assert "--share must be between 0 and 1" in capsys.readouterr().err


def test_the_before_after_table_names_each_world_and_both_rankings() -> None:
    from sunlight.learn_eval import format_table

    row = {
        "profile": "energy",
        "seed": 1,
        "alerts": 240,
        "confirmed_cases": 16,
        "dismissed_cases": 18,
        "labelled_positive": 45,
        "labelled_negative": 25,
        "status": "trained",
        "held_out": 172,
        "held_out_real": 74,
        "rules": {"p@20": 1.0, "p@50": 0.86, "roc_auc": 0.899},
        "learned": {"p@20": 0.85, "p@50": 0.94, "roc_auc": 0.949},
    }
    table = format_table([row]).splitlines()
    assert len(table) == 3 and table[2].startswith(
        "| energy | 1 | 240 | 16 / 18 | 45 / 25 | trained | 172 (74) |"
    )
    assert "0.86 → 0.94" in table[2] and "0.90 → 0.95" in table[2]


def test_learning_runs_the_same_on_a_neo4j_store(neo4j_server, tmp_path: Path) -> None:
    """The same world, decisions and learning on the Neo4j server: models and scores go through the
    shared store layer (graph.learned), so the server keeps them as the embedded store does."""
    from graph.neo4j_store import Neo4jStore

    neo4j_server.clear()
    store = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    audit = AuditLog(tmp_path / "trail")
    try:
        data, alerts = _world()
        store.write(data)
        store.save_alerts(alerts, datetime(2024, 6, 1, 9, 0))
        update_cases(store, None, {d.id: d.family for d in all_detectors()}, datetime(2024, 6, 1, 9, 0))
        _decide(store, audit, RIGGED_DECIDED, CLEAN_DECIDED)
        plan = plan_learning(store, audit)
        apply_plan(store, audit, plan)
        assert plan.status == "trained"
        assert active_model(store)["version"] == plan.version
        open_tenders, truth = _open_tenders()
        learned = _alerts(store).loc[open_tenders, "learned_score"].astype(float)
        assert learned.notna().all() and roc_auc(truth, learned) > 0.95
    finally:
        store.close()
